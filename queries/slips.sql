-- query:  slips
-- grain:  one row per open project in the $as_of snapshot (in scope) whose expected sign
--         date was pushed out at least once up to $as_of, or between $since and $as_of
-- params: $as_of date; $since date | null (null = the snapshot before $as_of); the filter
--         lists; $slip_flag_count integer ([forecast] in domain.toml); $project_id
--         varchar | null; $limit integer | null (the first N rows in the order shown)
-- output: project_id, project_name, customer, region, grade, owner, category, stage,
--         expected_amount, expected_sign_on, n_slips, days_pushed, first_sign_on,
--         last_slip_on, slipped_this_week, sign_before, out_of_month, out_of_quarter,
--         is_flagged
-- Definitions:
--   a slip = two consecutive snapshots in which the project is open in both and its
--     expected sign date is later in the second (sign_slips); n_slips counts them up to
--     $as_of, days_pushed adds up how far (days), first_sign_on = the earliest sign date
--     before a slip, last_slip_on = the snapshot of the latest slip
--   slipped_this_week: the sign date is later in $as_of than in $since (open in both);
--     sign_before = the date it had in $since
--   out_of_month / out_of_quarter: slipped this week from a date inside the calendar
--     month / quarter of $as_of to a date after it (out of the period's pipeline)
--   is_flagged: n_slips >= $slip_flag_count
-- Sorted: flagged first, most slips first, then the largest amount.
with bounds as (
    select
        cast(date_trunc('month', cast($as_of as date)) as date) as month_start,
        cast(date_trunc('month', cast($as_of as date)) + to_months(1) as date) as month_next,
        cast(date_trunc('quarter', cast($as_of as date)) as date) as quarter_start,
        cast(date_trunc('quarter', cast($as_of as date)) + to_months(3) as date) as quarter_next
),

history as (
    select
        project_id,
        count(*) as n_slips,
        sum(date_diff('day', sign_before, sign_after)) as days_pushed,
        min(sign_before) as first_sign_on,
        max(as_of) as last_slip_on
    from sign_slips  -- every pair's slips (open in both, a later sign date), kept for every date
    where as_of <= $as_of
      and (cast($project_id as varchar) is null or project_id = $project_id)  -- the project page: one project
    group by project_id
),

this_week as (
    select project_id, sign_before
    from snapshot_pairs($as_of, $since, $filters, $allowed_regions)
    where (cast($project_id as varchar) is null or project_id = $project_id)
      and in_before and in_after
      and outcome_before = 'open' and outcome_after = 'open'
      and sign_after > sign_before
),

scoped as (
    select *
    from project_facts
    where as_of = $as_of
      and outcome = 'open'
      and (cast($project_id as varchar) is null or project_id = $project_id)
      and in_scope(project_facts, $filters, $allowed_regions)
),

final as (
    select
        s.project_id,
        s.project_name,
        s.customer,
        s.region,
        s.grade,
        s.owner,
        s.category,
        s.cur_stage as stage,
        s.expected_amount,
        s.expected_sign_on,
        coalesce(h.n_slips, 0) as n_slips,
        coalesce(h.days_pushed, 0) as days_pushed,
        h.first_sign_on,
        h.last_slip_on,
        w.project_id is not null as slipped_this_week,
        w.sign_before,
        coalesce(w.sign_before >= b.month_start and w.sign_before < b.month_next
                 and s.expected_sign_on >= b.month_next, false) as out_of_month,
        coalesce(w.sign_before >= b.quarter_start and w.sign_before < b.quarter_next
                 and s.expected_sign_on >= b.quarter_next, false) as out_of_quarter,
        coalesce(h.n_slips, 0) >= $slip_flag_count as is_flagged
    from scoped as s
    cross join bounds as b
    left join history as h on h.project_id = s.project_id
    left join this_week as w on w.project_id = s.project_id
    where h.project_id is not null or w.project_id is not null
)

select * from final
order by is_flagged desc, n_slips desc, expected_amount desc nulls last, project_id
limit $limit
