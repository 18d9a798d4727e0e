-- query:  revisits_classified (a table macro: revisits_classified(at_date, from_date,
--         missed_after_days, filters, allowed_regions))
-- grain:  one row per visit in scope made between from_date and at_date that planned a
--         revisit (预定再访时间)
-- params: (as macro arguments) the review date, the window's first day, the days after which
--         an unkept revisit is missed, the filter lists
-- output: every column of visits_scoped(), next_visit_on (the first later visit — a later
--         day, by anyone, on or before at_date — to the same project, or to the same folded
--         customer name when the visit is not matched), revisit_status, days_late
-- revisit_status: kept       next visit on or before the planned date
--         kept_late  next visit after the planned date (days_late = next − planned)
--         overdue    no next visit yet, planned date passed, at most missed_after_days ago
--         missed     no next visit, planned date more than missed_after_days days ago
--         planned    no next visit yet, planned date still to come (on or after at_date)
-- why:    one definition for `revisits` (the list) and `revisits_summary` (the counts).
create or replace macro revisits_classified(
    at_date, from_date, missed_after_days, filters, allowed_regions
) as table
with planned as (
    select *
    from visits_scoped(at_date, from_date, filters, allowed_regions)
    where revisit_on is not null
),

-- the later visits (after the window opens, up to at_date) to those the planned visits
-- reached, once per (who, day): the candidates for "next"
later as (
    select distinct visit_key, visit_on as next_visit_on
    from stg_visits
    where visit_on > cast(from_date as date) and visit_on <= cast(at_date as date)
      and visit_key in (select visit_key from planned)
),

joined as (
    select p.*, l.next_visit_on
    from planned as p
    asof left join later as l
        on l.visit_key = p.visit_key and l.next_visit_on > p.visit_on
)

select
    *,
    case
        when next_visit_on is not null and next_visit_on <= revisit_on then 'kept'
        when next_visit_on is not null then 'kept_late'
        when revisit_on >= cast(at_date as date) then 'planned'
        when date_diff('day', revisit_on, cast(at_date as date)) <= missed_after_days then 'overdue'
        else 'missed'
    end as revisit_status,
    case when next_visit_on > revisit_on then date_diff('day', revisit_on, next_visit_on) end as days_late
from joined
