-- query:  snapshot_pairs (a table macro)
-- grain:  one row per project in the snapshot at_date or in since_date(at_date, given_since),
--         in scope of the filters (judged on the project's attributes in at_date, else in
--         the earlier snapshot)
-- params: (as macro arguments) at_date = $as_of, given_since = $since, then the filter lists
--         $filters, $allowed_regions
-- output: as snapshot_pairs_computed
-- why:    the one pairing `changes` and `changes_summary` share. Compared with the snapshot
--         just before (the weekly review's case, and since = null) for a date whose pairs
--         are stored (pair_facts keeps the newest dates: queries/derived.py
--         STORED_PAIR_DATES): the stored pairs; else (another earlier snapshot, or an older
--         date): computed now. Exactly one of the two branches returns rows. (CTE names here differ from the macro's own:
--         its body is inlined, and a `dates` here would be captured by its `dates`.)
create or replace macro snapshot_pairs(at_date, given_since, filters, allowed_regions) as table
with pair_dates as (
    select
        cast(at_date as date) as as_of,
        since_date(at_date, given_since) as since,
        since_date(at_date, null) as previous,
        exists (select 1 from pair_facts as s where s.as_of = cast(at_date as date)) as stored
),

-- the stored pairs answer only "since the snapshot just before", and only where stored
use_stored as (
    select as_of from pair_dates where since is not distinct from previous and stored
),

stored_pairs as (
    select p.*
    from pair_facts as p
    where p.as_of = (select as_of from use_stored)
        and in_scope(p, filters, allowed_regions)
),

computed_pairs as (
    select c.*
    from snapshot_pairs_computed(
        (select as_of from pair_dates where not exists (select 1 from use_stored)),
        (select since from pair_dates where not exists (select 1 from use_stored)),
        filters, allowed_regions
    ) as c
)

select * from stored_pairs
union all by name
select * from computed_pairs
