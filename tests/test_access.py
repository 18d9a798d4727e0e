"""Issue 10: deny by default, roles and region scope, the access list and the audit.

Real DuckDB files built by the real importer from seeds/ (the company's own imports, no
demo mark); the app through AppTest (the sign-in gate with `at.secrets` / `at.user`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard import access, store
from queries import ALL_REGIONS, Filters, ScopeMissing

EVERY_QUERY = [n for n in queries.QUERY_NAMES if n not in ("project", "ui_imports")]


@pytest.fixture(scope="module")
def company_db_file(tmp_path_factory) -> Path:
    """The seed exports imported as the company's own (ten weeks, six regions)."""
    from dashboard import demo, ingest

    path = tmp_path_factory.mktemp("company") / "pipeline.duckdb"
    ingest.commit(path, demo.prepare_seeds())
    return path


@pytest.fixture
def company_db(company_db_file, tmp_path) -> Path:
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(company_db_file, copy)
    return copy


@pytest.fixture
def cur(company_db_file):
    hub = store.ReadHub(company_db_file)
    yield hub.cursor()
    hub.close()


# --------------------------------------------------------------------------- deny by default (queries)


def test_no_scope_is_refused_never_everything(cur):
    for name in EVERY_QUERY:
        with pytest.raises(ScopeMissing):
            queries.run(cur, name, Filters())  # allowed_regions not given
        with pytest.raises(ScopeMissing):
            queries.run(cur, name, None)
    with pytest.raises(ScopeMissing):
        queries.project_detail(cur, "KA-2025-00041", Filters())


def test_an_empty_scope_is_no_region_and_all_is_explicit(cur):
    everything = queries.run(cur, "projects", Filters(allowed_regions=ALL_REGIONS))
    assert everything.get_column("region").n_unique() == 6
    for name in EVERY_QUERY:
        df = queries.run(cur, name, Filters(allowed_regions=()))
        if "reached" in df.columns:
            assert df.get_column("reached").sum() == 0, name
        elif "n_projects" in df.columns and name not in ("changes_summary",):
            assert df.get_column("n_projects").sum() == 0, name
        elif name == "changes_summary":
            assert (df.get_column("n_projects").fill_null(0) == 0).all(), name
        elif name == "win_rate":
            assert (df.get_column("n_closed").fill_null(0) == 0).all(), name
        else:
            assert df.height == 0, (name, df.head(3))
    detail = queries.project_detail(cur, "KA-2025-00041", Filters(allowed_regions=()))
    assert all(frame.height == 0 for frame in detail.values())


def test_a_region_scope_shows_that_region_only(cur):
    east = queries.run(cur, "projects", Filters(allowed_regions=("华东",)))
    assert east.height > 0 and east.get_column("region").unique().to_list() == ["华东"]
    # a forged region filter for another region does not widen it
    forged = queries.run(cur, "projects", Filters(regions=("华南",), allowed_regions=("华东",)))
    assert forged.height == 0


def test_star_mixed_with_regions_is_refused(cur):
    with pytest.raises(ValueError, match="mixes"):
        queries.run(cur, "projects", Filters(allowed_regions=("*", "华东")))


# --------------------------------------------------------------------------- deny by default (the UI's data layer)


def test_a_run_without_a_caller_reads_nothing_and_says_so(company_db, monkeypatch):
    from dashboard import data

    monkeypatch.setenv("PIPELINE_DB", str(company_db))
    lost = data.open_run(None)  # e.g. a download callable that opened its own run
    with pytest.raises(ScopeMissing):
        data.query(lost, "projects", Filters(allowed_regions=ALL_REGIONS))  # a scope in Filters is not enough
    with pytest.raises(ScopeMissing):
        data.project_detail(lost, "KA-2025-00041", Filters(allowed_regions=ALL_REGIONS))
    east = data.open_run(access.Access("east@example.com", "regional", ("华东",)))
    got = data.query(east, "projects", Filters(allowed_regions=ALL_REGIONS))  # forced to the run's scope
    assert got.get_column("region").unique().to_list() == ["华东"]
    again = data.reopen(east)  # a later thread keeps the captured caller
    assert again.access == east.access and again.cur is not east.cur


# --------------------------------------------------------------------------- matching the access list

ENTRIES = [
    ("admin@example.com", "admin", ["*"]),
    ("east@example.com", "regional", ["华东"]),
    ("group:south-sales", "regional_importer", ["华南"]),
    ("group:west-sales", "regional", ["西南", "西北"]),
    ("group:north-sales", "regional", ["华北"]),
    ("group:board", "head_office", ["*"]),
]


def test_email_wins_then_groups_and_nobody_else():
    a, _ = access.resolve(ENTRIES, "East@Example.com", ["board"])
    assert (a.who, a.role, a.regions) == ("east@example.com", "regional", ("华东",))  # the e-mail entry wins
    a, _ = access.resolve(ENTRIES, "li@example.com", ["west-sales", "north-sales"])
    assert a.role == "regional" and a.regions == ("西南", "西北", "华北")  # one role: regions united
    a, _ = access.resolve(ENTRIES, "ceo@example.com", ["board"])
    assert a.role == "head_office" and a.sees_all and not a.can_import
    a, _ = access.resolve(ENTRIES, "s@example.com", ["south-sales"])
    assert a.can_import and a.import_regions == ("华南",) and not a.is_admin


@pytest.mark.parametrize("email, groups", [
    (None, ["board"]),  # no e-mail claim
    ("", []),  # empty claim
    ("stranger@example.com", []),  # not listed
    ("stranger@example.com", ["nobody"]),
])
def test_no_identity_or_unlisted_means_no_access(email, groups):
    a, reason = access.resolve(ENTRIES, email, groups)
    assert a is None and reason


def test_groups_with_different_roles_are_ambiguous_and_give_nothing():
    a, reason = access.resolve(ENTRIES, "x@example.com", ["board", "west-sales"])
    assert a is None and "different roles" in reason


def test_entries_are_checked():
    with pytest.raises(access.AccessError):
        access.check_entry("regional", [])  # a regional role needs regions
    with pytest.raises(access.AccessError):
        access.check_entry("regional", ["*"])
    with pytest.raises(access.AccessError):
        access.check_entry("head_office", ["华东"])
    with pytest.raises(access.AccessError):
        access.check_entry("owner", ["华东"])
    with pytest.raises(access.AccessError):
        access.normalize_principal("not an address")
    assert access.check_entry("admin", []) == ALL_REGIONS
    assert access.normalize_principal(" East@Example.COM ") == "east@example.com"
    assert access.normalize_principal("group:South Sales") == "group:South Sales"


# --------------------------------------------------------------------------- the regional importer

LATEST = "2026-11-23"


def _snapshot(db: Path, as_of: str) -> pl.DataFrame:
    con = store.connect_read_only(db)
    try:
        return con.sql("select * exclude (import_id) from project_snapshots where as_of = $a order by project_id",
                       params={"a": as_of}).pl()
    finally:
        con.close()


def _prepare(name: str, df: pl.DataFrame, as_of: str):
    """The seed's latest ledger rows (a frame of project_snapshots shape) as an export."""
    from dashboard import ingest

    out = df.select(
        pl.col("project_id").alias("项目编号"), pl.col("project_name").alias("项目名称"), pl.col("customer").alias("客户名称"),
        pl.col("customer_grade").alias("客户等级"), pl.col("region").alias("区域"), pl.col("owner").alias("负责人"),
        pl.col("category").alias("项目分类"), pl.col("stage").alias("当前阶段"), pl.col("status").alias("状态"),
        pl.col("expected_amount").cast(pl.Float64).alias("预计签约金额（元）"),
        pl.col("estimated_margin").alias("预计毛利率"),
    )
    return ingest.prepare(name, out.write_csv().encode("utf-8"), as_of=pl.Series([as_of]).str.to_date()[0])


def test_a_regional_import_replaces_only_its_regions_rows_and_is_audited(company_db):
    from dashboard import ingest

    before = _snapshot(company_db, LATEST)
    south = before.filter(pl.col("region") == "华南")
    # next version of 华南: one project's amount up, one project dropped from the export
    changed = south.with_columns(pl.when(pl.arange(0, south.height) == 0).then(pl.col("expected_amount") * 2)
                                 .otherwise(pl.col("expected_amount")).alias("expected_amount")).slice(0, south.height - 1)
    prep = _prepare("south.csv", changed, LATEST)
    assert prep.ok, prep.messages()
    [res] = ingest.commit(company_db, [prep], actor="south@example.com", regions=("华南",))
    after = _snapshot(company_db, LATEST)
    others_before = before.filter(pl.col("region") != "华南")
    others_after = after.filter(pl.col("region") != "华南")
    assert others_after.equals(others_before)  # every other region's rows: equal, value for value
    assert after.filter(pl.col("region") == "华南").height == south.height - 1
    # (this export lacks some columns, so most rows count as changed; none were added)
    assert (res.rows_added, res.rows_removed) == (0, 1) and res.regions == ("华南",)
    assert res.rows_changed + res.rows_unchanged == south.height - 1 and res.rows_changed >= 1
    con = store.connect_read_only(company_db)
    try:
        audit = queries.runner.run_plain(con, "audit_log", limit=1).row(0, named=True)
        imp = con.sql("select imported_by, regions, status from imports where import_id = $i",
                      params={"i": res.import_id}).fetchall()[0]
        older = con.sql("select status from imports where as_of = $a and import_id <> $i",
                        params={"a": LATEST, "i": res.import_id}).fetchall()
    finally:
        con.close()
    assert (audit["actor"], audit["action"], audit["import_id"], audit["regions"]) == (
        "south@example.com", "import", res.import_id, ["华南"])
    assert audit["sha256"] == prep.report.sha256
    assert (audit["rows_added"], audit["rows_removed"], audit["rows_changed"]) == (0, 1, res.rows_changed)
    assert imp == ("south@example.com", ["华南"], "active")
    assert ("active",) in older  # the company-wide import still holds the other regions' rows


def test_a_regional_file_reaching_outside_is_refused_naming_the_rows(company_db):
    from dashboard import ingest

    before_bytes = company_db.read_bytes()
    snap = _snapshot(company_db, LATEST)
    east_row = snap.filter(pl.col("region") == "华东").head(1)
    mixed = pl.concat([snap.filter(pl.col("region") == "华南"), east_row])
    with pytest.raises(ingest.ScopeRefused) as err:
        ingest.commit(company_db, [_prepare("mixed.csv", mixed, LATEST)], actor="south@example.com", regions=("华南",))
    assert east_row["project_id"][0] in str(err.value) and "华东" in str(err.value) and "华东" in err.value.zh
    # a 华东 project relabelled 华南 (its id is 华东's on that date): refused too
    moved = pl.concat([snap.filter(pl.col("region") == "华南"), east_row.with_columns(pl.lit("华南").alias("region"))])
    with pytest.raises(ingest.ScopeRefused, match=east_row["project_id"][0]):
        ingest.commit(company_db, [_prepare("moved.csv", moved, LATEST)], actor="south@example.com", regions=("华南",))
    # a date with no company-wide snapshot yet
    with pytest.raises(ingest.ScopeRefused, match="no company-wide snapshot"):
        ingest.commit(company_db, [_prepare("new-week.csv", snap.filter(pl.col("region") == "华南"), "2026-11-30")],
                      actor="south@example.com", regions=("华南",))
    assert company_db.read_bytes() == before_bytes  # nothing written


def test_removal_and_access_changes_are_audited(company_db):
    from dashboard import ingest

    access.grant(company_db, "East@Example.com", "regional", ["华东"], actor="admin@example.com")
    access.grant(company_db, "east@example.com", "regional", ["华东", "华北"], actor="admin@example.com")
    assert access.revoke(company_db, "east@example.com", actor="admin@example.com")
    assert not access.revoke(company_db, "east@example.com", actor="admin@example.com")
    con = store.connect_read_only(company_db)
    first = con.sql("select min(import_id) from imports where kind = 'projects'").fetchall()[0][0]
    con.close()
    ingest.remove_import(company_db, first, actor="admin@example.com")
    con = store.connect_read_only(company_db)
    try:
        rows = queries.runner.run_plain(con, "audit_log", limit=4).sort("audit_id")
        entries = access.entries(con)
    finally:
        con.close()
    assert entries == []
    assert rows.get_column("action").to_list() == ["access_grant", "access_grant", "access_revoke", "remove_import"]
    assert set(rows.get_column("actor")) == {"admin@example.com"}
    assert '"before": {"role": "regional", "regions": ["华东"]}' in rows.get_column("detail")[1]
    assert rows.get_column("import_id")[3] == first and rows.get_column("rows_removed")[3] > 0
