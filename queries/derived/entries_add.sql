-- query:  entries_add (a temp table; queries/derived.py merges it into stage_entries)
-- grain:  one row per distinct (project, stage, date, source, previous_stage) in the stage
--         events of the imports $added
-- params: $added integer[]
-- output: project_id, stage, entered_on, source, previous_stage, import_ids
-- why:    only the imports a write added are read; stage_events is stored in import order,
--         so its zone maps skip the others.
create or replace temp table _entries_in as
select project_id, stage, entered_on, source, previous_stage, list_sort(list(distinct import_id)) as import_ids
from stage_events
where import_id between list_min($added) and list_max($added) and list_contains($added, import_id)
group by project_id, stage, entered_on, source, previous_stage
