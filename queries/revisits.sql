-- query:  revisits
-- grain:  one row per visit in scope made in the $frequency_window_days days ending at
--         $as_of that planned a revisit (预定再访时间)
-- params: $as_of date; the filter lists; $frequency_window_days; $revisit_missed_after_days
-- output: reporter, region, customer, project_id, visit_on, revisit_on, next_visit_on,
--         revisit_status (kept | kept_late | overdue | missed | planned), days_late
-- Definitions: queries/macros/revisits_classified.sql (docs/ANALYSES.md "Visits").
with final as (
    select reporter, region, customer, project_id, visit_on, revisit_on, next_visit_on, revisit_status, days_late
    from revisits_classified($as_of, cast($as_of as date) - (cast($frequency_window_days as integer) - 1),
        cast($revisit_missed_after_days as integer), $filters, $allowed_regions)
)

select * from final order by revisit_on, reporter, customer
