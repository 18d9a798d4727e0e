"""Benchmark (not a test): the margin query with the checks as data (queries/checks.py:
each check one struct, every project's list filtered) against the query it replaced
(each check's condition written again as a pre-filter, the text by printf), at 100k
projects, interleaved in one process. The old text is read from git at the commit given.

    .venv/bin/python bench/bench_margin_checks.py [--n 100000] [--old 0aac95f] [--repeat 9]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--old", default="0aac95f")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    import queries
    from dashboard import store
    from queries import ALL_REGIONS, Filters, runner

    spec = importlib.util.spec_from_file_location("bench_queries", ROOT / "bench" / "bench_queries.py")
    bq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bq)
    old_sql = subprocess.run(["git", "show", f"{args.old}:queries/margin.sql"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    con = store.connect_memory()
    bq.generate(con, args.n, n_snapshots=4)
    f = Filters(allowed_regions=ALL_REGIONS)
    params = runner._params(con, f, {})
    old = lambda: con.sql(old_sql, params=runner._used_params(old_sql, params)).pl()  # noqa: E731
    new = lambda: queries.run(con, "margin", f)  # noqa: E731
    a, b = old(), new()
    assert a.drop("detail").equals(b.drop("detail")), "the rows differ"
    times: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.repeat):
        for name, fn in (("old", old), ("new", new)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.n:,} projects, {a.height:,} failed checks, {args.repeat} interleaved runs each")
    for k, v in times.items():
        print(f"  {k}: median {med[k] * 1000:.0f} ms (min {min(v) * 1000:.0f}, max {max(v) * 1000:.0f})")
    print(f"  new / old = {med['new'] / med['old']:.2f}")


if __name__ == "__main__":
    main()
