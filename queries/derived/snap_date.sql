-- query:  snap_date (a temp table, written by queries/derived.py once per snapshot date and
--         phase; scope_date, runs_date and facts_date read it)
-- grain:  one row per project in the snapshot $as_of (stg_projects: active imports,
--         duplicates collapsed)
-- params: $as_of date
-- output: the columns of stg_projects
-- why:    the duplicate check of stg_projects groups the date's rows; done once per date
--         here instead of once per statement that reads the date.
create or replace temp table _snap as
select * from stg_projects([cast($as_of as date)])
