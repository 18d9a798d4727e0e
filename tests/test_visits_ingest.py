"""Visit reports (issue 13) through the real ingest path: files written here as people keep
them (a workbook with one sheet per person under merged title rows, a CRM activity CSV in
GB18030), prepared in the child process, committed into a real DuckDB file."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter

from dashboard import store
from dashboard.ingest import IngestRefused, ScopeRefused, commit, prepare, remove_import
from test_ingest_commit import _rows  # a read-only query, as the commit tests read them

LEDGER = (
    "项目编号,项目名称,客户名称,客户等级,区域,负责人,当前阶段,预计签约金额\n"
    "P1,园区一期,华东电力,A,华东,张三,提案,100\n"
    "P2,机房,南方电网,B,华南,李娜,立项,200\n"
    "P3,机房二期,南方电网,B,华南,李娜,立项,300\n"
    "P4,调度,国家能源,C,华北,王强,招投标,400\n"
)


def _ledger(db: Path) -> None:
    commit(db, [prepare("台账_2026-11-20.csv", LEDGER.encode())])


def _workbook(path: Path, sheets: dict[str, list[tuple]], *, title_person: bool = True) -> Path:
    """One sheet per person: a merged title, a merged 「填报人：… 区域：…」 row, the header."""
    wb = xlsxwriter.Workbook(path)
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for person, rows in sheets.items():
        ws = wb.add_worksheet(person)
        ws.merge_range(0, 0, 0, 9, "销售日报（2026年11月）")
        ws.merge_range(1, 0, 1, 9, f"填报人：{person}　区域：华东" if title_person else "区域：华东")
        ws.write_row(2, 0, ["日期", "序号", "拜访客户", "联系人", "拜访时间", "拜访目的", "商谈结果", "客户类别", "预定再访时间", "其他记录"])
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, date):
                    ws.write_datetime(3 + i, j, datetime(v.year, v.month, v.day), fmt)
                elif v not in (None, ""):
                    ws.write(3 + i, j, v)
    wb.close()
    return path


ZHANG = [
    (date(2026, 11, 23), 1, "华东电力", "王工", "9:00-10:00", "订货", "初步意向", "原有", date(2026, 11, 30), ""),
    (date(2026, 11, 23), 2, "南方电网", "李工", "14:00", "收款", "答应月底付款", "新增", None, ""),
]
LI = [(date(2026, 11, 24), 1, "国家能源", "赵总", "10:00", "技术交流", "", "开发", None, "带样品")]


def test_a_workbook_with_one_sheet_per_person_under_merged_titles_reads_person_date_and_region(tmp_path):
    path = _workbook(tmp_path / "销售日报.xlsx", {"张三": ZHANG, "李娜": LI})
    p = prepare(path.name, path.read_bytes())
    assert p.ok, p.messages("zh")
    r = p.report
    assert r.kind == "visits" and r.header_row == 3
    assert [(s.name, s.rows_read) for s in r.sheets] == [("张三", 2), ("李娜", 1)]
    assert (r.as_of, r.as_of_source) == (date(2026, 11, 24), "column")  # the last visit in the file
    v = p.tables["visits"]
    assert v.select("reporter", "region", "visit_on", "seq", "customer", "purpose", "customer_category", "revisit_on").rows() == [
        ("张三", "华东", date(2026, 11, 23), 1, "华东电力", "order", "existing", date(2026, 11, 30)),
        ("张三", "华东", date(2026, 11, 23), 2, "南方电网", "collection", "new", None),
        ("李娜", "华东", date(2026, 11, 24), 1, "国家能源", "other", "development", None),
    ]
    assert v["purpose_text"][2] == "技术交流"  # kept as written, counted as other, with a warning naming the row
    (warning,) = [w for w in r.warnings if w.code == "purpose_other"]
    assert (warning.sheet, warning.row, warning.column) == ("李娜", 4, "拜访目的")
    assert "拜访报告" in r.summary("zh") and "visit report" in r.summary("en")


def test_without_a_person_in_column_or_title_the_sheet_name_is_the_person_with_a_warning(tmp_path):
    path = _workbook(tmp_path / "日报.xlsx", {"张三": ZHANG, "李娜": LI}, title_person=False)
    p = prepare(path.name, path.read_bytes())
    assert p.ok, p.messages()
    assert p.tables["visits"]["reporter"].to_list() == ["张三", "张三", "李娜"]
    assert {w.code for w in p.report.warnings} >= {"reporter_from_sheet"}


def _activity_csv() -> bytes:
    # a CRM activity export: one row per activity, the project id where the activity had one
    lines = [
        "日期,销售人员,区域,客户名称,项目编号,拜访目的,商谈结果,预定再访时间",
        "2026-11-16,张三,华东,华东电力,P1,订货,报价,2026-11-20",   # id given
        "2026-11-17,张三,华东,华东电力,,服务,,",                    # same customer, matched by name
        "2026-11-17,张三,华东, 华东电力 ,,服务,回访,",             # name folded (spaces) -> still P1
        "2026-11-18,李娜,华南,南方电网,,收款,,",                   # two projects -> ambiguous
        "2026-11-18,李娜,华南,南方电网,P3,收款,,",                 # ... unless the id says which
        "2026-11-19,李娜,华南,新客户公司,,开发,,",                 # no project -> unmatched
        "2026-11-19,王强,华北,国家能源,P9,订货,,",                 # an id no snapshot knows
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def test_a_gb18030_activity_csv_is_matched_by_id_else_by_exact_name_and_never_guesses(tmp_path):
    db = tmp_path / "p.duckdb"
    _ledger(db)
    p = prepare("CRM活动导出.csv", _activity_csv())
    assert p.ok, p.messages()
    assert (p.report.kind, p.report.encoding) == ("visits", "gb18030")
    (res,) = commit(db, [p])
    c = res.counts
    assert (c.by_id, c.by_name, c.ambiguous, c.unmatched, c.unknown_id) == (2, 2, 1, 1, 1)
    assert "按客户名称匹配 2 条" in res.message("zh") and "by customer name 2" in res.message("en")
    got = _rows(db, "select source_row, project_id, match_status from visits order by source_row")
    assert got == [(2, "P1", "id"), (3, "P1", "name"), (4, "P1", "name"), (5, None, "ambiguous"), (6, "P3", "id"),
                   (7, None, "unmatched"), (8, None, "unknown_id")]


def test_bad_cells_refuse_the_file_naming_row_and_column_and_nothing_is_written(tmp_path):
    db = tmp_path / "p.duckdb"
    _ledger(db)
    before = _rows(db, "select count(*) from imports")
    data = ("日期,销售人员,客户名称,拜访目的,客户类别,预定再访时间\n"
            "2026-11-16,张三,华东电力,订货,原有,2026-11-10\n"   # revisit before the visit
            "2026-11-16,张三,,订货,原有,\n"                    # no customer
            "2026-11-16,张三,国家能源,订货,老朋友,\n"           # unknown category
            "2026-13-01,张三,国家能源,订货,原有,\n").encode()  # not a date
    p = prepare("活动.csv", data)
    assert not p.ok
    where = {(e.code, e.row, e.column) for e in p.report.errors}
    assert where == {("revisit_before_visit", 2, "预定再访时间"), ("missing_customer", 3, "客户名称"),
                     ("bad_category", 4, "客户类别"), ("bad_date", 5, "日期")}
    assert any("第 4 行" in m and "客户类别" in m for m in p.messages("zh"))
    with pytest.raises(IngestRefused):
        commit(db, [p])
    assert _rows(db, "select count(*) from imports") == before


def _assert_visit_projects_current(db: Path) -> None:
    """The derived visit_projects (migration 0011), kept by each write for the projects it
    touched, equals the per-project summary computed afresh from the stored visits."""
    kept = _rows(db, "select project_id, n_visits, first_visit_on, last_visit_on, visit_days from visit_projects order by 1")
    fresh = _rows(db, "select project_id, count(*), min(visit_on), max(visit_on), list(visit_on order by visit_on) "
                      "from visits where project_id is not null group by 1 order by 1")
    assert kept == fresh


def test_the_same_file_twice_changes_nothing_and_a_corrected_day_replaces_only_that_persons_dates(tmp_path):
    db = tmp_path / "p.duckdb"
    _ledger(db)
    week = _workbook(tmp_path / "日报.xlsx", {"张三": ZHANG, "李娜": LI})
    first = commit(db, [prepare(week.name, week.read_bytes())])[0]
    _assert_visit_projects_current(db)
    assert _rows(db, "select count(*) from visit_projects") == [(2,)]
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    again = commit(db, [prepare(week.name, week.read_bytes())])[0]
    assert again.outcome == "unchanged" and hashlib.sha256(db.read_bytes()).hexdigest() == digest
    # 张三 corrects 23 November: one visit instead of two; 李娜's day stays
    fixed = _workbook(tmp_path / "日报-更正.xlsx", {"张三": ZHANG[:1]})
    res = commit(db, [prepare(fixed.name, fixed.read_bytes())])[0]
    assert (res.outcome, res.rows_added, res.rows_removed, res.replaced_import_ids) == ("replaced", 1, 2, [])
    assert _rows(db, "select reporter, visit_on, customer, import_id from visits order by reporter, customer") == [
        ("张三", date(2026, 11, 23), "华东电力", res.import_id), ("李娜", date(2026, 11, 24), "国家能源", first.import_id)]
    _assert_visit_projects_current(db)
    # removing the correction takes its rows out (the earlier rows it replaced are gone for good)
    removed = remove_import(db, res.import_id)
    assert removed.snapshot_rows_removed == 1
    assert _rows(db, "select count(*) from visits where import_id = $i", {"i": res.import_id}) == [(0,)]
    _assert_visit_projects_current(db)
    assert _rows(db, "select action, detail->>'kind' from audit_log order by audit_id")[-3:] == [
        ("import", "visits"), ("import", "visits"), ("remove_import", None)]


def test_a_regional_importer_cannot_import_visits_of_another_region(tmp_path):
    db = tmp_path / "p.duckdb"
    _ledger(db)
    p = prepare("CRM活动导出.csv", _activity_csv())
    with pytest.raises(ScopeRefused) as refused:
        commit(db, [p], regions=("华东",))
    assert "华南" in refused.value.message("zh") or "第 5" in refused.value.message("zh")
    assert _rows(db, "select count(*) from visits") == [(0,)]
    ok = prepare("华东.csv", "\n".join(_activity_csv().decode("gb18030").splitlines()[:4]).encode())
    (res,) = commit(db, [ok], regions=("华东",))
    assert res.rows_added == 3


def test_a_visit_is_seen_where_its_project_is_not_where_the_visitor_sits(tmp_path):
    import queries
    from queries import Filters

    db = tmp_path / "p.duckdb"
    _ledger(db)  # P2 is 华南's
    commit(db, [prepare("张三.csv", "日期,销售人员,区域,客户名称,项目编号,拜访目的,商谈结果\n"
                                    "2026-11-19,张三,华东,南方电网,P2,服务,回访\n".encode())])
    con = store.connect_read_only(db)
    try:
        seen = {r: queries.run(con, "visits_daily", Filters(allowed_regions=(r,)))["n_visits"].sum() for r in ("华东", "华南")}
        with pytest.raises(ScopeRefused):  # nor may 华东's importer write it
            commit(db, [prepare("张三2.csv", "日期,销售人员,区域,客户名称,项目编号,拜访目的,商谈结果\n"
                                             "2026-11-20,张三,华东,南方电网,P2,服务,回访\n".encode())], regions=("华东",))
    finally:
        con.close()
    assert seen == {"华东": 0, "华南": 1}
