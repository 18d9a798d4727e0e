-- query:  cfg_stages (a table, written by queries.refresh from dashboard/domain.toml)
-- grain:  one row per stage of the sales process, in order
-- params: $codes, $roles, $zh, $en varchar[] (the configured stages, in order; role null = none)
-- output: stage, stage_order (1..n), role (first | approval | bid | won | null), stage_zh, stage_en
-- why:    the stage order is structure every derived table needs; the role says what a
--         stage means to the analyses (queries read a stage by role, never by position or
--         code: `(select stage_order from cfg_stages where role = 'bid')`); labels travel
--         with it so a funnel row carries its display names. Thresholds are NOT stored here:
--         they are bound as parameters at query time (see queries/runner.py), so editing
--         domain.toml changes the flags without re-importing anything.
create or replace table cfg_stages as
with given as (
    select
        unnest($codes) as stage,
        unnest(range(1, len($codes) + 1)) as stage_order,
        unnest($roles) as role,
        unnest($zh) as stage_zh,
        unnest($en) as stage_en
),

final as (
    select stage, cast(stage_order as integer) as stage_order, cast(role as varchar) as role, stage_zh, stage_en
    from given
)

select * from final order by stage_order
