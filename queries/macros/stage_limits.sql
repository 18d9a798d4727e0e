-- query:  stage_limits (a table macro: stage_limits(age_stages, age_days, override_grades,
--         override_stages, override_days))
-- grain:  one row per configured limit: per stage (grade null: every grade), and per
--         (grade, stage) override
-- params: (as macro arguments) $age_stages varchar[] + $age_days integer[] (the limit per
--         stage), $age_override_grades, $age_override_stages varchar[] + $age_override_days
--         integer[] ([thresholds] of dashboard/domain.toml, bound by the runner)
-- output: stage, grade (null = the stage's own limit), limit_days
-- why:    aging, aging_summary and trends judge "stalled" the same way: join the stage's row
--         (grade null) and the grade's override, and take the override when there is one.
create or replace macro stage_limits(age_stages, age_days, override_grades, override_stages, override_days) as table
select unnest(cast(age_stages as varchar[])) as stage, cast(null as varchar) as grade,
    unnest(cast(age_days as integer[])) as limit_days
union all
select unnest(cast(override_stages as varchar[])), unnest(cast(override_grades as varchar[])),
    unnest(cast(override_days as integer[]))
