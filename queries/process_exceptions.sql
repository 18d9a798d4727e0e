-- query:  process_exceptions
-- grain:  one row per (project, exception) for projects in the $as_of snapshot, history up to $as_of
-- params: $as_of date; the filter lists; $project_id varchar | null (null = all);
--         $exception_codes, $exception_severities varchar[] (the exceptions in order, with
--         their severities: queries/checks.py)
--         $limit integer | null (null = every row; the first N in the order shown)
-- output: project_id, exception, severity, stage, on_date, detail, project_name, region,
--         grade, owner, category
-- Exceptions (their severity, order and words: queries/checks.py):
--   skipped_stage          one row per stage strictly between the first recorded stage and
--                          the furthest stage that was never entered nor seen
--   fell_back              an entry at a lower stage than the entry before it
--   out_of_order_dates     a wide export's stage date earlier than an earlier
--                          stage's date
--   contract_without_tender  won (entered the 'won' stage) with no entry of the 'bid'
--                          stage (tender)
--   first_seen_mid_funnel  the first record is past the first stage: the stages
--                          before it are counted as reached, not as skipped
--   same_day_moves         a stage entered and left on the same day
with scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and (cast($project_id as varchar) is null or project_id = $project_id)
      and in_scope(project_facts, $filters, $allowed_regions)
),

roles as (
    select
        max(stage_order) filter (where role = 'first') as first_stage_order,
        max(stage_order) filter (where role = 'bid') as bid_order
    from cfg_stages
),

events as (
    select e.*
    from stage_event_facts as e
    inner join scoped as s on s.project_id = e.project_id
    where e.entered_on <= $as_of
),

exceptions as (
    select s.project_id, 'skipped_stage' as exception,
           c.stage, cast(null as date) as on_date,
           printf('%s never recorded between %s and %s', c.stage, f.stage, t.stage) as detail
    from scoped as s
    inner join cfg_stages as c on (s.skipped_mask >> (c.stage_order - 1)) & 1 = 1
    inner join cfg_stages as f on f.stage_order = s.first_order
    inner join cfg_stages as t on t.stage_order = s.furthest_order
    where s.skipped_mask <> 0

    union all
    select project_id, 'fell_back', stage, entered_on,
           printf('%s -> %s', prev_stage, stage)
    from events
    where is_fall_back

    union all
    select project_id, 'out_of_order_dates', stage, entered_on,
           printf('%s dated %s, before an earlier stage''s date', stage, entered_on)
    from events
    where is_date_out_of_order

    union all
    select s.project_id, 'contract_without_tender', s.cur_stage, s.entered_won,
           'entered delivery (contract signed) with no tender recorded'
    from scoped as s
    cross join roles as r
    where s.outcome = 'won' and (s.seen_mask >> (r.bid_order - 1)) & 1 = 0

    union all
    select s.project_id, 'first_seen_mid_funnel', c.stage, s.first_recorded_on,
           printf('first recorded at %s; earlier stages counted as reached', c.stage)
    from scoped as s
    inner join cfg_stages as c on c.stage_order = s.first_order
    cross join roles as r
    where s.first_order > r.first_stage_order

    union all
    select project_id, 'same_day_moves', stage, entered_on,
           printf('%s entered and left for %s on %s', stage, next_stage, entered_on)
    from events
    where left_on = entered_on and left_on <= $as_of
),

final as (
    select
        x.project_id,
        x.exception,
        list_extract($exception_severities, list_position($exception_codes, x.exception)) as severity,
        x.stage,
        x.on_date,
        x.detail,
        s.project_name,
        s.region,
        s.grade,
        s.owner,
        s.category,
        list_position($exception_codes, x.exception) as exception_order
    from exceptions as x
    inner join scoped as s on s.project_id = x.project_id
)

select * exclude (exception_order) from final order by project_id, exception_order, on_date, stage
limit $limit
