-- query:  project_events
-- grain:  one row per stage entry of project $project_id on or before $as_of
-- params: $as_of date; $project_id varchar; the filter lists (checked on the project's
--         latest row up to $as_of)
-- output: seq, stage, stage_order, entered_on, left_on, days_in_stage, source,
--         prev_stage, is_fall_back, n_stages_skipped, is_date_out_of_order, detail
--         (left_on is null, and days_in_stage counts to $as_of, while the stay continues)
with final as (
    select
        e.seq,
        e.stage,
        e.stage_order,
        e.entered_on,
        case when e.left_on <= $as_of then e.left_on end as left_on,
        date_diff('day', e.entered_on, case when e.left_on <= $as_of then e.left_on else cast($as_of as date) end)
            as days_in_stage,
        e.source,
        e.prev_stage,
        e.is_fall_back,
        e.n_stages_skipped,
        e.is_date_out_of_order,
        case
            when e.is_fall_back then printf('fell back from %s', e.prev_stage)
            when e.n_stages_skipped > 0 then printf('from %s, skipping %d stage(s)', e.prev_stage, e.n_stages_skipped)
            when e.prev_stage is null then 'first recorded stage'
            else printf('from %s', e.prev_stage)
        end as detail
    from stage_event_facts as e
    where e.project_id = $project_id
        and e.entered_on <= $as_of
        and project_in_scope($project_id, $as_of,
            $filters, $allowed_regions)
)

select * from final order by seq
