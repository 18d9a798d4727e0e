"""Benchmark (not a test): what one weekly import costs as history grows (issue 8).

    python3 bench/bench_history.py                  # 100k x 8/26/52/156 weeks and 10k x 156
                                                    #   -> bench/results/history.md
    python3 bench/bench_history.py --sizes 10000:8,20 --print   # a quick look, prints only

For each project count, ONE store grows week by week through the product's own import
path (`ingest.prepare` + `ingest.commit`). The weeks before a milestone are imported in
batches (several files per commit: one write transaction, one refresh; allowed by the issue
to build old weeks faster) with a raised memory limit; at each milestone (8, 26, 52, 156
weeks stored) the NEXT week is imported alone, as `dashboard ingest` would, in a fresh child
process with the default settings, and measured:

* parse (prepare: reading and cleaning the CSV, in the ingest's own child process),
  then the write's phases from `store.write_transaction(timings=…)`: lock, copy, change
  (inserting the rows), refresh (and per derived object), commit, checkpoint, replace;
* the writer's peak RSS (the committing process; the parser child is reported apart);
* the database file size after the import;
* the weekly review's first screen, cold: a new process opens the file read-only as the
  dashboard does (`store.ReadHub`) and runs the queries its first render runs (snapshot list,
  filter options, changes_summary, changes, aging and margin now and a week before,
  win_rate), three times in three processes (median); and, from DuckDB's profiler, the
  most rows any table scan of those queries read, against one week's rows: a query that
  reads every week shows up as ~weeks x projects. (DuckDB skips whole row groups of 122,880
  rows by their min/max: below ~100k projects one row group holds several weeks, so this
  column only means something at the 100k sizes.)

The data: `weekly_export()` below — N project slots, each running a project through the six
stages over 20-60 weeks (30 % lost on the way), then a new project takes the slot; every
weekly export lists all N current projects with their stage-date columns (so the same stage
dates arrive again every week, as in real ledgers), amounts in 万元, UTF-8 CSV with Chinese
headers. Deterministic.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.childproc import run_json  # noqa: E402

WEEK0 = date(2024, 1, 1)  # a Monday
DEFAULT_SIZES = "100000:8,26,52,156;10000:156"
BUILD_BATCH = 8  # files per build commit
BUILD_MEMORY_MB = 6000  # the build's memory limit (the measured import uses the default)

STAGE_HEADERS = ["客户开发日期", "立项日期", "提案日期", "投标日期", "谈判日期", "签约日期"]
STAGE_WORDS = ["客户开发", "立项", "提案", "招投标", "商务谈判", "工程实施"]
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北"]
GRADES = ["A", "B", "C", "D"]
CATEGORIES = ["系统集成", "软件开发", "运维服务", "工程建设", "咨询服务"]


def as_of(week: int) -> date:
    return WEEK0 + timedelta(days=7 * week)


def _u(n: int, salt: int, gen: np.ndarray | None = None) -> np.ndarray:
    """Deterministic uniforms in [0, 1) per slot (and per generation when given)."""
    i = np.arange(n, dtype=np.uint64)
    g = np.zeros(n, dtype=np.uint64) if gen is None else gen.astype(np.uint64)
    x = (i * np.uint64(0x9E3779B97F4A7C15) + g * np.uint64(0xBF58476D1CE4E5B9) + np.uint64((salt * 0x94D049BB133111EB) % 2**64))
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xD6E8FEB86659FD39)
    x ^= x >> np.uint64(29)
    return (x % np.uint64(1_000_000)).astype(np.float64) / 1e6


def weekly_export(n: int, week: int) -> bytes:
    """The CSV a sales office would export on as_of(week): one row per current project."""
    life = (20 + _u(n, 1) * 40).astype(np.int64)  # weeks a slot's project lasts
    phase = (_u(n, 2) * life).astype(np.int64) + 400  # so week 0 is mid-life, generations >= 1
    t = week + phase
    gen = t // life
    age = t % life  # weeks since this project started
    start_week = week - age
    u_lost, u_stage, u_amt, u_margin = _u(n, 3, gen), _u(n, 4, gen), _u(n, 5, gen), _u(n, 6, gen)
    # stage k entered at week floor(k * life / 7) of the project's life (k = 0..5)
    entered = np.stack([start_week + (k * life) // 7 for k in range(6)], axis=1)
    reached = (entered <= week).sum(axis=1)  # 1..6 stages entered so far
    lost_at = np.where(u_lost < 0.3, 1 + (u_stage * 4).astype(np.int64), 99)  # stage index it is lost in
    lost_week = start_week + (np.minimum(lost_at, 5) * life) // 7 + 2
    is_lost = (lost_at < 99) & (week >= lost_week)
    reached = np.where(lost_at < 99, np.minimum(reached, lost_at + 1), reached)
    stage_idx = reached - 1
    won = (stage_idx == 5) & ~is_lost
    status = np.where(is_lost, "丢单", np.where(won, "已签约", "进行中"))
    amount = np.round(50 + u_amt * u_amt * 3000 * (1 + 0.002 * age), 2)
    margin = np.round(0.05 + u_margin * 0.35 - 0.001 * age, 3)
    ids = np.char.add(np.char.add("P", np.char.zfill(np.arange(n).astype(str), 6)),
                      np.char.add("-", np.char.zfill(gen.astype(str), 3)))
    h = (_u(n, 7) * 1e6).astype(np.int64)
    frame = {
        "项目编号": ids,
        "项目名称": np.char.add("项目", ids),
        "客户名称": np.char.add("客户", (h % (n // 4 + 1)).astype(str)),
        "客户等级": np.array(GRADES)[h % 4],
        "区域": np.array(REGIONS)[(h // 4) % 6],
        "负责人": np.char.add("经理", ((h // 24) % max(10, n // 300)).astype(str)),
        "项目分类": np.array(CATEGORIES)[(h // 7) % 5],
        "当前阶段": np.array(STAGE_WORDS)[stage_idx],
        "状态": status,
        "预计签约金额(万元)": amount,
        "合同金额(万元)": np.where(won, amount, np.nan),
        "预计毛利率": margin,
        "预计签约时间": [as_of(int(w)).isoformat() for w in start_week + life],
        "创建日期": [as_of(int(w)).isoformat() for w in start_week],
    }
    for k, header in enumerate(STAGE_HEADERS):
        col = entered[:, k]
        frame[header] = [as_of(int(w)).isoformat() if k < r else None for w, r in zip(col, reached, strict=True)]
    df = pl.DataFrame(frame).with_columns(pl.col("合同金额(万元)").fill_nan(None))
    buf = io.BytesIO()
    df.write_csv(buf)
    return b"\xef\xbb\xbf" + buf.getvalue()


# --- children ------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak RSS since it started (VmHWM). Not getrusage's ru_maxrss: Linux
    carries that across fork + exec, so a child of the (large) building parent would report
    the parent's peak instead of its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _children_peak_rss_mb() -> float:
    # the parser child forks from this small process: its inherited floor is this one's size
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def child_import(db: str, csv: str, week: int) -> dict:
    """The measured import: what `dashboard ingest` does for one file, timed per phase."""
    from dashboard import ingest

    out: dict = {}
    t0 = time.perf_counter()
    prep = ingest.prepare(Path(csv).name, Path(csv).read_bytes(), as_of=as_of(week))
    out["parse_s"] = time.perf_counter() - t0
    if not prep.ok:
        raise SystemExit(f"refused: {prep.report.errors[:3]}")
    timings: dict[str, float] = {}
    t1 = time.perf_counter()
    ingest.commit(db, [prep], timings=timings)
    out["commit_s"] = time.perf_counter() - t1
    out["whole_s"] = time.perf_counter() - t0
    out["phases"] = timings
    out["writer_rss_mb"] = _peak_rss_mb()
    out["parser_rss_mb"] = _children_peak_rss_mb()
    return out


def _first_screen_calls(cur, queries, Filters):
    snaps = queries.list_snapshots(cur, Filters(allowed_regions=_all_regions(queries)))
    dates = sorted(snaps.get_column("as_of").to_list())
    now, prev = dates[-1], (dates[-2] if len(dates) > 1 else None)
    scope = _all_regions(queries)
    now_f = Filters(as_of=now, since=prev, allowed_regions=scope)
    prev_f = Filters(as_of=prev, allowed_regions=scope) if prev else None
    calls = [("filter_options", lambda: queries.filter_options(cur, now, scope))]
    # as dashboard/app_pages/weekly.py asks them (the stalled projects only, where the tree has that)
    aging_extra = {"stalled_only": True} if "stalled_only" in getattr(queries.runner, "_DEFAULT_EXTRA", {}) else {}
    for name, f in (("changes_summary", now_f), ("changes", now_f), ("aging", now_f), ("aging", prev_f),
                    ("margin", now_f), ("margin", prev_f), ("win_rate", Filters(as_of=now, allowed_regions=scope))):
        if f is not None:
            extra = aging_extra if name == "aging" else {}
            calls.append((name, lambda name=name, f=f, extra=extra: queries.run(cur, name, f, **extra)))
    return calls


def _all_regions(queries) -> tuple[str, ...]:
    # "every region": an explicit value once access control has one, else the old empty list
    return tuple(getattr(queries, "ALL_REGIONS", ()))


def child_first_screen(db: str) -> dict:
    """A new process, the file opened as the dashboard opens it, the first render's queries."""
    import queries
    from dashboard import store
    from queries import Filters

    t0 = time.perf_counter()
    hub = store.ReadHub(db)
    cur = hub.cursor()
    queries.list_snapshots(cur, Filters(allowed_regions=_all_regions(queries)))
    calls = _first_screen_calls(cur, queries, Filters)
    for _, fn in calls:
        fn()
    total_ms = (time.perf_counter() - t0) * 1000
    # the most rows a table scan returned, per query (profiled, after the timing)
    prof = Path(tempfile.mkdtemp(prefix="bench-h-prof-")) / "p.json"
    cur.execute("set enable_profiling = 'json'")
    cur.execute(f"set profiling_output = '{prof}'")  # our own temp path
    scans: dict[str, int] = {}
    for name, fn in [("list_snapshots", lambda: queries.list_snapshots(cur, Filters(allowed_regions=_all_regions(queries))))] + calls:
        fn()
        scans[name] = max(scans.get(name, 0), _max_scan_rows(json.loads(prof.read_text())))
    cur.execute("set enable_profiling = 'no_output'")
    week_rows = cur.execute("select count(*) from project_snapshots where as_of = (select max(as_of) from project_snapshots)").fetchall()[0][0]
    return {"first_screen_ms": total_ms, "max_scan_rows": scans, "week_rows": week_rows}


def _max_scan_rows(profile: dict) -> int:
    """The most rows one table scan read (DuckDB 2's JSON profile: TABLE_SCAN.rows_scanned)."""
    best = 0
    stack = list(profile.get("operator", []))
    while stack:
        node = stack.pop()
        if node.get("type") == "TABLE_SCAN":
            best = max(best, int(node.get("rows_scanned") or 0))
        stack.extend(node.get("children", []))
    return best


def _run_child(args: list[str]) -> dict:
    return run_json(__file__, args)


# --- the run ---------------------------------------------------------------------------------


def build(db: Path, n: int, weeks: range, tmp: Path) -> float:
    """Import ``weeks`` through prepare + commit, BUILD_BATCH files per commit. Seconds."""
    from dashboard import ingest, store

    t0 = time.perf_counter()
    saved = store.COMMIT_MEMORY_MB
    store.COMMIT_MEMORY_MB = BUILD_MEMORY_MB
    try:
        batch = []
        for w in weeks:
            prep = ingest.prepare(f"ledger-{as_of(w)}.csv", weekly_export(n, w), as_of=as_of(w))
            if not prep.ok:
                raise RuntimeError(f"week {w} refused: {prep.report.errors[:3]}")
            batch.append(prep)
            if len(batch) == BUILD_BATCH or w == weeks[-1]:
                ingest.commit(db, batch)
                batch = []
    finally:
        store.COMMIT_MEMORY_MB = saved
    return time.perf_counter() - t0


def measure(n: int, milestones: list[int], tmp: Path, log) -> list[dict]:
    db = tmp / f"history-{n}.duckdb"
    rows, stored = [], 0
    for m in milestones:
        if m > stored:
            secs = build(db, n, range(stored, m), tmp)
            log(f"{n:,} x {m}: built weeks {stored}..{m - 1} in {secs:.0f} s")
            stored = m
        csv = tmp / f"ledger-{as_of(stored)}.csv"
        csv.write_bytes(weekly_export(n, stored))
        try:
            imp = _run_child(["--part", "import", "--db", str(db), "--csv", str(csv), "--week", str(stored)])
        except RuntimeError as exc:  # recorded as a result: the import failed at this size
            reason = str(exc).strip().splitlines()[-1][:200]
            rows.append({"n": n, "weeks_stored": m, "failed": reason})
            log(f"{n:,} x {m}: import FAILED: {reason}")
            return rows  # this store cannot grow further
        csv.unlink()
        stored += 1
        screens = [_run_child(["--part", "screen", "--db", str(db)]) for _ in range(3)]
        row = {"n": n, "weeks_stored": m, **imp, "file_mb": db.stat().st_size / 2**20,
               "first_screen_ms": statistics.median(s["first_screen_ms"] for s in screens),
               "first_screen_all": [s["first_screen_ms"] for s in screens],
               "max_scan_rows": screens[0]["max_scan_rows"], "week_rows": screens[0]["week_rows"]}
        rows.append(row)
        log(f"{n:,} x {m}: import {row['whole_s']:.2f} s (parse {row['parse_s']:.2f}, "
            + ", ".join(f"{k} {v:.2f}" for k, v in row["phases"].items() if not k.startswith("refresh."))
            + f"), writer RSS {row['writer_rss_mb']:.0f} MB, file {row['file_mb']:.0f} MB, "
            f"first screen {row['first_screen_ms']:.0f} ms")
    return rows


def report(rows: list[dict], command: str, started: str, load_start: float) -> str:
    def s(x):
        return f"{x:.2f}"

    lines = [
        "# History-growth benchmark (issue 8)",
        "",
        f"Command: `{command}` (from the repository root). Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Started {started}; load average at the start {load_start:.1f}, "
        f"at the end {os.getloadavg()[0]:.1f} (the machine is shared: absolute seconds are noisy; compare rows "
        "of one run).",
        "",
        "Each row: a store holding *weeks stored* weekly exports of *projects* rows each, built through "
        "the product's import path; then the next week's export imported alone in a fresh process with "
        "default settings (the real import, what `dashboard ingest` does). Seconds per phase; "
        "*refresh* is the derived tables' share of the write.",
        "",
        "| projects × weeks stored | whole import | parse | change (insert) | refresh | copy | commit + checkpoint + replace | writer peak RSS | parser peak RSS | DB file | first screen (cold, median of 3) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['n']:,} × {r['weeks_stored']} | **failed**: {r['failed']} | | | | | | | | | |")
            continue
        p = r["phases"]
        lines.append(
            f"| {r['n']:,} × {r['weeks_stored']} | **{s(r['whole_s'])} s** | {s(r['parse_s'])} | {s(p.get('change', 0))} | "
            f"{s(p.get('refresh', 0))} | {s(p.get('copy', 0))} | "
            f"{s(p.get('commit', 0) + p.get('checkpoint', 0) + p.get('replace', 0))} | "
            f"{r['writer_rss_mb']:,.0f} MB | {r['parser_rss_mb']:,.0f} MB | {r['file_mb']:,.0f} MB | "
            f"{r['first_screen_ms']:.0f} ms |")
    lines += ["", "Refresh per step of queries/derived.py (seconds; steps taking 0.01 s or more in some row, "
              "slowest first at the largest store):", ""]
    ok = [r for r in rows if "failed" not in r]
    names = sorted({k for r in ok for k in r["phases"] if k.startswith("refresh.")})
    names = [n for n in names if max(r["phases"].get(n, 0) for r in ok) >= 0.01]
    names.sort(key=lambda n: -max((r["phases"].get(n, 0) for r in ok), default=0))
    lines.append("| step | " + " | ".join(f"{r['n']:,} × {r['weeks_stored']}" for r in ok) + " |")
    lines.append("|---|" + "---:|" * len(ok))
    for n in names:
        lines.append(f"| {n.removeprefix('refresh.')} | " + " | ".join(s(r["phases"].get(n, 0)) for r in ok) + " |")
    lines += ["", "Most rows any table scan read (DuckDB profiler: rows_scanned) in each first-screen query, in weeks of data "
              "(rows / one week's rows; 1–2 = reads this week and the one before, ≈ weeks stored = "
              "reads every week):", ""]
    qnames = list(ok[0]["max_scan_rows"]) if ok else []
    lines.append("| projects × weeks | " + " | ".join(qnames) + " |")
    lines.append("|---|" + "---:|" * len(qnames))
    for r in ok:
        lines.append(f"| {r['n']:,} × {r['weeks_stored']} | "
                     + " | ".join(f"{r['max_scan_rows'][q] / max(r['week_rows'], 1):.1f}" for q in qnames) + " |")
    if len(ok) > 1 and len([r for r in ok if r["n"] == ok[0]["n"]]) > 1:
        base = ok[0]
        last = [r for r in ok if r["n"] == base["n"]][-1]
        lines += ["", f"Growth of the whole import at {base['n']:,} projects from {base['weeks_stored']} to "
                  f"{last['weeks_stored']} weeks stored: **{last['whole_s'] / base['whole_s']:.2f}×** "
                  f"(refresh {last['phases'].get('refresh', 0) / max(base['phases'].get('refresh', 0), 1e-9):.2f}×)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="N:w1,w2;N2:w… (weeks stored at each measured import)")
    ap.add_argument("--print", action="store_true", help="print the report instead of writing bench/results/history.md")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--part", choices=["import", "screen"])
    ap.add_argument("--db")
    ap.add_argument("--csv")
    ap.add_argument("--week", type=int)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "history.md")
    ap.add_argument("--rewrite", type=Path, help="write the report again from a run's saved .json (no measuring)")
    args = ap.parse_args()
    if args.rewrite:
        saved = json.loads(args.rewrite.read_text(encoding="utf-8"))
        args.out.write_text(report(saved["rows"], saved["command"], saved["started"], saved["load_start"]),
                            encoding="utf-8")
        return 0
    if args.child:
        res = child_import(args.db, args.csv, args.week) if args.part == "import" else child_first_screen(args.db)
        print(json.dumps(res, default=str))
        return 0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-history-", dir=os.environ.get("BENCH_TMP")) as d:
        for part in args.sizes.split(";"):
            n, ms = part.split(":")
            rows += measure(int(n), sorted(int(m) for m in ms.split(",")), Path(d),
                            lambda msg: print(msg, flush=True))
    command = "python3 bench/bench_history.py" + ("" if args.sizes == DEFAULT_SIZES else f" --sizes '{args.sizes}'")
    text = report(rows, command, started, load_start)
    if args.print:
        print(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        (args.out.with_suffix(".json")).write_text(json.dumps(
            {"rows": rows, "command": command, "started": started, "load_start": load_start}, indent=1, default=str),
            encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
