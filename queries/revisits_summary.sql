-- query:  revisits_summary
-- grain:  one row per person (per segment when $by is given: region, owner = the person,
--         grade, category) over the planned revisits of `revisits`
-- params: as `revisits`; $by or null
-- output: segment, n_planned (every planned revisit), n_kept, n_kept_late, n_overdue,
--         n_missed, n_pending (planned date still to come), kept_rate = (kept + kept_late) /
--         (kept + kept_late + missed) (null when none is decided), on_time_rate = kept / the same
-- Definitions exactly as `revisits` (a test holds them together).
with planned as (
    select visit_key, visit_on, revisit_on, segment_of(coalesce($by, 'owner'), region, grade, reporter, category) as segment
    from visits_scoped($as_of, cast($as_of as date) - (cast($frequency_window_days as integer) - 1),
        $regions, $grades, $owners, $categories, $allowed_regions)
    where revisit_on is not null
),

later as (
    select distinct visit_key, visit_on as next_visit_on
    from stg_visits
    where visit_on > cast($as_of as date) - cast($frequency_window_days as integer) and visit_on <= $as_of
      and visit_key in (select visit_key from planned)
),

classified as (
    select
        p.segment,
        case
            when l.next_visit_on is not null and l.next_visit_on <= p.revisit_on then 'kept'
            when l.next_visit_on is not null then 'kept_late'
            when p.revisit_on >= cast($as_of as date) then 'planned'
            when date_diff('day', p.revisit_on, cast($as_of as date)) <= cast($revisit_missed_after_days as integer) then 'overdue'
            else 'missed'
        end as status
    from planned as p
    asof left join later as l
        on l.visit_key = p.visit_key and l.next_visit_on > p.visit_on
),

final as (
    select
        segment,
        count(*) as n_planned,
        count(*) filter (where status = 'kept') as n_kept,
        count(*) filter (where status = 'kept_late') as n_kept_late,
        count(*) filter (where status = 'overdue') as n_overdue,
        count(*) filter (where status = 'missed') as n_missed,
        count(*) filter (where status = 'planned') as n_pending,
        (count(*) filter (where status in ('kept', 'kept_late')))
            / nullif(count(*) filter (where status in ('kept', 'kept_late', 'missed')), 0) as kept_rate,
        (count(*) filter (where status = 'kept'))
            / nullif(count(*) filter (where status in ('kept', 'kept_late', 'missed')), 0) as on_time_rate
    from classified
    group by segment
)

select * from final order by segment nulls first
