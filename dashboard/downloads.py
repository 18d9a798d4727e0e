"""Files people download: CSV that Excel opens safely, Excel workbooks, the weekly review pack.

Owns: CSV as UTF-8 with a BOM (so Excel shows Chinese) where every text cell that starts
with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is neutralised with a leading
apostrophe — project names come from uploads and must never run as formulas; Excel
workbooks via xlsxwriter with formula/URL interpretation switched off, so text stays text.
Numbers are written as numbers (never "216" as text), with the number format the page
shows them in (``formats``), dates as dates, and floats without binary noise (730.9,
not 730.9000000000001: 15 significant digits, what Excel itself keeps).
Pure: must not import streamlit (pages render the buttons; this module makes the bytes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import xlsxwriter

from dashboard import pymap

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SIGNIFICANT_DIGITS = 15  # a float's decimal digits that are real (IEEE double): the rest is noise
# Excel number formats by kind (weekly_pack's summary rows name a kind or give a format).
KIND_FORMATS = {"int": "#,##0", "pct": "0.0%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "text": None}
BOM = "\ufeff"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


def neutralise(text: str) -> str:
    """``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``: shown as text by Excel/LibreOffice/Sheets."""
    if text and text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def _neutralised(df: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, dt in df.schema.items() if dt == pl.String]
    if not text_cols:
        return df
    pattern = r"^[=+\-@\t\r]"
    return df.with_columns(
        pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text_cols
    )


def _flatten(df: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists/structs: show them as text."""
    nested = [c for c, dt in df.schema.items() if isinstance(dt, (pl.List, pl.Struct, pl.Array))]
    if not nested:
        return df
    return df.with_columns(pymap.values(df, c, str) for c in nested)


def _without_float_noise(df: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, dt in df.schema.items() if dt in (pl.Float32, pl.Float64)]
    return df.with_columns(pl.col(c).round_sig_figs(SIGNIFICANT_DIGITS) for c in floats) if floats else df


def clean_number(value: float) -> float:
    """``value`` to 15 significant digits: 730.9000000000001 -> 730.9."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def excel_format(printf: str | None) -> str | None:
    """A table's printf number format as Excel's: '%,.1f' -> '#,##0.0', '%.0f' -> '0';
    anything else (or None) -> None (General)."""
    m = re.fullmatch(r"%(,?)\.(\d)f", printf or "")
    if not m:
        return None
    whole = "#,##0" if m.group(1) else "0"
    return whole + ("." + "0" * int(m.group(2)) if int(m.group(2)) else "")


def to_csv_bytes(df: pl.DataFrame) -> bytes:
    """UTF-8 with BOM, formula-like text neutralised, column names included (also
    neutralised), floats without binary noise."""
    df = _neutralised(_without_float_noise(_flatten(df)))
    df = df.rename({c: neutralise(c) for c in df.columns if neutralise(c) != c})
    return (BOM + df.write_csv()).encode("utf-8")


def _excel_sheet_name(name: str, used: set[str]) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet"
    cleaned = cleaned[:31]
    base, n = cleaned, 2
    while cleaned.lower() in used:
        suffix = f" ({n})"
        cleaned = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(cleaned.lower())
    return cleaned


class _Formats:
    """xlsxwriter formats of one workbook, made once per number format."""

    def __init__(self, wb):
        self.wb = wb
        self.header = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        self._made: dict[str, Any] = {}

    def __call__(self, num_format: str | None):
        if num_format is None:
            return None
        if num_format not in self._made:
            self._made[num_format] = self.wb.add_format({"num_format": num_format})
        return self._made[num_format]


def _write_cell(ws, row: int, col: int, value, fmts: _Formats, num_format: str | None = None) -> None:
    if value is None:
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float, Decimal)):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):  # NaN/inf are not numbers to Excel
            ws.write_blank(row, col, None)
        else:
            ws.write_number(row, col, clean_number(f), fmts(num_format))
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmts(KIND_FORMATS["datetime"]))
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmts(KIND_FORMATS["date"]))
    else:
        ws.write_string(row, col, str(value))  # never a formula, never a URL


def _new_workbook(buf: io.BytesIO):
    return xlsxwriter.Workbook(
        buf,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )


def _write_frame(ws, df: pl.DataFrame, fmts: _Formats, formats: Mapping[str, str | None] | None = None) -> None:
    """A frame as a sheet: header row bold and frozen, a filter, columns as wide as their
    text, every cell typed (``formats``: column -> Excel number format)."""
    df = _flatten(df)
    formats = formats or {}
    for c, col in enumerate(df.columns):
        ws.write_string(0, c, str(col), fmts.header)
        width = max([len(str(col))] + [len(str(v)) for v in df.get_column(col).head(200).to_list()])
        ws.set_column(c, c, min(max(width + 2, 8), 50))
    col_formats = [formats.get(col) for col in df.columns]
    for r, row in enumerate(df.iter_rows(), start=1):
        for c, value in enumerate(row):
            _write_cell(ws, r, c, value, fmts, col_formats[c])
    ws.freeze_panes(1, 0)
    if df.width:
        ws.autofilter(0, 0, max(df.height, 1), df.width - 1)


def to_xlsx_bytes(sheets: Mapping[str, pl.DataFrame], formats: Mapping[str, Mapping[str, str | None]] | None = None) -> bytes:
    """One worksheet per frame (name -> frame), header row bold and frozen, text as text,
    numbers as numbers (``formats``: sheet name -> column -> Excel number format)."""
    buf = io.BytesIO()
    wb = _new_workbook(buf)
    fmts = _Formats(wb)
    used: set[str] = set()
    for name, df in sheets.items():
        ws = wb.add_worksheet(_excel_sheet_name(name, used))
        _write_frame(ws, df, fmts, (formats or {}).get(name))
    wb.close()
    return buf.getvalue()


def _write_pairs(ws, rows: Sequence[tuple[str, Any, str | None]], header: tuple[str, str], fmts: _Formats) -> None:
    """(label, value, kind or Excel format) rows: each value typed with its own format."""
    ws.write_string(0, 0, header[0], fmts.header)
    ws.write_string(0, 1, header[1], fmts.header)
    for r, (label, value, kind) in enumerate(rows, start=1):
        ws.write_string(r, 0, str(label))
        num_format = KIND_FORMATS[kind] if kind in KIND_FORMATS else kind
        _write_cell(ws, r, 1, value, fmts, num_format)
    ws.set_column(0, 0, min(max([len(str(h)) for h, *_ in rows] + [len(header[0])]) * 2 + 2, 50))
    ws.set_column(1, 1, 24)
    ws.freeze_panes(1, 0)


def weekly_pack(
    *,
    summary: Sequence[tuple[str, Any, str | None]] | pl.DataFrame,
    changes: pl.DataFrame,
    stalled: pl.DataFrame,
    margin_alerts: pl.DataFrame,
    funnel_region_grade: pl.DataFrame,
    forecast: pl.DataFrame | None = None,
    targets: pl.DataFrame | None = None,
    sheet_names: Mapping[str, str] | None = None,
    formats: Mapping[str, Mapping[str, str | None]] | None = None,
    summary_header: tuple[str, str] = ("Metric", "Value"),
    extra_sheets: Mapping[str, pl.DataFrame] | None = None,
) -> bytes:
    """The one-click workbook for the weekly review: five sheets (six with ``forecast``:
    this/next month and quarter; seven with ``targets``: attainment this month and quarter),
    already in display form.
    ``summary``: (label, value, kind) rows — kind "int", "pct" (a ratio), "date", "text" or
    an Excel number format — each value written as what it is; ``formats``: sheet name ->
    column -> Excel number format for the other sheets. ``extra_sheets``: more sheets after
    those (sheet name -> frame; the visit alerts and revisits of issue 13)."""
    names = {
        "summary": "Summary",
        "changes": "Changes",
        "stalled": "Stalled",
        "margin": "Margin alerts",
        "funnel": "Funnel region x grade",
        "forecast": "Forecast",
        "targets": "Targets",
    } | dict(sheet_names or {})
    buf = io.BytesIO()
    wb = _new_workbook(buf)
    fmts = _Formats(wb)
    used: set[str] = set()
    ws = wb.add_worksheet(_excel_sheet_name(names["summary"], used))
    if isinstance(summary, pl.DataFrame):
        _write_frame(ws, summary, fmts)
    else:
        _write_pairs(ws, summary, summary_header, fmts)
    sheets = [("changes", changes), ("stalled", stalled), ("margin", margin_alerts), ("funnel", funnel_region_grade)]
    if forecast is not None:
        sheets.append(("forecast", forecast))
    if targets is not None:
        sheets.append(("targets", targets))
    for key, df in sheets:
        ws = wb.add_worksheet(_excel_sheet_name(names[key], used))
        _write_frame(ws, df, fmts, (formats or {}).get(names[key]))
    for name, df in (extra_sheets or {}).items():
        ws = wb.add_worksheet(_excel_sheet_name(name, used))
        _write_frame(ws, df, fmts, (formats or {}).get(name))
    wb.close()
    return buf.getvalue()


def file_stem(*parts: object) -> str:
    """A safe download file name from labels (dates, page names)."""
    text = "-".join(str(p) for p in parts if p not in (None, ""))
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "export"


# The fields of a blank template, in the order a sales office fills them in.
TEMPLATE_FIELDS = (
    "project_id", "project_name", "customer", "customer_grade", "region", "owner", "category", "product_line",
    "stage", "status", "expected_amount", "contract_amount", "estimated_cost", "estimated_margin",
    "bid_amount", "actual_cost", "expense_budget", "expense_actual", "expected_sign_on",
    "created_on", "lost_reason",
    "stage_date.development", "stage_date.approval", "stage_date.proposal",
    "stage_date.tender", "stage_date.negotiation", "stage_date.delivery",
)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# A targets file (issue 12; docs/INGEST.md "Targets"): the amount's header names its unit, so a
# 300 meant as 300 万元 is never read as 300 元.
TARGET_TEMPLATE_FIELDS = ("region", "owner", "category", "target_year", "target_quarter", "target_month", "target_amount")
TARGET_TEMPLATE_UNITS = {"zh": "(万元)", "en": " (yuan)"}


def template_headers(headers: Mapping[str, Sequence[str]], lang: str,
                     fields: Sequence[str] = TEMPLATE_FIELDS) -> list[str]:
    """One header per template field, taken from the configured aliases (so the importer
    recognises every one): the first Chinese alias for zh, the first English one for en."""
    out = []
    for f in fields:
        aliases = [a for a in headers.get(f, ()) if a != f]
        if lang == "zh":
            pick = next((a for a in aliases if _has_cjk(a)), None)
        else:
            pick = next((a for a in aliases if not _has_cjk(a)), None)
        out.append(pick or f)
    return out


def template_xlsx(headers: Mapping[str, Sequence[str]], lang: str) -> bytes:
    """A blank export: the header row only, ready to fill in and upload."""
    cols = template_headers(headers, lang)
    return to_xlsx_bytes({"项目台账" if lang == "zh" else "Projects": pl.DataFrame(schema={c: pl.String for c in cols})})


# The visit-report template (issue 13): the seed's daily report columns, in its order.
VISIT_TEMPLATE_FIELDS = ("visit_on", "reporter", "region", "seq", "customer", "project_id", "contact", "visit_time",
                         "purpose", "result", "customer_category", "revisit_on", "notes")


def visit_template_xlsx(headers: Mapping[str, Sequence[str]], lang: str) -> bytes:
    """A blank visit report (销售日报): the header row only, from ``[visits.headers]``."""
    cols = []
    for f in VISIT_TEMPLATE_FIELDS:
        aliases = [a for a in headers.get(f, ()) if a != f]
        pick = next((a for a in aliases if _has_cjk(a) == (lang == "zh")), None)
        cols.append(pick or f)
    return to_xlsx_bytes({"销售日报" if lang == "zh" else "Visit report": pl.DataFrame(schema={c: pl.String for c in cols})})


# The receivables-ledger template (issue 13): one row per invoice line of a project.
COLLECTION_TEMPLATE_FIELDS = ("project_id", "project_name", "contract_amount", "invoiced_amount", "invoice_on", "due_on",
                              "collected_amount", "payment_on", "receivable_amount")


def collection_template_xlsx(headers: Mapping[str, Sequence[str]], lang: str) -> bytes:
    """A blank receivables ledger (应收账款台账), amounts in 元 (write 合同金额(万元) for 万元)."""
    cols = []
    for f in COLLECTION_TEMPLATE_FIELDS:
        aliases = [a for a in headers.get(f, ()) if a != f]
        cols.append(next((a for a in aliases if _has_cjk(a) == (lang == "zh")), None) or f)
    return to_xlsx_bytes({"应收账款" if lang == "zh" else "Receivables": pl.DataFrame(schema={c: pl.String for c in cols})})
def targets_template_xlsx(headers: Mapping[str, Sequence[str]], lang: str) -> bytes:
    """A blank targets file: region, owner, category, year, quarter, month, target (its unit
    in the header: 万元 in Chinese, yuan in English)."""
    cols = template_headers(headers, lang, TARGET_TEMPLATE_FIELDS)
    cols[-1] += TARGET_TEMPLATE_UNITS[lang]
    return to_xlsx_bytes({"目标" if lang == "zh" else "Targets": pl.DataFrame(schema={c: pl.String for c in cols})})
