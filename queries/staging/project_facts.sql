-- query:  project_facts (a table, rebuilt by queries.refresh before every commit)
-- grain:  one row per project per snapshot date (as_of): what was known about the
--         project as of that snapshot (its row in that snapshot + its history up to then)
-- params: none
-- output: the snapshot's columns (project_id, project_name, customer, grade, region, owner,
--         category, status, stage as exported, amounts, expected_sign_on, ...) and
--         cur_stage, cur_order      current stage (won/completed -> delivery)
--         outcome                   open | won | lost | dropped (won = entered delivery)
--         furthest_order            highest stage entered by as_of (events and snapshots)
--         first_order               lowest of: first recorded entry, first snapshot's stage
--         seen_mask                 bit k-1 set = stage k entered or seen by as_of
--         skipped_mask              stages strictly between first_order and furthest_order
--                                   never entered nor seen (= skipped)
--         entered_<stage>           first entry date of each stage, on or before as_of
--         cur_entered_on            when the project entered its current stage (this stay)
--         is_below_furthest         current stage below the furthest (fell back, not recovered)
--         first_seen_on             first snapshot the project appears in, up to as_of
--         first_recorded_on         earliest of first_seen_on and the stage entries
--         closed_on                 won: delivery entry date if recorded, else like lost;
--                                   lost/dropped: first snapshot of the current closed run
--         margin_amount, margin_cost, margin: the margin basis (see docs/ANALYSES.md)
--         earliest_margin, earliest_margin_on: earliest snapshot with an estimate
--         expense_ratio, peer_expense_ratio (median over the same snapshot and grade)
-- why:    every metric query filters this table on as_of and aggregates a few columns:
--         the window and join work happens once per import, not once per page view.
create or replace table project_facts as
with n as (
    select max(stage_order) as last_order from cfg_stages
),

snap as (
    select
        p.*,
        case when p.status in ('won', 'completed') then 'delivery' else p.stage end as snap_stage,
        coalesce(p.contract_amount, p.expected_amount) as margin_amount
    from stg_projects as p
),

snap_costed as (
    select
        s.*,
        c.stage_order as snap_order,
        case
            when s.margin_amount is null then null
            when s.estimated_cost is not null then cast(s.estimated_cost as double)
            when s.estimated_margin is not null then cast(s.margin_amount as double) * (1 - s.estimated_margin)
        end as margin_cost
    from snap as s
    left join cfg_stages as c on c.stage = s.snap_stage
),

snap_margined as (
    select
        *,
        case
            when margin_amount > 0 and margin_cost is not null
                then (cast(margin_amount as double) - margin_cost) / cast(margin_amount as double)
        end as margin
    from snap_costed
),

-- the history windows run over these few columns only (a window carries every column
-- it is given through its sort; the wide rows join back afterwards)
narrow as (
    select
        row_key,
        as_of,
        project_id,
        snap_stage,
        snap_order,
        margin,
        status in ('lost', 'dropped', 'won', 'completed') as is_closed
    from snap_margined
),

narrow_marked as (
    select
        *,
        snap_stage is distinct from lag(snap_stage) over wp as is_new_run,
        is_closed and coalesce(not lag(is_closed) over wp, true) as is_new_close
    from narrow
    window wp as (partition by project_id order by as_of)
),

snap_history as (
    select
        row_key,
        min(as_of) over wr as first_seen_on,
        first_value(snap_order ignore nulls) over wr as first_snap_order,
        max(snap_order) over wr as snap_max_order,
        bit_or(case when snap_order is not null then 1 << (snap_order - 1) end) over wr as snap_mask,
        max(case when is_new_run then as_of end) over wr as run_start_on,
        max(case when is_new_close then as_of end) over wr as close_seen_on,
        first_value(margin ignore nulls) over wr as earliest_margin,
        first_value(case when margin is not null then as_of end ignore nulls) over wr as earliest_margin_on
    from narrow_marked
    window wr as (partition by project_id order by as_of rows between unbounded preceding and current row)
),

-- the running history as of each snapshot = the running columns of the last entry on or
-- before its date. Usually that is the project's final entry (a plain join); only
-- snapshots taken before the final entry search the earlier ones.
final_entries as (
    select * from stage_event_facts where left_on is null
),

known_by_final as (
    select n.row_key, e.*
    from narrow as n
    inner join final_entries as e on e.project_id = n.project_id and e.entered_on <= n.as_of
),

known_by_earlier as (
    select n.row_key, e.*
    from (select * from narrow anti join known_by_final as k on k.row_key = narrow.row_key) as n
    inner join stage_event_facts as e
        on e.project_id = n.project_id and e.is_last_of_day and e.entered_on <= n.as_of
    qualify row_number() over (partition by n.row_key order by e.seq desc) = 1
),

events_to_date as (
    select
        row_key,
        cum_max_order as ev_max_order,
        first_order as ev_first_order,
        cum_mask as ev_mask,
        stage as last_stage,
        entered_on as last_entered_on,
        cum_n_events as n_events,
        entered_development,
        entered_approval,
        entered_proposal,
        entered_tender,
        entered_negotiation,
        entered_delivery
    from (select * from known_by_final union all select * from known_by_earlier)
),

peers as (
    select as_of, grade, median(cast(expense_actual as double) / cast(margin_amount as double)) as peer_expense_ratio
    from snap
    where margin_amount > 0 and expense_actual is not null
    group by as_of, grade
),

-- narrow per-row history first, then one join with the wide snapshot rows
history as materialized (
    select
        h.*,
        e.* exclude (row_key)
    from snap_history as h
    left join events_to_date as e on e.row_key = h.row_key
),

combined as (
    select
        m.*,
        h.* exclude (row_key),
        nullif(greatest(coalesce(h.ev_max_order, 0), coalesce(h.snap_max_order, 0)), 0) as furthest_raw,
        least(h.ev_first_order, h.first_snap_order) as first_order,
        coalesce(h.ev_mask, 0) | coalesce(h.snap_mask, 0) as seen_mask
    from snap_margined as m
    inner join history as h on h.row_key = m.row_key
),

outcomes as (
    select
        c.*,
        case
            when c.status in ('lost', 'dropped') then c.status
            when c.furthest_raw = n.last_order then 'won'
            else 'open'
        end as outcome,
        n.last_order
    from combined as c
    cross join n
),

final as (
    select
        o.as_of,
        o.project_id,
        o.project_name,
        o.customer,
        o.grade,
        o.region,
        o.owner,
        o.category,
        o.status,
        o.stage,
        case when o.outcome = 'won' then 'delivery' else o.snap_stage end as cur_stage,
        case when o.outcome = 'won' then o.last_order else o.snap_order end as cur_order,
        o.outcome,
        o.furthest_raw as furthest_order,
        o.first_order,
        o.seen_mask,
        case
            when o.furthest_raw - 1 > o.first_order
                then ((1 << (o.furthest_raw - 1)) - (1 << o.first_order)) & ~o.seen_mask
            else 0
        end as skipped_mask,
        o.entered_development,
        o.entered_approval,
        o.entered_proposal,
        o.entered_tender,
        o.entered_negotiation,
        o.entered_delivery,
        case
            when o.last_stage = (case when o.outcome = 'won' then 'delivery' else o.snap_stage end)
                then o.last_entered_on
            when o.outcome = 'won' and o.entered_delivery is not null then o.entered_delivery
            else o.run_start_on
        end as cur_entered_on,
        case when o.outcome = 'won' then o.last_order else o.snap_order end < o.furthest_raw as is_below_furthest,
        coalesce(o.n_events, 0) as n_events,
        o.first_seen_on,
        least(
            o.entered_development, o.entered_approval, o.entered_proposal, o.entered_tender,
            o.entered_negotiation, o.entered_delivery, o.first_seen_on
        ) as first_recorded_on,
        case
            when o.outcome = 'won' then coalesce(o.entered_delivery, o.close_seen_on, o.as_of)
            when o.outcome in ('lost', 'dropped') then coalesce(o.close_seen_on, o.as_of)
        end as closed_on,
        o.expected_amount,
        o.contract_amount,
        o.estimated_cost,
        o.estimated_margin,
        o.bid_amount,
        o.actual_cost,
        o.expense_budget,
        o.expense_actual,
        o.expected_sign_on,
        o.created_on,
        o.lost_reason,
        o.margin_amount,
        o.margin_cost,
        o.margin,
        o.earliest_margin,
        o.earliest_margin_on,
        case when o.margin_amount > 0 then cast(o.expense_actual as double) / cast(o.margin_amount as double) end
            as expense_ratio,
        p.peer_expense_ratio
    from outcomes as o
    left join peers as p on p.as_of = o.as_of and p.grade is not distinct from o.grade
)

-- Stored in snapshot order: nearly every query reads one or two snapshots (as_of = …), and
-- with the rows grouped by as_of DuckDB's zone maps skip the other snapshots' row groups
-- (at 100k projects × 8 weeks: the page queries ~30 % faster; bench/results/ui.md).
select * from final
order by as_of, project_id
