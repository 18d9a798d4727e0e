-- query:  entry_facts (a temp table, _sef_new; queries/derived.py replaces the rows of
--         stage_event_facts of the projects in _sef_scope with it)
-- grain:  one row per stage entry per project of the temp table _sef_scope, over the whole
--         history (every project at a full rebuild; the projects whose entries or snapshot
--         runs a write changed, otherwise)
-- params: none
-- output: project_id, seq, stage, stage_order, entered_on, left_on, next_stage, source,
--         previous_stage, prev_stage, prev_order, is_fall_back, n_stages_skipped,
--         is_date_out_of_order (a 'stage_dates' entry dated before an earlier stage's date);
--         and the running history up to this entry: is_last_of_day, first_order,
--         cum_max_order, cum_mask (bit k-1 = stage k entered), cum_n_events,
--         first_entered_on (the earliest entry so far), entered_first (first entry of the
--         stage with role 'first' so far), entered_won (of the stage with role 'won')
-- Where entries come from: a project with any entry read from a file (stage_events) uses
--   those only; a project without uses the snapshots: an entry each time it is seen at a
--   stage other than the one in its previous snapshot (so the first snapshot it appears in,
--   and a return after a fall-back, each make an entry; the date is that snapshot's as_of):
--   the table snapshot_runs, maintained per snapshot date (runs_date.sql).
--   A won/completed project counts as in the stage with role 'won' (delivery) whatever stage the export still shows.
-- Order: by date, then by stage order (two moves on the same day count as forward moves).
-- A fall-back is an entry at a lower stage than the entry before it; dates from a wide
--   export's stage-date columns (source 'stage_dates') can't express one, so an inversion
--   there is a data error (process_exceptions: out_of_order_dates), not a fall-back.
create or replace temp table _sef_new as
with explicit as (
    select e.project_id, e.stage, c.stage_order, c.role, e.entered_on, e.source, e.previous_stage
    from stg_stage_events as e
    inner join cfg_stages as c on c.stage = e.stage
    where e.project_id in (select project_id from _sef_scope)
),

-- a wide export's date for stage k earlier than the date it gives a lower stage
-- (the window runs over stage_dates rows only; a range over stage_order, so two dates for
-- the same stage, from two weekly files, never judge each other, whatever their row order)
explicit_checked as (
    select
        *,
        max(entered_on) over (
            partition by project_id order by stage_order
            range between unbounded preceding and 1 preceding
        ) > entered_on as is_date_out_of_order
    from explicit
    where source = 'stage_dates'
    union all
    select *, false
    from explicit
    where source <> 'stage_dates'
),

has_explicit as (
    select distinct project_id from explicit
),

seen_runs as (
    select r.project_id, r.stage, r.entered_on
    from snapshot_runs as r
    anti join has_explicit as h on h.project_id = r.project_id
    where r.project_id in (select project_id from _sef_scope)
),

derived as (
    select
        r.project_id, r.stage, c.stage_order, c.role, r.entered_on, 'snapshot' as source, null as previous_stage,
        false as is_date_out_of_order
    from seen_runs as r
    inner join cfg_stages as c on c.stage = r.stage
),

unioned as (
    select * from explicit_checked
    union all
    select * from derived
),

sequenced as (
    select
        *,
        row_number() over w as seq,
        lag(stage) over w as prev_stage,
        lag(stage_order) over w as prev_order,
        lag(source) over w as prev_source,
        lead(entered_on) over w as left_on,
        lead(stage) over w as next_stage,
        -- running history up to and including this entry, so project_facts can take
        -- the day's last entry on or before a snapshot date instead of grouping the entries
        lead(entered_on) over w is distinct from entered_on as is_last_of_day,
        first_value(stage_order) over w as first_order,
        max(stage_order) over wr as cum_max_order,
        bit_or(1 << (stage_order - 1)) over wr as cum_mask,
        count(*) over wr as cum_n_events,
        first_value(entered_on) over w as first_entered_on,
        min(case when role = 'first' then entered_on end) over wr as entered_first,
        min(case when role = 'won' then entered_on end) over wr as entered_won
    from unioned
    window
        w as (partition by project_id order by entered_on, stage_order),
        wr as (w rows between unbounded preceding and current row)
),

final as (
    select
        project_id,
        cast(seq as integer) as seq,
        stage,
        stage_order,
        entered_on,
        left_on,
        next_stage,
        source,
        previous_stage,
        prev_stage,
        prev_order,
        coalesce(
            stage_order < prev_order and source <> 'stage_dates' and prev_source <> 'stage_dates',
            false
        ) as is_fall_back,
        greatest(coalesce(stage_order - prev_order - 1, 0), 0) as n_stages_skipped,
        coalesce(is_date_out_of_order, false) as is_date_out_of_order,
        is_last_of_day,
        first_order,
        cum_max_order,
        cum_mask,
        cum_n_events,
        first_entered_on,
        entered_first,
        entered_won
    from sequenced
)

select * from final
