-- query:  learned_counts (a table macro; the definition of the learned P(win | stage, grade))
-- grain:  one row per (scope, open stage, grade) at the snapshot t; grades = every grade
--         seen in the scope's rows <= t (null too when a project had none); open stages =
--         every stage but the last
-- params: (as macro arguments) t date; by_region boolean; allowed_regions varchar[]
--         (the caller's access scope, as allowed_region reads it)
-- output: scope ('*' = every row the caller may see; with by_region, one scope per region:
--         only that region's rows, as a caller allowed that one region sees them), as_of,
--         stage, stage_order, grade, n_closed, n_won (the cell's evidence), stage_n_closed,
--         stage_n_won (every grade)
-- Definition (docs/ANALYSES.md "Forecast"): a project counts for stage s when some row <= t
--   of the scope showed it OPEN at s and its latest row <= t of the scope says it is closed
--   (won / lost / dropped); its grade is the one in that latest row. The probability is
--   learned_probability() of these counts.
-- why:    the one-snapshot form (one aggregate per project, ~4x faster than the history
--         form's windows); queries/derived.py keeps its rows at import (win_counts) for the
--         company ('*') and for each region, so the pages read a few rows; win_probabilities
--         computes it at query time for any other scope.
create or replace macro learned_counts(t, by_region, allowed_regions) as table
with history as (
    select * from learned_rows(t, by_region, allowed_regions)
),

stages as (
    select stage, stage_order from cfg_stages
    where stage_order < (select stage_order from cfg_stages where role = 'won')
),

grades as (
    select distinct scope, grade from history
),

-- each project's state at t in its scope: its latest row <= t (arg_max_null keeps a null grade)
state as (
    select scope, project_id, arg_max(outcome, as_of) as outcome, arg_max_null(grade, as_of) as grade
    from history
    group by scope, project_id
),

closed as (
    select * from state where outcome in ('won', 'lost', 'dropped')
),

seen_open as (
    select distinct h.scope, h.project_id, h.cur_stage as stage
    from history as h
    semi join closed as c on c.scope = h.scope and c.project_id = h.project_id
    where h.outcome = 'open' and h.cur_stage is not null
),

counted as (
    select o.scope, o.stage, c.grade, count(*) as n_closed, count(*) filter (where c.outcome = 'won') as n_won
    from seen_open as o
    inner join closed as c on c.scope = o.scope and c.project_id = o.project_id
    group by o.scope, o.stage, c.grade
),

cells as (
    select
        g.scope,
        cast(t as date) as as_of,
        s.stage,
        s.stage_order,
        g.grade,
        coalesce(n.n_closed, 0) as n_closed,
        coalesce(n.n_won, 0) as n_won
    from stages as s
    cross join grades as g
    left join counted as n on n.scope = g.scope and n.stage = s.stage and n.grade is not distinct from g.grade
)

select
    scope,
    as_of,
    stage,
    stage_order,
    grade,
    cast(n_closed as bigint) as n_closed,
    cast(n_won as bigint) as n_won,
    cast(sum(n_closed) over (partition by scope, stage) as bigint) as stage_n_closed,
    cast(sum(n_won) over (partition by scope, stage) as bigint) as stage_n_won
from cells
