-- query:  stage_durations
-- grain:  one row per stage (per segment when $by is given) with at least one stay that ended
-- params: $as_of date; the filter lists; $by varchar | null ('region' | 'grade' | 'owner' | 'category')
-- output: segment, stage, stage_order, n, median_days, p75_days, p90_days, mean_days, max_days
-- Definition: a stay = a stage entry followed by the next entry (to any stage, forward or
--   back) on or before $as_of; days = date_diff('day', entered_on, left_on) (0 for two moves
--   on one day). Projects in scope = in the $as_of snapshot, filtered by their attributes
--   there. A stay ended by closing (lost/dropped) is not counted: the close date is only
--   known to snapshot precision. Quantiles are continuous (linear interpolation).
with scoped as (
    select
        project_id,
        segment_of(project_facts, $by) as segment
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

stays as (
    select
        s.segment,
        e.stage,
        e.stage_order,
        date_diff('day', e.entered_on, e.left_on) as days
    from stage_event_facts as e
    inner join scoped as s on s.project_id = e.project_id
    where e.left_on <= $as_of
),

final as (
    select
        segment,
        stage,
        stage_order,
        count(*) as n,
        quantile_cont(days, 0.5) as median_days,
        quantile_cont(days, 0.75) as p75_days,
        quantile_cont(days, 0.9) as p90_days,
        avg(days) as mean_days,
        max(days) as max_days
    from stays
    group by segment, stage, stage_order
)

select * from final order by segment nulls first, stage_order
