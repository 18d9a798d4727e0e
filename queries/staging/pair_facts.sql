-- query:  pair_facts (a table, rebuilt by queries.refresh before every commit)
-- grain:  one row per project in a snapshot or in the snapshot before it, for every
--         snapshot (the first: paired with nothing, every project in it is new)
-- params: none
-- output: the columns of snapshot_pairs_computed (project_id … in_after, in_before …
--         since, as_of), unfiltered (every region: allowed_regions = ['*'])
-- why:    "what changed since last week" is the home page: its `changes` and
--         `changes_summary` pair this week's snapshot with last week's on every filter
--         change. Paired once per import here, a filter change reads one snapshot's
--         stored pairs (100k projects: ~40 ms → a few ms per query; bench/results/ui.md).
create or replace table pair_facts as
with snapshots as (
    select distinct as_of from project_facts
)

select p.*
from snapshots as s,
    lateral (select * from snapshot_pairs_computed(s.as_of, null, [], [], [], [], ['*'])) as p
order by p.as_of  -- one snapshot per few row groups: the zone maps find it
