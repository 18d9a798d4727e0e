-- query:  margin
-- grain:  one row per (project, failed check) in the $as_of snapshot; projects lost or
--         dropped are not checked (their margin no longer matters)
-- params: $as_of date; the filter lists; $project_id varchar | null (null = all);
--         thresholds: $floor_default double, $floor_category_keys varchar[] +
--         $floor_category_values double[], $floor_grade_keys varchar[] + $floor_grade_values
--         double[], $erosion_points double, $expense_ratio_factor double
--         $limit integer | null (null = every row; the first N in the order shown)
-- output: project_id, check, severity, value, threshold, detail, project_name, region,
--         grade, owner, category, stage, margin_amount, margin
-- Checks (each evaluated on its own; a negative margin is also below the floor):
--   negative_margin     margin < 0                                                  high
--   below_floor         margin < floor (category override, else grade, else default) medium
--   eroded              (earliest margin - margin) * 100 >= $erosion_points          medium
--   bid_below_floor     furthest stage >= the 'bid' stage (tender) and bid margin < floor high
--                       (bid margin = (bid - cost) / bid when both known, else margin)
--   missing_estimate    furthest stage past the 'approval' stage and no cost or margin
--                       estimate                                                     low
--   high_expense_ratio  expense / amount > $expense_ratio_factor x median of the same
--                       snapshot's same-grade projects                               medium
-- margin = (amount - cost) / amount, amount = contract amount else expected amount,
-- cost = estimated cost else amount x (1 - estimated margin). Points are rounded to 1e-9
-- so that 30 % -> 25 % counts as 5 points, not 4.999999.
with category_floors as (
    select
        unnest(cast($floor_category_keys as varchar[])) as category,
        unnest(cast($floor_category_values as double[])) as floor
),

grade_floors as (
    select
        unnest(cast($floor_grade_keys as varchar[])) as grade,
        unnest(cast($floor_grade_values as double[])) as floor
),

stage_orders as (
    select
        max(stage_order) filter (where role = 'approval') as approval_order,
        max(stage_order) filter (where role = 'bid') as tender_order
    from cfg_stages
),

scoped as (
    select
        f.*,
        coalesce(cf.floor, gf.floor, cast($floor_default as double)) as floor,
        case
            when f.bid_amount > 0 and f.margin_cost is not null
                then (cast(f.bid_amount as double) - f.margin_cost) / cast(f.bid_amount as double)
            else f.margin
        end as bid_margin,
        round((f.earliest_margin - f.margin) * 100, 9) as points_lost,
        o.approval_order,
        o.tender_order
    from project_facts as f
    cross join stage_orders as o
    left join category_floors as cf on cf.category = f.category
    left join grade_floors as gf on gf.grade = f.grade
    where f.as_of = $as_of
      and f.outcome not in ('lost', 'dropped')
      and (cast($project_id as varchar) is null or f.project_id = $project_id)
      and in_scope(f.region, f.grade, f.owner, f.category,
          $regions, $grades, $owners, $categories, $allowed_regions)
),

-- one pass: each project's failed checks as a list, unnested (no union of six scans)
failed as (
    select
        *,
        list_filter([
            case when margin < 0 then 'negative_margin' end,
            case when margin < floor then 'below_floor' end,
            case when points_lost >= $erosion_points then 'eroded' end,
            case when furthest_order >= tender_order and bid_margin < floor then 'bid_below_floor' end,
            case when furthest_order > approval_order and margin is null then 'missing_estimate' end,
            case
                when peer_expense_ratio > 0 and expense_ratio > $expense_ratio_factor * peer_expense_ratio
                    then 'high_expense_ratio'
            end
        ], lambda c: c is not null) as checks
    from scoped
    where margin < 0
       or margin < floor
       or (furthest_order >= tender_order and bid_margin < floor)
       or points_lost >= $erosion_points
       or (furthest_order > approval_order and margin is null)
       or (peer_expense_ratio > 0 and expense_ratio > $expense_ratio_factor * peer_expense_ratio)
),

checks as (
    select * exclude (checks), unnest(checks) as check_name
    from failed
),

final as (
    select
        project_id,
        check_name as "check",
        case check_name
            when 'negative_margin' then 'high'
            when 'bid_below_floor' then 'high'
            when 'missing_estimate' then 'low'
            else 'medium'
        end as severity,
        case check_name
            when 'eroded' then points_lost
            when 'bid_below_floor' then bid_margin
            when 'missing_estimate' then null
            when 'high_expense_ratio' then expense_ratio
            else margin
        end as value,
        case check_name
            when 'negative_margin' then 0.0
            when 'eroded' then cast($erosion_points as double)
            when 'missing_estimate' then null
            when 'high_expense_ratio' then $expense_ratio_factor * peer_expense_ratio
            else floor
        end as threshold,
        case check_name
            when 'negative_margin' then printf('margin %.1f%% is negative', margin * 100)
            when 'below_floor' then printf('margin %.1f%% < floor %.1f%%', margin * 100, floor * 100)
            when 'eroded' then printf('margin %.1f%% on %s -> %.1f%% now: %.1f points lost',
                                      earliest_margin * 100, earliest_margin_on, margin * 100, points_lost)
            when 'bid_below_floor' then printf('reached tender with bid margin %.1f%% < floor %.1f%%: should have been a no-bid',
                                               bid_margin * 100, floor * 100)
            when 'missing_estimate' then printf('at %s (past approval) without a cost or margin estimate', cur_stage)
            when 'high_expense_ratio' then printf('sales expense %.1f%% of amount > %.1f x grade median %.1f%%',
                                                  expense_ratio * 100, cast($expense_ratio_factor as double),
                                                  peer_expense_ratio * 100)
        end as detail,
        project_name,
        region,
        grade,
        owner,
        category,
        cur_stage as stage,
        margin_amount,
        margin,
        list_position(
            ['negative_margin', 'below_floor', 'eroded', 'bid_below_floor', 'missing_estimate', 'high_expense_ratio'],
            check_name
        ) as check_order
    from checks
)

select * exclude (check_order) from final order by project_id, check_order
limit $limit
