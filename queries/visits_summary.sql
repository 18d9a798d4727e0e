-- query:  visits_summary
-- grain:  one row: the weekly review's visit figures for the ISO week of $as_of (Monday up
--         to $as_of) and the week before, over the visits in scope
-- params: $as_of date; the filter lists; $quota_per_day
-- output: n_visits_week, n_visits_prev_week, n_people_week (people with a visit this week),
--         n_people_below_quota_prev_week (of the people with a visit in either week, those
--         below quota in the previous, complete week), n_visits_stored (every visit stored up
--         to $as_of, in scope: 0 = no visit report imported yet)
with bounds as (
    select cast(date_trunc('week', cast($as_of as date)) as date) as this_week
),

scoped as (
    select reporter, visit_on
    from visits_scoped($as_of, (select this_week - 7 from bounds), $filters, $allowed_regions)
),

prev as (
    select reporter, count(*) filter (where visit_on < (select this_week from bounds)) as n
    from scoped
    group by reporter
),

final as (
    select
        count(*) filter (where visit_on >= (select this_week from bounds)) as n_visits_week,
        count(*) filter (where visit_on < (select this_week from bounds)) as n_visits_prev_week,
        count(distinct reporter) filter (where visit_on >= (select this_week from bounds)) as n_people_week,
        (select count(*) from prev where n < cast($quota_per_day as double) * 5) as n_people_below_quota_prev_week,
        (select count(*) from stg_visits
         where visit_on <= $as_of
           and in_person_scope({'region': region, 'owner': reporter}, $filters, $allowed_regions)) as n_visits_stored
    from scoped
)

select * from final
