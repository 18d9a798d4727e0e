-- query:  project_snapshots
-- grain:  one row per snapshot (up to $as_of) in which project $project_id appears
-- params: $as_of date; $project_id varchar; the filter lists (checked on the project's
--         latest row up to $as_of, so access control holds on the drill-down too)
-- output: as_of, project_id, project_name, customer, grade, region, owner, category, product_line,
--         status, stage, cur_stage, outcome, furthest_order, cur_entered_on,
--         expected_amount, contract_amount, estimated_cost, estimated_margin, bid_amount,
--         margin, expense_actual, expected_sign_on, lost_reason
with final as (
    select
        f.as_of, f.project_id, f.project_name, f.customer, f.grade, f.region, f.owner,
        f.category, f.product_line, f.status, f.stage, f.cur_stage, f.outcome, f.furthest_order,
        f.cur_entered_on, f.expected_amount, f.contract_amount, f.estimated_cost,
        f.estimated_margin, f.bid_amount, f.margin, f.expense_actual, f.expected_sign_on,
        f.lost_reason
    from project_facts as f
    where f.project_id = $project_id
        and f.as_of <= $as_of
        and project_in_scope($project_id, $as_of,
            $filters, $allowed_regions)
)

select * from final order by as_of
