-- query:  backtest
-- grain:  one row per (snapshot t <= $as_of, period kind): the forecast snapshot t would
--         have made for the NEXT calendar month / quarter after t's, against what was won
-- params: $as_of date (the truth is read as of it); the filter lists; the learned
--         probabilities of every snapshot as parallel lists $p_as_of date[], $p_stage
--         varchar[], $p_grade varchar[], $p_value double[] (win_probabilities with
--         all_snapshots: P at t learned from snapshots <= t only; the runner binds them)
-- output: made_on (t), period_kind, period, period_start, period_end, n_pipeline, pipeline,
--         weighted, n_unpriced, n_won, actual, error, abs_pct_error, is_complete
-- Definitions:
--   predicted (at t): open projects in snapshot t with expected_sign_on in the period,
--     filters on their attributes at t: pipeline = sum of expected amounts, weighted =
--     sum of amount x P_t(stage at t, grade at t) (unpriced projects add 0)
--   actual: won projects with closed_on in the period as known at $as_of (each project's
--     latest snapshot <= $as_of; filters on its attributes there): contract amount, else
--     expected amount — including projects that did not exist yet at t
--   error = weighted - actual; abs_pct_error = |error| / actual (null when actual = 0)
--   is_complete: the period ended on or before $as_of (else actual is still growing)
with snapshots as (
    select distinct as_of from project_facts where as_of <= $as_of
),

targets as (
    select
        s.as_of as made_on,
        k.kind as period_kind,
        period_start(s.as_of, k.kind, 1) as period_start,
        period_start(s.as_of, k.kind, 2) as period_next
    from snapshots as s
    cross join (values ('month'), ('quarter')) as k (kind)
),

probabilities as (
    select * from learned_probabilities($p_as_of, $p_stage, $p_grade, $p_value)
),

open_rows as (
    select f.as_of, f.grade, f.cur_stage, f.expected_sign_on, coalesce(f.expected_amount, 0) as amount
    from project_facts as f
    where f.as_of <= $as_of
      and f.outcome = 'open'
      and f.expected_sign_on is not null
      and in_scope(f, $filters, $allowed_regions)
),

predicted as (
    select
        t.made_on,
        t.period_kind,
        count(*) as n_pipeline,
        sum(o.amount) as pipeline,
        coalesce(sum(o.amount * p.probability), 0) as weighted,
        count(*) filter (where p.probability is null) as n_unpriced
    from targets as t
    inner join open_rows as o
        on o.as_of = t.made_on and o.expected_sign_on >= t.period_start and o.expected_sign_on < t.period_next
    left join probabilities as p
        on p.as_of = o.as_of and p.stage = o.cur_stage and p.grade is not distinct from o.grade
    group by t.made_on, t.period_kind
),

latest as (
    select *
    from project_facts
    where as_of <= $as_of
    qualify row_number() over (partition by project_id order by as_of desc) = 1
),

won as (
    select closed_on, coalesce(contract_amount, expected_amount, 0) as amount
    from latest
    where outcome = 'won'
      and in_scope(latest, $filters, $allowed_regions)
),

actual as (
    select t.made_on, t.period_kind, count(*) as n_won, sum(w.amount) as actual
    from targets as t
    inner join won as w on w.closed_on >= t.period_start and w.closed_on < t.period_next
    group by t.made_on, t.period_kind
),

final as (
    select
        t.made_on,
        t.period_kind,
        period_label(t.period_kind, t.period_start) as period,
        t.period_start,
        cast(t.period_next - 1 as date) as period_end,
        coalesce(p.n_pipeline, 0) as n_pipeline,
        cast(coalesce(p.pipeline, 0) as decimal(38, 2)) as pipeline,
        cast(coalesce(p.weighted, 0) as double) as weighted,
        coalesce(p.n_unpriced, 0) as n_unpriced,
        coalesce(a.n_won, 0) as n_won,
        cast(coalesce(a.actual, 0) as decimal(38, 2)) as actual,
        cast(coalesce(p.weighted, 0) as double) - cast(coalesce(a.actual, 0) as double) as error,
        abs(cast(coalesce(p.weighted, 0) as double) - cast(a.actual as double)) / nullif(cast(a.actual as double), 0)
            as abs_pct_error,
        cast(t.period_next - 1 as date) <= cast($as_of as date) as is_complete
    from targets as t
    left join predicted as p on p.made_on = t.made_on and p.period_kind = t.period_kind
    left join actual as a on a.made_on = t.made_on and a.period_kind = t.period_kind
)

select * from final order by period_kind, made_on
