"""Files people download: CSV that Excel opens safely, Excel workbooks, the weekly review pack.

Owns: CSV as UTF-8 with a BOM (so Excel shows Chinese) where every text cell that starts
with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is neutralised with a leading
apostrophe — project names come from uploads and must never run as formulas; Excel
workbooks via xlsxwriter with formula/URL interpretation switched off, so text stays text.
Pure: must not import streamlit (pages render the buttons; this module makes the bytes).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import xlsxwriter

from dashboard import pymap

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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


def to_csv_bytes(df: pl.DataFrame) -> bytes:
    """UTF-8 with BOM, formula-like text neutralised, column names included (also neutralised)."""
    df = _neutralised(_flatten(df))
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


def _write_cell(ws, row: int, col: int, value, fmts: dict) -> None:
    if value is None:
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float, Decimal)):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):  # NaN/inf are not numbers to Excel
            ws.write_blank(row, col, None)
        else:
            ws.write_number(row, col, f)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmts["datetime"])
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmts["date"])
    else:
        ws.write_string(row, col, str(value))  # never a formula, never a URL


def to_xlsx_bytes(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """One worksheet per frame (name -> frame), header row bold and frozen, text as text."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    fmts = {
        "header": wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    used: set[str] = set()
    for name, df in sheets.items():
        ws = wb.add_worksheet(_excel_sheet_name(name, used))
        df = _flatten(df)
        for c, col in enumerate(df.columns):
            ws.write_string(0, c, str(col), fmts["header"])
            width = max([len(str(col))] + [len(str(v)) for v in df.get_column(col).head(200).to_list()])
            ws.set_column(c, c, min(max(width + 2, 8), 50))
        for r, row in enumerate(df.iter_rows(), start=1):
            for c, value in enumerate(row):
                _write_cell(ws, r, c, value, fmts)
        ws.freeze_panes(1, 0)
        if df.width:
            ws.autofilter(0, 0, max(df.height, 1), df.width - 1)
    wb.close()
    return buf.getvalue()


def weekly_pack(
    *,
    summary: pl.DataFrame,
    changes: pl.DataFrame,
    stalled: pl.DataFrame,
    margin_alerts: pl.DataFrame,
    funnel_region_grade: pl.DataFrame,
    sheet_names: Mapping[str, str] | None = None,
) -> bytes:
    """The one-click workbook for the weekly review: five sheets, already in display form."""
    names = {
        "summary": "Summary",
        "changes": "Changes",
        "stalled": "Stalled",
        "margin": "Margin alerts",
        "funnel": "Funnel region x grade",
    } | dict(sheet_names or {})
    return to_xlsx_bytes(
        {
            names["summary"]: summary,
            names["changes"]: changes,
            names["stalled"]: stalled,
            names["margin"]: margin_alerts,
            names["funnel"]: funnel_region_grade,
        }
    )


def file_stem(*parts: object) -> str:
    """A safe download file name from labels (dates, page names)."""
    text = "-".join(str(p) for p in parts if p not in (None, ""))
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "export"


# The fields of a blank template, in the order a sales office fills them in.
TEMPLATE_FIELDS = (
    "project_id", "project_name", "customer", "customer_grade", "region", "owner", "category",
    "stage", "status", "expected_amount", "contract_amount", "estimated_cost", "estimated_margin",
    "bid_amount", "actual_cost", "expense_budget", "expense_actual", "expected_sign_on",
    "created_on", "lost_reason",
    "stage_date.development", "stage_date.approval", "stage_date.proposal",
    "stage_date.tender", "stage_date.negotiation", "stage_date.delivery",
)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def template_headers(headers: Mapping[str, Sequence[str]], lang: str) -> list[str]:
    """One header per template field, taken from the configured aliases (so the importer
    recognises every one): the first Chinese alias for zh, the first English one for en."""
    out = []
    for f in TEMPLATE_FIELDS:
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
