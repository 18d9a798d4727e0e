"""``prepare()``: parse, clean and validate one file in a child process; no database.

The child (worker.py) gets the bytes on stdin and runs with an address-space limit
(RLIMIT_AS), a CPU-time limit and a wall-clock timeout; if it dies — an abort inside the
Excel reader, out of memory, too slow — the file is refused with a report that says so,
and this process carries on. No streamlit, no database.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.config import DomainConfig, get_config
from dashboard.ingest.clean import empty_events, empty_projects, label
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.report import Report

# Limits for the child that parses a file; override with the environment variables.
MEMORY_MB = int(os.environ.get("PIPELINE_INGEST_MEMORY_MB", "4096"))  # address space (RSS is less)
TIMEOUT_S = int(os.environ.get("PIPELINE_INGEST_TIMEOUT_S", "300"))
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class Prepared:
    """One file, read and checked, not yet written. ``ok`` means no errors."""

    report: Report
    projects: pl.DataFrame  # project_snapshots minus as_of, import_id
    events: pl.DataFrame  # stage_events minus import_id

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
    memory_mb = memory_mb or MEMORY_MB
    timeout_s = timeout_s or TIMEOUT_S
    today = date.today()
    params = {
        "name": label(name),
        "as_of": as_of.isoformat() if as_of else None,
        "mapping": mapping.to_dict() if mapping else None,
        "config_path": str(config.path),
        "today": today.isoformat(),
        "memory_mb": memory_mb,
        "cpu_s": max(1, math.ceil(timeout_s)),
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    # The bytes go to the child, and the frames come back, through files in a private
    # temporary folder: no extra copies of a large file in this process's memory.
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        src, out = Path(tmp) / "input", Path(tmp)
        src.write_bytes(data)
        params["input"], params["output"] = str(src), str(out)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "dashboard.ingest.worker"],
                input=json.dumps(params, ensure_ascii=False).encode("utf-8"),
                capture_output=True,
                timeout=timeout_s,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return _refused(
                name, data, as_of, today,
                f"读取超时（超过 {timeout_s} 秒），文件被拒绝；文件可能过大或被特意构造",
                f"reading took longer than {timeout_s} s and was stopped; the file is refused "
                "(it may be too large, or crafted)",
            )
        if proc.returncode != 0 or not (out / "report.json").exists():
            return _refused(name, data, as_of, today, *_why(proc, memory_mb))
        report = Report.from_dict(json.loads((out / "report.json").read_text(encoding="utf-8")))
        projects = pl.read_ipc(out / "projects.arrow")
        events = pl.read_ipc(out / "events.arrow")
    return Prepared(report=report, projects=projects, events=events)


def _why(proc: subprocess.CompletedProcess, memory_mb: int) -> tuple[str, str]:
    if proc.returncode < 0:
        why_en = f"the reader process was stopped by {signal.Signals(-proc.returncode).name}"
    elif proc.returncode == 3 or any(
        w in proc.stderr for w in (b"MemoryError", b"Cannot allocate memory", b"memory allocation", b"\nOSError\n")
    ):
        why_en = f"reading it needed more than the {memory_mb} MB memory limit"
    else:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        why_en = f"the reader failed: {last[0][:200]}"
    return (
        f"文件无法被安全读取（读取进程异常终止：{why_en}），已拒绝；如果这是 Excel 文件，请在 Excel 中打开后另存为新的 .xlsx 或 CSV 再试",
        f"the file could not be read safely ({why_en}) and is refused; if it is an Excel "
        "file, open it in Excel and save it again as a new .xlsx or as CSV",
    )
