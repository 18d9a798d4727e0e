"""Benchmark (not a test): the next weekly import on two code trees, interleaved (issue 8).

    python3 bench/bench_history_ab.py --a /tmp/main-tree --store-a A.duckdb --b . --store-b B.duckdb \
        --week 53 --reps 3 [--label '100k x 53']
    python3 bench/bench_history_ab.py … --week 53 --screens-only 9   # the first screen alone

Each tree measures the same thing on its own store (built by bench_history.py through the
import path, then migrated by that tree — a store written by a newer tree cannot go back):
a fresh copy of the store, bench_history's own ``--child --part import`` of week ``--week``
(parse, then ``dashboard ingest``'s write, per phase), the file's size after it, and the
weekly review's first screen cold (``--part screen``, one fresh process). The repetitions
alternate A, B, B, A, … so both run under the same load; each child runs with PYTHONPATH =
its tree. Prints a markdown table (median and spread per tree) to paste into
bench/results/history.md with the command and ``uptime``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_history  # noqa: E402  (beside this file; weekly_export is the same in both trees)


def _child(tree: Path, args: list[str]) -> dict:
    script = tree / "bench" / "bench_history.py"
    proc = subprocess.run([sys.executable, str(script), "--child", *args], capture_output=True, text=True,
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
    if proc.returncode != 0:
        raise RuntimeError(f"{tree}: {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def one(tree: Path, store: Path, csv: Path, week: int, tmp: Path) -> dict:
    db = tmp / "run.duckdb"
    shutil.copyfile(store, db)
    try:
        imp = _child(tree, ["--part", "import", "--db", str(db), "--csv", str(csv), "--week", str(week)])
        screen = _child(tree, ["--part", "screen", "--db", str(db)])
        return {**imp, "file_mb": db.stat().st_size / 2**20, "first_screen_ms": screen["first_screen_ms"]}
    finally:
        for f in tmp.glob("run.duckdb*"):
            f.unlink()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", type=Path, required=True, help="tree A (e.g. `git archive main` unpacked)")
    ap.add_argument("--store-a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--store-b", type=Path, required=True)
    ap.add_argument("--week", type=int, required=True, help="the week imported (the stores hold weeks 0..week-1)")
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--label", default="")
    ap.add_argument("--screens-only", type=int, metavar="N",
                    help="no import: the first screen alone, N cold processes per tree, alternating")
    args = ap.parse_args()
    if args.screens_only:
        ms: dict[str, list[float]] = {"A": [], "B": []}
        for i in range(args.screens_only):
            for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                tree, store = (args.a, args.store_a) if side == "A" else (args.b, args.store_b)
                ms[side].append(_child(tree.resolve(), ["--part", "screen", "--db", str(store)])["first_screen_ms"])
        for side in ("A", "B"):
            xs = ms[side]
            print(f"{side}: first screen cold, median {statistics.median(xs):.0f} ms ({min(xs):.0f}–{max(xs):.0f}), "
                  f"{len(xs)} processes")
        print(f"B / A: {statistics.median(ms['B']) / statistics.median(ms['A']):.2f}")
        return 0
    rows: dict[str, list[dict]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="bench-h-ab-", dir=os.environ.get("BENCH_TMP")) as d:
        tmp = Path(d)
        csv = tmp / f"ledger-{bench_history.as_of(args.week)}.csv"
        csv.write_bytes(bench_history.weekly_export(args.projects, args.week))
        order = []
        for i in range(args.reps):
            order += ["A", "B"] if i % 2 == 0 else ["B", "A"]
        for side in order:
            tree, store = (args.a, args.store_a) if side == "A" else (args.b, args.store_b)
            r = one(tree.resolve(), store, csv, args.week, tmp)
            rows[side].append(r)
            p = r["phases"]
            print(f"{side}: import {r['whole_s']:.2f} s (parse {r['parse_s']:.2f}, copy {p.get('copy', 0):.2f}, "
                  f"change {p.get('change', 0):.2f}, refresh {p.get('refresh', 0):.2f}, commit+checkpoint+replace "
                  f"{p.get('commit', 0) + p.get('checkpoint', 0) + p.get('replace', 0):.2f}), writer RSS "
                  f"{r['writer_rss_mb']:.0f} MB, file {r['file_mb']:.0f} MB, first screen {r['first_screen_ms']:.0f} ms",
                  flush=True)

    def med(side: str, f) -> str:
        xs = [f(r) for r in rows[side]]
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"

    cols = [("whole import s", lambda r: r["whole_s"]), ("parse", lambda r: r["parse_s"]),
            ("change", lambda r: r["phases"].get("change", 0)), ("refresh", lambda r: r["phases"].get("refresh", 0)),
            ("copy", lambda r: r["phases"].get("copy", 0)),
            ("commit + checkpoint + replace", lambda r: sum(r["phases"].get(k, 0) for k in ("commit", "checkpoint", "replace"))),
            ("writer RSS MB", lambda r: r["writer_rss_mb"]), ("file MB", lambda r: r["file_mb"]),
            ("first screen ms", lambda r: r["first_screen_ms"])]
    print()
    print(f"| {args.label or 'tree'} | " + " | ".join(c for c, _ in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for side, tree in (("A", args.a), ("B", args.b)):
        print(f"| {side}: {tree} | " + " | ".join(med(side, f) for _, f in cols) + " |")
    ratio = statistics.median(r["whole_s"] for r in rows["B"]) / statistics.median(r["whole_s"] for r in rows["A"])
    print(f"\nB / A whole import (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
