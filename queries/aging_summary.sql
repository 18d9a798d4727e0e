-- query:  aging_summary
-- grain:  one row per stage (per segment when $by is given), in stage order: the first
--         screen's counts without fetching one row per project (see `aging` for the list)
-- params: $as_of date; the filter lists; $by varchar | null ('region' | 'grade' | 'owner' | 'category');
--         thresholds as in `aging`: $age_stages, $age_days, $age_override_grades,
--         $age_override_stages, $age_override_days
-- output: segment, stage, stage_order, n_in_progress, n_0_30, n_31_60, n_61_90, n_over_90,
--         n_stalled, stalled_expected_amount, max_days_in_stage
-- Definitions exactly as `aging` (in progress = open, or won and not completed; stalled =
--   days in the current stay > the grade's or the stage's limit); the counts equal
--   aggregating the `aging` list (a test holds them together).
with limits as (
    select unnest($age_stages) as stage, unnest($age_days) as limit_days
),

grade_limits as (
    select
        unnest(cast($age_override_grades as varchar[])) as grade,
        unnest(cast($age_override_stages as varchar[])) as stage,
        unnest(cast($age_override_days as integer[])) as limit_days
),

scoped as (
    select
        case $by
            when 'region' then f.region
            when 'grade' then f.grade
            when 'owner' then f.owner
            when 'category' then f.category
        end as segment,
        f.cur_stage,
        f.expected_amount,
        date_diff('day', f.cur_entered_on, f.as_of) as days_in_stage,
        coalesce(g.limit_days, l.limit_days) as limit_days
    from project_facts as f
    left join limits as l on l.stage = f.cur_stage
    left join grade_limits as g on g.stage = f.cur_stage and g.grade = f.grade
    where f.as_of = $as_of
      and (f.outcome = 'open' or (f.outcome = 'won' and f.status <> 'completed'))
      and (len($regions) = 0 or list_contains($regions, f.region))
      and (len($grades) = 0 or list_contains($grades, f.grade))
      and (len($owners) = 0 or list_contains($owners, f.owner))
      and (len($categories) = 0 or list_contains($categories, f.category))
      and (len($allowed_regions) = 0 or list_contains($allowed_regions, f.region))
),

counted as (
    select
        segment,
        cur_stage as stage,
        count(*) as n_in_progress,
        count(*) filter (where days_in_stage <= 30) as n_0_30,
        count(*) filter (where days_in_stage > 30 and days_in_stage <= 60) as n_31_60,
        count(*) filter (where days_in_stage > 60 and days_in_stage <= 90) as n_61_90,
        count(*) filter (where days_in_stage > 90) as n_over_90,
        count(*) filter (where days_in_stage > limit_days) as n_stalled,
        coalesce(sum(expected_amount) filter (where days_in_stage > limit_days), 0) as stalled_expected_amount,
        max(days_in_stage) as max_days_in_stage
    from scoped
    group by segment, cur_stage
),

final as (
    select
        c.segment,
        c.stage,
        s.stage_order,
        c.n_in_progress,
        c.n_0_30,
        c.n_31_60,
        c.n_61_90,
        c.n_over_90,
        c.n_stalled,
        cast(c.stalled_expected_amount as decimal(38, 2)) as stalled_expected_amount,
        c.max_days_in_stage
    from counted as c
    inner join cfg_stages as s on s.stage = c.stage
)

select * from final order by segment nulls first, stage_order
