"""Every format trait of issue #2 point 4, each read from a real file written into tmp_path
(CSV bytes in UTF-8 / BOM / GB18030 / CRLF, XLSX workbooks written with xlsxwriter, a
crafted XLSX written with zipfile), through the public ``prepare`` (child process and all).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.ingest import Mapping, prepare

HEADER = "项目编号,项目名称,客户名称,客户等级,区域,负责人,当前阶段,预计签约金额(万元),毛利率,预计签约时间"
ROWS = [
    "P001,智慧园区一期,华东电力,A级,华东,张伟,招投标,\"1,200.50\",23%,2026/3/5",
    "P002,数据中心扩容,南方电网,b,华南,李娜,商务谈判,300,15%,2026年4月18日",
    "P003,调度系统,国家能源,C类,华北,王强,提案,45.5,18,2026-05-01",
]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _prepare(path: Path, **kw):
    return prepare(path.name, path.read_bytes(), **kw)


def _csv(lines: list[str], *, newline: str = "\n") -> str:
    return newline.join(lines) + newline


def test_a_utf8_csv_with_chinese_headers_reads_amounts_units_margins_grades_and_dates(tmp_path):
    p = _prepare(_write(tmp_path, "台账_2026-11-23.csv", _csv([HEADER, *ROWS]).encode("utf-8")))
    assert p.ok, p.messages()
    r = p.report
    assert (r.encoding, r.header_row, r.kind, r.rows_read, r.rows_accepted) == ("utf-8", 1, "projects", 3, 3)
    assert (r.as_of, r.as_of_source) == (date(2026, 11, 23), "file name")
    df = p.projects.sort("project_id")
    assert df["expected_amount"].to_list() == [Decimal("12005000.00"), Decimal("3000000.00"), Decimal("455000.00")]
    assert df["estimated_margin"].to_list() == [0.23, 0.15, 0.18]
    assert df["customer_grade"].to_list() == ["A", "B", "C"]
    assert df["stage"].to_list() == ["tender", "negotiation", "proposal"]
    assert df["status"].to_list() == ["open", "open", "open"]
    assert df["expected_sign_on"].to_list() == [date(2026, 3, 5), date(2026, 4, 18), date(2026, 5, 1)]
    assert df.schema["expected_amount"] == pl.Decimal(18, 2)
    units = {c.canonical: c.unit for c in r.columns}
    assert units["expected_amount"] == "万元"


def test_a_csv_with_a_byte_order_mark_and_crlf_line_ends_reads_the_same(tmp_path):
    data = b"\xef\xbb\xbf" + _csv([HEADER, *ROWS], newline="\r\n").encode("utf-8")
    p = _prepare(_write(tmp_path, "bom.csv", data))
    assert p.ok, p.messages()
    assert p.report.encoding == "utf-8-sig"
    assert p.projects["project_id"].to_list() == ["P001", "P002", "P003"]  # no BOM glued to the first header
    assert p.projects["project_name"].to_list()[0] == "智慧园区一期"  # no stray \r


def test_a_gb18030_csv_saved_from_chinese_excel_is_detected_and_read_without_loss(tmp_path):
    data = _csv([HEADER, *ROWS, "P004,𠀀扩展字符项目,中石化,D,西南,赵敏,立项,10,20%,2026-06-30"], newline="\r\n").encode("gb18030")
    p = _prepare(_write(tmp_path, "gbk.csv", data))
    assert p.ok, p.messages()
    assert p.report.encoding == "gb18030"
    assert "𠀀扩展字符项目" in p.projects["project_name"].to_list()
    assert not any("\ufffd" in (s or "") for s in p.projects["project_name"].to_list())


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_never_decoded_lossily(tmp_path):
    data = _csv([HEADER, *ROWS]).encode("utf-8") + b"P9,\xff\xfe\x80,x\n"
    p = _prepare(_write(tmp_path, "broken.csv", data))
    assert not p.ok
    assert p.report.errors[0].code == "encoding"
    assert p.report.errors[0].row == 5  # the line holding the bad bytes


def test_a_csv_already_holding_replacement_characters_is_refused(tmp_path):
    data = _csv([HEADER, ROWS[0].replace("华东电力", "华\ufffd电力")]).encode("utf-8")
    p = _prepare(_write(tmp_path, "fffd.csv", data))
    assert not p.ok and p.report.errors[0].code == "bad_text" and p.report.errors[0].row == 2


def test_tab_and_semicolon_separated_exports_are_read_like_csv(tmp_path):
    for sep, name in (("\t", "导出.txt"), (";", "export-eu.csv")):
        lines = [f"项目编号{sep}当前阶段{sep}预计签约金额", f"P1{sep}提案{sep}1,5", f"P2{sep}立项{sep}2", f"P3{sep}立项"]
        p = _prepare(_write(tmp_path, name, _csv(lines).encode()))
        assert p.report.delimiter == sep
        assert [(e.code, e.row) for e in p.report.errors] == [("ragged_row", 4)]
        ok = _prepare(_write(tmp_path, name, _csv(lines[:3]).encode()))
        assert ok.ok and ok.projects["stage"].to_list() == ["proposal", "approval"]


def test_title_rows_above_the_header_are_skipped_and_give_the_as_of_date(tmp_path):
    lines = ["大客户项目台账（截至2026年11月23日）,,,,,,,,,", "制表：销售管理部,,,,,,,,,", ",,,,,,,,,", HEADER, *ROWS]
    p = _prepare(_write(tmp_path, "ledger.csv", _csv(lines).encode("utf-8")))
    assert p.ok, p.messages()
    assert p.report.header_row == 4
    assert (p.report.as_of, p.report.as_of_source) == (date(2026, 11, 23), "title row")


def test_a_given_as_of_date_wins_over_the_title_and_the_file_name(tmp_path):
    lines = ["台账（截至2026年11月23日）,,,,,,,,,", HEADER, *ROWS]
    p = _prepare(_write(tmp_path, "x_2026-01-01.csv", _csv(lines).encode()), as_of=date(2026, 2, 2))
    assert (p.report.as_of, p.report.as_of_source) == (date(2026, 2, 2), "given")


def test_totals_and_blank_rows_are_dropped_and_counted_as_skipped_with_a_reason(tmp_path):
    lines = [HEADER, ROWS[0], ",,,,,,,,,", ROWS[1], "", ROWS[2], "合计,,,,,,,\"1,546.00\",,", "Total,,,,,,,,,"]
    p = _prepare(_write(tmp_path, "totals.csv", _csv(lines).encode()))
    assert p.ok, p.messages()
    r = p.report
    assert (r.rows_read, r.rows_accepted, r.rows_skipped) == (7, 3, 4)
    assert sorted(r.skipped.values()) == [2, 2]
    assert p.projects.height == 3


def test_a_ragged_csv_row_is_an_error_naming_its_line_not_a_silent_null_fill(tmp_path):
    lines = [HEADER, ROWS[0], "P002,数据中心扩容,南方电网", ROWS[2], ROWS[2].replace("P003", "P004") + ",多余"]
    p = _prepare(_write(tmp_path, "ragged.csv", _csv(lines).encode()))
    assert not p.ok
    ragged = [e for e in p.report.errors if e.code == "ragged_row"]
    assert [e.row for e in ragged] == [3, 5]
    assert "3 fields but the header has 10" in ragged[0].text("en")
    assert "字段" in ragged[0].text("zh")


def test_a_quoted_field_spanning_lines_keeps_row_numbers_true_to_the_file(tmp_path):
    lines = [HEADER, 'P001,"智慧园区\n一期",华东电力,A,华东,张伟,招投标,1,23%,2026-03-05', "P002,x,y,E级,华南,李娜,提案,2,15%,2026-03-05"]
    p = _prepare(_write(tmp_path, "multiline.csv", _csv(lines).encode()))
    assert [(e.code, e.row, e.column, e.value) for e in p.report.errors] == [("bad_grade", 4, "客户等级", "E级")]


def test_duplicate_headers_are_an_error_not_a_silent_merge(tmp_path):
    lines = ["项目编号,项目名称,关闭日期,关闭日期", "P1,a,2026-01-01,2026-02-01"]
    p = _prepare(_write(tmp_path, "dup.csv", _csv(lines).encode()))
    assert not p.ok
    err = p.report.errors[0]
    assert err.code == "duplicate_header" and err.column == "关闭日期" and "C" in err.en and "D" in err.en


def test_two_different_headers_meaning_the_same_field_are_an_error(tmp_path):
    lines = ["项目编号,商机编号,项目名称", "P1,P1,a"]
    p = _prepare(_write(tmp_path, "twoids.csv", _csv(lines).encode()))
    assert [e.code for e in p.report.errors] == ["duplicate_field"]


def test_duplicate_project_ids_are_an_error_naming_both_rows(tmp_path):
    lines = [HEADER, ROWS[0], ROWS[1], ROWS[0].replace("智慧园区一期", "另一个")]
    p = _prepare(_write(tmp_path, "dupid.csv", _csv(lines).encode()))
    errs = [e for e in p.report.errors if e.code == "duplicate_id"]
    assert len(errs) == 1 and errs[0].value == "P001" and "2, 4" in errs[0].en


def test_each_bad_value_is_reported_with_row_column_value_and_what_was_expected_in_both_languages(tmp_path):
    lines = [HEADER, ROWS[0].replace("23%", "很高"), ROWS[1].replace("2026年4月18日", "下周"), ROWS[2].replace("提案", "跳舞")]
    p = _prepare(_write(tmp_path, "bad.csv", _csv(lines).encode()))
    got = {(e.code, e.row, e.column, e.value) for e in p.report.errors}
    assert got == {("bad_margin", 2, "毛利率", "很高"), ("bad_date", 3, "预计签约时间", "下周"), ("bad_stage", 4, "当前阶段", "跳舞")}
    for e in p.report.errors:
        assert e.expected_en and e.expected_zh
    zh = "\n".join(p.messages("zh"))
    assert "第 3 行" in zh and "列「预计签约时间」" in zh


def test_slash_dates_with_a_day_above_12_decide_month_first_for_the_column(tmp_path):
    lines = ["项目编号,预计签约时间,创建日期", "P1,3/5/2026,2026-01-02", "P2,12/25/2026,2026-01-03"]
    p = _prepare(_write(tmp_path, "mdy.csv", _csv(lines).encode()))
    assert p.ok, p.messages()
    assert p.projects["expected_sign_on"].to_list() == [date(2026, 3, 5), date(2026, 12, 25)]
    assert p.report.date_orders == {"预计签约时间": "MDY"}


def test_slash_dates_that_never_tell_day_from_month_are_refused_asking_for_the_order(tmp_path):
    lines = ["项目编号,预计签约时间", "P1,3/5/2026", "P2,4/6/2026"]
    path = _write(tmp_path, "ambiguous.csv", _csv(lines).encode())
    p = _prepare(path)
    assert [e.code for e in p.report.errors] == ["date_order"]
    assert "date_order" in p.report.errors[0].en
    fixed = _prepare(path, mapping=Mapping(name="dmy", constants={"date_order": "DMY"}))
    assert fixed.ok and fixed.projects["expected_sign_on"].to_list() == [date(2026, 5, 3), date(2026, 6, 4)]


def test_datetimes_and_excel_serials_in_text_become_dates(tmp_path):
    lines = ["项目编号,预计签约时间,创建日期", "P1,2018-10-13 17:16:45,45991", "P2,2018-10-14T08:00:00,45992"]
    p = _prepare(_write(tmp_path, "dt.csv", _csv(lines).encode()))
    assert p.projects["expected_sign_on"].to_list() == [date(2018, 10, 13), date(2018, 10, 14)]
    assert p.projects["created_on"].to_list() == [date(2025, 11, 30), date(2025, 12, 1)]


def test_a_status_word_in_the_stage_column_sets_the_status_and_the_stage_comes_from_elsewhere(tmp_path):
    lines = [
        "项目编号,商机阶段,立项日期,提案日期,投标日期,丢单原因",
        "P1,赢单,2026-01-05,2026-02-01,2026-03-01,",
        "P2,丢单,2026-01-05,2026-02-01,,价格",
        "P3,Closed Lost,,,,",
        "P4,放弃,2026-01-05,,,成本过高，不投标",
    ]
    p = _prepare(_write(tmp_path, "status.csv", _csv(lines).encode()))
    assert p.ok, p.messages()
    got = p.projects.select("project_id", "stage", "status").rows()
    assert got == [("P1", "delivery", "won"), ("P2", "proposal", "lost"), ("P3", None, "lost"), ("P4", "approval", "dropped")]
    ev = p.events.sort("project_id", "entered_on")
    assert ev.filter(pl.col("project_id") == "P1")["stage"].to_list() == ["approval", "proposal", "tender"]
    assert set(ev["source"]) == {"stage_dates"}


def test_status_words_in_a_status_column_are_read_in_chinese_and_english(tmp_path):
    lines = ["项目编号,当前阶段,状态", "P1,提案,跟进中", "P2,工程实施,已验收", "P3,招投标,Dropped", "P4,立项,输单"]
    p = _prepare(_write(tmp_path, "st.csv", _csv(lines).encode()))
    assert p.projects["status"].to_list() == ["open", "completed", "dropped", "lost"]


def test_stage_names_are_matched_tolerating_full_width_case_and_spaces(tmp_path):
    lines = ["项目编号,当前阶段", "P1,商务 谈判", "P2,ＮＥＧＯＴＩＡＴＩＯＮ", "P3,proposal/price quote", "P4,工程实施阶段"]
    p = _prepare(_write(tmp_path, "fw.csv", _csv(lines).encode()))
    assert p.projects["stage"].to_list() == ["negotiation", "negotiation", "proposal", "delivery"]


def test_a_long_stage_history_export_is_detected_and_exact_duplicates_do_not_inflate_events(tmp_path):
    lines = [
        "项目编号,阶段,进入日期,原阶段",
        "P1,客户开发,2026-01-05,",
        "P1,立项,2026-02-01,客户开发",
        "P1,立项,2026-02-01,客户开发",  # the same entry again (only another field changed)
        "P1,提案,2026-03-01,立项",
        "P1,立项,2026-03-20,提案",  # a fall-back is kept
        "P2,立项,2026-02-01,",
        "P2,丢单,2026-02-15,立项",
    ]
    p = _prepare(_write(tmp_path, "history_2026-03-31.csv", _csv(lines).encode()))
    assert p.ok, p.messages()
    assert p.report.kind == "history" and p.projects.height == 0
    assert p.events.height == 5
    assert p.report.rows_skipped == 2  # one duplicate, one status change
    assert p.events.filter(pl.col("project_id") == "P1")["previous_stage"].to_list() == [None, "development", "approval", "proposal"]


def _write_workbook(path: Path, *, rows: int = 3) -> None:
    wb = xlsxwriter.Workbook(path)
    notes = wb.add_worksheet("填写说明")
    notes.write(0, 0, "说明：本表由销售管理部每周一导出。")
    notes.write(1, 0, "金额单位：万元；阶段见下表。")
    notes.write_row(3, 0, ["阶段", "说明"])
    notes.write_row(4, 0, ["立项", "售前立项"])
    pivot = wb.add_worksheet("透视表")
    pivot.write_row(0, 0, ["Row Labels", "Sum of 预计签约金额"])
    pivot.write_row(1, 0, ["华东", 1200.5])
    ws = wb.add_worksheet("项目台账")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 6, "大客户项目台账（截至2026年11月23日）")
    ws.write(1, 0, "单位：万元")
    ws.write_row(3, 0, ["项目编号", "项目名称", "客户等级", "当前阶段", "预计签约金额（万元）", "毛利率", "预计签约时间", "创建日期"])
    stages = ["招投标", "提案", "商务谈判", "赢单"]
    for i in range(rows):
        r = 4 + i
        ws.write_string(r, 0, f"P{i + 1:04d}")
        ws.write_string(r, 1, f"项目{i + 1}")
        ws.write_string(r, 2, "ABCD"[i % 4] + "级")
        ws.write_string(r, 3, stages[i % 4])
        ws.write_number(r, 4, 100 + i + 0.5)
        ws.write_number(r, 5, 0.2)
        ws.write_datetime(r, 6, datetime(2026, 3, 5 + i % 20), date_fmt)
        ws.write_number(r, 7, 45991 + i)  # a date as a bare Excel serial (no date format)
    ws.write_row(4 + rows, 0, ["合计", "", "", "", 100 * rows])
    wb.close()


def test_an_xlsx_ledger_is_read_from_the_right_sheet_below_its_title_rows_with_totals_dropped(tmp_path):
    path = tmp_path / "台账.xlsx"
    _write_workbook(path, rows=4)
    p = _prepare(path)
    assert p.ok, p.messages()
    r = p.report
    assert (r.file_type, r.sheet, r.header_row) == ("xlsx", "项目台账", 4)
    assert r.sheets_considered == ["填写说明", "透视表", "项目台账"]
    assert (r.rows_read, r.rows_accepted, r.rows_skipped) == (5, 4, 1)
    assert (r.as_of, r.as_of_source) == (date(2026, 11, 23), "title row")
    df = p.projects
    assert df["expected_amount"].to_list() == [Decimal("1005000.00"), Decimal("1015000.00"), Decimal("1025000.00"), Decimal("1035000.00")]
    assert df["expected_sign_on"].to_list() == [date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)]
    assert df["status"].to_list() == ["open", "open", "open", "won"]
    assert df["created_on"].to_list()[:2] == [date(2025, 11, 30), date(2025, 12, 1)]


def test_an_xlsx_error_names_the_row_as_excel_shows_it(tmp_path):
    path = tmp_path / "bad.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("data")
    ws.write(2, 1, "项目台账")  # the sheet's first cell is B3: calamine's grid starts there
    ws.write_row(4, 1, ["项目编号", "客户等级"])
    ws.write_row(5, 1, ["P1", "A"])
    ws.write_row(6, 1, ["P2", "Z级"])
    wb.close()
    p = _prepare(path)
    assert [(e.code, e.row, e.column) for e in p.report.errors] == [("bad_grade", 7, "客户等级")]


def crafted_xlsx() -> bytes:
    """A tiny workbook declaring a cell at XFD1048576 (the last cell Excel allows)."""
    ct = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    wb = (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="项目" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>项目编号</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>项目名称</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wb_rels), ("xl/worksheets/sheet1.xml", sheet)]:
            z.writestr(name, text)
    return buf.getvalue()


def test_a_crafted_xlsx_that_aborts_the_excel_reader_is_refused_without_killing_this_process(tmp_path):
    path = _write(tmp_path, "crafted.xlsx", crafted_xlsx())
    assert path.stat().st_size < 2500
    p = _prepare(path)
    assert not p.ok
    assert p.report.errors[0].code == "unreadable"
    assert "could not be read safely" in p.report.errors[0].en
    assert "无法被安全读取" in p.report.errors[0].zh
    again = _prepare(_write(tmp_path, "ok.csv", _csv([HEADER, *ROWS]).encode()))
    assert again.ok  # and this process carries on


def huge_string_xlsx() -> bytes:
    """~30 KB zipped: one 1 MB shared string referenced by 12,000 cells (12 GB unpacked)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'count="1" uniqueCount="1"><si><t>' + "x" * 1_000_000 + "</t></si></sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(
                f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in "ABCDEFGHIJKL") + "</row>"
                for r in range(1, 1001)
            )
            + "</sheetData></worksheet>"
        ),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_a_small_xlsx_that_unpacks_to_gigabytes_is_refused(tmp_path):
    path = _write(tmp_path, "huge-strings.xlsx", huge_string_xlsx())
    assert path.stat().st_size < 40_000
    p = prepare(path.name, path.read_bytes())
    # from the zip directory, before inflating (issue 9; tests/test_ingest_trust.py has the rest)
    assert not p.ok and p.report.errors[0].code == "zip_bomb"


def test_a_file_that_takes_longer_than_the_time_limit_is_refused(tmp_path):
    path = _write(tmp_path, "slow.csv", _csv([HEADER, *ROWS]).encode())
    p = prepare(path.name, path.read_bytes(), timeout_s=0.01)
    assert not p.ok and "longer than 0.01 s" in p.report.errors[0].en


def test_a_file_that_needs_more_memory_than_the_limit_is_refused(tmp_path):
    path = _write(tmp_path, "big.csv", _csv([HEADER, *ROWS]).encode())
    p = prepare(path.name, path.read_bytes(), memory_mb=64)
    assert not p.ok and p.report.errors[0].code == "unreadable"


def test_the_file_name_is_a_label_never_a_path(tmp_path):
    data = _csv([HEADER, *ROWS]).encode()
    p = prepare("../../etc/passwd/台账_2026-11-23.csv", data)
    assert p.report.file_name == "台账_2026-11-23.csv"
    p = prepare("C:\\Users\\x\\导出.csv", data, as_of=date(2026, 1, 1))
    assert p.report.file_name == "导出.csv"


def test_a_file_with_no_recognisable_header_is_refused_with_a_hint_about_mappings(tmp_path):
    p = _prepare(_write(tmp_path, "other.csv", b"foo,bar,baz\n1,2,3\n"))
    assert not p.ok and p.report.errors[0].code == "no_header" and "mapping" in p.report.errors[0].en


def test_the_report_round_trips_through_a_dict_and_lists_recognised_and_ignored_columns(tmp_path):
    lines = [HEADER + ",备注", *(r + ",x" for r in ROWS)]
    p = _prepare(_write(tmp_path, "cols.csv", _csv(lines).encode()))
    d = p.to_dict()
    assert d["ok"] is True and d["ignored_columns"] == ["备注"]
    # (later keys such as unit_source and sheet are additions; these four keep their meaning)
    assert {"header": "预计签约金额(万元)", "canonical": "expected_amount", "how": "alias", "unit": "万元"} in [
        {k: c[k] for k in ("header", "canonical", "how", "unit")} for c in d["columns"]
    ]
    assert d["rows_read"] == 3 and d["sha256"] and d["as_of_source"] == "today"


CELLS = [
    "项目编号", "项目名称", "当前阶段", "预计签约金额(万元)", "毛利率", "预计签约时间", "立项日期", "阶段", "进入日期",
    "原阶段", "P1", "P2", "", "  ", "合计", "赢单", "提案", "1,234", "23%", "2026/3/5", "3/5/2026", "13/5/2026",
    "45991", "abc", '"x,y"', '"a""b"', "\t", "Ａ级", "E级", "\r", "\ufeff", '"multi\nline"', ";", "总计：",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(CELLS), max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "gb18030"]),
)
def test_any_csv_like_file_is_read_or_refused_with_a_report_never_a_crash(rows, sep, newline, encoding):
    from dashboard.config import get_config
    from dashboard.ingest.clean import prepare_local

    data = newline.join(sep.join(r) for r in rows).encode(encoding, errors="ignore")
    report, projects, events = prepare_local("f.csv", data, as_of=None, mapping=None, config=get_config(), today=date(2026, 1, 1))
    assert report.ok or report.errors
    if report.ok:
        assert projects.height + events.height > 0
        assert projects["project_id"].null_count() == 0


def test_an_xlsx_cell_already_holding_a_replacement_character_is_refused(tmp_path):
    path = tmp_path / "fffd.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("data")
    ws.write_row(0, 0, ["项目编号", "客户名称"])
    ws.write_row(1, 0, ["P1", "华\ufffd电力"])
    wb.close()
    p = _prepare(path)
    assert [(e.code, e.row, e.column, e.sheet) for e in p.report.errors] == [("bad_text", 2, "客户名称", "data")]
