-- query:  visits_mix
-- grain:  one row per segment × purpose × customer category over the visits in scope of
--         the $frequency_window_days days ending at $as_of
-- params: $as_of date; the filter lists; $by ('region' | 'owner' (the person) | 'grade' |
--         'category', of the matched project) or null; $frequency_window_days
-- output: segment, purpose (order | collection | development | service | other | null = not
--         said), customer_category (development | new | existing | null), n_visits, share
--         (of the segment's visits)
with scoped as (
    select segment_of(v, $by) as segment, purpose, customer_category
    from visits_scoped($as_of, cast($as_of as date) - (cast($frequency_window_days as integer) - 1),
        $filters, $allowed_regions) as v
),

counted as (
    select segment, purpose, customer_category, count(*) as n_visits
    from scoped
    group by all
),

final as (
    select *, n_visits / sum(n_visits) over (partition by segment) as share
    from counted
)

select * from final order by segment nulls first, purpose nulls last, customer_category nulls last
