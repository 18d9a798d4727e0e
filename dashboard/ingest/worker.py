"""The child process that parses one untrusted file, under memory and time limits.

Why a process: a crafted 1.8 KB XLSX (a cell at XFD1048576) and a 30 KB XLSX with a
1 MB string in 12,000 cells each aborted the whole Python process inside the Excel
reader (issue #2). Here such an abort kills only this child; the parent reports the file
as refused. Limits are set before Polars or fastexcel are imported.

Protocol (stdin -> stdout, both binary, each part prefixed by an 8-byte big-endian length):
  in:  JSON {name, as_of, mapping, config_path, today, memory_mb, cpu_s}, then the file bytes
  out: JSON report, Arrow IPC of projects, Arrow IPC of events
Anything else the child prints goes to stderr. No streamlit, no database.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys


def _read_part(stream) -> bytes:
    n = int.from_bytes(stream.read(8), "big")
    return stream.read(n)


def _write_part(stream, payload: bytes) -> None:
    stream.write(len(payload).to_bytes(8, "big"))
    stream.write(payload)


def _limit(memory_mb: int, cpu_s: int) -> None:
    if memory_mb > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
    if cpu_s > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not dump a core file


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    params = json.loads(_read_part(stdin))
    data = _read_part(stdin)
    _limit(int(params["memory_mb"]), int(params["cpu_s"]))

    from datetime import date

    from dashboard.config import load_config
    from dashboard.ingest.clean import prepare_local
    from dashboard.ingest.mapping import Mapping

    config = load_config(params["config_path"])
    mapping = Mapping.from_dict(params["mapping"]) if params.get("mapping") else None
    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    try:
        report, projects, events = prepare_local(
            params["name"], data, as_of=as_of, mapping=mapping, config=config,
            today=date.fromisoformat(params["today"]),
        )
    except MemoryError:
        print("MemoryError", file=sys.stderr)
        return 3
    del data
    _write_part(stdout, json.dumps(report.to_dict(), ensure_ascii=False, default=str).encode("utf-8"))
    for frame in (projects, events):
        buf = io.BytesIO()
        frame.write_ipc(buf)
        _write_part(stdout, buf.getvalue())
    stdout.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", str(min(4, os.cpu_count() or 1)))
    raise SystemExit(main())
