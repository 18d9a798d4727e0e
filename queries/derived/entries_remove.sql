-- query:  entries_remove (updates stage_entries; queries/derived.py, per write)
-- grain:  the stage_entries rows that name an import in $gone (removed or replaced)
-- params: $gone integer[]
-- output: the rows that no import reports any more go to the temp table _entries_changed
--         (project_id, entered_on) and leave stage_entries; the others lose those ids
-- why:    a removed import takes out only what no other active import reported.
create or replace temp table _entries_changed as
select project_id, entered_on
from stage_entries
where list_has_any(import_ids, $gone)
    and len(list_filter(import_ids, lambda i: not list_contains($gone, i))) = 0
