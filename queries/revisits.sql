-- query:  revisits
-- grain:  one row per visit in scope made in the $frequency_window_days days ending at
--         $as_of that planned a revisit (预定再访时间)
-- params: $as_of date; the filter lists; $frequency_window_days; $revisit_missed_after_days
-- output: reporter, region, customer, project_id, visit_on, revisit_on, next_visit_on (the
--         first later visit to the same project — the same customer when not matched — by
--         anyone, on or before $as_of), revisit_status, days_late
-- revisit_status: kept       next visit on or before the planned date
--         kept_late  next visit after the planned date (days_late = next − planned)
--         overdue    no next visit yet, planned date passed, at most $revisit_missed_after_days ago
--         missed     no next visit, planned date more than $revisit_missed_after_days days ago
--         planned    no next visit yet, planned date still to come (on or after $as_of)
with planned as (
    select reporter, region, customer, project_id, visit_key, visit_on, revisit_on
    from visits_scoped($as_of, cast($as_of as date) - (cast($frequency_window_days as integer) - 1),
        $regions, $grades, $owners, $categories, $allowed_regions)
    where revisit_on is not null
),

-- the later visits (after the window opens, up to $as_of) to those the planned visits reached,
-- once per (who, day): the candidates for "next"
later as (
    select distinct visit_key, visit_on as next_visit_on
    from stg_visits
    where visit_on > cast($as_of as date) - cast($frequency_window_days as integer) and visit_on <= $as_of
      and visit_key in (select visit_key from planned)
),

joined as (
    select p.*, l.next_visit_on
    from planned as p
    asof left join later as l
        on l.visit_key = p.visit_key and l.next_visit_on > p.visit_on
),

final as (
    select
        reporter, region, customer, project_id, visit_on, revisit_on, next_visit_on,
        case
            when next_visit_on is not null and next_visit_on <= revisit_on then 'kept'
            when next_visit_on is not null then 'kept_late'
            when revisit_on >= cast($as_of as date) then 'planned'
            when date_diff('day', revisit_on, cast($as_of as date)) <= cast($revisit_missed_after_days as integer) then 'overdue'
            else 'missed'
        end as revisit_status,
        case when next_visit_on > revisit_on then date_diff('day', revisit_on, next_visit_on) end as days_late
    from joined
)

select * from final order by revisit_on, reporter, customer
