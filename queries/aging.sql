-- query:  aging
-- grain:  one row per project in progress in the $as_of snapshot (outcome open, or won
--         and still in delivery, i.e. not completed)
-- params: $as_of date; the filter lists; $project_id varchar | null (null = all);
--         thresholds: $age_stages varchar[] + $age_days integer[] (limit per stage),
--         $age_override_grades, $age_override_stages varchar[] + $age_override_days integer[]
--         $limit integer | null (null = every row; the first N in the order shown)
-- output: project_id, project_name, region, grade, owner, category, stage, entered_on,
--         days_in_stage, aging_bucket, limit_days, is_stalled, days_over_limit,
--         expected_amount, status, outcome (open, or won: signed and still in implementation)
-- Definitions: days_in_stage = date_diff('day', entered_on, $as_of) where entered_on is
--   when this stay in the current stage began (after a fall-back: the fall-back date).
--   Buckets 0-30, 31-60, 61-90, >90. is_stalled = days_in_stage > limit_days (the grade's
--   override when configured, else the stage's limit). Sorted stalled first, worst first.
with limits as (
    select * from stage_limits($age_stages, $age_days, $age_override_grades, $age_override_stages, $age_override_days)
),

scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and (outcome = 'open' or (outcome = 'won' and status <> 'completed'))
      and (cast($project_id as varchar) is null or project_id = $project_id)
      and in_scope(project_facts, $filters, $allowed_regions)
),

aged as (
    select
        s.*,
        date_diff('day', s.cur_entered_on, s.as_of) as days_in_stage,
        coalesce(g.limit_days, l.limit_days) as limit_days
    from scoped as s
    left join limits as l on l.stage = s.cur_stage and l.grade is null
    left join limits as g on g.stage = s.cur_stage and g.grade = s.grade
),

final as (
    select
        project_id,
        project_name,
        region,
        grade,
        owner,
        category,
        cur_stage as stage,
        cur_entered_on as entered_on,
        days_in_stage,
        case
            when days_in_stage <= 30 then '0-30'
            when days_in_stage <= 60 then '31-60'
            when days_in_stage <= 90 then '61-90'
            when days_in_stage > 90 then '>90'
        end as aging_bucket,
        limit_days,
        coalesce(days_in_stage > limit_days, false) as is_stalled,
        days_in_stage - limit_days as days_over_limit,
        expected_amount,
        status,
        outcome
    from aged
)

select * from final order by is_stalled desc, days_over_limit desc nulls last, project_id
limit $limit
