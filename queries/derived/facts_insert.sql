-- query:  facts_insert (inserts into project_facts; after facts_date)
-- grain:  one row per project of _pf (one snapshot date)
-- params: none
-- output: the project_facts columns of _pf
insert into project_facts
select * exclude (prev_as_of, snap_stage, is_closed, first_snap_order, snap_max_order, snap_mask,
    run_start_on, close_seen_on)
from _pf
