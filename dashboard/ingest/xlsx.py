"""A workbook's structure, read from its zip parts beside calamine: what calamine does
not tell, and what must be known *before* calamine inflates anything.

* :func:`check_container` — before any part is inflated: a password-protected workbook
  (an OLE file holding an ``EncryptedPackage``, or zip entries flagged encrypted), and a
  zip bomb (the central directory's uncompressed size per part and in all, and the
  compression ratio). A crafted directory may lie about sizes; the parsing child's
  memory watchdog (isolated.py) is the backstop for that.
* :func:`workbook_info` — sheet names, their parts and visibility (``state="hidden"``),
  and ``fullCalcOnLoad`` (set by xlsxwriter and openpyxl: a workbook written by a library
  and never saved by Excel/WPS, whose cached formula results are placeholders).
* :func:`scan_sheet` — one streaming pass over a sheet's XML: where calamine's grid starts
  (its first row and column with a value), merged ranges, formula cells (and whether they
  hold a cached result) and error cells (``#N/A``, ``#DIV/0!`` …, which calamine turns into
  empty cells).

Runs inside the ingest child process (untrusted bytes). Standard library only; no
streamlit, no database.
"""

from __future__ import annotations

import html
import io
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

# Limits on what a workbook may unpack to (the central directory is read, nothing inflated).
# A real 100k-row ledger is ~8 MB zipped, 77 MB of sheet XML (ratio ~10); a 25 MB one
# ~240 MB; text-heavy sheets and shared strings reach ratios of 20–30. Environment
# variables override them (PIPELINE_XLSX_MAX_RATIO …).
MAX_PARTS = int(os.environ.get("PIPELINE_XLSX_MAX_PARTS", "10000"))
MAX_PART_MB = int(os.environ.get("PIPELINE_XLSX_MAX_PART_MB", "400"))  # one part, uncompressed
MAX_TOTAL_MB = int(os.environ.get("PIPELINE_XLSX_MAX_TOTAL_MB", "600"))  # all parts, uncompressed …
MAX_TOTAL_PER_FILE_MB = 25  # … or this many times the file's size, if more (both caps)
MAX_RATIO = int(os.environ.get("PIPELINE_XLSX_MAX_RATIO", "100"))  # uncompressed / compressed …
RATIO_FLOOR_MB = 0.25  # … for a part above this size

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAMS = ("EncryptedPackage", "EncryptionInfo")


@dataclass
class Refusal:
    code: str
    zh: str
    en: str


def _password_refusal() -> Refusal:
    return Refusal(
        "password_protected",
        "工作簿设有打开密码（已加密），无法读取；请在 Excel/WPS 中打开，取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存，再上传",
        "the workbook is password-protected (encrypted) and cannot be read; open it in Excel/WPS, remove the "
        "password (File → Info → Protect Workbook → Encrypt with Password, clear it), save, and upload again",
    )


def check_container(data: bytes) -> Refusal | None:
    """Refuse an encrypted workbook or a zip bomb before anything is inflated; None = go on."""
    if data[:8] == _OLE_MAGIC:
        # An encrypted .xlsx is an OLE compound file with these streams (MS-OFFCRYPTO);
        # the directory entry names are UTF-16LE.
        if any(name.encode("utf-16-le") in data for name in _ENCRYPTED_STREAMS):
            return _password_refusal()
        return None
    if data[:4] != b"PK\x03\x04":
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not a readable zip: calamine says so in its own words
    if any(i.flag_bits & 0x1 for i in infos):
        return _password_refusal()
    if len(infos) > MAX_PARTS:
        return _bomb(f"{len(infos):,} 个部件", f"{len(infos):,} parts (at most {MAX_PARTS:,})")
    total = sum(i.file_size for i in infos)
    size_mb = len(data) / 2**20
    part_cap = max(MAX_PART_MB, MAX_TOTAL_PER_FILE_MB * size_mb)
    for i in infos:
        mb = i.file_size / 2**20
        if mb > part_cap:
            return _bomb(
                f"部件 {i.filename} 解压后有 {mb:,.0f} MB（上限 {part_cap:,.0f} MB）",
                f"part {i.filename} unpacks to {mb:,.0f} MB (at most {part_cap:,.0f} MB)",
            )
        ratio = i.file_size / max(i.compress_size, 1)
        if mb > RATIO_FLOOR_MB and ratio > MAX_RATIO:
            return _bomb(
                f"部件 {i.filename} 压缩比为 {ratio:,.0f}:1（{i.compress_size:,} 字节解压为 {i.file_size:,} 字节）",
                f"part {i.filename} has a compression ratio of {ratio:,.0f}:1 ({i.compress_size:,} bytes "
                f"unpack to {i.file_size:,}; a real workbook stays under {MAX_RATIO}:1)",
            )
    cap = max(MAX_TOTAL_MB, MAX_TOTAL_PER_FILE_MB * size_mb)
    if total / 2**20 > cap:
        return _bomb(
            f"解压后共 {total / 2**20:,.0f} MB（上限 {cap:,.0f} MB）",
            f"it unpacks to {total / 2**20:,.0f} MB in all (at most {cap:,.0f} MB)",
        )
    return None


def _bomb(zh_why: str, en_why: str) -> Refusal:
    return Refusal(
        "zip_bomb",
        f"工作簿解压后过大，未读取即拒绝：{zh_why}；这不像正常的导出文件。如确为数据，请另存为 CSV 或拆分后再上传",
        f"the workbook would unpack to far more than it holds and was refused before reading: {en_why}; "
        "this does not look like a real export — if it is, save it as CSV or split it, and upload again",
    )


@dataclass
class SheetInfo:
    name: str
    path: str | None  # the sheet's part in the zip
    visible: bool


@dataclass
class WorkbookInfo:
    sheets: list[SheetInfo] = field(default_factory=list)
    full_calc_on_load: bool = False

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)


def workbook_info(data: bytes) -> WorkbookInfo:
    """Sheets (name, part, visibility) and fullCalcOnLoad; an empty info when not an XLSX."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            wb = zf.read("xl/workbook.xml")
            rels = zf.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, ValueError, OSError):
        return WorkbookInfo()
    targets = {}
    for m in re.finditer(rb"<Relationship\b([^>]*)/?>", rels):
        rid = re.search(rb'\bId="([^"]+)"', m.group(1))
        target = re.search(rb'\bTarget="([^"]+)"', m.group(1))
        if rid and target:
            targets[rid.group(1).decode()] = target.group(1).decode()
    info = WorkbookInfo()
    for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", wb):
        attrs = m.group(1)
        name = re.search(rb'\bname="([^"]*)"', attrs)
        if not name:
            continue
        rid = re.search(rb'\br:id="([^"]*)"', attrs) or re.search(rb'\b\w+:id="([^"]*)"', attrs)
        path = None
        if rid and rid.group(1).decode() in targets:
            target = html.unescape(targets[rid.group(1).decode()])
            # absolute from the package root, else relative to xl/ (where workbook.xml is)
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        state = re.search(rb'\bstate="([^"]*)"', attrs)
        visible = not state or state.group(1) not in (b"hidden", b"veryHidden")
        info.sheets.append(SheetInfo(html.unescape(name.group(1).decode("utf-8")), path, visible))
    calc = re.search(rb"<(?:\w+:)?calcPr\b([^>]*)>", wb)
    info.full_calc_on_load = bool(calc and re.search(rb'\bfullCalcOnLoad="(?:1|true)"', calc.group(1)))
    return info


# --- one pass over a sheet's XML -------------------------------------------------------

_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*(?:<(?:\w+:)?t\b[^>]*>)?\s*[^<\s]")
_V_TEXT = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)<")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ROWS_KEPT = 40  # first rows with a value: enough for title rows + a header
_CHUNK = 1 << 20
_MAX_CARRY = 64 << 20  # a single row this large is not a ledger


def col_index(letters: bytes | str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


@dataclass
class FormulaCell:
    row: int  # 1-based Excel row
    col: int  # 0-based column
    cached: bool  # holds a cached result


@dataclass
class ErrorCell:
    row: int
    col: int
    value: str  # '#N/A', '#DIV/0!' …


@dataclass
class SheetScan:
    first_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, first column) of rows with a value
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row1, col1, row2, col2), rows 1-based
    formulas: list[FormulaCell] = field(default_factory=list)
    errors: list[ErrorCell] = field(default_factory=list)
    complete: bool = True  # False: formula or error cells may have been missed

    @property
    def start_row(self) -> int | None:
        """The Excel row where calamine's grid starts: the first row with a value."""
        return self.first_cells[0][0] if self.first_cells else None

    def first_col(self, row: int) -> int | None:
        """The first column holding a value in that Excel row (one of the first rows)."""
        return next((c for r, c in self.first_cells if r == row), None)


def scan_sheet(data: bytes, path: str) -> SheetScan:
    """Stream the sheet part once (1 MB at a time, never the whole XML in memory)."""
    scan = SheetScan()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(path) as fh:
            carry = b""
            while True:
                chunk = fh.read(_CHUNK)
                buf = carry + chunk
                if not chunk:
                    _scan_segment(buf, scan)
                    break
                cut = buf.rfind(b"</row>")
                if cut < 0:
                    cut = buf.rfind(b"</sheetData>")
                if cut < 0:
                    if len(buf) > _MAX_CARRY:
                        scan.complete = False
                        break
                    carry = buf
                    continue
                _scan_segment(buf[: cut + 6], scan)
                carry = buf[cut + 6 :]
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, EOFError):
        scan.complete = False
    return scan


def _scan_segment(seg: bytes, scan: SheetScan) -> None:
    if len(scan.first_cells) < _ROWS_KEPT:
        for row in _ROW.finditer(seg):
            body = row.group(1) or b""
            for cell in _CELL.finditer(body):
                if _VALUE.search(cell.group(2)):
                    ref = _REF.search(cell.group(1))
                    if ref:
                        scan.first_cells.append((int(ref.group(2)), _first_valued_col(body)))
                    break
            if len(scan.first_cells) >= _ROWS_KEPT:
                break
    if b"<f" in seg or b't="e"' in seg or b"<x:f" in seg:
        for cell in _CELL.finditer(seg):
            attrs, inner = cell.group(1), cell.group(2)
            is_error = _TYPE.search(attrs)
            is_error = bool(is_error and is_error.group(1) == b"e")
            has_formula = re.search(rb"<(?:\w+:)?f\b", inner) is not None
            if not (is_error or has_formula):
                continue
            ref = _REF.search(attrs)
            if not ref:  # a cell without its reference (optional in the format): cannot be placed
                scan.complete = False
                continue
            row, col = int(ref.group(2)), col_index(ref.group(1))
            if is_error:
                v = _V_TEXT.search(inner)
                scan.errors.append(ErrorCell(row, col, v.group(1).decode("utf-8", "replace").strip() if v else "#?"))
            elif has_formula:
                scan.formulas.append(FormulaCell(row, col, _VALUE.search(inner) is not None))
    if b"mergeCell" in seg:
        for m in _MERGE.finditer(seg):
            scan.merges.append((int(m.group(2)), col_index(m.group(1)), int(m.group(4)), col_index(m.group(3))))


def _first_valued_col(row_body: bytes) -> int:
    cols = [
        col_index(ref.group(1))
        for cell in _CELL.finditer(row_body)
        if _VALUE.search(cell.group(2)) and (ref := _REF.search(cell.group(1)))
    ]
    return min(cols) if cols else 0


def cell_name(row: int, col: int) -> str:
    """(5, 1) -> 'B5'."""
    s, n = "", col + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return f"{s}{row}"
