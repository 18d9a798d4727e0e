-- query:  dimensions (scalar macros: in_scope, in_person_scope, allowed_region, segment_of)
-- grain:  one value per row they are applied to
-- params: (as macro arguments) r: the row, passed whole (a table or CTE alias used as a
--         value is a struct of its row's columns: `in_scope(f, …)` over `project_facts as f`);
--         filters = $filters: a struct with one varchar[] per filter dimension of
--         queries/dimensions.py (region, grade, owner, category, product_line; an empty
--         list = no filter); allowed_regions = $allowed_regions: the access scope (['*'] =
--         every region, a list = those regions, [] = NONE); segment_by = $by: a dimension's
--         key or null
-- output: in_scope: true when the row passes every filter AND access control;
--         in_person_scope: the same for a person's rows with no project (an unmatched
--         visit): only region and owner (= the person) apply;
--         allowed_region: access control alone (filter options, the snapshot list);
--         segment_of: the row's value of the dimension named by segment_by (null = none;
--         filter_options reads every dimension through it)
-- why:    the ONLY SQL that names the dimension columns. A row that lacks one of them is a
--         binder error (loud), never a filter silently ignored. Access control is applied
--         here and nowhere else, so no query can forget it. Adding a dimension: one line in
--         each macro below, one entry in queries/dimensions.py (docs/ARCHITECTURE.md).
create or replace macro allowed_region(r, allowed_regions) as (
    -- deny by default: only the explicit ['*'] (queries.ALL_REGIONS) means every region
    allowed_regions = ['*'] or list_contains(allowed_regions, r.region)
);

create or replace macro in_scope(r, filters, allowed_regions) as (
    (len(filters.region) = 0 or list_contains(filters.region, r.region))
    and (len(filters.grade) = 0 or list_contains(filters.grade, r.grade))
    and (len(filters.owner) = 0 or list_contains(filters.owner, r.owner))
    and (len(filters.category) = 0 or list_contains(filters.category, r.category))
    and (len(filters.product_line) = 0 or list_contains(filters.product_line, r.product_line))
    and allowed_region(r, allowed_regions)
);

create or replace macro in_person_scope(r, filters, allowed_regions) as (
    (len(filters.region) = 0 or list_contains(filters.region, r.region))
    and (len(filters.owner) = 0 or list_contains(filters.owner, r.owner))
    and allowed_region(r, allowed_regions)
);

create or replace macro segment_of(r, segment_by) as (
    case segment_by
        when 'region' then r.region
        when 'grade' then r.grade
        when 'owner' then r.owner
        when 'category' then r.category
        when 'product_line' then r.product_line
    end
);
