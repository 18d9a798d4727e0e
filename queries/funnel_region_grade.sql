-- query:  funnel_region_grade (the funnel page's region × grade heat map)
-- grain:  one row per (region, grade) present in the $as_of snapshot (after the filters)
-- params: $as_of date; $stage varchar (the stage whose reach is measured, e.g. 'tender');
--         $filters, $allowed_regions varchar[] (filters: empty = all; the access scope: ['*'] = all, [] = none)
-- output: region, grade, n_projects, n_open, open_amount, n_reached, reached_rate,
--         n_won, n_lost, n_dropped, n_closed, win_rate
-- Definitions: the same as `funnel` and `win_rate` per cell: n_reached = projects whose
--   furthest stage is at or past $stage (funnel's reached($stage)); reached_rate =
--   n_reached / n_projects (funnel's cumulative conversion at $stage); n_open and
--   open_amount count outcome 'open'; win_rate = won / (won + lost + dropped) over every
--   project closed up to $as_of (win_rate with since = null).
with target as (
    select stage_order from cfg_stages where stage = $stage
),

scoped as (
    select region, grade, outcome, closed_on, furthest_order, expected_amount
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

counted as (
    select
        region,
        grade,
        count(*) as n_projects,
        count(*) filter (where outcome = 'open') as n_open,
        coalesce(sum(expected_amount) filter (where outcome = 'open'), 0) as open_amount,
        count(*) filter (where furthest_order >= (select stage_order from target)) as n_reached,
        count(*) filter (where outcome = 'won' and closed_on <= $as_of) as n_won,
        count(*) filter (where outcome = 'lost' and closed_on <= $as_of) as n_lost,
        count(*) filter (where outcome = 'dropped' and closed_on <= $as_of) as n_dropped
    from scoped
    group by region, grade
),

final as (
    select
        region,
        grade,
        cast(n_projects as bigint) as n_projects,
        cast(n_open as bigint) as n_open,
        cast(open_amount as decimal(38, 2)) as open_amount,
        cast(n_reached as bigint) as n_reached,
        n_reached / nullif(n_projects, 0) as reached_rate,
        cast(n_won as bigint) as n_won,
        cast(n_lost as bigint) as n_lost,
        cast(n_dropped as bigint) as n_dropped,
        cast(n_won + n_lost + n_dropped as bigint) as n_closed,
        n_won / nullif(n_won + n_lost + n_dropped, 0) as win_rate
    from counted
)

select * from final order by region, grade
