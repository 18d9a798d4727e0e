"""Helpers for the query tests (no tests here): build small histories in a real DuckDB.

``load(con, snapshots, events)`` inserts one `imports` row per snapshot date (and one for
the events), the given rows into project_snapshots / stage_events, then runs
``queries.refresh(con)`` exactly as a write transaction would.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import queries
from dashboard.ingest.load import store_stage_events

SNAPSHOT_COLUMNS = (
    "as_of", "project_id", "import_id", "project_name", "customer", "customer_grade", "region",
    "owner", "category", "stage", "status", "expected_amount", "contract_amount", "estimated_cost",
    "estimated_margin", "bid_amount", "actual_cost", "expense_budget", "expense_actual",
    "expected_sign_on", "created_on", "lost_reason",
)

DEFAULTS: dict[str, Any] = {
    "project_name": None, "customer": None, "customer_grade": "B", "region": "East", "owner": "Li",
    "category": "systems", "stage": "development", "status": "open", "expected_amount": None,
    "contract_amount": None, "estimated_cost": None, "estimated_margin": None, "bid_amount": None,
    "actual_cost": None, "expense_budget": None, "expense_actual": None, "expected_sign_on": None,
    "created_on": None, "lost_reason": None,
}


def d(text: str) -> date:
    return date.fromisoformat(text)


def load(con, snapshots: list[dict[str, Any]], events: list[tuple] = (), *, refresh: bool = True) -> None:
    """snapshots: dicts with at least as_of (str or date) and project_id; events: tuples
    (project_id, stage, entered_on[, source[, previous_stage]])."""
    dates = sorted({str(r["as_of"]) for r in snapshots})
    import_of = {}
    for i, as_of in enumerate(dates, start=1):
        import_of[as_of] = i
        con.execute(
            "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, rows_skipped, imported_at, status, mapping_name, report) values ($i, $f, 'sha', null, 'projects', $a, 1, 1, 0, now(), 'active', null, null)",
            {"i": i, "f": f"snapshot-{as_of}.csv", "a": d(as_of)},
        )
    rows = []
    for r in snapshots:
        full = DEFAULTS | {"import_id": import_of[str(r["as_of"])]} | r
        for k in ("as_of", "expected_sign_on", "created_on"):
            if isinstance(full[k], str):
                full[k] = d(full[k])
        for k in ("expected_amount", "contract_amount", "estimated_cost", "bid_amount", "actual_cost",
                  "expense_budget", "expense_actual"):
            if full[k] is not None:
                full[k] = Decimal(str(full[k]))
        rows.append(tuple(full[c] for c in SNAPSHOT_COLUMNS))
    if rows:
        con.executemany(
            f"insert into project_snapshots ({', '.join(SNAPSHOT_COLUMNS)}) values "
            f"({', '.join('?' for _ in SNAPSHOT_COLUMNS)})",
            rows,
        )
    if events:
        ev_import = len(dates) + 1
        con.execute(
            "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, rows_skipped, imported_at, status, mapping_name, report) values ($i, 'history.csv', 'sha', null, 'history', null, 1, 1, 0, now(), 'active', null, null)",
            {"i": ev_import},
        )
        ev_rows = []
        for e in events:
            project_id, stage, entered_on, *rest = e
            source = rest[0] if rest else "history"
            previous = rest[1] if len(rest) > 1 else None
            ev_rows.append((project_id, stage, d(entered_on) if isinstance(entered_on, str) else entered_on,
                            source, ev_import, previous))
        con.execute("create or replace temp table _test_events (project_id varchar, stage varchar, entered_on date, "
                    "source varchar, import_id integer, previous_stage varchar)")
        con.executemany("insert into _test_events values (?, ?, ?, ?, ?, ?)", ev_rows)
        store_stage_events(con, "_test_events")
        con.execute("drop table _test_events")
    if refresh:
        queries.refresh(con)


def rows(df, *columns) -> list[tuple]:
    return [tuple(r) for r in df.select(columns).iter_rows()]
