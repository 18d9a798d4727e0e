"""Benchmark (not a test): the forecast queries (issue 12) at N projects x K weekly
snapshots, read from a file the way the dashboard reads it (store.ReadHub, read-only).

    python3 bench/bench_forecast.py                       # 100k x 52, writes bench/results/forecast.md
    python3 bench/bench_forecast.py --projects 10000 --weeks 12 --no-write

This process builds the file with bench_queries.generate (+ queries.refresh, as an import
would) unless it exists already (--db PATH keeps it for another run); each timing round
then runs every query once in a fresh child reader process (bench/childproc.py), in a rotated
(interleaved) order, so no query always runs first or after a warm cache; per query the
median, min and max over the rounds are reported. A fresh process per round = a cache miss
(nothing in st.cache_data, DuckDB's buffer cold for this process; the OS file cache warm).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.childproc import run_json  # noqa: E402

# The Forecast page's queries on a first load; the others run when asked for (the split by
# segment, the back-test, the trends, the projects behind a period).
PAGE = [("forecast", {}), ("win_probabilities", {}), ("slips_summary", {}), ("slips", {}), ("owners", {})]
ON_DEMAND = [("forecast by region", {"by": "region"}), ("backtest", {}), ("trends", {}),
             ("win_probabilities (every snapshot)", {"all_snapshots": True}), ("forecast_projects", {})]


def build(path: Path, n: int, k: int) -> dict:
    import duckdb

    from bench.bench_queries import generate
    from dashboard import store

    t = time.perf_counter()
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": "false"})
    con.execute("set enable_progress_bar = false")
    store.migrate(con)
    generate(con, n, n_snapshots=k)
    con.execute("checkpoint")
    rows = con.execute("select count(*) from project_facts").fetchall()[0][0]
    con.close()
    return {"build_s": time.perf_counter() - t, "fact_rows": rows}


def child_round(path: str, order: list[str]) -> dict:
    import queries
    from dashboard import store
    from queries import Filters

    cur = store.ReadHub(Path(path)).cursor()
    cur.sql("select count(*) from project_facts").fetchall()  # attach, as a page run's cursor has
    every = dict(PAGE + ON_DEMAND)
    out = {}
    for label in order:
        name = label.split(" ")[0]
        f = Filters(since=None) if name == "owners" else Filters()
        t = time.perf_counter()
        df = queries.run(cur, name, f, **every[label])
        out[label] = {"ms": (time.perf_counter() - t) * 1000, "rows": df.height}
    return out


def child_page(path: str, reps: int) -> dict:
    """The Forecast page through AppTest, as bench_ui.py measures the other pages: a fresh
    session's first render, a sidebar filter change never asked before in this process
    (cache miss), and the same change again after going back to "all" (cache hit)."""
    import random

    import duckdb
    from streamlit.testing.v1 import AppTest

    os.environ["PIPELINE_DB"] = path
    with duckdb.connect(path, read_only=True) as con:
        latest = con.execute("select max(as_of) from project_facts").fetchall()[0][0]
        regions = [r[0] for r in con.execute(
            "select distinct region from project_facts where as_of = ? and region is not null order by 1", [latest]).fetchall()]
        grades = [r[0] for r in con.execute(
            "select distinct grade from project_facts where as_of = ? and grade is not null order by 1", [latest]).fetchall()]
    combos = [([r], [g]) for r in regions for g in grades]
    random.Random(1).shuffle(combos)

    def timed(at) -> float:
        t = time.perf_counter()
        at.run()
        if at.exception:
            raise RuntimeError([e.message for e in at.exception][:3])
        return (time.perf_counter() - t) * 1000

    out = {"first": [], "miss": [], "hit": []}
    for r in range(reps):
        at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=600)
        timed(at)
        at.switch_page("app_pages/forecast.py")
        out["first"].append(timed(at))
        reg, gra = combos[r % len(combos)]
        at.multiselect(key="region").set_value(reg)
        at.multiselect(key="grade").set_value(gra)
        out["miss"].append(timed(at))
        at.multiselect(key="region").set_value([])
        at.multiselect(key="grade").set_value([])
        timed(at)
        at.multiselect(key="region").set_value(reg)
        at.multiselect(key="grade").set_value(gra)
        out["hit"].append(timed(at))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--db", type=Path, help="keep/reuse the generated file here")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--page-reps", type=int, default=3, help="AppTest runs of the Forecast page (0: none)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # (round | page) path arg: bench/childproc.py
    args = ap.parse_args()
    if args.child:
        mode, db, arg = args.child
        out = child_round(db, json.loads(arg)) if mode == "round" else child_page(db, int(arg))
        print(json.dumps(out))
        return 0
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "bench.duckdb"
    built = {"build_s": None, "fact_rows": None}
    if not path.exists():
        built = build(path, args.projects, args.weeks)
        print(f"built {path}: {built}", file=sys.stderr)
    else:
        import duckdb

        with duckdb.connect(str(path), read_only=True) as con:
            built["fact_rows"] = con.execute("select count(*) from project_facts").fetchall()[0][0]
    load_before = os.getloadavg()
    labels = [label for label, _ in PAGE + ON_DEMAND]
    times: dict[str, list[float]] = {label: [] for label in labels}
    rows: dict[str, int] = {}
    page_totals = []
    for r in range(args.rounds):
        order = labels[r % len(labels):] + labels[: r % len(labels)]  # rotated: interleaved
        got = run_json(__file__, ["round", str(path), json.dumps(order)])
        for label, v in got.items():
            times[label].append(v["ms"])
            rows[label] = v["rows"]
        page_totals.append(sum(got[label]["ms"] for label, _ in PAGE))
        print(f"round {r + 1}: page {page_totals[-1]:.0f} ms", file=sys.stderr)
    page = None
    if args.page_reps:
        try:
            page = run_json(__file__, ["page", str(path), str(args.page_reps)])
        except RuntimeError as exc:  # a broken page is a result, not the end of the run
            page = {"error": str(exc)[-800:]}
        print(f"page: {page}", file=sys.stderr)
    load_after = os.getloadavg()
    cmd = "python3 bench/bench_forecast.py " + " ".join(sys.argv[1:])
    lines = [
        "# Forecast queries (issue 12)",
        "",
        f"`{cmd.strip()}` on {date.today().isoformat()}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared with other work), Python {platform.python_version()}; "
        f"1-minute load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (other sessions' "
        "tests and benchmarks ran at the same time: absolute times are inflated by that much).",
        "",
        f"{args.projects:,} projects x {args.weeks} weekly snapshots ({built['fact_rows']:,} fact rows; "
        f"build + refresh {format(built['build_s'], '.1f') + ' s' if built['build_s'] else 'not timed: file reused'}). Each round = one fresh reader "
        "process (cache miss), queries in a rotated order; median (min–max) over "
        f"{args.rounds} rounds.",
        "",
        "| query | rows | median ms | min–max ms |",
        "|---|---:|---:|---:|",
    ]
    for label in labels:
        ts = times[label]
        lines.append(f"| {label}{' (on demand)' if label in dict(ON_DEMAND) else ''} | {rows[label]:,} | "
                     f"{statistics.median(ts):.0f} | {min(ts):.0f}–{max(ts):.0f} |")
    lines += ["", f"**The Forecast page's queries on a first load (cache miss), summed:** median "
              f"{statistics.median(page_totals):.0f} ms (min {min(page_totals):.0f}, max {max(page_totals):.0f})."]
    if page and "error" not in page:
        def fmt(xs):
            return f"{statistics.median(xs):.0f} ms ({min(xs):.0f}–{max(xs):.0f})"
        later = page["first"][1:]
        lines += ["", f"**The Forecast page through AppTest** (as bench_ui.py measures the other pages; "
                  f"{args.page_reps} fresh sessions in one server process, trends off): the first session's "
                  f"first render (nothing cached yet) {page['first'][0]:.0f} ms"
                  + (f", later sessions' first render (cached) {fmt(later)}" if later else "") + "; "
                  f"a region + grade filter change never asked before (cache miss) {fmt(page['miss'])}; "
                  f"the same change again (cache hit) {fmt(page['hit'])}."]
    elif page:
        lines += ["", f"The Forecast page through AppTest failed: `{page['error'][-300:]}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (ROOT / "bench" / "results" / "forecast.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
