-- query:  owners (the base of the composed owner ranking; see queries/composed.py)
-- grain:  one row per owner (null = no owner recorded) with a project in the $as_of
--         snapshot, in scope
-- params: $as_of date; $since date | null (the sales-cycle window, as win_rate's: closed in
--         ($since, $as_of], null = every close); the filter lists; the learned
--         probabilities at $as_of: $p_as_of, $p_stage, $p_grade, $p_value (bound by the runner)
-- output: owner, n_projects, n_open, pipeline, weighted, n_unpriced, n_cycle,
--         median_cycle_days
-- Definitions: pipeline = expected amount of the owner's open projects (any sign date);
--   weighted = sum of amount x P(win | stage, grade) at $as_of (unpriced add 0, counted);
--   sales cycle = days from entering development to the win (closed_on) of the owner's
--   won projects closed in the window whose development entry is known (n_cycle of them;
--   a project first seen later in the funnel has no known start and is left out).
with probabilities as (
    select * from learned_probabilities($p_as_of, $p_stage, $p_grade, $p_value)
),

scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

priced as (
    select s.owner, s.outcome, s.closed_on, s.entered_first, coalesce(s.expected_amount, 0) as amount,
        p.probability
    from scoped as s
    left join probabilities as p
        on p.as_of = s.as_of and p.stage = s.cur_stage and p.grade is not distinct from s.grade
),

final as (
    select
        owner,
        count(*) as n_projects,
        count(*) filter (where outcome = 'open') as n_open,
        cast(coalesce(sum(amount) filter (where outcome = 'open'), 0) as decimal(38, 2)) as pipeline,
        cast(coalesce(sum(amount * probability) filter (where outcome = 'open'), 0) as double) as weighted,
        count(*) filter (where outcome = 'open' and probability is null) as n_unpriced,
        count(*) filter (where outcome = 'won' and entered_first is not null and closed_on <= $as_of
                         and (cast($since as date) is null or closed_on > cast($since as date))) as n_cycle,
        median(date_diff('day', entered_first, closed_on)) filter (
            where outcome = 'won' and entered_first is not null and closed_on <= $as_of
              and (cast($since as date) is null or closed_on > cast($since as date))) as median_cycle_days
    from priced
    group by owner
)

select * from final order by owner nulls last
