-- migration: 0008_collections
-- Collections (回款, issue 13): the money line of a project — contract, invoices (开票) with
-- the agreed payment date, payments (回款) — read from a receivables ledger (one row per
-- invoice line) or a dated list of entries (imports.kind = 'collections';
-- dashboard/ingest/collections.py). A file replaces every stored entry of the projects it
-- names (it is their whole money record); removing an import deletes its rows.

create table money_entries (
    import_id    integer not null,        -- the import that wrote the row
    project_id   varchar not null,        -- 项目编号 (ids folded like project ids)
    entry        varchar not null,        -- contract | invoice | payment
    amount       decimal(18, 2) not null, -- in 元 (万元 in the file converted)
    on_date      date,                    -- contract: signing date if given; invoice: 开票日期; payment: 回款日期
    due_on       date,                    -- invoice: 约定回款日期 (the agreed payment date); else null
    sheet        varchar,                 -- where the row was read: sheet (XLSX) …
    source_row   integer                  -- … and row as the file counts it
);
