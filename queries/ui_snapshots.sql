-- query:  ui_snapshots (for the UI's snapshot picker)
-- grain:  one row per snapshot date the user may see, newest first
-- params: $allowed_regions varchar[] (empty = all)
-- output: as_of, n_projects
with scoped as (
    select as_of, project_id
    from stg_projects
    where len($allowed_regions) = 0 or region in (select unnest($allowed_regions))
),

final as (
    select as_of, count(*) as n_projects
    from scoped
    group by as_of
)

select * from final order by as_of desc
