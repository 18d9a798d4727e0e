-- query:  four_visits
-- grain:  one row per bucket of visits before the decision (0, 1, 2, 3, 4, 5+) over the
--         projects closed (won, lost or dropped) by the snapshot $as_of, in scope
-- params: $as_of date; $filters (a list per dimension)
-- output: bucket ('0' … '4', '5+'), bucket_order (0 … 5), n_closed, n_won, n_lost (lost or
--         dropped), win_rate = n_won / n_closed
-- visits before the decision = the visits matched to the project made on or before its
--   closed_on (won: the day it entered 工程实施, else the first snapshot seen closed).
with closed as (
    select project_id, outcome, closed_on
    from project_facts
    where as_of = $as_of and outcome in ('won', 'lost', 'dropped') and closed_on is not null
      and in_scope(project_facts, $filters, $allowed_regions)
),

counted as (
    select c.project_id, c.outcome,
        coalesce(len(list_filter(v.visit_days, lambda d: d <= c.closed_on)), 0) as n_visits
    from closed as c
    left join visit_projects as v on v.project_id = c.project_id
),

buckets as (
    select least(n_visits, 5) as n_capped, outcome from counted
),

final as (
    select
        case when n_capped >= 5 then '5+' else cast(n_capped as varchar) end as bucket,
        n_capped as bucket_order,
        count(*) as n_closed,
        count(*) filter (where outcome = 'won') as n_won,
        count(*) filter (where outcome <> 'won') as n_lost,
        count(*) filter (where outcome = 'won') / count(*) as win_rate
    from buckets
    group by n_capped
)

select * from final order by bucket_order
