"""Benchmark helper (not a test), issue 13: one side of a before/after comparison, run from
the root of the code measured, alternately with the other side (bench/results/visits.md).

    cd ROOT && python3 /path/to/bench/bench_visits_compare.py prepare FILE.csv   # ingest.prepare of one file
    cd ROOT && python3 /path/to/bench/bench_visits_compare.py queries DB.duckdb  # the visit/collection queries

Run from ROOT because the parsing child (``python -m dashboard.ingest.worker``) imports the
code of its working directory. ``prepare`` prints the wall time, the child's CPU time and
peak resident memory and whether the file was accepted under the default limits;
``queries`` the median of 3 warm runs of every query of bench_visits.QUERIES on the
dashboard's reader. One JSON line each, with the load average.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path


def prepare(path: Path) -> dict:
    from dashboard import ingest

    data = path.read_bytes()
    t = time.perf_counter()
    p = ingest.prepare(path.name, data)
    wall = time.perf_counter() - t
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": round(wall, 2), "child_cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
            "child_max_rss_mb": round(ru.ru_maxrss / 1024), "ok": p.ok, "messages": p.messages()[:1]}


def run_queries(db: Path) -> dict:
    import queries
    from bench.bench_visits import QUERIES
    from dashboard import store
    from queries import Filters

    cur = store.ReadHub(db).cursor()
    f = Filters(allowed_regions=queries.ALL_REGIONS)
    out = {}
    for name, extra in QUERIES:
        queries.run(cur, name, f, **extra)
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            df = queries.run(cur, name, f, **extra)
            runs.append((time.perf_counter() - t) * 1000)
        out[name] = [round(statistics.median(runs), 1), df.height]
    return out


def main() -> int:
    what, target = sys.argv[1], Path(sys.argv[2])
    sys.path.insert(0, os.getcwd())  # the code measured: the working directory's
    result = prepare(target) if what == "prepare" else run_queries(target)
    print(json.dumps({"root": os.getcwd(), "load": os.getloadavg()[0], what: result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
