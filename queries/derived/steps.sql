-- query:  steps (the small bookkeeping statements of queries/derived.py, one per section)
-- grain:  per section (each starts with a `-- step: NAME` line and holds one statement)
-- params: per section, named ($dates, $as_of, $gone …); never formatted in
-- output: per section
-- why:    the refresh is a sequence of small statements around the big ones (facts_date,
--         entry_facts, runs_date, pair_date); kept here together so the sequence reads in
--         queries/derived.py and every statement is still SQL text we ship.

-- step: clear_stage_entries
delete from stage_entries

-- step: clear_snapshot_runs
delete from snapshot_runs

-- step: clear_snapshot_dates
delete from snapshot_dates

-- step: clear_project_carry
delete from project_carry

-- step: clear_snapshot_summary
delete from snapshot_summary

-- step: clear_project_last_seen
delete from project_last_seen

-- step: clear_win_counts
delete from win_counts

-- step: clear_refreshed_imports
delete from refreshed_imports

-- step: clear_derived_meta
delete from derived_meta

-- step: w_create
create or replace temp table _w (project_id varchar, from_date date)

-- step: entries_changed_create
create or replace temp table _entries_changed (project_id varchar, entered_on date)

-- step: snapshot_dates_list
select as_of from snapshot_dates order by as_of

-- step: snapshot_dates_delete
delete from snapshot_dates where list_contains($dates, as_of)

-- step: active_imports
select import_id, kind, as_of from imports where status = 'active' order by import_id

-- step: refreshed_list
select import_id, kind, as_of from refreshed_imports order by import_id

-- step: pending_list
select distinct import_id from refresh_pending order by import_id

-- step: clear_pending
delete from refresh_pending

-- step: refreshed_set
-- (a rebuild) every active import, and whether it stored stage events
insert into refreshed_imports
select i.import_id, i.kind, i.as_of, i.import_id in (select distinct import_id from stage_event_reports)
from imports as i
where i.status = 'active'

-- step: refreshed_drop
delete from refreshed_imports where list_contains($gone, import_id)

-- step: refreshed_add
insert into refreshed_imports
select i.import_id, i.kind, i.as_of,
    i.import_id in (select distinct import_id from stage_event_reports
                    where import_id between list_min($added) and list_max($added))
from imports as i
where list_contains($added, i.import_id)

-- step: refreshed_events
select list(import_id) from refreshed_imports where has_events and list_contains($gone, import_id)

-- step: gone_events_create
-- the stage events of imports about to be removed or replaced (store.note_events_removed)
create temp table if not exists _gone_events (
    project_id varchar, stage varchar, entered_on date, source varchar, previous_stage varchar,
    import_id integer
)

-- step: gone_events_note
insert into _gone_events
select project_id, stage, entered_on, source, previous_stage, import_id
from stage_events
where import_id = $import_id

-- step: gone_events_note_regions
-- a regional import (issue 10) deletes only the events of the projects it replaces
insert into _gone_events
select project_id, stage, entered_on, source, previous_stage, import_id
from stage_events
where import_id = $import_id
    and project_id in (
        select project_id from project_snapshots where as_of = $as_of and list_contains($regions, region)
    )

-- step: gone_events_noted
select list(distinct import_id) from _gone_events

-- step: gone_events_clear
delete from _gone_events

-- step: entries_delete
delete from stage_entries as e
where exists (
    select 1 from _entries_out as o
    where o.project_id = e.project_id and o.stage = e.stage and o.entered_on = e.entered_on
        and o.source = e.source and o.previous_stage is not distinct from e.previous_stage
)

-- step: entries_changed_out
insert into _entries_changed select project_id, entered_on from _entries_out

-- step: meta_get
select value from derived_meta where key = $key

-- step: meta_set
insert into derived_meta values ($key, $value)

-- step: stages_now
select stage, role from cfg_stages order by stage_order

-- step: old_rows
-- the rows at the changed dates as they were: what the projects there looked like before
create or replace temp table _old as
select project_id, as_of, prev_as_of
from project_carry
where as_of between list_min($dates) and list_max($dates) and list_contains($dates, as_of)

-- step: w_from_dates
-- every project in a changed date, before or after the change, from that date on
insert into _w
select project_id, as_of from _old
union all
select project_id, as_of from stg_projects(cast($dates as date[]))

-- step: w_from_entries
insert into _w
select project_id, min(entered_on) from _entries_changed group by project_id

-- step: w_from_sef
insert into _w
select project_id, from_date from _sef_changed

-- step: w_min
-- one row per project: the first date its history changed
create or replace temp table _w as
select project_id, min(from_date) as from_date from _w group by project_id

-- step: w_min_date
select min(from_date) from _w

-- step: runs_old
-- ($full: the date itself changed, so a project no longer in it loses its run there too)
create or replace temp table _runs_old as
select * from snapshot_runs
where entered_on = $as_of and ($full or project_id in (select project_id from _scope))

-- step: runs_delete
delete from snapshot_runs
where entered_on = $as_of and ($full or project_id in (select project_id from _scope))

-- step: runs_delete_dates
-- the runs of dates that no longer hold a snapshot (their projects are in _w)
insert into _runs_changed
select project_id, entered_on from snapshot_runs where list_contains($dates, entered_on)

-- step: runs_delete_dates_rows
delete from snapshot_runs where list_contains($dates, entered_on)

-- step: runs_changed_create
create or replace temp table _runs_changed (project_id varchar, entered_on date)

-- step: runs_diff
-- the projects whose run at the date differs from before (started, ended or changed stage)
insert into _runs_changed
select project_id, entered_on from (
    (select * from _runs_old except all
     select * from snapshot_runs where entered_on = $as_of)
    union all
    (select * from snapshot_runs where entered_on = $as_of
     except all select * from _runs_old)
)

-- step: sef_scope_none
create or replace temp table _sef_scope (project_id varchar)

-- step: sef_scope_all
create or replace temp table _sef_scope as
select distinct project_id from (
    select project_id from stage_entries union all select project_id from snapshot_runs
)

-- step: sef_scope_changed
create or replace temp table _sef_scope as
select distinct project_id from (
    select project_id from _entries_changed union all select project_id from _runs_changed
)

-- step: sef_changed
-- the projects whose stage entries, as project_facts reads them, differ: from the first
-- date that differs (a later entry's left_on alone changes no snapshot's facts)
create or replace temp table _sef_changed as
with cols as (
    select project_id, seq, stage, stage_order, entered_on, is_last_of_day, first_order, cum_max_order,
        cum_mask, cum_n_events, first_entered_on, entered_first, entered_won
    from stage_event_facts where project_id in (select project_id from _sef_scope)
),
cols_new as (
    select project_id, seq, stage, stage_order, entered_on, is_last_of_day, first_order, cum_max_order,
        cum_mask, cum_n_events, first_entered_on, entered_first, entered_won
    from _sef_new
),
differ as (
    (select * from cols except all select * from cols_new)
    union all
    (select * from cols_new except all select * from cols)
)
select project_id, min(entered_on) as from_date from differ group by project_id

-- step: sef_delete
delete from stage_event_facts where project_id in (select project_id from _sef_scope)

-- step: sef_insert
insert into stage_event_facts select * from _sef_new

-- step: scope_count
select count(*) from _scope

-- step: missing_count
-- projects of the scope not in the previous snapshot (new, or back after an absence)
select count(*) from _scope as s anti join _prev_rows as r on r.project_id = s.project_id

-- step: known_dates
-- the latest earlier snapshot of each project missing from the previous one, when the date
-- is the latest of all: project_last_seen, or (a date replaced) the old row's previous date
select list(distinct d) from (
    select
        case when l.last_as_of < $as_of then l.last_as_of else o.prev_as_of end as d
    from _scope as s
    anti join _prev_rows as r on r.project_id = s.project_id
    left join project_last_seen as l on l.project_id = s.project_id
    left join project_carry as o on o.project_id = s.project_id and o.as_of = $as_of
) where d is not null

-- step: facts_delete
delete from project_facts
where as_of = $as_of and ($full or project_id in (select project_id from _scope))

-- step: carry_delete
delete from project_carry
where as_of = $as_of and ($full or project_id in (select project_id from _scope))

-- step: facts_delete_dates
delete from project_facts where list_contains($dates, as_of)

-- step: carry_delete_dates
delete from project_carry where list_contains($dates, as_of)

-- step: pair_delete
delete from pair_facts
where as_of = $as_of
    and ($full or project_id in (select w.project_id from _w as w where w.from_date <= $as_of))

-- step: pair_delete_dates
delete from pair_facts where list_contains($dates, as_of)

-- step: slips_create
-- (a rebuild) the sign-date slips of every pair, kept for every date (pair_facts only for
-- the newest): one row per project and snapshot whose expected sign date is later than in
-- the snapshot before, open in both
create or replace table sign_slips (project_id varchar, as_of date, sign_before date, sign_after date)

-- step: slips_delete
delete from sign_slips
where as_of = $as_of
    and ($full or project_id in (select w.project_id from _w as w where w.from_date <= $as_of))

-- step: slips_insert
insert into sign_slips
select project_id, as_of, sign_before, sign_after
from pair_facts
where as_of = $as_of
    and ($full or project_id in (select w.project_id from _w as w where w.from_date <= $as_of))
    and in_before and in_after
    and outcome_before = 'open' and outcome_after = 'open'
    and sign_after > sign_before

-- step: slips_delete_dates
delete from sign_slips where list_contains($dates, as_of)

-- step: pair_prune
-- (every incremental write) pairs of dates outside the stored window ($dates: the newest)
delete from pair_facts where not list_contains(cast($dates as date[]), as_of)

-- step: pair_missing
-- the window's dates with no stored pairs yet (one that just entered it)
select d.as_of
from (select unnest(cast($dates as date[])) as as_of) as d
where not exists (select 1 from pair_facts as p where p.as_of = d.as_of)
order by d.as_of

-- step: summary_delete
delete from snapshot_summary where as_of = $as_of

-- step: summary_delete_dates
delete from snapshot_summary where list_contains($dates, as_of)

-- step: last_seen_upsert
-- (full rebuild, ascending dates) every project of the date was last seen there
insert or replace into project_last_seen select project_id, $as_of from _scope

-- step: last_seen_walk_create
-- projects touched by the changed dates whose last snapshot was one of them: walk back
-- through their old rows to the first date that did not change
create or replace temp table _last as
select w.project_id, l.last_as_of as d
from (select distinct project_id from _w) as w
left join project_last_seen as l on l.project_id = w.project_id

-- step: last_seen_walk
update _last set d = o.prev_as_of
from _old as o
where o.project_id = _last.project_id and o.as_of = _last.d and list_contains($dates, _last.d)

-- step: last_seen_walk_left
select count(*) from _last where list_contains($dates, d)

-- step: last_seen_fix
-- the latest of: the first unchanged earlier date, and every changed date holding it now
insert or replace into project_last_seen
select project_id, max(d) from (
    select project_id, d from _last where d is not null and not list_contains($dates, d)
    union all
    select project_id, as_of from project_carry  -- the changed dates' rows, recomputed
    where as_of between list_min($dates) and list_max($dates) and list_contains($dates, as_of)
) group by project_id

-- step: last_seen_drop
-- projects no snapshot holds any more
delete from project_last_seen
where project_id in (select project_id from _last where d is null)
    and project_id not in (
        select project_id from project_carry
        where as_of between list_min($dates) and list_max($dates) and list_contains($dates, as_of)
    )

-- step: win_counts_create
-- (a rebuild) the learned P(win)'s evidence of every snapshot (learned_counts), kept for the
-- company ('*') and for each region alone: what the forecast, owners, back-test and trends
-- read for a caller allowed every region or one (queries/composed.py)
create or replace table win_counts as
select * from learned_counts(cast(null as date), false, ['*']) where false

-- step: win_counts_delete_from
-- P at t reads every snapshot <= t: a change at a date changes every later date's counts
delete from win_counts where as_of >= $from_date

-- step: win_counts_insert_date
-- one snapshot (a weekly import of a new newest date): the one-snapshot form
insert into win_counts
select * from learned_counts(cast($as_of as date), false, ['*'])
union all
select * from learned_counts(cast($as_of as date), true, ['*'])

-- step: win_counts_insert_history
-- every snapshot from $from_date on (a rebuild, a date changed in the middle): one pass
insert into win_counts
select * from learned_counts_history(cast($as_of as date), false, ['*']) where as_of >= $from_date
union all
select * from learned_counts_history(cast($as_of as date), true, ['*']) where as_of >= $from_date

-- step: visit_projects_changed_create
create temp table if not exists _visit_projects_changed (project_id varchar)

-- step: visit_projects_changed_of_import
insert into _visit_projects_changed
select distinct project_id from visits where import_id = $import_id and project_id is not null

-- step: visit_projects_delete
delete from visit_projects where project_id in (select project_id from _visit_projects_changed)

-- step: visit_projects_insert
insert into visit_projects
select project_id, count(*), min(visit_on), max(visit_on), list(visit_on order by visit_on)
from visits  -- the table, not stg_visits: a writer may run before the first refresh made the views
where project_id in (select project_id from _visit_projects_changed)
group by project_id

-- step: visit_projects_changed_drop
drop table if exists _visit_projects_changed

-- step: clear_visit_projects
delete from visit_projects

-- step: visit_projects_insert_all
insert into visit_projects
select project_id, count(*), min(visit_on), max(visit_on), list(visit_on order by visit_on)
from visits
where project_id is not null
group by project_id
