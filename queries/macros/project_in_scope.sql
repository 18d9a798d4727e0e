-- query:  project_in_scope (a scalar macro)
-- grain:  one boolean per project asked about
-- params: (as macro arguments) the project's id, the snapshot date at_date, then the filter
--         lists $filters, $allowed_regions
-- output: true when the project's latest row up to at_date passes in_scope(); false when it
--         does not, or has no row by then
-- why:    a project's own drill-downs (`project_snapshots`, `project_events`) show its whole
--         history, so they cannot filter row by row; they ask once, on the latest row, and
--         access control holds on the project page too.
create or replace macro project_in_scope(
    pid, at_date, filters, allowed_regions
) as (
    coalesce((
        select in_scope(f, filters, allowed_regions)
        from project_facts as f
        where f.project_id = pid and f.as_of <= cast(at_date as date)
        order by f.as_of desc
        limit 1
    ), false)
)
