-- query:  win_probabilities_history (run as `win_probabilities` with all_snapshots; the
--         one-snapshot form is win_probabilities.sql, the same definition computed for one
--         t — a property test holds the two equal at every snapshot)
-- grain:  one row per (snapshot t <= $as_of, open stage, grade); grades = every grade seen
--         in a snapshot <= t (null too when a project had none); open stages = every stage
--         but the last
-- params: $as_of date; $prior_strength double (k, domain.toml [forecast]);
--         $allowed_regions (the caller's access scope). No sidebar filters: a probability
--         is learned from every project the caller may see (head office: the whole
--         company; a regional manager: their regions), not from the current view.
-- output: as_of, stage, stage_order, grade, n_closed, n_won (the cell's evidence),
--         stage_n_closed, stage_n_won, stage_rate (every grade), probability
-- Definition (learned as of t, from snapshots <= t only):
--   a project counts for stage s when it was seen OPEN at s in some snapshot <= t and its
--   latest snapshot <= t says it is closed (won / lost / dropped); its grade is the one in
--   that latest snapshot. n_closed / n_won count such projects per (s, grade).
--   stage_rate = stage_n_won / stage_n_closed over every grade (null when none closed).
--   probability = (n_won + k * stage_rate) / (n_closed + k): the mean of the Beta
--   posterior with the prior Beta(k * stage_rate, k * (1 - stage_rate)), i.e. the cell's
--   own rate shrunk toward the stage's rate by k pseudo-projects. Null when stage_rate is
--   null (nothing at that stage has closed yet by t): such projects are "unpriced".
-- How: each project's (outcome, grade) is a run of snapshots until it changes; a
--   (project, stage) pair counts at every snapshot t within a closed run and after the
--   first open sighting at s. Counted once per snapshot with running sums, so every t
--   costs one pass over the history, not one pass each (the back-test needs them all).
with snapshots as (
    select distinct as_of from project_facts where as_of <= $as_of
),

stages as (
    select stage, stage_order from cfg_stages
    where stage_order < (select stage_order from cfg_stages where role = 'won')
),

-- a grade is listed at t once a snapshot <= t has shown it (nothing at t comes from later)
grades as (
    select grade, min(as_of) as first_on from project_facts
    where as_of <= $as_of and allowed_region(project_facts, $allowed_regions)
    group by grade
),

history as (
    select project_id, as_of, outcome, grade, cur_stage
    from project_facts
    where as_of <= $as_of and allowed_region(project_facts, $allowed_regions)
),

-- the first snapshot each project was seen open at each stage
first_open as (
    select project_id, cur_stage as stage, min(as_of) as seen_on
    from history
    where outcome = 'open' and cur_stage is not null
    group by project_id, cur_stage
),

marked as (
    select
        project_id,
        as_of,
        outcome,
        grade,
        outcome is distinct from lag(outcome) over w or grade is distinct from lag(grade) over w as starts_run
    from history
    window w as (partition by project_id order by as_of)
),

runs as (
    select
        project_id,
        outcome,
        grade,
        as_of as run_from,
        lead(as_of) over (partition by project_id order by as_of) as run_until  -- exclusive; null = still
    from marked
    where starts_run
),

counted_spans as (
    select
        f.stage,
        r.grade,
        r.outcome = 'won' as is_won,
        greatest(f.seen_on, r.run_from) as span_from,
        r.run_until as span_until
    from first_open as f
    inner join runs as r on r.project_id = f.project_id
    where r.outcome in ('won', 'lost', 'dropped')
      and (r.run_until is null or greatest(f.seen_on, r.run_from) < r.run_until)
),

steps as (
    select stage, grade, span_from as on_date, 1 as n, case when is_won then 1 else 0 end as w
    from counted_spans
    union all
    select stage, grade, span_until as on_date, -1 as n, case when is_won then -1 else 0 end as w
    from counted_spans
    where span_until is not null
),

daily as (
    select stage, grade, on_date, sum(n) as n, sum(w) as w
    from steps
    group by stage, grade, on_date
),

cells as (
    select
        t.as_of,
        s.stage,
        s.stage_order,
        g.grade,
        coalesce(sum(d.n), 0) as n_closed,
        coalesce(sum(d.w), 0) as n_won
    from snapshots as t
    cross join stages as s
    inner join grades as g on g.first_on <= t.as_of
    left join daily as d
        on d.stage = s.stage and d.grade is not distinct from g.grade and d.on_date <= t.as_of
    group by t.as_of, s.stage, s.stage_order, g.grade
),

with_stage as (
    select
        *,
        sum(n_closed) over (partition by as_of, stage) as stage_n_closed,
        sum(n_won) over (partition by as_of, stage) as stage_n_won
    from cells
),

final as (
    select
        as_of,
        stage,
        stage_order,
        grade,
        cast(n_closed as bigint) as n_closed,
        cast(n_won as bigint) as n_won,
        cast(stage_n_closed as bigint) as stage_n_closed,
        cast(stage_n_won as bigint) as stage_n_won,
        stage_n_won / nullif(stage_n_closed, 0) as stage_rate,
        (n_won + cast($prior_strength as double) * (stage_n_won / nullif(stage_n_closed, 0)))
            / (n_closed + cast($prior_strength as double)) as probability
    from with_stage
)

select * from final order by as_of, stage_order, grade nulls last
