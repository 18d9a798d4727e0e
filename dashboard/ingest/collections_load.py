"""Writing a prepared receivables file (issue 13; the rules: dashboard/ingest/collections.py).

``commit_one`` runs inside ``load.commit``'s write transaction. A file replaces every
stored money entry of the projects it names, whichever import wrote them (a ledger is the
project's whole money record); an import left with no rows becomes 'replaced'. A regional
importer may write only projects that are in their regions (by the project's latest
snapshot row); projects no snapshot knows are written, counted in the result, and seen
only by a company-wide scope (they have no region). No streamlit.
"""

from __future__ import annotations

import polars as pl

from dashboard import access
from dashboard.ingest.collections import ENTRY_SCHEMA, KIND
from dashboard.ingest.load import CommitResult, ScopeRefused
from dashboard.ingest.visits_load import retire_emptied
from queries.filters import ALL_REGIONS


class CollectionResult(CommitResult):
    """A CommitResult that also names the projects no snapshot knows."""

    unknown_projects: list[str]

    def message(self, lang: str = "en") -> str:
        if self.outcome == "unchanged":
            return super().message(lang)
        d = self.as_of.isoformat() if self.as_of else "-"
        unknown = getattr(self, "unknown_projects", [])
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        if lang == "zh":
            head = f"{self.file_name}：已导入为第 {self.import_id} 次导入（回款，{d}），{self.rows_added} 条款项"
            if self.rows_removed:
                head += f"，替换了这些项目已有的 {self.rows_removed} 条款项"
            return head + (f"；{len(unknown)} 个项目编号不在任何快照中（{shown}）：只有全公司范围可见" if unknown else "")
        head = f"{self.file_name}: imported as import {self.import_id} (collections, {d}), {self.rows_added} entries"
        if self.rows_removed:
            head += f", replacing {self.rows_removed} stored entries of these projects"
        return head + (f"; {len(unknown)} project ids are in no snapshot ({shown}): seen only company-wide" if unknown else "")


def commit_one(con, prep, *, import_id: int, actor: str, regions: tuple[str, ...], demo: bool,
               insert_import) -> CollectionResult:
    """Write one prepared receivables file inside the caller's transaction (load._commit_one)."""
    r = prep.report
    regional = regions != ALL_REGIONS
    entries = prep.tables.get(KIND, pl.DataFrame(schema=ENTRY_SCHEMA)).cast(ENTRY_SCHEMA)
    known = con.sql(
        "select project_id, arg_max(region, as_of) as region from project_snapshots "
        "where import_id in (select import_id from imports where status = 'active') group by project_id").pl()
    projects = entries.select("project_id").unique().join(known, on="project_id", how="left")
    unknown = sorted(projects.filter(pl.col("region").is_null() & ~pl.col("project_id").is_in(known["project_id"].implode()))
                     ["project_id"].to_list())
    if regional:
        outside = projects.filter(pl.col("region").is_null() | ~pl.col("region").is_in(list(regions)))
        if outside.height:
            shown = ", ".join(f"{p} ({reg or '–'})" for p, reg in outside.sort("project_id").head(20).iter_rows())
            raise ScopeRefused(
                f"{r.file_name}: {outside.height} projects lie outside your regions ({', '.join(regions)}): {shown}; "
                "nothing was imported",
                f"{r.file_name}：有 {outside.height} 个项目不属于您的区域（{'、'.join(regions)}）：{shown}；未导入任何数据")
    con.register("_money_projects", projects.select("project_id").to_arrow())
    try:
        prior = [row[0] for row in con.execute(
            "select distinct import_id from money_entries where project_id in (select project_id from _money_projects) "
            "order by 1").fetchall()]
        removed = con.execute("select count(*) from money_entries where project_id in "
                              "(select project_id from _money_projects)").fetchall()[0][0]
        con.execute("delete from money_entries where project_id in (select project_id from _money_projects)")
    finally:
        con.unregister("_money_projects")
    emptied = retire_emptied(con, prior, "money_entries")
    insert_import(con, import_id, r, KIND, demo, actor, regions)
    con.register("_incoming_money", entries.to_arrow())
    try:
        con.execute("insert into money_entries by name select *, $id::integer as import_id from _incoming_money", {"id": import_id})
    finally:
        con.unregister("_incoming_money")
    result = CollectionResult(r.file_name, import_id, KIND, r.as_of, "replaced" if removed else "added",
                              rows_added=entries.height, rows_removed=removed, replaced_import_ids=emptied, regions=regions)
    result.unknown_projects = unknown
    access.record(con, actor, "import", import_id=import_id, file_name=r.file_name, sha256=r.sha256, as_of=r.as_of,
                  regions=regions, rows={"added": entries.height, "removed": removed, "changed": 0},
                  detail={"kind": KIND, "outcome": result.outcome, "replaced_imports": emptied, "demo": demo,
                          "unknown_projects": unknown[:50]})
    return result
