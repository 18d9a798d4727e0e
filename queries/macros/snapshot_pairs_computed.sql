-- query:  snapshot_pairs_computed (a table macro; use snapshot_pairs, which reads the
--         stored pairs of consecutive snapshots and calls this for any other pair)
-- grain:  one row per project in the snapshot at_date or in since_date(at_date, given_since),
--         in scope of the filters (judged on the project's attributes in at_date, else in
--         the earlier snapshot)
-- params: (as macro arguments) at_date = $as_of, given_since = $since, then the filter lists
--         $filters, $allowed_regions
-- output: project_id, project_name, region, grade, owner, category, in_after, in_before,
--         first_seen_on, stage_before/after, order_before/after, outcome_before/after,
--         status_before/after, amount_before/after (expected_amount as stored),
--         sign_before/after, margin_before/after, since, as_of
-- why:    `changes` (one row per change) and `changes_summary` (the waterfall) must pair the
--         same projects of the same two snapshots; this is that pairing, once. It also
--         fills pair_facts (every snapshot with the one before it) at refresh.
create or replace macro snapshot_pairs_computed(at_date, given_since, filters, allowed_regions) as table
with dates as (
    select cast(at_date as date) as as_of, since_date(at_date, given_since) as since
),

after_all as (
    select project_id, project_name, region, grade, owner, category, product_line, first_seen_on, cur_stage, cur_order,
        outcome, status, expected_amount, expected_sign_on, margin
    from project_facts where as_of = (select as_of from dates)
),

before_all as (
    select project_id, project_name, region, grade, owner, category, product_line, first_seen_on, cur_stage, cur_order,
        outcome, status, expected_amount, expected_sign_on, margin
    from project_facts where as_of = (select since from dates)
),

-- Filters pushed below the join (the same rows as filtering the joined pairs, at a
-- fraction of the cost when a region or grade is picked): a pair is judged on its after
-- row when there is one, so keep the in-scope after rows, the before rows paired with
-- them, and the before rows in scope that have no after row at all.
after_rows as (
    select * from after_all as a
    where in_scope(a, filters, allowed_regions)
),

before_rows as (
    select b.* from before_all as b
    semi join after_rows as a on a.project_id = b.project_id
    union all
    select b.* from before_all as b
    anti join after_all as a on a.project_id = b.project_id
    where in_scope(b, filters, allowed_regions)
),

paired as (
    select
        coalesce(a.project_id, b.project_id) as project_id,
        coalesce(a.project_name, b.project_name) as project_name,
        case when a.project_id is not null then a.region else b.region end as region,
        case when a.project_id is not null then a.grade else b.grade end as grade,
        case when a.project_id is not null then a.owner else b.owner end as owner,
        case when a.project_id is not null then a.category else b.category end as category,
        case when a.project_id is not null then a.product_line else b.product_line end as product_line,
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

final as (
    select p.*, d.since, d.as_of
    from paired as p
    cross join dates as d
    where in_scope(p, filters, allowed_regions)
)

select * from final
