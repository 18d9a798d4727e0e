-- query:  learned_counts_history (a table macro; learned_counts at every snapshot at once)
-- grain:  one row per (snapshot t' <= t, scope, open stage, grade); grades = every grade
--         seen in the scope's rows <= t' (null too); open stages = every stage but the last
-- params: (as macro arguments) t date; by_region boolean; allowed_regions varchar[]
-- output: the columns of learned_counts (scope, as_of, stage, stage_order, grade, n_closed,
--         n_won, stage_n_closed, stage_n_won), each snapshot's rows learned from rows <= it
-- Definition: learned_counts' at each snapshot (a property test holds the two equal).
-- How: each project's (outcome, grade) in its scope is a run of rows until it changes; a
--   (project, stage) pair counts at every snapshot within a closed run and after the first
--   open sighting at s. Counted once per snapshot with running sums, so every t' costs one
--   pass over the history, not one pass each (the back-test and a rebuild need them all).
create or replace macro learned_counts_history(t, by_region, allowed_regions) as table
with history as (
    select * from learned_rows(t, by_region, allowed_regions)
),

snapshots as (
    select distinct as_of from project_facts where as_of <= t
),

stages as (
    select stage, stage_order from cfg_stages
    where stage_order < (select stage_order from cfg_stages where role = 'won')
),

-- a grade is listed at t' once a row <= t' of the scope has shown it
grades as (
    select scope, grade, min(as_of) as first_on from history group by scope, grade
),

-- the first snapshot each project was seen open at each stage
first_open as (
    select scope, project_id, cur_stage as stage, min(as_of) as seen_on
    from history
    where outcome = 'open' and cur_stage is not null
    group by scope, project_id, cur_stage
),

marked as (
    select
        scope,
        project_id,
        as_of,
        outcome,
        grade,
        outcome is distinct from lag(outcome) over w or grade is distinct from lag(grade) over w as starts_run
    from history
    window w as (partition by scope, project_id order by as_of)
),

runs as (
    select
        scope,
        project_id,
        outcome,
        grade,
        as_of as run_from,
        lead(as_of) over (partition by scope, project_id order by as_of) as run_until  -- exclusive; null = still
    from marked
    where starts_run
),

counted_spans as (
    select
        f.scope,
        f.stage,
        r.grade,
        r.outcome = 'won' as is_won,
        greatest(f.seen_on, r.run_from) as span_from,
        r.run_until as span_until
    from first_open as f
    inner join runs as r on r.scope = f.scope and r.project_id = f.project_id
    where r.outcome in ('won', 'lost', 'dropped')
      and (r.run_until is null or greatest(f.seen_on, r.run_from) < r.run_until)
),

steps as (
    select scope, stage, grade, span_from as on_date, 1 as n, case when is_won then 1 else 0 end as w
    from counted_spans
    union all
    select scope, stage, grade, span_until as on_date, -1 as n, case when is_won then -1 else 0 end as w
    from counted_spans
    where span_until is not null
),

daily as (
    select scope, stage, grade, on_date, sum(n) as n, sum(w) as w
    from steps
    group by scope, stage, grade, on_date
),

cells as (
    select
        g.scope,
        sn.as_of,
        s.stage,
        s.stage_order,
        g.grade,
        coalesce(sum(d.n), 0) as n_closed,
        coalesce(sum(d.w), 0) as n_won
    from snapshots as sn
    cross join stages as s
    inner join grades as g on g.first_on <= sn.as_of
    left join daily as d
        on d.scope = g.scope and d.stage = s.stage and d.grade is not distinct from g.grade and d.on_date <= sn.as_of
    group by g.scope, sn.as_of, s.stage, s.stage_order, g.grade
)

select
    scope,
    as_of,
    stage,
    stage_order,
    grade,
    cast(n_closed as bigint) as n_closed,
    cast(n_won as bigint) as n_won,
    cast(sum(n_closed) over (partition by scope, as_of, stage) as bigint) as stage_n_closed,
    cast(sum(n_won) over (partition by scope, as_of, stage) as bigint) as stage_n_won
from cells
