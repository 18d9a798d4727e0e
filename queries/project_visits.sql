-- query:  project_visits
-- grain:  one row per visit matched to the project $project_id, up to $as_of (the project
--         page); nothing when the project is out of scope (project_in_scope)
-- params: $project_id; $as_of date; the filter lists
-- output: visit_on, reporter, seq, contact, visit_time, purpose, purpose_text, result,
--         customer_category, revisit_on, visit_notes, match_status
with final as (
    select visit_on, reporter, seq, contact, visit_time, purpose, purpose_text, result, customer_category,
        revisit_on, notes as visit_notes, match_status
    from stg_visits
    where project_id = $project_id and visit_on <= $as_of
      and project_in_scope($project_id, $as_of, $filters, $allowed_regions)
)

select * from final order by visit_on desc, seq nulls last
