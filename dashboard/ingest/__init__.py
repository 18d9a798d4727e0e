"""Ingestion: CRM exports (CSV / XLSX) -> validated Polars frames -> the DuckDB store.

Public API (the CLI, the seeds loader and the upload page code against this):

  prepare(name, data, *, as_of=None, mapping=None, config=None) -> Prepared
      parse + clean + validate one file in a child process with memory/time limits;
      no database. Prepared.report / .projects / .events / .ok
  commit(db_path, prepared) -> list[CommitResult]
      all files in one store.write_transaction; raises IngestRefused if any has errors
  remove_import(db_path, import_id) -> RemoveResult
  cli_ingest(db_path, paths, *, as_of, mapping_path, out) -> int   (exit code)
  Mapping, load_mapping(path), save_mapping(mapping, dir), Mapping.to_toml()

Module map: values.py (pure value parsers), read.py (bytes -> grid of text),
clean.py (grid -> frames + report), worker.py (the child process), prepare.py,
load.py (commit/remove), mapping.py, report.py, cli.py.
Must not import streamlit (tests/test_import_hygiene.py).
"""

from dashboard.ingest.cli import cli_ingest
from dashboard.ingest.load import CommitResult, IngestRefused, RemoveResult, commit, remove_import
from dashboard.ingest.mapping import Lookup, Mapping, MappingError, load_mapping, save_mapping
from dashboard.ingest.prepare import Prepared, prepare
from dashboard.ingest.report import ColumnMatch, Issue, Report

__all__ = [
    "ColumnMatch",
    "CommitResult",
    "IngestRefused",
    "Issue",
    "Lookup",
    "Mapping",
    "MappingError",
    "Prepared",
    "RemoveResult",
    "Report",
    "cli_ingest",
    "commit",
    "load_mapping",
    "prepare",
    "remove_import",
    "save_mapping",
]
