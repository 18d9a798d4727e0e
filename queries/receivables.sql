-- query:  receivables
-- grain:  one row per invoice still (partly) unpaid at $as_of, of a project in scope
-- params: $as_of date; $filters (a list per dimension)
-- output: project_id, project_name, customer, grade, region, owner, invoice_on, due_on,
--         invoiced_amount (the invoice), outstanding_amount, days_past_due, receivable_bucket
--         (not_due | 0-30 | 31-60 | 61-90 | >90 days past the agreed date)
-- Definitions: queries/macros/receivables_scoped.sql.
with final as (
    select
        project_id, f.project_name, f.customer, f.grade, f.region, f.owner,
        on_date as invoice_on, due_on,
        cast(amount as decimal(18, 2)) as invoiced_amount,
        cast(outstanding as decimal(18, 2)) as outstanding_amount,
        days_past_due,
        ['not_due', '0-30', '31-60', '61-90', '>90'][bucket_order + 1] as receivable_bucket
    from receivables_scoped($as_of, $filters, $allowed_regions)
)

select * from final order by days_past_due desc, outstanding_amount desc, project_id
