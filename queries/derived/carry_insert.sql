-- query:  carry_insert (inserts into project_carry; after facts_date)
-- grain:  one row per project of _pf (one snapshot date)
-- params: none
-- output: the running columns of _pf, which the next snapshot carries on from
insert into project_carry by name
select as_of, project_id, prev_as_of, snap_stage, is_closed, first_seen_on, first_snap_order,
    snap_max_order, snap_mask, run_start_on, close_seen_on, earliest_margin, earliest_margin_on
from _pf
