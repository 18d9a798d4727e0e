"""Writing prepared files into the database: ``commit``, ``remove_imports`` / ``remove_import``.

All files of one ``commit`` go into ONE ``store.write_transaction`` (copy -> change ->
os.replace), so either every file is imported or none, and a refused or failed import
leaves the database file byte-for-byte as it was. Frames are inserted whole (a registered
Polars frame, ``insert … select``), never row by row. Values are bound parameters; the
only identifiers in SQL text are our own column names.

Rules:
* a file with any error is refused before anything is opened (IngestRefused);
* the same bytes, read through the same mapping (or none), for the same as-of date and
  kind, already active -> nothing changes;
* a 'projects' file for an as-of date that already has an active one replaces that
  date's snapshot rows (old import -> 'replaced'; the result counts added / removed /
  changed rows); other dates are untouched. The same holds for 'history' files;
* a project whose stage column held only a status word (赢单, Lost) and whose stage
  could not be read from stage dates gets its last known stage (earlier snapshot, else
  latest stage event) here, where earlier data is visible;
* demo data (``commit(…, demo=True)``, dashboard/demo.py) is marked ``imports.is_demo``.
  It never mixes with a company's own exports: the first real import removes every
  active demo import in the same transaction (``CommitResult.demo_removed``), and demo
  data is refused into a database that holds real imports (DemoRefused).
No streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from dashboard import store
from dashboard.ingest.clean import EVENT_SCHEMA, PROJECT_SCHEMA
from dashboard.ingest.isolated import Prepared

_COMPARED = [c for c in PROJECT_SCHEMA if c != "project_id"]
COMMIT_MEMORY_MB = store.COMMIT_MEMORY_MB  # the write transaction sets it (store.write_transaction)


class DemoRefused(ValueError):
    """Demo data asked into a database that holds the company's own imports."""


class IngestRefused(ValueError):
    """At least one file has errors; nothing was written."""

    def __init__(self, refused: Sequence[Prepared]):
        self.refused = list(refused)
        names = ", ".join(f"{p.report.file_name} ({len(p.report.errors)} errors)" for p in refused)
        super().__init__(f"refused, nothing was imported: {names}")


@dataclass
class CommitResult:
    file_name: str
    import_id: int
    kind: str
    as_of: date | None
    outcome: str  # 'added' | 'replaced' | 'unchanged'
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    events_added: int = 0
    replaced_import_ids: list[int] = field(default_factory=list)
    # The demo imports this commit removed (the same list on every result of one commit).
    demo_removed: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return self.outcome != "unchanged"

    def message(self, lang: str = "en") -> str:
        d = self.as_of.isoformat() if self.as_of else "-"
        if lang == "zh":
            if self.outcome == "unchanged":
                return f"{self.file_name}：与已导入的第 {self.import_id} 次导入完全相同（{d}），未做任何更改"
            head = f"{self.file_name}：已导入为第 {self.import_id} 次导入（数据日期 {d}）"
            if self.outcome == "replaced":
                head += (
                    f"，替换了第 {', '.join(map(str, self.replaced_import_ids))} 次导入："
                    f"新增 {self.rows_added} 行，删除 {self.rows_removed} 行，变更 {self.rows_changed} 行，"
                    f"未变 {self.rows_unchanged} 行"
                )
            elif self.kind == "projects":
                head += f"，{self.rows_added} 个项目"
            return head + (f"，{self.events_added} 条阶段记录" if self.events_added else "")
        if self.outcome == "unchanged":
            return f"{self.file_name}: identical to import {self.import_id} ({d}); nothing changed"
        head = f"{self.file_name}: imported as import {self.import_id} (as of {d})"
        if self.outcome == "replaced":
            head += (
                f", replacing import {', '.join(map(str, self.replaced_import_ids))}: "
                f"{self.rows_added} rows added, {self.rows_removed} removed, {self.rows_changed} changed, "
                f"{self.rows_unchanged} unchanged"
            )
        elif self.kind == "projects":
            head += f", {self.rows_added} projects"
        return head + (f", {self.events_added} stage events" if self.events_added else "")


def _scalar(con, sql: str, params: dict | None = None):
    return con.execute(sql, params or {}).fetchall()[0][0]


def _diff(con, as_of: date) -> tuple[int, int, int, int]:
    p = {"a": as_of}
    added = _scalar(
        con,
        "select count(*) from _incoming n where not exists "
        "(select 1 from project_snapshots o where o.as_of = $a and o.project_id = n.project_id)",
        p,
    )
    removed = _scalar(
        con,
        "select count(*) from project_snapshots o where o.as_of = $a and not exists "
        "(select 1 from _incoming n where n.project_id = o.project_id)",
        p,
    )
    differs = " or ".join(f"n.{c} is distinct from o.{c}" for c in _COMPARED)  # our column names
    changed = _scalar(
        con,
        f"select count(*) from _incoming n join project_snapshots o "
        f"on o.as_of = $a and o.project_id = n.project_id where {differs}",
        p,
    )
    same = _scalar(con, "select count(*) from project_snapshots where as_of = $a", p) - removed - changed
    return added, removed, changed, same


def _identical(con, prep: Prepared, demo: bool) -> CommitResult | None:
    """The result for a file already imported as it is (same bytes, mapping, as-of date and
    kind, still active, and demo data only if ``demo``), else None. A company file with the
    bytes of a demo export is imported as the company's, not taken for the demo's."""
    r = prep.report
    kind = r.kind or "projects"
    same = con.execute(
        "select import_id from imports where sha256 = $sha and kind = $kind and status = 'active' "
        "and as_of is not distinct from $as_of and is_demo = $demo "
        "and json_extract_string(report, '$.mapping_sha256') is not distinct from $mapping "
        "order by import_id",
        {"sha": r.sha256, "kind": kind, "as_of": r.as_of, "mapping": r.mapping_sha256, "demo": demo},
    ).fetchall()
    if not same:
        return None
    return CommitResult(r.file_name, same[0][0], kind, r.as_of, "unchanged", rows_unchanged=r.rows_accepted)


def _all_identical(db_path: Path, prepared: list[Prepared], demo: bool) -> list[CommitResult] | None:
    """When every file is already imported as it is, the results without writing at all
    (the database file keeps its bytes, inode and mtime: readers need not reattach)."""
    if not db_path.exists():
        return None
    try:
        con = store.connect_read_only(db_path)
    except Exception:  # held by a writer of another kind, or an old schema: take the write path
        return None
    try:
        if store.missing_migrations(con):
            return None
        results = [_identical(con, p, demo) for p in prepared]
    finally:
        con.close()
    if any(r is None for r in results):
        return None
    return results  # type: ignore[return-value]


def _commit_one(con, prep: Prepared, demo: bool) -> CommitResult:
    r = prep.report
    kind = r.kind or "projects"
    unchanged = _identical(con, prep, demo)
    if unchanged is not None:
        return unchanged
    import_id = _scalar(con, "select coalesce(max(import_id), 0) + 1 from imports")
    prior = [
        row[0]
        for row in con.execute(
            "select import_id from imports where kind = $kind and status = 'active' "
            "and as_of is not distinct from $as_of order by import_id",
            {"kind": kind, "as_of": r.as_of},
        ).fetchall()
    ]
    result = CommitResult(r.file_name, import_id, kind, r.as_of, "replaced" if prior else "added", replaced_import_ids=prior)
    projects = prep.projects.select(list(PROJECT_SCHEMA)).cast(PROJECT_SCHEMA)
    events = prep.events.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)
    # Arrow tables: DuckDB scans them ~1.5x faster than a Polars frame (decimals)
    con.register("_incoming", projects.to_arrow())
    con.register("_incoming_events", events.to_arrow())
    try:
        if kind == "projects":
            if prior:
                (result.rows_added, result.rows_removed, result.rows_changed, result.rows_unchanged) = _diff(con, r.as_of)
            else:
                result.rows_added = projects.height
            con.execute("delete from project_snapshots where as_of = $a", {"a": r.as_of})
        for old in prior:
            store.note_events_removed(con, old)
            con.execute("delete from stage_events where import_id = $i", {"i": old})
            con.execute("update imports set status = 'replaced' where import_id = $i", {"i": old})
        con.execute(
            "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, "
            "rows_skipped, imported_at, status, mapping_name, report, is_demo) values "
            "($id, $name, $sha, $sheet, $kind, $as_of, $read, $accepted, $skipped, $at, 'active', $mapping, $report, $demo)",
            {
                "id": import_id,
                "name": r.file_name,
                "sha": r.sha256,
                "sheet": r.sheet,
                "kind": kind,
                "as_of": r.as_of,
                "read": r.rows_read,
                "accepted": r.rows_accepted,
                "skipped": r.rows_skipped,
                "at": datetime.now(),
                "mapping": r.mapping_name,
                "report": json.dumps(r.to_dict(), ensure_ascii=False, default=str),
                "demo": demo,
            },
        )
        if kind == "projects" and projects.height:
            con.execute(
                "insert into project_snapshots by name "
                "select $as_of::date as as_of, $id::integer as import_id, * from _incoming",
                {"as_of": r.as_of, "id": import_id},
            )
            # Stage unknown in this file (a status word, no stage dates): the last known.
            con.execute(
                """
                update project_snapshots s set stage = coalesce(
                    (select o.stage from project_snapshots o
                      where o.project_id = s.project_id and o.as_of < s.as_of and o.stage is not null
                      order by o.as_of desc limit 1),
                    (select e.stage from stage_events e
                      where e.project_id = s.project_id and e.entered_on <= s.as_of
                      order by e.entered_on desc limit 1))
                where s.import_id = $id and s.stage is null
                """,
                {"id": import_id},
            )
        if events.height:
            con.execute(
                "insert into stage_events by name select *, $id::integer as import_id from _incoming_events",
                {"id": import_id},
            )
        result.events_added = events.height
    finally:
        for name in ("_incoming", "_incoming_events"):
            try:
                con.unregister(name)
            except duckdb.Error:
                pass  # the transaction failed (e.g. out of memory): that error is the one to report
    return result


def commit(db_path: str | Path, prepared: Sequence[Prepared], *, demo: bool = False,
           lock_timeout_s: float = 60.0, timings: dict[str, float] | None = None) -> list[CommitResult]:
    """Write every prepared file in one transaction; results in the order given.

    ``demo``: the files are demo data (marked as such). A real commit into a database that
    holds demo imports removes them all in the same transaction (``demo_removed``).
    ``timings`` (optional): seconds per phase of the write (store.write_transaction).
    Raises IngestRefused (writing nothing) if any file has errors, DemoRefused for demo
    data into a database with real imports, store.StoreBusy when another writer holds
    the database for longer than ``lock_timeout_s``, and store.StoreOutOfMemory when the
    write needs more memory than it may use (nothing written)."""
    prepared = list(prepared)
    refused = [p for p in prepared if not p.ok]
    if refused:
        raise IngestRefused(refused)
    quiet = _all_identical(Path(db_path), prepared, demo)
    if quiet is not None:
        return quiet
    # History first, so a projects file in the same batch can take a last known stage from it.
    order = sorted(range(len(prepared)), key=lambda i: (prepared[i].report.kind != "history", i))
    results: dict[int, CommitResult] = {}
    # store.write_transaction bounds DuckDB's buffer pool (COMMIT_MEMORY_MB), so a 1M-row
    # import stays well under 2 GB (it spills to a temp file beside the database instead),
    # and turns running out of it into StoreOutOfMemory, nothing written.
    with store.write_transaction(db_path, lock_timeout_s=lock_timeout_s, timings=timings) as con:
        demo_ids = _active_ids(con, demo=True)
        if demo and _active_ids(con, demo=False):
            raise DemoRefused("this database holds your own imports: the demo data is only loaded into a "
                              "database without them, so the two never mix; nothing was written")
        removed = [] if demo else [r.import_id for r in _remove(con, demo_ids)]
        for i in order:
            results[i] = _commit_one(con, prepared[i], demo)
            results[i].demo_removed = removed
    return [results[i] for i in range(len(prepared))]


@dataclass
class RemoveResult:
    import_id: int
    file_name: str
    snapshot_rows_removed: int
    events_removed: int


def _active_ids(con, *, demo: bool) -> list[int]:
    return [r[0] for r in con.execute(
        "select import_id from imports where status = 'active' and is_demo = $demo order by import_id", {"demo": demo}
    ).fetchall()]


def _remove(con, import_ids: Sequence[int]) -> list[RemoveResult]:
    """Inside the caller's transaction: every import in ``import_ids`` must exist and be
    active (else nothing is removed: KeyError / ValueError); their snapshot rows and stage
    events go, their status becomes 'removed'."""
    out = []
    for import_id in import_ids:
        rows = con.execute("select status, file_name from imports where import_id = $i", {"i": import_id}).fetchall()
        if not rows:
            raise KeyError(f"there is no import {import_id}")
        status, file_name = rows[0]
        if status != "active":
            raise ValueError(f"import {import_id} ({file_name}) is {status}, not active; nothing to remove")
        n_snap = _scalar(con, "select count(*) from project_snapshots where import_id = $i", {"i": import_id})
        n_ev = _scalar(con, "select count(*) from stage_events where import_id = $i", {"i": import_id})
        con.execute("delete from project_snapshots where import_id = $i", {"i": import_id})
        store.note_events_removed(con, import_id)
        con.execute("delete from stage_events where import_id = $i", {"i": import_id})
        con.execute("update imports set status = 'removed' where import_id = $i", {"i": import_id})
        out.append(RemoveResult(import_id, file_name, n_snap, n_ev))
    return out


def remove_imports(db_path: str | Path, import_ids: Sequence[int], *, lock_timeout_s: float = 60.0) -> list[RemoveResult]:
    """Take several active imports out in ONE write transaction (all or none): their
    snapshot rows and stage events go, their status becomes 'removed'. Nothing else is
    touched (an import one of them replaced stays replaced)."""
    ids = list(dict.fromkeys(int(i) for i in import_ids))
    if not ids:
        return []
    with store.write_transaction(db_path, lock_timeout_s=lock_timeout_s) as con:
        return _remove(con, ids)


def remove_import(db_path: str | Path, import_id: int, *, lock_timeout_s: float = 60.0) -> RemoveResult:
    """Take one active import out (``remove_imports`` with one id)."""
    return remove_imports(db_path, [import_id], lock_timeout_s=lock_timeout_s)[0]


def demo_imports(db_path: str | Path) -> list[int]:
    """The active demo imports in the database at ``db_path`` ([] when there is no file, or
    it predates demo marking): what the next real import will remove. Read-only."""
    db_path = Path(db_path)
    if not db_path.exists():
        return []
    con = store.connect_read_only(db_path)
    try:
        has_column = _scalar(con, "select count(*) from information_schema.columns "
                                  "where table_name = 'imports' and column_name = 'is_demo'")
        return _active_ids(con, demo=True) if has_column else []
    finally:
        con.close()


def demo_removal_note(n_imports: int, lang: str = "en", *, done: bool = False) -> str:
    """What the CLI says about the demo data a real import removes (before / after)."""
    if lang == "zh":
        return (f"已删除演示数据（{n_imports} 次导入）：看板现在只显示您自己的数据" if done
                else f"注意：本次导入将删除演示数据（{n_imports} 次导入），演示数据不会与您的数据混在一起")
    return (f"the demo data ({n_imports} imports) was removed: the dashboard now shows only your data" if done
            else f"note: this import removes the demo data ({n_imports} imports), so it never mixes with your data")
