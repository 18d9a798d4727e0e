-- migration: 0001_init
-- The stored grain: one row per imported file, one row per project per snapshot date,
-- one row per stage entry read from a file. Everything derived (snapshot-derived stage
-- events, per-project facts) is built from these by queries/ and never typed in by hand.

create table imports (
    import_id      integer not null,         -- 1, 2, 3 … in import order
    file_name      varchar not null,         -- the uploaded name: a label, never a path
    sha256         varchar not null,         -- of the file's bytes
    sheet          varchar,                  -- the XLSX sheet used (null for CSV)
    kind           varchar not null,         -- 'projects' (one row per project) | 'history' (stage changes)
    as_of          date,                     -- the snapshot date this file stands for
    rows_read      integer not null,         -- data rows in the file (after the header)
    rows_accepted  integer not null,
    rows_skipped   integer not null,         -- blank and totals rows (合计/Total)
    imported_at    timestamp not null,
    status         varchar not null,         -- 'active' | 'replaced' (by a later file for the same as_of) | 'removed'
    mapping_name   varchar,                  -- the mapping file used, if any
    report         json                      -- the validation report, as shown to the user
);

create table project_snapshots (
    as_of             date not null,
    project_id        varchar not null,
    import_id         integer not null,
    project_name      varchar,
    customer          varchar,
    customer_grade    varchar,               -- A/B/C/D or null
    region            varchar,
    owner             varchar,
    category          varchar,
    stage             varchar,               -- a stage code (development … delivery)
    status            varchar not null,      -- open | won | lost | dropped | completed
    expected_amount   decimal(18, 2),        -- all amounts in 元
    contract_amount   decimal(18, 2),
    estimated_cost    decimal(18, 2),
    estimated_margin  double,                -- a ratio: 0.23 = 23 %
    bid_amount        decimal(18, 2),
    actual_cost       decimal(18, 2),
    expense_budget    decimal(18, 2),
    expense_actual    decimal(18, 2),
    expected_sign_on  date,
    created_on        date,
    lost_reason       varchar
);

create table stage_events (
    project_id      varchar not null,
    stage           varchar not null,        -- a stage code
    entered_on      date not null,
    source          varchar not null,        -- 'stage_dates' (a wide export's date columns) | 'history' (a long export)
    import_id       integer not null,
    previous_stage  varchar                  -- when the history export names it
);
