"""Ingestion: CRM exports (CSV / XLSX) -> validated Polars frames -> the DuckDB store.

Public API (the CLI, the seeds loader and the upload page code against this):

  prepare(name, data, *, as_of=None, mapping=None, config=None) -> Prepared
      parse + clean + validate one file in a child process with memory/time limits;
      no database. Prepared.report / .projects / .events / .ok
  commit(db_path, prepared) -> list[CommitResult]
      all files in one store.write_transaction; raises IngestRefused if any has errors
  remove_imports(db_path, import_ids) -> list[RemoveResult]   (one transaction; remove_import: one id)
  demo_imports(db_path) -> list[int]   active demo imports (the next real commit removes them)
  cli_ingest(db_path, paths, *, as_of, mapping_path, out) -> int   (exit code)
  Mapping, load_mapping(path), save_mapping(mapping, dir), Mapping.to_toml()

Module map: values.py (pure value parsers), read.py (bytes -> grid of text),
xlsx.py (a workbook's zip parts: encryption, zip bombs, hidden sheets, formula and error
cells, merged ranges), clean.py (grid -> frames + report), worker.py (the child process),
isolated.py (prepare, the child's limits), load.py (commit/remove), mapping.py, report.py, cli.py.
Must not import streamlit (tests/test_import_hygiene.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names resolve lazily (PEP 562) so the parsing child process, which runs
# `python -m dashboard.ingest.worker`, does not pay for duckdb and the write path.
_EXPORTS = {
    "cli_ingest": "cli",
    "CommitResult": "load",
    "IngestRefused": "load",
    "ScopeRefused": "load",
    "RemoveResult": "load",
    "commit": "load",
    "remove_import": "load",
    "remove_imports": "load",
    "demo_imports": "load",
    "demo_removal_note": "load",
    "DemoRefused": "load",
    "Lookup": "mapping",
    "Mapping": "mapping",
    "MappingError": "mapping",
    "load_mapping": "mapping",
    "save_mapping": "mapping",
    "Prepared": "isolated",
    "prepare": "isolated",
    "ColumnMatch": "report",
    "Issue": "report",
    "Report": "report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"dashboard.ingest.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'dashboard.ingest' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from dashboard.ingest.cli import cli_ingest
    from dashboard.ingest.load import (CommitResult, DemoRefused, IngestRefused, RemoveResult, ScopeRefused, commit, demo_imports,
                                       demo_removal_note, remove_import, remove_imports)
    from dashboard.ingest.mapping import Lookup, Mapping, MappingError, load_mapping, save_mapping
    from dashboard.ingest.isolated import Prepared, prepare
    from dashboard.ingest.report import ColumnMatch, Issue, Report
