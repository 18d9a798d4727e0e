-- migration: 0006_targets
-- Sales targets (issue 12): one row per target read from a targets export (imports.kind =
-- 'targets'; dashboard/ingest/targets.py): a region (and optionally an owner and/or a
-- category) x one calendar month or quarter x an amount in 元. A targets file replaces, for
-- every year it names, the targets of that year (a regional importer's: only within their
-- regions); the replaced rows are deleted here and the import that held them is marked
-- 'replaced' once none are left. Removing an import deletes its rows. queries/targets.sql
-- reads this table with the won projects of a snapshot (docs/ANALYSES.md, "Targets").

create table targets (
    import_id      integer not null,         -- the import that wrote the row
    year           integer not null,         -- the calendar year of the period
    period_kind    varchar not null,         -- 'month' | 'quarter'
    period_start   date not null,            -- the first day of the month / quarter
    period_end     date not null,            -- its last day (inclusive)
    region         varchar not null,         -- 区域 as written (text cleaned like the project exports)
    owner          varchar,                  -- 负责人: null = the region's target
    category       varchar,                  -- 项目分类: null = every category
    target_amount  decimal(18, 2) not null,  -- in 元 (a 万元 file is converted on import)
    sheet          varchar,                  -- where the row was read: sheet (XLSX) …
    source_row     integer                   -- … and row as the file counts it
);
