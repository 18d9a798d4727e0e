-- query:  open_invoices (a table macro: open_invoices(at_date))
-- grain:  one row per invoice dated on or before at_date (every project)
-- params: (as a macro argument) at_date: the review date
-- output: project_id, amount, on_date, due_on, source_row, outstanding (what is still
--         unpaid of it at at_date), days_past_due (at_date − due_on; negative = not yet due)
-- why:    payments are not tied to invoices in the files, so they are applied first in,
--         first out: the payments made by at_date pay the project's invoices in the order
--         of their agreed dates (then invoice dates). An invoice is outstanding by what the
--         payments leave of it: least(amount, cumulative invoiced − paid), at least 0.
create or replace macro open_invoices(at_date) as table
with invoices as (
    select project_id, amount, on_date, due_on, source_row,
        sum(amount) over (partition by project_id order by due_on, on_date, source_row
                          rows between unbounded preceding and current row) as cumulative
    from stg_money
    where entry = 'invoice' and on_date <= cast(at_date as date)
),

paid as (
    select project_id, sum(amount) as paid
    from stg_money
    where entry = 'payment' and on_date <= cast(at_date as date)
    group by project_id
)

select i.project_id, i.amount, i.on_date, i.due_on, i.source_row,
    greatest(0, least(i.amount, i.cumulative - coalesce(p.paid, 0))) as outstanding,
    date_diff('day', i.due_on, cast(at_date as date)) as days_past_due
from invoices as i
left join paid as p on p.project_id = i.project_id
