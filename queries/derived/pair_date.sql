-- query:  pair_date (inserts into pair_facts; queries/derived.py, per snapshot date)
-- grain:  one row per project in the snapshot $as_of or in the one before it, for the
--         projects this refresh recomputes there ($full: all of them; else those of _w
--         whose history changed on or before $as_of)
-- params: $as_of date; $full boolean
-- output: the columns of snapshot_pairs_computed, unfiltered (every region: allowed_regions = ['*'])
-- why:    "what changed since last week" is the home page: its `changes` and
--         `changes_summary` pair this week's snapshot with last week's on every filter
--         change. Paired once per import here, a filter change reads one snapshot's
--         stored pairs (100k projects: ~40 ms → a few ms per query; bench/results/ui.md).
--         A write re-pairs only the dates it changed and the snapshot after each.
insert into pair_facts
select p.*
from snapshot_pairs_computed($as_of, null, $no_filters, ['*']) as p
where $full or p.project_id in (select w.project_id from _w as w where w.from_date <= $as_of)
