"""Benchmark (not a test): what the parsing child costs on real large exports and on
crafted ones (issue 9 A8), this tree against a baseline commit, runs interleaved.

    python3 bench/bench_ingest_limits.py                    # baseline = main; writes the
                                                            # limits section of bench/results/ingest.md
    python3 bench/bench_ingest_limits.py --baseline REF --repeat 3 --no-write

Each run is a fresh Python process that calls ``dashboard.ingest.prepare`` on one file
(the child process with its limits, as an upload does) and reports the wall time, the
outcome, and the parsing child's peak resident memory (``ru_maxrss`` of its children).
The baseline tree is ``git archive REF`` unpacked into a temporary folder. Files:
synthetic ledgers from bench_ingest.py (100k rows, and ~25 MB — the upload limit the
deployment notes propose) and the crafted workbooks of tests/test_ingest_trust.py.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

MARK = "<!-- ingest limits (bench/bench_ingest_limits.py) -->"

RUN = r"""
import json, resource, sys, time
sys.path.insert(0, {tree!r})
from pathlib import Path
from dashboard.ingest import prepare
data = Path({path!r}).read_bytes()
t0 = time.perf_counter()
p = prepare(Path({path!r}).name, data)
print(json.dumps({{
    "seconds": time.perf_counter() - t0,
    "ok": p.ok,
    "code": p.report.errors[0].code if p.report.errors else None,
    "why": p.report.errors[0].en[:90] if p.report.errors else None,
    "rows": p.projects.height,
    "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}}))
"""


def run(tree: Path, path: Path, nice: int | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["PYTHONPATH"] = str(tree)
    if nice is not None:
        env["PIPELINE_INGEST_NICE"] = str(nice)
    out = subprocess.run([sys.executable, "-c", RUN.format(tree=str(tree), path=str(path))],
                         capture_output=True, text=True, env=env, cwd=tree)
    if out.returncode != 0:
        return {"seconds": float("nan"), "ok": False, "code": "crash", "why": out.stderr.strip()[-90:], "rows": 0, "child_mb": 0}
    return json.loads(out.stdout.strip().splitlines()[-1])


def lying_directory(data: bytes, part: bytes, size: int) -> bytes:
    """The same zip, its directory (and local header) claiming ``part`` unpacks to ``size``."""
    b = bytearray(data)
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        for m in re.finditer(re.escape(sig), data):
            n = struct.unpack_from("<H", b, m.start() + name_len_at)[0]
            if bytes(b[m.start() + name_at : m.start() + name_at + n]) == part:
                struct.pack_into("<I", b, m.start() + size_at, size)
    return bytes(b)


def make_files(folder: Path) -> list[tuple[str, Path, bool]]:
    """(label, path, legal) for every file measured."""
    import bench_ingest as bi
    from test_ingest_formats import huge_string_xlsx
    from test_ingest_trust import _bomb_sheet

    files = []
    for label, n, writer, suffix in (
        ("CSV 100k rows", 100_000, bi.write_csv, ".csv"),
        ("XLSX 100k rows", 100_000, bi.write_xlsx, ".xlsx"),
        ("CSV ~25 MB (185k rows)", 185_000, bi.write_csv, ".csv"),
        ("XLSX ~25 MB (310k rows)", 310_000, bi.write_xlsx, ".xlsx"),
    ):
        path = folder / f"legal-{n}{suffix}"
        writer(path, n)
        files.append((label, path, True))
    bombs = {
        "bomb: 1 MB shared string in 12,000 cells": huge_string_xlsx(),
        "bomb: 300 MB of white space in a sheet": _bomb_sheet(300),
        "bomb: shared string, directory lying about its size": lying_directory(
            huge_string_xlsx(), b"xl/sharedStrings.xml", 1000),
    }
    for i, (label, data) in enumerate(bombs.items()):
        path = folder / f"bomb-{i}.xlsx"
        path.write_bytes(data)
        files.append((label, path, False))
    return files


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--repeat", type=int, default=3, help="runs per legal file and tree (bombs: 1)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    base = subprocess.run(["git", "rev-parse", "--short", args.baseline], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        baseline_tree = tmp / "baseline"
        baseline_tree.mkdir()
        archive = subprocess.run(["git", "archive", args.baseline, "dashboard", "queries"], capture_output=True, check=True, cwd=ROOT)
        tarfile.open(fileobj=io.BytesIO(archive.stdout)).extractall(baseline_tree)
        files = make_files(tmp)
        results: dict[tuple[str, str], list[dict]] = {}
        # "this, nice 0" runs the child at the baseline's priority: the code's own cost;
        # "this" as deployed (nice 10) yields the CPU to everything else on a busy machine
        trees = (("baseline", baseline_tree, None), ("this, nice 0", ROOT, 0), ("this", ROOT, None))
        for rep in range(args.repeat):
            for label, path, legal in files:
                if not legal and rep:
                    continue
                for tree_name, tree, nice in trees:
                    if not legal and nice == 0:
                        continue
                    r = run(tree, path, nice)
                    results.setdefault((label, tree_name), []).append(r)
                    loads.append(os.getloadavg()[0])
                    print(f"{label:55s} {tree_name:8s} {r['seconds']:7.2f} s  {r['child_mb']:7.0f} MB  "
                          f"{'ok' if r['ok'] else r['code']} {r['rows']}", flush=True)
        sizes = {label: path.stat().st_size / 2**20 for label, path, _ in files}
    lines = [
        MARK,
        "## The parsing child's limits: real large exports and crafted workbooks (issue 9 A8)",
        "",
        f"Command: `python3 bench/bench_ingest_limits.py --baseline {args.baseline} --repeat {args.repeat}` "
        f"(run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; this tree = {head}, baseline = {base}).",
        "",
        f"Machine: {machine()}; load average (1 min) during the run {min(loads):.1f}–{max(loads):.1f} "
        "(shared with other engineers: expect noise; the two trees ran interleaved, file by file).",
        "",
        "Peak = `ru_maxrss` of the parsing child (the process `prepare` starts), in MB; time = the whole",
        "`prepare` (start the child, parse, validate, return the frames); median of the runs, range in brackets.",
        "\"this\" runs the child as deployed, at nice 10: on a busy machine it yields the CPU and takes longer;",
        "\"this, nice 0\" runs it at the baseline's priority, so the difference to the baseline is the cost of the",
        "new checks (the workbook's XML read once more for formula, error and merged cells; the decoding",
        "check; the number-shape analysis).",
        "",
        "| file | size | baseline: outcome | baseline: time | baseline: peak | this: outcome | this: time | this: peak | this, nice 0: time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(rs: list[dict]) -> tuple[str, str, str]:
        outcome = f"ok, {rs[0]['rows']:,} rows" if rs[0]["ok"] else f"refused ({rs[0]['code']})"
        secs = [r["seconds"] for r in rs]
        peak = [r["child_mb"] for r in rs]
        rng = f" [{min(secs):.2f}–{max(secs):.2f}]" if len(secs) > 1 else ""
        return outcome, f"{statistics.median(secs):.2f} s{rng}", f"{max(peak):,.0f} MB"

    for label, _path, legal in files:
        b, t = cell(results[(label, "baseline")]), cell(results[(label, "this")])
        same = cell(results[(label, "this, nice 0")])[1] if legal else "–"
        lines.append(f"| {label} | {sizes[label]:.1f} MB | {' | '.join(b)} | {' | '.join(t)} | {same} |")
    lines += [
        "",
        "Why each crafted file ends where it does (this tree): the first two are refused from the zip",
        "directory before anything is inflated (compression ratio above 100:1); the third claims a",
        "1,000-byte shared-strings part, passes that check, and is killed by the parent's watchdog when",
        "the child's resident memory passes 900 MB (`PIPELINE_INGEST_MEMORY_MB`). The child also runs at",
        "nice 10, so the dashboard's own threads come first on the CPU while it parses.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        out = ROOT / "bench" / "results" / "ingest.md"
        old = out.read_text(encoding="utf-8") if out.exists() else ""
        kept = old.split(MARK)[0].rstrip() + "\n\n" if old else ""
        out.write_text(kept + text, encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
