"""Maintaining the derived tables: a full rebuild, and the incremental refresh of a write.

The derived tables (project_facts, project_carry, stage_event_facts, pair_facts, sign_slips,
snapshot_runs, stage_entries, snapshot_dates, snapshot_summary, project_last_seen,
win_counts) are kept
current by the write that changes the stored rows, inside its transaction
(``store.write_transaction`` calls :func:`refresh_incremental` before it commits).
``visit_projects`` (issue 13) is kept by the writers of visits themselves, for the projects
they touch (:func:`note_visit_projects`, :func:`visit_projects_refresh`); a rebuild
recomputes it whole.

* What changed is read from the ``imports`` table against ``refreshed_imports`` (the
  imports active at the last refresh): every import added, replaced or removed since. The
  snapshot dates that changed are their ``as_of`` (projects files); the stage entries that
  changed are the added imports' events ``stage_entries`` did not hold, and the removed
  ones' events (noted before deletion: :func:`note_events_removed`) no active import
  reports any more.
* Then, date by date in ascending order from the first date anything changed: the stage
  runs seen in the snapshots, the stage-event facts of the projects whose entries or runs
  changed, project_facts (from each project's previous row, ``project_carry``), the pairs of
  each date with the one before, the per-region summary; then the learned probabilities'
  counts (win_counts) of every date from the first that changed. A changed date is recomputed
  whole; at a later date only the projects whose history changed (the temp table ``_w``:
  project, first changed date). A weekly import of a new latest date recomputes that date
  and the few projects whose stage entries it back-dates; a date inserted or removed in the
  middle recomputes its projects at every later date (correct, rare).
* :func:`rebuild` (``dashboard rebuild``, and ``queries.refresh`` for tests that write the
  stored tables directly) empties the derived tables and runs the same per-date steps for
  every date, so its memory is bounded by one date's rows (and the stage entries), never by
  the history.

The SQL is in ``queries/derived/*.sql``; ``steps.sql`` holds the small statements, one per
``-- step:`` section. Must not import streamlit.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from queries.dimensions import no_filters

DERIVED_DIR = Path(__file__).parent / "derived"

# Bump when a derived table's definition changes: the next write rebuilds them all.
DERIVED_VERSION = "5.3"  # 5.0: stage roles (entered_first / entered_won, no entered_<stage>); 5.1: sign_slips;
# 5.2: product_line (issue 11); 5.3: win_counts

# pair_facts keeps the week-over-week pairs of the newest STORED_PAIR_DATES snapshot dates
# only (each paired with the snapshot before it): the weekly review opens on the newest, and
# a manager steps back a few weeks; an older week's changes are paired when asked
# (snapshot_pairs_computed, ~0.1 s at 100k projects). Stored for every week, the pairs were
# a fifth of the file (≈ 4 MB a week at 100k projects; bench/results/history.md). What the
# whole history needs of them, the sign-date slips (slips, the forecast's commit rule), is
# kept for every date in sign_slips. Every write prunes older pairs and fills a window date
# that has none, so changing this number needs no rebuild.
STORED_PAIR_DATES = 13


def _pair_window(dates: list[date]) -> list[date]:
    return dates[-STORED_PAIR_DATES:] if STORED_PAIR_DATES > 0 else []


@cache
def _steps() -> dict[str, str]:
    text = (DERIVED_DIR / "steps.sql").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for part in re.split(r"^-- step: ", text, flags=re.M)[1:]:
        name, _, body = part.partition("\n")
        out[name.strip()] = body.strip()
    return out


@cache
def _file(name: str) -> str:
    return (DERIVED_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _sql(name: str) -> str:
    steps = _steps()
    return steps[name] if name in steps else _file(name)


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


NO_FILTERS = no_filters()

# Seconds per step of the running refresh, when a caller asked for them (queries.refresh's
# ``timings``; the benchmarks). A context variable: refreshes on other threads keep theirs.
TIMINGS: ContextVar[dict[str, float] | None] = ContextVar("refresh_timings", default=None)


def _run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple]:
    sql = _sql(name)
    params = {"no_filters": NO_FILTERS} | params  # the pairs are stored unfiltered
    timings = TIMINGS.get()
    t0 = time.perf_counter()
    rows = con.execute(sql, _used(sql, params)).fetchall()
    if timings is not None:
        timings[f"refresh.{name}"] = timings.get(f"refresh.{name}", 0.0) + time.perf_counter() - t0
    return rows


def _one(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    rows = _run(con, name, **params)
    return rows[0][0] if rows else None


def _dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [r[0] for r in _run(con, "snapshot_dates_list")]


def needs_rebuild(con: duckdb.DuckDBPyConnection, stages_before: Any) -> bool:
    """True when the derived tables are missing, were built by other definitions, or the
    configured stages changed since they were built."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()}
    if not {"project_facts", "stage_event_facts", "pair_facts", "sign_slips", "win_counts"} <= tables:
        return True
    if _one(con, "meta_get", key="version") != DERIVED_VERSION:
        return True
    # the stages (their codes, order and roles) shape every derived table
    return stages_before != stages_now(con)


def stages_now(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    """The configured stages as cfg_stages holds them: (code, role) in stage order."""
    return [(r[0], r[1]) for r in _run(con, "stages_now")]


def _finish(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, "clear_pending")
    _run(con, "clear_refreshed_imports")
    _run(con, "refreshed_set")
    _run(con, "clear_derived_meta")
    _run(con, "meta_set", key="version", value=DERIVED_VERSION)
    _run(con, "gone_events_create")
    _run(con, "gone_events_clear")


def note_visit_projects(con: duckdb.DuckDBPyConnection, *, import_id: int | None = None) -> None:
    """Before a write changes ``visits``: the temp table ``_visit_projects_changed`` exists
    (the writer inserts the projects it touches), and holds the projects of ``import_id``'s
    visits when given (an import about to be removed). :func:`visit_projects_refresh`, after
    the change, recomputes those projects' ``visit_projects`` rows."""
    _run(con, "visit_projects_changed_create")
    if import_id is not None:
        _run(con, "visit_projects_changed_of_import", import_id=import_id)


def visit_projects_refresh(con: duckdb.DuckDBPyConnection) -> None:
    """``visit_projects`` (migration 0011) of the projects noted in ``_visit_projects_changed``,
    from the visits as they now are (inside the writer's transaction), then the note goes."""
    _run(con, "visit_projects_changed_create")
    _run(con, "visit_projects_delete")
    _run(con, "visit_projects_insert")
    _run(con, "visit_projects_changed_drop")


def note_events_removed(con: duckdb.DuckDBPyConnection, import_id: int, *, as_of: date | None = None,
                        regions: list[str] | None = None) -> None:
    """Keep the stage events of ``import_id`` aside (a temp table of this transaction)
    before the write deletes them: the refresh takes out of stage_entries what no other
    active import reports. Called by dashboard/ingest/load.py (through the store) wherever
    an import's stage events are deleted; a removal not noted makes the refresh rebuild.
    With ``as_of`` and ``regions`` (a regional import replacing part of an import that
    stays active): only the events of the projects in those regions on that date, and the
    import is marked for the next refresh to take out and back in (refresh_pending)."""
    _run(con, "gone_events_create")
    if regions is None:
        _run(con, "gone_events_note", import_id=import_id)
        return
    _run(con, "gone_events_note_regions", import_id=import_id, as_of=as_of, regions=list(regions))
    con.execute("insert into refresh_pending values ($i)", {"i": import_id})


# --- the per-date steps (shared by the rebuild and the incremental refresh) ----------------


def _runs_for(con: duckdb.DuckDBPyConnection, as_of: date, full: bool, diff: bool = True) -> None:
    """snapshot_runs at ``as_of`` for its scope; with ``diff``, the projects whose run there
    changed go to _runs_changed."""
    _run(con, "snap_date", as_of=as_of)
    _run(con, "scope_date", as_of=as_of, full=full)
    if diff:
        _run(con, "runs_old", as_of=as_of, full=full)
        _run(con, "runs_delete", as_of=as_of, full=full)
    _run(con, "runs_date", as_of=as_of)
    if diff:
        _run(con, "runs_diff", as_of=as_of)


def _facts_for(con: duckdb.DuckDBPyConnection, as_of: date, prev: date | None, full: bool,
               latest: bool, rebuild: bool) -> bool:
    """project_facts and project_carry at ``as_of`` for its scope. ``latest``: no date after
    it holds rows and only it changed, so project_last_seen (or the replaced row) names the
    latest earlier row of a project missing from ``prev``. Returns False when the scope is
    empty (nothing to do at this date)."""
    _run(con, "snap_date", as_of=as_of)
    _run(con, "scope_date", as_of=as_of, full=full)
    if not full and not _one(con, "scope_count"):
        return False
    _run(con, "prev_near", prev=prev)
    if prev is not None and _one(con, "missing_count"):
        if latest:
            known = _one(con, "known_dates", as_of=as_of)
            if known:
                _run(con, "prev_far", prev=prev, known=known)
        else:
            _run(con, "prev_far", prev=prev, known=None)
    _run(con, "facts_date", as_of=as_of)
    _run(con, "facts_delete", as_of=as_of, full=full)
    _run(con, "carry_delete", as_of=as_of, full=full)
    _run(con, "facts_insert")
    _run(con, "carry_insert")
    _run(con, "summary_delete", as_of=as_of)
    _run(con, "summary_date", as_of=as_of)
    if rebuild:
        _run(con, "last_seen_upsert", as_of=as_of)
    return True


def _entry_facts(con: duckdb.DuckDBPyConnection, diff: bool) -> None:
    """stage_event_facts of the projects in _sef_scope; with ``diff``, the projects whose
    facts changed (and from which date) go to _sef_changed."""
    _run(con, "entry_facts")
    if diff:
        _run(con, "sef_changed")
    _run(con, "sef_delete")
    _run(con, "sef_insert")


def create_facts_tables(con: duckdb.DuckDBPyConnection) -> None:
    """project_facts and stage_event_facts, empty, in the shape of their SQL (a rebuild;
    the macros over project_facts are created after this, pair_facts after them)."""
    _run(con, "w_create")
    _run(con, "sef_scope_none")
    _run(con, "entry_facts")
    _run(con, "entry_facts_create")
    _run(con, "snap_date", as_of=None)
    _run(con, "scope_date", as_of=None, full=True)
    _run(con, "prev_near", prev=None)
    _run(con, "facts_date", as_of=None)
    _run(con, "facts_create")


def create_pairs_table(con: duckdb.DuckDBPyConnection) -> None:
    """pair_facts, empty, in the shape of snapshot_pairs_computed, sign_slips and win_counts
    (a rebuild)."""
    _run(con, "pair_create")
    _run(con, "slips_create")
    _run(con, "win_counts_create")


def refresh_win_counts(con: duckdb.DuckDBPyConnection, from_date: date | None) -> None:
    """win_counts (the learned P(win)'s evidence, learned_counts) of every snapshot from
    ``from_date`` on (None: every snapshot), from project_facts as it now is. P at t reads
    every snapshot <= t, so a change at a date changes the counts of every later date: a
    weekly import of a new newest date computes that date alone (one aggregate per project
    over the history), a rebuild or a date changed in the middle every date from it at once
    (the history form). Called by the rebuild and the incremental refresh after
    project_facts; tests that change project_facts by hand call it too."""
    dates = _dates(con)
    start = from_date if from_date is not None else (dates[0] if dates else None)
    if start is None:
        return
    _run(con, "win_counts_delete_from", from_date=start)
    todo = [t for t in dates if t >= start]
    if len(todo) == 1:
        _run(con, "win_counts_insert_date", as_of=todo[0])
    elif todo:
        _run(con, "win_counts_insert_history", as_of=todo[-1], from_date=start)


def _pair(con: duckdb.DuckDBPyConnection, as_of: date, full: bool) -> None:
    """(Re)pair one date (every project, or those of _w) and its sign-date slips."""
    _run(con, "pair_delete", as_of=as_of, full=full)
    _run(con, "pair_date", as_of=as_of, full=full)
    _run(con, "slips_delete", as_of=as_of, full=full)
    _run(con, "slips_insert", as_of=as_of, full=full)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every derived table from the stored rows, date by date (inside the caller's
    transaction; called by queries.runner.refresh after the staging views, the macros and
    the empty tables exist)."""
    for table in ("stage_entries", "snapshot_runs", "snapshot_dates", "project_carry", "snapshot_summary",
                  "project_last_seen", "win_counts", "visit_projects"):
        _run(con, f"clear_{table}")
    _run(con, "visit_projects_insert_all")
    _run(con, "w_create")
    _run(con, "entries_rebuild")
    _run(con, "dates_rebuild", dates=None)
    dates = _dates(con)
    _run(con, "runs_changed_create")
    for t in dates:
        _runs_for(con, t, full=True, diff=False)
    _run(con, "sef_scope_all")
    _entry_facts(con, diff=False)
    prev = None
    window = set(_pair_window(dates))
    for t in dates:
        _facts_for(con, t, prev, full=True, latest=True, rebuild=True)
        _run(con, "pair_date", as_of=t, full=True)
        _run(con, "slips_insert", as_of=t, full=True)
        if t not in window:
            _run(con, "pair_delete", as_of=t, full=True)
        prev = t
    refresh_win_counts(con, None)
    _finish(con)


def refresh_incremental(con: duckdb.DuckDBPyConnection) -> str:
    """Bring the derived tables up to date with the imports added, replaced or removed
    since the last refresh (inside the caller's transaction; called by
    queries.runner.refresh when needs_rebuild is False). Returns 'unchanged' or
    'incremental'."""
    active = {r[0]: r for r in _run(con, "active_imports")}
    refreshed = {r[0]: r for r in _run(con, "refreshed_list")}
    # an import changed in place (refresh_pending) goes out and comes back in
    pending = {r[0] for r in _run(con, "pending_list")} & set(active) & set(refreshed)
    added = sorted(set(active) - set(refreshed) | pending)
    gone = sorted(set(refreshed) - set(active) | pending)
    if not added and not gone:
        return "unchanged"
    old_dates = _dates(con)
    changed = sorted({r[2] for r in [*(active[i] for i in added), *(refreshed[i] for i in gone)]
                      if r[1] == "projects" and r[2] is not None})

    # stage entries: what only the removed imports reported out, the added imports' new in
    _run(con, "entries_changed_create")
    _run(con, "gone_events_create")
    with_events = set(_one(con, "refreshed_events", gone=gone) or []) if gone else set()
    # (an import changed in place was noted by its writer, though perhaps with no events)
    if with_events - set(_one(con, "gone_events_noted") or []) - pending:
        rebuild(con)  # stage events deleted without note_events_removed: start again
        return "rebuilt"
    if with_events:
        _run(con, "entries_remove")
        _run(con, "entries_delete")
        _run(con, "entries_changed_out")
    if added:
        _run(con, "entries_add", added=added)
        _run(con, "entries_new")
        _run(con, "entries_insert")

    # the snapshot dates, and the projects of the changed ones
    _run(con, "w_create")
    if changed:
        _run(con, "old_rows", dates=changed)
        _run(con, "snapshot_dates_delete", dates=changed)
        _run(con, "dates_rebuild", dates=changed)
        _run(con, "w_from_dates", dates=changed)
    else:
        con.execute("create or replace temp table _old (project_id varchar, as_of date, prev_as_of date)")
    new_dates = _dates(con)
    removed = sorted(set(changed) - set(new_dates))
    _run(con, "w_min")

    # snapshot runs: the removed dates' runs go; the others recomputed from the first change
    _run(con, "runs_changed_create")
    if removed:
        _run(con, "runs_delete_dates", dates=removed)
        _run(con, "runs_delete_dates_rows", dates=removed)
    start = _one(con, "w_min_date")
    if start is not None:
        for t in new_dates:
            if t >= start:
                _runs_for(con, t, full=t in changed)

    # stage-event facts of the projects whose entries or runs changed
    _run(con, "sef_scope_changed")
    _entry_facts(con, diff=True)
    _run(con, "w_from_entries")
    _run(con, "w_from_sef")
    _run(con, "w_min")

    # project_facts, pairs and the summary, date by date
    if removed:
        for name in ("facts_delete_dates", "carry_delete_dates", "pair_delete_dates", "slips_delete_dates",
                     "summary_delete_dates"):
            _run(con, name, dates=removed)
    start = _one(con, "w_min_date")
    latest_only = len(changed) == 1 and changed[0] in new_dates and changed[0] == new_dates[-1] \
        and (not old_dates or changed[0] >= old_dates[-1])
    pairs: dict[date, bool] = {}  # date -> re-pair every project (else those of _w up to it)
    for c in changed:
        nxt = next((t for t in new_dates if t > c), None)
        if nxt is not None:
            pairs[nxt] = True
    if start is not None:
        prev = None
        for t in new_dates:
            if t >= start:
                full = t in changed
                if _facts_for(con, t, prev, full=full, latest=latest_only and t == new_dates[-1], rebuild=False):
                    pairs[t] = pairs.get(t, False) or full
                    nxt = next((u for u in new_dates if u > t), None)
                    if nxt is not None:
                        pairs.setdefault(nxt, False)
            prev = t
    # only the newest dates keep stored pairs (STORED_PAIR_DATES): a window date that has
    # none (it entered the window) is paired whole; an older date is paired for its slips,
    # then its pairs are pruned with those that left the window
    # the learned probabilities' counts of every date from the first whose facts changed
    firsts = [d for d in (start, *changed) if d is not None]
    if firsts:
        refresh_win_counts(con, min(firsts))
    window = _pair_window(new_dates)
    for (missing,) in _run(con, "pair_missing", dates=window):
        pairs[missing] = True
    for t in sorted(pairs):
        _pair(con, t, pairs[t])
    _run(con, "pair_prune", dates=window)

    # where each touched project was last seen
    if changed:
        _run(con, "last_seen_walk_create")
        for _ in range(len(changed) + 1):
            if not _one(con, "last_seen_walk_left", dates=changed):
                break
            _run(con, "last_seen_walk", dates=changed)
        _run(con, "last_seen_drop", dates=changed)
        _run(con, "last_seen_fix", dates=changed)
    if gone:
        _run(con, "refreshed_drop", gone=gone)
    if added:
        _run(con, "refreshed_add", added=added)
    _run(con, "gone_events_clear")
    return "incremental"
