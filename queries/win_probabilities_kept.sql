-- query:  win_probabilities_kept (run as `win_probabilities` by queries/composed.py when
--         the caller sees every region or exactly one)
-- grain:  one row per (open stage, grade) at $as_of (with $all_snapshots: per snapshot
--         <= $as_of as well) — the rows win_probabilities / win_probabilities_history compute
-- params: $as_of date; $all_snapshots boolean; $scope varchar ('*' for a caller allowed
--         every region, else the one region allowed); $prior_strength double
-- output: as_of, stage, stage_order, grade, n_closed, n_won, stage_n_closed, stage_n_won,
--         stage_rate, probability
-- Definition: the counts kept by queries/derived.py at every import (win_counts: the
--   learned_counts of each snapshot, for the company and for each region alone) and
--   learned_probability of them. At a date that is no snapshot, P is learned from the
--   snapshots before it, i.e. the latest snapshot's counts (as the computed form gives).
with kept as (
    select * from win_counts where scope = $scope and as_of <= $as_of
),

picked as (
    select * from kept
    where cast($all_snapshots as boolean) or as_of = (select max(as_of) from kept)
),

final as (
    select
        case when cast($all_snapshots as boolean) then as_of else cast($as_of as date) end as as_of,
        stage,
        stage_order,
        grade,
        n_closed,
        n_won,
        stage_n_closed,
        stage_n_won,
        stage_n_won / nullif(stage_n_closed, 0) as stage_rate,
        learned_probability(n_won, n_closed, stage_n_won, stage_n_closed, $prior_strength) as probability
    from picked
)

select * from final order by as_of, stage_order, grade nulls last
