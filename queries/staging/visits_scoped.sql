-- query:  visits_scoped (a table macro: visits_scoped(at_date, from_date, regions, grades,
--         owners, categories, allowed_regions))
-- grain:  one row per visit made between from_date and at_date (inclusive) that passes the
--         filters: region = its matched project's at the snapshot at_date (the visit is about
--         that project, so it is seen where the project is), else the visit's own region;
--         owner = the person who made it; grade and category = the matched project's (null
--         when not matched, so a grade or category filter leaves unmatched visits out)
-- params: (as macro arguments) the snapshot date, the window's first day, the filter lists
-- output: every column of stg_visits, and grade, category (of the matched project)
-- why:    one definition of "the visits in scope" for every visit query: the sidebar filters
--         and allowed_regions (access control) are applied here, through in_scope().
create or replace macro visits_scoped(at_date, from_date, regions, grades, owners, categories, allowed_regions) as table
select v.*, f.grade, f.category
from stg_visits as v
left join project_facts as f
    on f.as_of = cast(at_date as date) and f.project_id = v.project_id
where v.visit_on between cast(from_date as date) and cast(at_date as date)
    and in_scope(coalesce(f.region, v.region), f.grade, v.reporter, f.category,
        regions, grades, owners, categories, allowed_regions)
