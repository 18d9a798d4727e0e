-- query:  prev_near (a temp table, written by queries/derived.py once per snapshot date)
-- grain:  one row per project of _scope that is in the snapshot $prev (the one before)
-- params: $prev date (the snapshot before the one being computed; null for the first)
-- output: the columns of project_carry
-- why:    every running column of project_facts at a date follows from the project's
--         previous row and its row at the date; usually that row is in the previous snapshot.
create or replace temp table _prev_rows as
select c.*
from project_carry as c
where c.as_of = $prev
    and c.project_id in (select project_id from _scope)
