-- query:  stg_projects (a view)
-- grain:  one row per project per snapshot date (as_of)
-- output: every column of project_snapshots, with grade renamed for the metric queries
create or replace view stg_projects as
select
    as_of,
    project_id,
    project_name,
    customer,
    customer_grade as grade,
    region,
    owner,
    category,
    stage,
    status,
    expected_amount,
    contract_amount,
    estimated_cost,
    estimated_margin,
    bid_amount,
    actual_cost,
    expense_budget,
    expense_actual,
    expected_sign_on,
    created_on,
    lost_reason,
    import_id
from project_snapshots
