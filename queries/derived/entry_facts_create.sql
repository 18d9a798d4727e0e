-- query:  entry_facts_create (creates stage_event_facts, empty; queries/derived.py at a full
--         rebuild, after entry_facts has run for no project)
-- grain:  none (no rows): the shape of entry_facts
-- params: none
-- output: the columns of stage_event_facts
create or replace table stage_event_facts as
select * from _sef_new where false
