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
* a 'targets' file goes to its own table through dashboard/ingest/targets.py (``commit``):
  every year it names replaces that year's active targets (a regional importer's: only
  within their regions);
* a project whose stage column held only a status word (赢单, Lost) and whose stage
  could not be read from stage dates gets its last known stage (earlier snapshot, else
  latest stage event) here, where earlier data is visible;
* a regional importer's commit (``regions=("华南",)``, issue 10) replaces only those
  regions' rows of the as-of date; the rest of the company's snapshot stays. Refused
  (ScopeRefused, nothing written) when any row lies outside those regions, when a project
  id of the file is on that date in another region, when the date has no company-wide
  snapshot yet, when the file is a stage history, or while demo data is loaded. An
  earlier import of that date stays active for the rows it still holds (``replaced``
  once none are left). ``regions=ALL_REGIONS`` (admin, the CLI) replaces the whole date;
* every change is audited in the same transaction (``audit_log``: who = ``actor``, the
  file's sha256, rows added/removed/changed, regions; ``dashboard.access.record``);
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
import polars as pl

from dashboard import access, store
from dashboard.ingest import targets
from dashboard.ingest.clean import EVENT_SCHEMA, PROJECT_SCHEMA
from dashboard.ingest.isolated import Prepared
from queries import derived
from queries.filters import ALL_REGIONS, check_scope

_COMPARED = [c for c in PROJECT_SCHEMA if c != "project_id"]
COMMIT_MEMORY_MB = store.COMMIT_MEMORY_MB  # the write transaction sets it (store.write_transaction)


class DemoRefused(ValueError):
    """Demo data asked into a database that holds the company's own imports."""


class ScopeRefused(ValueError):
    """A regional import that reaches outside the importer's regions; nothing was written.
    ``str()`` is English; ``zh`` / ``en`` carry both languages for the UI."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh

    def message(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


def _rows_named(df: pl.DataFrame, limit: int = 20) -> str:
    """'KA-1 (华东), KA-2 (–) …': the rows a refusal is about, by project id and region."""
    items = [f"{pid} ({region if region else '–'})" for pid, region in df.select("project_id", "region").head(limit).iter_rows()]
    more = f" … (+{df.height - limit})" if df.height > limit else ""
    return ", ".join(items) + more


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
    # What the import replaced: ALL_REGIONS (the whole as-of date) or a regional import's regions.
    regions: tuple[str, ...] = ALL_REGIONS
    # kind-specific facts (targets: the years replaced, the regions no snapshot knows)
    detail: dict = field(default_factory=dict)

    @property
    def changed_anything(self) -> bool:
        return self.outcome != "unchanged"

    def message(self, lang: str = "en") -> str:
        if self.kind == targets.KIND:
            return targets.message(self, lang)
        d = self.as_of.isoformat() if self.as_of else "-"
        if lang == "zh":
            if self.outcome == "unchanged":
                return f"{self.file_name}：与已导入的第 {self.import_id} 次导入完全相同（{d}），未做任何更改"
            head = f"{self.file_name}：已导入为第 {self.import_id} 次导入（数据日期 {d}）"
            if self.regions != ALL_REGIONS:
                head += (f"，只替换了区域 {'、'.join(self.regions)} 的行：新增 {self.rows_added} 行，删除 {self.rows_removed} 行，"
                         f"变更 {self.rows_changed} 行，未变 {self.rows_unchanged} 行；其他区域不变")
            elif self.outcome == "replaced":
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
        if self.regions != ALL_REGIONS:
            head += (f", replacing only the rows of {', '.join(self.regions)}: {self.rows_added} rows added, "
                     f"{self.rows_removed} removed, {self.rows_changed} changed, {self.rows_unchanged} unchanged; "
                     "other regions untouched")
        elif self.outcome == "replaced":
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


_EVENT_KEY = "project_id, stage, entered_on, source, previous_stage"


def store_stage_events(con, relation: str, import_id: int | None = None) -> None:
    """Store the stage events of ``relation`` (a table or view named by our own code: the
    columns of EVENT_SCHEMA, and ``import_id`` unless ``import_id`` is given) as
    ``stage_events`` reads them (migration 0012): each distinct event once in
    ``stage_event_keys`` (new ones get the next ids), and one ``stage_event_reports`` row per
    row of ``relation`` (duplicates within a file kept, as the raw table kept them)."""
    if not relation.isidentifier():
        raise ValueError(f"not a relation name: {relation!r}")
    source_import = "import_id" if import_id is None else "$id::integer"
    match = ("k.project_id = e.project_id and k.stage = e.stage and k.entered_on = e.entered_on "
             "and k.source = e.source and k.previous_stage is not distinct from e.previous_stage")
    # one pass over the stored keys: each incoming row gets its event's id, or null when new
    con.execute(f"""
        create or replace temp table _events_in as
        select e.project_id, e.stage, e.entered_on, e.source, e.previous_stage, {source_import} as import_id, k.entry_id
        from {relation} as e
        left join stage_event_keys as k on {match}
    """, {} if import_id is None else {"id": import_id})
    con.execute(f"""
        create or replace temp table _events_new as
        select coalesce((select max(entry_id) from stage_event_keys), 0)
                   + cast(row_number() over (order by project_id, stage, entered_on, source, previous_stage nulls first)
                          as integer) as entry_id,
               *
        from (select distinct {_EVENT_KEY} from _events_in where entry_id is null)
    """)
    con.execute(f"insert into stage_event_keys select entry_id, {_EVENT_KEY} from _events_new")
    # in import order, and within an import in entry order: each import's ids compress to a
    # few bits (DuckDB's delta bit-packing)
    con.execute(f"""
        insert into stage_event_reports
        select import_id, entry_id from (
            select import_id, entry_id from _events_in where entry_id is not null
            union all
            select e.import_id, k.entry_id from _events_in as e join _events_new as k on {match}
            where e.entry_id is null
        )
        order by import_id, entry_id
    """)
    con.execute("drop table _events_in")
    con.execute("drop table _events_new")


def delete_stage_events(con, import_id: int, *, projects_of: dict | None = None) -> None:
    """Delete the stage events ``import_id`` reported (with ``projects_of`` = {"a": as_of,
    "r": regions}: only those of the projects in those regions' rows of that date, what a
    regional import replaces), and every event no import reports any more."""
    only_projects = "" if projects_of is None else (
        "and entry_id in (select entry_id from stage_event_keys where project_id in ("
        "select project_id from project_snapshots where as_of = $a and list_contains($r, region)))")
    params = {"i": import_id} | (projects_of or {})
    con.execute("create or replace temp table _events_freed as select distinct entry_id from stage_event_reports "
                f"where import_id = $i {only_projects}", params)
    con.execute("delete from stage_event_reports where import_id = $i "
                "and entry_id in (select entry_id from _events_freed)", {"i": import_id})
    # an event another import still reports stays; the semi join reads only the freed ids
    con.execute("""
        delete from stage_event_keys where entry_id in (
            select entry_id from _events_freed
            except
            select r.entry_id from stage_event_reports as r semi join _events_freed as f on f.entry_id = r.entry_id)
    """)
    con.execute("drop table _events_freed")


def _diff(con, as_of: date, regions: tuple[str, ...] = ALL_REGIONS) -> tuple[int, int, int, int]:
    """added, removed, changed, unchanged rows of ``as_of`` within ``regions`` (the rows a
    regional import replaces; ALL_REGIONS = the whole date)."""
    p = {"a": as_of, "r": list(regions)}
    mine = "($r = ['*'] or list_contains($r, o.region))"
    added = _scalar(
        con,
        "select count(*) from _incoming n where not exists "
        f"(select 1 from project_snapshots o where o.as_of = $a and o.project_id = n.project_id and {mine})",
        p,
    )
    removed = _scalar(
        con,
        f"select count(*) from project_snapshots o where o.as_of = $a and {mine} and not exists "
        "(select 1 from _incoming n where n.project_id = o.project_id)",
        p,
    )
    differs = " or ".join(f"n.{c} is distinct from o.{c}" for c in _COMPARED)  # our column names
    changed = _scalar(
        con,
        f"select count(*) from _incoming n join project_snapshots o "
        f"on o.as_of = $a and o.project_id = n.project_id and {mine} where {differs}",
        p,
    )
    same = _scalar(con, f"select count(*) from project_snapshots o where o.as_of = $a and {mine}", p) - removed - changed
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
    if not same or (kind == targets.KIND and not targets.intact(con, same[0][0], r.rows_accepted)):
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


def _check_regional(con, prep: Prepared, regions: tuple[str, ...]) -> None:
    """A regional import stays inside ``regions`` (issue 10): else ScopeRefused, naming the rows."""
    r = prep.report
    name, d = r.file_name, (r.as_of.isoformat() if r.as_of else "-")
    regs = "、".join(regions)
    if (r.kind or "projects") != "projects":
        raise ScopeRefused(f"{name}: a stage history names no regions, so only the sales office (admin) imports it; nothing was imported",
                           f"{name}：阶段历史文件不含区域，只能由销售管理部（管理员）导入；未导入任何数据")
    outside = prep.projects.filter(pl.col("region").is_null() | ~pl.col("region").is_in(list(regions)))
    if outside.height:
        rows = _rows_named(outside)
        raise ScopeRefused(
            f"{name}: {outside.height} rows lie outside your regions ({', '.join(regions)}): {rows}; nothing was imported",
            f"{name}：有 {outside.height} 行不属于您的区域（{regs}）：{rows}；未导入任何数据")
    if not _scalar(con, "select count(*) from project_snapshots where as_of = $a", {"a": r.as_of}):
        raise ScopeRefused(
            f"{name}: there is no company-wide snapshot for {d} yet; the sales office imports the whole company's "
            "export for a date first, then a regional import replaces its regions' rows; nothing was imported",
            f"{name}：{d} 还没有全公司的快照；须先由销售管理部导入当日全公司的导出文件，区域导入再替换本区域的行；未导入任何数据")
    clash = con.sql(
        "select n.project_id, o.region from _incoming n join project_snapshots o "
        "on o.as_of = $a and o.project_id = n.project_id "
        "where o.region is null or not list_contains($r, o.region) order by n.project_id",
        params={"a": r.as_of, "r": list(regions)},
    ).pl()
    if clash.height:
        rows = _rows_named(clash)
        raise ScopeRefused(
            f"{name}: {clash.height} project ids are on {d} in a region outside yours: {rows}; nothing was imported",
            f"{name}：有 {clash.height} 个项目编号在 {d} 属于您区域之外的区域：{rows}；未导入任何数据")


def _insert_import(con, import_id: int, r, kind: str, demo: bool, actor: str, regions: tuple[str, ...]) -> None:
    """The ``imports`` row of a new import (active), its report stored with it."""
    con.execute(
        "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, "
        "rows_skipped, imported_at, status, mapping_name, report, is_demo, imported_by, regions) values "
        "($id, $name, $sha, $sheet, $kind, $as_of, $read, $accepted, $skipped, $at, 'active', $mapping, $report, $demo, "
        "$by, $regions)",
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
            "by": actor,
            "regions": None if regions == ALL_REGIONS else list(regions),
        },
    )


def _own_table_writer(kind: str):
    """The writer of a kind whose rows travel in ``Prepared.tables[kind]`` to a table of its
    own: targets (replaced per year), visits (per person × dates), collections (per
    project); None for a project export or a stage history."""
    if kind == targets.KIND:
        return targets.commit
    if kind in ("visits", "collections"):  # issue 13 (imported late: they import this module)
        from dashboard.ingest import collections_load, visits_load

        return visits_load.commit_one if kind == "visits" else collections_load.commit_one
    return None


def _commit_one(con, prep: Prepared, demo: bool, actor: str, regions: tuple[str, ...] = ALL_REGIONS) -> CommitResult:
    r = prep.report
    kind = r.kind or "projects"
    regional = regions != ALL_REGIONS
    unchanged = _identical(con, prep, demo)
    if unchanged is not None:
        return unchanged
    import_id = _scalar(con, "select coalesce(max(import_id), 0) + 1 from imports")
    writer = _own_table_writer(kind)
    if writer is not None:  # a kind with a table of its own and its own replace rule
        return writer(con, prep, import_id=import_id, actor=actor, regions=regions, demo=demo,
                      insert_import=_insert_import)
    prior = [
        row[0]
        for row in con.execute(
            "select import_id from imports where kind = $kind and status = 'active' "
            "and as_of is not distinct from $as_of order by import_id",
            {"kind": kind, "as_of": r.as_of},
        ).fetchall()
    ]
    result = CommitResult(r.file_name, import_id, kind, r.as_of, "replaced" if prior else "added", replaced_import_ids=prior,
                          regions=regions)
    projects = prep.projects.select(list(PROJECT_SCHEMA)).cast(pl.Schema(PROJECT_SCHEMA))
    events = prep.events.select(list(EVENT_SCHEMA)).cast(pl.Schema(EVENT_SCHEMA))
    # Arrow tables: DuckDB scans them ~1.5x faster than a Polars frame (decimals)
    con.register("_incoming", projects.to_arrow())
    con.register("_incoming_events", events.to_arrow())
    try:
        if regional:
            _check_regional(con, prep, regions)
            assert r.as_of is not None  # a project export always has its date by now (clean.py)
            (result.rows_added, result.rows_removed, result.rows_changed, result.rows_unchanged) = _diff(con, r.as_of, regions)
            # Only these regions' rows (and the stage events that came with them) are replaced;
            # an earlier import keeps the rest and stays active while it holds any row.
            mine = {"a": r.as_of, "r": list(regions)}
            for old in prior:
                store.note_events_removed(con, old, as_of=r.as_of, regions=list(regions))
                delete_stage_events(con, old, projects_of=mine)
            con.execute("delete from project_snapshots where as_of = $a and list_contains($r, region)", mine)
            result.replaced_import_ids = prior = [
                old for old in prior if not _scalar(con, "select count(*) from project_snapshots where import_id = $i", {"i": old})]
            result.outcome = "replaced" if result.rows_removed or result.rows_changed or result.rows_unchanged else "added"
        elif kind == "projects":
            assert r.as_of is not None
            if prior:
                (result.rows_added, result.rows_removed, result.rows_changed, result.rows_unchanged) = _diff(con, r.as_of)
            else:
                result.rows_added = projects.height
            con.execute("delete from project_snapshots where as_of = $a", {"a": r.as_of})
        for old in prior:
            if not regional:
                store.note_events_removed(con, old)
                delete_stage_events(con, old)
            con.execute("update imports set status = 'replaced' where import_id = $i", {"i": old})
        _insert_import(con, import_id, r, kind, demo, actor, regions)
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
                    (select e.stage from stage_event_keys e
                      where e.project_id = s.project_id and e.entered_on <= s.as_of
                      order by e.entered_on desc limit 1))
                where s.import_id = $id and s.stage is null
                """,
                {"id": import_id},
            )
        if events.height:
            store_stage_events(con, "_incoming_events", import_id)
        result.events_added = events.height
        access.record(con, actor, "import", import_id=import_id, file_name=r.file_name, sha256=r.sha256, as_of=r.as_of,
                      regions=regions, rows={"added": result.rows_added, "removed": result.rows_removed,
                                             "changed": result.rows_changed},
                      detail={"kind": kind, "outcome": result.outcome, "replaced_imports": result.replaced_import_ids,
                              "rows_unchanged": result.rows_unchanged, "events_added": result.events_added,
                              "mapping": r.mapping_name, "mapping_sha256": r.mapping_sha256, "demo": demo})
    finally:
        for name in ("_incoming", "_incoming_events"):
            try:
                con.unregister(name)
            except duckdb.Error:
                pass  # the transaction failed (e.g. out of memory): that error is the one to report
    return result


def commit(db_path: str | Path, prepared: Sequence[Prepared], *, demo: bool = False,
           lock_timeout_s: float = 60.0, timings: dict[str, float] | None = None, actor: str | None = None,
           regions: tuple[str, ...] = ALL_REGIONS) -> list[CommitResult]:
    """Write every prepared file in one transaction; results in the order given.

    ``demo``: the files are demo data (marked as such). A real commit into a database that
    holds demo imports removes them all in the same transaction (``demo_removed``).
    ``timings`` (optional): seconds per phase of the write (store.write_transaction).
    Raises IngestRefused (writing nothing) if any file has errors, DemoRefused for demo
    data into a database with real imports, store.StoreBusy when another writer holds
    the database for longer than ``lock_timeout_s``, and store.StoreOutOfMemory when the
    write needs more memory than it may use (nothing written).

    ``actor``: who imports, for the audit and the import history (the signed-in e-mail;
    default: the operator of this process, ``cli:<os user>``). ``regions``: ALL_REGIONS
    replaces whole dates (admin, the CLI); a regional importer's regions replace only those
    regions' rows (ScopeRefused, nothing written, when the file reaches outside them)."""
    prepared = list(prepared)
    actor = actor or access.cli_operator().who
    regions = check_scope(regions)
    if not regions:
        raise ScopeRefused("no regions to import into: nothing was imported", "没有可导入的区域：未导入任何数据")
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
        if demo_ids and regions != ALL_REGIONS:
            raise ScopeRefused("the demo data is still loaded: the sales office's first company-wide import removes it; "
                               "a regional import comes after that; nothing was imported",
                               "仍载有演示数据：须先由销售管理部导入全公司数据（同时删除演示数据），之后才能进行区域导入；未导入任何数据")
        removed = [] if demo else [r.import_id for r in _remove(con, demo_ids, actor, reason="demo data: removed by a real import")]
        for i in order:
            results[i] = _commit_one(con, prepared[i], demo, actor, regions)
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


def _remove(con, import_ids: Sequence[int], actor: str, reason: str = "") -> list[RemoveResult]:
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
        n_snap += _scalar(con, "select count(*) from targets where import_id = $i", {"i": import_id})
        con.execute("delete from targets where import_id = $i", {"i": import_id})
        con.execute("delete from project_snapshots where import_id = $i", {"i": import_id})
        derived.note_visit_projects(con, import_id=import_id)  # the projects whose visits go (issue 13)
        for table in ("visits", "money_entries"):  # a visit report's or a receivables file's rows (issue 13)
            n_snap += _scalar(con, f"select count(*) from {table} where import_id = $i", {"i": import_id})
            con.execute(f"delete from {table} where import_id = $i", {"i": import_id})
        derived.visit_projects_refresh(con)
        store.note_events_removed(con, import_id)
        delete_stage_events(con, import_id)
        con.execute("update imports set status = 'removed' where import_id = $i", {"i": import_id})
        sha, as_of, regions = con.execute("select sha256, as_of, regions from imports where import_id = $i",
                                          {"i": import_id}).fetchall()[0]
        access.record(con, actor, "remove_import", import_id=import_id, file_name=file_name, sha256=sha, as_of=as_of,
                      regions=tuple(regions) if regions else ALL_REGIONS, rows={"removed": n_snap},
                      detail={"events_removed": n_ev, "reason": reason})
        out.append(RemoveResult(import_id, file_name, n_snap, n_ev))
    return out


def remove_imports(db_path: str | Path, import_ids: Sequence[int], *, lock_timeout_s: float = 60.0,
                   actor: str | None = None) -> list[RemoveResult]:
    """Take several active imports out in ONE write transaction (all or none): their
    snapshot rows and stage events go, their status becomes 'removed'. Nothing else is
    touched (an import one of them replaced stays replaced). Audited as ``actor``
    (default: the operator of this process)."""
    ids = list(dict.fromkeys(int(i) for i in import_ids))
    if not ids:
        return []
    with store.write_transaction(db_path, lock_timeout_s=lock_timeout_s) as con:
        return _remove(con, ids, actor or access.cli_operator().who)


def remove_import(db_path: str | Path, import_id: int, *, lock_timeout_s: float = 60.0,
                  actor: str | None = None) -> RemoveResult:
    """Take one active import out (``remove_imports`` with one id)."""
    return remove_imports(db_path, [import_id], lock_timeout_s=lock_timeout_s, actor=actor)[0]


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
