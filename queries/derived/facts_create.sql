-- query:  facts_create (creates project_facts, empty; queries/derived.py at a full rebuild,
--         after facts_date has run for no date)
-- grain:  none (no rows): the shape of facts_date without the running columns
-- params: none
-- output: the columns of project_facts
create or replace table project_facts as
select * exclude (prev_as_of, snap_stage, is_closed, first_snap_order, snap_max_order, snap_mask,
    run_start_on, close_seen_on)
from _pf
where false
