-- query:  filter_options
-- grain:  one row per (dimension, value) present in the $as_of snapshot
-- params: $as_of date; $allowed_regions varchar[] (access scope: ['*'] = all, [] = none)
-- output: dimension (a key of queries/dimensions.py: 'region', 'grade', 'owner', 'category',
--         'product_line'), value, n_projects; dimensions in the registry's order, values sorted
with scoped as (
    select unnest(dimension_values(project_facts)) as d, generate_subscripts(dimension_values(project_facts), 1) as dimension_order
    from project_facts
    where as_of = $as_of
      -- the options are not narrowed by the user's own filters, only by access control
      and allowed_region(project_facts, $allowed_regions)
),

final as (
    select d.dimension, d.value, count(*) as n_projects, min(dimension_order) as dimension_order
    from scoped
    where d.value is not null
    group by d.dimension, d.value
)

select * exclude (dimension_order) from final order by dimension_order, value
