-- query:  forecast
-- grain:  one row per (period, segment): periods = the current and the next calendar month
--         and quarter of $as_of (4 rows; per segment when $by is given, every period for
--         every segment)
-- params: $as_of date; the filter lists; $by varchar | null; the learned probabilities
--         at $as_of as parallel lists $p_as_of date[], $p_stage varchar[], $p_grade
--         varchar[], $p_value double[] (query win_probabilities; the runner binds them);
--         [forecast] settings $commit_stages varchar[], $commit_stable_days integer,
--         $best_case_stages varchar[]
-- output: segment, n_in_scope (projects of the segment in the snapshot, any outcome),
--         period_kind (month | quarter), period_offset (0 current, 1 next),
--         period (2026-11, 2026-Q4), period_start, period_end (inclusive),
--         n_pipeline, pipeline, weighted, n_unpriced, unpriced_amount, n_commit, commit_amount,
--         n_best_case, best_case, n_won, won, expected_total
-- Definitions (scope: projects in the $as_of snapshot, filters on their attributes there):
--   pipeline    open projects with expected_sign_on in [period_start, period_end]:
--               count and sum of expected_amount (null = 0)
--   weighted    sum of expected_amount x P(win | current stage, grade) learned as of
--               $as_of; a project without a learned P (its stage has no closed history)
--               adds 0 and is counted in n_unpriced / unpriced_amount instead
--   commit_amount  pipeline projects at a commit stage whose sign date was not pushed out in
--               a snapshot pair dated within the last $commit_stable_days days
--   best_case   pipeline projects at a best-case stage (commit is part of it)
--   won         won projects (entered delivery) with closed_on in the period, up to
--               $as_of: contract amount, else expected amount
--   expected_total = won + weighted
with periods as (
    select
        kind as period_kind,
        step as period_offset,
        period_start($as_of, kind, step) as period_start,
        period_start($as_of, kind, step + 1) as period_next
    from (values ('month'), ('quarter')) as k (kind)
    cross join (values (0), (1)) as o (step)
    where cast($as_of as date) is not null  -- an empty database: no periods, no rows
),

probabilities as (
    select * from learned_probabilities($p_as_of, $p_stage, $p_grade, $p_value)
),

scoped as (
    select
        segment_of(project_facts, $by) as segment,
        project_id,
        as_of,
        grade,
        cur_stage,
        outcome,
        expected_sign_on,
        coalesce(expected_amount, 0) as amount,
        coalesce(contract_amount, expected_amount, 0) as won_amount,
        closed_on
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

-- sign date pushed out (consecutive snapshots, open in both) within the stable window
recently_pushed as (
    select * from recently_pushed($as_of, $commit_stable_days)
),

open_priced as (
    select
        s.*,
        p.probability,
        list_contains(cast($commit_stages as varchar[]), s.cur_stage) and r.project_id is null as is_commit,
        list_contains(cast($best_case_stages as varchar[]), s.cur_stage) as is_best_case
    from scoped as s
    left join probabilities as p
        on p.as_of = s.as_of and p.stage = s.cur_stage and p.grade is not distinct from s.grade
    left join recently_pushed as r on r.project_id = s.project_id
    where s.outcome = 'open'
),

segments as (
    select segment, count(*) as n_in_scope from scoped group by segment
    union all
    select null as segment, 0 as n_in_scope
    where cast($by as varchar) is null and not exists (select 1 from scoped)
),

pipeline as (
    select
        o.segment,
        pe.period_kind,
        pe.period_offset,
        count(*) as n_pipeline,
        sum(o.amount) as pipeline,
        coalesce(sum(o.amount * o.probability), 0) as weighted,
        count(*) filter (where o.probability is null) as n_unpriced,
        coalesce(sum(o.amount) filter (where o.probability is null), 0) as unpriced_amount,
        count(*) filter (where o.is_commit) as n_commit,
        coalesce(sum(o.amount) filter (where o.is_commit), 0) as commit_amount,
        count(*) filter (where o.is_best_case) as n_best_case,
        coalesce(sum(o.amount) filter (where o.is_best_case), 0) as best_case
    from open_priced as o
    inner join periods as pe
        on o.expected_sign_on >= pe.period_start and o.expected_sign_on < pe.period_next
    group by o.segment, pe.period_kind, pe.period_offset
),

won as (
    select
        s.segment,
        pe.period_kind,
        pe.period_offset,
        count(*) as n_won,
        sum(s.won_amount) as won
    from scoped as s
    inner join periods as pe
        on s.closed_on >= pe.period_start and s.closed_on < pe.period_next
    where s.outcome = 'won' and s.closed_on <= $as_of
    group by s.segment, pe.period_kind, pe.period_offset
),

final as (
    select
        sg.segment,
        sg.n_in_scope,
        pe.period_kind,
        pe.period_offset,
        period_label(pe.period_kind, pe.period_start) as period,
        pe.period_start,
        cast(pe.period_next - 1 as date) as period_end,
        coalesce(p.n_pipeline, 0) as n_pipeline,
        cast(coalesce(p.pipeline, 0) as decimal(38, 2)) as pipeline,
        cast(coalesce(p.weighted, 0) as double) as weighted,
        coalesce(p.n_unpriced, 0) as n_unpriced,
        cast(coalesce(p.unpriced_amount, 0) as decimal(38, 2)) as unpriced_amount,
        coalesce(p.n_commit, 0) as n_commit,
        cast(coalesce(p.commit_amount, 0) as decimal(38, 2)) as commit_amount,
        coalesce(p.n_best_case, 0) as n_best_case,
        cast(coalesce(p.best_case, 0) as decimal(38, 2)) as best_case,
        coalesce(w.n_won, 0) as n_won,
        cast(coalesce(w.won, 0) as decimal(38, 2)) as won,
        cast(coalesce(w.won, 0) as double) + cast(coalesce(p.weighted, 0) as double) as expected_total
    from segments as sg
    cross join periods as pe
    left join pipeline as p
        on p.segment is not distinct from sg.segment
       and p.period_kind = pe.period_kind and p.period_offset = pe.period_offset
    left join won as w
        on w.segment is not distinct from sg.segment
       and w.period_kind = pe.period_kind and w.period_offset = pe.period_offset
)

select * from final
order by segment nulls first, period_kind, period_offset
