-- query:  import_history (the Data page's import history; the demo banner on every page)
-- grain:  one row per imported file, newest first
-- params: $imported_by (null = every import: admin; an actor = only theirs: a regional importer)
-- output: import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
--         imported_at, status, mapping_name, is_demo (loaded from seeds/ as demo data),
--         imported_by (who), regions (null / ['*'] = the whole date; else a regional import's), sha256
with final as (
    select
        import_id, file_name, kind, sheet, as_of, rows_read, rows_accepted, rows_skipped,
        imported_at, status, mapping_name, is_demo, imported_by, regions, sha256
    from imports
    where cast($imported_by as varchar) is null or imported_by = cast($imported_by as varchar)
)

select * from final order by import_id desc
