-- query:  changes_summary
-- grain:  one row per waterfall step, in order: start, new, reappeared, reopened,
--         increased, decreased, won, lost, dropped, vanished, end
-- params: $as_of date; $since date | null (null = the snapshot before $as_of); the filter
--         lists (applied to the project's attributes in $as_of, else in $since)
-- output: step_order, step, amount (signed, 元), n_projects, since, as_of
-- Definition: the open pipeline = sum of expected_amount (null = 0) of projects whose
--   outcome is open. Every project contributes (open amount now) - (open amount at $since),
--   assigned to exactly one step, so start + every step = end, exact to the fen:
--   open both times -> increased / decreased by the difference (any difference, not only
--   beyond amount_change_share); open before, not now -> won / lost / dropped (by its
--   outcome now) or vanished (missing now), minus its amount before; open now, not
--   before -> new / reappeared (missing before) or reopened (closed before), plus its
--   amount now. Decimal arithmetic throughout; no floats.
with dates as (
    select cast($as_of as date) as as_of, since_date($as_of, $since) as since
),

scoped as (
    select
        in_after,
        in_before,
        first_seen_on,
        since,
        outcome_after,
        coalesce(outcome_before = 'open', false) as open_before,
        coalesce(outcome_after = 'open', false) as open_after,
        cast(case when outcome_before = 'open' then coalesce(amount_before, 0) else 0 end as decimal(38, 2))
            as open_amount_before,
        cast(case when outcome_after = 'open' then coalesce(amount_after, 0) else 0 end as decimal(38, 2))
            as open_amount_after
    from snapshot_pairs($as_of, $since, $filters, $allowed_regions)
),

classified as (
    select
        case
            when open_before and open_after and open_amount_after > open_amount_before then 'increased'
            when open_before and open_after and open_amount_after < open_amount_before then 'decreased'
            when open_before and open_after then null
            when open_before and not in_after then 'vanished'
            when open_before then outcome_after
            when open_after and not in_before and (since is null or first_seen_on > since) then 'new'
            when open_after and not in_before then 'reappeared'
            when open_after then 'reopened'
        end as step,
        open_amount_after - open_amount_before as amount
    from scoped
),

steps as (
    select * from (values
        (1, 'start'), (2, 'new'), (3, 'reappeared'), (4, 'reopened'), (5, 'increased'),
        (6, 'decreased'), (7, 'won'), (8, 'lost'), (9, 'dropped'), (10, 'vanished'), (11, 'end')
    ) as t (step_order, step)
),

moves as (
    select step, sum(amount) as amount, count(*) as n_projects
    from classified
    where step is not null
    group by step
),

ends as (
    select 'start' as step, sum(open_amount_before) as amount, count(*) filter (where open_before) as n_projects
    from scoped
    union all
    select 'end', sum(open_amount_after), count(*) filter (where open_after)
    from scoped
),

final as (
    select
        s.step_order,
        s.step,
        cast(coalesce(m.amount, e.amount, 0) as decimal(38, 2)) as amount,
        coalesce(m.n_projects, e.n_projects, 0) as n_projects,
        d.since,
        d.as_of
    from steps as s
    cross join dates as d
    left join moves as m on m.step = s.step
    left join ends as e on e.step = s.step
)

select * from final order by step_order
