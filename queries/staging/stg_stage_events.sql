-- query:  stg_stage_events (a view)
-- grain:  one row per (project, stage, date entered) read from a file, active imports only
-- params: none
-- output: project_id, stage, entered_on, source, previous_stage, import_id
-- why:    the same stage change often arrives twice (a history export re-imported, or a
--         wide export's stage date repeated in every weekly file); it must count once.
create or replace view stg_stage_events as
with active as (
    select *
    from stage_events
    where import_id not in (select import_id from imports where status <> 'active')
),

deduplicated as (
    select *
    from active
    qualify row_number() over (
        partition by project_id, stage, entered_on order by import_id desc, source
    ) = 1
),

final as (
    select project_id, stage, entered_on, source, previous_stage, import_id
    from deduplicated
)

select * from final
