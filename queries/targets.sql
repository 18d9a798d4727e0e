-- query:  targets
-- grain:  one row per (target cell, period). A cell is a region ($by null or 'region': the
--         targets with no owner and no category), an owner in a region ('owner') or a
--         category in a region ('category'). Periods: every calendar month and quarter of
--         $as_of's year that has begun by $as_of and holds a target of the cell, and the
--         current month and quarter for every cell with a project in the $as_of snapshot
--         (target_amount null = no target). With $by null or 'region', one 'total' row per
--         period: the regions that have a target for it, summed.
-- params: $as_of date; $filters: its region, owner (owner cells) and category (category cells)
--         lists; $allowed_regions varchar[] (['*'] = every region);
--         $by varchar | null. The grade filter does not apply (targets have no grade).
-- output: level (region | owner | category | total), region, owner, category, period_kind
--         (month | quarter), period (2026-11, 2026-Q4), period_start, period_end
--         (inclusive), is_current, is_complete, target_amount (元; null = no target),
--         n_won, won, attainment (won / target; null without a target), gap (target − won),
--         working_days_left, run_rate_per_day, run_rate_per_week, n_regions_without_target
-- Definitions (docs/ANALYSES.md "Targets"):
--   won          projects won (entered delivery) in the $as_of snapshot with closed_on in
--                the period and <= $as_of, in the cell's region (and owner / category
--                when the cell has one): contract amount, else expected amount (as forecast)
--   working_days_left  Monday–Friday days after $as_of up to the period's end (no holidays)
--   run_rate_per_day   gap / working_days_left when the gap is above 0 and days are left;
--   run_rate_per_week  the same per five working days; null otherwise
with wanted as (
    select *
    from stg_targets
    where level = coalesce(cast($by as varchar), 'region')
      and (len($filters.region) = 0 or list_contains($filters.region, region))
      and allowed_region(stg_targets, $allowed_regions)
      and (level <> 'owner' or len($filters.owner) = 0 or list_contains($filters.owner, owner))
      and (level <> 'category' or len($filters.category) = 0 or list_contains($filters.category, category))
      and period_start <= cast($as_of as date)
      and year(period_start) = year(cast($as_of as date))
),

current_periods as (
    select
        kind as period_kind,
        period_start($as_of, kind, 0) as period_start,
        cast(period_start($as_of, kind, 1) - 1 as date) as period_end
    from (values ('month'), ('quarter')) as k (kind)
    where cast($as_of as date) is not null
),

-- the snapshot's projects the caller may see, in the regions asked for
scoped as (
    select
        region,
        owner,
        category,
        outcome,
        closed_on,
        coalesce(contract_amount, expected_amount, 0) as won_amount
    from project_facts
    where as_of = $as_of
      and region is not null
      and (len($filters.region) = 0 or list_contains($filters.region, region))
      and allowed_region(project_facts, $allowed_regions)
),

present as (
    select distinct
        region,
        case when $by = 'owner' then owner end as owner,
        case when $by = 'category' then category end as category
    from scoped
    where (coalesce(cast($by as varchar), 'region') <> 'owner'
           or (owner is not null and (len($filters.owner) = 0 or list_contains($filters.owner, owner))))
      and (coalesce(cast($by as varchar), 'region') <> 'category'
           or (category is not null and (len($filters.category) = 0 or list_contains($filters.category, category))))
),

no_target as (
    select
        p.region,
        p.owner,
        p.category,
        c.period_kind,
        c.period_start,
        c.period_end,
        cast(null as decimal(18, 2)) as target_amount
    from present as p
    cross join current_periods as c
    where not exists (
        select 1 from wanted as w
        where w.region = p.region
          and w.owner is not distinct from p.owner
          and w.category is not distinct from p.category
          and w.period_kind = c.period_kind
          and w.period_start = c.period_start
    )
),

cells as (
    select region, owner, category, period_kind, period_start, period_end, target_amount from wanted
    union all
    select * from no_target
),


calendar as (
    select cast(unnest(generate_series(
        cast($as_of as date) + 1,
        cast(date_trunc('year', cast($as_of as date)) + interval 1 year - interval 1 day as date),
        interval 1 day)) as date) as d
),

days_left as (
    select
        p.period_kind,
        p.period_start,
        count(c.d) filter (where isodow(c.d) <= 5) as working_days_left
    from (select distinct period_kind, period_start, period_end from cells) as p
    left join calendar as c on c.d between p.period_start and p.period_end
    group by p.period_kind, p.period_start
),

-- each cell with what was won in it (a cell matches on its own attributes only)
detail as (
    select
        coalesce(cast($by as varchar), 'region') as level,
        c.region,
        c.owner,
        c.category,
        c.period_kind,
        c.period_start,
        c.period_end,
        c.target_amount,
        count(s.won_amount) as n_won,
        cast(coalesce(sum(s.won_amount), 0) as decimal(38, 2)) as won,
        0 as n_regions_without_target
    from cells as c
    left join scoped as s
        on s.region = c.region
       and (c.owner is null or s.owner = c.owner)
       and (c.category is null or s.category = c.category)
       and s.outcome = 'won'
       and s.closed_on between c.period_start and c.period_end
       and s.closed_on <= cast($as_of as date)
    group by c.region, c.owner, c.category, c.period_kind, c.period_start, c.period_end, c.target_amount
),

total as (
    select
        'total' as level,
        cast(null as varchar) as region,
        cast(null as varchar) as owner,
        cast(null as varchar) as category,
        period_kind,
        period_start,
        max(period_end) as period_end,
        sum(target_amount) as target_amount,
        cast(coalesce(sum(n_won) filter (where target_amount is not null), 0) as bigint) as n_won,
        cast(coalesce(sum(won) filter (where target_amount is not null), 0) as decimal(38, 2)) as won,
        count(*) filter (where target_amount is null) as n_regions_without_target
    from detail
    where coalesce(cast($by as varchar), 'region') = 'region'
    group by period_kind, period_start
),

final as (
    select
        r.level,
        r.region,
        r.owner,
        r.category,
        r.period_kind,
        period_label(r.period_kind, r.period_start) as period,
        r.period_start,
        r.period_end,
        r.period_start = period_start($as_of, r.period_kind, 0) as is_current,
        r.period_end <= cast($as_of as date) as is_complete,
        cast(r.target_amount as decimal(38, 2)) as target_amount,
        r.n_won,
        r.won,
        case when r.target_amount > 0 then cast(r.won as double) / cast(r.target_amount as double) end as attainment,
        cast(r.target_amount - r.won as decimal(38, 2)) as gap,
        coalesce(d.working_days_left, 0) as working_days_left,
        case when r.target_amount - r.won > 0 and d.working_days_left > 0
            then cast(r.target_amount - r.won as double) / d.working_days_left end as run_rate_per_day,
        case when r.target_amount - r.won > 0 and d.working_days_left > 0
            then cast(r.target_amount - r.won as double) * 5 / d.working_days_left end as run_rate_per_week,
        r.n_regions_without_target
    from (select * from detail union all select * from total) as r
    left join days_left as d
        on d.period_kind = r.period_kind and d.period_start = r.period_start
)

select * from final
order by period_kind desc, period_start desc, level = 'total' desc, region, owner, category
