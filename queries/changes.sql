-- query:  changes
-- grain:  one row per (project, change) between the snapshots $since and $as_of
-- params: $as_of date; $since date | null (null = the snapshot before $as_of); the filter
--         lists (applied to the project's attributes in $as_of, else in $since);
--         thresholds: $amount_change_share double, $margin_change_points double
-- output: project_id, change, before, after, amount_delta, project_name, region, grade,
--         owner, category, since, as_of
-- Changes (a project can have several):
--   new         in $as_of, in no snapshot up to $since
--   reappeared  in $as_of, not in $since, but in an earlier one
--   vanished    in $since, not in $as_of
--   advanced    current stage later (not into delivery: that is `won`)
--   fell_back   current stage earlier
--   won         outcome became won (entered delivery)
--   lost, dropped  outcome became lost / dropped
--   completed   status became completed
--   reopened    was lost/dropped/won, is open again
--   pushed_out  expected sign date later
--   amount_up / amount_down  expected amount changed by more than
--               $amount_change_share x |before| (any change when before is 0)
--   margin_down margin fell by >= $margin_change_points percentage points
-- before/after are text (stage codes, outcomes, dates or amounts as written).
-- amount_delta: for amount_up/down the change of expected_amount; for new, reappeared,
--   reopened, vanished, won, lost, dropped the effect on the open pipeline (the project's
--   expected amount entering or leaving it; 0 when it was not / is not open); else null.
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
        coalesce(a.project_id, b.project_id) as project_id,
        coalesce(a.project_name, b.project_name) as project_name,
        case when a.project_id is not null then a.region else b.region end as region,
        case when a.project_id is not null then a.grade else b.grade end as grade,
        case when a.project_id is not null then a.owner else b.owner end as owner,
        case when a.project_id is not null then a.category else b.category end as category,
        a.project_id is not null as in_after,
        b.project_id is not null as in_before,
        a.first_seen_on,
        b.cur_stage as stage_before,
        a.cur_stage as stage_after,
        b.cur_order as order_before,
        a.cur_order as order_after,
        b.outcome as outcome_before,
        a.outcome as outcome_after,
        b.status as status_before,
        a.status as status_after,
        b.expected_amount as amount_before,
        a.expected_amount as amount_after,
        b.expected_sign_on as sign_before,
        a.expected_sign_on as sign_after,
        b.margin as margin_before,
        a.margin as margin_after
    from after_rows as a
    full outer join before_rows as b on b.project_id = a.project_id
),

scoped as (
    select p.*, d.since, d.as_of
    from paired as p
    cross join dates as d
    where (len($regions) = 0 or list_contains($regions, p.region))
      and (len($grades) = 0 or list_contains($grades, p.grade))
      and (len($owners) = 0 or list_contains($owners, p.owner))
      and (len($categories) = 0 or list_contains($categories, p.category))
      and (len($allowed_regions) = 0 or list_contains($allowed_regions, p.region))
),

changes as (
    select project_id, 'new' as change, 1 as change_order, null as before, stage_after as after,
           case when outcome_after = 'open' then amount_after else 0 end as amount_delta
    from scoped
    where in_after and not in_before and (since is null or first_seen_on > since)

    union all
    select project_id, 'reappeared', 2, null, stage_after,
           case when outcome_after = 'open' then amount_after else 0 end
    from scoped
    where in_after and not in_before and first_seen_on <= since

    union all
    select project_id, 'vanished', 3, stage_before, null,
           case when outcome_before = 'open' then -amount_before else 0 end
    from scoped
    where in_before and not in_after

    union all
    select project_id, 'advanced', 4, stage_before, stage_after, null
    from scoped
    where in_after and in_before and order_after > order_before
      and not (outcome_after = 'won' and outcome_before <> 'won')

    union all
    select project_id, 'fell_back', 5, stage_before, stage_after, null
    from scoped
    where in_after and in_before and order_after < order_before

    union all
    select project_id, outcome_after, 6, outcome_before, outcome_after,
           case when outcome_before = 'open' then -amount_before else 0 end
    from scoped
    where in_after and in_before and outcome_after in ('won', 'lost', 'dropped')
      and outcome_after <> outcome_before

    union all
    select project_id, 'completed', 7, status_before, status_after, null
    from scoped
    where in_after and in_before and status_after = 'completed' and status_before <> 'completed'

    union all
    select project_id, 'reopened', 8, outcome_before, outcome_after, amount_after
    from scoped
    where in_after and in_before and outcome_after = 'open' and outcome_before <> 'open'

    union all
    select project_id, 'pushed_out', 9, cast(sign_before as varchar), cast(sign_after as varchar), null
    from scoped
    where in_after and in_before and sign_after > sign_before

    union all
    select project_id, 'amount_up', 10, cast(amount_before as varchar), cast(amount_after as varchar),
           amount_after - amount_before
    from scoped
    where in_after and in_before and amount_after - amount_before > 0
      and amount_after - amount_before > $amount_change_share * abs(amount_before)

    union all
    select project_id, 'amount_down', 11, cast(amount_before as varchar), cast(amount_after as varchar),
           amount_after - amount_before
    from scoped
    where in_after and in_before and amount_after - amount_before < 0
      and amount_before - amount_after > $amount_change_share * abs(amount_before)

    union all
    select project_id, 'margin_down', 12, printf('%.4f', margin_before), printf('%.4f', margin_after), null
    from scoped
    where in_after and in_before
      and round((margin_before - margin_after) * 100, 9) >= $margin_change_points
),

final as (
    select
        c.project_id,
        c.change,
        c.before,
        c.after,
        cast(c.amount_delta as decimal(38, 2)) as amount_delta,
        s.project_name,
        s.region,
        s.grade,
        s.owner,
        s.category,
        s.since,
        s.as_of,
        c.change_order
    from changes as c
    inner join scoped as s on s.project_id = c.project_id
)

select * exclude (change_order) from final order by change_order, project_id
