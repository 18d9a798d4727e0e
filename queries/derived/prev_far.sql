-- query:  prev_far (appended to the temp table _prev_rows by queries/derived.py)
-- grain:  one row per project of _scope absent from the previous snapshot but seen before
--         it: its latest row before $prev
-- params: $prev date; $known date[] (when not null: the dates to look at, known from
--         project_last_seen, so zone maps skip the other snapshots)
-- output: the columns of project_carry
-- why:    a project can vanish from an export and return; its history carries on from its
--         latest row. Run only when such projects exist (queries/derived.py checks first).
insert into _prev_rows
select c.*
from project_carry as c
where c.as_of < $prev
    and ($known is null or (c.as_of between list_min($known) and list_max($known)
        and list_contains($known, c.as_of)))
    and c.project_id in (select s.project_id from _scope as s anti join _prev_rows as r on r.project_id = s.project_id)
qualify row_number() over (partition by c.project_id order by c.as_of desc) = 1
