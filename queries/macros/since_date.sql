-- query:  since_date (a scalar macro)
-- grain:  one date
-- params: (as macro arguments) at_date = $as_of, given_since = $since (null = not given)
-- output: the earlier snapshot a comparison starts from: $since when given, else the
--         snapshot just before $as_of (null when $as_of is the first)
-- why:    `changes` and `changes_summary` must compare the same two snapshots. Reads the
--         list of snapshot dates (snapshot_dates, maintained at refresh), not the facts.
create or replace macro since_date(at_date, given_since) as (
    coalesce(
        cast(given_since as date),
        (select max(as_of) from snapshot_dates where as_of < cast(at_date as date))
    )
)
