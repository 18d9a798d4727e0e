-- migration: 0012_stage_event_reports
-- Stage events stored once (issue 8): a weekly wide export repeats every current project's
-- stage dates, so `stage_events` held the same (project, stage, date) once per weekly file
-- (≈ 2.8 MB a week at 100k projects, almost all of it the repeated project id). Now each
-- distinct event is stored once in `stage_event_keys`, and which imports reported it in
-- `stage_event_reports` (two integers per reported event, stored in import order and, within
-- an import, in entry order, so each import's rows compress to a few bits each).
-- `stage_events` becomes a view with the old columns: every reader sees the same rows as
-- before (one per event per import, duplicates within a file kept). Writers go through
-- dashboard/ingest/load.py (store_stage_events, and its deletes); a key that no report
-- names any more is deleted with the last report naming it.

create table stage_event_keys (
    entry_id        integer not null,        -- assigned in arrival order, never reused within a store
    project_id      varchar not null,
    stage           varchar not null,        -- a stage code
    entered_on      date not null,
    source          varchar not null,        -- 'stage_dates' | 'history'
    previous_stage  varchar                  -- when the history export names it
);

create table stage_event_reports (
    import_id  integer not null,             -- the import whose file gave the event
    entry_id   integer not null              -- stage_event_keys.entry_id
);

insert into stage_event_keys
select
    cast(row_number() over (order by project_id, stage, entered_on, source, previous_stage nulls first) as integer),
    project_id, stage, entered_on, source, previous_stage
from (select distinct project_id, stage, entered_on, source, previous_stage from stage_events);

insert into stage_event_reports
select e.import_id, k.entry_id
from stage_events as e
join stage_event_keys as k
    on k.project_id = e.project_id and k.stage = e.stage and k.entered_on = e.entered_on
    and k.source = e.source and k.previous_stage is not distinct from e.previous_stage
order by e.import_id, k.entry_id;

drop table stage_events;

create view stage_events as
select k.project_id, k.stage, k.entered_on, k.source, r.import_id, k.previous_stage
from stage_event_reports as r
join stage_event_keys as k on k.entry_id = r.entry_id;
