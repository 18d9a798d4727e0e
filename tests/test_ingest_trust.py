"""Issue 9 part A: the importer never stores a wrong value quietly.

Every class of file that used to import with exit 0 and wrong values, each with several
files of our own making (built here, never copied): read exactly, or refused with a
message that names the file, the sheet, the row, the column and what to do, in Chinese
and English. Everything goes through the public ``prepare`` (the parsing child process
and its limits included); refusals also go through ``commit`` against a real database
that must stay byte-for-byte as it was. Plus the ingest half of issue 10 item 7: bidi
control characters stripped and text fields capped, each with a warning.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import store
from dashboard.ingest import IngestRefused, Mapping, commit, prepare

from test_ingest_formats import huge_string_xlsx

AS_OF = date(2026, 11, 23)


def _prepare(name: str, data: bytes, **kw):
    kw.setdefault("as_of", AS_OF)
    return prepare(name, data, **kw)


def _codes(p) -> list[str]:
    return [e.code for e in p.report.errors]


def _only(p, code: str):
    """The errors of that code; the file must be refused and say so in both languages,
    naming the file."""
    assert not p.ok, "expected a refusal"
    found = [e for e in p.report.errors if e.code == code]
    assert found, f"no {code!r} error in {p.messages()}"
    for e in found:
        assert p.report.file_name in e.text("en", p.report.file_name)
        assert e.zh and e.en and e.zh != e.en
    return found


def _xlsx_bytes(build) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    build(wb)
    wb.close()
    return buf.getvalue()


def _rezip(data: bytes, change) -> bytes:
    """The same workbook with some parts changed: change(name, bytes) -> bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


def _db_with_one_import(db: Path) -> str:
    ok = _prepare("base.csv", "项目编号,项目名称,预计签约金额\nB1,基础项目,100\n".encode())
    commit(db, [ok])
    return hashlib.sha256(db.read_bytes()).hexdigest()


# --- A1 encodings --------------------------------------------------------------------
# ASCII headers survive any decoding, so the old importer read these files and stored
# the garbled names; only the values say which encoding the bytes are in.

EN_HEADER = "Opportunity ID,Opportunity Name,Account Name,Owner,Stage,Amount"


def _en_csv(rows: list[str]) -> str:
    return "\n".join([EN_HEADER, *rows]) + "\n"


TRADITIONAL = ["T1,智慧園區一期,華東電力公司,張偉,Proposal,1200", "T2,數據中心擴容,南方電網公司,李娜,Proposal,300",
               "T3,調度系統升級,國家能源集團,王強,Tender,450"]
JAPANESE = ["J1,東京電力システム更新,東京電力,佐藤,Proposal,1200", "J2,データセンター拡張,日本通信,鈴木,Proposal,300",
            "J3,物流倉庫自動化,関西物流,高橋,Tender,450"]
WESTERN = ["W1,Müller Bäckerei,Crédit Agricole,Jürgen Köhler,Proposal,1200", "W2,Zürich Versicherung,Générale Bank,Jörg Dürr,Proposal,300"]
SIMPLIFIED = ["S1,智慧园区一期,华东电力,张伟,Proposal,1200", "S2,数据中心扩容,南方电网,李娜,Proposal,300",
              "S3,调度系统,国家能源,王强,Tender,450", "S4,智慧园区二期,华东电力,张伟,Proposal,800"]


def _gb18030_readable(data: bytes) -> bytes:
    data.decode("gb18030")  # precondition: the old importer decoded it (and stored garbage)
    return data


@pytest.mark.parametrize(
    "name, data, line, says",
    [
        ("big5.csv", _gb18030_readable(_en_csv(TRADITIONAL).encode("big5")), 2, "Big5"),
        ("sjis.csv", _gb18030_readable(_en_csv(JAPANESE).encode("shift_jis")), 2, "Shift-JIS"),
        ("latin1.csv", _gb18030_readable(_en_csv(WESTERN).encode("latin-1")), 2, "Latin-1"),
        ("cp1252.csv", _en_csv(WESTERN + ["W3,Bäckerei „Süd“,Köhler & Söhne,Jörg,Proposal,9"]).encode("cp1252"), 2, "Latin-1"),
    ],
)
def test_a_file_in_another_encoding_is_refused_naming_it_never_read_as_garbled_gb18030(name, data, line, says):
    p = _prepare(name, data)
    [err] = _only(p, "encoding")
    assert err.row == line
    assert says in err.en and says.split("-")[0] in err.zh
    assert "save it as 'CSV UTF-8'" in err.en and "另存为“CSV UTF-8”" in err.zh


def test_a_utf8_file_with_one_stray_byte_is_refused_naming_that_line_as_mixed():
    text = _en_csv(SIMPLIFIED).encode("utf-8")
    for stray, where in ((b"\xb0", b"Tender"), (b"\x92", b"Proposal,800")):
        data = text.replace(where, stray + where, 1)
        line = text[: text.index(where)].count(b"\n") + 1
        p = _prepare("stray.csv", data)
        [err] = _only(p, "encoding")
        assert err.row == line
        assert f"line {line} is not UTF-8" in err.en and f"第 {line} 行不是 UTF-8" in err.zh and "混用" in err.zh


def test_a_gb18030_file_with_a_utf8_or_big5_line_pasted_in_is_refused_naming_the_line():
    gb = _en_csv(SIMPLIFIED).encode("gb18030")
    for pasted, says_en in (
        (_gb18030_readable("S9,智慧园区三期,华东电力,张伟,Proposal,99\n".encode()), "line 6 is UTF-8"),
        (_gb18030_readable("S9,智慧園區三期,華東電力公司,張偉,Proposal,99\n".encode("big5")), "garbled"),
    ):
        data = gb + pasted
        p = _prepare("mixed.csv", data)
        [err] = _only(p, "encoding")
        assert err.row == 6  # header + 4 rows + the pasted one
        assert says_en in err.en and "mixed encodings" in err.en and "混用" in err.zh


def test_real_chinese_files_in_utf8_and_gb18030_still_import_exactly_traditional_names_included():
    rows = SIMPLIFIED + ["S5,香港國際貿易,華潤集團,陳大文,Proposal,77"]
    for data, enc in ((_en_csv(rows).encode("utf-8"), "utf-8"), (_en_csv(rows).encode("gb18030"), "gb18030"),
                      (b"\xef\xbb\xbf" + _en_csv(rows).encode("utf-8"), "utf-8-sig")):
        p = _prepare("ok.csv", data)
        assert p.ok, p.messages()
        assert p.report.encoding == enc
        assert p.projects["project_name"].to_list() == [r.split(",")[1] for r in rows]


# --- A2 merged two-row headers ---------------------------------------------------------


def _merged_parent_workbook(parent: str, children: list[str], values: list[list], *, vertical: bool = False) -> bytes:
    """Row 1: a merged parent over the amount columns (C…); row 2: the sub-headers."""

    def build(wb):
        ws = wb.add_worksheet("项目台账")
        if vertical:  # 项目编号 / 项目名称 written once, merged over both header rows
            ws.merge_range(0, 0, 1, 0, "项目编号")
            ws.merge_range(0, 1, 1, 1, "项目名称")
        else:
            ws.write_row(1, 0, ["项目编号", "项目名称"])
        ws.merge_range(0, 2, 0, 1 + len(children), parent)
        ws.write_row(1, 2, children)
        ws.write(1, 2 + len(children), "当前阶段")
        if vertical:
            ws.write(0, 2 + len(children), "")
        for r, row in enumerate(values, start=2):
            ws.write_row(r, 0, row)

    return _xlsx_bytes(build)


def test_the_unit_of_a_merged_parent_header_applies_to_its_unitless_children():
    rows = [["P1", "园区", 1200.5, 1000, "提案"], ["P2", "机房", 30, 25.5, "招投标"]]
    for data in (
        _merged_parent_workbook("金额（万元）", ["预计签约金额", "合同金额"], rows),
        _merged_parent_workbook("金额（万元）", ["预计签约金额", "合同金额"], rows, vertical=True),
    ):
        p = _prepare("合并表头.xlsx", data)
        assert p.ok, p.messages()
        assert p.projects["expected_amount"].to_list() == [Decimal("12005000.00"), Decimal("300000.00")]
        assert p.projects["contract_amount"].to_list() == [Decimal("10000000.00"), Decimal("255000.00")]
        assert p.projects["stage"].to_list() == ["proposal", "tender"]
        units = {c.canonical: (c.unit, c.unit_source) for c in p.report.columns}
        assert units["expected_amount"][0] == "万元" and "金额（万元）" in units["expected_amount"][1]
        assert p.report.header_row == 2 and p.report.rows_read == 2


def test_sub_headers_named_only_with_their_parent_and_a_yi_unit_are_read_together():
    data = _merged_parent_workbook("金额（亿元）", ["预计签约", "合同"], [["P1", "园区", 1.5, 0.25, "提案"]])
    p = _prepare("亿.xlsx", data)
    assert p.ok, p.messages()
    assert p.projects.select("expected_amount", "contract_amount").row(0) == (Decimal("150000000.00"), Decimal("25000000.00"))


def test_a_parent_saying_yuan_wins_over_a_mappings_default_unit():
    data = _merged_parent_workbook("金额（元）", ["预计签约金额", "合同金额"], [["P1", "园区", 120000, 99000.5, "提案"]])
    p = _prepare("元.xlsx", data, mapping=Mapping(name="wan", constants={"amount_unit": "万元"}))
    assert p.ok, p.messages()
    assert p.projects.select("expected_amount", "contract_amount").row(0) == (Decimal("120000.00"), Decimal("99000.50"))


def test_a_merged_header_saved_as_csv_spreads_its_unit_over_the_amount_columns_only_and_says_so():
    lines = [",,金额(万元),,,", "项目编号,项目名称,预计签约金额,合同金额,预计签约时间,实际成本", "P1,园区,12,10,2026-03-05,5000"]
    p = _prepare("merged.csv", ("\n".join(lines) + "\n").encode())
    assert p.ok, p.messages()
    row = p.projects.row(0, named=True)
    assert (row["expected_amount"], row["contract_amount"]) == (Decimal("120000.00"), Decimal("100000.00"))
    assert row["actual_cost"] == Decimal("5000.00")  # past the date column: not under the parent
    [note] = [w for w in p.report.warnings if w.code == "unit_spread"]
    assert "合同金额" in note.en and "金额(万元)" in note.zh


def test_a_unit_note_in_the_title_rows_applies_to_unitless_amount_columns():
    csv_data = "大客户项目台账（截至2026年11月23日）\n金额单位：万元\n项目编号,预计签约金额,合同金额\nP1,12.5,10\n".encode()

    def build(wb):
        ws = wb.add_worksheet("台账")
        ws.write(0, 0, "单位：亿元")
        ws.write_row(2, 0, ["项目编号", "预计签约金额"])
        ws.write_row(3, 0, ["P1", 2])

    for name, data, expected in (("title.csv", csv_data, Decimal("125000.00")), ("title.xlsx", _xlsx_bytes(build), Decimal("200000000.00"))):
        p = _prepare(name, data)
        assert p.ok, p.messages()
        assert p.projects["expected_amount"][0] == expected
        assert [c.unit_source for c in p.report.columns if c.canonical == "expected_amount"][0].startswith("row ")


def test_a_parent_unit_contradicting_the_childs_own_unit_is_an_error_naming_the_column():
    data = _merged_parent_workbook("金额（万元）", ["预计签约金额（元）", "合同金额"], [["P1", "园区", 12, 10, "提案"]])
    p = _prepare("矛盾.xlsx", data)
    [err] = _only(p, "unit_conflict")
    assert err.column == "预计签约金额（元）" and err.row == 2 and err.sheet == "项目台账"
    assert "sheet '项目台账', row 2" in err.text("en", "矛盾.xlsx")


# --- A3 sheets -------------------------------------------------------------------------

LEDGER = ["项目编号", "项目名称", "区域", "当前阶段", "预计签约金额(万元)"]


def _sheet(wb, name: str, rows: list[list], *, hidden: bool = False, title: str | None = None):
    ws = wb.add_worksheet(name)
    top = 0
    if title:
        ws.write(0, 0, title)
        top = 2
    ws.write_row(top, 0, LEDGER)
    for i, row in enumerate(rows, start=top + 1):
        ws.write_row(i, 0, row)
    if hidden:
        ws.hide()
    return ws


def test_a_hidden_stale_sheet_before_the_visible_one_never_wins():
    for state in ("hidden", "veryHidden"):
        def build(wb):
            _sheet(wb, "台账（旧）", [["P1", "园区", "华东", "立项", 1], ["P9", "已删除", "华东", "立项", 9]], hidden=True)
            _sheet(wb, "台账", [["P1", "园区", "华东", "商务谈判", 1200], ["P2", "机房", "华南", "提案", 300]]).activate()

        data = _xlsx_bytes(build)
        if state == "veryHidden":
            data = _rezip(data, lambda n, b: b.replace(b'state="hidden"', b'state="veryHidden"') if n == "xl/workbook.xml" else b)
        p = _prepare("台账.xlsx", data)
        assert p.ok, p.messages()
        assert p.report.sheet == "台账"
        assert p.projects.select("project_id", "stage").rows() == [("P1", "negotiation"), ("P2", "proposal")]
        [w] = [w for w in p.report.warnings if w.code == "hidden_sheet"]
        assert "台账（旧）" in w.en and "台账（旧）" in w.zh


def test_a_table_only_on_a_hidden_sheet_is_refused_asking_to_unhide_it():
    def build(wb):
        wb.add_worksheet("说明").write(0, 0, "数据在隐藏的工作表里")
        _sheet(wb, "数据", [["P1", "园区", "华东", "立项", 1]], hidden=True)

    data = _xlsx_bytes(build)
    p = _prepare("hidden.xlsx", data)
    [err] = _only(p, "hidden_sheet")
    assert "数据" in err.en and "unhide" in err.en and "取消隐藏" in err.zh


def test_one_sheet_per_region_imports_every_sheet_and_reports_each():
    def build(wb):
        notes = wb.add_worksheet("填写说明")
        notes.write(0, 0, "每个大区一张表")
        _sheet(wb, "华东", [["E1", "园区", "华东", "立项", 10], ["E2", "机房", "华东", "提案", 20]], title="华东台账（截至2026年11月23日）")
        _sheet(wb, "华南", [["S1", "调度", "华南", "提案", 30]], title="华南台账（截至2026年11月23日）")
        _sheet(wb, "华北", [["N1", "水务", "华北", "招投标", 40], ["N2", "医院", "华北", "立项", 50], ["合计", "", "", "", 90]])

    p = prepare("分区台账.xlsx", _xlsx_bytes(build))
    assert p.ok, p.messages()
    assert p.projects["project_id"].to_list() == ["E1", "E2", "S1", "N1", "N2"]
    assert p.projects["expected_amount"].to_list()[-1] == Decimal("500000.00")
    assert [(s.name, s.header_row, s.rows_read, s.rows_accepted) for s in p.report.sheets] == [
        ("华东", 3, 2, 2), ("华南", 3, 1, 1), ("华北", 1, 3, 2)]
    assert p.report.sheet == "华东, 华南, 华北" and (p.report.as_of, p.report.as_of_source) == (AS_OF, "title row")
    assert p.to_dict()["sheets"][1] == {"name": "华南", "header_row": 3, "rows_read": 1, "rows_accepted": 1}
    assert "华南" in p.report.summary("en") and "华南" in p.report.summary("zh")


def test_an_error_on_one_of_several_sheets_names_that_sheet_and_a_project_on_two_sheets_is_refused():
    def build(wb):
        _sheet(wb, "华东", [["E1", "园区", "华东", "立项", 10], ["S1", "调度", "华东", "提案", 30]])
        _sheet(wb, "华南", [["S1", "调度", "华南", "提案", 30], ["S2", "机房", "华南", "跳舞", 5]])

    p = _prepare("两区.xlsx", _xlsx_bytes(build))
    [stage] = _only(p, "bad_stage")
    assert (stage.sheet, stage.row) == ("华南", 3)
    assert "sheet '华南', row 3" in stage.text("en", "两区.xlsx") and "工作表「华南」，第 3 行" in stage.text("zh", "两区.xlsx")
    [dup] = _only(p, "duplicate_id")
    assert "sheet '华东' row 3" in dup.en and "sheet '华南' row 2" in dup.en and "工作表「华南」第 2 行" in dup.zh


def test_sheets_that_disagree_are_refused_not_cut():
    def history_and_ledger(wb):
        _sheet(wb, "台账", [["P1", "园区", "华东", "立项", 1]])
        ws = wb.add_worksheet("阶段历史")
        ws.write_row(0, 0, ["项目编号", "阶段", "进入日期"])
        ws.write_row(1, 0, ["P1", "立项", "2026-01-05"])

    def two_dates(wb):
        _sheet(wb, "华东", [["E1", "园区", "华东", "立项", 1]], title="截至2026年11月23日")
        _sheet(wb, "华南", [["S1", "调度", "华南", "立项", 1]], title="截至2026年11月16日")

    assert _only(_prepare("混合.xlsx", _xlsx_bytes(history_and_ledger)), "mixed_sheets")
    [err] = _only(prepare("两个日期.xlsx", _xlsx_bytes(two_dates)), "as_of_sheets")
    assert "2026-11-16" in err.en and "2026-11-23" in err.zh


# --- A4 formula and error cells -------------------------------------------------------


def _openpyxl_bytes(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_formulas_openpyxl_wrote_without_results_are_an_error_naming_the_cells_never_empty():
    data = _openpyxl_bytes([["项目编号", "单价", "预计签约金额"], ["P1", 10, "=B2*2"], ["P2", 20, "=B3*2"], ["P3", 5, 7]])
    p = _prepare("openpyxl.xlsx", data)
    [err] = _only(p, "formula_not_calculated")
    assert (err.column, err.row, err.value, err.sheet) == ("预计签约金额", 2, "C2, C3", "台账")
    assert "Open the file in Excel/WPS and save it" in err.en and "在 Excel/WPS 中打开文件并保存" in err.zh


def test_a_formula_cell_that_cannot_be_placed_makes_the_sheet_refused_not_unchecked():
    data = _openpyxl_bytes([["项目编号", "预计签约金额"], ["P1", "=1+1"], ["P2", 3]])
    # a cell reference is optional in the format: without it the formula cannot be located
    data = _rezip(data, lambda n, b: b.replace(b'<c r="B2">', b"<c>") if n.startswith("xl/worksheets/") else b)
    [err] = _only(_prepare("no-refs.xlsx", data), "sheet_unchecked")
    assert err.sheet == "台账" and "save it as a new .xlsx" in err.en


def test_xlsxwriter_placeholder_results_under_full_calc_on_load_are_an_error_never_zero():
    def build(wb, cached=None):
        ws = wb.add_worksheet("台账")
        ws.write_row(0, 0, ["项目编号", "成本", "毛利率", "预计签约金额"])
        for r in range(1, 4):
            ws.write_row(r, 0, [f"P{r}", 100 * r, 0.2])
            ws.write_formula(r, 3, f"=B{r + 1}/(1-C{r + 1})", None, cached)
        ws.write_row(4, 0, ["合计", "=SUM(B2:B4)"])  # a totals row's formula is skipped with its row

    for cached in (None, 125):  # xlsxwriter's own placeholder 0, and a value the writer made up
        p = _prepare("xlsxwriter.xlsx", _xlsx_bytes(lambda wb, cached=cached: build(wb, cached)))
        [err] = _only(p, "formula_not_calculated")
        assert (err.column, err.value) == ("预计签约金额", "D2, D3, D4")
        assert "fullCalcOnLoad" in err.en and "fullCalcOnLoad" in err.zh


def test_formula_results_saved_by_excel_are_read_and_totals_row_formulas_do_not_matter():
    def build(wb):
        ws = wb.add_worksheet("台账")
        ws.write_row(0, 0, ["项目编号", "预计签约金额"])
        ws.write_row(1, 0, ["P1"])
        ws.write_formula(1, 1, "=100*3", None, 300)
        ws.write_row(2, 0, ["合计"])
        ws.write_formula(2, 1, "=SUM(B2:B2)", None, 300)

    # Excel and WPS store the results and no fullCalcOnLoad flag
    excel_saved = _rezip(_xlsx_bytes(build), lambda n, b: b.replace(b' fullCalcOnLoad="1"', b"") if n == "xl/workbook.xml" else b)
    p = _prepare("excel.xlsx", excel_saved)
    assert p.ok, p.messages()
    assert p.projects["expected_amount"].to_list() == [Decimal("300.00")]


def test_excel_error_cells_are_errors_naming_the_cell_not_blanks():
    def build(wb):
        ws = wb.add_worksheet("台账")
        ws.write_row(0, 0, ["项目编号", "负责人", "预计签约金额"])
        ws.write_row(1, 0, ["P1", "张伟", 10])
        ws.write_row(2, 0, ["P2", "李娜"])
        ws.write_formula(2, 2, "=1/0", None, "#DIV/0!")
        ws.write_row(3, 0, ["P3"])
        ws.write_formula(3, 1, "=VLOOKUP(A4,X:Y,2,0)", None, "#N/A")
        ws.write(3, 2, 5)

    excel_saved = _rezip(_xlsx_bytes(build), lambda n, b: b.replace(b' fullCalcOnLoad="1"', b"") if n == "xl/workbook.xml" else b)
    errs = _only(_prepare("errors.xlsx", excel_saved), "cell_error")
    assert sorted((e.row, e.column, e.value) for e in errs) == [(3, "预计签约金额", "#DIV/0!"), (4, "负责人", "#N/A")]
    assert "(C3)" in [e for e in errs if e.row == 3][0].en

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目编号", "客户名称"])
    ws.append(["P1", "#REF!"])
    ws["B2"].data_type = "e"
    buf = io.BytesIO()
    wb.save(buf)
    [err] = _only(_prepare("ref.xlsx", buf.getvalue()), "cell_error")
    assert (err.row, err.column, err.value) == (2, "客户名称", "#REF!")

    csv_errors = _only(_prepare("errors.csv", "项目编号,负责人,预计签约金额\nP1,#N/A,10\nP2,李娜,#REF!\n".encode()), "cell_error")
    assert [(e.row, e.column, e.value) for e in csv_errors] == [(2, "负责人", "#N/A"), (3, "预计签约金额", "#REF!")]


# --- A5 number conventions ------------------------------------------------------------


def test_european_decimals_in_a_semicolon_file_are_read_exactly():
    lines = ["项目编号;预计签约金额;合同金额;毛利率", "P1;1.234,50;88,00;23,5%", "P2;2.000.000,00;1,5;0,15", "P3;12;7;18,0%"]
    p = _prepare("eu.csv", ("\n".join(lines) + "\n").encode())
    assert p.ok, p.messages()
    assert p.projects["expected_amount"].to_list() == [Decimal("1234.50"), Decimal("2000000.00"), Decimal("12.00")]
    assert p.projects["contract_amount"].to_list() == [Decimal("88.00"), Decimal("1.50"), Decimal("7.00")]
    assert p.projects["estimated_margin"].to_list() == pytest.approx([0.235, 0.15, 0.18])
    assert p.report.decimal_separators == {"预计签约金额": ",", "合同金额": ",", "毛利率": ","}


def test_a_column_of_only_ambiguous_numbers_follows_the_files_other_columns():
    lines = ["项目编号\t预计签约金额\t合同金额", "P1\t1.234,50\t2.000", "P2\t99,90\t3.500"]
    p = _prepare("eu.txt", ("\n".join(lines) + "\n").encode())
    assert p.ok, p.messages()
    assert p.projects["contract_amount"].to_list() == [Decimal("2000.00"), Decimal("3500.00")]


def test_ambiguous_numbers_in_a_semicolon_file_are_refused_unless_a_mapping_says_which():
    data = "项目编号;预计签约金额\nP1;1.234\nP2;2.500\n".encode()
    [err] = _only(_prepare("amb.csv", data), "decimal_ambiguous")
    assert err.column == "预计签约金额" and err.value == "1.234" and "decimal_separator" in err.en
    fixed = _prepare("amb.csv", data, mapping=Mapping(name="eu", constants={"decimal_separator": ","}))
    assert fixed.ok and fixed.projects["expected_amount"].to_list() == [Decimal("1234.00"), Decimal("2500.00")]


def test_a_column_mixing_decimal_points_and_decimal_commas_is_refused():
    for data in ('项目编号,预计签约金额\nP1,"1,234.50"\nP2,"88,00"\n'.encode(), "项目编号;预计签约金额\nP1;1.234,50\nP2;12.5\n".encode()):
        [err] = _only(_prepare("mixed.csv", data), "decimal_conflict")
        assert err.column == "预计签约金额" and "decimal point" in err.en and "小数逗号" in err.zh


def test_thousands_commas_in_a_comma_file_and_workbook_numbers_stay_as_they_were():
    p = _prepare("cn.csv", '项目编号,预计签约金额,合同金额\nP1,"1,234","2,000.5"\nP2,"12,000",3\n'.encode())
    assert p.ok, p.messages()
    assert p.projects["expected_amount"].to_list() == [Decimal("1234.00"), Decimal("12000.00")]


def test_a_margin_column_of_percent_numbers_with_a_value_up_to_1_is_an_error_not_a_note():
    csv_data = "项目编号,毛利率\nP1,23\nP2,18\nP3,1\nP4,35\n".encode()

    def build(wb):
        ws = wb.add_worksheet("台账")
        ws.write_row(0, 0, ["项目编号", "预计毛利率"])
        for r, v in enumerate([30, 0.5, 12], start=1):
            ws.write_row(r, 0, [f"P{r}", v])

    for name, data, row, value in (("m.csv", csv_data, 4, "1"), ("m.xlsx", _xlsx_bytes(build), 3, "0.5")):
        [err] = _only(_prepare(name, data), "margin_scale")
        assert (err.row, err.value) == (row, value)
        assert "1 % or 100 %" in err.en and "1% 还是 100%" in err.zh


def test_accounting_negatives_and_the_full_width_yen_sign_are_read():
    lines = ["项目编号,预计签约金额,实际成本", 'P1,"(2,000.00)","￥1,234.5"', "P2,（３００）,￥９９", "P3,−12.5,¥0"]
    p = _prepare("acct.csv", ("\n".join(lines) + "\n").encode())
    assert p.ok, p.messages()
    assert p.projects["expected_amount"].to_list() == [Decimal("-2000.00"), Decimal("-300.00"), Decimal("-12.50")]
    assert p.projects["actual_cost"].to_list() == [Decimal("1234.50"), Decimal("99.00"), Decimal("0.00")]


# --- A6 ids ---------------------------------------------------------------------------


def test_a_full_width_and_a_half_width_id_in_one_file_are_one_project_twice():
    for other in ("ＨＸ－２０２６－００１", "HX-2026-001\u200b", " HX-2026-001"):
        p = _prepare("ids.csv", f"项目编号,项目名称\nHX-2026-001,园区\n{other},园区二\n".encode())
        [err] = _only(p, "duplicate_id")
        assert (err.value, err.row) == ("HX-2026-001", 3) and "full-width" in err.en


def test_a_project_written_full_width_one_week_and_half_width_the_next_stays_one_project(db_path):
    week1 = _prepare("w1.csv", "项目编号,项目名称,当前阶段\nＨＸ－２０２６－００１,园区,立项\n".encode(), as_of=date(2026, 11, 16))
    week2 = _prepare("w2.csv", "项目编号,项目名称,当前阶段\nHX-2026-001,园区,提案\n".encode(), as_of=date(2026, 11, 23))
    commit(db_path, [week1, week2])
    con = store.connect_read_only(db_path)
    try:
        got = con.execute("select project_id, as_of, stage from project_snapshots order by as_of").fetchall()
    finally:
        con.close()
    assert got == [("HX-2026-001", date(2026, 11, 16), "approval"), ("HX-2026-001", date(2026, 11, 23), "proposal")]


# --- A7 encrypted workbooks ----------------------------------------------------------


def test_a_password_protected_workbook_is_refused_as_password_protected():
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _xlsx_bytes(lambda wb: _sheet(wb, "台账", [["P1", "园区", "华东", "立项", 1]]))
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("秘密", encrypted)
    zip_flagged = _rezip(plain, lambda n, b: b)
    zip_flagged = bytearray(zip_flagged)
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the 'encrypted' bit in every header
        for m in re.finditer(re.escape(sig), bytes(zip_flagged)):
            flag_at = m.start() + (6 if sig == b"PK\x03\x04" else 8)
            zip_flagged[flag_at] |= 0x01
    for name, data in (("加密.xlsx", encrypted.getvalue()), ("加密.csv", encrypted.getvalue()), ("zip-encrypted.xlsx", bytes(zip_flagged))):
        [err] = _only(_prepare(name, data), "password_protected")
        assert "password-protected" in err.en and "密码" in err.zh


# --- A8 zip bombs ----------------------------------------------------------------------


def _bomb_sheet(mb: int) -> bytes:
    def change(name, body):
        if name == "xl/worksheets/sheet1.xml":
            pad = b"<!--" + b" " * (mb * 2**20) + b"-->"
            return body.replace(b"<sheetData>", pad + b"<sheetData>")
        return body

    return _rezip(_xlsx_bytes(lambda wb: _sheet(wb, "台账", [["P1", "园区", "华东", "立项", 1]])), change)


def _many_parts(n: int) -> bytes:
    base = _xlsx_bytes(lambda wb: _sheet(wb, "台账", [["P1", "园区", "华东", "立项", 1]]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        for i in range(n):
            dst.writestr(f"customXml/item{i}.xml", b"<x/>")
    return out.getvalue()


@pytest.mark.parametrize("name, make", [
    ("shared-string.xlsx", huge_string_xlsx),  # 30 KB: one 1 MB string in 12,000 cells
    ("padded-sheet.xlsx", lambda: _bomb_sheet(300)),  # 300 MB of white space in a 0.3 MB file
    ("many-parts.xlsx", lambda: _many_parts(10_001)),
])
def test_a_zip_bomb_is_refused_from_the_zip_directory_before_anything_is_inflated(name, make):
    data = make()
    assert len(data) < 2_000_000
    [err] = _only(_prepare(name, data), "zip_bomb")
    assert "refused before reading" in err.en and "未读取即拒绝" in err.zh


def test_a_bomb_the_directory_check_lets_through_is_stopped_by_the_memory_watchdog(monkeypatch):
    # as if the directory lied about the sizes: the check is switched off for the child
    monkeypatch.setenv("PIPELINE_XLSX_MAX_RATIO", "1000000000")
    p = prepare("shared-string.xlsx", huge_string_xlsx(), as_of=AS_OF, memory_mb=400)
    assert not p.ok and p.report.errors[0].code == "unreadable"
    assert "400 MB of memory" in p.report.errors[0].en and "400 MB 内存" in p.report.errors[0].zh


def test_a_real_workbook_of_thousands_of_rows_is_no_bomb():
    def build(wb):
        _sheet(wb, "台账", [[f"P{i:05d}", f"项目{i}", "华东", "立项", i % 97 + 0.5] for i in range(20_000)])

    p = _prepare("big.xlsx", _xlsx_bytes(build))
    assert p.ok, p.messages()
    assert p.projects.height == 20_000


# --- issue 10 item 7, ingest half: bidi controls and long text ---------------------------


def test_bidi_controls_are_stripped_and_long_text_cut_each_with_a_warning_naming_rows_and_column():
    long_name = "很长的项目名称" * 3000  # 21,000 characters
    lines = ["项目编号,项目名称,负责人", f"P1,{long_name},\u202eevil", "P2,机房,李\u2066娜\u2069", f"\u202eP3,{long_name[:600]},王强"]
    p = _prepare("hostile.csv", ("\n".join(lines) + "\n").encode())
    assert p.ok, p.messages()
    df = p.projects
    assert df["owner"].to_list() == ["evil", "李娜", "王强"]
    assert df["project_id"].to_list() == ["P1", "P2", "P3"]
    assert [len(n) for n in df["project_name"].to_list()] == [500, 2, 500]
    bidi = [w for w in p.report.warnings if w.code == "bidi_removed"]
    assert [(w.column, w.row) for w in bidi] == [("负责人", 2)] and "2, 3" in bidi[0].en
    [cut] = [w for w in p.report.warnings if w.code == "text_cut"]
    assert (cut.column, cut.row) == ("项目名称", 2) and "rows 2, 4" in cut.en and "500" in cut.zh


# --- refusals leave the database as it was ---------------------------------------------


def test_every_refused_file_leaves_the_database_byte_for_byte_unchanged(db_path):
    before = _db_with_one_import(db_path)
    refused = [
        _prepare("big5.csv", _en_csv(TRADITIONAL).encode("big5")),
        _prepare("m.csv", "项目编号,毛利率\nP1,23\nP2,1\n".encode()),
        _prepare("amb.csv", "项目编号;预计签约金额\nP1;1.234\n".encode()),
        _prepare("bomb.xlsx", huge_string_xlsx()),
        _prepare("ids.csv", "项目编号\nHX-1\nＨＸ－１\n".encode()),
        _prepare("openpyxl.xlsx", _openpyxl_bytes([["项目编号", "预计签约金额"], ["P1", "=1+1"]])),
    ]
    assert all(not p.ok for p in refused)
    ok = _prepare("fine.csv", "项目编号,预计签约金额\nF1,1\n".encode())
    with pytest.raises(IngestRefused):
        commit(db_path, [ok, *refused])
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


# --- never a traceback ------------------------------------------------------------------

CELLS = ["项目编号", "项目名称", "金额（万元）", "预计签约金额", "合同", "毛利率", "当前阶段", "单位：万元", "P1", "P2",
         "ＰＲ－１", "提案", "1,234", "1.234,5", "(2,000)", "￥9", "23", "1", "0.5", "#N/A", "合计", "", "\u202e x", 3, 0.25]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(  # sheets: (hidden, rows, merges, formula cells)
        st.tuples(
            st.booleans(),
            st.lists(st.lists(st.sampled_from(CELLS), max_size=6), max_size=6),
            st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 1), st.integers(0, 2)), max_size=2),
            st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from([None, 0, "#DIV/0!"])), max_size=3),
        ),
        min_size=1, max_size=3,
    ),
    st.booleans(),
)
def test_any_workbook_shape_is_read_or_refused_with_a_report_never_a_crash(sheets, full_calc):
    from dashboard.config import get_config
    from dashboard.ingest.clean import prepare_local

    def build(wb):
        for k, (hidden, rows, merges, formulas) in enumerate(sheets):
            ws = wb.add_worksheet(f"s{k}")
            for r, row in enumerate(rows):
                ws.write_row(r, 0, row)
            for i, (r, c, h, w) in enumerate(merges):
                if h or w:
                    ws.merge_range(10 + 10 * i + r, c, 10 + 10 * i + r + h, c + w, "金额（万元）")
            for r, c, v in formulas:
                ws.write_formula(r + 20, c, "=1+1", None, v)
            if hidden and k:
                ws.hide()

    data = _xlsx_bytes(build)
    if not full_calc:
        data = _rezip(data, lambda n, b: b.replace(b' fullCalcOnLoad="1"', b"") if n == "xl/workbook.xml" else b)
    report, projects, events = prepare_local("f.xlsx", data, as_of=None, mapping=None, config=get_config(), today=AS_OF)
    assert report.ok or report.errors
    if report.ok:
        assert projects.height + events.height > 0
        assert projects["project_id"].null_count() == 0
