-- query:  entries_insert (inserts into stage_entries; after entries_new)
-- grain:  one row per entry the added imports report that stage_entries did not hold
-- params: none
-- output: the new rows (their project and date also go to _entries_changed, before this)
insert into stage_entries
select i.*
from _entries_in as i
anti join stage_entries as e
    on e.project_id = i.project_id and e.stage = i.stage and e.entered_on = i.entered_on
    and e.source = i.source and e.previous_stage is not distinct from i.previous_stage
