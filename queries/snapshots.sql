-- query:  snapshots
-- grain:  one row per snapshot date
-- params: $allowed_regions varchar[] (access scope: ['*'] = all, [] = none)
-- output: as_of, n_projects, n_open, open_expected_amount
with scoped as (
    select as_of, outcome, expected_amount
    from project_facts
    where in_scope(region, grade, owner, category, [], [], [], [], $allowed_regions)
),

final as (
    select
        as_of,
        count(*) as n_projects,
        count(*) filter (where outcome = 'open') as n_open,
        cast(coalesce(sum(expected_amount) filter (where outcome = 'open'), 0) as decimal(38, 2))
            as open_expected_amount
    from scoped
    group by as_of
)

select * from final order by as_of
