"""Wide targets files (issue 12): one row per region/owner and a column per month (1月 … 12月,
Jan … Dec) or quarter (Q1 … Q4, 一季度 … 四季度), maybe a full-year column (全年 / Total) —
the layout of a 目标责任书 / 全年每月工作计划. Written by the test as real XLSX files, read
by the importer, melted to the long form with the same checks; expected values by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
import xlsxwriter
from test_targets import AS_OF, _errors, _row, _targets, db  # noqa: F401  (db: the ledger fixture)

from dashboard import store
from dashboard.ingest import IngestRefused, commit, prepare
from dashboard.ingest.targets import wide_period

MONTHS_ZH = [f"{m}月" for m in range(1, 13)]


def _zh_workbook(path, rows: list[list], *, title="2026年销售目标责任书", headers=None) -> bytes:
    """A sheet as a sales office writes it: a merged title, a unit note, the header, number
    cells (None = a blank cell)."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("目标")
    head = headers or ["区域", "负责人", *MONTHS_ZH, "全年"]
    if title:
        ws.merge_range(0, 0, 0, len(head) - 1, title)
    ws.write(1, 0, "单位：万元")
    ws.write_row(2, 0, head)
    for r, values in enumerate(rows, start=3):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
    return path.read_bytes()


# 华东: a target every month, 全年 = their sum (300 万元). 华南: nothing before July (blank =
# no target, never 0), 50 a month after (全年 300). 张三 (华东) only Q4's months. A 合计 row.
EAST = ["华东", None, 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40, 300]
SOUTH = ["华南", None, None, None, None, None, None, None, 50, 50, 50, 50, 50, 50, 300]
ZHANG = ["华东", "张三", None, None, None, None, None, None, None, None, None, 15, 15, 20.5, 50.5]
TOTAL = ["合计", None, 10, 10, 10, 20, 20, 20, 80, 80, 80, 105, 105, 110.5, 650.5]


def test_a_chinese_wide_file_with_a_title_year_wan_yuan_and_a_full_year_column_is_melted(tmp_path):
    data = _zh_workbook(tmp_path / "目标责任书.xlsx", [EAST, SOUTH, ZHANG, TOTAL])
    p = prepare("目标责任书.xlsx", data)
    assert p.ok, p.messages("en")
    assert p.report.kind == "targets" and p.report.rows_skipped == 1  # the 合计 row
    assert "target_year_from_title" in {w.code for w in p.report.warnings}
    t = p.tables["targets"].sort("region", "owner", "period_start", nulls_last=False)
    assert t.height == 12 + 6 + 3
    assert set(t["year"].to_list()) == {2026} and set(t["period_kind"].to_list()) == {"month"}
    east = t.filter((pl.col("region") == "华东") & pl.col("owner").is_null())
    assert east["target_amount"].to_list() == [Decimal(v * 10000) for v in EAST[2:14]]
    assert east["period_start"].to_list() == [date(2026, m, 1) for m in range(1, 13)]
    assert east["source_row"].unique().to_list() == [4]  # the sheet's row 4 (title, unit note, header above)
    south = t.filter(pl.col("region") == "华南")
    assert south["period_start"].to_list() == [date(2026, m, 1) for m in range(7, 13)]  # no January … June rows
    zhang = t.filter(pl.col("owner") == "张三")
    assert zhang["target_amount"].to_list() == [Decimal("150000.00"), Decimal("150000.00"), Decimal("205000.00")]
    assert zhang["period_end"].to_list() == [date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31)]


def test_a_wide_files_targets_give_the_months_attainment(db, tmp_path):  # noqa: F811
    data = _zh_workbook(tmp_path / "目标责任书.xlsx", [EAST, SOUTH])
    [result] = commit(db, [prepare("目标责任书.xlsx", data)])
    assert result.kind == "targets" and result.rows_added == 18
    rows = _targets(db)
    # October: 华东's target 40 万元; P2 (华东) won 2,000,000 on 2026-10-01 (the ledger of test_targets)
    oct_east = _row(rows, "region", "2026-10", "华东")
    assert oct_east["target_amount"] == Decimal("400000.00") and oct_east["won"] == Decimal("2000000.00")
    assert oct_east["attainment"] == pytest.approx(5.0)
    # 华南 P4 won 500,000 on 2026-10-02 against 50 万元
    oct_south = _row(rows, "region", "2026-10", "华南")
    assert oct_south["attainment"] == pytest.approx(1.0) and oct_south["gap"] == Decimal("0.00")


def test_an_english_wide_file_with_quarters_a_year_column_and_a_total_in_yuan(tmp_path):
    path = tmp_path / "targets.xlsx"
    pl.DataFrame({
        "Region": ["East", "West", "Total"],
        "Owner": [None, "Alice", None],
        "Year": [2027, 2027, None],
        "Q1": [1_000_000, 300_000, 1_300_000],
        "Q2": [None, 300_000, 300_000],
        "Q3": [2_000_000, None, 2_000_000],
        "Q4": [3_000_000, 400_000, 3_400_000],
        "Total": [6_000_000, 1_000_000, 7_000_000],
    }).write_excel(path, worksheet="Targets")
    p = prepare(path.name, path.read_bytes())
    assert p.ok, p.messages("en")
    t = p.tables["targets"].sort("region", "period_start")
    assert t.select("region", "owner", "period_kind", "period_start", "target_amount").rows() == [
        ("East", None, "quarter", date(2027, 1, 1), Decimal("1000000.00")),
        ("East", None, "quarter", date(2027, 7, 1), Decimal("2000000.00")),  # Q2 blank: no target
        ("East", None, "quarter", date(2027, 10, 1), Decimal("3000000.00")),
        ("West", "Alice", "quarter", date(2027, 1, 1), Decimal("300000.00")),
        ("West", "Alice", "quarter", date(2027, 4, 1), Decimal("300000.00")),
        ("West", "Alice", "quarter", date(2027, 10, 1), Decimal("400000.00")),
    ]
    assert p.report.rows_skipped == 1  # the Total row


def test_a_full_year_that_is_not_the_months_sum_is_refused_naming_the_row_and_the_columns(tmp_path, db):  # noqa: F811
    wrong = ["华北", None, 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40, 301]  # the months add up to 300
    data = _zh_workbook(tmp_path / "目标.xlsx", [EAST, wrong])
    p = prepare("目标.xlsx", data)
    assert _errors(p) == [("target_total_mismatch", 5, "全年")]
    e = p.report.errors[0]
    assert "301.00 万元" in e.zh and "300.00 万元" in e.zh and "1月" in e.zh
    assert "12月" in e.en and "3,010,000.00" in e.en
    with pytest.raises(IngestRefused):
        commit(db, [p])
    con = store.connect_read_only(db)
    try:  # nothing written
        assert con.execute("select count(*) from targets").fetchall() == [(0,)]
    finally:
        con.close()


def test_a_zero_month_is_refused_a_blank_month_is_no_target(tmp_path):
    zero = ["华东", None, 10, 10, 0, 20, 20, 20, 30, 30, 30, 40, 40, 40, 290]
    p = prepare("目标.xlsx", _zh_workbook(tmp_path / "目标.xlsx", [zero]))
    assert _errors(p) == [("bad_target", 4, "3月")]
    assert "留空" in p.report.errors[0].expected_zh


def test_a_wide_file_without_any_year_is_refused(tmp_path):
    p = prepare("目标.xlsx", _zh_workbook(tmp_path / "目标.xlsx", [EAST], title="销售目标责任书"))
    assert [e.code for e in p.report.errors] == ["missing_year"]


def test_the_year_may_be_written_in_the_headers(tmp_path):
    headers = ["区域", "负责人", *[f"2026年{m}月" for m in range(1, 13)], "2026年全年"]
    p = prepare("目标.xlsx", _zh_workbook(tmp_path / "目标.xlsx", [EAST], title=None, headers=headers))
    assert p.ok, p.messages("en")
    assert p.tables["targets"].height == 12 and set(p.tables["targets"]["year"].to_list()) == {2026}


def test_months_beside_their_quarters_are_kept_when_they_agree_and_refused_when_not(tmp_path):
    headers = ["区域", "负责人", "1月", "2月", "3月", "一季度"]
    ok = prepare("目标.xlsx", _zh_workbook(tmp_path / "a.xlsx", [["华东", None, 10, 20, 30, 60]], headers=headers))
    assert ok.ok, ok.messages("en")
    assert sorted(ok.tables["targets"]["period_kind"].to_list()) == ["month", "month", "month", "quarter"]
    bad = prepare("目标.xlsx", _zh_workbook(tmp_path / "b.xlsx", [["华东", None, 10, 20, 30, 70]], headers=headers))
    assert [e.code for e in bad.report.errors] == ["target_overlap"]


def test_a_wide_file_with_an_amount_column_too_is_refused_as_ambiguous(tmp_path):
    headers = ["区域", "负责人", "1月", "2月", "目标金额"]
    p = prepare("目标.xlsx", _zh_workbook(tmp_path / "a.xlsx", [["华东", None, 10, 20, 30]], headers=headers))
    assert [e.code for e in p.report.errors] == ["wide_and_long"]


def test_a_project_ledger_with_a_month_column_stays_a_project_ledger():
    ledger = ("项目编号,项目名称,区域,当前阶段,状态,预计签约金额,11月\n"
              "P1,园区,华东,商务谈判,进行中,900000,x\n").encode()
    p = prepare("台账_2026-10-05.csv", ledger)
    assert p.ok and p.report.kind == "projects"
    assert "11月" in p.report.ignored_columns


@pytest.mark.parametrize(("header", "expected"), [
    ("1月", ("month", 1, None)), ("十二月", ("month", 12, None)), ("2026年11月", ("month", 11, 2026)),
    ("Jan", ("month", 1, None)), ("Sept", ("month", 9, None)), ("November 2026", ("month", 11, 2026)),
    ("3月目标(万元)", ("month", 3, None)), ("Q4", ("quarter", 4, None)), ("第四季度", ("quarter", 4, None)),
    ("一季度", ("quarter", 1, None)), ("2026-Q2", ("quarter", 2, 2026)), ("全年", ("year", None, None)),
    ("合计", ("year", None, None)), ("Full Year", ("year", None, None)), ("2026年全年", ("year", None, 2026)),
    ("区域", None), ("12", None), ("2026.1", None), ("Quarterly", None),
])
def test_which_headers_are_periods(header, expected):
    assert wide_period(header) == expected
