-- query:  forecast_projects (composed: the runner binds the learned probabilities)
-- grain:  one row per (project, period) behind the forecast's figures: an open project
--         for each period its expected sign date falls in, a won project for each period
--         its closed_on falls in; periods as in `forecast` (this/next month and quarter)
-- params: $as_of date; the filter lists; $p_as_of, $p_stage, $p_grade, $p_value (P at
--         $as_of); $commit_stages varchar[], $commit_stable_days integer, $best_case_stages
--         varchar[]
-- output: period_kind, period_offset, period, project_id, project_name, customer, region,
--         grade, owner, category, stage, outcome, expected_amount, expected_sign_on,
--         probability, weighted, is_commit, is_best_case, won_amount, closed_on
-- Definitions exactly as `forecast` (the same rules, per project: a test holds the sums of
--   this list equal to the forecast's figures). Sorted per period: won first, then the
--   largest weighted amount.
with periods as (
    select
        kind as period_kind,
        step as period_offset,
        period_start($as_of, kind, step) as period_start,
        period_start($as_of, kind, step + 1) as period_next
    from (values ('month'), ('quarter')) as k (kind)
    cross join (values (0), (1)) as o (step)
    where cast($as_of as date) is not null
),

probabilities as (
    select * from learned_probabilities($p_as_of, $p_stage, $p_grade, $p_value)
),

scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and outcome in ('open', 'won')
      and in_scope(project_facts, $filters, $allowed_regions)
),

recently_pushed as (
    select * from recently_pushed($as_of, $commit_stable_days)
),

rows as (
    select
        pe.period_kind,
        pe.period_offset,
        pe.period_start,
        s.*,
        case when s.outcome = 'open' then p.probability end as probability,
        s.outcome = 'open' and list_contains(cast($commit_stages as varchar[]), s.cur_stage)
            and r.project_id is null as is_commit,
        s.outcome = 'open' and list_contains(cast($best_case_stages as varchar[]), s.cur_stage) as is_best_case
    from scoped as s
    inner join periods as pe
        on (s.outcome = 'open' and s.expected_sign_on >= pe.period_start and s.expected_sign_on < pe.period_next)
        or (s.outcome = 'won' and s.closed_on <= $as_of
            and s.closed_on >= pe.period_start and s.closed_on < pe.period_next)
    left join probabilities as p
        on p.as_of = s.as_of and p.stage = s.cur_stage and p.grade is not distinct from s.grade
    left join recently_pushed as r on r.project_id = s.project_id
),

final as (
    select
        period_kind,
        period_offset,
        period_label(period_kind, period_start) as period,
        project_id,
        project_name,
        customer,
        region,
        grade,
        owner,
        category,
        cur_stage as stage,
        outcome,
        expected_amount,
        expected_sign_on,
        probability,
        case when outcome = 'open' then cast(coalesce(expected_amount, 0) as double) * probability end as weighted,
        is_commit,
        is_best_case,
        case when outcome = 'won' then coalesce(contract_amount, expected_amount, 0) end as won_amount,
        case when outcome = 'won' then closed_on end as closed_on
    from rows
)

select * from final
order by period_kind, period_offset, outcome = 'won' desc, weighted desc nulls last, expected_amount desc nulls last,
    project_id
