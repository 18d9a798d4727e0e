-- query:  projects_closed (the win-rate drill-down: the closed projects behind `win_rate`)
-- grain:  one row per project in the $as_of snapshot that win_rate counts as closed (won =
--         entered delivery; lost; dropped) with closed_on in ($since, $as_of] — all closed
--         ones up to $as_of when $since is null; same scope as `win_rate`, so the row count
--         equals its n_closed
-- params: $as_of date; $since date | null; $regions, $grades, $owners, $categories,
--         $allowed_regions varchar[] (filters: empty = all; the access scope: ['*'] = all, [] = none)
-- output: project_id, project_name, customer, grade, region, owner, category, stage
--         (current), outcome (won | lost | dropped), closed_on, amount (contract, else
--         expected), lost_reason
with scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and outcome <> 'open'
      and closed_on <= $as_of
      and (cast($since as date) is null or closed_on > cast($since as date))
      and in_scope(project_facts, $filters, $allowed_regions)
),

final as (
    select
        project_id, project_name, customer, grade, region, owner, category,
        cur_stage as stage, outcome, closed_on,
        coalesce(contract_amount, expected_amount) as amount,
        lost_reason
    from scoped
)

select * from final order by closed_on desc, project_id
