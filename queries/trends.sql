-- query:  trends (composed: queries/composed.py adds n_margin_alerts per snapshot by
--         running `margin` at each one)
-- grain:  one row per snapshot t <= $as_of
-- params: $as_of date; the filter lists (on each project's attributes in snapshot t); the
--         learned probabilities of every snapshot $p_as_of, $p_stage, $p_grade, $p_value
--         (P at t from snapshots <= t); the stage age limits as in `aging`
-- output: as_of, n_open, pipeline, weighted, n_unpriced, n_won_week, won_week, n_closed,
--         n_won, win_rate, n_stalled
-- Definitions, each as the page of that figure defines it at snapshot t:
--   pipeline / weighted: open projects' expected amount / x P_t (forecast, all sign dates)
--   won_week: projects won with closed_on in (previous snapshot, t] (contract amount, else
--     expected amount); null on the first snapshot (no week before it)
--   win_rate: won / closed over every project in snapshot t closed by t (the weekly
--     review's win rate)
--   n_stalled: in progress (open, or won and not completed) with days in the current
--     stage > the limit (aging)
with limits as (
    select * from stage_limits($age_stages, $age_days, $age_override_grades, $age_override_stages, $age_override_days)
),

probabilities as (
    select * from learned_probabilities($p_as_of, $p_stage, $p_grade, $p_value)
),

snapshots as (
    select as_of, lag(as_of) over (order by as_of) as previous_as_of
    from (select distinct as_of from project_facts where as_of <= $as_of)
),

scoped as (
    select
        f.as_of,
        f.grade,
        f.cur_stage,
        f.outcome,
        f.status,
        f.closed_on,
        coalesce(f.expected_amount, 0) as amount,
        coalesce(f.contract_amount, f.expected_amount, 0) as won_amount,
        date_diff('day', f.cur_entered_on, f.as_of) as days_in_stage
    from project_facts as f
    where f.as_of <= $as_of
      and in_scope(f, $filters, $allowed_regions)
),

marked as (
    select
        s.*,
        sn.previous_as_of,
        p.probability,
        coalesce(g.limit_days, l.limit_days) as limit_days
    from scoped as s
    inner join snapshots as sn on sn.as_of = s.as_of
    left join probabilities as p
        on s.outcome = 'open' and p.as_of = s.as_of and p.stage = s.cur_stage and p.grade is not distinct from s.grade
    left join limits as l on l.stage = s.cur_stage and l.grade is null
    left join limits as g on g.stage = s.cur_stage and g.grade = s.grade
),

counted as (
    select
        as_of,
        any_value(previous_as_of) as previous_as_of,
        count(*) filter (where outcome = 'open') as n_open,
        coalesce(sum(amount) filter (where outcome = 'open'), 0) as pipeline,
        coalesce(sum(amount * probability) filter (where outcome = 'open'), 0) as weighted,
        count(*) filter (where outcome = 'open' and probability is null) as n_unpriced,
        count(*) filter (where outcome = 'won' and closed_on <= as_of and closed_on > previous_as_of) as n_won_week,
        coalesce(sum(won_amount) filter (where outcome = 'won' and closed_on <= as_of and closed_on > previous_as_of), 0)
            as won_week,
        count(*) filter (where outcome <> 'open' and closed_on <= as_of) as n_closed,
        count(*) filter (where outcome = 'won' and closed_on <= as_of) as n_won,
        count(*) filter (where (outcome = 'open' or (outcome = 'won' and status <> 'completed'))
                         and days_in_stage > limit_days) as n_stalled
    from marked
    group by as_of
),

final as (
    select
        sn.as_of,
        coalesce(c.n_open, 0) as n_open,
        cast(coalesce(c.pipeline, 0) as decimal(38, 2)) as pipeline,
        cast(coalesce(c.weighted, 0) as double) as weighted,
        coalesce(c.n_unpriced, 0) as n_unpriced,
        case when sn.previous_as_of is not null then coalesce(c.n_won_week, 0) end as n_won_week,
        case when sn.previous_as_of is not null then cast(coalesce(c.won_week, 0) as decimal(38, 2)) end as won_week,
        coalesce(c.n_closed, 0) as n_closed,
        coalesce(c.n_won, 0) as n_won,
        c.n_won / nullif(c.n_closed, 0) as win_rate,
        coalesce(c.n_stalled, 0) as n_stalled
    from snapshots as sn
    left join counted as c on c.as_of = sn.as_of
)

select * from final order by as_of
