-- query:  in_scope (a scalar macro)
-- grain:  one boolean per row it is applied to
-- params: (as macro arguments) a row's region, grade, owner, category, then the filter
--         lists $regions, $grades, $owners, $categories (empty = no filter) and the access
--         scope $allowed_regions: ['*'] = every region, a list = those regions, [] = NONE
-- output: true when the row passes every filter AND the access-control restriction
-- why:    one definition of "in scope" for every query: the sidebar filters and
--         allowed_regions (access control, set by the server, never by the user) are
--         applied here and nowhere else, so no query can forget one of them.
create or replace macro in_scope(
    region, grade, owner, category, regions, grades, owners, categories, allowed_regions
) as (
    (len(regions) = 0 or list_contains(regions, region))
    and (len(grades) = 0 or list_contains(grades, grade))
    and (len(owners) = 0 or list_contains(owners, owner))
    and (len(categories) = 0 or list_contains(categories, category))
    -- deny by default: only the explicit ['*'] (queries.ALL_REGIONS) means every region
    and (allowed_regions = ['*'] or list_contains(allowed_regions, region))
)
