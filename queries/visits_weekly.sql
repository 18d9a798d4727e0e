-- query:  visits_weekly
-- grain:  one row per person × ISO week (Monday–Sunday) of the 8 weeks ending with the week
--         of $as_of; the current week counts only up to $as_of
-- params: $as_of date; the filter lists (as visits_daily); $quota_per_day
-- output: reporter, week_start, n_visits, n_working_days, visits_per_working_day, quota,
--         is_below_quota, n_days_with_visits
-- quota = $quota_per_day × the week's working days (Monday–Friday) up to $as_of; a person
--   below it is flagged. Persons: those with a visit in scope in the 8 weeks.
with bounds as (
    select
        cast(date_trunc('week', cast($as_of as date)) as date) as this_week,
        cast(date_trunc('week', cast($as_of as date)) as date) - 49 as first_week
),

scoped as (
    select reporter, visit_on
    from visits_scoped($as_of, (select first_week from bounds), $filters, $allowed_regions)
),

people as (
    select distinct reporter from scoped
),

weeks as (
    select
        cast(w as date) as week_start,
        (select count(*)
         from unnest(generate_series(cast(w as date), least(cast(w as date) + 6, cast($as_of as date)), interval 1 day)) as t (d)
         where isodow(d) <= 5) as n_working_days
    from bounds, unnest(generate_series(first_week, this_week, interval 7 day)) as t (w)
),

counted as (
    select reporter, cast(date_trunc('week', visit_on) as date) as week_start,
        count(*) as n_visits, count(distinct visit_on) as n_days_with_visits
    from scoped
    group by all
),

final as (
    select
        p.reporter,
        w.week_start,
        coalesce(c.n_visits, 0) as n_visits,
        w.n_working_days,
        case when w.n_working_days > 0 then coalesce(c.n_visits, 0) / w.n_working_days end as visits_per_working_day,
        cast($quota_per_day as double) * w.n_working_days as quota,
        coalesce(c.n_visits, 0) < cast($quota_per_day as double) * w.n_working_days as is_below_quota,
        coalesce(c.n_days_with_visits, 0) as n_days_with_visits
    from people as p
    cross join weeks as w
    left join counted as c on c.reporter = p.reporter and c.week_start = w.week_start
)

select * from final order by reporter, week_start
