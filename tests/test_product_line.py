"""A filter dimension added end to end (issue 11, item 2): the product line (项目产品线) is an
optional column of the projects export. Proved on real files through every path a user
takes: a GB18030 CSV with Chinese headers read by the importer into a real DuckDB file, an
English XLSX, an older export without the column; then the queries (filter, ``--by``), the
command line (``--product-line``) and the app's sidebar and URL (AppTest, zh and en).

Expected values are counted by hand from the rows below."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

import queries
from dashboard import cli, store
from dashboard.ingest import commit, prepare
from queries.dimensions import DIMENSIONS, KEYS

st_config.set_option("server.address", "127.0.0.1")  # AppTest as the local `make run` (tests/test_app_pages.py)
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py")

OLD, NEW = date(2026, 11, 16), date(2026, 11, 23)

# The older export has no product line column (as every export before it existed).
OLD_CSV = (
    "项目编号,项目名称,客户名称,客户等级,区域,负责人,项目分类,当前阶段,状态,预计签约金额(万元)\n"
    "P1,园区一期,甲公司,A,华东,张三,工程,提案,进行中,100\n"
    "P2,机房改造,乙公司,B,华东,李四,工程,客户开发,进行中,50\n"
    "P3,调度系统,丙公司,A,华南,王五,软件,招投标,进行中,80\n"
).encode("gb18030")

# The newer one has it, under its Chinese header; P4 has none (a blank cell = no value).
NEW_CSV = (
    "项目编号,项目名称,客户名称,客户等级,区域,负责人,项目分类,项目产品线,当前阶段,状态,预计签约金额(万元)\n"
    "P1,园区一期,甲公司,A,华东,张三,工程,智慧园区,招投标,进行中,100\n"
    "P2,机房改造,乙公司,B,华东,李四,工程,数据中心,提案,进行中,50\n"
    "P3,调度系统,丙公司,A,华南,王五,软件,智慧园区,商务谈判,进行中,80\n"
    "P4,港口监控,丁公司,C,华南,王五,软件,,客户开发,进行中,30\n"
).encode("gb18030")


def _xlsx(rows: list[list[object]]) -> bytes:
    buf = io.BytesIO()
    pl.DataFrame(rows[1:], schema=rows[0], orient="row").write_excel(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("product_line") / "pipeline.duckdb"
    old = prepare("2026-11-16_ledger.csv", OLD_CSV)
    new = prepare("2026-11-23_ledger.csv", NEW_CSV)
    assert old.ok and new.ok, (old.report.errors, new.report.errors)
    commit(path, [old])
    commit(path, [new])
    return path


def _run(db: Path, name: str, as_of: date = NEW, by: str | None = None, **dims) -> pl.DataFrame:
    con = store.connect_read_only(db)
    try:
        extra = {"by": by} if by else {}
        return queries.run(con, name, queries.Filters(as_of=as_of, allowed_regions=queries.ALL_REGIONS, **dims), **extra)
    finally:
        con.close()


def test_the_registry_and_the_sql_name_the_same_dimensions():
    sql = (Path(queries.__file__).parent / "macros" / "dimensions.sql").read_text(encoding="utf-8")
    macros = {part.split("(", 1)[0].strip(): part for part in sql.split("create or replace macro ")[1:]}
    # a key missing from one macro would be a filter silently ignored, or a --by value giving nulls
    for name in ("in_scope", "segment_of"):
        for key in KEYS:
            assert f"r.{key}" in macros[name], (name, key)
    assert [d.key for d in DIMENSIONS if d.optional] == ["product_line"]


def test_the_importer_reads_the_column_by_its_chinese_header_and_an_old_export_stays_without(db):
    rows = {r["project_id"]: r["product_line"] for r in _run(db, "projects").to_dicts()}
    assert rows == {"P1": "智慧园区", "P2": "数据中心", "P3": "智慧园区", "P4": None}
    old = {r["project_id"]: r["product_line"] for r in _run(db, "projects", as_of=OLD).to_dicts()}
    assert old == {"P1": None, "P2": None, "P3": None}  # never back-filled from a later export


def test_an_english_workbook_names_it_product_line():
    prep = prepare("2026-11-30_ledger.xlsx", _xlsx([
        ["Opportunity ID", "Opportunity Name", "Region", "Owner", "Stage", "Status", "Amount", "Product Line"],
        ["E1", "Smart port", "East", "Ann", "tender", "open", 1000, "Ports"],
    ]), as_of=date(2026, 11, 30))
    assert prep.ok, prep.report.errors
    assert prep.projects.get_column("product_line").to_list() == ["Ports"]


def test_the_filter_options_offer_the_values_of_the_snapshot_and_nothing_for_the_old_one(db):
    con = store.connect_read_only(db)
    try:
        assert queries.filter_options(con, NEW, queries.ALL_REGIONS)["product_line"] == ["数据中心", "智慧园区"]
        assert queries.filter_options(con, OLD, queries.ALL_REGIONS)["product_line"] == []
    finally:
        con.close()


def test_filtering_and_segmenting_by_product_line(db):
    park = _run(db, "projects", product_line=("智慧园区",))
    assert sorted(park.get_column("project_id").to_list()) == ["P1", "P3"]
    # combined with another dimension: 智慧园区 in 华南 = P3 only
    assert _run(db, "projects", product_line=("智慧园区",), region=("华南",)).get_column("project_id").to_list() == ["P3"]
    # the funnel by product line: every project counted once in its segment, P4 under null
    funnel = _run(db, "funnel", by="product_line")
    first = funnel.filter(pl.col("stage_order") == 1)
    reached = {r["segment"]: r["reached"] for r in first.to_dicts()}
    assert reached == {"智慧园区": 2, "数据中心": 1, None: 1}
    total = _run(db, "funnel").filter(pl.col("stage_order") == 1).get_column("reached").to_list()
    assert total == [4]


def test_the_command_line_takes_product_line_as_filter_and_as_by(db, capsys):
    assert cli.main(["query", "projects", "--db", str(db), "--product-line", "数据中心", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["project_id"] for r in rows] == ["P2"]
    assert cli.main(["query", "margin_summary", "--db", str(db), "--by", "product_line", "--format", "json"]) == 0
    segments = {r["segment"] for r in json.loads(capsys.readouterr().out)}
    assert segments == {"智慧园区", "数据中心", None}


@pytest.mark.parametrize("lang,label", [("zh", "项目产品线"), ("en", "Product line")])
def test_the_sidebar_offers_it_bound_to_the_url_in_either_language(db, monkeypatch, lang, label):
    monkeypatch.setenv("PIPELINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["product_line"] = "智慧园区"  # a shared link naming a product line
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    picker = at.multiselect(key="product_line")
    assert picker.label == label and picker.value == ["智慧园区"]
    projects = [m for m in at.metric if m.label in ("在跟项目数", "Open projects")]
    assert projects and projects[0].value == "2"  # P1 and P3, not the four of the snapshot


def test_the_sidebar_hides_it_while_no_export_has_a_product_line(tmp_path, monkeypatch):
    path = tmp_path / "pipeline.duckdb"
    commit(path, [prepare("2026-11-16_ledger.csv", OLD_CSV)])
    monkeypatch.setenv("PIPELINE_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    keys = {m.key for m in at.multiselect}
    assert {"region", "grade", "owner", "category"} <= keys and "product_line" not in keys
