-- query:  ui_imports (the Data page's import history; the demo banner on every page)
-- grain:  one row per imported file, newest first
-- params: none
-- output: import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
--         imported_at, status, mapping_name, is_demo (loaded from seeds/ as demo data)
with final as (
    select
        import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
        imported_at, status, mapping_name, is_demo
    from imports
)

select * from final order by import_id desc
