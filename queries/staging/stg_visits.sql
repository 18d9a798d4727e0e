-- query:  stg_visits (a view)
-- grain:  one row per reported visit of an active import (the visits table keeps no other:
--         a replaced person × date range and a removed import's rows are deleted)
-- params: none
-- output: reporter, region, visit_on, seq, customer, customer_key, contact, visit_time,
--         purpose, purpose_text, result, customer_category, revisit_on, notes,
--         project_id_given, project_id, match_status, import_id, sheet, source_row,
--         visit_key (the matched project id, else 'customer:' + the folded customer name:
--         who a revisit must reach)
-- why:    the metric queries read visits through one renaming view, never the table.
create or replace view stg_visits as
select
    reporter,
    region,
    visit_on,
    seq,
    customer,
    customer_key,
    contact,
    visit_time,
    purpose,
    purpose_text,
    result,
    customer_category,
    revisit_on,
    notes,
    project_id_given,
    project_id,
    match_status,
    coalesce(project_id, 'customer:' || customer_key) as visit_key,
    import_id,
    sheet,
    source_row
from visits
