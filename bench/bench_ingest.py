"""Benchmark (not a test): the whole import of a 100k-row CSV and XLSX vs pandas merely
reading the same file, and the peak memory of a 1M-row CSV import.

    python3 bench/bench_ingest.py            # writes bench/results/ingest.md
    python3 bench/bench_ingest.py --quick    # 10k rows, no 1M run, prints only

"Whole import" = dashboard.ingest.prepare (child process: decode, read, find the header,
parse and validate every value) + dashboard.ingest.commit (copy the database, insert the
frames, refresh the derived views, commit, checkpoint, fsync, os.replace) into a DuckDB
file. The files are synthetic exports generated here (seeded), shaped like a Chinese
大客户 ledger: 14 columns, amounts in 万元 with thousands separators, margins as "23%",
dates in three spellings, a title row and a totals row.
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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "项目编号", "项目名称", "客户名称", "客户等级", "区域", "负责人", "项目分类", "当前阶段",
    "预计签约金额(万元)", "毛利率", "预计签约时间", "创建日期", "立项日期", "提案日期",
]
STAGES = ["客户开发", "立项", "提案", "招投标", "商务谈判", "工程实施", "赢单", "丢单"]
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北"]
OWNERS = [f"经理{i:02d}" for i in range(12)]
CATEGORIES = ["系统集成", "工程建设", "解决方案", "运维服务"]


def rows(n: int, seed: int = 7):
    rnd = random.Random(seed)
    start = date(2024, 1, 1)
    for i in range(n):
        created = start + timedelta(days=rnd.randrange(900))
        sign = created + timedelta(days=rnd.randrange(30, 400))
        approval = created + timedelta(days=rnd.randrange(1, 40))
        proposal = approval + timedelta(days=rnd.randrange(1, 60)) if rnd.random() < 0.7 else None
        yield [
            f"P{i + 1:07d}",
            f"项目{i + 1}",
            f"客户{rnd.randrange(3000)}",
            rnd.choice(["A", "B", "C", "D", "A级", "b类"]),
            rnd.choice(REGIONS),
            rnd.choice(OWNERS),
            rnd.choice(CATEGORIES),
            rnd.choice(STAGES),
            f"{rnd.randrange(10, 5_000_000) / 100:,.2f}",
            f"{rnd.randrange(-10, 45)}%",
            sign.isoformat(),
            f"{created.year}/{created.month}/{created.day}",
            f"{approval.year}年{approval.month}月{approval.day}日",
            proposal.isoformat() if proposal else "",
        ]


def write_csv(path: Path, n: int) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["大客户项目台账（截至2026年11月23日）"] + [""] * (len(HEADER) - 1))
        w.writerow(HEADER)
        w.writerows(rows(n))
        w.writerow(["合计"] + [""] * (len(HEADER) - 1))


def write_xlsx(path: Path, n: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    notes = wb.add_worksheet("说明")
    notes.write(0, 0, "金额单位：万元")
    ws = wb.add_worksheet("项目台账")
    ws.write(0, 0, "大客户项目台账（截至2026年11月23日）")
    ws.write_row(2, 0, HEADER)
    r = 3
    for row in rows(n):
        row[8] = float(row[8].replace(",", ""))  # a number cell, as Excel holds it
        ws.write_row(r, 0, row)
        r += 1
    ws.write(r, 0, "合计")
    wb.close()


def whole_import(path: Path, db: Path) -> dict:
    """Seconds for prepare, for commit, and for an empty write transaction on the result
    (the store's own cost: copy, migrate check, queries.refresh of the derived tables,
    checkpoint, fsync, replace) — so the ingest share and the store share are both seen."""
    from dashboard import store
    from dashboard.ingest import commit, prepare

    if db.exists():
        db.unlink()
    t0 = time.perf_counter()
    p = prepare(path.name, path.read_bytes())
    t1 = time.perf_counter()
    assert p.ok, p.messages()[:5]
    [res] = commit(db, [p])
    t2 = time.perf_counter()
    with store.write_transaction(db):
        pass
    t3 = time.perf_counter()
    assert res.rows_added > 0
    return {"total": t2 - t0, "prepare": t1 - t0, "commit": t2 - t1, "store_only": t3 - t2}


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


PEAK_SCRIPT = r"""
import resource, sys, time, json
sys.path.insert(0, {root!r})
from pathlib import Path
from dashboard.ingest import commit, prepare
t0 = time.perf_counter()
p = prepare("big.csv", Path({path!r}).read_bytes())
assert p.ok, p.messages()[:5]
commit({db!r}, [p])
elapsed = time.perf_counter() - t0
print(json.dumps({{
    "seconds": elapsed,
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}}))
"""


def peak_import(path: Path, db: Path) -> dict:
    code = PEAK_SCRIPT.format(root=str(ROOT), path=str(path), db=str(db))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import fastexcel
    import pandas
    import polars

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, "
        f"load average {load} at the end of the run (the machine is shared: expect noise); "
        f"Python {platform.python_version()}, polars {polars.__version__}, duckdb {duckdb.__version__}, "
        f"fastexcel {fastexcel.__version__}, pandas {pandas.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = 10_000 if args.quick else args.rows
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path, xlsx_path, db = tmp / "ledger.csv", tmp / "ledger.xlsx", tmp / "bench.duckdb"
        write_csv(csv_path, n)
        t0 = time.perf_counter()
        write_xlsx(xlsx_path, n)
        print(f"generated {n} rows ({csv_path.stat().st_size / 1e6:.1f} MB CSV, "
              f"{xlsx_path.stat().st_size / 1e6:.1f} MB XLSX in {time.perf_counter() - t0:.1f} s)", flush=True)

        whole_import(csv_path, db)  # warm the OS file cache and this process's imports
        csv_import = [whole_import(csv_path, db) for _ in range(args.repeat)]
        csv_pandas = timed(lambda: pd.read_csv(csv_path, skiprows=1), args.repeat)
        print(f"CSV  whole import {med(csv_import, 'total'):.3f} s {csv_import}; pandas read {csv_pandas:.3f} s", flush=True)
        xlsx_import = [whole_import(xlsx_path, db) for _ in range(args.repeat)]
        print(f"XLSX whole import {med(xlsx_import, 'total'):.3f} s {xlsx_import}", flush=True)
        xlsx_pandas = timed(lambda: pd.read_excel(xlsx_path, sheet_name="项目台账", skiprows=2, engine="openpyxl"), 1)
        print(f"XLSX pandas+openpyxl read {xlsx_pandas:.3f} s", flush=True)

        big = None
        if not args.quick:
            big_path = tmp / "big.csv"
            write_csv(big_path, args.big_rows)
            big = peak_import(big_path, tmp / "big.duckdb")
            big["mb"] = big_path.stat().st_size / 1e6
            print(f"1M CSV import {big['seconds']:.2f} s, peak RSS parent {big['self_kb'] / 1024:.0f} MB, "
                  f"child {big['children_kb'] / 1024:.0f} MB", flush=True)

    csv_t, xlsx_t = med(csv_import, "total"), med(xlsx_import, "total")
    lines = [
        "# Ingest benchmark",
        "",
        f"Command: `python3 bench/bench_ingest.py` (run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {machine()}",
        "",
        f"Files: synthetic 大客户 ledgers generated by the script ({n:,} rows × {len(HEADER)} columns, a title row,",
        "a totals row, amounts in 万元 with separators, margins as `23%`, dates in three spellings).",
        "\"Whole import\" = `prepare` (child process with limits: decode, read, header, parse, validate) +",
        "`commit` (copy, insert frames, refresh derived views, commit, checkpoint, fsync, os.replace) into a",
        f"fresh DuckDB file; median of {args.repeat} runs. pandas only *reads* the same file (no cleaning, no database).",
        "",
        "| file | whole import | = prepare (child) | + commit | pandas read | ratio pandas / whole import | target |",
        "|---|---|---|---|---|---|---|",
        f"| CSV {n:,} rows | **{csv_t:.2f} s** | {med(csv_import, 'prepare'):.2f} s | {med(csv_import, 'commit'):.2f} s "
        f"| {csv_pandas:.3f} s (`read_csv`) | {csv_pandas / csv_t:.2f}× | ≤ 1 s |",
        f"| XLSX {n:,} rows | **{xlsx_t:.2f} s** | {med(xlsx_import, 'prepare'):.2f} s | {med(xlsx_import, 'commit'):.2f} s "
        f"| {xlsx_pandas:.2f} s (`read_excel`, openpyxl) | {xlsx_pandas / xlsx_t:.1f}× | ≤ 2 s and ≥ 10× |",
        "",
        f"Of each commit, the store's own work — an *empty* `write_transaction` on the same database "
        f"(copy, `queries.refresh` of the derived tables, checkpoint, fsync, replace) — takes "
        f"{med(csv_import, 'store_only'):.2f} s (CSV) / {med(xlsx_import, 'store_only'):.2f} s (XLSX) at this size; "
        f"without it the import would take about {csv_t - med(csv_import, 'store_only'):.2f} s (CSV) / "
        f"{xlsx_t - med(xlsx_import, 'store_only'):.2f} s (XLSX), i.e. {xlsx_pandas / max(xlsx_t - med(xlsx_import, 'store_only'), 1e-9):.1f}× "
        "faster than pandas+openpyxl merely reading the workbook.",
        "",
    ]
    if big:
        lines += [
            f"1M-row CSV ({big['mb']:.0f} MB) whole import: {big['seconds']:.1f} s; peak RSS (ru_maxrss) of the importing",
            f"process {big['self_kb'] / 1024:.0f} MB, of the parsing child {big['children_kb'] / 1024:.0f} MB "
            f"(target < 2048 MB each).",
            "",
        ]
    lines += [
        "## Reading the numbers",
        "",
        "* pandas `read_csv` of a clean CSV is a C loop with no validation; our CSV import also runs a",
        "  child process (~0.2 s fixed: Python + Polars start-up), checks every record's field count,",
        "  parses every value and writes a database, so that ratio is far below 1 by nature.",
        "* The commit column includes the store's own work on every write (the empty-transaction",
        "  figure above): copying the file, `queries.refresh` rebuilding the derived per-project tables",
        "  over *all* rows, checkpoint and fsync. At 100k rows that is most of the commit; the ingest",
        "  part of a commit (insert frames, replace/diff, stage fill) is the difference.",
        "* calamine reading the 100k-row sheet is ~0.8 s of the XLSX prepare; openpyxl takes 15–30 s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        out = ROOT / "bench" / "results" / "ingest.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        # the limits section (bench/bench_ingest_limits.py) is kept as it was
        mark = "<!-- ingest limits (bench/bench_ingest_limits.py) -->"
        old = out.read_text(encoding="utf-8") if out.exists() else ""
        out.write_text(text + ("\n" + mark + old.split(mark, 1)[1] if mark in old else ""), encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
