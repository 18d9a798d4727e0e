-- query:  recently_pushed (a table macro)
-- grain:  one row per project whose expected sign date was pushed out in a snapshot pair
--         dated (at_date - stable_days, at_date]
-- params: (as macro arguments) at_date = $as_of, stable_days = $commit_stable_days
-- output: project_id
-- why:    "commit" excludes these (domain.toml [forecast]); the forecast and its project
--         list must exclude the same ones. Pushed out = consecutive snapshots, open in both,
--         a later sign date in the second.
create or replace macro recently_pushed(at_date, stable_days) as table
select distinct project_id
from sign_slips  -- consecutive snapshots, open in both, a later sign date in the second
where as_of <= cast(at_date as date)
    and as_of > cast(at_date as date) - cast(stable_days as integer)
