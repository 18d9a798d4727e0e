-- query:  stg_stage_events (a view)
-- grain:  one row per (project, stage, date entered) read from a file, active imports only
-- params: none
-- output: project_id, stage, entered_on, source, previous_stage
-- why:    the same stage change often arrives twice (a history export re-imported, or a
--         wide export's stage date repeated in every weekly file); it must count once.
--         When both a history export and a wide export's date column gave it, it counts
--         as history (only history can express a fall-back). Reads stage_entries (the
--         stage events of active imports stored once; maintained by queries/derived.py),
--         not the raw stage_events.
create or replace view stg_stage_events as
with deduplicated as (
    select
        project_id,
        stage,
        entered_on,
        min(source) as source,                  -- 'history' before 'stage_dates'
        max(previous_stage) as previous_stage   -- any that was given
    from stage_entries
    group by project_id, stage, entered_on
),

final as (
    select project_id, stage, entered_on, source, previous_stage
    from deduplicated
)

select * from final
