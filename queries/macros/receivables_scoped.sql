-- query:  receivables_scoped (a table macro: receivables_scoped(at_date, filters, allowed_regions))
-- grain:  one row per invoice still (partly) unpaid at at_date (open_invoices) of a project in
--         scope at the snapshot at_date
-- params: (as macro arguments) the snapshot date, the filter struct, the access scope
-- output: project_id, amount, on_date, due_on, outstanding, days_past_due, bucket_order
--         (0 not yet due, 1 0–30, 2 31–60, 3 61–90, 4 > 90 days past the agreed date), and f:
--         the project's project_facts row at at_date (a struct; null for a project in no
--         snapshot, seen only by a company-wide scope)
-- why:    one definition of "the receivables in scope" and of their aging bucket for
--         `receivables`, `receivables_aging` and `collections_summary`.
create or replace macro receivables_scoped(at_date, filters, allowed_regions) as table
select
    i.project_id, i.amount, i.on_date, i.due_on, i.outstanding, i.days_past_due,
    case
        when i.days_past_due <= 0 then 0
        when i.days_past_due <= 30 then 1
        when i.days_past_due <= 60 then 2
        when i.days_past_due <= 90 then 3
        else 4
    end as bucket_order,
    f
from open_invoices(at_date) as i
left join project_facts as f on f.as_of = cast(at_date as date) and f.project_id = i.project_id
where i.outstanding > 0
    and in_scope(f, filters, allowed_regions)
