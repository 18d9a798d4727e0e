-- query:  filter_options
-- grain:  one row per (dimension, value) present in the $as_of snapshot
-- params: $as_of date; $allowed_regions varchar[] (access scope: ['*'] = all, [] = none)
-- output: dimension ('region' | 'grade' | 'owner' | 'category'), value, n_projects
with scoped as (
    select region, grade, owner, category
    from project_facts
    where as_of = $as_of
      -- the options are not narrowed by the user's own filters, only by access control
      and in_scope(region, grade, owner, category, [], [], [], [], $allowed_regions)
),

unpivoted as (
    select 'region' as dimension, 1 as dimension_order, region as value from scoped
    union all
    select 'grade', 2, grade from scoped
    union all
    select 'owner', 3, owner from scoped
    union all
    select 'category', 4, category from scoped
),

final as (
    select dimension, value, count(*) as n_projects, min(dimension_order) as dimension_order
    from unpivoted
    where value is not null
    group by dimension, value
)

select * exclude (dimension_order) from final order by dimension_order, value
