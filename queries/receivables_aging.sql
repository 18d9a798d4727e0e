-- query:  receivables_aging
-- grain:  one row per segment × aging bucket of the outstanding invoices at $as_of (as
--         `receivables`, aggregated; buckets without an invoice have no row)
-- params: $as_of date; $filters (a list per dimension); $by ('region' | 'owner' | 'grade' | 'category') or null
-- output: segment, receivable_bucket (not_due | 0-30 | 31-60 | 61-90 | >90), bucket_order (0 … 4),
--         n_invoices, n_projects, outstanding_amount
with scoped as (
    select
        segment_of(f, $by) as segment,
        i.project_id,
        i.outstanding,
        case
            when i.days_past_due <= 0 then 0
            when i.days_past_due <= 30 then 1
            when i.days_past_due <= 60 then 2
            when i.days_past_due <= 90 then 3
            else 4
        end as bucket_order
    from open_invoices($as_of) as i
    left join project_facts as f on f.as_of = $as_of and f.project_id = i.project_id
    where i.outstanding > 0
      and in_scope(f, $filters, $allowed_regions)
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
