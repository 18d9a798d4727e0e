"""Reading a file's bytes into a grid of text: decoding, CSV records, XLSX sheets, header row.

Runs inside the ingest child process (see worker.py): everything here touches untrusted
bytes. The output is a :class:`Grid`: the header cells as written, the data rows as a
Polars frame of strings (columns c0, c1, …), and for each data row the row number a
person sees in the file (CSV line / Excel row). Problems go into the report; nothing
here raises for a bad file.

Rules (issue #2): CSV is strict UTF-8 (BOM stripped), else strict GB18030, else refused
— never a lossy decode, never a guessed charset; a record with more or fewer fields than
the header is an error naming its line (Polars would null-fill it silently); the record
count of the Python csv module and of Polars must agree. XLSX/XLS via calamine: the sheet
and the header row are the ones whose cells match the most known headers.
No streamlit, no database.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dashboard.ingest.report import Report

DELIMITERS = (",", "\t", ";")
HEADER_SEARCH_ROWS = 30  # title rows above the header: at most this many
MIN_HEADER_MATCHES = 2
_BOM = b"\xef\xbb\xbf"

csv.field_size_limit(2**31 - 1)


class DecodeRefused(ValueError):
    def __init__(self, zh: str, en: str, line: int | None):
        super().__init__(en)
        self.zh, self.en, self.line = zh, en, line


@dataclass
class Grid:
    header: list[str | None]
    data: pl.DataFrame  # all pl.String, columns c0..c{n-1}
    row_numbers: pl.Series  # Int64, one per data row
    title_text: str = ""  # the rows above the header, joined (the as-of date may be there)
    header_row: int = 1
    sheet: str | None = None
    sheets_considered: list[str] = field(default_factory=list)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) — strict UTF-8 (a BOM is stripped), else strict GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DecodeRefused(
            "文件是 UTF-16 编码，请另存为“CSV UTF-8”或 GB18030 编码的 CSV",
            "the file is UTF-16; save it as 'CSV UTF-8' (or a GB18030 CSV)",
            1,
        )
    if data.startswith(_BOM):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            bad = exc.start + 3
            raise DecodeRefused(
                "文件以 UTF-8 标记开头，但含有非 UTF-8 字节",
                "the file starts with a UTF-8 byte-order mark but holds bytes that are not UTF-8",
                data[:bad].count(b"\n") + 1,
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_bad = exc.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        # the decoder that got further is most likely the file's encoding: name its line
        bad = max(utf8_bad, exc.start)
        raise DecodeRefused(
            "文件编码既不是 UTF-8 也不是 GB18030/GBK，无法无损读取；请另存为“CSV UTF-8”",
            "the file is neither UTF-8 nor GB18030/GBK and cannot be read without loss; "
            "save it as 'CSV UTF-8'",
            data[:bad].count(b"\n") + 1,
        ) from None


def file_type(data: bytes) -> str:
    """By content, never by the (user-supplied) name."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv"


def _best_header(rows: list[list[str | None]], score: Callable[[list[str | None]], int]) -> tuple[int, int]:
    best_i, best = -1, 0
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        s = score(cells)
        if s > best:
            best_i, best = i, s
    return best_i, best


def _no_header(report: Report, where: str = "") -> None:
    report.error(
        "no_header",
        f"{where}前 {HEADER_SEARCH_ROWS} 行中找不到表头（至少 {MIN_HEADER_MATCHES} 个可识别的列名，如 项目编号、项目名称、当前阶段）；"
        "若来自其他 CRM，请使用映射文件",
        f"{where}no header row found in the first {HEADER_SEARCH_ROWS} rows (needs at least "
        f"{MIN_HEADER_MATCHES} known column names such as 项目编号/Opportunity ID, Stage); "
        "for another CRM's export, use a mapping file",
    )


# --- CSV -----------------------------------------------------------------------------


def _fast_record_starts(body: str, header_end: int, width: int, delimiter: str = ",") -> array | None:
    """Line numbers of the data records when every line is one record of ``width`` fields
    (the common case), counted with vectorised string ops; None when unsure (a quoted
    field spans lines, or some line's count differs): then the csv module decides."""
    if not body:
        return array("q")
    # (Polars' str.split of one 137 MB string reserved 2 GB and aborted under the memory
    # limit; a Python list of lines is ~100 bytes a line and is freed on return)
    lines = body.split("\n")
    if body.endswith("\n"):
        lines.pop()  # the empty piece after the last line end
    col = pl.Series("l", lines, dtype=pl.String).str.strip_chars_end("\r")
    del lines
    n_lines = col.len()
    if (col.str.count_matches('"', literal=True) % 2 == 1).any():
        return None
    if col.str.contains('"', literal=True).any():
        col = col.str.replace_all(r'"[^"]*"', "")  # quoted fields (a doubled "" is two of them)
    fields = col.str.count_matches(delimiter, literal=True) + 1
    odd = fields != width
    if odd.any() and (col.filter(odd).str.replace_all(delimiter, "", literal=True).str.strip_chars().str.len_bytes() > 0).any():
        return None  # a line that is not blank has another field count: let csv decide
    return array("q", range(header_end + 1, header_end + 1 + n_lines))


def _exact_record_starts(first: list, reader, prev: int, width: int, report: Report, delimiter: str = ",") -> array | None:
    starts = array("q")
    ragged = 0

    def check(start: int, rec: list[str]) -> None:
        nonlocal ragged
        starts.append(start)
        if len(rec) != width and rec and any(c.strip() for c in rec):
            ragged += 1
            more = len(rec) > width
            report.error(
                "ragged_row",
                f"这一行有 {len(rec)} 个字段，表头有 {width} 个（{'多' if more else '少'}了 {abs(len(rec) - width)} 个）；"
                "可能是多个表格拼在一个文件里，或是多余/缺少的逗号",
                f"this line has {len(rec)} fields but the header has {width} "
                f"({abs(len(rec) - width)} {'too many' if more else 'missing'}); the file may hold several "
                "tables, or a stray or missing comma",
                row=start,
                value=delimiter.join(rec)[:80],
                expected_zh=f"{width} 个字段",
                expected_en=f"{width} fields",
            )

    for start, rec in first:
        check(start, rec)
    line = prev
    for rec in reader:  # the records after the first few (none left in a short file)
        check(line + 1, rec)
        line = reader.line_num
    return None if ragged else starts


def read_csv_grid(data: bytes, report: Report, score: Callable[[list[str | None]], int]) -> Grid | None:
    try:
        text, encoding = decode_text(data)
    except DecodeRefused as exc:
        report.error("encoding", exc.zh, exc.en, row=exc.line)
        return None
    report.encoding = encoding
    for ch, zh, en in (
        ("\ufffd", "文件含有替换字符 U+FFFD（此前某次转换已丢失原字符）", "the file holds U+FFFD replacement characters (text already lost in an earlier conversion)"),
        ("\x00", "文件含有 NUL 字节，不是文本 CSV", "the file holds NUL bytes: not a text CSV"),
    ):
        pos = text.find(ch)
        if pos >= 0:
            report.error("bad_text", zh, en, row=text.count("\n", 0, pos) + 1)
            return None
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # classic Mac line ends: one rule for both readers

    # The delimiter is the one under which a header row is found (comma, tab, semicolon):
    # exports saved as "text" or from European Excel use the other two.
    chosen = None
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        head: list[tuple[int, list[str]]] = []  # (start line, fields) of the first records
        prev = 0
        for rec in reader:
            head.append((prev + 1, rec))
            prev = reader.line_num
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        if not head:
            report.error("empty", "文件是空的", "the file is empty")
            return None
        hi, best = _best_header([[c or None for c in r] for _, r in head], score)
        if hi >= 0 and best >= MIN_HEADER_MATCHES and (chosen is None or best > chosen[2]):
            chosen = (delimiter, reader, best, hi, head, prev)
    if chosen is None:
        _no_header(report)
        return None
    delimiter, reader, _, hi, head, prev = chosen
    report.delimiter = delimiter
    header_line, header = head[hi]
    width = len(header)
    header_end = head[hi + 1][0] - 1 if hi + 1 < len(head) else prev
    title = " ".join(c for _, r in head[:hi] for c in r if c)

    # The data records, as text after the header record, read by Polars.
    pos = 0
    for _ in range(header_end):
        nxt = text.find("\n", pos)
        if nxt < 0:
            pos = len(text)
            break
        pos = nxt + 1
    body = text[pos:]
    del text  # a large export: keep one copy of the text at a time
    # Every data record: its first line, and a check of its width against the header.
    starts = _fast_record_starts(body, header_end, width, delimiter)
    if starts is None:  # quotes spanning lines, or a row that may be ragged: the exact way
        starts = _exact_record_starts(head[hi + 1 :], reader, prev, width, report, delimiter)
        if starts is None:
            return None
    names = [f"c{i}" for i in range(width)]
    if not starts:
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in names})
    else:
        encoded = body.encode("utf-8")
        del body
        try:
            frame = pl.read_csv(
                encoded,
                separator=delimiter,
                has_header=False,
                schema={n: pl.String for n in names},
                truncate_ragged_lines=True,  # only all-blank records can still be ragged here
                raise_if_empty=False,
                missing_columns="insert",  # a blank first line must not narrow the schema
                extra_columns="ignore",  # nor a longer blank one widen it
                quote_char='"',
            )
        except pl.exceptions.PolarsError as exc:
            report.error(
                "unreadable_csv",
                f"无法按 CSV 读取：{str(exc).splitlines()[0][:200]}",
                f"could not be read as CSV: {str(exc).splitlines()[0][:200]}",
            )
            return None
    if frame.height != len(starts):
        report.error(
            "row_count",
            f"两个读取器数出的数据行数不同（{len(starts)} 与 {frame.height}）：文件里可能有不成对的引号",
            f"the two readers counted different numbers of data rows ({len(starts)} vs {frame.height}): "
            "the file may hold an unbalanced quote",
        )
        return None
    return Grid(
        header=[c if c.strip() else None for c in header],
        data=frame,
        row_numbers=pl.Series("row", starts, dtype=pl.Int64),
        title_text=title,
        header_row=header_line,
    )


# --- XLSX ----------------------------------------------------------------------------

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REF = re.compile(rb'\br="[A-Z]+(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*(?:<(?:\w+:)?t\b[^>]*>)?\s*[^<\s]")


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    wb = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {
        m.group(1).decode(): m.group(2).decode()
        for m in re.finditer(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)
    }
    targets.update(
        {
            m.group(2).decode(): m.group(1).decode()
            for m in re.finditer(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)
        }
    )
    out = {}
    for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", wb):
        attrs = m.group(1)
        name = re.search(rb'\bname="([^"]*)"', attrs)
        rid = re.search(rb'\br:id="([^"]*)"', attrs) or re.search(rb'\b\w+:id="([^"]*)"', attrs)
        if name and rid and rid.group(1).decode() in targets:
            target = targets[rid.group(1).decode()].lstrip("/")
            if not target.startswith("xl/"):
                target = "xl/" + target
            out[html.unescape(name.group(1).decode("utf-8"))] = target
    return out


def first_data_row(data: bytes, sheet: str) -> int | None:
    """The 1-based Excel row of the sheet's first non-empty cell (calamine's grid starts
    there), read from the sheet XML's first few MB; None when it cannot be told."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            path = _sheet_paths(zf).get(sheet)
            if path is None:
                return None
            with zf.open(path) as fh:
                chunk = b""
                while len(chunk) < 4_000_000:
                    more = fh.read(65536)
                    if not more:
                        break
                    chunk += more
                    for m in _CELL.finditer(chunk):
                        if _VALUE.search(m.group(2)):
                            ref = _REF.search(m.group(1))
                            return int(ref.group(1)) if ref else None
    except (KeyError, zipfile.BadZipFile, ValueError, OSError):
        return None
    return None


def read_excel_grid(data: bytes, report: Report, score: Callable[[list[str | None]], int]) -> Grid | None:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # calamine's errors are plain exceptions with a message
        report.error(
            "bad_xlsx",
            f"无法作为 Excel 工作簿读取：{exc}",
            f"cannot be read as an Excel workbook: {exc}",
        )
        return None
    best: tuple[int, int, str, pl.DataFrame] | None = None
    considered = []
    for name in reader.sheet_names:
        try:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except Exception as exc:
            report.warn("sheet_unreadable", f"工作表「{name}」无法读取：{exc}", f"sheet '{name}' could not be read: {exc}")
            continue
        considered.append(name)
        if frame.width == 0 or frame.height == 0:
            continue
        head = [list(r) for r in frame.head(HEADER_SEARCH_ROWS).iter_rows()]
        hi, s = _best_header(head, score)
        if s > (best[1] if best else 0):
            best = (hi, s, name, frame)
    report.sheets_considered = considered
    if best is None or best[1] < MIN_HEADER_MATCHES:
        _no_header(report)
        return None
    hi, _, name, frame = best
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    offset = first_data_row(data, name)
    if offset is None:
        offset = 1
        report.warn(
            "row_numbers",
            "无法确定工作表的起始行，行号从第一个非空行算起",
            "could not tell where the sheet starts; row numbers count from its first non-empty row",
        )
    header = [None if c is None or not str(c).strip() else str(c) for c in frame.row(hi)]
    title = " ".join(str(c) for r in frame.head(hi).iter_rows() for c in r if c)
    body = frame.slice(hi + 1)
    start = offset + hi + 1
    return Grid(
        header=header,
        data=body,
        row_numbers=pl.int_range(start, start + body.height, dtype=pl.Int64, eager=True).alias("row"),
        title_text=title,
        header_row=offset + hi,
        sheet=name,
        sheets_considered=considered,
    )
