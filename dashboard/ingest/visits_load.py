"""Writing a prepared visit report (issue 13; the rules: dashboard/ingest/visits.py).

``commit_one`` runs inside ``load.commit``'s write transaction (``load._commit_one`` hands
it every 'visits' file that is not already imported as it is). Kept apart from visits.py
so the parsing child process never imports duckdb or the write path. No streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard import access
from dashboard.ingest.load import CommitResult, ScopeRefused
from dashboard.ingest.visits import KIND, VISIT_SCHEMA, customer_key, empty_visits
from queries import derived
from queries.filters import ALL_REGIONS


# --- writing ----------------------------------------------------------------------------------


@dataclass
class VisitCounts:
    by_id: int = 0
    by_name: int = 0
    unknown_id: int = 0
    ambiguous: int = 0
    unmatched: int = 0


def _project_index(con) -> pl.DataFrame:
    """project_id, customer_key, region of every project in an active import (its latest row)."""
    latest = con.sql(
        "select project_id, arg_max(customer, as_of) as customer, arg_max(region, as_of) as region "
        "from project_snapshots where import_id in (select import_id from imports where status = 'active') "
        "group by project_id"
    ).pl()
    return latest.with_columns(customer_key=customer_key(latest["customer"]))


def match_projects(visits: pl.DataFrame, projects: pl.DataFrame) -> pl.DataFrame:
    """``visits`` with project_id and match_status (module docstring), region filled from the
    matched project where the file gave none, and project_region (the matched project's,
    not stored: where the visit is seen). Pure: tests call it directly."""
    ids = projects.select("project_id", pl.col("region").alias("_id_region"))
    by_name = (projects.filter(pl.col("customer_key").is_not_null())
               .group_by("customer_key")
               .agg(pl.len().alias("_n"), pl.col("project_id").first().alias("_name_pid"),
                    pl.col("region").first().alias("_name_region")))
    v = (visits.with_row_index("_i")
         .join(ids, left_on="project_id_given", right_on="project_id", how="left")
         .with_columns(_id_known=pl.col("project_id_given").is_in(ids["project_id"].implode()))
         .join(by_name, on="customer_key", how="left")
         .sort("_i"))
    status = (pl.when(pl.col("project_id_given").is_not_null())
              .then(pl.when(pl.col("_id_known")).then(pl.lit("id")).otherwise(pl.lit("unknown_id")))
              .when(pl.col("_n") == 1).then(pl.lit("name"))
              .when(pl.col("_n") > 1).then(pl.lit("ambiguous"))
              .otherwise(pl.lit("unmatched")))
    v = v.with_columns(match_status=status)
    pid = (pl.when(pl.col("match_status") == "id").then(pl.col("project_id_given"))
           .when(pl.col("match_status") == "name").then(pl.col("_name_pid")))
    region = (pl.when(pl.col("match_status") == "id").then(pl.col("_id_region"))
              .when(pl.col("match_status") == "name").then(pl.col("_name_region")))
    return v.with_columns(project_id=pid, project_region=region, region=pl.coalesce(pl.col("region"), region)).drop(
        "_i", "_id_region", "_id_known", "_n", "_name_pid", "_name_region")


def commit_one(con, prep, *, import_id: int, actor: str, regions: tuple[str, ...], demo: bool, insert_import):
    """Write one prepared visit report inside the caller's transaction (load._commit_one:
    ``import_id`` is the new import's, ``insert_import`` writes its imports row)."""
    r = prep.report
    regional = regions != ALL_REGIONS
    visits = match_projects(prep.tables.get(KIND, empty_visits()).cast(VISIT_SCHEMA), _project_index(con))
    counts = visits.group_by("match_status").len()
    n_of = dict(counts.iter_rows())
    # a visit is seen where its project is (queries: visits_scoped), else in its own region
    scope_region = pl.coalesce(pl.col("project_region"), pl.col("region"))
    if regional:
        outside = visits.filter(scope_region.is_null() | ~scope_region.is_in(list(regions)))
        if outside.height:
            shown = ", ".join(f"{row} ({reg or '–'})" for row, reg in outside.select("source_row", scope_region).head(20).iter_rows())
            raise ScopeRefused(
                f"{r.file_name}: {outside.height} visits lie outside your regions ({', '.join(regions)}) or name no region "
                f"(rows {shown}); nothing was imported",
                f"{r.file_name}：有 {outside.height} 条拜访不属于您的区域（{'、'.join(regions)}）或没有区域（第 {shown} 行）；未导入任何数据")
    spans = visits.group_by("reporter").agg(first=pl.col("visit_on").min(), last=pl.col("visit_on").max())
    con.register("_visit_spans", spans.to_arrow())
    try:
        covered = ("from visits v join _visit_spans s on s.reporter = v.reporter "
                   "and v.visit_on between s.first and s.last")
        if regional:
            foreign = con.execute(f"select count(*) {covered} where v.region is null or not list_contains($r, v.region)",
                                  {"r": list(regions)}).fetchall()[0][0]
            if foreign:
                raise ScopeRefused(
                    f"{r.file_name}: it would replace {foreign} stored visits of these people and dates in other regions; "
                    "nothing was imported",
                    f"{r.file_name}：会替换这些人在这些日期里属于其他区域的 {foreign} 条已有拜访；未导入任何数据")
        prior = [row[0] for row in con.execute(f"select distinct v.import_id {covered} order by 1").fetchall()]
        derived.note_visit_projects(con)  # the projects whose visits this replaces, and (below) those it adds
        con.execute(f"insert into _visit_projects_changed select distinct v.project_id {covered} where v.project_id is not null")
        removed = con.execute(f"select count(*) {covered}").fetchall()[0][0]
        con.execute("delete from visits where rowid in (select v.rowid " + covered + ")")
    finally:
        con.unregister("_visit_spans")
    emptied = retire_emptied(con, prior, "visits")
    insert_import(con, import_id, r, KIND, demo, actor, regions)
    con.register("_incoming_visits", visits.drop("project_region").to_arrow())
    try:
        con.execute("insert into visits by name select *, $id::integer as import_id from _incoming_visits", {"id": import_id})
        con.execute("insert into _visit_projects_changed select distinct project_id from _incoming_visits "
                    "where project_id is not null")
    finally:
        con.unregister("_incoming_visits")
    derived.visit_projects_refresh(con)
    result = VisitResult(r.file_name, import_id, KIND, r.as_of, "replaced" if removed else "added",
                         rows_added=visits.height, rows_removed=removed, replaced_import_ids=emptied, regions=regions)
    result.counts = VisitCounts(by_id=n_of.get("id", 0), by_name=n_of.get("name", 0), unknown_id=n_of.get("unknown_id", 0),
                                ambiguous=n_of.get("ambiguous", 0), unmatched=n_of.get("unmatched", 0))
    access.record(con, actor, "import", import_id=import_id, file_name=r.file_name, sha256=r.sha256, as_of=r.as_of,
                  regions=regions, rows={"added": visits.height, "removed": removed, "changed": 0},
                  detail={"kind": KIND, "outcome": result.outcome, "replaced_imports": emptied, "demo": demo,
                          "matched": result.counts.__dict__})
    return result


def retire_emptied(con, prior: list[int], table: str) -> list[int]:
    """Of the imports in ``prior`` (whose rows a file just replaced), those left with no row
    in ``table`` (one of our two table names) become 'replaced'; returns them."""
    assert table in ("visits", "money_entries")
    emptied = [i for i in prior if not con.execute(f"select count(*) from {table} where import_id = $i", {"i": i}).fetchall()[0][0]]
    for old in emptied:
        con.execute("update imports set status = 'replaced' where import_id = $i", {"i": old})
    return emptied


class VisitResult(CommitResult):
    """A CommitResult that also says how the visits were matched to projects."""

    counts: VisitCounts

    def message(self, lang: str = "en") -> str:
        c = getattr(self, "counts", None)
        d = self.as_of.isoformat() if self.as_of else "-"
        if self.outcome == "unchanged":
            return super().message(lang)
        if lang == "zh":
            head = f"{self.file_name}：已导入为第 {self.import_id} 次导入（拜访报告，截至 {d}），{self.rows_added} 条拜访"
            if self.rows_removed:
                head += f"，替换了这些人在这些日期的 {self.rows_removed} 条已有拜访"
            if c:
                head += (f"；按项目编号匹配 {c.by_id} 条，按客户名称匹配 {c.by_name} 条，未匹配 {c.unmatched} 条，"
                         f"客户对应多个项目（未匹配）{c.ambiguous} 条，项目编号不存在 {c.unknown_id} 条")
            return head
        head = f"{self.file_name}: imported as import {self.import_id} (visit report, up to {d}), {self.rows_added} visits"
        if self.rows_removed:
            head += f", replacing {self.rows_removed} stored visits of these people and dates"
        if c:
            head += (f"; matched by project id {c.by_id}, by customer name {c.by_name}, not matched {c.unmatched}, "
                     f"customer of several projects (not matched) {c.ambiguous}, unknown project id {c.unknown_id}")
        return head
