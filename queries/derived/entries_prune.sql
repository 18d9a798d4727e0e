-- query:  entries_prune (deletes from stage_entries; after entries_unmark)
-- grain:  the stage_entries rows no active import reports any more
-- params: none
-- output: (deleted rows)
delete from stage_entries where len(import_ids) = 0
