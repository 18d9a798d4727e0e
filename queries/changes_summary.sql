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
    select
        cast($as_of as date) as as_of,
        coalesce(
            cast($since as date),
            (select max(as_of) from project_facts where as_of < cast($as_of as date))
        ) as since
),

after_rows as (
    select * from project_facts where as_of = (select as_of from dates)
),

before_rows as (
    select * from project_facts where as_of = (select since from dates)
),

paired as (
    select
        case when a.project_id is not null then a.region else b.region end as region,
        case when a.project_id is not null then a.grade else b.grade end as grade,
        case when a.project_id is not null then a.owner else b.owner end as owner,
        case when a.project_id is not null then a.category else b.category end as category,
        a.project_id is not null as in_after,
        b.project_id is not null as in_before,
        a.first_seen_on,
        coalesce(b.outcome = 'open', false) as open_before,
        coalesce(a.outcome = 'open', false) as open_after,
        a.outcome as outcome_after,
        cast(case when b.outcome = 'open' then coalesce(b.expected_amount, 0) else 0 end as decimal(38, 2))
            as amount_before,
        cast(case when a.outcome = 'open' then coalesce(a.expected_amount, 0) else 0 end as decimal(38, 2))
            as amount_after
    from after_rows as a
    full outer join before_rows as b on b.project_id = a.project_id
),

scoped as (
    select p.*, d.since
    from paired as p
    cross join dates as d
    where in_scope(p.region, p.grade, p.owner, p.category,
        $regions, $grades, $owners, $categories, $allowed_regions)
),

classified as (
    select
        case
            when open_before and open_after and amount_after > amount_before then 'increased'
            when open_before and open_after and amount_after < amount_before then 'decreased'
            when open_before and open_after then null
            when open_before and not in_after then 'vanished'
            when open_before then outcome_after
            when open_after and not in_before and (since is null or first_seen_on > since) then 'new'
            when open_after and not in_before then 'reappeared'
            when open_after then 'reopened'
        end as step,
        amount_after - amount_before as amount
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
    select 'start' as step, sum(amount_before) as amount, count(*) filter (where open_before) as n_projects
    from scoped
    union all
    select 'end', sum(amount_after), count(*) filter (where open_after)
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
