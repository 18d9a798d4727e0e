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
    select * from stage_limits($age_stages, $age_days, $age_override_grades, $age_override_stages, $age_override_days)
),

scoped as (
    select
        segment_of(project_facts, $by) as segment,
        cur_stage,
        grade,
        date_diff('day', cur_entered_on, as_of) as days_in_stage,
        expected_amount
    from project_facts
    where as_of = $as_of
      and (outcome = 'open' or (outcome = 'won' and status <> 'completed'))
      and in_scope(project_facts, $filters, $allowed_regions)
),

-- a few thousand (segment, stage, grade, days) groups: the limits join runs on these
grouped as (
    select segment, cur_stage, grade, days_in_stage, count(*) as n, sum(expected_amount) as amount
    from scoped
    group by all
),

limited as (
    select gr.*, coalesce(g.limit_days, l.limit_days) as limit_days
    from grouped as gr
    left join limits as l on l.stage = gr.cur_stage and l.grade is null
    left join limits as g on g.stage = gr.cur_stage and g.grade = gr.grade
),

counted as (
    select
        segment,
        cur_stage as stage,
        sum(n) as n_in_progress,
        coalesce(sum(n) filter (where days_in_stage <= 30), 0) as n_0_30,
        coalesce(sum(n) filter (where days_in_stage > 30 and days_in_stage <= 60), 0) as n_31_60,
        coalesce(sum(n) filter (where days_in_stage > 60 and days_in_stage <= 90), 0) as n_61_90,
        coalesce(sum(n) filter (where days_in_stage > 90), 0) as n_over_90,
        coalesce(sum(n) filter (where days_in_stage > limit_days), 0) as n_stalled,
        coalesce(sum(amount) filter (where days_in_stage > limit_days), 0) as stalled_expected_amount,
        max(days_in_stage) as max_days_in_stage
    from limited
    group by segment, cur_stage
),

final as (
    select
        c.segment,
        c.stage,
        s.stage_order,
        cast(c.n_in_progress as bigint) as n_in_progress,
        cast(c.n_0_30 as bigint) as n_0_30,
        cast(c.n_31_60 as bigint) as n_31_60,
        cast(c.n_61_90 as bigint) as n_61_90,
        cast(c.n_over_90 as bigint) as n_over_90,
        cast(c.n_stalled as bigint) as n_stalled,
        cast(c.stalled_expected_amount as decimal(38, 2)) as stalled_expected_amount,
        c.max_days_in_stage
    from counted as c
    inner join cfg_stages as s on s.stage = c.stage
)

select * from final order by segment nulls first, stage_order
