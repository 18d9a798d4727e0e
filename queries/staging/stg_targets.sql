-- query:  stg_targets (a view)
-- grain:  one row per target of an active targets import (region, owner, category, period)
-- params: none
-- output: level (region | owner | category), region, owner, category, period_kind,
--         period_start, period_end, target_amount
-- why:    a removed or replaced import's targets no longer count (a replacement deletes the
--         rows it replaces; this also holds for a removal written by hand), and the cell a
--         target belongs to is named once: an owner's when it has an owner, a category's
--         when it has a category and no owner, else its region's (docs/ANALYSES.md "Targets").
create or replace view stg_targets as
select
    case
        when owner is not null then 'owner'
        when category is not null then 'category'
        else 'region'
    end as level,
    region,
    owner,
    category,
    period_kind,
    period_start,
    period_end,
    target_amount
from targets
where import_id in (select import_id from imports where status = 'active')
