-- query:  project_money
-- grain:  one row per money entry of the project $project_id (contract, invoices, payments),
--         in date order; nothing when the project is out of scope (project_in_scope)
-- params: $project_id; $as_of date; the filter lists
-- output: entry, on_date, due_on, amount, invoiced_to_date, collected_to_date (running sums
--         of the entries up to and including the row, in date order), receivable_to_date
with entries as (
    select entry, on_date, due_on, amount, source_row
    from stg_money
    where project_id = $project_id and (on_date is null or on_date <= $as_of)
      and project_in_scope($project_id, $as_of, $filters, $allowed_regions)
),

running as (
    select
        entry, on_date, due_on, amount,
        sum(case when entry = 'invoice' then amount else 0 end)
            over (order by on_date nulls first, source_row rows between unbounded preceding and current row) as invoiced_to_date,
        sum(case when entry = 'payment' then amount else 0 end)
            over (order by on_date nulls first, source_row rows between unbounded preceding and current row) as collected_to_date
    from entries
),

final as (
    select *, invoiced_to_date - collected_to_date as receivable_to_date
    from running
)

select * from final order by on_date nulls first, entry
