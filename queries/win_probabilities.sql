-- query:  win_probabilities (computed: run by queries/composed.py when the caller's scope has
--         no kept rows, i.e. several regions but not all; else win_probabilities_kept reads
--         the same rows kept at import. With all_snapshots the runner runs
--         win_probabilities_history.)
-- grain:  one row per (open stage, grade) at the snapshot t = $as_of; grades = every grade
--         seen in a snapshot <= t (null too when a project had none); open stages = every
--         stage but the last
-- params: $as_of date; $prior_strength double (k, domain.toml [forecast]);
--         $allowed_regions (the caller's access scope). No sidebar filters: a probability
--         is learned from every project the caller may see (head office: the whole
--         company; a regional manager: their regions, so nothing of another region
--         reaches them), not from the current view.
-- output: as_of, stage, stage_order, grade, n_closed, n_won (the cell's evidence),
--         stage_n_closed, stage_n_won, stage_rate (every grade), probability
-- Definition (docs/ANALYSES.md): the counts of learned_counts (queries/staging), the
--   probability of learned_probability: (n_won + k * stage_rate) / (n_closed + k), null
--   when nothing seen at the stage has closed by t (such projects are "unpriced").
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
    from learned_counts($as_of, false, $allowed_regions)
)

select * from final order by stage_order, grade nulls last
