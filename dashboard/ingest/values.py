"""Value parsers: amounts, margins, dates, grades, stage and status words.

Pure functions, no I/O, no database, no streamlit. Each parser works on a whole Polars
column at once (the ingest path parses 100k rows per file) and returns the parsed column
plus a mask of the cells that held text but could not be read; the caller turns those
into report errors naming row and column. The scalar helpers (``parse_amount`` …) run the
same column code on one value, so the property tests exercise exactly what ingest uses.

Decisions that are made per column, never per cell:

* the unit of an amount column comes from its header (``预计签约金额(万元)``), else from
  a mapping constant, else 元; a single cell may still say ``12.5万`` or ``3亿``;
* the decimal separator of a number column (``1,234.50`` vs ``1.234,50``) comes from the
  column's own unambiguous cells (``88,00`` can only be a decimal comma, ``1,234,567``
  only thousands commas); a column with both kinds is refused; a column with only
  ambiguous cells (``1,234``) is decided by the caller from the rest of the file
  (clean.py), never per cell;
* a plain margin number above 1 is a percentage (``23`` = 23 %), up to 1 a ratio
  (``0.23``); ``23%`` is always a percentage; a header ``毛利率(%)`` makes every plain
  number a percentage; in a column of percent numbers a plain number up to 1
  (``23, 18, 1, 35``) could be either and is returned as *ambiguous* (an error);
* the order of day and month in ``3/5/2026``-style dates is decided from the values
  (a first number above 12 means D/M, a second above 12 means M/D); when no value
  decides it and no order was given, the column is refused (never silently D/M).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from dashboard.config import normalize

AMOUNT_DTYPE = pl.Decimal(18, 2)
_WIDE_DECIMAL = pl.Decimal(38, 12)  # room for 0.01 元 written in 亿 (1e-10)

# Units an amount header may end with, in brackets: "(万元)", "（元）", "(亿)".
UNIT_FACTORS: dict[str, Decimal] = {
    "元": Decimal(1),
    "rmb": Decimal(1),
    "cny": Decimal(1),
    "yuan": Decimal(1),
    "千元": Decimal(1000),
    "万": Decimal(10000),
    "万元": Decimal(10000),
    "亿": Decimal(100000000),
    "亿元": Decimal(100000000),
}
PERCENT_UNITS = {"%", "百分比", "pct"}
_HEADER_UNIT = re.compile(r"^(.*?)[(\[]([^()\[\]]+)[)\]]$")

DATE_ORDERS = ("MDY", "DMY")
_TIME = r"(?:[t ]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + "$")
_XYY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})" + _TIME + "$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
_GRADE_SUFFIX = re.compile(r"(级客户|类客户|客户|级|类|等|档|grade)$")


_UNIT_NOTE = re.compile(r"单位[:]?(千元|万元|亿元|元|万|亿|rmb|cny|yuan)")


def title_unit_notes(cells: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Unit notes in the title rows above a header (``单位：万元``, ``金额单位: 亿元``) as
    (unit, "row N: the cell's text"); they apply to amount columns whose header says none."""
    out = []
    for row, text in cells:
        m = _UNIT_NOTE.search(normalize(text))
        if m:
            out.append((m.group(1), f"{row}: {text.strip()[:60]}"))
    return out


def split_header_unit(header: str) -> tuple[str, str | None]:
    """``'预计签约金额 （万元）'`` -> ``('预计签约金额', '万元')``; the name normalised.

    Only a bracketed suffix naming a known unit (or %) counts; other brackets stay part
    of the name (``'阶段(旧)'`` is a header called that)."""
    key = normalize(header)
    m = _HEADER_UNIT.match(key)
    if m and (m.group(2) in UNIT_FACTORS or m.group(2) in PERCENT_UNITS):
        return m.group(1), m.group(2)
    return key, None


_WIDE = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000", "\uffe5", "\uffe0", "\uffe1", "\u2212", "\ufe63"]
_NARROW = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" ", "¥", "¢", "£", "-", "-"]


def _clean_text(s: pl.Series, *, lower: bool = True) -> pl.Series:
    """Fold full-width ASCII (digits, punctuation, letters, the ideographic space), the
    full-width yen sign ￥ (what a Chinese keyboard types) and the minus sign − to
    half-width, trim, optionally lower-case; '' -> null. (The part of NFKC that matters
    for numbers and dates, done only when a column has such characters: it is 10x
    cheaper than NFKC on every cell.)"""
    t = s.cast(pl.String)
    if t.str.contains("[\uff01-\uff5e\u3000\uffe0\uffe1\uffe5\u2212\ufe63]").any():
        t = t.str.replace_many(_WIDE, _NARROW)
    t = t.str.strip_chars()
    if lower:
        t = t.str.to_lowercase()
    return pl.select(pl.when(t.str.len_bytes() == 0).then(None).otherwise(t)).to_series()


# --- numbers: one grammar for amounts and margins --------------------------------------
# After currency signs, spaces and a unit suffix are gone, a number is digits with "," and
# "." in one of these shapes. Which separator is the decimal one is a property of the
# column (and the file), never guessed per cell.
_US_ONLY = r"^(?:\d{1,3}(?:,\d{3})+\.\d*|\d{1,3}(?:,\d{3}){2,}|\d*\.\d+)$"  # 1,234.5 · 1,234,567 · 12.5
_EU_ONLY = r"^(?:\d{1,3}(?:\.\d{3})+,\d*|\d{1,3}(?:\.\d{3}){2,}|\d*,\d+)$"  # 1.234,5 · 1.234.567 · 88,00
_AMBIGUOUS_DOT = r"^[1-9]\d{0,2}\.\d{3}$"  # 1.234: 1.234 or 1234
_AMBIGUOUS_COMMA = r"^[1-9]\d{0,2},\d{3}$"  # 1,234: 1234 or 1.234
_PLAIN = r"^\d+$"
# currency signs and words, grouping spaces (also no-break and thin ones), apostrophes
_NOISE = ["_", " ", "\t", "\u00a0", "\u2009", "\u202f", "'", "’", "¥", "$", "€", "£", "rmb", "cny", "yuan", "人民币"]
DECIMAL_SEPARATORS = (".", ",")


@dataclass(frozen=True)
class NumberStyle:
    """Evidence for a column's decimal separator: cells that can only be read one way."""

    point: int = 0  # cells only readable with a decimal point (1,234.5 · 12.5 · 1,234,567)
    comma: int = 0  # cells only readable with a decimal comma (1.234,5 · 88,00 · 1.234.567)
    ambiguous: int = 0  # 1,234 / 1.234: either way
    point_example: str | None = None
    comma_example: str | None = None
    ambiguous_example: str | None = None

    @property
    def decided(self) -> str | None:
        """'.' or ',' when the column's own cells say so, None when they do not (or conflict)."""
        if self.point and not self.comma:
            return "."
        if self.comma and not self.point:
            return ","
        return None

    @property
    def conflicting(self) -> bool:
        return bool(self.point and self.comma)


def _number_body(t: pl.Series, *, units: bool) -> pl.DataFrame:
    """Cleaned text -> columns body (digits and separators), negative, factor (万/亿/千 or
    null), pct (a trailing %), exp (an exponent kept aside). ``(2,000.00)`` is negative.
    (Literal prefix/suffix tests where possible: this runs on every cell of every number
    column.)"""
    body = pl.col("t").str.replace_many(_NOISE, [""] * len(_NOISE)).str.strip_suffix("元")
    frame = pl.DataFrame({"t": t}).with_columns(body=body)
    body = pl.col("body")
    frame = frame.with_columns(pct=body.str.ends_with("%").fill_null(False), body=body.str.strip_suffix("%"))
    frame = frame.with_columns(
        neg_paren=(body.str.starts_with("(") & body.str.ends_with(")")).fill_null(False),
    ).with_columns(
        body=pl.when("neg_paren").then(body.str.strip_prefix("(").str.strip_suffix(")")).otherwise(body)
    )
    frame = frame.with_columns(
        negative=body.str.starts_with("-").fill_null(False) | pl.col("neg_paren"),
        body=body.str.strip_prefix("-").str.strip_prefix("+"),
    )
    if units:
        frame = frame.with_columns(
            factor=pl.when(body.str.ends_with("亿"))
            .then(pl.lit(Decimal(100000000), _WIDE_DECIMAL))
            .when(body.str.ends_with("万"))
            .then(pl.lit(Decimal(10000), _WIDE_DECIMAL))
            .when(body.str.ends_with("千"))
            .then(pl.lit(Decimal(1000), _WIDE_DECIMAL))
            .otherwise(None),
            body=body.str.strip_suffix("亿").str.strip_suffix("万").str.strip_suffix("千"),
        )
    if frame["body"].str.contains("e", literal=True).any():
        # an exponent (Excel and Python write 1e-07, 0E-10 for tiny numbers) is kept aside
        return frame.with_columns(
            exp=body.str.extract(r"\d(e[+-]?\d{1,3})$", 1).fill_null(""),
            body=body.str.replace(r"(\d)e[+-]?\d{1,3}$", "$1"),
        )
    return frame.with_columns(exp=pl.lit(""))


def _shapes(body: pl.Series) -> pl.Series:
    """Each number's shape (digits 1–9 -> 1, 0 kept): 1,234.56 -> 1,111.11. A column has a
    handful of shapes, so the separator rules run once per shape, not once per cell."""
    return body.str.replace_all("[1-9]", "1")


def _shape_kind(shape: str) -> str:
    """'plain', 'point' (only a decimal point reads it), 'comma', 'ambiguous' or 'bad'."""
    if re.fullmatch(_PLAIN, shape):
        return "plain"
    if re.fullmatch(_AMBIGUOUS_DOT, shape) or re.fullmatch(_AMBIGUOUS_COMMA, shape):
        return "ambiguous"
    if re.fullmatch(_US_ONLY, shape):
        return "point"
    if re.fullmatch(_EU_ONLY, shape):
        return "comma"
    return "bad"


def _kinds(body: pl.Series) -> pl.Series:
    shape = _shapes(body)
    table = {sh: _shape_kind(sh) for sh in shape.drop_nulls().unique().to_list()}
    return shape.replace_strict(table, default=None, return_dtype=pl.String)


@dataclass(frozen=True)
class Numbers:
    """A number column taken apart once (sign, unit suffix, %, digits and separators, and
    the shape kind of each cell); its style and its values are both read from this."""

    raw: pl.Series
    frame: pl.DataFrame  # t, body, pct, negative, factor, exp, kind


def numbers(s: pl.Series | Numbers) -> Numbers:
    if isinstance(s, Numbers):
        return s
    frame = _number_body(_clean_text(s), units=True)
    return Numbers(s, frame.with_columns(kind=_kinds(frame["body"])))


def number_style(s: pl.Series | Numbers) -> NumberStyle:
    """How the cells of a number column use "," and "." (see :class:`NumberStyle`)."""
    col = numbers(s)
    s, kinds = col.raw, col.frame["kind"]
    counts = dict(kinds.value_counts().iter_rows())

    def first(kind: str) -> str | None:
        hit = s.filter(kinds == kind)
        return None if hit.len() == 0 else str(hit[0])

    return NumberStyle(
        point=counts.get("point", 0),
        comma=counts.get("comma", 0),
        ambiguous=counts.get("ambiguous", 0),
        point_example=first("point") if counts.get("point") else None,
        comma_example=first("comma") if counts.get("comma") else None,
        ambiguous_example=first("ambiguous") if counts.get("ambiguous") else None,
    )


def _number_text(body: pl.Series, kinds: pl.Series, decimal: str, ambiguous_ok: bool) -> pl.Series:
    """Digits with separators -> plain number text ("1234.5") under the column's decimal
    separator; a cell whose shape does not fit that convention -> null (the caller marks
    it bad)."""
    fits = kinds.is_in(["plain", "comma" if decimal == "," else "point"] + (["ambiguous"] if ambiguous_ok else []))
    if decimal == ",":
        text = body.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    else:
        text = body.str.replace_all(",", "", literal=True)
    return pl.select(pl.when(fits.fill_null(False)).then(text).otherwise(None)).to_series()


def parse_amounts(
    s: pl.Series | Numbers, unit: str | None = None, decimal: str | None = None, *, ambiguous_ok: bool = True
) -> tuple[pl.Series, pl.Series]:
    """Text -> Decimal(18,2) in 元. Returns (values, bad) where bad marks unreadable cells.

    ``decimal`` is the column's decimal separator ('.' or ','), decided by the caller; None
    = from the column's own cells, else '.'. ``ambiguous_ok=False`` marks 1,234 / 1.234
    bad (the caller could not decide them). ``(2,000.00)`` is −2000; ``￥1,234.5`` reads."""
    col = numbers(s)
    s, frame = col.raw, col.frame
    decimal = decimal or number_style(col).decided or "."
    factor = UNIT_FACTORS[unit] if unit else Decimal(1)
    frame = frame.with_columns(
        number=(_number_text(frame["body"], frame["kind"], decimal, ambiguous_ok) + pl.col("exp")).cast(_WIDE_DECIMAL, strict=False),
        factor=pl.coalesce("factor", pl.lit(factor, _WIDE_DECIMAL)),
    )
    value = pl.col("number") * pl.col("factor")
    frame = frame.with_columns(
        value=pl.when(pl.col("negative")).then(-value).otherwise(value).round(2).cast(AMOUNT_DTYPE, strict=False)
    )
    bad = (frame["t"].is_not_null() & frame["value"].is_null()) | frame["pct"]
    value = pl.select(pl.when(bad).then(None).otherwise(frame["value"])).to_series()
    return value.alias(s.name), bad.alias(s.name)


@dataclass(frozen=True)
class MarginColumn:
    values: pl.Series  # ratio (0.23), Float64
    bad: pl.Series  # held text that is not a margin (or above 100 %)
    ambiguous: pl.Series  # a plain number up to 1 in a column of percent numbers: 1 % or 100 %?


def parse_margins(
    s: pl.Series | Numbers, unit: str | None = None, decimal: str | None = None, *, ambiguous_ok: bool = True
) -> MarginColumn:
    """Text -> ratio (0.23). ``23%`` is a percentage; so is a plain number above 1
    (``23``) and every plain number when the header says ``(%)``; a plain number up to 1
    is a ratio (``0.23``) — unless the column also holds plain numbers above 1: then it
    is a column of percent numbers and ``1`` (or ``0.5``) could mean 1 % or 100 %, so
    such cells are *ambiguous* (null, for the caller to refuse). Above 100 % is bad."""
    col = numbers(s)
    s, frame = col.raw, col.frame
    decimal = decimal or number_style(col).decided or "."
    percent_column = bool(unit in PERCENT_UNITS) if unit else False
    frame = frame.with_columns(  # a 万/亿 suffix makes no margin
        num=pl.when(pl.col("factor").is_null())
        .then(_number_text(frame["body"], frame["kind"], decimal, ambiguous_ok) + pl.col("exp"))
        .cast(pl.Float64, strict=False)
    )
    frame = frame.with_columns(num=pl.when(pl.col("negative")).then(-pl.col("num")).otherwise(pl.col("num")))
    plain = ~frame["pct"] & frame["num"].is_not_null()
    size = frame["num"].abs()
    percent_numbers = bool((plain & (size > 1)).any())
    ambiguous = plain & (size > 0) & (size <= 1)
    if not percent_numbers or percent_column:
        ambiguous = ambiguous & False
    frame = frame.with_columns(
        value=pl.when(pl.col("pct") | pl.lit(percent_column) | (pl.col("num").abs() > 1))
        .then(pl.col("num") / 100)
        .otherwise(pl.col("num"))
    )
    value = frame["value"]
    bad = (frame["t"].is_not_null() & value.is_null()) | (value > 1).fill_null(False)
    value = pl.select(pl.when(bad | ambiguous).then(None).otherwise(value)).to_series()
    return MarginColumn(value.alias(s.name), bad.alias(s.name), ambiguous.fill_null(False).alias(s.name))


@dataclass(frozen=True)
class DateColumn:
    values: pl.Series  # pl.Date
    bad: pl.Series  # bool: held text that is not a date
    order: str | None  # 'MDY' / 'DMY' when the column has x/y/YYYY dates, else None
    order_source: str | None  # 'values' | 'given' | None
    ambiguous: bool  # x/y/YYYY dates, none above 12, no order given: refuse the column
    conflicting: bool  # some values only fit M/D, others only D/M


# Spellings tried first, whole column at once (Polars parses an explicit format ~30x
# faster than a regex); whatever is left goes through the regex path below.
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")


def _fast_dates(t: pl.Series) -> pl.Series:
    value = pl.select(pl.repeat(None, t.len(), dtype=pl.Date)).to_series().alias(t.name)
    # chrono's %Y takes any number of digits ('3/5/26' would be year 3): four or nothing
    t = pl.select(pl.when(t.str.contains(r"^\d{4}")).then(t).otherwise(None)).to_series()
    for fmt in _DATE_FORMATS + _DATETIME_FORMATS:
        left = t.is_not_null() & value.is_null()
        if not left.any():
            break
        if fmt in _DATE_FORMATS:
            parsed = t.str.to_date(fmt, strict=False)
        else:
            parsed = t.str.to_datetime(fmt, strict=False, time_unit="us").dt.date()
        value = value.fill_null(parsed)
    return value


def parse_dates(s: pl.Series, order: str | None = None) -> DateColumn:
    """Text (or Excel serial numbers, or datetimes) -> pl.Date.

    Accepts 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305, 3/5/2026 (order
    decided for the whole column, see module doc), Excel serials (45991), and any of
    these followed by a time of day (which is dropped)."""
    if order is not None and order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {DATE_ORDERS}, got {order!r}")
    t = _clean_text(s, lower=False)
    fast = _fast_dates(t)
    if not (t.is_not_null() & fast.is_null()).any():
        return DateColumn(fast.alias(s.name), pl.Series(s.name, [False] * s.len()), None, None, False, False)
    t = pl.select(pl.when(fast.is_null()).then(t.str.to_lowercase()).otherwise(None)).to_series()
    ymd = t.str.extract_groups(_YMD.pattern)
    xyy = t.str.extract_groups(_XYY.pattern)
    compact = t.str.extract_groups(_COMPACT.pattern)
    frame = pl.DataFrame(
        {
            "t": t,
            "y1": ymd.struct[0].cast(pl.Int32, strict=False),
            "m1": ymd.struct[1].cast(pl.Int32, strict=False),
            "d1": ymd.struct[2].cast(pl.Int32, strict=False),
            "a": xyy.struct[0].cast(pl.Int32, strict=False),
            "b": xyy.struct[1].cast(pl.Int32, strict=False),
            "y2": xyy.struct[2].cast(pl.Int32, strict=False),
            "y3": compact.struct[0].cast(pl.Int32, strict=False),
            "m3": compact.struct[1].cast(pl.Int32, strict=False),
            "d3": compact.struct[2].cast(pl.Int32, strict=False),
        }
    )
    a_big = bool((frame["a"] > 12).any())
    b_big = bool((frame["b"] > 12).any())
    has_xyy = bool(frame["a"].is_not_null().any())
    undecidable = bool((frame["a"] != frame["b"]).any())
    conflicting = a_big and b_big
    source = None
    if not has_xyy:
        chosen = None
    elif order is not None:
        chosen, source = order, "given"
    elif a_big and not b_big:
        chosen, source = "DMY", "values"
    elif b_big and not a_big:
        chosen, source = "MDY", "values"
    else:
        chosen = None
    ambiguous = has_xyy and chosen is None and not conflicting and undecidable
    if has_xyy and chosen is None and not undecidable:
        chosen = "MDY"  # every x/y date has day == month: the order does not matter
    month_first = chosen == "MDY"
    frame = frame.with_columns(
        y=pl.coalesce("y1", "y2", "y3"),
        m=pl.coalesce("m1", pl.col("a") if month_first else pl.col("b"), "m3"),
        d=pl.coalesce("d1", pl.col("b") if month_first else pl.col("a"), "d3"),
        serial=pl.when(pl.col("t").str.contains(_SERIAL.pattern))
        .then(pl.col("t").cast(pl.Float64, strict=False))
        .otherwise(None),
    )
    if chosen is None:
        frame = frame.with_columns(
            m=pl.coalesce("m1", "m3"), d=pl.coalesce("d1", "d3"), y=pl.coalesce("y1", "y3")
        )
    frame = frame.with_columns(
        from_parts=pl.format(
            "{}-{}-{}",
            pl.col("y").cast(pl.String).str.zfill(4),
            pl.col("m").cast(pl.String).str.zfill(2),
            pl.col("d").cast(pl.String).str.zfill(2),
        ).str.to_date("%Y-%m-%d", strict=False),
        from_serial=pl.when((pl.col("serial") >= 1) & (pl.col("serial") <= _MAX_SERIAL))
        .then(pl.lit(_EXCEL_EPOCH) + pl.duration(days=pl.col("serial").floor().cast(pl.Int64)))
        .otherwise(None),
    )
    frame = frame.with_columns(value=pl.coalesce("from_parts", pl.col("from_serial").cast(pl.Date)))
    bad = frame["t"].is_not_null() & frame["value"].is_null()
    if ambiguous or conflicting:
        # x/y/YYYY cells cannot be read; they are reported once for the column
        bad = bad & frame["a"].is_null()
    return DateColumn(
        values=fast.fill_null(frame["value"]).alias(s.name),
        bad=bad.alias(s.name),
        order=chosen,
        order_source=source,
        ambiguous=ambiguous,
        conflicting=conflicting,
    )


def parse_grades(s: pl.Series, grades: tuple[str, ...]) -> tuple[pl.Series, pl.Series]:
    """'A级', 'a', 'A类', 'Ａ' -> 'A'; anything not among ``grades`` is bad."""
    t = _clean_text(s)
    known = {g.upper() for g in grades}
    g = t.str.replace(_GRADE_SUFFIX.pattern, "").str.strip_chars().str.to_uppercase()
    ok = g.is_in(list(known))
    value = pl.select(pl.when(ok).then(g).otherwise(None)).to_series()
    return value.alias(s.name), (t.is_not_null() & ~ok.fill_null(False)).alias(s.name)


def lookup_words(s: pl.Series, table: dict[str, str]) -> tuple[pl.Series, pl.Series]:
    """Map free text through ``table`` (normalised word -> value); unknown text is bad.

    Words are normalised with config.normalize (NFKC, lower case, no white space); the
    distinct values are few, so they are normalised in Python, once each."""
    raw = s.cast(pl.String)
    uniques = raw.drop_nulls().unique().to_list()
    mapping = {u: table.get(normalize(u)) for u in uniques}
    value = raw.replace_strict(mapping, default=None, return_dtype=pl.String)
    blank = raw.is_null() | (raw.str.strip_chars() == "")
    return value.alias(s.name), (~blank & value.is_null()).alias(s.name)


# Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C): invisible,
# they reorder what a reader sees (an owner "\u202eevil" shows reversed). Removed from
# every text field at ingest; ids also lose zero-width characters and the BOM.
BIDI_CONTROLS = "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
_INVISIBLE_IN_IDS = "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2060\ufeff\u180e]"
TEXT_MAX_CHARS = 500  # a text field longer than this is cut (with a warning)


def clean_text(s: pl.Series, bidi: pl.Series | None = None) -> pl.Series:
    """Free text columns: bidi controls removed, trimmed, '' -> null (case and width kept).
    ``bidi``: the cells holding bidi controls (has_bidi), when the caller has it already."""
    t = s.cast(pl.String)
    if (bidi if bidi is not None else t.str.contains(BIDI_CONTROLS)).any():
        t = t.str.replace_all(BIDI_CONTROLS, "")
    t = t.str.strip_chars()
    return pl.select(pl.when(t.str.len_chars() == 0).then(None).otherwise(t)).to_series().alias(s.name)


def has_bidi(s: pl.Series) -> pl.Series:
    return s.cast(pl.String).str.contains(BIDI_CONTROLS).fill_null(False)


def fold_ids(s: pl.Series) -> pl.Series:
    """Project ids: NFKC (ＨＸ－２０２６－００１ = HX-2026-001, as headers, numbers and dates
    already are), invisible characters removed, trimmed, '' -> null. Case is kept (CRM ids
    such as Salesforce's are case-sensitive)."""
    t = s.cast(pl.String)
    if t.str.contains(_INVISIBLE_IN_IDS).any():
        t = t.str.replace_all(_INVISIBLE_IN_IDS, "")
    if t.str.contains(r"[^\x00-\x7f]").any():
        t = t.str.normalize("NFKC")
    t = t.str.strip_chars()
    return pl.select(pl.when(t.str.len_chars() == 0).then(None).otherwise(t)).to_series().alias(s.name)


# --- the same parsers, one value at a time (tests, the UI's mapping preview) ----------


def _one(s: str | None) -> pl.Series:
    return pl.Series("v", [s], dtype=pl.String)


def parse_amount(text: str | None, unit: str | None = None) -> Decimal | None:
    value, bad = parse_amounts(_one(text), unit)
    if bad[0]:
        raise ValueError(f"not an amount: {text!r}")
    return value[0]


def parse_margin(text: str | None, *, percent: bool | None = None) -> float | None:
    col = parse_margins(_one(text), "%" if percent else None)
    if col.bad[0] or col.ambiguous[0]:
        raise ValueError(f"not a margin: {text!r}")
    return col.values[0]


def parse_date(text: str | None, order: str | None = None) -> date | None:
    col = parse_dates(_one(text), order)
    if col.ambiguous:
        raise ValueError(f"day/month order of {text!r} is ambiguous: give MDY or DMY")
    if col.bad[0]:
        raise ValueError(f"not a date: {text!r}")
    return col.values[0]


def parse_grade(text: str | None, grades: tuple[str, ...] = ("A", "B", "C", "D")) -> str | None:
    value, bad = parse_grades(_one(text), grades)
    if bad[0]:
        raise ValueError(f"not a grade: {text!r}")
    return value[0]


def find_date_in_text(text: str) -> date | None:
    """The first Y-M-D date written anywhere in a title or file name (2026年11月23日,
    2026-11-23, 2026/11/23, 20261123), or None."""
    folded = normalize(text)
    for m in re.finditer(r"(?<!\d)(20\d{2}|19\d{2})[-/._年]?(\d{1,2})[-/._月]?(\d{1,2})日?(?!\d)", folded):
        y, mo, d = (int(x) for x in m.groups())
        try:
            return date(y, mo, d)
        except ValueError:
            continue
    return None
