-- query:  ui_options (for the UI's filter pickers)
-- grain:  one row per (dimension, value) seen in any snapshot the user may see
-- params: $allowed_regions varchar[] (empty = all)
-- output: dimension ('region' | 'grade' | 'owner' | 'category'), value
with scoped as (
    select region, grade, owner, category
    from stg_projects
    where len($allowed_regions) = 0 or region in (select unnest($allowed_regions))
),

unpivoted as (
    select distinct 'region' as dimension, region as value from scoped where region is not null
    union all
    select distinct 'grade', grade from scoped where grade is not null
    union all
    select distinct 'owner', owner from scoped where owner is not null
    union all
    select distinct 'category', category from scoped where category is not null
),

final as (
    select dimension, value from unpivoted
)

select * from final order by dimension, value
