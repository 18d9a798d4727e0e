"""The child process that parses one untrusted file, under memory and time limits.

Why a process: a crafted 1.8 KB XLSX (a cell at XFD1048576) and a 30 KB XLSX with a
1 MB string in 12,000 cells each aborted the whole Python process inside the Excel
reader (issue #2). Here such an abort kills only this child; the parent reports the file
as refused. Limits are set before Polars or fastexcel are imported.

Protocol: stdin holds JSON {name, as_of, mapping, config_path, today, memory_mb (the
address-space backstop; the parent watches resident memory), cpu_s, nice, input, output}; the file's bytes are read from ``input`` (a file in the parent's private
temporary folder) and the folder ``output`` receives projects.arrow and events.arrow
(Arrow IPC; table_<kind>.arrow for a kind with its own table, e.g. targets) and then report.json (written last: its presence means complete). Files, not
pipes, so a large export is not copied through pipe buffers. The child prints to stderr only. No streamlit, no database.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def _limit(memory_mb: int, cpu_s: int, nice: int = 0) -> None:
    if nice > 0:
        os.nice(nice)  # the dashboard's own threads come first on a small server
    if memory_mb > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
    if cpu_s > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not dump a core file


def main() -> int:
    params = json.loads(sys.stdin.buffer.read())
    sys.stdout = sys.stderr
    _limit(int(params["memory_mb"]), int(params["cpu_s"]), int(params.get("nice", 0)))
    with open(params["input"], "rb") as fh:
        data = fh.read()

    from datetime import date

    from dashboard.config import load_config
    from dashboard.ingest.clean import prepare_local
    from dashboard.ingest.mapping import Mapping

    config = load_config(params["config_path"])
    mapping = Mapping.from_dict(params["mapping"]) if params.get("mapping") else None
    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    tables: dict = {}
    try:
        report, projects, events = prepare_local(
            params["name"], data, as_of=as_of, mapping=mapping, config=config,
            today=date.fromisoformat(params["today"]), tables=tables,
        )
    except MemoryError:
        print("MemoryError", file=sys.stderr)
        return 3
    del data
    out = params["output"]  # a folder; report.json is written last, so it means "complete"
    projects.write_ipc(os.path.join(out, "projects.arrow"))
    events.write_ipc(os.path.join(out, "events.arrow"))
    for kind, frame in tables.items():  # a kind with its own table (targets)
        frame.write_ipc(os.path.join(out, f"table_{kind}.arrow"))
    tmp = os.path.join(out, "report.json.part")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report.to_dict(), fh, ensure_ascii=False, default=str)
    os.replace(tmp, os.path.join(out, "report.json"))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", str(min(4, os.cpu_count() or 1)))
    raise SystemExit(main())
