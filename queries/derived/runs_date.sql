-- query:  runs_date (inserts into snapshot_runs; queries/derived.py, once per snapshot date)
-- grain:  one row per project of _scope that starts a run at $as_of: seen at a (non-null)
--         stage other than the stage of its latest earlier snapshot with a stage
-- params: $as_of date
-- output: project_id, stage, entered_on (= $as_of)
-- why:    the entries of projects without stage entries read from files are the runs of
--         the same stage across their snapshots (stage_event_facts). The latest earlier run
--         gives the stage of the latest earlier snapshot with a stage, so a week's runs
--         cost one week's rows plus the runs (not every week of snapshots).
insert into snapshot_runs
with seen as (
    select
        p.project_id,
        p.as_of,
        case when p.status in ('won', 'completed') then w.stage else p.stage end as stage
    from _snap as p  -- the rows of $as_of (snap_date)
    cross join (select stage from cfg_stages where role = 'won') as w
    where p.project_id in (select project_id from _scope)
),

earlier as (
    select * from snapshot_runs
    where entered_on < $as_of and project_id in (select project_id from _scope)
),

final as (
    select s.project_id, s.stage, s.as_of as entered_on
    from seen as s
    asof left join earlier as r on r.project_id = s.project_id and s.as_of > r.entered_on
    where s.stage is not null and s.stage is distinct from r.stage
)

select * from final
