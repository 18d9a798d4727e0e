"""Synthetic pipeline histories written straight into the stored tables with SQL.

Used by bench/bench_queries.py (10k … 1M projects) and by tests/test_queries_agreement.py
(a few thousand). Deterministic for a given (n_projects, n_snapshots, seed): every random
choice is a hash of the project number, so there is no Python loop over rows.

Per project: a start stage (development 60 %, approval 25 %, proposal 15 %), three stage
entries (the second skips a stage 10 % of the time, the third falls back one stage 8 % of
the time once past proposal, 5 % of moves happen on the same day), 25 % lost and 10 %
dropped some weeks after their last move, 2 % vanish from the last snapshot, expected
amounts that drift between snapshots, margins with 10 % missing and some erosion.
"""

from __future__ import annotations

import duckdb

LAST_SNAPSHOT = "2026-09-28"

_GENERATE = """
create or replace temp table gen_projects as
with base as (
    select
        i,
        'P' || lpad(cast(i as varchar), 7, '0') as project_id,
        (hash(i, $seed, 1) % 1000000) / 1e6 as u1,
        (hash(i, $seed, 2) % 1000000) / 1e6 as u2,
        (hash(i, $seed, 3) % 1000000) / 1e6 as u3,
        (hash(i, $seed, 4) % 1000000) / 1e6 as u4,
        (hash(i, $seed, 5) % 1000000) / 1e6 as u5,
        (hash(i, $seed, 6) % 1000000) / 1e6 as u6,
        (hash(i, $seed, 7) % 1000000) / 1e6 as u7,
        (hash(i, $seed, 8) % 1000000) / 1e6 as u8,
        hash(i, $seed, 9) as h9
    from range($n) as t (i)
),

shaped as (
    select
        *,
        ['华东', '华南', '华北', '西南', '西北', '东北'][1 + cast(h9 % 6 as integer)] as region,
        ['A', 'B', 'C', 'D'][1 + cast((h9 // 6) % 4 as integer)] as grade,
        'owner_' || lpad(cast((h9 // 24) % $n_owners as varchar), 3, '0') as owner,
        ['系统集成', '软件', '运维服务', '工程', '咨询', '硬件', '云', '安全'][1 + cast((h9 // 7919) % 8 as integer)]
            as category,
        case when u1 < 0.6 then 1 when u1 < 0.85 then 2 else 3 end as s1,
        date $last - cast(floor(u2 * 400) as integer) as t1,
        case when u3 < 0.05 then 0 else cast(1 + floor(u3 * 70) as integer) end as gap2,
        case when u4 < 0.05 then 0 else cast(1 + floor(u4 * 90) as integer) end as gap3,
        case when u5 < 0.25 then 'lost' when u5 < 0.35 then 'dropped' end as close_as,
        cast(20 + floor(u6 * 60) as integer) as close_after,
        cast(round(50000 + u7 * u7 * 20000000, 2) as decimal(18, 2)) as amount,
        case when u8 < 0.1 then null else round(0.02 + u8 * 0.4, 4) end as margin0
    from base
),

moves as (
    select
        *,
        least(s1 + case when u3 > 0.9 then 2 else 1 end, 6) as s2,
        t1 + gap2 as t2
    from shaped
),

final as (
    select
        *,
        case
            when s2 >= 4 and u4 > 0.92 then s2 - 1
            else least(s2 + 1, 6)
        end as s3,
        t2 + gap3 as t3
    from moves
)

select * from final
"""

_EVENTS = """
insert into stage_events
with codes as (
    select ['development', 'approval', 'proposal', 'tender', 'negotiation', 'delivery'] as c
),

unrolled as (
    select project_id, s1 as s, t1 as t from gen_projects
    union all
    select project_id, s2, t2 from gen_projects
    union all
    select project_id, s3, t3 from gen_projects where s3 <> s2
)

select u.project_id, codes.c[u.s], u.t, 'history', $import_id, null
from unrolled as u
cross join codes
where u.t <= date $last
"""

_SNAPSHOTS = """
insert into project_snapshots
with dates as (
    select date $last - cast(7 * k as integer) as as_of, k
    from range($n_snapshots) as t (k)
),

codes as (
    select ['development', 'approval', 'proposal', 'tender', 'negotiation', 'delivery'] as c
),

present as (
    select p.*, d.as_of, d.k
    from gen_projects as p
    cross join dates as d
    where p.t1 <= d.as_of
      and not (d.k = 0 and p.u6 < 0.02)
),

staged as (
    select
        *,
        case when t3 <= as_of then s3 when t2 <= as_of then s2 else s1 end as s_now,
        greatest(t1, t2, t3) + close_after as close_on,
        (hash(i, $seed, k) % 1000) / 1000.0 as uk
    from present
),

final as (
    select
        s.as_of,
        s.project_id,
        $import_base + cast(s.k as integer) as import_id,
        '项目 ' || s.project_id as project_name,
        '客户 ' || cast(s.i % 5000 as varchar) as customer,
        s.grade,
        s.region,
        s.owner,
        s.category,
        codes.c[s.s_now] as stage,
        case
            when s.s_now = 6 then 'won'
            when s.close_as is not null and s.close_on <= s.as_of then s.close_as
            else 'open'
        end as status,
        cast(s.amount * (1 + (s.uk - 0.5) * 0.2 * (s.k % 3)) as decimal(18, 2)) as expected_amount,
        case when s.s_now = 6 then s.amount end as contract_amount,
        null as estimated_cost,
        case when s.margin0 is not null then s.margin0 - 0.02 * ($n_snapshots - s.k) * (s.u7 > 0.8)::int end
            as estimated_margin,
        case when s.s_now >= 4 then cast(s.amount * 0.98 as decimal(18, 2)) end as bid_amount,
        null as actual_cost,
        null as expense_budget,
        cast(s.amount * (0.002 + s.u2 * s.u3 * 0.08) as decimal(18, 2)) as expense_actual,
        s.t1 + 120 + cast(7 * (s.u4 > 0.7)::int * ($n_snapshots - s.k) as integer) as expected_sign_on,
        s.t1 as created_on,
        null as lost_reason
    from staged as s
    cross join codes
)

select * from final order by as_of, project_id
"""


def _inline(sql: str, values: dict) -> str:
    # The benchmark's own integers/dates; none comes from user input.
    for key, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        sql = sql.replace(f"${key}", f"'{value}'" if isinstance(value, str) else str(int(value)))
    return sql


def generate(con: duckdb.DuckDBPyConnection, n_projects: int, n_snapshots: int = 8, seed: int = 7,
             *, refresh: bool = True) -> None:
    """Fill imports, project_snapshots and stage_events of a migrated, empty database."""
    values = {
        "n": n_projects, "n_snapshots": n_snapshots, "seed": seed, "last": LAST_SNAPSHOT,
        "n_owners": max(10, min(300, n_projects // 100)), "import_id": n_snapshots + 1, "import_base": 1,
    }
    for k in range(n_snapshots):
        con.execute(
            "insert into imports values ($i, $f, 'sha', null, 'projects', date '2026-09-28' - cast(7 * $k as integer),"
            " 0, 0, 0, now(), 'active', null, null)",
            {"i": 1 + k, "f": f"snapshot-{k}.csv", "k": k},
        )
    con.execute(
        "insert into imports values ($i, 'history.csv', 'sha', null, 'history', null, 0, 0, 0, now(), 'active', null, null)",
        {"i": n_snapshots + 1},
    )
    con.execute(_inline(_GENERATE, values))
    con.execute(_inline(_EVENTS, values))
    con.execute(_inline(_SNAPSHOTS, values))
    con.execute("drop table gen_projects")
    if refresh:
        import queries

        queries.refresh(con)
