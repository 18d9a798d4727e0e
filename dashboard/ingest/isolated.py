"""``prepare()``: parse, clean and validate one file in a child process; no database.

The child (worker.py) runs at a lower CPU priority (nice 10) with a CPU-time limit, an
address-space limit (RLIMIT_AS, a backstop) and a wall-clock timeout, and this process
watches its resident memory (RSS, every 20 ms) and kills it above ``MEMORY_MB`` — so a
crafted file (a zip bomb whose directory lies about its sizes, a shared string copied
into a million cells) cannot take the memory the dashboard's other users need. If the
child dies — an abort inside the Excel reader, out of memory, too slow — the file is
refused with a report that says so, and this process carries on. No streamlit, no database.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.config import DomainConfig, get_config
from dashboard.ingest.clean import empty_events, empty_projects, label
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.report import Report

# Limits for the child that parses a file; override with the environment variables.
# A real 25 MB export peaks well under 1 GB resident (bench/results/ingest.md), so any
# file up to 25 MB gets MEMORY_MB; a larger one (the command line has no upload limit)
# gets MEMORY_PER_FILE_MB times its size (a 137 MB, 1M-row CSV peaks at ~1.5 GB).
MEMORY_MB = int(os.environ.get("PIPELINE_INGEST_MEMORY_MB", "900"))  # resident memory (RSS), watched
MEMORY_PER_FILE_MB = 12
ADDRESS_SPACE_MB = int(os.environ.get("PIPELINE_INGEST_ADDRESS_SPACE_MB", "4096"))  # RLIMIT_AS backstop
TIMEOUT_S = int(os.environ.get("PIPELINE_INGEST_TIMEOUT_S", "300"))
NICE = int(os.environ.get("PIPELINE_INGEST_NICE", "10"))
_POLL_S = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class Prepared:
    """One file, read and checked, not yet written. ``ok`` means no errors."""

    report: Report
    projects: pl.DataFrame  # project_snapshots minus as_of, import_id
    events: pl.DataFrame  # stage_events minus import_id
    # rows of a kind with a table of its own, by kind ('targets': dashboard/ingest/targets.py;
    # 'visits', 'collections': visits.py, collections.py)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def kind(self) -> str | None:
        return self.report.kind

    @property
    def as_of(self) -> date | None:
        return self.report.as_of

    def to_dict(self) -> dict[str, Any]:
        return self.report.to_dict()

    def messages(self, lang: str = "en") -> list[str]:
        return self.report.messages(lang)


def _refused(name: str, data: bytes, as_of: date | None, today: date, zh: str, en: str) -> Prepared:
    import hashlib

    report = Report(file_name=label(name), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    report.as_of, report.as_of_source = (as_of, "given") if as_of else (None, None)
    report.error("unreadable", zh, en)
    return Prepared(report, empty_projects(), empty_events())


def prepare(
    name: str,
    data: bytes,
    *,
    as_of: date | None = None,
    mapping: Mapping | None = None,
    config: DomainConfig | None = None,
    memory_mb: int | None = None,
    timeout_s: float | None = None,
) -> Prepared:
    """Parse, clean and validate one file (CSV or XLSX bytes). ``name`` is a label only.

    Never raises for a bad file: problems are in ``.report.errors`` and ``.ok`` is False.
    """
    config = config or get_config()
    memory_mb = memory_mb or max(MEMORY_MB, math.ceil(MEMORY_PER_FILE_MB * len(data) / 2**20))
    timeout_s = timeout_s or TIMEOUT_S
    today = date.today()
    params = {
        "name": label(name),
        "as_of": as_of.isoformat() if as_of else None,
        "mapping": mapping.to_dict() if mapping else None,
        "config_path": str(config.path),
        "today": today.isoformat(),
        "memory_mb": max(ADDRESS_SPACE_MB, 2 * memory_mb),
        "cpu_s": max(1, math.ceil(timeout_s)),
        "nice": NICE,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    # The bytes go to the child, and the frames come back, through files in a private
    # temporary folder: no extra copies of a large file in this process's memory.
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        src, out = Path(tmp) / "input", Path(tmp)
        src.write_bytes(data)
        params["input"], params["output"] = str(src), str(out)
        outcome = _run_watched(params, env, Path(tmp), memory_mb, timeout_s)
        if outcome == "timeout":
            return _refused(
                name, data, as_of, today,
                f"读取超时（超过 {timeout_s} 秒），文件被拒绝；文件可能过大或被特意构造",
                f"reading took longer than {timeout_s} s and was stopped; the file is refused "
                "(it may be too large, or crafted)",
            )
        if outcome == "memory":
            return _refused(name, data, as_of, today, *_memory_message(memory_mb))
        assert not isinstance(outcome, str), outcome  # 'memory' and 'timeout' returned above
        proc = outcome
        if proc.returncode != 0 or not (out / "report.json").exists():
            return _refused(name, data, as_of, today, *_why(proc, memory_mb))
        report = Report.from_dict(json.loads((out / "report.json").read_text(encoding="utf-8")))
        projects = pl.read_ipc(out / "projects.arrow")
        events = pl.read_ipc(out / "events.arrow")
        tables = {p.name.removeprefix("table_").removesuffix(".arrow"): pl.read_ipc(p) for p in out.glob("table_*.arrow")}
    return Prepared(report=report, projects=projects, events=events, tables=tables)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def _run_watched(
    params: dict, env: dict, tmp: Path, memory_mb: int, timeout_s: float
) -> subprocess.CompletedProcess | str:
    """Run the child; 'memory' if its RSS went over memory_mb, 'timeout' if it ran too long
    (it is killed either way), else the finished process (stderr read from a file: a pipe
    could fill and stall it)."""
    err_path = tmp / "stderr"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.ingest.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=env,
        )
        assert proc.stdin is not None  # stdin=PIPE
        try:
            proc.stdin.write(json.dumps(params, ensure_ascii=False).encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + timeout_s
        verdict: str | None = None
        while True:
            try:
                proc.wait(timeout=_POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            if _rss_mb(proc.pid) > memory_mb:
                verdict = "memory"
            elif time.monotonic() > deadline:
                verdict = "timeout"
            if verdict:
                proc.kill()
                proc.wait()
                return verdict
    return subprocess.CompletedProcess(proc.args, proc.returncode, b"", err_path.read_bytes())


def _memory_message(memory_mb: int) -> tuple[str, str]:
    return (
        f"读取这个文件需要超过 {memory_mb} MB 内存，已停止并拒绝（为保证其他用户正常使用）；文件可能被特意构造，"
        "或确实过大：请另存为 CSV，或拆分成较小的文件后再上传",
        f"reading this file needed more than {memory_mb} MB of memory and was stopped (so the dashboard stays "
        "responsive for everyone else); the file is refused — it may be crafted, or really too large: save it as "
        "CSV, or split it, and upload again",
    )


def _why(proc: subprocess.CompletedProcess, memory_mb: int) -> tuple[str, str]:
    if proc.returncode < 0:
        why_en = f"the reader process was stopped by {signal.Signals(-proc.returncode).name}"
    elif proc.returncode == 3 or any(
        w in proc.stderr for w in (b"MemoryError", b"Cannot allocate memory", b"memory allocation", b"\nOSError\n")
    ):
        return _memory_message(memory_mb)
    else:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        why_en = f"the reader failed: {last[0][:200]}"
    return (
        f"文件无法被安全读取（读取进程异常终止：{why_en}），已拒绝；如果这是 Excel 文件，请在 Excel 中打开后另存为新的 .xlsx 或 CSV 再试",
        f"the file could not be read safely ({why_en}) and is refused; if it is an Excel "
        "file, open it in Excel and save it again as a new .xlsx or as CSV",
    )
