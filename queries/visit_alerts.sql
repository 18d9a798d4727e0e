-- query:  visit_alerts
-- grain:  one row per open project of the snapshot $as_of in scope whose customer grade has
--         an alert limit (domain.toml [visits.alert_days]: A, B) and whose last matched visit
--         on or before $as_of is more than that many days before $as_of, or that has none
-- params: $as_of date; $filters (a list per dimension); $alert_grades, $alert_days
-- output: project_id, project_name, customer, grade, region, owner, stage, expected_amount,
--         n_visits (matched, up to $as_of), last_visit_on (null = never), days_since_visit
--         (null = never), alert_days
with limits as (
    select unnest(cast($alert_grades as varchar[])) as grade, unnest(cast($alert_days as integer[])) as alert_days
),

open_projects as (
    select f.project_id, f.project_name, f.customer, f.grade, f.region, f.owner, f.cur_stage as stage,
        f.expected_amount, l.alert_days
    from project_facts as f
    inner join limits as l on l.grade = f.grade
    where f.as_of = $as_of and f.outcome = 'open'
      and in_scope(f, $filters, $allowed_regions)
),

visited as (
    select * from project_visits_upto($as_of)
),

final as (
    select
        o.project_id, o.project_name, o.customer, o.grade, o.region, o.owner, o.stage, o.expected_amount,
        coalesce(v.n_visits, 0) as n_visits,
        v.last_visit_on,
        date_diff('day', v.last_visit_on, cast($as_of as date)) as days_since_visit,
        o.alert_days
    from open_projects as o
    left join visited as v on v.project_id = o.project_id
    where v.last_visit_on is null or date_diff('day', v.last_visit_on, cast($as_of as date)) > o.alert_days
)

select * from final order by grade, days_since_visit desc nulls first, expected_amount desc nulls last, project_id
