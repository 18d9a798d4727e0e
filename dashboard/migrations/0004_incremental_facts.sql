-- migration: 0004_incremental_facts
-- The bookkeeping that lets a write refresh only what it changed (issue 8), instead of
-- rebuilding the derived tables over every snapshot. queries/derived.py maintains these
-- tables; nothing else writes them. The wide derived tables (project_facts,
-- stage_event_facts, pair_facts) are still created by queries/derived.py from the shape of
-- their SQL; a database without `derived_meta` (every database before this migration) is
-- rebuilt once at its next write.

-- stage_events stored once: one row per distinct (project, stage, date, source,
-- previous_stage) that an active import reports. A weekly wide export repeats its stage
-- dates in every file: those add nothing here. When an import is removed or replaced, its
-- rows (noted before they are deleted, store.note_events_removed) leave only if no other
-- active import reports them. stg_stage_events reads this.
create table stage_entries (
    project_id      varchar not null,
    stage           varchar not null,
    entered_on      date not null,
    source          varchar not null,          -- 'stage_dates' | 'history'
    previous_stage  varchar
);

-- Stage runs seen in the snapshots: a row each time a project is seen at a (non-null)
-- stage other than the one of its previous snapshot with a stage (won/completed count as
-- delivery). stage_event_facts takes its entries from here for projects without entries
-- read from files.
create table snapshot_runs (
    project_id  varchar not null,
    stage       varchar not null,
    entered_on  date not null                  -- the snapshot date the run starts
);

-- The snapshot dates that hold rows (since_date, latest_as_of, the per-date refresh).
create table snapshot_dates (
    as_of  date not null
);

-- The running history project_facts needs from a project's previous row, one row per
-- project per snapshot (the same grain as project_facts).
create table project_carry (
    as_of               date not null,
    project_id          varchar not null,
    prev_as_of          date,                  -- the project's previous snapshot (null: first)
    snap_stage          varchar,               -- stage in this snapshot (won/completed -> delivery)
    is_closed           boolean not null,
    first_seen_on       date not null,
    first_snap_order    integer,
    snap_max_order      integer,
    snap_mask           integer,
    run_start_on        date,
    close_seen_on       date,
    earliest_margin     double,
    earliest_margin_on  date
);

-- The latest snapshot date of each project: where its history carries on from when it
-- returns after an absence (a weekly import finds it without scanning every week).
create table project_last_seen (
    project_id  varchar primary key,
    last_as_of  date not null
);

-- The weekly review's first screen (snapshots.sql) per snapshot and region, so listing the
-- snapshots reads a few rows per week instead of every project of every week.
create table snapshot_summary (
    as_of                 date not null,
    region                varchar,
    n_projects            bigint not null,
    n_open                bigint not null,
    open_expected_amount  decimal(38, 2) not null
);

-- The imports whose rows the derived tables reflect (active at the last refresh), and the
-- version of the derived tables' definitions they were built with.
create table refreshed_imports (
    import_id   integer not null,
    kind        varchar not null,
    as_of       date,
    has_events  boolean not null              -- it stored stage_events rows
);

-- Imports still active whose rows a write changed in place (a regional import replaces
-- some regions' rows of an earlier, company-wide import, issue 10): the next refresh
-- takes each out and back in, as if it had been removed and imported again.
create table refresh_pending (
    import_id  integer not null
);

create table derived_meta (
    key    varchar not null,
    value  varchar not null
);
