-- query:  audit_log (who changed what: the Data page for admin, `dashboard audit`)
-- grain:  one row per change, newest first
-- params: $limit (at most this many rows; null = all)
-- output: audit_id, happened_at, actor, action, import_id, file_name, sha256, as_of, regions,
--         rows_added, rows_removed, rows_changed, detail (json text)
with final as (
    select
        audit_id, happened_at, actor, action, import_id, file_name, sha256, as_of, regions,
        rows_added, rows_removed, rows_changed, cast(detail as varchar) as detail
    from audit_log
)

select * from final
order by audit_id desc
limit coalesce($limit, 9223372036854775807)
