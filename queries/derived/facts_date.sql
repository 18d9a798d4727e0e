-- query:  facts_date (a temp table, written by queries/derived.py once per snapshot date;
--         its rows go to project_facts and project_carry)
-- grain:  one row per project of _scope in the snapshot $as_of: what was known about the
--         project as of that snapshot (its row in that snapshot + its history up to then)
-- params: $as_of date
-- output: the snapshot's columns (project_id, project_name, customer, grade, region, owner,
--         category, status, stage as exported, amounts, expected_sign_on, ...) and
--         cur_stage, cur_order      current stage (won/completed -> the stage with role 'won')
--         outcome                   open | won | lost | dropped (won = entered the 'won' stage)
--         furthest_order            highest stage entered by as_of (events and snapshots)
--         first_order               lowest of: first recorded entry, first snapshot's stage
--         seen_mask                 bit k-1 set = stage k entered or seen by as_of
--         skipped_mask              stages strictly between first_order and furthest_order
--                                   never entered nor seen (= skipped)
--         entered_first, entered_won  first entry date of the stages with role 'first' /
--                                   'won' (cfg_stages.role), on or before as_of
--         cur_entered_on            when the project entered its current stage (this stay)
--         is_below_furthest         current stage below the furthest (fell back, not recovered)
--         first_seen_on             first snapshot the project appears in, up to as_of
--         first_recorded_on         earliest of first_seen_on and the stage entries
--         closed_on                 won: 'won' stage entry date if recorded, else like lost;
--                                   lost/dropped: first snapshot of the current closed run
--         margin_amount, margin_cost, margin: the margin basis (see docs/ANALYSES.md)
--         earliest_margin, earliest_margin_on: earliest snapshot with an estimate
--         expense_ratio, peer_expense_ratio (median over the same snapshot and grade)
--         and the running columns of project_carry: prev_as_of, snap_stage, is_closed,
--         first_snap_order, snap_max_order, snap_mask, run_start_on, close_seen_on
-- why:    the history of a project up to a snapshot follows from its previous row
--         (_prev_rows: its latest earlier snapshot) and its row at the date, so a week's
--         facts cost one week's rows whatever the length of the history. The stage entries
--         up to the date come from stage_event_facts (bounded by entries, not weeks), the
--         peers from the snapshot itself.
create or replace temp table _pf as
with won as (
    select stage as won_stage, stage_order as won_order from cfg_stages where role = 'won'
),

snap as (
    select
        p.*,
        case when p.status in ('won', 'completed') then w.won_stage else p.stage end as snap_stage,
        coalesce(p.contract_amount, p.expected_amount) as margin_amount
    from _snap as p  -- the rows of $as_of (snap_date)
    cross join won as w
),

-- the peers are every project of the snapshot, whichever projects are recomputed
peers as (
    select grade, median(cast(expense_actual as double) / cast(margin_amount as double)) as peer_expense_ratio
    from snap
    where margin_amount > 0 and expense_actual is not null
    group by grade
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
    where s.project_id in (select project_id from _scope)
),

snap_margined as (
    select
        *,
        case
            when margin_amount > 0 and margin_cost is not null
                then (cast(margin_amount as double) - margin_cost) / cast(margin_amount as double)
        end as margin,
        status in ('lost', 'dropped', 'won', 'completed') as is_closed
    from snap_costed
),

-- the running history: the previous row's running columns carried on by this row
-- (each equals the window over all earlier snapshots the full definition would take)
carried as (
    select
        m.project_id,
        r.as_of as prev_as_of,
        coalesce(r.first_seen_on, m.as_of) as first_seen_on,
        coalesce(r.first_snap_order, m.snap_order) as first_snap_order,
        greatest(r.snap_max_order, m.snap_order) as snap_max_order,
        case
            when r.snap_mask is null and m.snap_order is null then null
            else coalesce(r.snap_mask, 0) | coalesce(1 << (m.snap_order - 1), 0)
        end as snap_mask,
        case when m.snap_stage is distinct from r.snap_stage then m.as_of else r.run_start_on end as run_start_on,
        case when m.is_closed and coalesce(not r.is_closed, true) then m.as_of else r.close_seen_on end
            as close_seen_on,
        coalesce(r.earliest_margin, m.margin) as earliest_margin,
        coalesce(r.earliest_margin_on, case when m.margin is not null then m.as_of end) as earliest_margin_on
    from snap_margined as m
    left join _prev_rows as r on r.project_id = m.project_id
),

-- the stage entries up to the date: the running columns of the day's last entry on or
-- before it (is_last_of_day: one per project and day)
last_entries as (
    select *
    from stage_event_facts
    where is_last_of_day and entered_on <= $as_of
        and project_id in (select project_id from _scope)
),

events_to_date as (
    select
        project_id,
        cum_max_order as ev_max_order,
        first_order as ev_first_order,
        cum_mask as ev_mask,
        stage as last_stage,
        entered_on as last_entered_on,
        cum_n_events as n_events,
        first_entered_on,
        entered_first,
        entered_won
    from last_entries
    qualify row_number() over (partition by project_id order by seq desc) = 1
),

combined as (
    select
        m.*,
        h.* exclude (project_id),
        e.* exclude (project_id),
        nullif(greatest(coalesce(e.ev_max_order, 0), coalesce(h.snap_max_order, 0)), 0) as furthest_raw,
        least(e.ev_first_order, h.first_snap_order) as first_order,
        coalesce(e.ev_mask, 0) | coalesce(h.snap_mask, 0) as seen_mask
    from snap_margined as m
    inner join carried as h on h.project_id = m.project_id
    left join events_to_date as e on e.project_id = m.project_id
),

outcomes as (
    select
        c.*,
        case
            when c.status in ('lost', 'dropped') then c.status
            when c.furthest_raw >= w.won_order then 'won'
            else 'open'
        end as outcome,
        w.won_stage,
        w.won_order
    from combined as c
    cross join won as w
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
        o.product_line,
        o.status,
        o.stage,
        case when o.outcome = 'won' then o.won_stage else o.snap_stage end as cur_stage,
        case when o.outcome = 'won' then o.won_order else o.snap_order end as cur_order,
        o.outcome,
        o.furthest_raw as furthest_order,
        o.first_order,
        o.seen_mask,
        case
            when o.furthest_raw - 1 > o.first_order
                then ((1 << (o.furthest_raw - 1)) - (1 << o.first_order)) & ~o.seen_mask
            else 0
        end as skipped_mask,
        o.entered_first,
        o.entered_won,
        case
            when o.last_stage = (case when o.outcome = 'won' then o.won_stage else o.snap_stage end)
                then o.last_entered_on
            when o.outcome = 'won' and o.entered_won is not null then o.entered_won
            else o.run_start_on
        end as cur_entered_on,
        case when o.outcome = 'won' then o.won_order else o.snap_order end < o.furthest_raw as is_below_furthest,
        coalesce(o.n_events, 0) as n_events,
        o.first_seen_on,
        least(o.first_entered_on, o.first_seen_on) as first_recorded_on,
        case
            when o.outcome = 'won' then coalesce(o.entered_won, o.close_seen_on, o.as_of)
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
        p.peer_expense_ratio,
        -- the running columns the next snapshot carries on from (project_carry)
        o.prev_as_of,
        o.snap_stage,
        o.is_closed,
        o.first_snap_order,
        o.snap_max_order,
        o.snap_mask,
        o.run_start_on,
        o.close_seen_on
    from outcomes as o
    left join peers as p on p.grade is not distinct from o.grade
)

select * from final
