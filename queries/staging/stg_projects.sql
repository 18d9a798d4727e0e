-- query:  stg_projects (a table macro: stg_projects(at_dates))
-- grain:  one row per project per snapshot date (as_of) of the list at_dates, from imports
--         still active
-- params: (as a macro argument) at_dates date[]: the snapshot dates to read
-- output: every column of project_snapshots, with grade renamed for the metric queries,
--         and row_key (the stored row's rowid: a cheap join key for derived tables)
-- why:    rows of a replaced or removed import no longer describe the CRM; a duplicate
--         (as_of, project_id) (ingest should prevent it) keeps the latest import's row, so
--         nothing downstream can count a project twice in one snapshot. A macro over the
--         dates it reads (not a view): the refresh reads one date at a time, and the date
--         filter must reach the stored rows before the duplicate check (a view's filter
--         did not: every snapshot's rows were grouped for one date's).
create or replace macro stg_projects(at_dates) as table
with active as (
    select *, rowid as row_key
    from project_snapshots
    where as_of between list_min(at_dates) and list_max(at_dates)
        and list_contains(at_dates, as_of)
        and import_id not in (select import_id from imports where status <> 'active')
),

-- only the (as_of, project_id) keys that occur twice are looked at: a two-column
-- aggregate instead of a window over every wide row
duplicated as (
    select as_of, project_id, arg_max(row_key, import_id) as keep_key
    from active
    group by as_of, project_id
    having count(*) > 1
),

deduplicated as (
    select a.*
    from active as a
    anti join duplicated as d
        on d.as_of = a.as_of and d.project_id = a.project_id and d.keep_key <> a.row_key
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
        product_line,
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
        import_id,
        row_key
    from deduplicated
)

select * from final
