-- query:  collections
-- grain:  one row per project with a money entry, in scope (by its row in the snapshot
--         $as_of; a project in no snapshot has no region and only a company-wide scope sees it)
-- params: $as_of date; the filter lists
-- output: project_id, project_name, customer, grade, region, owner, outcome, contract_amount
--         (the file's, else the snapshot's), invoiced_amount, collected_amount (entries dated
--         on or before $as_of), receivable_amount (invoiced − collected), overdue_amount
--         (outstanding invoices past their agreed date, first in first out), uninvoiced_amount
--         (contract − invoiced), last_payment_on, collected_share (collected / contract)
with money as (
    select project_id,
        sum(amount) filter (where entry = 'contract') as file_contract,
        coalesce(sum(amount) filter (where entry = 'invoice' and on_date <= $as_of), 0) as invoiced_amount,
        coalesce(sum(amount) filter (where entry = 'payment' and on_date <= $as_of), 0) as collected_amount,
        max(on_date) filter (where entry = 'payment' and on_date <= $as_of) as last_payment_on
    from stg_money
    group by project_id
),

overdue as (
    select project_id, sum(outstanding) as overdue_amount
    from open_invoices($as_of)
    where days_past_due > 0
    group by project_id
),

final as (
    select
        m.project_id, f.project_name, f.customer, f.grade, f.region, f.owner, f.outcome,
        cast(coalesce(m.file_contract, f.contract_amount) as decimal(18, 2)) as contract_amount,
        cast(m.invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(m.collected_amount as decimal(18, 2)) as collected_amount,
        cast(m.invoiced_amount - m.collected_amount as decimal(18, 2)) as receivable_amount,
        cast(coalesce(o.overdue_amount, 0) as decimal(18, 2)) as overdue_amount,
        cast(coalesce(m.file_contract, f.contract_amount) - m.invoiced_amount as decimal(18, 2)) as uninvoiced_amount,
        m.last_payment_on,
        cast(m.collected_amount as double) / nullif(cast(coalesce(m.file_contract, f.contract_amount) as double), 0)
            as collected_share
    from money as m
    left join project_facts as f on f.as_of = $as_of and f.project_id = m.project_id
    left join overdue as o on o.project_id = m.project_id
    where in_scope(f, $filters, $allowed_regions)
)

select * from final order by overdue_amount desc, receivable_amount desc, project_id
