"""What the two non-pipeline kinds of file (issue 13: visit reports, visits.py; receivables,
collections.py) share: recognising the kind from a file's first rows, matching headers
against their own aliases, and reading every table sheet through the ledger's readers
(title rows, merged headers, totals rows, untrusted cells) into one frame per sheet.
No database, no streamlit.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, cast

import polars as pl

from dashboard.config import normalize
from dashboard.ingest import values as V
from dashboard.ingest import xlsx
from dashboard.ingest.read import HEADER_SEARCH_ROWS, Grid, file_type, read_csv_grid, read_excel_grids
from dashboard.ingest.report import Report, SheetReport

if TYPE_CHECKING:
    from dashboard.ingest.clean import HeaderMatcher


class AliasMatcher:
    """A header matcher over one kind's aliases (normalised header → field), shaped like
    clean.HeaderMatcher: ``match`` → (field, how, unit), ``field`` → field or None."""

    def __init__(self, headers: dict[str, tuple[str, ...]]):
        self.aliases = {normalize(alias): f for f, aliases in headers.items() for alias in (f, *aliases)}

    def match(self, header: str | None) -> tuple[str | None, str | None, str | None]:
        if header is None:
            return None, None, None
        base, unit = V.split_header_unit(header)
        for key in (normalize(header), normalize(base)):
            if key in self.aliases:
                field = self.aliases[key]
                return field, ("canonical" if key == normalize(field) else "alias"), unit
        return None, None, unit

    def field(self, header: str | None) -> str | None:
        return self.match(header)[0] or None


def _head_rows_csv(data: bytes) -> list[list[str]]:
    head = data[: 64 * 1024]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # a character cut at the end of the sample
                text = head[: exc.start].decode(enc)
                break
    else:
        return []
    lines = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    return [r for delimiter in (",", "\t", ";") for r in csv.reader(io.StringIO(lines), delimiter=delimiter)]


def _head_rows_xlsx(data: bytes) -> list[list[str]]:
    if xlsx.check_container(data) is not None:
        return []  # the project path refuses it with the reason
    try:
        import fastexcel

        reader = fastexcel.read_excel(data)
        rows: list[list[str]] = []
        for name in reader.sheet_names:
            sheet = reader.load_sheet(name, header_row=None, n_rows=HEADER_SEARCH_ROWS, dtypes="string")
            rows += [[c for c in r if c] for r in sheet.to_polars().iter_rows()]
        return rows
    except Exception:
        return []  # unreadable: the project path says why


def head_rows(data: bytes) -> list[list[str]]:
    """The cells of the first rows of a CSV (the first 64 KB, each delimiter tried) or of
    every sheet of a workbook (after the zip-bomb and encryption checks): enough to tell
    which kind of file it is without reading it whole."""
    kind = file_type(data)
    return _head_rows_csv(data) if kind == "csv" else _head_rows_xlsx(data) if kind == "xlsx" else []


def has_headers(data: bytes, matcher: AliasMatcher, only: tuple[str, ...], at_least: int = 2,
                together: frozenset[str] = frozenset()) -> bool:
    """Whether a row among the first ones names ``at_least`` of the fields ``only`` this kind
    of file has, or every field of ``together``."""
    for r in head_rows(data):
        found = {matcher.field(c) for c in r if c}
        if len(found & set(only)) >= at_least or (together and together <= found):
            return True
    return False


SheetReader = Callable[[Report, Grid, pl.DataFrame, pl.Series, object, int], "pl.DataFrame | None"]


def read_tables(name: str, data: bytes, kind: str, matcher: AliasMatcher, *, key: str,
                takes_unit: Callable[[str], bool], sheet_frame: SheetReader) -> tuple[Report, list[pl.DataFrame], str]:
    """Read every table sheet of ``data`` (a CSV: its one table) whose header names ``key``;
    for each, drop blank and totals rows, check untrusted cells and hand the rest to
    ``sheet_frame(report, grid, data, rows, columns, n_sheets)``. Returns the report (kind,
    sheets, header row, rows read/accepted/skipped), the frames it returned and the first
    table's title rows (where a date of the file may be written)."""
    from dashboard.ingest.clean import _drop_blank_and_totals, _recognise, _replacement_characters, _untrusted_cells, label

    report = Report(file_name=label(name), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), kind=kind)
    report.file_type = file_type(data)
    if report.file_type == "csv":
        grid = read_csv_grid(data, report, matcher.field, takes_unit)
        grids = [grid] if grid is not None else []
    else:
        grids = read_excel_grids(data, report, matcher.field, takes_unit, key=key)
    if not grids or not report.ok:
        report.in_sheet(None)
        return report, [], ""
    report.sheet = ", ".join(g.sheet for g in grids if g.sheet) or None
    report.sheets_considered = grids[0].sheets_considered
    report.header_row = grids[0].header_row
    report.rows_read = sum(g.data.height for g in grids)
    parts = []
    for grid in grids:
        report.in_sheet(grid.sheet)
        cols = _recognise(grid, cast("HeaderMatcher", matcher), report)  # the same match()/field() interface
        before = report.rows_skipped
        kept, rows = _drop_blank_and_totals(report, grid, cols)
        kept = _untrusted_cells(report, grid, cols, kept, rows)
        if report.file_type != "csv":
            _replacement_characters(report, grid, kept, rows)
        frame = sheet_frame(report, grid, kept, rows, cols, len(grids))
        if frame is not None:
            parts.append(frame)
        if len(grids) > 1:
            report.sheets.append(SheetReport(grid.sheet or "", grid.header_row, grid.data.height,
                                             grid.data.height - (report.rows_skipped - before)))
    report.in_sheet(None)
    report.rows_accepted = report.rows_read - report.rows_skipped
    return report, parts, grids[0].title_text or ""


def refuse_empty(report: Report) -> None:
    """A file with a header and no rows is refused (zh/en), as every other kind is."""
    if report.rows_accepted == 0 and report.ok:
        report.error("no_rows", "表头下面没有任何数据行；空文件不会被导入", "there are no data rows below the header; an empty file is not imported")


def given_or(report: Report, as_of: date | None) -> None:
    """The as-of date of a refused read: the one given, if any."""
    report.as_of, report.as_of_source = as_of, ("given" if as_of else None)
