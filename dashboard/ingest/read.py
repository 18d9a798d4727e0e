"""Reading a file's bytes into a grid of text: decoding, CSV records, XLSX sheets, header row.

Runs inside the ingest child process (see worker.py): everything here touches untrusted
bytes. The output is a :class:`Grid`: the header cells as written, the data rows as a
Polars frame of strings (columns c0, c1, …), and for each data row the row number a
person sees in the file (CSV line / Excel row). Problems go into the report; nothing
here raises for a bad file.

Rules (issues #2, #9): CSV is strict UTF-8 (BOM stripped), else strict GB18030 when it reads
as Chinese, else refused naming the line and the likely encoding — never a lossy decode,
never a guessed charset; a record with more or fewer fields than the header is an error
naming its line (Polars would null-fill it silently); the record count of the Python csv
module and of Polars must agree. XLSX/XLS via calamine: the header row is the one whose
cells match the most known headers; a two-row header (a merged parent such as
金额（万元） over 预计签约/合同) is read as one, the parent's unit applying to its children;
every *visible* sheet with a data header is read (hidden ones never win); encrypted
workbooks and zip bombs are refused before anything is inflated (xlsx.py).
No streamlit, no database.
"""

from __future__ import annotations

import csv
import io
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dashboard.ingest import xlsx
from dashboard.ingest.report import Report
from dashboard.ingest.values import split_header_unit, title_unit_notes

DELIMITERS = (",", "\t", ";")
HEADER_SEARCH_ROWS = 30  # title rows above the header: at most this many
MIN_HEADER_MATCHES = 2
_BOM = b"\xef\xbb\xbf"

csv.field_size_limit(2**31 - 1)


class DecodeRefused(ValueError):
    def __init__(self, zh: str, en: str, line: int | None):
        super().__init__(en)
        self.zh, self.en, self.line = zh, en, line


Match = Callable[[str | None], str | None]  # header text -> canonical field (None: unknown)


@dataclass
class Grid:
    header: list[str | None]
    data: pl.DataFrame  # all pl.String, columns c0..c{n-1}
    row_numbers: pl.Series  # Int64, one per data row
    title_text: str = ""  # the rows above the header, joined (the as-of date may be there)
    header_row: int = 1
    sheet: str | None = None
    sheets_considered: list[str] = field(default_factory=list)
    # two-row headers: the text matched against aliases where it is not the header cell
    # itself (parent + child, e.g. 金额 + 预计签约), and the unit a column inherits from a
    # merged parent header or a title-row note ("单位：万元"), with where it was written
    names: list[str | None] | None = None
    inherited_units: list[tuple[str, str] | None] | None = None
    parent_row: int | None = None
    unit_notes: list[tuple[str, str]] = field(default_factory=list)  # (unit, "row 2: 单位：万元")
    units_guessed_from_csv: list[tuple[int, int, str]] = field(default_factory=list)  # (from col, to col, parent)
    unit_conflicts: list[tuple[int, str, str]] = field(default_factory=list)  # (col, parent, child)
    # XLSX only: formula and error cells (Excel coordinates), where grid column c0 sits
    formulas: list[xlsx.FormulaCell] = field(default_factory=list)
    cell_errors: list[xlsx.ErrorCell] = field(default_factory=list)
    col_offset: int = 0
    full_calc_on_load: bool = False
    visible: bool = True

    def name_of(self, i: int) -> str | None:
        return self.names[i] if self.names and self.names[i] else self.header[i]


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) — strict UTF-8 (a BOM is stripped), else strict GB18030 *if it reads
    as Chinese text*; anything else is refused (:class:`DecodeRefused`, naming a line).

    Almost any byte stream is valid GB18030, so Big5, Shift-JIS and Latin-1 files, a UTF-8
    file with one stray byte and a GB18030 file with a UTF-8 line pasted in all "decode"
    — into garbage (智慧园区 → 鏅烘収鍥尯). So the lines are classified first (a UTF-8 line
    among GB18030 ones, or the reverse, is a mixed file), then the GB18030 text must look
    like Chinese: nearly every non-ASCII character a GB2312 character (the 6,763 common
    hanzi and the usual punctuation), next to none from scripts that only garbling
    produces here (kana, Greek, Cyrillic, box drawing, private use, C1 controls)."""
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
                "文件以 UTF-8 标记开头，但含有非 UTF-8 字节（可能混入了其他编码的内容或多余的字节）；"
                "请在 Excel/WPS 中重新另存为“CSV UTF-8”",
                "the file starts with a UTF-8 byte-order mark but holds bytes that are not UTF-8 (a line "
                "pasted from another encoding, or a stray byte); save it again as 'CSV UTF-8'",
                data[:bad].count(b"\n") + 1,
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        _refuse_mixed_lines(data)
        guess = _guess_encoding(data)
        # a file in another encoding shows it on its first line of text; otherwise name
        # the line where GB18030 decoding broke
        at = re.search(rb"[\x80-\xff]", data).start() if guess else exc.start
        raise DecodeRefused(*_not_gb_message(guess, None), data[:at].count(b"\n") + 1) from None
    if not _reads_as_chinese(text):
        _refuse_mixed_lines(data)  # UTF-8 lines among GB18030 ones (or the reverse)?
        _refuse_garbled(text, data)
    return text, "gb18030"


_SAVE_AS_ZH = "请在 Excel/WPS 中另存为“CSV UTF-8”（或 GB18030 编码的 CSV）后再上传"
_SAVE_AS_EN = "save it as 'CSV UTF-8' (or a GB18030 CSV) and upload again"
# Characters that, in a file read as GB18030, only garbling produces: kana, Greek,
# Cyrillic, pinyin/bopomofo, box drawing (GB2312 rows 4–9), private use (GBK's user-defined
# areas), C1 controls, half-width katakana.
_GARBLE_ONLY = (
    "\u3040-\u30ff\u0370-\u03ff\u0400-\u04ff\u3100-\u312f\u2500-\u257f\ue000-\uf8ff\u0080-\u009f\uff61-\uff9f"
)
_GARBLE_RE = re.compile(f"[{_GARBLE_ONLY}]")
_HANZI = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003ffff"
# a lone hanzi between two Latin letters: a Latin-1 accent glued to the next letter (Müller → M黮ler)
_HANZI_IN_LATIN_WORD = f"[A-Za-z][{_HANZI}][A-Za-z]"
_FILE_MAX_GARBLE, _FILE_MAX_UNCOMMON = 0.02, 0.25
_LINE_MIN_CHARS, _LINE_MAX_GARBLE, _LINE_MAX_UNCOMMON = 3, 0.2, 0.5
_LINES_NAMED = 5


def _is_common_chinese(ch: str) -> bool:
    if _GARBLE_RE.match(ch):
        return False
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


_ASCII = frozenset(chr(i) for i in range(128))


def _odd_chars(text: str) -> tuple[list[str], list[str]]:
    """The distinct characters of the text that only garbling produces, and the other ones
    outside GB2312 (rare hanzi, Latin letters …)."""
    non_ascii = set(text) - _ASCII
    garble = [c for c in non_ascii if _GARBLE_RE.match(c)]
    uncommon = [c for c in non_ascii if not _GARBLE_RE.match(c) and not _is_common_chinese(c)]
    return garble, uncommon


def _line_counts(text: str, odd: tuple[list[str], list[str]] | None = None) -> pl.DataFrame:
    """Per line: non-ASCII characters, garbling-only ones, and those outside GB2312."""
    garble, uncommon = odd or _odd_chars(text)

    def char_class(chars: list[str]) -> str:
        return "[" + "".join(re.escape(c) for c in chars) + "]" if chars else r"[^\s\S]"

    lines = pl.Series("l", text.split("\n"), dtype=pl.String)
    return pl.DataFrame({"l": lines}).select(
        n=pl.col("l").str.count_matches(r"[^\x00-\x7f]"),
        garble=pl.col("l").str.count_matches(char_class(garble)) + pl.col("l").str.count_matches(_HANZI_IN_LATIN_WORD),
        uncommon=pl.col("l").str.count_matches(char_class(uncommon)),
    )


def _reads_as_chinese(text: str) -> bool:
    """The common case, fast: every character a GB2312 one, none that only garbling makes."""
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return not pl.Series([text]).str.contains(f"[{_GARBLE_ONLY}]|{_HANZI_IN_LATIN_WORD}")[0]


def _refuse_garbled(text: str, data: bytes) -> None:
    """Raise DecodeRefused if the GB18030 text is not plausibly Chinese: in a few lines (a
    paste from another file: they are named) or as a whole (then the likely encoding is).

    A line is garbled when many of its characters are ones only garbling produces here, or
    when most are outside GB2312 *and* another encoding (Big5, Shift-JIS, Latin-1) reads
    its bytes as real text — traditional characters in a genuine GBK file (國際貿易) are
    outside GB2312 too, but no other encoding explains those bytes."""
    counts = _line_counts(text).with_row_index("i")
    n = int(counts["n"].sum())
    if n == 0:
        return
    raw_lines = data.split(b"\n")
    odd = pl.col("garble") + pl.col("uncommon")
    candidates = counts.filter(
        (pl.col("n") >= _LINE_MIN_CHARS) & ((pl.col("garble") > _LINE_MAX_GARBLE * pl.col("n")) | (odd > _LINE_MAX_UNCOMMON * pl.col("n")))
    )
    bad_lines = [
        i for i, garble, n_i in candidates.select("i", "garble", "n").iter_rows()
        if garble > _LINE_MAX_GARBLE * n_i or garble >= 1 or _guess_encoding(raw_lines[i]) is not None
    ]
    lines = text.split("\n")
    rest = counts.filter(~pl.col("i").is_in(bad_lines))
    rest_n = int(rest["n"].sum())
    rest_garble, rest_odd = int(rest["garble"].sum()), int(rest["garble"].sum() + rest["uncommon"].sum())
    rest_fine = rest_n > 0 and rest_garble <= _FILE_MAX_GARBLE * rest_n and (
        rest_odd <= _FILE_MAX_UNCOMMON * rest_n or _guess_encoding(data) is None
    )
    lines_with_text = int((counts["n"] > 0).sum())
    if bad_lines and rest_fine and len(bad_lines) * 2 < lines_with_text:
        named = "、".join(str(i + 1) for i in bad_lines[:_LINES_NAMED])
        more = len(bad_lines) - _LINES_NAMED
        sample = lines[bad_lines[0]].strip()[:40]
        raise DecodeRefused(
            f"文件混用了多种编码：第 {named} 行{f'（另有 {more} 行）' if more > 0 else ''}按 GB18030 读是乱码"
            f"（如“{sample}”），其余各行是 GB18030；可能是从其他文件粘贴进来的。{_SAVE_AS_ZH}",
            f"mixed encodings: {_lines_en(bad_lines)}{f' (and {more} more)' if more > 0 else ''} "
            f"read{'s' if len(bad_lines) == 1 else ''} as garbled text in GB18030 ('{sample}') while the rest of "
            f"the file is GB18030 — probably pasted from another file; {_SAVE_AS_EN}",
            bad_lines[0] + 1,
        )
    garble, uncommon = int(counts["garble"].sum()), int(counts["uncommon"].sum())
    guess = _guess_encoding(data)
    if bad_lines or garble > _FILE_MAX_GARBLE * n or ((garble + uncommon) > _FILE_MAX_UNCOMMON * n and guess is not None):
        first = bad_lines[0] if bad_lines else int(counts.filter(pl.col("n") > 0)["i"][0])
        raise DecodeRefused(*_not_gb_message(guess, lines[first].strip()[:40]), first + 1)


def _lines_en(lines: list[int]) -> str:
    shown = ", ".join(str(i + 1) for i in lines[:_LINES_NAMED])
    return f"line {shown}" if len(lines) == 1 else f"lines {shown}"


def _refuse_mixed_lines(data: bytes) -> None:
    """The file is not UTF-8 as a whole: if some of its lines are (and read as garbage in
    GB18030) while others are not, it mixes encodings — say which lines are the odd ones."""
    utf8_lines, other_lines = [], []
    for i, line in enumerate(data.split(b"\n")):
        if line.isascii():
            continue
        try:
            as_utf8 = line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(i)
            continue
        try:
            as_gb = line.decode("gb18030")
        except UnicodeDecodeError:
            utf8_lines.append(i)
            continue
        counts = _line_counts(as_gb)
        n, odd = int(counts["n"].sum()), int(counts["garble"].sum() + counts["uncommon"].sum())
        # a GB18030 line may happen to be valid UTF-8; it is a UTF-8 line only if GB18030
        # makes garbage of it and UTF-8 does not
        if n and odd / n > _FILE_MAX_UNCOMMON and not _GARBLE_RE.search(as_utf8):
            utf8_lines.append(i)
        else:
            other_lines.append(i)
    if not utf8_lines or not other_lines:
        return
    if len(utf8_lines) >= len(other_lines):  # a UTF-8 file with a few lines that are not
        odd, zh_what = other_lines, "不是 UTF-8（可能有多余的字节，或是从其他编码的文件粘贴的）"
        en_what = ("are not UTF-8 (stray bytes, or pasted from a file in another encoding)",
                   "is not UTF-8 (a stray byte, or pasted from a file in another encoding)")
        zh_rest, en_rest = "其余各行是 UTF-8", "the rest of the file is UTF-8"
    else:  # a GB18030 file with a few UTF-8 lines appended or pasted in
        odd, zh_what, en_what = utf8_lines, "是 UTF-8 编码", ("are UTF-8", "is UTF-8")
        zh_rest, en_rest = "其余各行是 GB18030/GBK", "the rest of the file is GB18030/GBK"
    named = "、".join(str(i + 1) for i in odd[:_LINES_NAMED])
    more = len(odd) - _LINES_NAMED
    raise DecodeRefused(
        f"文件混用了多种编码：第 {named} 行{f'（另有 {more} 行）' if more > 0 else ''}{zh_what}，{zh_rest}；"
        f"无法无损读取。{_SAVE_AS_ZH}",
        f"mixed encodings: {_lines_en(odd)}{f' (and {more} more)' if more > 0 else ''} {en_what[len(odd) == 1]}, {en_rest}; "
        f"it cannot be read without loss; {_SAVE_AS_EN}",
        odd[0] + 1,
    )


def _share(text: str, good: Callable[[str], bool]) -> float:
    chars = [c for c in text if ord(c) > 127]
    return sum(map(good, chars)) / len(chars) if chars else 0.0


def _cjk(c: str) -> bool:
    o = ord(c)
    return 0x3400 <= o <= 0x9FFF or 0x20000 <= o <= 0x3FFFF or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or 0x2010 <= o <= 0x206F


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    """(zh, en) name of the encoding the bytes most plausibly are, for the message; None."""
    sample = data[:2_000_000]
    cut = sample.rfind(b"\n")
    sample = sample[: cut if cut > 0 else len(sample)]
    for codec, zh, en, good in (
        ("big5", "Big5（繁体中文）", "Big5 (Traditional Chinese)", _cjk),
        ("shift_jis", "Shift-JIS（日文）", "Shift-JIS (Japanese)", lambda c: _cjk(c) or 0x3040 <= ord(c) <= 0x30FF),
    ):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        if _share(text, good) >= 0.9:
            return zh, en
    text = sample.decode("latin-1")
    # Western European text: accented letters stand alone between ASCII ones (Société)
    lone = re.findall(r"(?<![\x80-\xff])[\xc0-\xff](?![\x80-\xff])", text)
    if lone and len(lone) >= 0.8 * len(re.findall(r"[\x80-\xff]", text)):
        return "Latin-1/Windows-1252（西欧文字）", "Latin-1 / Windows-1252 (Western European)"
    return None


def _not_gb_message(guess: tuple[str, str] | None, sample: str | None) -> tuple[str, str]:
    zh_name, en_name = guess or ("UTF-8 和 GB18030 以外的编码", "an encoding other than UTF-8 or GB18030")
    zh_sample = f"（按 GB18030 读，这一行是“{sample}”）" if sample else ""
    en_sample = f" (read as GB18030 this line is '{sample}')" if sample else ""
    return (
        f"文件看起来是 {zh_name}，不是 UTF-8 或 GB18030，无法无损读取{zh_sample}；{_SAVE_AS_ZH}",
        f"the file looks like {en_name}, not UTF-8 or GB18030, and cannot be read without loss{en_sample}; "
        f"{_SAVE_AS_EN}",
    )


def file_type(data: bytes) -> str:
    """By content, never by the (user-supplied) name."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv"


def fields_of(cells: list[str | None], match: Match) -> set[str]:
    return {f for f in (match(c) for c in cells if c) if f}


def _best_header(rows: list[list[str | None]], match: Match) -> tuple[int, int]:
    best_i, best = -1, 0
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        s = len(fields_of(cells, match))
        if s > best:
            best_i, best = i, s
    return best_i, best


@dataclass
class HeaderPlan:
    top: int  # index of the first header row (the parent row of a two-row header)
    bottom: int  # index of the last header row; data starts below it
    cells: list[str | None]  # the header of each column as written (child, else parent)
    names: list[str | None]  # the text to match where it differs (parent + child)
    units: list[tuple[str, str] | None]  # (unit, the parent header's text) inherited
    guessed: list[tuple[int, int, str]]  # CSV: (from col, to col, parent) units spread over blank cells
    conflicts: list[tuple[int, str, str]] = field(default_factory=list)  # (col, parent, child) units differ


def _combine(parent: str, child: str, match: Match) -> str | None:
    """金额 + 预计签约 -> 预计签约金额 when that is a known header (and the reverse)."""
    base = split_header_unit(parent)[0]
    for text in (child + base, base + child):
        if match(text):
            return text
    return None


def plan_header(
    rows: list[list[str | None]],
    hi: int,
    match: Match,
    cover: Callable[[int, int], tuple[int, int] | None],
    takes_unit: Callable[[str], bool],
    spans_guessed: bool = False,
) -> HeaderPlan:
    """The header of a table whose best-matching row is ``hi``: that row alone, or with the
    row above (a parent row: 金额（万元） merged over 预计签约金额 / 合同金额) or below
    (vertically merged 项目编号 over an empty cell, sub-headers in the next row) — whichever
    recognises more fields, or as many but gives a unit to columns that have none.
    ``cover(parent_row, j)`` is (column of the parent cell over column j, how many columns
    it spans) or None."""
    width = max(len(r) for r in rows[max(hi - 1, 0) : hi + 2])

    def cell(r: int, j: int) -> str | None:
        return rows[r][j] if 0 <= r < len(rows) and j < len(rows[r]) else None

    def single() -> HeaderPlan:
        cells = [cell(hi, j) for j in range(width)]
        return HeaderPlan(hi, hi, cells, [None] * width, [None] * width, [])

    def pair(p: int, c: int) -> HeaderPlan:
        plan = HeaderPlan(p, c, [None] * width, [None] * width, [None] * width, [])
        for j in range(width):
            child, covered = cell(c, j), cover(p, j)
            parent_j, span = covered if covered else (None, 0)
            parent = cell(p, parent_j) if parent_j is not None else None
            if child is None:
                if parent is not None and parent_j == j and span == 1 and match(parent):
                    plan.cells[j] = parent  # a header written in the upper row (merged down)
                continue
            plan.cells[j] = child
            field = match(child)
            if field is None and parent is not None:
                plan.names[j] = _combine(parent, child, match)
                field = match(plan.names[j]) if plan.names[j] else None
            unit = split_header_unit(parent)[1] if parent else None
            own = split_header_unit(child)[1]
            if unit and field and takes_unit(field):
                if own is None:
                    plan.units[j] = (unit, parent)
                elif own != unit:
                    plan.conflicts.append((j, parent, child))
        return plan

    def score(plan: HeaderPlan) -> tuple[int, int]:
        fields = {match(n or c) for n, c in zip(plan.names, plan.cells, strict=True) if n or c} - {None}
        return len(fields), sum(1 for u in plan.units if u)

    candidates = [single()]
    if hi >= 1 and any(rows[hi - 1]):
        candidates.append(pair(hi - 1, hi))
    if hi + 1 < len(rows) and any(rows[hi + 1]):
        candidates.append(pair(hi, hi + 1))
    best = max(candidates, key=score)  # max keeps the first of equals: the single row
    if best is not candidates[0] and spans_guessed:
        for j0, span in sorted({cover(best.top, j) for j in range(width) if best.units[j]} - {None}):
            if span > 1:
                best.guessed.append((j0, j0 + span - 1, cell(best.top, j0) or ""))
    if best is candidates[0]:
        best.conflicts = []
    return best


def csv_cover(
    rows: list[list[str | None]], match: Match, takes_unit: Callable[[str], bool]
) -> Callable[[int, int], tuple[int, int] | None]:
    """A CSV keeps no merged cells: a merged parent's text sits in its first column and the
    rest are blank. The parent over column j is the nearest text at or left of j in the
    parent row, spanning the blank cells after it — but only across columns whose
    sub-header takes a unit (an amount), so a parent never reaches past a date or a name."""

    def cover(p: int, j: int) -> tuple[int, int] | None:
        row = rows[p]
        child = rows[p + 1] if p + 1 < len(rows) else []

        def at(r: list[str | None], k: int) -> str | None:
            return r[k] if 0 <= k < len(r) else None

        k = j
        while k >= 0 and at(row, k) is None:
            k -= 1
        if k < 0:
            return None
        parent = at(row, k) or ""

        def takes(i: int) -> bool:
            sub = at(child, i)
            if sub is None:
                return False
            field = match(sub) or match(_combine(parent, sub, match))
            return bool(field) and takes_unit(field)

        if k != j and not all(takes(i) for i in range(k, j + 1)):
            return None
        end = j
        while at(row, end + 1) is None and takes(end + 1) and takes(k):
            end += 1
        return k, end - k + 1

    return cover


def xlsx_cover(
    rows: list[list[str | None]], merges: list[tuple[int, int, int, int]], start_row: int, col_offset: int
) -> Callable[[int, int], tuple[int, int] | None]:
    """The parent over column j is the cell itself, or the merged range (Excel's own
    record of it) whose top row is the parent row and which spans column j."""
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, _r2, c2 in merges:
        g_row, g1, g2 = r1 - start_row, c1 - col_offset, c2 - col_offset
        for j in range(max(g1, 0), g2 + 1):
            spans[(g_row, j)] = (g1, g2 - g1 + 1)

    def cover(p: int, j: int) -> tuple[int, int] | None:
        if (p, j) in spans:
            return spans[(p, j)]
        return (j, 1) if j < len(rows[p]) and rows[p][j] is not None else None

    return cover


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


def _fast_record_starts(encoded: bytes, header_end: int, width: int, delimiter: str = ",") -> pl.Series | None:
    """Line numbers of the data records when every line is one record of ``width`` fields
    (the common case), counted with vectorised string ops on the lines as Polars reads them
    (a one-column read with no quoting: one string per line, in native code — a Python list
    of 2M lines took a second and ~100 bytes a line); None when unsure (a quoted field spans
    lines, or some line's count differs): then the csv module decides.

    ``encoded`` is the text after the header record, as UTF-8 (it holds no NUL: refused
    before, so NUL can be the one-column read's separator). The read gives a blank line as
    null and drops a line end's ``\r`` — the lines and their count are those of
    ``text.split("\n")`` without the empty piece after a final line end."""
    if not encoded:
        return pl.Series("row", [], dtype=pl.Int64)
    col = pl.read_csv(encoded, separator="\x00", has_header=False, quote_char=None, schema={"l": pl.String},
                      raise_if_empty=False)["l"].fill_null("").str.strip_chars_end("\r")
    n_lines = col.len()
    if (col.str.count_matches('"', literal=True) % 2 == 1).any():
        return None
    if col.str.contains('"', literal=True).any():
        col = col.str.replace_all(r'"[^"]*"', "")  # quoted fields (a doubled "" is two of them)
    fields = col.str.count_matches(delimiter, literal=True) + 1
    odd = fields != width
    if odd.any() and (col.filter(odd).str.replace_all(delimiter, "", literal=True).str.strip_chars().str.len_bytes() > 0).any():
        return None  # a line that is not blank has another field count: let csv decide
    return pl.int_range(header_end + 1, header_end + 1 + n_lines, dtype=pl.Int64, eager=True).alias("row")


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


_HEAD_SAMPLE_CHARS = 1_000_000


def _head_text(text: str) -> str:
    """The first lines of the text (about 1 MB, cut at a line end): where the header is."""
    if len(text) <= _HEAD_SAMPLE_CHARS:
        return text
    cut = text.rfind("\n", 0, _HEAD_SAMPLE_CHARS)
    return text[: cut + 1] if cut > 0 else text


def read_csv_grid(data: bytes, report: Report, match: Match, takes_unit: Callable[[str], bool]) -> Grid | None:
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
    rewritten = "\r" in text and "\n" not in text
    if rewritten:
        text = text.replace("\r", "\n")  # classic Mac line ends: one rule for both readers

    # The delimiter is the one under which a header row is found (comma, tab, semicolon):
    # exports saved as "text" or from European Excel use the other two. The header is
    # searched in the file's first lines only (a csv reader over a 150 MB text first copies
    # it whole, once per delimiter); the whole text is read by csv only when needed below.
    head_text = _head_text(text)
    chosen = None
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
        head: list[tuple[int, list[str]]] = []  # (start line, fields) of the first records
        prev = 0
        for rec in reader:
            head.append((prev + 1, rec))
            prev = reader.line_num
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        if len(head) < HEADER_SEARCH_ROWS and len(head_text) < len(text):
            # a record runs past the sample (a long quoted cell): read the first records again, from the whole text
            head_text = text
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            head, prev = [], 0
            for rec in reader:
                head.append((prev + 1, rec))
                prev = reader.line_num
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
        if not head:
            report.error("empty", "文件是空的", "the file is empty")
            return None
        hi, best = _best_header([[c or None for c in r] for _, r in head], match)
        if hi >= 0 and best >= MIN_HEADER_MATCHES and (chosen is None or best > chosen[2]):
            chosen = (delimiter, reader, best, hi, head, prev)
    if chosen is None:
        _no_header(report)
        return None
    delimiter, reader, _, hi, head, prev = chosen
    report.delimiter = delimiter
    rows = [[c if c.strip() else None for c in r] for _, r in head]
    plan = plan_header(rows, hi, match, csv_cover(rows, match, takes_unit), takes_unit, spans_guessed=True)
    header_line = head[plan.bottom][0]
    width = max(len(head[plan.bottom][1]), len(head[plan.top][1]))
    header_end = head[plan.bottom + 1][0] - 1 if plan.bottom + 1 < len(head) else prev
    title = " ".join(c for _, r in head[: plan.top] for c in r if c)
    notes = title_unit_notes([(line, c) for line, r in head[: plan.top] for c in r if c])

    # The data records, as text after the header record, read by Polars.
    pos = 0
    for _ in range(header_end):
        nxt = text.find("\n", pos)
        if nxt < 0:
            pos = len(text)
            break
        pos = nxt + 1
    if encoding == "gb18030" or rewritten:
        encoded = text[pos:].encode("utf-8")
    else:  # the file's own bytes are that UTF-8 already (no second copy made by encoding)
        encoded = data[len(text[:pos].encode("utf-8")) + (3 if encoding == "utf-8-sig" else 0):]
    # Every data record: its first line, and a check of its width against the header.
    starts = _fast_record_starts(encoded, header_end, width, delimiter)
    if starts is None:  # quotes spanning lines, or a row that may be ragged: the exact way
        first = head
        if head_text is not text:  # the header was found in a sample: read its records again, from the whole text
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            first, prev = [], 0
            for rec in reader:
                first.append((prev + 1, rec))
                prev = reader.line_num
                if len(first) >= len(head):
                    break
        exact = _exact_record_starts(first[plan.bottom + 1 :], reader, prev, width, report, delimiter)
        if exact is None:
            return None
        starts = pl.Series("row", exact, dtype=pl.Int64)
    del text  # a large export: keep one copy of the text at a time
    names = [f"c{i}" for i in range(width)]
    if not starts.len():
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in names})
    else:
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
    del encoded
    if frame.height != starts.len():
        report.error(
            "row_count",
            f"两个读取器数出的数据行数不同（{starts.len()} 与 {frame.height}）：文件里可能有不成对的引号",
            f"the two readers counted different numbers of data rows ({starts.len()} vs {frame.height}): "
            "the file may hold an unbalanced quote",
        )
        return None
    pad = [None] * max(0, width - len(plan.cells))
    return Grid(
        header=(plan.cells + pad)[:width],
        data=frame,
        row_numbers=starts,
        title_text=title,
        header_row=header_line,
        names=(plan.names + pad)[:width],
        inherited_units=(plan.units + pad)[:width],
        parent_row=head[plan.top][0] if plan.top != plan.bottom else None,
        unit_notes=notes,
        units_guessed_from_csv=plan.guessed,
        unit_conflicts=plan.conflicts,
    )


# --- XLSX ----------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    frame: pl.DataFrame
    hi: int
    score: int
    fields: set[str]
    visible: bool


def read_excel_grids(data: bytes, report: Report, match: Match, takes_unit: Callable[[str], bool],
                     key: str = "project_id") -> list[Grid]:
    """Every visible sheet holding a project table (a header with the project id — or the
    field ``key`` for other kinds of file, e.g. a visit report's customer — and at least
    MIN_HEADER_MATCHES known columns), one Grid each; [] when refused (the report says
    why). Hidden sheets never win: one with a table is named in a warning, unread."""
    refusal = xlsx.check_container(data)
    if refusal is not None:
        report.error(refusal.code, refusal.zh, refusal.en)
        return []
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # calamine's errors are plain exceptions with a message
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            refusal = xlsx._password_refusal()
            report.error(refusal.code, refusal.zh, refusal.en)
        else:
            report.error("bad_xlsx", f"无法作为 Excel 工作簿读取：{exc}", f"cannot be read as an Excel workbook: {exc}")
        return []
    sheets: list[_Sheet] = []
    considered = []
    for name in reader.sheet_names:
        try:
            loaded = reader.load_sheet(name, header_row=None, dtypes="string")
            frame = loaded.to_polars()
        except Exception as exc:
            report.warn("sheet_unreadable", f"工作表「{name}」无法读取：{exc}", f"sheet '{name}' could not be read: {exc}")
            continue
        considered.append(name)
        if frame.width == 0 or frame.height == 0:
            continue
        head = [list(r) for r in frame.head(HEADER_SEARCH_ROWS + 1).iter_rows()]
        hi, score = _best_header(head, match)
        fields = fields_of(head[hi], match) if hi >= 0 else set()
        sheets.append(_Sheet(name, frame, hi, score, fields, loaded.visible == "visible"))
    report.sheets_considered = considered
    tables = [t for t in sheets if t.score >= MIN_HEADER_MATCHES and key in t.fields]
    if not tables:
        # no sheet has an id column: the best-matching one is read (visible first), so the
        # report can say what is missing
        pool = sorted((t for t in sheets if t.score >= MIN_HEADER_MATCHES), key=lambda t: (t.visible, t.score), reverse=True)
        tables = pool[:1]
    if not tables:
        _no_header(report)
        return []
    hidden = [t.name for t in tables if not t.visible]
    shown = [t for t in tables if t.visible]
    if not shown:
        report.error(
            "hidden_sheet",
            f"项目表只在隐藏的工作表「{'」「'.join(hidden)}」中；隐藏的工作表常是过期的副本，不会被读取。"
            "如果它就是要导入的数据，请取消隐藏（或复制到可见的工作表）后保存，再上传",
            f"the project table is only on hidden sheet(s) '{', '.join(hidden)}'; hidden sheets are often stale "
            "copies and are never read — if it is the data to import, unhide it (or copy it to a visible sheet), "
            "save, and upload again",
        )
        return []
    if hidden:
        report.warn(
            "hidden_sheet",
            f"隐藏的工作表「{'」「'.join(hidden)}」也有项目表，未导入（隐藏的工作表常是过期的副本）；如需导入，请取消隐藏后重新上传",
            f"hidden sheet(s) '{', '.join(hidden)}' also hold a project table and were not imported (hidden sheets "
            "are often stale copies); unhide them and upload again if they belong to this export",
        )
    info = xlsx.workbook_info(data)
    grids = []
    for t in shown:
        grid = _sheet_grid(data, t, info, report, match, takes_unit)
        if grid is not None:
            grid.sheets_considered = considered
            grids.append(grid)
    return grids


def _sheet_grid(
    data: bytes, t: _Sheet, info: xlsx.WorkbookInfo, report: Report, match: Match, takes_unit: Callable[[str], bool]
) -> Grid | None:
    frame = t.frame.rename({c: f"c{i}" for i, c in enumerate(t.frame.columns)})
    rows = [list(r) for r in frame.head(HEADER_SEARCH_ROWS + 2).iter_rows()]
    rows = [[None if c is None or not str(c).strip() else str(c) for c in r] for r in rows]
    sheet = info.sheet(t.name)
    scan = xlsx.scan_sheet(data, sheet.path) if sheet and sheet.path else None  # None: an .xls
    if scan is not None and not scan.complete:
        report.error(
            "sheet_unchecked",
            "无法逐个检查这张工作表的公式和错误值单元格（工作表结构异常）；请在 Excel/WPS 中打开并另存为新的 .xlsx 后重新上传",
            "this sheet's formula and error cells could not be checked one by one (its structure is unusual); open "
            "it in Excel/WPS, save it as a new .xlsx and upload again",
            sheet=t.name,
        )
    start_row = scan.start_row if scan else None
    col_offset = 0
    if start_row is None:
        start_row = 1
        report.warn(
            "row_numbers",
            "无法确定工作表的起始行，行号从第一个非空行算起",
            "could not tell where the sheet starts; row numbers count from its first non-empty row",
            sheet=t.name,
        )
    elif scan is not None:
        first = next((j for j, c in enumerate(rows[t.hi]) if c is not None), None)
        xml_first = scan.first_col(start_row + t.hi)
        if first is not None and xml_first is not None:
            col_offset = xml_first - first
    cover = xlsx_cover(rows, scan.merges if scan else [], start_row, col_offset)
    plan = plan_header(rows, t.hi, match, cover, takes_unit)
    width = frame.width
    pad = [None] * max(0, width - len(plan.cells))
    title_rows = frame.head(plan.top).iter_rows()
    title = " ".join(str(c) for r in frame.head(plan.top).iter_rows() for c in r if c)
    notes = title_unit_notes([(start_row + i, str(c)) for i, r in enumerate(title_rows) for c in r if c])
    body = frame.slice(plan.bottom + 1)
    first_data = start_row + plan.bottom + 1
    return Grid(
        header=(plan.cells + pad)[:width],
        data=body,
        row_numbers=pl.int_range(first_data, first_data + body.height, dtype=pl.Int64, eager=True).alias("row"),
        title_text=title,
        header_row=start_row + plan.bottom,
        sheet=t.name,
        names=(plan.names + pad)[:width],
        inherited_units=(plan.units + pad)[:width],
        parent_row=start_row + plan.top if plan.top != plan.bottom else None,
        unit_notes=notes,
        unit_conflicts=plan.conflicts,
        formulas=scan.formulas if scan else [],
        cell_errors=scan.errors if scan else [],
        col_offset=col_offset,
        full_calc_on_load=info.full_calc_on_load,
        visible=t.visible,
    )
