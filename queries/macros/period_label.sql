-- query:  period_label (a scalar macro)
-- grain:  one text
-- params: (as macro arguments) kind ('month' | 'quarter'), the period's first day
-- output: '2026-11' for a month, '2026-Q4' for a quarter
-- why:    the forecast, its project list, the back-test and the targets name periods alike.
create or replace macro period_label(kind, first_day) as (
    case kind
        when 'month' then strftime(first_day, '%Y-%m')
        else printf('%d-Q%d', year(first_day), quarter(first_day))
    end
)
