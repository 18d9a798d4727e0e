-- query:  won_uncollected
-- grain:  one row per project won (outcome won at the snapshot $as_of) at least
--         $won_uncollected_days days before $as_of with nothing collected by $as_of, in scope
-- params: $as_of date; the filter lists; $won_uncollected_days (domain.toml [collections])
-- output: project_id, project_name, customer, grade, region, owner, won_on (closed_on),
--         days_since_won, contract_amount (the file's, else the snapshot's), invoiced_amount
with money as (
    select project_id,
        sum(amount) filter (where entry = 'contract') as file_contract,
        coalesce(sum(amount) filter (where entry = 'invoice' and on_date <= $as_of), 0) as invoiced_amount,
        coalesce(sum(amount) filter (where entry = 'payment' and on_date <= $as_of), 0) as collected_amount
    from stg_money
    group by project_id
),

final as (
    select
        f.project_id, f.project_name, f.customer, f.grade, f.region, f.owner,
        f.closed_on as won_on,
        date_diff('day', f.closed_on, cast($as_of as date)) as days_since_won,
        cast(coalesce(m.file_contract, f.contract_amount, f.expected_amount) as decimal(18, 2)) as contract_amount,
        cast(coalesce(m.invoiced_amount, 0) as decimal(18, 2)) as invoiced_amount
    from project_facts as f
    left join money as m on m.project_id = f.project_id
    where f.as_of = $as_of and f.outcome = 'won' and f.closed_on is not null
      and date_diff('day', f.closed_on, cast($as_of as date)) >= cast($won_uncollected_days as integer)
      and coalesce(m.collected_amount, 0) = 0
      and in_scope(f, $filters, $allowed_regions)
)

select * from final order by days_since_won desc, contract_amount desc nulls last, project_id
