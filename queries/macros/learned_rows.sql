-- query:  learned_rows (a table macro)
-- grain:  one row per project_facts row up to t that a learned probability may read
-- params: (as macro arguments) t date; by_region boolean; allowed_regions varchar[]
-- output: scope ('*' = every row the caller may see; with by_region the row's region, rows
--         without a region left out), project_id, as_of, outcome, grade, cur_stage
-- why:    learned_counts and learned_counts_history read the same rows in the same scopes.
create or replace macro learned_rows(t, by_region, allowed_regions) as table
select
    case when by_region then region else '*' end as scope,
    project_id, as_of, outcome, grade, cur_stage
from project_facts
where as_of <= t
  and allowed_region(project_facts, allowed_regions)
  and (not by_region or region is not null)
