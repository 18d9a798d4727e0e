"""Benchmark (not a test): the filter macros before and after issue 11's dimension registry,
interleaved in one run.

    python3 bench/bench_filters.py                         # 100k x 8, appends to bench/results/queries.md
    python3 bench/bench_filters.py --projects 10000 --reps 3 --no-write

Before (`git archive <base>`, default main) each query called
``in_scope(region, grade, owner, category, $regions, $grades, $owners, $categories,
$allowed_regions)``; after, ``in_scope(<row>, $filters, $allowed_regions)`` reads the row
passed whole (a struct) and one ``$filters`` struct. Each tree builds its own database from
the same generated data (bench_queries.generate, seed 7, with that tree's refresh), then
every repetition runs both trees in a rotated order, each in a fresh child process (cold
DuckDB buffers; the OS file cache warm), timing the weekly review's and the drill-downs'
queries unfiltered and with a region + grade filter. The children also return each
result's row count and the sum of each numeric column, which must agree between the trees on
the columns both have (the numbers do not move; `margin` gained `reference`, the filter
options the product lines this tree's data has).
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
from datetime import datetime, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--child" not in sys.argv and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUERIES = ("funnel", "win_rate", "aging_summary", "margin_summary", "changes_summary", "aging", "margin", "projects",
           "forecast", "filter_options")
NARROW = {"region": ("华东",), "grade": ("A", "B")}


def _filters(queries, as_of, narrow: bool):
    """The tree's own Filters: the old one takes regions=/grades=, the new one region=/grade=."""
    from queries import ALL_REGIONS, Filters

    if not narrow:
        return Filters(as_of=as_of, allowed_regions=ALL_REGIONS)
    try:
        return Filters(as_of=as_of, allowed_regions=ALL_REGIONS, **NARROW)
    except TypeError:  # the tree before the registry
        return Filters(as_of=as_of, allowed_regions=ALL_REGIONS, regions=NARROW["region"], grades=NARROW["grade"])


def child(path: str) -> dict:
    import polars as pl

    import queries
    from dashboard import store

    cur = store.ReadHub(Path(path)).cursor()
    as_of = cur.execute("select max(as_of) from project_facts").fetchall()[0][0]
    out: dict = {}
    for narrow in (False, True):
        f = _filters(queries, as_of, narrow)
        for name in QUERIES:
            if name == "filter_options" and narrow:
                continue
            t = time.perf_counter()
            df = queries.run(cur, name, f)
            ms = (time.perf_counter() - t) * 1000
            if name == "filter_options":  # the new optional dimension's values are new rows, not a change
                df = df.filter(pl.col("dimension") != "product_line")
            sums = {c: float(df.get_column(c).cast(pl.Float64).fill_null(0).sum())
                    for c, d in df.schema.items() if d.is_numeric()}
            out[f"{name}{' (region + grade)' if narrow else ''}"] = {"ms": ms, "rows": df.height, "sums": sums}
    return out


def build(tree: Path, path: Path, n: int, k: int) -> float:
    code = (
        "import sys, time, duckdb\n"
        "from bench.bench_queries import generate\n"
        "from dashboard import store\n"
        "t = time.perf_counter()\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "store.migrate(con)\n"
        f"generate(con, {n}, n_snapshots={k})\n"
        "con.close()\n"
        "print(time.perf_counter() - t)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return float(proc.stdout.strip().splitlines()[-1])


def run_child(tree: Path, db: Path) -> dict:
    proc = subprocess.run([sys.executable, str(tree / "bench" / "bench_filters.py"), "--child", str(db)],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--base", default="main")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-filters-"))
    before = work / "before"
    before.mkdir()
    archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    # the old tree has no bench_filters.py: it runs this file's child with its own PYTHONPATH
    (before / "bench" / "bench_filters.py").write_bytes(Path(__file__).read_bytes())
    trees = {"before": before, "after": ROOT}
    dbs = {v: work / f"{v}.duckdb" for v in trees}
    load_before = os.getloadavg()
    built = {v: build(trees[v], dbs[v], args.projects, args.weeks) for v in trees}
    runs: dict[str, list[dict]] = {v: [] for v in trees}
    order = list(trees)
    for rep in range(args.reps):
        for v in order[rep % 2:] + order[:rep % 2]:
            runs[v].append(run_child(trees[v], dbs[v]))
    load_after = os.getloadavg()

    names = list(runs["after"][0])
    lines = [
        "## Filters as one struct and the row passed whole (issue 11): before / after, interleaved",
        "",
        f"`python3 bench/bench_filters.py --projects {args.projects} --weeks {args.weeks} --reps {args.reps}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (other "
        f"sessions' work ran at the same time: compare the columns of one row). Before = `git archive {args.base}`; "
        f"each tree built its own database from the same generated data (build {built['before']:.0f} s / "
        f"{built['after']:.0f} s). Each repetition: both trees in a rotated order, each query once in a fresh "
        "process (cache miss), median over the repetitions.",
        "",
        "| query | rows | same result | before ms | after ms | after / before |",
        "|---|---:|---|---:|---:|---:|",
    ]
    ratios = []
    for name in names:
        b = statistics.median(r[name]["ms"] for r in runs["before"])
        a = statistics.median(r[name]["ms"] for r in runs["after"])
        # the same rows and the same column sums (columns the two trees share: after adds some)
        # (to 1e-9 relative: DuckDB's parallel sums of doubles differ in the last bits run to run)
        same = all(rb[name]["rows"] == ra[name]["rows"]
                   and all(abs(ra[name]["sums"][c] - v) <= 1e-9 * max(1.0, abs(v))
                           for c, v in rb[name]["sums"].items() if c in ra[name]["sums"])
                   for rb, ra in zip(runs["before"], runs["after"], strict=True))
        ratios.append(a / b)
        lines.append(f"| {name} | {runs['after'][0][name]['rows']:,} | {'yes' if same else '**NO**'} | {b:.0f} | "
                     f"{a:.0f} | {a / b:.2f} |")
    lines += ["", f"Median ratio after / before over the {len(names)} rows: **{statistics.median(ratios):.2f}**.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        out = ROOT / "bench" / "results" / "queries.md"
        out.write_text(out.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
