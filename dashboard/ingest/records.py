"""What the two non-pipeline kinds of file (issue 13: visit reports, visits.py; receivables,
collections.py) share: recognising the kind from a file's first rows, matching headers
against their own aliases, and reading every table sheet through the ledger's readers
(title rows, merged headers, totals rows, untrusted cells) into one frame per sheet.
No database, no streamlit.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from functools import lru_cache
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


_HEAD_BYTES = 256 * 1024  # of each sheet's XML: far more than 30 rows of headers and titles
_SST_BYTES = 8 * 2**20  # of the shared strings, at most, to name those cells
_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.DOTALL)
_ROW_OF = re.compile(rb'\br="[A-Z]+(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.DOTALL)
_TEXT = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.DOTALL)
_SI = re.compile(rb"<si>(.*?)</si>", re.DOTALL)


def _text(xml: bytes) -> str:
    return html.unescape(b"".join(_TEXT.findall(xml)).decode("utf-8", "replace"))


def _head_rows_xlsx(data: bytes) -> list[list[str]]:
    """The text cells of the first rows of every sheet, read from the start of each sheet's
    XML and as much of the shared strings as those cells need — never the whole workbook
    (a project export is then read once, by the ledger's reader, as before issue 13)."""
    if xlsx.check_container(data) is not None:
        return []  # the project path refuses it with the reason
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        found: list[dict[int, list[tuple[str, bytes]]]] = []
        wanted = -1
        for name in sheets:
            with book.open(name) as fh:
                head = fh.read(_HEAD_BYTES)
            end = head.find(b'<row r="%d"' % (HEADER_SEARCH_ROWS + 2))
            head = head if end < 0 else head[:end]  # only the rows a header may be in
            rows: dict[int, list[tuple[str, bytes]]] = {}
            for attrs, body in _CELL.findall(head):
                row = _ROW_OF.search(attrs)
                if row is None or int(row.group(1)) > HEADER_SEARCH_ROWS + 1:
                    continue
                typed = _TYPE.search(attrs)
                kind = typed.group(1).decode() if typed else "n"  # no t="…": a number
                rows.setdefault(int(row.group(1)), []).append((kind, body or b""))
                if kind == "s" and (v := _VALUE.search(body or b"")):
                    wanted = max(wanted, int(v.group(1)))
            found.append(rows)
        strings: list[str] = []
        if wanted >= 0 and "xl/sharedStrings.xml" in book.namelist():
            with book.open("xl/sharedStrings.xml") as fh:
                sst = fh.read(_SST_BYTES)
            for si in _SI.finditer(sst):
                strings.append(_text(si.group(1)))
                if len(strings) > wanted:
                    break
        out: list[list[str]] = []
        for rows in found:
            for r in sorted(rows):
                cells = []
                for kind, body in rows[r]:
                    if kind == "s" and (v := _VALUE.search(body)) and int(v.group(1)) < len(strings):
                        cells.append(strings[int(v.group(1))])
                    elif kind == "inlineStr":
                        cells.append(_text(body))
                    elif kind == "str" and (v := _VALUE.search(body)):
                        cells.append(html.unescape(v.group(1).decode("utf-8", "replace")))
                out.append([c for c in cells if c])
        return out
    except Exception:
        return []  # unreadable: the project path says why


@lru_cache(maxsize=1)  # both kinds ask about the same file, one after the other
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
