-- query:  entries_unmark (updates stage_entries; after entries_remove)
-- grain:  the stage_entries rows that name an import in $gone
-- params: $gone integer[]
-- output: those rows without the ids in $gone
update stage_entries
set import_ids = list_filter(import_ids, lambda i: not list_contains($gone, i))
where list_has_any(import_ids, $gone)
