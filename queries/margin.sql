-- query:  margin
-- grain:  one row per (project, failed check) in the $as_of snapshot; projects lost or
--         dropped are not checked (their margin no longer matters)
-- params: $as_of date; the filter lists; $project_id varchar | null (null = all);
--         thresholds: $floor_default double, $floor_category_keys varchar[] +
--         $floor_category_values double[], $floor_grade_keys varchar[] + $floor_grade_values
--         double[], $erosion_points double, $expense_ratio_factor double
--         $check_codes, $check_severities varchar[] (the checks in order, queries/checks.py);
--         $limit integer | null (null = every row; the first N in the order shown)
-- output: project_id, check, severity, value, threshold, reference, reference_on (what the
--         value is compared with besides the threshold: eroded = the earliest estimate and
--         its snapshot date, high_expense_ratio = the grade's median ratio; else null),
--         [detail: added by the runner from the check's template, queries/checks.py],
--         project_name, region, grade, owner, category, stage, margin_amount, margin
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
        max(stage_order) filter (where role = 'bid') as bid_order
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
        o.bid_order
    from project_facts as f
    cross join stage_orders as o
    left join category_floors as cf on cf.category = f.category
    left join grade_floors as gf on gf.grade = f.grade
    where f.as_of = $as_of
      and f.outcome not in ('lost', 'dropped')
      and (cast($project_id as varchar) is null or f.project_id = $project_id)
      and in_scope(f, $filters, $allowed_regions)
),

-- each check once: whether it failed, its value and its threshold (severity, order and
-- words come from the registry, queries/checks.py: $check_codes, $check_severities)
evaluated as (
    select
        *,
        -- reference / reference_on: what the value is compared with, when it is not the
        -- threshold itself (the earliest estimate and its date; the grade's median)
        [
            {code: 'negative_margin', failed: margin < 0, value: margin, threshold: 0.0,
             reference: cast(null as double), reference_on: cast(null as date)},
            {code: 'below_floor', failed: margin < floor, value: margin, threshold: floor,
             reference: null, reference_on: null},
            {code: 'eroded', failed: points_lost >= $erosion_points, value: points_lost,
             threshold: cast($erosion_points as double), reference: earliest_margin, reference_on: earliest_margin_on},
            {code: 'bid_below_floor', failed: furthest_order >= bid_order and bid_margin < floor, value: bid_margin,
             threshold: floor, reference: null, reference_on: null},
            {code: 'missing_estimate', failed: furthest_order > approval_order and margin is null,
             value: cast(null as double), threshold: cast(null as double), reference: null, reference_on: null},
            {code: 'high_expense_ratio', failed: peer_expense_ratio > 0
                and expense_ratio > $expense_ratio_factor * peer_expense_ratio,
             value: expense_ratio, threshold: $expense_ratio_factor * peer_expense_ratio,
             reference: peer_expense_ratio, reference_on: null}
        ] as evaluated
    from scoped
),

checks as (
    select * exclude (evaluated), unnest(list_filter(evaluated, lambda x: coalesce(x.failed, false))) as c
    from evaluated
),

final as (
    select
        project_id,
        c.code as "check",
        list_extract($check_severities, list_position($check_codes, c.code)) as severity,
        c.value,
        c.threshold,
        c.reference,
        c.reference_on,
        project_name,
        region,
        grade,
        owner,
        category,
        cur_stage as stage,
        margin_amount,
        margin,
        list_position($check_codes, c.code) as check_order
    from checks
)

select * exclude (check_order) from final order by project_id, check_order
limit $limit
