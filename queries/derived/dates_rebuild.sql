-- query:  dates_rebuild (fills snapshot_dates; queries/derived.py, for the dates $dates)
-- grain:  one row per date of $dates (null = every date) that holds rows of active imports
-- params: $dates date[] (null = every date)
-- output: as_of
-- why:    the same rows as stg_projects' dates (a duplicated row changes no date), read
--         from one column of the stored rows.
insert into snapshot_dates
select distinct as_of
from project_snapshots
where ($dates is null or list_contains($dates, as_of))
    and import_id not in (select import_id from imports where status <> 'active')
