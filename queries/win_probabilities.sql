-- query:  win_probabilities
-- grain:  one row per (open stage, grade) at the snapshot t = $as_of (with $all_snapshots:
--         per snapshot <= $as_of as well); grades = every grade seen in a snapshot <= t
--         (null too when a project had none); open stages = every stage but the last
-- params: $as_of date; $all_snapshots boolean; $prior_strength double (k, domain.toml
--         [forecast]); $allowed_regions (the caller's access scope); $scope varchar | null
--         (queries/composed.py: '*' for a caller allowed every region, the region for one
--         allowed region: the counts kept at import are read; null: computed here). No
--         sidebar filters: a probability is learned from every project the caller may see
--         (head office: the whole company; a regional manager: their regions, so nothing
--         of another region reaches them), not from the current view.
-- output: as_of, stage, stage_order, grade, n_closed, n_won (the cell's evidence),
--         stage_n_closed, stage_n_won, stage_rate (every grade), probability
-- Definition (docs/ANALYSES.md): the counts of learned_counts (queries/staging; every
--   snapshot at once: learned_counts_history, or kept at import in win_counts), the
--   probability of learned_probability: (n_won + k * stage_rate) / (n_closed + k), null
--   when nothing seen at the stage has closed by t (such projects are "unpriced"). At a
--   date that is no snapshot, P is learned from the snapshots before it.
-- why:    one statement for the three sources; the branches not asked for are pruned
--         when the parameters are bound (a property test holds the three equal).
with counts as (
    select * from win_counts
    where cast($scope as varchar) is not null and scope = $scope and as_of <= $as_of
    union all
    select * from learned_counts($as_of, false, $allowed_regions)
    where cast($scope as varchar) is null and not cast($all_snapshots as boolean)
    union all
    select * from learned_counts_history($as_of, false, $allowed_regions)
    where cast($scope as varchar) is null and cast($all_snapshots as boolean)
),

picked as (
    select * from counts
    where cast($all_snapshots as boolean) or as_of = (select max(as_of) from counts)
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
