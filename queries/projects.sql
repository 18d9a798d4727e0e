-- query:  projects
-- grain:  one row per project in the snapshot $as_of (read from project_facts, already deduplicated)
-- params: $as_of date; $filters, $allowed_regions varchar[] (filters: empty = all; the access scope: ['*'] = all, [] = none)
-- output: project_id, project_name, customer, grade, region, owner, category, product_line, stage, status,
--         expected_amount, contract_amount, estimated_margin, expected_sign_on, outcome
--         (open | won | lost | dropped: what the open pipeline and the weekly review count)
with scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

final as (
    select
        project_id, project_name, customer, grade, region, owner, category, product_line, stage, status,
        expected_amount, contract_amount, estimated_margin, expected_sign_on, outcome
    from scoped
)

select * from final order by project_id
