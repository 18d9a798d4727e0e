-- query:  visits_scoped (a table macro: visits_scoped(at_date, from_date, filters,
--         allowed_regions))
-- grain:  one row per visit made between from_date and at_date (inclusive) that passes the
--         filters: region = its matched project's at the snapshot at_date (the visit is about
--         that project, so it is seen where the project is), else the visit's own region;
--         owner = the person who made it; grade, category and product line = the matched
--         project's (null when not matched, so such a filter leaves unmatched visits out)
-- params: (as macro arguments) the snapshot date, the window's first day, $filters,
--         $allowed_regions
-- output: every column of stg_visits (region = the visit's own), and grade, category,
--         product_line (of the matched project), owner (= reporter, for segment_of)
-- why:    one definition of "the visits in scope" for every visit query: the sidebar filters
--         and allowed_regions (access control) are applied here, through in_scope().
create or replace macro visits_scoped(at_date, from_date, filters, allowed_regions) as table
with joined as (
    select v.*, f.grade, f.category, f.product_line, v.reporter as owner,
        coalesce(f.region, v.region) as project_region
    from stg_visits as v
    left join project_facts as f
        on f.as_of = cast(at_date as date) and f.project_id = v.project_id
    where v.visit_on between cast(from_date as date) and cast(at_date as date)
)

select * exclude (project_region)
from joined as j
where in_scope(struct_update(j, region := j.project_region), filters, allowed_regions)
