-- query:  win_probabilities_history (run as `win_probabilities` with all_snapshots when the
--         caller's scope has no kept rows; the one-snapshot form is win_probabilities.sql —
--         a property test holds the two equal at every snapshot)
-- grain:  one row per (snapshot t <= $as_of, open stage, grade); grades = every grade seen
--         in a snapshot <= t (null too when a project had none); open stages = every stage
--         but the last
-- params: $as_of date; $prior_strength double (k, domain.toml [forecast]);
--         $allowed_regions (the caller's access scope; no sidebar filters, as
--         win_probabilities)
-- output: as_of, stage, stage_order, grade, n_closed, n_won, stage_n_closed, stage_n_won,
--         stage_rate, probability
-- Definition (learned as of t, from snapshots <= t only): learned_counts_history's counts,
--   learned_probability's probability (queries/staging).
with final as (
    select
        as_of,
        stage,
        stage_order,
        grade,
        n_closed,
        n_won,
        stage_n_closed,
        stage_n_won,
        stage_n_won / nullif(stage_n_closed, 0) as stage_rate,
        learned_probability(n_won, n_closed, stage_n_won, stage_n_closed, $prior_strength) as probability
    from learned_counts_history($as_of, false, $allowed_regions)
)

select * from final order by as_of, stage_order, grade nulls last
