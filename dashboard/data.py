"""The only place the UI caches, and the only way pages reach the database.

Design (docs/ARCHITECTURE.md, STACK.md gotchas 2–3):

* ``st.cache_resource`` holds one :class:`store.ReadHub` per database path for the whole
  server. On first start with no database it is created and the demo seeds are loaded
  (marked as demo data; ``PIPELINE_DEMO=0`` starts with an empty database instead).
* Each script run takes **one** cursor (``open_run``) — a DuckDB connection must never be
  shared between threads, and a cursor pins the file generation the run reads.
* Query results are cached with ``st.cache_data``, bounded by ``max_entries`` and ``ttl``
  so memory returns to its level after sessions leave. Every cached function takes
  everything that decides its result as an argument: the query name, the whole
  ``queries.Filters`` (snapshot, every filter list **and** ``allowed_regions``), the
  extra parameters, and ``generation`` — the file version the cursor reads, so an
  import (which replaces the file) makes the old entries unreachable at once. The cursor
  itself is passed as ``_cur`` (underscore: not hashed; it does not change the result).

Pages call the functions here, which call ``queries.run``; no SQL text lives in the UI.
A failing query raises here like anywhere else: the pages show it (``_ui.load``), never
a placeholder.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

import queries
from dashboard import access, store
from dashboard.access import Access
from queries import Filters
from queries.dimensions import KEYS as DIMENSION_KEYS

# Small results (aggregates: a few rows per stage/segment) vs per-project lists, which at
# 100k projects are tens of MB each: bound the second much tighter.
SMALL_ENTRIES, SMALL_TTL_S = 256, 3600
LARGE_ENTRIES, LARGE_TTL_S = 24, 900

# Vega-Lite specs of the charts: small (a spec plus a few dozen rows), many per page.
CHART_ENTRIES, CHART_TTL_S = 512, 3600
# st.cache_data hashes a frame of this many rows or more by a sample of its rows, so two
# different frames could share a key: chart inputs must be aggregates, smaller than this.
MAX_CHART_ROWS = 50_000

LARGE_QUERIES = frozenset({"projects", "aging", "margin", "changes", "process_exceptions", "projects_reached", "projects_closed",
                           "slips", "forecast_projects",
                           "visit_alerts", "four_visits_open", "revisits", "visits_unmatched",  # issue 13
                           "collections", "receivables", "won_uncollected"})


@dataclass(frozen=True)
class Run:
    """What one script run reads through: one cursor, the file generation, and the caller
    (``access``: who, role, regions), captured during the page run. ``access=None`` — no
    identity, or a call outside the run — reads nothing: every query raises ScopeMissing."""

    cur: duckdb.DuckDBPyConnection
    generation: str
    db_path: Path
    access: Access | None = None

    @property
    def allowed_regions(self) -> tuple[str, ...] | None:
        return None if self.access is None else self.access.regions


def db_path() -> Path:
    return store.default_db_path().resolve()


def _load_seeds_or_create(path: Path) -> None:
    """First start: the demo data through the real importer (unless ``PIPELINE_DEMO=0``);
    if that fails, an empty database (the pages then point to the Data page) and the
    reason in the server log."""
    from dashboard import demo

    if demo.wanted():
        try:
            demo.load_seeds(path)
        except Exception:  # noqa: BLE001 - a broken seed set must not keep the app from starting
            logging.getLogger(__name__).exception("could not load the demo data into %s; starting empty", path)
    if not path.exists():
        store.ensure_database(path)


@st.cache_resource(show_spinner="首次启动：正在载入演示数据… · First start: loading the demo data…", max_entries=4)
def _hub(path: str) -> store.ReadHub:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        _load_seeds_or_create(p)
    else:
        store.ensure_database(p)  # migrates an older file; no-op when current
    return store.ReadHub(p)


def open_run(access: Access | None) -> Run:
    """Once per script run (the entry script calls it, with the caller's access): a fresh
    cursor on the newest file."""
    path = db_path()
    hub = _hub(str(path))
    if not path.exists():  # deleted under a running server: recreate, reconnect
        _hub.clear()
        hub = _hub(str(path))
    cur = hub.cursor()
    alias = cur.sql("select current_database()").fetchall()[0][0]
    return Run(cur=cur, generation=f"{hub.token}:{alias}", db_path=path, access=access)


def reopen(run: Run) -> Run:
    """A new cursor on the newest file for the SAME caller: for work that runs later on
    another thread (a download button's callable), where ``st.user`` is empty and the
    run's cursor must not be used. The scope is the one captured in the page run."""
    return open_run(run.access)


@st.cache_data(max_entries=SMALL_ENTRIES, ttl=60, show_spinner=False)
def _cached_entries(_cur, generation: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return access.entries(_cur)


def lookup_access(email: str | None, groups: tuple[str, ...]) -> tuple[Access | None, str]:
    """The signed-in user's entry in the access list of the newest database file (read on
    every run; cached per file generation, and every change to the list writes a new one)."""
    run = open_run(None)
    return access.resolve(_cached_entries(run.cur, run.generation), email, groups)


def _query(cur: duckdb.DuckDBPyConnection, name: str, filters: Filters, extra: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    return queries.run(cur, name, filters, **dict(extra))


@st.cache_data(max_entries=SMALL_ENTRIES, ttl=SMALL_TTL_S, show_spinner=False)
def _cached_small(_cur, generation: str, name: str, filters: Filters, extra: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    return _query(_cur, name, filters, extra)


@st.cache_data(max_entries=LARGE_ENTRIES, ttl=LARGE_TTL_S, show_spinner=False)
def _cached_large(_cur, generation: str, name: str, filters: Filters, extra: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    return _query(_cur, name, filters, extra)


def _require_scope(run: Run) -> None:
    if run.access is None:
        raise queries.ScopeMissing("no signed-in caller captured for this data call: nothing is read")


def query(run: Run, name: str, filters: Filters, **extra: Any) -> pl.DataFrame:
    """``queries.run`` through the cache. ``filters.allowed_regions`` is forced to the run's
    scope, so no caller can forget it (and it is in the cache key); a run without a caller
    raises (deny by default)."""
    _require_scope(run)
    if filters.allowed_regions != run.allowed_regions:
        filters = dataclasses.replace(filters, allowed_regions=run.allowed_regions)
    key = tuple(sorted(extra.items()))
    fn = _cached_large if name in LARGE_QUERIES else _cached_small
    return fn(run.cur, run.generation, name, filters, key)


# --------------------------------------------------------------------------- helpers the sidebar needs


def snapshots(run: Run) -> list[date]:
    """Snapshot dates the user may see, newest first ([] = empty database)."""
    df = query(run, "snapshots", Filters())
    return sorted((d for d in df.get_column("as_of").to_list() if d is not None), reverse=True)


def filter_options(run: Run, as_of: date | None) -> dict[str, list[str]]:
    """Values offered in each dimension's picker (queries/dimensions.py), for the snapshot ``as_of``."""
    out: dict[str, list[str]] = {key: [] for key in DIMENSION_KEYS}
    df = query(run, "filter_options", Filters(as_of=as_of))
    for dim, value in df.select("dimension", "value").iter_rows():
        if dim in out and value is not None and value not in out[dim]:
            out[dim].append(value)
    return out


def demo_imports(run: Run) -> pl.DataFrame:
    """The active demo imports (import_id, as_of, file_name), oldest first; empty when the
    database holds none (query ``import_history``, cached per file generation)."""
    df = query(run, "import_history", Filters())
    return df.filter(pl.col("is_demo") & (pl.col("status") == "active")).select("import_id", "as_of", "file_name").sort("import_id")


def _require_admin(run: Run) -> None:
    if run.access is None or not run.access.is_admin:
        raise PermissionError("the access list and the audit are for the sales office (admin) only")


def access_list(run: Run) -> pl.DataFrame:
    """The access list (admin only; query ``access_list``, not cached: small, and edited here)."""
    _require_admin(run)
    return queries.runner.run_plain(run.cur, "access_list")


def audit_log(run: Run, limit: int) -> pl.DataFrame:
    """The newest ``limit`` audit rows (admin only; query ``audit_log``)."""
    _require_admin(run)
    return queries.runner.run_plain(run.cur, "audit_log", limit=limit)


@st.cache_data(max_entries=SMALL_ENTRIES, ttl=SMALL_TTL_S, show_spinner=False)
def _cached_project(_cur, generation: str, project_id: str, filters: Filters) -> dict[str, pl.DataFrame]:
    from queries import runner

    return runner.project_detail(_cur, project_id, filters)


def project_detail(run: Run, project_id: str, filters: Filters) -> dict[str, pl.DataFrame]:
    """snapshots, events, flags of one project (through the cache, access scope forced)."""
    _require_scope(run)
    filters = dataclasses.replace(filters, allowed_regions=run.allowed_regions)
    return _cached_project(run.cur, run.generation, project_id, filters)


@st.cache_data(max_entries=CHART_ENTRIES, ttl=CHART_TTL_S, show_spinner=False)
def _cached_spec(builder: str, args: tuple, kwargs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    from dashboard import charts

    return charts.vega_lite_spec(getattr(charts, builder)(*args, **dict(kwargs)))


def chart_spec(builder: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``dashboard.charts.<builder>(*args, **kwargs)`` as a Vega-Lite spec, cached on the
    builder's name and every argument (the frames by content, the language, the unit …):
    a rerun that draws the same chart skips Altair's construction and schema validation."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, pl.DataFrame) and value.height >= MAX_CHART_ROWS:
            raise ValueError(f"chart {builder!r} got a frame of {value.height:,} rows: aggregate it first "
                             f"(charts.aging_counts, charts.margin_bins …)")
    return _cached_spec(builder, args, tuple(sorted(kwargs.items())))
