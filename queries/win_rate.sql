-- query:  win_rate
-- grain:  one row (per segment when $by is given)
-- params: $as_of date; $since date | null (null = all history); the filter lists;
--         $by varchar | null ('region' | 'grade' | 'owner' | 'category')
-- output: segment, since, as_of, n_won, n_lost, n_dropped, n_closed, win_rate, won_amount
-- Definition: among projects in the $as_of snapshot that are closed (won = entered
--   delivery; lost; dropped) with closed_on in ($since, $as_of] — or all closed ones when
--   $since is null — win_rate = won / (won + lost + dropped). won_amount sums the contract
--   amount (else the expected amount) of the won ones.
with scoped as (
    select
        segment_of(project_facts, $by) as segment,
        outcome,
        coalesce(contract_amount, expected_amount) as amount
    from project_facts
    where as_of = $as_of
      and outcome <> 'open'
      and closed_on <= $as_of
      and (cast($since as date) is null or closed_on > cast($since as date))
      and in_scope(project_facts, $filters, $allowed_regions)
),

segments as (
    select distinct segment from scoped
    union
    select null as segment where cast($by as varchar) is null
),

counted as (
    select
        s.segment,
        count(c.outcome) filter (where c.outcome = 'won') as n_won,
        count(c.outcome) filter (where c.outcome = 'lost') as n_lost,
        count(c.outcome) filter (where c.outcome = 'dropped') as n_dropped,
        count(c.outcome) as n_closed,
        coalesce(sum(c.amount) filter (where c.outcome = 'won'), 0) as won_amount
    from segments as s
    left join scoped as c on c.segment is not distinct from s.segment
    group by s.segment
),

final as (
    select
        segment,
        cast($since as date) as since,
        cast($as_of as date) as as_of,
        n_won,
        n_lost,
        n_dropped,
        n_closed,
        n_won / nullif(n_closed, 0) as win_rate,
        cast(won_amount as decimal(38, 2)) as won_amount
    from counted
)

select * from final order by segment nulls first
