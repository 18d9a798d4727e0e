-- migration: 0011_visit_projects
-- A derived table (issue 13, speed): per project, the dates of the visits matched to it, so
-- the per-project visit queries (visit_alerts, four_visits, four_visits_open,
-- visits_frequency) read 100k rows instead of 2M visits. Kept by the write that changes
-- visits, in its transaction (queries/derived.py: visit_projects_refresh; a visit report's
-- commit and an import's removal name the projects they touched), rebuilt whole by
-- `dashboard rebuild`. Filled here from the visits already stored.

create table visit_projects (
    project_id      varchar not null,  -- a project with at least one matched visit (stg_visits.project_id)
    n_visits        integer not null,  -- its matched visits (every date)
    first_visit_on  date not null,     -- the first …
    last_visit_on   date not null,     -- … and the last of them
    visit_days      date[] not null    -- the date of each matched visit, ascending (one element per visit)
);

insert into visit_projects
select project_id, count(*), min(visit_on), max(visit_on), list(visit_on order by visit_on)
from visits
where project_id is not null
group by project_id;
