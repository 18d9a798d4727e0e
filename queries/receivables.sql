-- query:  receivables
-- grain:  one row per invoice still (partly) unpaid at $as_of, of a project in scope
-- params: $as_of date; $filters (a list per dimension)
-- output: project_id, project_name, customer, grade, region, owner, invoice_on, due_on,
--         invoiced_amount (the invoice), outstanding_amount, days_past_due, receivable_bucket
--         (not_due | 0-30 | 31-60 | 61-90 | >90 days past the agreed date)
with final as (
    select
        i.project_id, f.project_name, f.customer, f.grade, f.region, f.owner,
        i.on_date as invoice_on, i.due_on,
        cast(i.amount as decimal(18, 2)) as invoiced_amount,
        cast(i.outstanding as decimal(18, 2)) as outstanding_amount,
        i.days_past_due,
        case
            when i.days_past_due <= 0 then 'not_due'
            when i.days_past_due <= 30 then '0-30'
            when i.days_past_due <= 60 then '31-60'
            when i.days_past_due <= 90 then '61-90'
            else '>90'
        end as receivable_bucket
    from open_invoices($as_of) as i
    left join project_facts as f on f.as_of = $as_of and f.project_id = i.project_id
    where i.outstanding > 0
      and in_scope(f, $filters, $allowed_regions)
)

select * from final order by days_past_due desc, outstanding_amount desc, project_id
