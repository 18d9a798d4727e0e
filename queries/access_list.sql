-- query:  access_list (who may see what: read on every page run, and by `dashboard access list`)
-- grain:  one row per access-list entry
-- params: none
-- output: principal (e-mail or group:NAME), role, regions (['*'] = all), note, granted_by, granted_at
with final as (
    select principal, role, regions, note, granted_by, granted_at
    from access_list
)

select * from final order by principal
