-- query:  receivables_aging
-- grain:  one row per segment × aging bucket of the outstanding invoices at $as_of (as
--         `receivables`, aggregated; buckets without an invoice have no row)
-- params: $as_of date; $filters (a list per dimension); $by ('region' | 'owner' | 'grade' | 'category') or null
-- output: segment, receivable_bucket (not_due | 0-30 | 31-60 | 61-90 | >90), bucket_order (0 … 4),
--         n_invoices, n_projects, outstanding_amount
with scoped as (
    select segment_of(f, $by) as segment, project_id, outstanding, bucket_order
    from receivables_scoped($as_of, $filters, $allowed_regions)
),

final as (
    select
        segment,
        ['not_due', '0-30', '31-60', '61-90', '>90'][bucket_order + 1] as receivable_bucket,
        bucket_order,
        count(*) as n_invoices,
        count(distinct project_id) as n_projects,
        cast(sum(outstanding) as decimal(18, 2)) as outstanding_amount
    from scoped
    group by segment, bucket_order
)

select * from final order by segment nulls first, bucket_order
