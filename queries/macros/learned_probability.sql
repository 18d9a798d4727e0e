-- query:  learned_probability (a scalar macro)
-- grain:  one value per (stage, grade) cell it is applied to
-- params: (as macro arguments) the cell's n_won, n_closed, its stage's stage_n_won,
--         stage_n_closed (learned_counts), and k ($prior_strength, domain.toml [forecast])
-- output: (n_won + k * stage_rate) / (n_closed + k) with stage_rate = stage_n_won /
--         stage_n_closed: the mean of the Beta posterior with the prior Beta(k * stage_rate,
--         k * (1 - stage_rate)), i.e. the cell's own rate shrunk toward the stage's rate by k
--         pseudo-projects; null when nothing at the stage has closed (the project is unpriced)
-- why:    the probability is computed at query time (k can change in domain.toml without a
--         rebuild) from counts read live or kept (win_counts): one formula for both.
create or replace macro learned_probability(n_won, n_closed, stage_n_won, stage_n_closed, k) as (
    (n_won + cast(k as double) * (stage_n_won / nullif(stage_n_closed, 0))) / (n_closed + cast(k as double))
)
