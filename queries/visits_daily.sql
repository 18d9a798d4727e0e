-- query:  visits_daily
-- grain:  one row per person × day of the 28 days ending at $as_of that is a working day
--         (Monday–Friday) or had a visit: a working day without a visit is a row with 0
-- params: $as_of date; the filter lists (region = the visit's, owner = the person, grade and
--         category = the matched project's); $quota_per_day (domain.toml [visits])
-- output: reporter, visit_on, is_working_day, n_visits, quota, is_below_quota
-- Persons are those with at least one visit in scope in the 28 days.
with scoped as (
    select reporter, visit_on
    from visits_scoped($as_of, cast($as_of as date) - 27, $filters, $allowed_regions)
),

people as (
    select distinct reporter from scoped
),

days as (
    select cast(d as date) as day
    from unnest(generate_series(cast($as_of as date) - 27, cast($as_of as date), interval 1 day)) as t (d)
),

counted as (
    select reporter, visit_on, count(*) as n_visits
    from scoped
    group by reporter, visit_on
),

final as (
    select
        p.reporter,
        d.day as visit_on,
        isodow(d.day) <= 5 as is_working_day,
        coalesce(c.n_visits, 0) as n_visits,
        case when isodow(d.day) <= 5 then cast($quota_per_day as double) else 0.0 end as quota,
        isodow(d.day) <= 5 and coalesce(c.n_visits, 0) < cast($quota_per_day as double) as is_below_quota
    from people as p
    cross join days as d
    left join counted as c on c.reporter = p.reporter and c.visit_on = d.day
    where isodow(d.day) <= 5 or c.n_visits is not null
)

select * from final order by reporter, visit_on
