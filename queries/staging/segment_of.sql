-- query:  segment_of (a scalar macro)
-- grain:  one value per row it is applied to
-- params: (as macro arguments) $by, then a row's region, grade, owner, category
-- output: the value of the segment column named by $by ('region' | 'grade' | 'owner' |
--         'category'; null = unsegmented)
-- why:    one definition for every query with a --by form (funnel, win_rate, …).
create or replace macro segment_of(segment_by, region, grade, owner, category) as (
    case segment_by
        when 'region' then region
        when 'grade' then grade
        when 'owner' then owner
        when 'category' then category
    end
)
