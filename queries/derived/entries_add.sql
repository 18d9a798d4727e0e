-- query:  entries_add (a temp table; queries/derived.py inserts its new rows into stage_entries)
-- grain:  one row per distinct (project, stage, date, source, previous_stage) in the stage
--         events of the imports $added
-- params: $added integer[]
-- output: project_id, stage, entered_on, source, previous_stage
-- why:    only the imports a write added are read; stage_event_reports is stored in import
--         order, so its zone maps skip the others; each event's key is stored once
--         (stage_event_keys, migration 0012).
create or replace temp table _entries_in as
select k.project_id, k.stage, k.entered_on, k.source, k.previous_stage
from stage_event_keys as k
semi join (
    select entry_id from stage_event_reports
    where import_id between list_min($added) and list_max($added) and list_contains($added, import_id)
) as r on r.entry_id = k.entry_id
