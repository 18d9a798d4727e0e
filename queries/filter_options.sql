-- query:  filter_options
-- grain:  one row per (dimension, value) present in the $as_of snapshot
-- params: $as_of date; $allowed_regions varchar[] (access scope: ['*'] = all, [] = none);
--         $dimensions varchar[] (the keys of queries/dimensions.py, in order; bound by the runner)
-- output: dimension (a key of queries/dimensions.py: 'region', 'grade', 'owner', 'category',
--         'product_line'), value, n_projects; dimensions in the registry's order, values sorted
with scoped as (
    select *
    from project_facts as f
    where as_of = $as_of
      -- the options are not narrowed by the user's own filters, only by access control
      and allowed_region(f, $allowed_regions)
),

dimensions as (
    select unnest($dimensions) as dimension, generate_subscripts($dimensions, 1) as dimension_order
),

unpivoted as (
    select d.dimension, d.dimension_order, segment_of(s, d.dimension) as value
    from scoped as s
    cross join dimensions as d
),

final as (
    select dimension, value, count(*) as n_projects, min(dimension_order) as dimension_order
    from unpivoted
    where value is not null
    group by dimension, value
)

select * exclude (dimension_order) from final order by dimension_order, value
