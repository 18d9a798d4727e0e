-- query:  stg_projects (a view)
-- grain:  one row per project per snapshot date (as_of), from imports still active
-- params: none
-- output: every column of project_snapshots, with grade renamed for the metric queries
-- why:    rows of a replaced or removed import no longer describe the CRM; a duplicate
--         (as_of, project_id) (ingest should prevent it) keeps the latest import's row, so
--         nothing downstream can count a project twice in one snapshot.
create or replace view stg_projects as
with active as (
    select *
    from project_snapshots
    where import_id not in (select import_id from imports where status <> 'active')
),

deduplicated as (
    select *
    from active
    qualify row_number() over (partition by as_of, project_id order by import_id desc) = 1
),

final as (
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
    from deduplicated
)

select * from final
