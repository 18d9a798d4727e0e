-- query:  entries_new (appends to the temp table _entries_changed; before entries_insert)
-- grain:  one row per entry the added imports report that stage_entries does not hold yet
-- params: none
-- output: project_id, entered_on
insert into _entries_changed
select i.project_id, i.entered_on
from _entries_in as i
anti join stage_entries as e
    on e.project_id = i.project_id and e.stage = i.stage and e.entered_on = i.entered_on
    and e.source = i.source and e.previous_stage is not distinct from i.previous_stage
