-- query:  funnel
-- grain:  one row per stage, in stage order; per (segment, stage) when $by is given
-- params: $as_of date; $filters, $allowed_regions varchar[]
--         (filters: empty = all; the access scope $allowed_regions: ['*'] = all, [] = none); $by varchar | null ('region' | 'grade' | 'owner' | 'category')
-- output: segment (null when unsegmented), stage, stage_order, stage_zh, stage_en,
--         reached, step_conversion, cumulative_conversion, decided_conversion,
--         n_advanced, n_closed_at_furthest, n_open_here, n_won_here, n_lost_here,
--         n_dropped_here, n_skipped, n_before_first_seen, expected_amount, open_expected_amount
-- Definitions (docs/ANALYSES.md): scope = projects in the $as_of snapshot;
--   reached(s) = furthest stage >= s (a fall-back keeps the furthest stage; a skipped stage
--   counts as passed and is counted in n_skipped); step_conversion(s) = reached(s+1)/reached(s)
--   (null on the last stage); cumulative = reached(s)/reached(first stage); decided =
--   n_advanced / (n_advanced + n_closed_at_furthest) among projects that left s (null on the
--   last stage). *_here counts use the current stage. expected_amount sums the projects that
--   reached s; open_expected_amount the open projects now at s.
with scoped as (
    select
        segment_of(project_facts, $by) as segment,
        furthest_order,
        cur_order,
        first_order,
        outcome,
        skipped_mask,
        expected_amount
    from project_facts
    where as_of = $as_of
      and in_scope(project_facts, $filters, $allowed_regions)
),

-- a handful of rows: everything below works on these, not on the projects
grouped as (
    select
        segment, furthest_order, cur_order, first_order, outcome, skipped_mask,
        count(*) as n,
        sum(expected_amount) as amount
    from scoped
    group by all
),

segments as (
    select distinct segment from grouped
    union
    select null as segment where cast($by as varchar) is null
),

last_stage as (
    select stage_order as last_order from cfg_stages where role = 'won'
),

per_stage as (
    select
        s.segment,
        c.stage,
        c.stage_order,
        c.stage_zh,
        c.stage_en,
        coalesce(sum(g.n) filter (where g.furthest_order >= c.stage_order), 0) as reached,
        coalesce(sum(g.n) filter (where g.furthest_order > c.stage_order), 0) as n_advanced,
        coalesce(sum(g.n) filter (
            where g.furthest_order = c.stage_order and g.outcome in ('lost', 'dropped')
        ), 0) as n_closed_at_furthest,
        coalesce(sum(g.n) filter (where g.cur_order = c.stage_order and g.outcome = 'open'), 0) as n_open_here,
        coalesce(sum(g.n) filter (where g.cur_order = c.stage_order and g.outcome = 'won'), 0) as n_won_here,
        coalesce(sum(g.n) filter (where g.cur_order = c.stage_order and g.outcome = 'lost'), 0) as n_lost_here,
        coalesce(sum(g.n) filter (where g.cur_order = c.stage_order and g.outcome = 'dropped'), 0) as n_dropped_here,
        coalesce(sum(g.n) filter (where (g.skipped_mask >> (c.stage_order - 1)) & 1 = 1), 0) as n_skipped,
        coalesce(sum(g.n) filter (where g.first_order > c.stage_order), 0) as n_before_first_seen,
        coalesce(sum(g.amount) filter (where g.furthest_order >= c.stage_order), 0) as expected_amount,
        coalesce(sum(g.amount) filter (
            where g.cur_order = c.stage_order and g.outcome = 'open'
        ), 0) as open_expected_amount
    from segments as s
    cross join cfg_stages as c
    left join grouped as g on g.segment is not distinct from s.segment
    group by s.segment, c.stage, c.stage_order, c.stage_zh, c.stage_en
),

final as (
    select
        p.segment,
        p.stage,
        p.stage_order,
        p.stage_zh,
        p.stage_en,
        cast(p.reached as bigint) as reached,
        lead(p.reached) over w / nullif(p.reached, 0) as step_conversion,
        p.reached / nullif(first_value(p.reached) over w, 0) as cumulative_conversion,
        case
            when p.stage_order < l.last_order
                then p.n_advanced / nullif(p.n_advanced + p.n_closed_at_furthest, 0)
        end as decided_conversion,
        cast(p.n_advanced as bigint) as n_advanced,
        cast(p.n_closed_at_furthest as bigint) as n_closed_at_furthest,
        cast(p.n_open_here as bigint) as n_open_here,
        cast(p.n_won_here as bigint) as n_won_here,
        cast(p.n_lost_here as bigint) as n_lost_here,
        cast(p.n_dropped_here as bigint) as n_dropped_here,
        cast(p.n_skipped as bigint) as n_skipped,
        cast(p.n_before_first_seen as bigint) as n_before_first_seen,
        cast(p.expected_amount as decimal(38, 2)) as expected_amount,
        cast(p.open_expected_amount as decimal(38, 2)) as open_expected_amount
    from per_stage as p
    cross join last_stage as l
    window w as (partition by p.segment order by p.stage_order)
)

select * from final order by segment nulls first, stage_order
