-- query:  projects_reached (the funnel page's drill-down: the projects behind "reached")
-- grain:  one row per project in the $as_of snapshot whose furthest stage is at or past
--         $stage; same scope as `funnel`, so the row count equals funnel's reached($stage)
-- params: $as_of date; $stage varchar (a stage code); $regions, $grades, $owners,
--         $categories, $allowed_regions varchar[] (filters: empty = all; the access scope: ['*'] = all, [] = none)
-- output: project_id, project_name, customer, grade, region, owner, category, stage
--         (current), furthest_stage, status, expected_amount, margin, outcome (open | won |
--         lost | dropped: the heat map's "open" counts outcome open)
with target as (
    select stage_order from cfg_stages where stage = $stage
),

scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

final as (
    select
        p.project_id, p.project_name, p.customer, p.grade, p.region, p.owner, p.category,
        p.cur_stage as stage, f.stage as furthest_stage, p.status, p.expected_amount, p.margin, p.outcome
    from scoped as p
    join cfg_stages as f on f.stage_order = p.furthest_order
    where p.furthest_order >= (select stage_order from target)
)

select * from final order by project_id
