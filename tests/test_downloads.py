"""Downloads: CSV that Excel opens safely (BOM, formulas neutralised), Excel with text as text."""

import io
from datetime import date

import polars as pl

from dashboard import downloads
from dashboard.config import get_config


def test_csv_starts_with_a_bom_and_keeps_chinese():
    out = downloads.to_csv_bytes(pl.DataFrame({"项目名称": ["智慧园区"], "金额": [1.5]}))
    assert out.startswith(b"\xef\xbb\xbf")
    assert "项目名称,金额\n智慧园区,1.5\n" in out.decode("utf-8-sig")


def test_csv_neutralises_every_formula_prefix_but_not_numbers():
    df = pl.DataFrame(
        {"name": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "normal", None], "delta": [-5, 1, 2, 3, 4, 5, 6]}
    )
    text = downloads.to_csv_bytes(df).decode("utf-8-sig")
    rows = text.splitlines()[1:]
    assert rows[0].startswith("\"'=HYPERLINK")
    assert rows[1] == "'+1+1,1" and rows[2] == "'-2+3,2" and rows[3] == "'@SUM(A1),3"
    assert rows[5] == "normal,5" and rows[6] == ",6"
    assert rows[0].endswith(",-5")  # a negative number stays a number


def test_a_formula_like_header_is_neutralised_too():
    text = downloads.to_csv_bytes(pl.DataFrame({"=cmd": [1]})).decode("utf-8-sig")
    assert text.splitlines()[0] == "'=cmd"


def test_excel_keeps_formula_like_text_as_text():
    df = pl.DataFrame({"name": ["=1+1", "项目"], "amount": [1.5, None], "on": [date(2026, 11, 23), None]})
    blob = downloads.to_xlsx_bytes({"sheet/with:bad*chars": df})
    back = pl.read_excel(io.BytesIO(blob), engine="calamine", sheet_id=1)
    assert back.get_column("name").to_list() == ["=1+1", "项目"]
    assert back.get_column("amount").to_list()[0] == 1.5
    import zipfile

    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula cell anywhere


def test_the_weekly_pack_has_the_five_sheets_in_order():
    empty = pl.DataFrame({"x": [1]})
    blob = downloads.weekly_pack(summary=empty, changes=empty, stalled=empty, margin_alerts=empty, funnel_region_grade=empty)
    import fastexcel

    names = fastexcel.read_excel(blob).sheet_names
    assert names == ["Summary", "Changes", "Stalled", "Margin alerts", "Funnel region x grade"]


def test_template_headers_are_ones_the_importer_recognises():
    cfg = get_config()
    index = cfg.header_index()
    from dashboard.config import normalize

    for lang in ("zh", "en"):
        headers = downloads.template_headers(cfg.headers, lang)
        assert len(set(headers)) == len(headers)
        assert all(normalize(h) in index for h in headers), headers
    assert downloads.template_headers(cfg.headers, "zh")[0] == "项目编号"


def test_file_stems_are_safe():
    assert downloads.file_stem("weekly/../review", date(2026, 11, 23)) == "weekly_.._review-2026-11-23"


def test_the_english_template_names_stage_dates_in_words_not_codes():
    headers = downloads.template_headers(get_config().headers, "en")
    assert not [h for h in headers if "." in h or "_" in h], headers  # no canonical names like stage_date.tender
    assert {"Development Date", "Tender Date", "Negotiation Date"} <= set(headers)


def test_both_templates_filled_in_import_cleanly_every_column_recognised():
    import xlsxwriter

    from dashboard import ingest

    cfg = get_config()
    row = {
        "project_id": "T-1", "project_name": "Template project", "customer": "ACME", "customer_grade": "A",
        "region": "华东", "owner": "Zhang", "category": "Software", "stage": "tender", "status": "open",
        "expected_amount": 120, "expected_sign_on": "2026-12-31", "created_on": "2026-09-01",
        "stage_date.development": "2026-09-01", "stage_date.approval": "2026-09-15",
        "stage_date.proposal": "2026-10-01", "stage_date.tender": "2026-11-01",
    }
    for lang in ("zh", "en"):
        blank = downloads.template_xlsx(cfg.headers, lang)
        header_row = pl.read_excel(io.BytesIO(blank), engine="calamine").columns
        assert header_row == downloads.template_headers(cfg.headers, lang)
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        ws = wb.add_worksheet("Projects")
        for c, (field, header) in enumerate(zip(downloads.TEMPLATE_FIELDS, header_row, strict=True)):
            ws.write_string(0, c, header)
            if field in row:
                ws.write(1, c, row[field])
        wb.close()
        prepared = ingest.prepare(f"template-{lang}.xlsx", buf.getvalue(), as_of=date(2026, 11, 23))
        report = prepared.report
        assert report.ok, report.messages("en")
        assert [c.canonical for c in report.columns] == list(downloads.TEMPLATE_FIELDS), lang
        assert not report.ignored_columns and report.rows_accepted == 1


# --------------------------------------------------------------------------- numbers stay numbers (issue 9, B5)


def _cells(blob: bytes, sheet: int = 0):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(blob))
    return wb.worksheets[sheet]


def test_the_weekly_pack_summary_holds_numbers_and_dates_with_their_formats_not_text():
    empty = pl.DataFrame({"x": [1]})
    summary = [
        ("快照日期", date(2026, 11, 23), "date"),
        ("在手管道金额 (万元)", 1_744_090_000 / 10_000, downloads.excel_format("%,.1f")),
        ("在跟项目数", 216, "int"),
        ("赢单率", 0.30612244897959184, "pct"),
        ("区域", "华东, 华北", "text"),
        ("本周赢单", None, "int"),
    ]
    blob = downloads.weekly_pack(summary=summary, changes=empty, stalled=empty, margin_alerts=empty,
                                 funnel_region_grade=empty, summary_header=("指标", "数值"))
    ws = _cells(blob)
    assert (ws["A1"].value, ws["B1"].value) == ("指标", "数值")
    assert ws["B2"].is_date and ws["B2"].value.date() == date(2026, 11, 23) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["B3"].data_type == "n" and ws["B3"].value == 174_409.0 and ws["B3"].number_format == "#,##0.0"
    assert ws["B4"].data_type == "n" and ws["B4"].value == 216 and ws["B4"].number_format == "#,##0"  # not the text "216"
    assert ws["B5"].data_type == "n" and ws["B5"].number_format == "0.0%"
    assert ws["B6"].data_type == "s" and ws["B6"].value == "华东, 华北"
    assert ws["B7"].value is None  # missing: blank, not "–"


def test_tables_in_excel_keep_the_page_number_formats_and_lose_the_float_noise():
    df = pl.DataFrame({"金额 (万元)": [730.9000000000001, 0.30000000000000004], "项目数": [1783, 2], "项目": ["a", "b"],
                       "日期": [date(2026, 11, 23), None]})
    formats = {"t": {"金额 (万元)": downloads.excel_format("%,.1f"), "项目数": downloads.excel_format("%,.0f")}}
    ws = _cells(downloads.to_xlsx_bytes({"t": df}, formats))
    assert ws["A2"].value == 730.9 and ws["A2"].number_format == "#,##0.0"
    assert ws["A3"].value == 0.3
    assert ws["B2"].value == 1783 and ws["B2"].number_format == "#,##0"
    assert ws["D2"].is_date and ws["D2"].number_format == "yyyy-mm-dd"
    text = downloads.to_csv_bytes(df).decode("utf-8-sig")
    assert "730.9," in text and "0.3," in text and "0000000" not in text


def test_printf_formats_become_excel_formats():
    assert downloads.excel_format("%,.1f") == "#,##0.0"
    assert downloads.excel_format("%,.2f") == "#,##0.00"
    assert downloads.excel_format("%,.0f") == "#,##0"
    assert downloads.excel_format("%.1f") == "0.0" and downloads.excel_format("%.0f") == "0"
    assert downloads.excel_format("YYYY-MM-DD") is None and downloads.excel_format(None) is None
