-- query:  summary_date (inserts into snapshot_summary; queries/derived.py, per snapshot
--         date whose facts changed, after its old rows are deleted)
-- grain:  one row per region of the snapshot $as_of
-- params: $as_of date
-- output: as_of, region, n_projects, n_open, open_expected_amount
-- why:    the weekly review lists every snapshot on its first screen (queries/snapshots.sql);
--         summed per region here once per import, that list reads a few rows per week.
insert into snapshot_summary
select
    as_of,
    region,
    count(*) as n_projects,
    count(*) filter (where outcome = 'open') as n_open,
    cast(coalesce(sum(expected_amount) filter (where outcome = 'open'), 0) as decimal(38, 2))
        as open_expected_amount
from project_facts
where as_of = $as_of
group by as_of, region
