-- query:  ui_imports (the Data page's import history)
-- grain:  one row per imported file, newest first
-- params: none
-- output: import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
--         imported_at, status, mapping_name
with final as (
    select
        import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
        imported_at, status, mapping_name
    from imports
)

select * from final order by import_id desc
