-- query:  revisits_summary
-- grain:  one row per person (per segment when $by is given: region, owner = the person,
--         grade, category) over the planned revisits of `revisits`
-- params: as `revisits`; $by or null
-- output: segment, n_planned (every planned revisit), n_kept, n_kept_late, n_overdue,
--         n_missed, n_pending (planned date still to come), kept_rate = (kept + kept_late) /
--         (kept + kept_late + missed) (null when none is decided), on_time_rate = kept / the same
-- Definitions: queries/macros/revisits_classified.sql, as `revisits`.
with classified as (
    select segment_of(r, coalesce($by, 'owner')) as segment, revisit_status as status
    from revisits_classified($as_of, cast($as_of as date) - (cast($frequency_window_days as integer) - 1),
        cast($revisit_missed_after_days as integer), $filters, $allowed_regions) as r
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
