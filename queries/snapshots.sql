-- query:  snapshots
-- grain:  one row per snapshot date
-- params: $allowed_regions varchar[] (access scope: ['*'] = all, [] = none)
-- output: as_of, n_projects, n_open, open_expected_amount
-- why:    the weekly review lists every snapshot on its first screen: read from
--         snapshot_summary (per snapshot and region, maintained at each import), a few rows
--         per week instead of every project of every week.
with scoped as (
    select as_of, n_projects, n_open, open_expected_amount
    from snapshot_summary
    where allowed_region(snapshot_summary, $allowed_regions)
),

final as (
    select
        as_of,
        cast(sum(n_projects) as bigint) as n_projects,
        cast(sum(n_open) as bigint) as n_open,
        cast(sum(open_expected_amount) as decimal(38, 2)) as open_expected_amount
    from scoped
    group by as_of
)

select * from final order by as_of
