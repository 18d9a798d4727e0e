-- query:  project_visits_upto (a table macro: project_visits_upto(at_date))
-- grain:  one row per project with at least one matched visit on or before at_date
-- params: (as a macro argument) at_date: the review date
-- output: project_id, n_visits (its matched visits on or before at_date), last_visit_on (the
--         last of them)
-- why:    the per-project visit figures of `visit_alerts` and `four_visits_open` (the same
--         count, once), read from the derived visit_projects (100k rows, not the 2M visits):
--         a project whose last visit is on or before at_date is read as stored, the others
--         by their visit dates up to at_date.
create or replace macro project_visits_upto(at_date) as table
select
    project_id,
    case when last_visit_on <= cast(at_date as date) then n_visits
        else len(list_filter(visit_days, lambda d: d <= cast(at_date as date))) end as n_visits,
    case when last_visit_on <= cast(at_date as date) then last_visit_on
        else list_max(list_filter(visit_days, lambda d: d <= cast(at_date as date))) end as last_visit_on
from visit_projects
where first_visit_on <= cast(at_date as date)
