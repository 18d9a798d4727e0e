-- query:  visits_frequency
-- grain:  one row per customer grade (per segment when $by is given): the open projects of
--         the snapshot $as_of in scope and the visits matched to them in the
--         $frequency_window_days days ending at $as_of
-- params: $as_of date; $filters (a list per dimension); $by or null; $frequency_window_days;
--         $target_grades, $target_values (domain.toml [visits.target_per_30_days])
-- output: segment, grade, n_projects, n_visits, visits_per_project_30d (n_visits / n_projects
--         scaled to 30 days), target_per_30d, n_below_target (projects whose own visits per
--         30 days are below the target; every project when the grade has a target and the
--         project no visit), meets_target (visits_per_project_30d >= target_per_30d)
with targets as (
    select unnest(cast($target_grades as varchar[])) as grade, unnest(cast($target_values as double[])) as target
),

open_projects as (
    select project_id, grade, segment_of(project_facts, $by) as segment
    from project_facts
    where as_of = $as_of and outcome = 'open'
      and in_scope(project_facts, $filters, $allowed_regions)
),

visited as (
    select v.project_id,
        len(list_filter(v.visit_days, lambda d: d between cast($as_of as date)
            - (cast($frequency_window_days as integer) - 1) and cast($as_of as date))) as n_visits
    from visit_projects as v
    where v.project_id in (select project_id from open_projects)
),

per_project as (
    select o.segment, o.grade, coalesce(v.n_visits, 0) as n_visits,
        coalesce(v.n_visits, 0) * 30.0 / cast($frequency_window_days as integer) as per_30d
    from open_projects as o
    left join visited as v on v.project_id = o.project_id
),

final as (
    select
        p.segment,
        p.grade,
        count(*) as n_projects,
        cast(sum(p.n_visits) as bigint) as n_visits,
        sum(p.n_visits) * 30.0 / cast($frequency_window_days as integer) / count(*) as visits_per_project_30d,
        t.target as target_per_30d,
        count(*) filter (where t.target is not null and p.per_30d < t.target) as n_below_target,
        case when t.target is not null
            then sum(p.n_visits) * 30.0 / cast($frequency_window_days as integer) / count(*) >= t.target end as meets_target
    from per_project as p
    left join targets as t on t.grade = p.grade
    group by p.segment, p.grade, t.target
)

select * from final order by segment nulls first, grade nulls last
