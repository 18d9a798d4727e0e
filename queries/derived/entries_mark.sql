-- query:  entries_mark (updates stage_entries; after entries_add)
-- grain:  the stage_entries rows the added imports report again
-- params: none
-- output: those rows with the added imports' ids in their list (no entry changes)
update stage_entries as e
set import_ids = list_sort(list_distinct(list_concat(e.import_ids, i.import_ids)))
from _entries_in as i
where e.project_id = i.project_id and e.stage = i.stage and e.entered_on = i.entered_on
    and e.source = i.source and e.previous_stage is not distinct from i.previous_stage
