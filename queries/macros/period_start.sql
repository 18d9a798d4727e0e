-- query:  period_start (a scalar macro)
-- grain:  one date
-- params: (as macro arguments) a date d, kind ('month' | 'quarter'), step (0 = the period d
--         falls in, 1 = the next, …)
-- output: the first day of that calendar month or quarter; the period ends the day before
--         period_start(d, kind, step + 1)
-- why:    the forecast, its project list and the back-test must cut the same periods.
create or replace macro period_start(d, kind, step) as (
    cast(case kind
        when 'month' then date_trunc('month', cast(d as date)) + to_months(step)
        else date_trunc('quarter', cast(d as date)) + to_months(3 * step)
    end as date)
)
