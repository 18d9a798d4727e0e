"""Real third-party CRM exports from ../shared/data (never copied into the repo), imported
through the shipped mappings in mappings/. Skipped with a reason when that folder is absent."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dashboard import store
from dashboard.ingest import commit, load_mapping, prepare

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
AS_OF = date(2017, 12, 31)


def _maven(shared: Path):
    mapping, notes = load_mapping(MAPPINGS / "maven-crm.toml").resolve_lookups(shared / "maven-crm")
    assert notes == []
    return mapping


def _prepare(path: Path, mapping=None, as_of=AS_OF):
    return prepare(path.name, path.read_bytes(), as_of=as_of, mapping=mapping)


@pytest.fixture(scope="module")
def maven_pipeline():
    if not SHARED_DATA.is_dir():  # the same place and message as conftest's shared_data
        pytest.skip(f"third-party CRM exports not found at {SHARED_DATA} (they live outside the repo)")
    return _prepare(SHARED_DATA / "maven-crm" / "sales_pipeline.csv", _maven(SHARED_DATA))


def test_the_maven_pipeline_imports_all_8800_opportunities_through_its_mapping(maven_pipeline, db_path):
    p = maven_pipeline
    assert p.ok, p.messages()
    assert (p.report.rows_read, p.report.rows_accepted, p.report.mapping_name) == (8800, 8800, "maven-crm")
    assert {c.how for c in p.report.columns} == {"mapping"}
    by_status = dict(p.projects.group_by("status").len().iter_rows())
    assert by_status == {"won": 4238, "lost": 2473, "open": 2089}
    assert p.projects.filter(pl.col("status") == "won")["stage"].unique().to_list() == ["delivery"]
    # region from sales_teams.csv (agent -> regional office): every agent is known
    assert sorted(p.projects["region"].unique().to_list()) == ["Central", "East", "West"]
    assert p.events.height == p.projects["project_id"].n_unique() - 500  # Prospecting deals have no engage date
    [res] = commit(db_path, [p])
    assert res.rows_added == 8800
    con = store.connect_read_only(db_path)
    assert con.execute("select count(*), count(distinct region) from project_snapshots").fetchall() == [(8800, 3)]
    con.close()


def test_the_maven_variant_with_month_first_dates_reads_the_same_dates(shared_data, maven_pipeline):
    iso = maven_pipeline
    mdy = _prepare(shared_data / "maven-crm" / "variants" / "sales_pipeline_mdy_dates_lf.csv", _maven(shared_data))
    assert mdy.ok, mdy.messages()
    assert mdy.report.date_orders == {"engage_date": "MDY", "close_date": "MDY"}
    assert mdy.projects.equals(iso.projects)
    assert mdy.events.equals(iso.events)


def test_the_ragged_multi_table_csv_saved_from_excel_is_refused_naming_lines(shared_data):
    p = _prepare(shared_data / "maven-crm" / "variants" / "data_dictionary_excel_layout.csv", _maven(shared_data))
    assert not p.ok
    first = p.report.errors[0]
    assert first.code == "duplicate_header" and first.row == 5
    assert any(w.code == "several_tables" for w in p.report.warnings)
    assert all(e.row for e in p.report.errors)
    assert "row 5" in p.messages("en")[0] and "第 5 行" in p.messages("zh")[0]


def test_the_maven_workbook_is_read_from_its_pipeline_sheet_not_the_pivots(shared_data):
    p = _prepare(shared_data / "maven-crm" / "variants" / "maven_crm_excel_workbook_ThomasKieny.xlsx", _maven(shared_data))
    assert p.ok, p.messages()
    assert p.report.sheet == "sales_pipeline"
    assert set(p.report.sheets_considered) >= {"sales_teams", "sales_pipeline", "Q1", "Q4"}
    assert p.report.rows_accepted == 8800
    assert p.projects.filter(pl.col("project_id") == "1C1I7A6R").select("expected_sign_on", "status").rows() == [
        (date(2017, 3, 1), "won")
    ]


def test_salesforce_opportunities_and_their_history_import_and_duplicates_do_not_inflate(shared_data, db_path):
    sf = shared_data / "sf-devorg-sample"
    opp = _prepare(sf / "Opportunity.csv", load_mapping(MAPPINGS / "salesforce-opportunity.toml"))
    hist = _prepare(sf / "OpportunityHistory.csv", load_mapping(MAPPINGS / "salesforce-history.toml"))
    assert opp.ok and hist.ok, opp.messages() + hist.messages()
    assert opp.projects.height == 31 and opp.report.kind == "projects"
    assert hist.report.kind == "history" and hist.report.rows_read == 62
    raw = list(csv.DictReader(io.StringIO((sf / "OpportunityHistory.csv").read_text("utf-8"))))
    distinct = {(r["OpportunityId"], r["StageName"], r["CreatedDate"][:10]) for r in raw if r["StageName"] != "Closed Lost"}
    assert hist.events.height == len(distinct) == 31
    assert hist.report.skipped  # the repeats are counted, with their reason
    assert opp.projects.filter(pl.col("status") == "won")["stage"].unique().to_list() == ["delivery"]
    assert opp.projects["created_on"].drop_nulls().to_list()[0] == date(2018, 10, 13)  # '2018-10-13 17:16:45'
    res = commit(db_path, [opp, hist])
    assert [r.kind for r in res] == ["projects", "history"]
    con = store.connect_read_only(db_path)
    assert con.execute("select count(*), count(distinct (project_id, stage, entered_on)) from stage_events").fetchall() == [(31, 31)]
    con.close()


def test_odoos_two_fields_both_translated_as_closing_date_are_reported_not_merged(shared_data, tmp_path):
    labels = list(csv.DictReader(io.StringIO((shared_data / "odoo-crm" / "odoo_crm_lead_fields_en_zh.csv").read_text("utf-8"))))
    header = ["商机编号"] + [row["export_label_zh_CN"] for row in labels]
    assert header.count("关闭日期") == 2
    path = tmp_path / "odoo_商机导出.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["L1"] + [""] * len(labels)) + "\n", encoding="utf-8")
    p = _prepare(path)
    dup = [e for e in p.report.errors if e.code == "duplicate_header"]
    assert len(dup) == 1 and dup[0].column == "关闭日期"
    assert "关闭日期" in dup[0].text("zh") and "both called '关闭日期'" in dup[0].text("en")


CROSSWALK_FIELDS = {
    "opportunity_name": "project_name",
    "account_name": "customer",
    "stage": "stage",
    "amount": "expected_amount",
    "expected_close_date": "expected_sign_on",
    "owner": "owner",
    "lost_reason": "lost_reason",
}


def test_the_headers_real_crms_write_for_our_fields_are_recognised_without_a_mapping(shared_data, tmp_path):
    crosswalk = shared_data / "chinese-crm-formats" / "opportunity_header_crosswalk.csv"
    rows = list(csv.DictReader(io.StringIO(crosswalk.read_text("utf-8"))))
    headers = {}
    for row in rows:
        field = CROSSWALK_FIELDS.get(row["canonical_field"])
        for crm in ("hubspot_label", "odoo_label_en", "odoo_label_zh_CN", "wukongcrm_export_header"):
            label = row[crm]
            if field and label and "(" not in label and label != "status_remark":
                headers.setdefault(crm, {})[label] = field
    for crm, expected in headers.items():
        path = tmp_path / f"{crm}.csv"
        path.write_text("项目编号," + ",".join(expected) + "\nP1" + "," * len(expected) + "\n", encoding="utf-8")
        p = _prepare(path)
        got = {c.header: c.canonical for c in p.report.columns if c.canonical != "project_id"}
        assert got == expected, crm
