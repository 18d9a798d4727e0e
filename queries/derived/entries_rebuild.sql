-- query:  entries_rebuild (fills stage_entries; queries/derived.py, full rebuild only)
-- grain:  one row per distinct (project, stage, date, source, previous_stage) of the stage
--         events of active imports
-- params: none
-- output: project_id, stage, entered_on, source, previous_stage
-- why:    the same stage change arrives again in every weekly file; stored once here.
insert into stage_entries
select distinct project_id, stage, entered_on, source, previous_stage
from stage_events
where import_id not in (select import_id from imports where status <> 'active')
