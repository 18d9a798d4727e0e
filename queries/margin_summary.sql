-- query:  margin_summary
-- grain:  one row (per segment when $by is given) over the projects in the $as_of
--         snapshot that are open or won (lost/dropped excluded, as in `margin`)
-- params: $as_of date; the filter lists; $by varchar | null ('region' | 'grade' | 'owner' | 'category')
-- output: segment, n_projects, n_with_estimate, n_missing_estimate, amount, cost,
--         margin (ratio of sums), mean_project_margin (for contrast only), expense_ratio
-- Definition: margin = (sum(amount) - sum(cost)) / sum(amount) over projects with both an
--   amount and a cost/margin estimate, never an average of ratios (a small project at 60 %
--   must not outweigh a large one at 5 %).
with scoped as (
    select
        segment_of(project_facts, $by) as segment,
        margin_amount,
        margin_cost,
        margin,
        expense_actual
    from project_facts
    where as_of = $as_of
      and outcome not in ('lost', 'dropped')
      and in_scope(project_facts, $filters, $allowed_regions)
),

aggregated as (
    select
        segment,
        count(*) as n_projects,
        count(margin) as n_with_estimate,
        count(*) - count(margin) as n_missing_estimate,
        sum(cast(margin_amount as double)) filter (where margin is not null) as amount,
        sum(margin_cost) filter (where margin is not null) as cost,
        avg(margin) as mean_project_margin,
        sum(cast(expense_actual as double)) filter (where expense_actual is not null and margin_amount > 0)
            / sum(cast(margin_amount as double)) filter (where expense_actual is not null and margin_amount > 0)
            as expense_ratio
    from scoped
    group by segment
),

final as (
    select
        segment,
        n_projects,
        n_with_estimate,
        n_missing_estimate,
        amount,
        cost,
        (amount - cost) / nullif(amount, 0) as margin,
        mean_project_margin,
        expense_ratio
    from aggregated
)

select * from final order by segment nulls first
