-- query:  changes
-- grain:  one row per (project, change) between the snapshots $since and $as_of
-- params: $as_of date; $since date | null (null = the snapshot before $as_of); the filter
--         lists (applied to the project's attributes in $as_of, else in $since);
--         thresholds: $amount_change_share double, $margin_change_points double
--         $limit integer | null (null = every row; the first N in the order shown)
-- output: project_id, change, before, after, amount_delta, expected_amount, project_name,
--         region, grade, owner, category, since, as_of
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
-- expected_amount: the project's expected amount in $as_of (in $since for vanished): what
--   the change is about (the weekly review sums it per kind of change).
with scoped as (
    select *
    from snapshot_pairs($as_of, $since, $filters, $allowed_regions)
),

-- one pass: each project's changes as a list, unnested (no union of twelve scans)
listed as (
    select
        *,
        list_filter([
            case when in_after and not in_before and (since is null or first_seen_on > since) then 'new' end,
            case when in_after and not in_before and first_seen_on <= since then 'reappeared' end,
            case when in_before and not in_after then 'vanished' end,
            case when order_after > order_before and not (outcome_after = 'won' and outcome_before <> 'won')
                then 'advanced' end,
            case when order_after < order_before then 'fell_back' end,
            case when outcome_after in ('won', 'lost', 'dropped') and outcome_after <> outcome_before
                then outcome_after end,
            case when status_after = 'completed' and status_before <> 'completed' then 'completed' end,
            case when outcome_after = 'open' and outcome_before <> 'open' then 'reopened' end,
            case when sign_after > sign_before then 'pushed_out' end,
            case when amount_after - amount_before > 0
                      and amount_after - amount_before > $amount_change_share * abs(amount_before)
                then 'amount_up' end,
            case when amount_after - amount_before < 0
                      and amount_before - amount_after > $amount_change_share * abs(amount_before)
                then 'amount_down' end,
            case when round((margin_before - margin_after) * 100, 9) >= $margin_change_points
                then 'margin_down' end
        ], lambda c: c is not null) as changes
    from scoped
),

changes as (
    select * exclude (changes), unnest(changes) as change
    from listed
),

final as (
    select
        project_id,
        change,
        case
            when change in ('new', 'reappeared') then null
            when change in ('vanished', 'advanced', 'fell_back') then stage_before
            when change in ('won', 'lost', 'dropped', 'reopened') then outcome_before
            when change = 'completed' then status_before
            when change = 'pushed_out' then cast(sign_before as varchar)
            when change in ('amount_up', 'amount_down') then cast(amount_before as varchar)
            when change = 'margin_down' then printf('%.4f', margin_before)
        end as before,
        case
            when change in ('new', 'reappeared', 'advanced', 'fell_back') then stage_after
            when change = 'vanished' then null
            when change in ('won', 'lost', 'dropped', 'reopened') then outcome_after
            when change = 'completed' then status_after
            when change = 'pushed_out' then cast(sign_after as varchar)
            when change in ('amount_up', 'amount_down') then cast(amount_after as varchar)
            when change = 'margin_down' then printf('%.4f', margin_after)
        end as after,
        cast(case
            when change in ('new', 'reappeared', 'reopened')
                then case when outcome_after = 'open' then amount_after else 0 end
            when change in ('vanished', 'won', 'lost', 'dropped')
                then case when outcome_before = 'open' then -amount_before else 0 end
            when change in ('amount_up', 'amount_down') then amount_after - amount_before
        end as decimal(38, 2)) as amount_delta,
        case when change = 'vanished' then amount_before else amount_after end as expected_amount,
        project_name,
        region,
        grade,
        owner,
        category,
        since,
        as_of,
        list_position(
            ['new', 'reappeared', 'vanished', 'advanced', 'fell_back', 'won', 'lost', 'dropped', 'completed',
             'reopened', 'pushed_out', 'amount_up', 'amount_down', 'margin_down'],
            change
        ) as change_order
    from changes
)

select * exclude (change_order) from final order by change_order, project_id
limit $limit
