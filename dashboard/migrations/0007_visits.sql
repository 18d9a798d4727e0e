-- migration: 0007_visits
-- Daily visit reports (销售日报, issue 13): one row per reported visit, read from a visit-
-- report workbook or a CRM activity export (imports.kind = 'visits'; dashboard/ingest/
-- visits.py). Only the rows of active imports are kept: a visit file replaces, for each
-- person it names, that person's earlier visits between the person's first and last date in
-- the file; removing an import deletes its rows. The project a visit belongs to is matched
-- when it is written (by project id when the file has one, else by the exact normalised
-- customer name against the projects known then), and how is recorded in match_status.

create table visits (
    import_id          integer not null,     -- the import that wrote the row
    reporter           varchar not null,     -- 填报人 / 销售人员: who made the visit
    region             varchar,              -- 区域 as written, else the matched project's region
    visit_on           date not null,        -- 日期: the day of the visit
    seq                integer,              -- 序号: the visit's number in that person's day
    customer           varchar not null,     -- 拜访客户 / 客户名称 as written
    customer_key       varchar not null,     -- the customer folded for matching (NFKC, lower case, no white space)
    contact            varchar,              -- 联系人
    visit_time         varchar,              -- 拜访时间 as written (e.g. 9:30-10:30)
    purpose            varchar,              -- order | collection | development | service | other (null: not said)
    purpose_text       varchar,              -- 拜访目的 as written
    result             varchar,              -- 商谈结果
    customer_category  varchar,              -- development | new | existing (开发/新增/原有; null: not said)
    revisit_on         date,                 -- 预定再访时间: the planned next visit
    notes              varchar,              -- 其他记录
    project_id_given   varchar,              -- 项目编号 in the file (ids folded like project ids), else null
    project_id         varchar,              -- the matched project; null when not matched
    match_status       varchar not null,     -- id | name | unknown_id (id not among the projects) | ambiguous (name of several projects) | unmatched
    sheet              varchar,              -- where the row was read: sheet (XLSX) …
    source_row         integer               -- … and row as the file counts it
);
