-- query:  pair_create (creates pair_facts, empty; queries/derived.py at a full rebuild)
-- grain:  none (no rows): the shape of snapshot_pairs_computed
-- params: none
-- output: the columns of snapshot_pairs_computed
create or replace table pair_facts as
select p.*
from snapshot_pairs_computed(cast(null as date), null, $no_filters, ['*']) as p
where false
