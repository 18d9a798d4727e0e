"""Quick benchmark (not a test): the cost of ONE weekly import into a store that already
holds W weeks of N projects, through the product's write path (``ingest.commit``: copy,
insert, incremental refresh, commit, checkpoint, replace), and the full rebuild of the
same store (``dashboard rebuild``'s code path).

    python bench/bench_weekly_import.py 10000:8 10000:20 10000:52      # prints a table

The stored history comes from bench/bench_queries.py's generator (every project in every
weekly snapshot, plus one stage-history import), finished with one rebuild. The measured
import is the next week's export: every project of the last week, 5 % moved one stage on
(with the stage date in the file's stage-date columns), 1 % new projects. Each measurement
runs in a fresh child process, so the peak RSS is the import's own. The big history
benchmark (100k × up to 156 weeks, parse to first screen) is bench/bench_history.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _generator():
    spec = importlib.util.spec_from_file_location("bench_queries", ROOT / "bench" / "bench_queries.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(path: Path, n: int, weeks: int) -> None:
    import duckdb

    import queries
    from dashboard import store

    bq = _generator()
    con = duckdb.connect(str(path))
    con.execute("begin")
    store.migrate(con)
    bq.generate(con, n, n_snapshots=weeks, seed=7, refresh=False)
    t = time.perf_counter()
    queries.refresh(con)
    rebuild_s = time.perf_counter() - t
    con.execute("commit")
    con.execute("checkpoint")
    con.close()
    print(json.dumps({"rebuild_s": rebuild_s}))


def weekly(path: Path) -> None:
    import duckdb
    import polars as pl

    from dashboard import store
    from dashboard.ingest import commit
    from dashboard.ingest.clean import EVENT_SCHEMA, PROJECT_SCHEMA
    from dashboard.ingest.isolated import Prepared
    from dashboard.ingest.report import Report

    con = duckdb.connect(str(path), read_only=True)
    last = con.execute("select max(as_of) from project_snapshots").fetchall()[0][0]
    rows = con.sql("select * exclude (as_of, import_id) from project_snapshots where as_of = $d",
                   params={"d": last}).pl()
    con.close()
    new = last + timedelta(days=7)
    stages = ["development", "approval", "proposal", "tender", "negotiation", "delivery"]
    h = pl.col("project_id").hash(seed=3) % 100
    moved = (h < 5) & pl.col("stage").is_in(stages[:-1]) & (pl.col("status") == "open")
    nxt = pl.col("stage").replace_strict(stages[:-1], stages[1:], default=None)
    rows = rows.with_columns(pl.when(moved).then(nxt).otherwise(pl.col("stage")).alias("stage"))
    events = rows.filter(moved).select(
        "project_id", "stage", pl.lit(new - timedelta(days=2)).alias("entered_on"),
        pl.lit("stage_dates").alias("source"), pl.lit(None, pl.String).alias("previous_stage"))
    n_new = max(1, rows.height // 100)
    fresh = rows.head(n_new).with_columns(
        (pl.lit("N") + pl.col("project_id")).alias("project_id"), pl.lit("development").alias("stage"),
        pl.lit("open").alias("status"))
    projects = pl.concat([rows, fresh]).select(list(PROJECT_SCHEMA)).cast(PROJECT_SCHEMA)
    events = events.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)
    report = Report(file_name=f"{new}.csv", sha256=hashlib.sha256(str(new).encode()).hexdigest(), kind="projects",
                    as_of=new, rows_read=projects.height, rows_accepted=projects.height, n_events=events.height)
    prepared = Prepared(report=report, projects=projects, events=events)

    timings: dict[str, float] = {}
    real = store.refresh_derived

    def timed(con, **kw):
        t = time.perf_counter()
        out = real(con, **kw)
        timings["refresh_s"] = time.perf_counter() - t
        timings["refresh"] = out
        return out

    store.refresh_derived = timed

    def timed_call(key, fn):
        def inner(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
        return inner

    # the copy of the whole file, and the fsyncs (the copy's pages reach the disk there)
    store.shutil.copy2 = timed_call("copy_s", store.shutil.copy2)
    store.os.fsync = timed_call("fsync_s", store.os.fsync)
    if os.environ.get("BENCH_STEPS"):  # per step of queries/derived.py, to stderr
        from queries import derived

        steps: dict[str, float] = {}
        run = derived._run

        def timed_run(con, name, **params):
            t0 = time.perf_counter()
            try:
                return run(con, name, **params)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - t0

        derived._run = timed_run
    t = time.perf_counter()
    commit(path, [prepared])
    timings["import_s"] = time.perf_counter() - t
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings["file_mb"] = path.stat().st_size / 1e6
    timings["projects"] = projects.height
    timings["events"] = events.height
    if os.environ.get("BENCH_STEPS"):
        for name, s in sorted(steps.items(), key=lambda kv: -kv[1])[:15]:
            print(f"{name:28s} {s * 1000:8.1f} ms", file=sys.stderr)
    print(json.dumps(timings))


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--build"]:
        return build(Path(argv[1]), int(argv[2]), int(argv[3]))
    if argv[:1] == ["--weekly"]:
        return weekly(Path(argv[1]))
    print("| projects × weeks stored | rebuild (s) | weekly import (s) | of which refresh (s) | copy (s) | fsync (s) "
          "| import peak RSS (MB) | file (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for spec in argv or ["10000:20"]:
        n, weeks = (int(x) for x in spec.split(":"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pipeline.duckdb"
            built = _child("--build", str(path), str(n), str(weeks))
            w = _child("--weekly", str(path))
            print(f"| {n:,} × {weeks} | {built['rebuild_s']:.2f} | {w['import_s']:.2f} | {w['refresh_s']:.2f} "
                  f"({w['refresh']}) | {w.get('copy_s', 0):.2f} | {w.get('fsync_s', 0):.2f} "
                  f"| {w['peak_rss_mb']:.0f} | {w['file_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
