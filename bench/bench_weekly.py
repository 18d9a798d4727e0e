"""Benchmark (not a test): what the targets card and the sparklines (issue 12) cost the weekly
review, before (main, without them) and after, interleaved in one run.

    python3 bench/bench_weekly.py                                  # 100k x 8, writes the section in bench/results/ui.md
    python3 bench/bench_weekly.py --projects 10000 --reps 3 --no-write

The database is built by bench_queries.generate (+ queries.refresh) with this branch's
migrations, plus one targets import (every region: the quarter and the month of the latest
snapshot). "before" is `git archive <base>` (default main) unpacked in a temporary folder;
"after" is this checkout with the sparklines off (the first screen as shipped), and
"after + sparklines" the same with the cards' toggle on. Each repetition runs the three in a
rotated order, each in a fresh child process (bench/childproc.py; PYTHONPATH = its tree)
driving the page through AppTest as bench_ui.py does: a fresh session's first render (cold:
nothing cached, DuckDB's buffers cold; the OS file cache warm), a region + grade never asked
before in this process (cache miss), and the same again after going back to "all" (hit).
For "after + sparklines" the toggle is switched on after the first render (timed apart:
"toggle on" = the trends of the unfiltered view, a miss).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--child" not in sys.argv and str(ROOT) not in sys.path:  # a child imports the tree it measures (PYTHONPATH)
    sys.path.insert(0, str(ROOT))

VARIANTS = ("before", "after", "after + sparklines")


def build(path: Path, n: int, k: int) -> dict:
    import duckdb

    from bench.bench_queries import generate
    from dashboard import store

    t = time.perf_counter()
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": "false"})
    con.execute("set enable_progress_bar = false")
    store.migrate(con)
    generate(con, n, n_snapshots=k)
    latest = con.execute("select max(as_of) from project_facts").fetchall()[0][0]
    import_id = con.execute("select max(import_id) + 1 from imports").fetchall()[0][0]
    con.execute("insert into imports (import_id, file_name, sha256, kind, rows_read, rows_accepted, rows_skipped, "
                "imported_at, status) values ($i, 'targets.csv', 'sha', 'targets', 0, 0, 0, now(), 'active')",
                {"i": import_id})
    con.execute(
        """insert into targets
           select $i, year(p.s), p.kind, p.s, cast(cast(p.s + to_months(p.m) as date) - 1 as date), r.region, null, null,
                  cast(r.won * p.m * 1.2 as decimal(18, 2)), null, null
           from (select region, sum(coalesce(expected_amount, 0)) / 20 as won from project_facts
                 where as_of = $a and region is not null group by region) r
           cross join (values ('month', date_trunc('month', cast($a as date)), 1),
                              ('quarter', date_trunc('quarter', cast($a as date)), 3)) p (kind, s, m)""",
        {"i": import_id, "a": latest})
    con.execute("checkpoint")
    rows = con.execute("select count(*) from project_facts").fetchall()[0][0]
    con.close()
    return {"build_s": time.perf_counter() - t, "fact_rows": rows}


def child(path: str, tree: str, sparklines: bool, rep: int) -> dict:
    import duckdb
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    st_config.set_option("server.address", "127.0.0.1")  # unsigned local mode, as the tests run it
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

    out: dict[str, float] = {}
    at = AppTest.from_file(str(Path(tree) / "dashboard" / "streamlit_app.py"), default_timeout=600)
    out["first"] = timed(at)
    if sparklines:
        at.toggle(key="weekly_sparklines").set_value(True)
        out["toggle on"] = timed(at)
    reg, gra = combos[rep % len(combos)]
    at.multiselect(key="region").set_value(reg)
    at.multiselect(key="grade").set_value(gra)
    out["miss"] = timed(at)
    at.multiselect(key="region").set_value([])
    at.multiselect(key="grade").set_value([])
    timed(at)
    at.multiselect(key="region").set_value(reg)
    at.multiselect(key="grade").set_value(gra)
    out["hit"] = timed(at)
    return out


def run_child(tree: Path, args: list[str]) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "bench_weekly.py"), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--base", default="main", help="the git revision measured as 'before' (default main)")
    ap.add_argument("--db", help="build the database here, or reuse it if it exists")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update bench/results/ui.md")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # path tree sparklines rep
    args = ap.parse_args()
    if args.child:
        path, tree, spark, rep = args.child
        print(json.dumps(child(path, tree, spark == "1", int(rep))))
        return 0

    tmp = tempfile.TemporaryDirectory(prefix="bench-weekly-")
    db = Path(args.db) if args.db else Path(tmp.name) / "pipeline.duckdb"
    built = build(db, args.projects, args.weeks) if not db.exists() else {"build_s": 0.0, "fact_rows": None}
    before = Path(tmp.name) / "before"
    before.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    base_commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.base], capture_output=True,
                                 text=True, check=True).stdout.strip()
    head_commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for rep in range(args.reps):
        order = VARIANTS[rep % 3:] + VARIANTS[:rep % 3]  # rotated: none always first
        for v in order:
            tree = before if v == "before" else ROOT
            runs[v].append(run_child(tree, [str(db), str(tree), "1" if v.endswith("sparklines") else "0", str(rep)]))
            print(v, runs[v][-1], file=sys.stderr)

    def cell(v: str, key: str) -> str:
        xs = [r[key] for r in runs[v] if key in r]
        return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}–{max(xs):,.0f})" if xs else "–"

    command = (f"python3 bench/bench_weekly.py --projects {args.projects} --weeks {args.weeks} --reps {args.reps}"
               + (f" --base {args.base}" if args.base != "main" else ""))
    lines = [
        "### Targets card and sparklines (issue 12): the weekly review before/after, interleaved",
        "",
        f"`{command}` — {args.projects:,} projects × {args.weeks} weekly snapshots (bench_queries.generate, one "
        f"targets import), before = `{args.base}` ({base_commit}), after = {head_commit}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other work; AppTest in a fresh child process per run, the three "
        f"variants rotated in each of {args.reps} repetitions; median (min–max) wall ms.",
        "",
        "| variant | first render (cold) | toggle on | filter change, miss | same change, hit |",
        "|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        lines.append(f"| {v} | {cell(v, 'first')} | {cell(v, 'toggle on')} | {cell(v, 'miss')} | {cell(v, 'hit')} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        results = ROOT / "bench" / "results" / "ui.md"
        old = results.read_text(encoding="utf-8")
        marker = "### Targets card and sparklines (issue 12)"
        if marker in old:
            old = old[: old.index(marker)].rstrip() + "\n"
        results.write_text(old.rstrip() + "\n\n" + text, encoding="utf-8")
    print(json.dumps({"build": built}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
