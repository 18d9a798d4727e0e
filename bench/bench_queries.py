"""Benchmark (not a test): every query module at 10k, 100k and 1M projects, next to a
straightforward pandas implementation of the same result and to the floor (a bare
sum()/max() scan of the columns the query reads), in memory and on a file; the facts
rebuild time and the peak memory of the process.

    python3 bench/bench_queries.py            # writes bench/results/queries.md
    python3 bench/bench_queries.py --quick    # 10k only, prints only

Each (size, storage) runs in its own child process, so its peak RSS is its own; pandas
runs in a separate child (its frames of the raw tables are not the dashboard's memory).

The data: synthetic pipeline histories written straight into the stored tables with SQL
(also used by tests/test_queries_agreement.py with a few thousand projects). Deterministic for a given (n_projects, n_snapshots, seed): every random
choice is a hash of the project number, so there is no Python loop over rows.

Per project: a start stage (development 60 %, approval 25 %, proposal 15 %), three stage
entries (the second skips a stage 10 % of the time, the third falls back one stage 8 % of
the time once past proposal, 5 % of moves happen on the same day), 25 % lost and 10 %
dropped some weeks after their last move, 2 % vanish from the last snapshot, expected
amounts that drift between snapshots, margins with 10 % missing and some erosion.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.childproc import run_json  # noqa: E402

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
        null as lost_reason,
        -- the last stored column (migration 0009): an optional dimension, four product lines
        ['智慧园区', '数据中心', '智能电网', '轨道交通'][1 + s.i % 4] as product_line
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
            "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, rows_skipped, imported_at, status, mapping_name, report) values ($i, $f, 'sha', null, 'projects', date '2026-09-28' - cast(7 * $k as integer),"
            " 0, 0, 0, now(), 'active', null, null)",
            {"i": 1 + k, "f": f"snapshot-{k}.csv", "k": k},
        )
    con.execute(
        "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, rows_skipped, imported_at, status, mapping_name, report) values ($i, 'history.csv', 'sha', null, 'history', null, 0, 0, 0, now(), 'active', null, null)",
        {"i": n_snapshots + 1},
    )
    con.execute(_inline(_GENERATE, values))
    con.execute(_inline(_EVENTS, values))
    con.execute(_inline(_SNAPSHOTS, values))
    con.execute("drop table gen_projects")
    if refresh:
        import queries

        queries.refresh(con)


# --- the benchmark -----------------------------------------------------------------------

SIZES = ((10_000, 8), (100_000, 8), (1_000_000, 2))  # (projects, weekly snapshots)

# name, extra parameters, the columns it reads (floor = one scan of those, no compute)
QUERIES = [
    ("funnel", {}, "project_facts", "furthest_order cur_order first_order outcome skipped_mask expected_amount"),
    ("funnel by region", {"by": "region"}, "project_facts",
     "region furthest_order cur_order first_order outcome skipped_mask expected_amount"),
    ("win_rate", {}, "project_facts", "outcome closed_on contract_amount expected_amount"),
    ("aging", {}, "project_facts",
     "outcome status cur_entered_on cur_stage grade project_id project_name region owner category expected_amount"),
    ("stage_durations", {}, "stage_event_facts", "project_id stage stage_order entered_on left_on"),
    ("margin", {}, "project_facts",
     "outcome margin earliest_margin furthest_order bid_amount margin_cost expense_ratio peer_expense_ratio "
     "category grade cur_stage project_id margin_amount"),
    ("margin_summary", {"by": "region"}, "project_facts", "outcome region margin_amount margin_cost margin expense_actual"),
    ("changes", {}, "project_facts2",
     "project_id outcome status expected_amount cur_order expected_sign_on margin region first_seen_on"),
    ("changes_summary", {}, "project_facts2", "project_id outcome expected_amount region first_seen_on"),
    ("process_exceptions", {}, "project_facts",
     "project_id skipped_mask first_order furthest_order seen_mask outcome first_recorded_on"),
    ("project", {"project_id": "P0000042"}, "point", "project_id"),
]
PANDAS = ("funnel", "aging", "margin", "changes_summary")


def _floor_sql(table: str, columns: str) -> str:
    cols = columns.split()
    numeric = {"furthest_order", "cur_order", "first_order", "skipped_mask", "expected_amount", "contract_amount",
               "margin", "earliest_margin", "bid_amount", "margin_cost", "expense_ratio", "peer_expense_ratio",
               "margin_amount", "expense_actual", "seen_mask", "stage_order"}
    agg = ", ".join(f"sum({c})" if c in numeric else f"max({c})" for c in cols)
    if table == "project_facts":
        return f"select {agg} from project_facts where as_of = $as_of"
    if table == "project_facts2":
        return f"select {agg} from project_facts where as_of in ($as_of, $since)"
    if table == "point":
        return "select count(*) from project_facts where project_id = 'P0000042'"
    return f"select {agg} from stage_event_facts where entered_on <= $as_of"


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm: the first run plans and loads
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(con, n, k):
    from dashboard import store

    store.migrate(con)
    generate(con, n, n_snapshots=k, refresh=False)


def child_build(n: int, k: int, path: str | None) -> tuple[dict, duckdb.DuckDBPyConnection]:
    """Generate the tables and time queries.refresh (median of 3): the import's share."""
    import queries

    con = duckdb.connect(path or ":memory:", config={"autoinstall_known_extensions": "false"})
    con.execute("set enable_progress_bar = false")
    _build(con, n, k)
    out: dict = {
        "snapshot_rows": con.execute("select count(*) from project_snapshots").fetchall()[0][0],
        "event_rows": con.execute("select count(*) from stage_events").fetchall()[0][0],
    }
    rebuilds, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        queries.refresh(con)
        rebuilds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out["refresh_s"] = statistics.median(rebuilds)
    out["refresh_all_s"] = rebuilds
    out["refresh_cpu_s"] = statistics.median(cpu)
    out["build_peak_rss_mb"] = _rss_mb()
    return out, con


def child_sql(n: int, k: int, storage: str, repeat: int, memory_limit: str | None = None) -> dict:
    """memory: one process builds and queries an in-memory database (which holds every
    table in RAM). file: a writer process builds the file (as an import would), then this
    process opens it read-only, as the dashboard does, with DuckDB's memory_limit set."""
    import queries
    from dashboard import store
    from queries import ALL_REGIONS, Filters

    out: dict = {"n": n, "snapshots": k, "storage": storage}
    tmp = None
    if storage == "memory":
        built, con = child_build(n, k, None)
        out.update(built)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-q-")) / "pipeline.duckdb"
        out.update(_run_child(["--part", "build", "--n", str(n), "--k", str(k), "--path", str(tmp)]))
        con = store.connect_read_only(tmp)  # as the dashboard reads it
        con.execute("set enable_progress_bar = false")
        if memory_limit:
            # what the dashboard's connection should set: DuckDB otherwise keeps up to 80 % of RAM
            con.execute(f"set memory_limit = '{memory_limit}'")  # our own constant, not input
            out["memory_limit"] = memory_limit
    dates = [r[0] for r in con.execute("select distinct as_of from project_facts order by 1").fetchall()]
    as_of, since = dates[-1], dates[-2] if len(dates) > 1 else dates[-1]
    f = Filters(allowed_regions=ALL_REGIONS, as_of=as_of, since=since)
    out["as_of"], out["since"] = str(as_of), str(since)
    results = {}
    for name, extra, table, columns in QUERIES:
        qname = name.split(" ")[0]
        cur = con.cursor()
        latency = _median_ms(lambda: queries.run(cur, qname, f, **extra), repeat)  # noqa: B023 (called here)
        floor_sql = _floor_sql(table, columns)
        params = {"as_of": as_of, "since": since}
        params = {key: v for key, v in params.items() if f"${key}" in floor_sql}
        floor = _median_ms(lambda: cur.execute(floor_sql, params).fetchall(), repeat)  # noqa: B023 (called here)
        rows = queries.run(cur, qname, f, **extra).height
        results[name] = {"ms": latency, "floor_ms": floor, "rows": rows}
    filtered = Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=("华东",), grade=("A", "B"))
    results["funnel (region+grade filter)"] = {
        "ms": _median_ms(lambda: queries.run(con.cursor(), "funnel", filtered), repeat),
        "floor_ms": _median_ms(lambda: con.execute(
            "select sum(furthest_order), sum(cur_order), sum(first_order), max(outcome), sum(skipped_mask), "
            "sum(expected_amount), max(region), max(grade) from project_facts where as_of = $a", {"a": as_of}
        ).fetchall(), repeat),
        "rows": 6,
    }
    page = ("funnel", "win_rate", "aging")  # the first screen of the weekly review
    out["page_ms"] = sum(results[p]["ms"] for p in page)
    out["queries"] = results
    out["peak_rss_mb"] = _rss_mb()
    con.close()
    if tmp:
        out["file_mb"] = tmp.stat().st_size / 2**20
        for leftover in tmp.parent.iterdir():
            leftover.unlink()
        tmp.parent.rmdir()
    return out


# straightforward pandas: the raw tables in memory, each result computed from them


def _pd_facts(pd, np, snaps, events, as_of):
    order = {"development": 1, "approval": 2, "proposal": 3, "tender": 4, "negotiation": 5, "delivery": 6}
    s = snaps[snaps["as_of"] <= as_of]
    won = s["status"].isin(["won", "completed"])
    s_order = np.where(won, 6, s["stage"].map(order))
    snap_max = pd.Series(s_order, index=s.index).groupby(s["project_id"]).max()
    ev = events[events["entered_on"] <= as_of]
    ev = ev.assign(o=ev["stage"].map(order)).sort_values(["project_id", "entered_on", "o"])
    ev_max = ev.groupby("project_id")["o"].max()
    last = ev.groupby("project_id").tail(1).set_index("project_id")
    cur = s[s["as_of"] == as_of].copy()
    cur["furthest"] = np.fmax(cur["project_id"].map(snap_max), cur["project_id"].map(ev_max))
    cur["outcome"] = np.select(
        [cur["status"].isin(["lost", "dropped"]), cur["furthest"] == 6], [cur["status"], "won"], "open")
    cur["cur_stage"] = np.where(cur["outcome"] == "won", "delivery",
                                np.where(cur["status"].isin(["won", "completed"]), "delivery", cur["stage"]))
    cur["cur_order"] = cur["cur_stage"].map(order)
    cur["entered_on"] = np.where(cur["project_id"].map(last["stage"]) == cur["cur_stage"],
                                 cur["project_id"].map(last["entered_on"]), pd.NaT)
    cur["first_seen_on"] = cur["project_id"].map(s.groupby("project_id")["as_of"].min())
    return cur, s


def pd_funnel(pd, np, snaps, events, as_of):
    cur, _ = _pd_facts(pd, np, snaps, events, as_of)
    rows = []
    for code, k in (("development", 1), ("approval", 2), ("proposal", 3), ("tender", 4), ("negotiation", 5),
                    ("delivery", 6)):
        here = cur["cur_order"] == k
        rows.append({"stage": code, "reached": int((cur["furthest"] >= k).sum()),
                     "n_open_here": int((here & (cur["outcome"] == "open")).sum()),
                     "n_lost_here": int((here & (cur["outcome"] == "lost")).sum()),
                     "expected_amount": cur.loc[cur["furthest"] >= k, "expected_amount"].sum()})
    return pd.DataFrame(rows)


def pd_aging(pd, np, snaps, events, as_of, limits):
    cur, _ = _pd_facts(pd, np, snaps, events, as_of)
    a = cur[(cur["outcome"] == "open") | ((cur["outcome"] == "won") & (cur["status"] != "completed"))].copy()
    a["days_in_stage"] = (pd.Timestamp(as_of) - pd.to_datetime(a["entered_on"])).dt.days
    a = a.merge(limits, how="left", left_on=["grade", "cur_stage"], right_on=["grade", "stage"])
    a["is_stalled"] = a["days_in_stage"] > a["limit_days"]
    a["aging_bucket"] = pd.cut(a["days_in_stage"], [-1, 30, 60, 90, 10**9], labels=["0-30", "31-60", "61-90", ">90"])
    return a.sort_values(["is_stalled", "days_in_stage"], ascending=[False, False])


def pd_margin(pd, np, snaps, events, as_of, t):
    cur, s = _pd_facts(pd, np, snaps, events, as_of)

    def margin_of(df):
        amount = df["contract_amount"].fillna(df["expected_amount"]).astype(float)
        cost = df["estimated_cost"].astype(float).fillna(amount * (1 - df["estimated_margin"]))
        return amount, cost, ((amount - cost) / amount).where(amount > 0)

    amount, cost, m = margin_of(cur)
    cur = cur.assign(amount=amount, cost=cost, margin=m)
    _, _, sm = margin_of(s)
    hist = s.assign(margin=sm).dropna(subset=["margin"]).sort_values("as_of")
    cur["earliest"] = cur["project_id"].map(hist.groupby("project_id")["margin"].first())
    ratio = (cur["expense_actual"].astype(float) / cur["amount"]).where(cur["amount"] > 0)
    cur["ratio"] = ratio
    cur["peer"] = cur.groupby("grade")["ratio"].transform("median")
    c = cur[~cur["outcome"].isin(["lost", "dropped"])]
    floor = c["grade"].map(t.margin_floor_by_grade).fillna(t.margin_floor)
    floor = c["category"].map(t.margin_floor_by_category).fillna(floor)
    bid = c["bid_amount"].astype(float)
    bid_margin = ((bid - c["cost"]) / bid).where(bid > 0).fillna(c["margin"])
    points = ((c["earliest"] - c["margin"]) * 100).round(9)
    # Each check keeps only its own rows' values: `c[mask].assign(value=<series over all of c>)`
    # aligns the series on an empty frame when the mask matches nothing, and pandas 3.1 then
    # returns NaN rows that no check produced (the old "margin NO" at 1M x 2 snapshots).
    checks = [
        ("negative_margin", c["margin"] < 0, c["margin"]),
        ("below_floor", c["margin"] < floor, c["margin"]),
        ("eroded", points >= t.erosion_points, points),
        ("bid_below_floor", (c["furthest"] >= 4) & (bid_margin < floor), bid_margin),
        ("missing_estimate", (c["furthest"] > 2) & c["margin"].isna(), pd.Series(np.nan, index=c.index)),
        ("high_expense_ratio", (c["peer"] > 0) & (c["ratio"] > t.expense_ratio_factor * c["peer"]), c["ratio"]),
    ]
    parts = [
        pd.DataFrame({"project_id": c.loc[mask.fillna(False).astype(bool), "project_id"], "check": name,
                      "value": value[mask.fillna(False).astype(bool)]})
        for name, mask, value in checks
    ]
    return pd.concat(parts)[["project_id", "check", "value"]].sort_values(["project_id", "check"])


def pd_changes_summary(pd, np, snaps, events, since, as_of):
    b, _ = _pd_facts(pd, np, snaps, events, since)
    a, _ = _pd_facts(pd, np, snaps, events, as_of)
    m = b[["project_id", "outcome", "expected_amount"]].merge(
        a[["project_id", "outcome", "expected_amount", "first_seen_on"]], on="project_id", how="outer",
        suffixes=("_b", "_a"), indicator=True)
    ob, oa = m["outcome_b"] == "open", m["outcome_a"] == "open"
    amt_b = m["expected_amount_b"].where(ob, 0).fillna(0)
    amt_a = m["expected_amount_a"].where(oa, 0).fillna(0)
    step = np.select(
        [ob & oa & (amt_a > amt_b), ob & oa & (amt_a < amt_b), ob & oa, ob & (m["_merge"] == "left_only"), ob,
         oa & (m["_merge"] == "right_only") & (m["first_seen_on"] > since), oa & (m["_merge"] == "right_only"), oa],
        ["increased", "decreased", "", "vanished", m["outcome_a"].astype(str), "new", "reappeared", "reopened"], "")
    moves = (amt_a - amt_b).groupby(step).sum()
    return {"start": amt_b.sum(), **{k: v for k, v in moves.items() if k}, "end": amt_a.sum()}


def child_pandas(n: int, k: int, repeat: int) -> dict:
    import numpy as np
    import pandas as pd

    import queries
    from dashboard.config import get_config
    from queries import ALL_REGIONS, Filters

    con = duckdb.connect(":memory:")
    con.execute("set enable_progress_bar = false")
    _build(con, n, k)
    queries.refresh(con)
    snaps = con.sql("select * exclude (customer_grade), customer_grade as grade from project_snapshots").df()
    events = con.sql("select project_id, stage, entered_on from stage_events").df()
    for df, cols in ((snaps, ("as_of", "expected_sign_on", "created_on")), (events, ("entered_on",))):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    for c in ("expected_amount", "contract_amount", "estimated_cost", "bid_amount", "expense_actual"):
        snaps[c] = snaps[c].astype(float)
    dates = sorted(snaps["as_of"].unique())
    as_of, since = pd.Timestamp(dates[-1]), pd.Timestamp(dates[-2] if len(dates) > 1 else dates[-1])
    t = get_config().thresholds
    limits = pd.DataFrame(
        [(g, st, t.age_limit(st, g)) for g in ("A", "B", "C", "D") for st in t.stage_age_limit_days],
        columns=["grade", "stage", "limit_days"])
    f = Filters(allowed_regions=ALL_REGIONS, as_of=as_of.date(), since=since.date())
    out = {"n": n, "snapshots": k, "pandas_ms": {}, "agrees": {}, "interleaved": {}}
    # same results? (checked once, on the columns both compute)
    sql_funnel = queries.run(con, "funnel", f)
    pdf = pd_funnel(pd, np, snaps, events, as_of)
    out["agrees"]["funnel"] = (pdf["reached"].tolist() == sql_funnel["reached"].to_list()
                               and pdf["n_open_here"].tolist() == sql_funnel["n_open_here"].to_list())
    sql_aging = queries.run(con, "aging", f)
    pa = pd_aging(pd, np, snaps, events, as_of, limits)
    out["agrees"]["aging"] = (len(pa) == sql_aging.height and int(pa["is_stalled"].sum()) == sql_aging["is_stalled"].sum()
                              and int(pa["days_in_stage"].sum()) == sql_aging["days_in_stage"].sum())
    sql_margin = queries.run(con, "margin", f)
    pm = pd_margin(pd, np, snaps, events, as_of, t)
    # lists with their multiplicity, and the count per check: a set would hide duplicates
    pd_pairs = sorted(zip(pm["project_id"].astype(str), pm["check"].astype(str), strict=True))
    sql_pairs = sorted(zip(sql_margin["project_id"].to_list(), sql_margin["check"].to_list(), strict=True))
    out["agrees"]["margin"] = pd_pairs == sql_pairs
    out["margin_counts"] = {"pandas": dict(Counter(c for _, c in pd_pairs)), "sql": dict(Counter(c for _, c in sql_pairs))}
    sql_w = dict(zip(*queries.run(con, "changes_summary", f).select("step", "amount"), strict=True))
    pw = pd_changes_summary(pd, np, snaps, events, since, as_of)
    out["agrees"]["changes_summary"] = all(abs(float(sql_w[k]) - float(v)) < 0.01 for k, v in pw.items())
    # Timed interleaved in this one process: SQL, pandas, SQL, pandas … so both see the same
    # load; the ratio of each pair is reported with its spread (the old separate children
    # ran under different load and overstated the ratio 2-3.5x).
    pandas_fns = {
        "funnel": lambda: pd_funnel(pd, np, snaps, events, as_of),
        "aging": lambda: pd_aging(pd, np, snaps, events, as_of, limits),
        "margin": lambda: pd_margin(pd, np, snaps, events, as_of, t),
        "changes_summary": lambda: pd_changes_summary(pd, np, snaps, events, since, as_of),
    }
    cur = con.cursor()
    for name, pfn in pandas_fns.items():
        sfn = lambda name=name: queries.run(cur, name, f)  # noqa: E731
        sfn(), pfn()  # warm both
        sql_ms, pd_ms = [], []
        for _ in range(max(3, repeat // 2)):
            for fn, acc in ((sfn, sql_ms), (pfn, pd_ms)):
                t0 = time.perf_counter()
                fn()
                acc.append((time.perf_counter() - t0) * 1000)
        ratios = sorted(p_ / s_ for p_, s_ in zip(pd_ms, sql_ms, strict=True))
        out["pandas_ms"][name] = statistics.median(pd_ms)
        out["interleaved"][name] = {"sql_ms": statistics.median(sql_ms), "pandas_ms": statistics.median(pd_ms),
                                    "ratio": statistics.median(ratios), "ratio_min": ratios[0],
                                    "ratio_max": ratios[-1], "pairs": len(ratios)}
    return out


def _run_child(args: list[str]) -> dict:
    return run_json(__file__, args)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def report(runs: list[dict], pandas_runs: list[dict], command: str) -> str:
    lines = [
        "# Query benchmark",
        "",
        f"Command: `{command}` (from the repository root). Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}. "
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at the start "
        f"{os.getloadavg()[0]:.1f} (other sessions share this machine: absolute numbers are noisy, "
        "ratios measured in the same process less so).",
        "",
        "Data: `generate()` in this file (SQL straight into the stored tables): about 2.7 stage entries "
        "per project (skips, fall-backs, same-day moves), weekly snapshots. Latency = median of the "
        "runs after one warm-up, through `queries.run` (SQL + conversion to Polars). Floor = a bare "
        "`sum()`/`max()` scan of the columns the query reads, with its `as_of` filter. "
        "pandas = a straightforward pandas implementation of the same result from the raw tables held "
        "in memory (loading them not counted), checked against the SQL result in the same run. "
        "The × pandas ratio is measured interleaved in one process (SQL, pandas, SQL, pandas … on the "
        "same in-memory data, after a warm-up of each), so both see the same load: the median of the "
        "per-pair ratios and their spread. The 'median ms' column comes from the separate SQL child.",
        "",
    ]
    for run in runs:
        q = run["queries"]
        lines += [
            f"## {run['n']:,} projects, {run['snapshots']} snapshots, {run['storage']} "
            f"({run['snapshot_rows']:,} snapshot rows, {run['event_rows']:,} stage entries)",
            "",
            f"Facts rebuild (`queries.refresh`, median of 3): **{run['refresh_s']:.2f} s** wall "
            f"({', '.join(f'{x:.2f}' for x in run['refresh_all_s'])}), {run['refresh_cpu_s']:.2f} s CPU "
            f"(all threads). "
            + (f"Peak RSS: **{run['peak_rss_mb']:,.0f} MB** (one process builds, refreshes and queries an "
               "in-memory database: every table lives in RAM). "
               if run["storage"] == "memory" else
               f"Peak RSS: writer (generate + 3 rebuilds) {run['build_peak_rss_mb']:,.0f} MB; **reader (the "
               f"dashboard's share: open read-only, run every query) {run['peak_rss_mb']:,.0f} MB** "
               f"(DuckDB memory_limit {run.get('memory_limit', 'default')}). ")
            +
            f"First screen (funnel + win_rate + aging): {run['page_ms']:.0f} ms."
            + (f" File size {run['file_mb']:.0f} MB." if "file_mb" in run else ""),
            "",
            "| query | rows | median ms | floor ms | × floor | pandas ms | × faster than pandas, interleaved: median (min–max) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        pand = next((p for p in pandas_runs if p["n"] == run["n"]), None)
        for name, r in q.items():
            iv = pand["interleaved"].get(name) if pand and run["storage"] == "memory" else None
            cells = (f"{_fmt(iv['pandas_ms'])} | {iv['ratio']:.1f} ({iv['ratio_min']:.1f}–{iv['ratio_max']:.1f})"
                     if iv else " | ")
            lines.append(f"| {name} | {r['rows']:,} | {_fmt(r['ms'])} | {_fmt(r['floor_ms'])} | "
                         f"{r['ms'] / max(r['floor_ms'], 1e-3):.1f} | {cells} |")
        if pand and run["storage"] == "memory":
            lines += ["", "pandas agrees with SQL (margin: the sorted (project, check) lists, duplicates "
                          "included): " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in pand["agrees"].items()),
                      "", "Margin rows per check, SQL / pandas: " + ", ".join(
                          f"{c} {pand['margin_counts']['sql'].get(c, 0):,} / {pand['margin_counts']['pandas'].get(c, 0):,}"
                          for c in sorted(set(pand["margin_counts"]["sql"]) | set(pand["margin_counts"]["pandas"])))]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--part", choices=["sql", "pandas", "build"])
    ap.add_argument("--path")
    ap.add_argument("--n", type=int)
    ap.add_argument("--k", type=int)
    ap.add_argument("--storage", choices=["memory", "file"])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit for the SQL runs ('' = DuckDB's default)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "queries.md")
    args = ap.parse_args()
    if args.child:
        if args.part == "build":
            res, con = child_build(args.n, args.k, args.path)
            con.execute("checkpoint")
            con.close()
        elif args.part == "sql":
            res = child_sql(args.n, args.k, args.storage, args.repeat, args.memory_limit or None)
        else:
            res = child_pandas(args.n, args.k, args.repeat)
        print(json.dumps(res, default=str))
        return 0
    sizes = SIZES[:1] if args.quick else SIZES
    runs, pandas_runs = [], []
    for n, k in sizes:
        for storage in ("memory", "file"):
            run = _run_child(["--part", "sql", "--n", str(n), "--k", str(k), "--storage", storage,
                              "--repeat", str(args.repeat), "--memory-limit", args.memory_limit])
            runs.append(run)
            print(f"{n:>9,} {storage:6} refresh {run['refresh_s']:.2f}s rss {run['peak_rss_mb']:.0f}MB "
                  + " ".join(f"{q}={r['ms']:.0f}ms" for q, r in run["queries"].items()), flush=True)
        p = _run_child(["--part", "pandas", "--n", str(n), "--k", str(k), "--repeat", str(args.repeat)])
        pandas_runs.append(p)
        print(f"{n:>9,} pandas " + " ".join(f"{q}={ms:.0f}ms" for q, ms in p["pandas_ms"].items()), p["agrees"],
              flush=True)
    text = report(runs, pandas_runs, "python3 bench/bench_queries.py" + (" --quick" if args.quick else ""))
    if args.quick:
        print(text)
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
