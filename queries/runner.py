"""Load .sql files and run them with bound parameters; return Polars frames.

Identifiers never come from input: ``name`` must be one of QUERY_NAMES (files we ship).
Must not import streamlit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from queries.filters import Filters

SQL_DIR = Path(__file__).parent

QUERY_NAMES: tuple[str, ...] = ("projects",)
# Small helper queries for the UI (snapshot list, filter options, import history): issue 4.
QUERY_NAMES += ("ui_snapshots", "ui_options", "ui_imports")


@cache
def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    # DuckDB refuses named parameters a statement does not use.
    return {k: v for k, v in params.items() if f"${k}" in sql}


def latest_as_of(con: duckdb.DuckDBPyConnection):
    return con.execute("select max(as_of) from project_snapshots").fetchall()[0][0]


def run(con: duckdb.DuckDBPyConnection, name: str, filters: Filters | None = None, **extra: Any) -> pl.DataFrame:
    if name not in QUERY_NAMES:
        raise KeyError(f"unknown query {name!r}; choose one of {', '.join(QUERY_NAMES)}")
    filters = filters or Filters()
    params = filters.params() | extra
    if params.get("as_of") is None:
        params["as_of"] = latest_as_of(con)
    sql = sql_text(name)
    return con.sql(sql, params=_used_params(sql, params)).pl()


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create staging views and derived tables inside the caller's write transaction."""
    for path in sorted((SQL_DIR / "staging").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
