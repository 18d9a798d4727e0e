"""Issue 10: deny by default, roles and region scope, the access list and the audit.

Real DuckDB files built by the real importer from seeds/ (the company's own imports, no
demo mark); the app through AppTest (the sign-in gate with `at.secrets` / `at.user`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard import access, store
from queries import ALL_REGIONS, Filters, ScopeMissing

EVERY_QUERY = [n for n in queries.QUERY_NAMES if n not in ("project", "import_history")]


@pytest.fixture
def company_db_file(company_seed_db) -> Path:
    """The seed exports imported as the company's own (ten weeks, six regions): read only."""
    return company_seed_db


@pytest.fixture
def company_db(company_db_copy) -> Path:
    return company_db_copy


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
        elif name in ("forecast", "backtest", "slips_summary", "trends", "visits_summary", "collections_summary"):
            # one row per period / snapshot date (the calendar, not data): every figure 0 or empty
            measures = [c for c, t in df.schema.items() if t.is_numeric() and c != "period_offset"]
            assert measures and all(df.get_column(c).fill_null(0).abs().sum() == 0 for c in measures), (name, df.head(3))
        else:
            assert df.height == 0, (name, df.head(3))
    detail = queries.project_detail(cur, "KA-2025-00041", Filters(allowed_regions=()))
    assert all(frame.height == 0 for frame in detail.values())


def test_a_region_scope_shows_that_region_only(cur):
    east = queries.run(cur, "projects", Filters(allowed_regions=("华东",)))
    assert east.height > 0 and east.get_column("region").unique().to_list() == ["华东"]
    # a forged region filter for another region does not widen it
    forged = queries.run(cur, "projects", Filters(region=("华南",), allowed_regions=("华东",)))
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
    assert a is None and reason == "conflicting_roles:head_office,regional"
    from dashboard import i18n

    assert i18n.no_access_reason(reason, "zh") == "访问名单为您所在的组给出了不同的角色（总部, 区域经理）：需由销售管理部确定"
    assert i18n.no_access_reason("not_listed", "en") == "not on the access list"


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
    stamp = company_db.stat().st_mtime_ns
    assert not access.revoke(company_db, "east@example.com", actor="admin@example.com")
    assert company_db.stat().st_mtime_ns == stamp  # nothing to revoke: the file is not rewritten
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


# --------------------------------------------------------------------------- the sign-in gate (the real app, AppTest)

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py")
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
                 "client_id": "dashboard", "client_secret": "s",
                 "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}}


@pytest.fixture
def app_db(company_db, monkeypatch) -> Path:
    access.grant(company_db, "east@example.com", "regional", ["华东"], actor="admin@example.com")
    access.grant(company_db, "group:south-sales", "regional_importer", ["华南"], actor="admin@example.com")
    access.grant(company_db, "ceo@example.com", "head_office", [], actor="admin@example.com")
    monkeypatch.setenv("PIPELINE_DB", str(company_db))
    return company_db


@pytest.fixture
def address():
    from streamlit import config

    before = config.get_option("server.address")
    yield lambda value: config.set_option("server.address", value)
    config.set_option("server.address", before)


def _app(user: dict | None = None, secrets: dict | None = None, page: str | None = None, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    if secrets is not None:
        at.secrets.update(secrets)
    if user is not None:
        at.user = user
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _no_data(at) -> None:
    assert len(at.metric) == 0 and len(at.dataframe) == 0 and len(at.get("arrow_vega_lite_chart")) == 0


def test_without_sign_in_a_network_address_is_refused_with_how_to(app_db, address, monkeypatch):
    address("0.0.0.0")
    at = _app()
    assert "secrets.toml" in at.error[0].value and "[auth]" in at.code[0].value
    _no_data(at)
    monkeypatch.setenv("PIPELINE_UNSAFE_NO_SIGN_IN_ON_NETWORK", "1")  # the loud override
    assert len(_app().metric) > 0
    address("127.0.0.1")
    at = _app()
    assert "未登录的本机模式" in at.markdown[0].value and len(at.metric) > 0  # said on every page


def test_anonymous_sees_only_the_sign_in_page(app_db, address):
    address("0.0.0.0")  # with [auth], any address
    at = _app(secrets=AUTH)
    assert [b.label for b in at.button] == ["登录"]
    _no_data(at)


def test_incomplete_auth_is_refused_never_local_mode(app_db, address):
    address("127.0.0.1")
    at = _app(secrets={"auth": {"redirect_uri": "http://localhost:8501/oauth2callback"}})
    assert "cookie_secret" in at.error[0].value
    _no_data(at)


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "stranger@example.com"},
    {"is_logged_in": True, "email": "", "groups": ["board"]},  # empty claim
    {"is_logged_in": True},  # no e-mail claim at all
])
def test_signed_in_but_unlisted_sees_no_data(app_db, address, user):
    address("0.0.0.0")
    at = _app(user=user, secrets=AUTH)
    assert "联系销售管理部" in at.warning[0].value
    _no_data(at)


def test_a_regional_manager_sees_their_region_only_and_no_data_page(app_db, address):
    address("0.0.0.0")
    east = {"is_logged_in": True, "email": "east@example.com"}
    at = _app(user=east, secrets=AUTH)
    assert at.multiselect(key="region").options == ["华东"]
    # a forged region in the URL and a 华南 project link: nothing of 华南
    at = _app(user=east, secrets=AUTH, region="华南")
    assert at.multiselect(key="region").value == []
    con = store.connect_read_only(app_db)
    south_pid = con.sql("select project_id from project_snapshots where region = '华南' limit 1").fetchall()[0][0]
    con.close()
    at = _app(user=east, secrets=AUTH, page="project", project=south_pid)
    assert [w.value for w in at.warning] == ["在您可见的数据中没有该项目编号。"]  # i18n project_unknown
    assert len(at.metric) == 0
    at2 = _app(user=east, secrets=AUTH)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at2.switch_page("app_pages/data_page.py").run()  # not in this caller's navigation


def test_a_regional_importer_sees_only_their_imports(app_db, address):
    address("0.0.0.0")
    south = {"is_logged_in": True, "email": "s@example.com", "groups": ["south-sales"]}
    at = _app(user=south, secrets=AUTH, page="data_page")
    assert "华南" in at.info[0].value  # what their import replaces
    assert at.dataframe == [] or all(len(df.value) == 0 for df in at.dataframe)  # none of theirs yet
    assert not [b for b in at.button if b.key in ("data_remove", "data_remove_demo")]
    assert at.multiselect(key="region").options == ["华南"]
