"""Benchmark (not a test): the forecast queries (issue 12) at N projects x K weekly
snapshots, read from a file the way the dashboard reads it (store.ReadHub, read-only).

    python3 bench/bench_forecast.py                       # 100k x 52, writes bench/results/forecast.md
    python3 bench/bench_forecast.py --projects 10000 --weeks 12 --no-write
    python3 bench/bench_forecast.py --base main --db /tmp/fc/b100k.duckdb   # and the base revision, interleaved

This process builds the file with bench_queries.generate (+ queries.refresh, as an import
would) unless it exists already (--db PATH keeps it for another run); each timing round
then runs every query once in a fresh child reader process (bench/childproc.py), in a rotated
(interleaved) order, so no query always runs first or after a warm cache; per query the
median, min and max over the rounds are reported. A fresh process per round = a cache miss
(nothing in st.cache_data, DuckDB's buffer cold for this process; the OS file cache warm).
With ``--base REV`` the same rounds and page runs are made with ``git archive REV`` unpacked
in a temporary folder (its code on the same file), alternating which goes first, so the two
are compared under the same load. Each round also times what an import adds to keep the
learned probabilities (win_counts): learned_counts of the newest date, and of every date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--child" not in sys.argv and str(ROOT) not in sys.path:  # a child imports the tree it measures (PYTHONPATH)
    sys.path.insert(0, str(ROOT))

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


# What an import adds to keep the learned probabilities (queries/derived.py, win_counts): the
# newest date's counts (a weekly import), every date's (a rebuild); read-only here, so counted.
KEEPING = {
    "keep: win_counts of the newest date (a weekly import)":
        "select count(*) from (select * from learned_counts((select max(as_of) from snapshot_dates), false, ['*']) "
        "union all select * from learned_counts((select max(as_of) from snapshot_dates), true, ['*']))",
    "keep: win_counts of every date (a rebuild)":
        "select count(*) from (select * from learned_counts_history((select max(as_of) from snapshot_dates), false, ['*']) "
        "union all select * from learned_counts_history((select max(as_of) from snapshot_dates), true, ['*']))",
}


def run_tree(tree: Path, args: list[str]) -> dict:
    """This script's ``--child *args`` with ``tree``'s code (this checkout or the base's) on
    PYTHONPATH and as the working folder."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_round(path: str, order: list[str]) -> dict:
    import queries
    from dashboard import store
    from queries import ALL_REGIONS, Filters, composed

    cur = store.ReadHub(Path(path)).cursor()
    cur.sql("select count(*) from project_facts").fetchall()  # attach, as a page run's cursor has
    every = dict(PAGE + ON_DEMAND)
    out = {}
    for label in order:
        if label in KEEPING:
            if not hasattr(composed, "kept_scope"):
                continue  # a base revision that keeps nothing
            t = time.perf_counter()
            n = cur.sql(KEEPING[label]).fetchall()[0][0]
            out[label] = {"ms": (time.perf_counter() - t) * 1000, "rows": n}
            continue
        name = label.split(" ")[0]
        f = Filters(since=None, allowed_regions=ALL_REGIONS) if name == "owners" else Filters(allowed_regions=ALL_REGIONS)
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
    from streamlit import config as st_config

    st_config.set_option("server.address", "127.0.0.1")  # unsigned local mode, as the tests run it
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
        at = AppTest.from_file(str(Path.cwd() / "dashboard" / "streamlit_app.py"), default_timeout=600)
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
    ap.add_argument("--base", help="also measure this git revision's code on the same file, interleaved")
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
    trees = {"this": ROOT}
    if args.base:
        base = Path(tmp.name) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees["base"] = base
    commits = {k: subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD" if k == "this" else args.base],
                                 capture_output=True, text=True, check=True).stdout.strip() for k in trees}
    load_before = os.getloadavg()
    labels = [label for label, _ in PAGE + ON_DEMAND] + list(KEEPING)
    times: dict[str, dict[str, list[float]]] = {k: {label: [] for label in labels} for k in trees}
    rows: dict[str, int] = {}
    page_totals: dict[str, list[float]] = {k: [] for k in trees}
    for r in range(args.rounds):
        order = labels[r % len(labels):] + labels[: r % len(labels)]  # rotated: interleaved
        for k in (list(trees) if r % 2 == 0 else list(trees)[::-1]):  # which tree goes first alternates
            got = run_tree(trees[k], ["round", str(path), json.dumps(order)])
            for label, v in got.items():
                times[k][label].append(v["ms"])
                rows[label] = v["rows"]
            page_totals[k].append(sum(got[label]["ms"] for label, _ in PAGE))
            print(f"round {r + 1} {k}: page {page_totals[k][-1]:.0f} ms", file=sys.stderr)
    page: dict[str, dict] = {k: {"first": [], "miss": [], "hit": []} for k in trees}
    for rep in range(args.page_reps):
        for k in (list(trees) if rep % 2 == 0 else list(trees)[::-1]):
            try:
                got = run_tree(trees[k], ["page", str(path), "1"])
                for key in ("first", "miss", "hit"):
                    page[k][key] += got[key]
            except RuntimeError as exc:  # a broken page is a result, not the end of the run
                page[k]["error"] = str(exc)[-800:]
            print(f"page {k}: {page[k]}", file=sys.stderr)
    load_after = os.getloadavg()
    cmd = "python3 bench/bench_forecast.py " + " ".join(sys.argv[1:])

    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):.0f}" if xs else "–"

    def spread(xs: list[float]) -> str:
        return f"{min(xs):.0f}–{max(xs):.0f}" if xs else "–"

    lines = [
        "# Forecast queries (issue 12)",
        "",
        f"`{cmd.strip()}` on {date.today().isoformat()}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared with other work), Python {platform.python_version()}; "
        f"1-minute load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (other sessions' "
        "tests and benchmarks ran at the same time: absolute times are inflated by that much). "
        f"This code: {commits['this']}" + (f"; base: `{args.base}` ({commits['base']}), its code on the same file, "
                                           "each round and page run alternating which goes first" if args.base else "") + ".",
        "",
        f"{args.projects:,} projects x {args.weeks} weekly snapshots ({built['fact_rows']:,} fact rows; "
        f"build + refresh {format(built['build_s'], '.1f') + ' s' if built['build_s'] else 'not timed: file reused'}). Each round = one fresh reader "
        "process (cache miss), queries in a rotated order; median (min–max) over "
        f"{args.rounds} rounds.",
        "",
    ]
    if args.base:
        lines += ["| query | rows | median ms | min–max ms | base median ms | base min–max ms | base / this |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
    else:
        lines += ["| query | rows | median ms | min–max ms |", "|---|---:|---:|---:|"]
    for label in labels:
        ts = times["this"][label]
        line = (f"| {label}{' (on demand)' if label in dict(ON_DEMAND) else ''} | {rows.get(label, 0):,} | "
                f"{med(ts)} | {spread(ts)} |")
        if args.base:
            bs = times["base"][label]
            ratio = f"{statistics.median(bs) / statistics.median(ts):.1f}×" if bs and ts else "–"
            line += f" {med(bs)} | {spread(bs)} | {ratio} |"
        lines.append(line)
    for k in trees:
        lines += ["", f"**The Forecast page's queries on a first load (cache miss), summed{' (base)' if k == 'base' else ''}:** "
                  f"median {med(page_totals[k])} ms ({spread(page_totals[k])})."]
    if args.page_reps:
        lines += ["", "**The Forecast page through AppTest** (as bench_ui.py measures the other pages; each run a fresh "
                  "server process: its first session's first render (nothing cached), a region + grade filter change "
                  "never asked before (cache miss), the same change again (cache hit); trends off), median (min–max) ms:",
                  "", "| code | first render | filter change, miss | same change, hit |", "|---|---|---|---|"]
        for k in trees:
            if "error" in page[k]:
                lines.append(f"| {k} | failed: `{page[k]['error'][-200:]}` | | |")
            else:
                lines.append(f"| {k} | " + " | ".join(f"{med(page[k][x])} ({spread(page[k][x])})"
                                                      for x in ("first", "miss", "hit")) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (ROOT / "bench" / "results" / "forecast.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
