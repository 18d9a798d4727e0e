-- query:  entries_remove (a temp table; queries/derived.py deletes its rows from stage_entries)
-- grain:  one row per entry a removed or replaced import reported (noted in _gone_events
--         before its rows were deleted) that no active import reports any more
-- params: none
-- output: project_id, stage, entered_on, source, previous_stage
-- why:    a removed import takes out only what no other active import reported. Reads the
--         import ids of every stored report once (a removal or replacement, not a weekly import).
create or replace temp table _entries_out as
with candidates as (
    select distinct project_id, stage, entered_on, source, previous_stage from _gone_events
),

candidate_keys as (
    select k.entry_id, k.project_id, k.stage, k.entered_on, k.source, k.previous_stage
    from stage_event_keys as k
    semi join candidates as c
        on c.project_id = k.project_id and c.stage = k.stage and c.entered_on = k.entered_on
        and c.source = k.source and c.previous_stage is not distinct from k.previous_stage
),

-- the reports are scanned once against the few candidate ids (the small side is built)
reported_ids as (
    select distinct r.entry_id
    from stage_event_reports as r
    semi join candidate_keys as ck on ck.entry_id = r.entry_id
    where r.import_id not in (select import_id from imports where status <> 'active')
),

still_reported as (
    select ck.project_id, ck.stage, ck.entered_on, ck.source, ck.previous_stage
    from candidate_keys as ck
    semi join reported_ids as ri on ri.entry_id = ck.entry_id
)

select * from candidates
except
select * from still_reported
