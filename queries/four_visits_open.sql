-- query:  four_visits_open
-- grain:  one row per open project of the snapshot $as_of in scope that is past 立项 (its
--         current stage is 提案 or later: the approval milestone is behind it) and has fewer
--         than $four_visit_min matched visits on or before $as_of (立项 = the stage whose role is
--         approval in domain.toml)
-- params: $as_of date; $filters (a list per dimension); $four_visit_min (domain.toml [visits])
-- output: project_id, project_name, customer, grade, region, owner, stage, stage_order,
--         expected_amount, n_visits, last_visit_on
with approval as (
    select stage_order from cfg_stages where role = 'approval'
),

open_projects as (
    select project_id, project_name, customer, grade, region, owner, cur_stage as stage, cur_order as stage_order,
        expected_amount
    from project_facts
    where as_of = $as_of and outcome = 'open' and cur_order > (select stage_order from approval)
      and in_scope(project_facts, $filters, $allowed_regions)
),

visited as (
    select * from project_visits_upto($as_of)
),

final as (
    select o.*, coalesce(v.n_visits, 0) as n_visits, v.last_visit_on
    from open_projects as o
    left join visited as v on v.project_id = o.project_id
    where coalesce(v.n_visits, 0) < cast($four_visit_min as integer)
)

select * from final order by stage_order desc, n_visits, expected_amount desc nulls last, project_id
