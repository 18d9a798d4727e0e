-- query:  collections_summary
-- grain:  one row: the weekly review's collection figures at $as_of over the projects in scope
-- params: $as_of date; $filters (a list per dimension)
-- output: n_entries_stored (money entries stored of the projects in scope: 0 = no receivables
--         file imported yet, or none for these projects),
--         receivable_amount (invoiced − collected), overdue_amount (past the agreed date),
--         over_90_amount (more than 90 days past it), n_overdue_projects
with scoped as (
    select project_id, outstanding, days_past_due
    from receivables_scoped($as_of, $filters, $allowed_regions)
),

final as (
    select
        (select count(*) from stg_money as m
         left join project_facts as f on f.as_of = $as_of and f.project_id = m.project_id
         where in_scope(f, $filters, $allowed_regions)) as n_entries_stored,
        cast(coalesce(sum(outstanding), 0) as decimal(18, 2)) as receivable_amount,
        cast(coalesce(sum(outstanding) filter (where days_past_due > 0), 0) as decimal(18, 2)) as overdue_amount,
        cast(coalesce(sum(outstanding) filter (where days_past_due > 90), 0) as decimal(18, 2)) as over_90_amount,
        count(distinct project_id) filter (where days_past_due > 0) as n_overdue_projects
    from scoped
)

select * from final
