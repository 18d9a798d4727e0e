-- query:  entries_remove (a temp table; queries/derived.py deletes its rows from stage_entries)
-- grain:  one row per entry a removed or replaced import reported (noted in _gone_events
--         before its rows were deleted) that no active import reports any more
-- params: none
-- output: project_id, stage, entered_on, source, previous_stage
-- why:    a removed import takes out only what no other active import reported. Reads every
--         stored stage event once (a removal or replacement, not a weekly import).
create or replace temp table _entries_out as
with candidates as (
    select distinct project_id, stage, entered_on, source, previous_stage from _gone_events
),

still_reported as (
    select c.*
    from candidates as c
    semi join (
        select * from stage_events
        where import_id not in (select import_id from imports where status <> 'active')
    ) as e
        on e.project_id = c.project_id and e.stage = c.stage and e.entered_on = c.entered_on
        and e.source = c.source and e.previous_stage is not distinct from c.previous_stage
)

select * from candidates
except
select * from still_reported
