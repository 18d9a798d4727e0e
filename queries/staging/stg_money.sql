-- query:  stg_money (a view)
-- grain:  one row per money entry (contract, invoice, payment) of an active import (the
--         money_entries table keeps no other: a replaced project's and a removed import's
--         rows are deleted)
-- params: none
-- output: project_id, entry, amount (元), on_date, due_on, import_id, sheet, source_row
-- why:    the collection queries read money through one renaming view, never the table.
create or replace view stg_money as
select project_id, entry, amount, on_date, due_on, import_id, sheet, source_row
from money_entries
