-- query:  visits_unmatched
-- grain:  one row per customer as written × how it failed to match (unmatched, ambiguous,
--         unknown_id) among the visits in scope up to $as_of (region scope and the person;
--         grade and category filters do not apply: these visits have no project)
-- params: $as_of date; $filters (region and owner = the person apply), $allowed_regions
-- output: customer, match_status, project_id_given (the unknown id, when that is why),
--         n_visits, first_visit_on, last_visit_on, reporters (the people, comma-separated)
with scoped as (
    select *
    from stg_visits
    where match_status in ('unmatched', 'ambiguous', 'unknown_id') and visit_on <= $as_of
      and in_person_scope({'region': region, 'owner': reporter}, $filters, $allowed_regions)
),

final as (
    select
        customer,
        match_status,
        project_id_given,
        count(*) as n_visits,
        min(visit_on) as first_visit_on,
        max(visit_on) as last_visit_on,
        string_agg(distinct reporter, ', ' order by reporter) as reporters
    from scoped
    group by customer, match_status, project_id_given
)

select * from final order by n_visits desc, customer, match_status
