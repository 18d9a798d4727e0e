-- query:  scope_date (a temp table, written by queries/derived.py once per snapshot date)
-- grain:  one row per project of snapshot $as_of whose facts this refresh recomputes
-- params: $as_of date; $full boolean (the date itself changed: every project in it);
--         reads _snap (snap_date: the rows of $as_of)
-- output: project_id
-- why:    after a change at date d, only the projects it touched (temp table _w: project,
--         the first date from which its history changed) need new rows at later dates.
create or replace temp table _scope as
select distinct p.project_id
from _snap as p
where ($full or p.project_id in (select w.project_id from _w as w where w.from_date <= $as_of))
