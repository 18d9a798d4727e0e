"""Value parsers: amounts, margins, dates, grades, stage and status words.

Pure functions, no I/O, no database, no streamlit. Each parser works on a whole Polars
column at once (the ingest path parses 100k rows per file) and returns the parsed column
plus a mask of the cells that held text but could not be read; the caller turns those
into report errors naming row and column. The scalar helpers (``parse_amount`` …) run the
same column code on one value, so the property tests exercise exactly what ingest uses.

Decisions that are made per column, never per cell:

* the unit of an amount column comes from its header (``预计签约金额(万元)``), else from
  a mapping constant, else 元; a single cell may still say ``12.5万`` or ``3亿``;
* a plain margin number above 1 is a percentage (``23`` = 23 %), up to 1 a ratio
  (``0.23``); ``23%`` is always a percentage; a header ``毛利率(%)`` makes every plain
  number a percentage; a column mixing both scales is read cell by cell and flagged;
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


def split_header_unit(header: str) -> tuple[str, str | None]:
    """``'预计签约金额 （万元）'`` -> ``('预计签约金额', '万元')``; the name normalised.

    Only a bracketed suffix naming a known unit (or %) counts; other brackets stay part
    of the name (``'阶段(旧)'`` is a header called that)."""
    key = normalize(header)
    m = _HEADER_UNIT.match(key)
    if m and (m.group(2) in UNIT_FACTORS or m.group(2) in PERCENT_UNITS):
        return m.group(1), m.group(2)
    return key, None


_WIDE = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_NARROW = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]


def _clean_text(s: pl.Series, *, lower: bool = True) -> pl.Series:
    """Fold full-width ASCII (digits, punctuation, letters, the ideographic space) to
    half-width, trim, optionally lower-case; '' -> null. (The part of NFKC that matters
    for numbers and dates, done only when a column has such characters: it is 10x
    cheaper than NFKC on every cell.)"""
    t = s.cast(pl.String)
    if t.str.contains("[\uff01-\uff5e\u3000]").any():
        t = t.str.replace_many(_WIDE, _NARROW)
    t = t.str.strip_chars()
    if lower:
        t = t.str.to_lowercase()
    return pl.select(pl.when(t.str.len_bytes() == 0).then(None).otherwise(t)).to_series()


def parse_amounts(s: pl.Series, unit: str | None = None) -> tuple[pl.Series, pl.Series]:
    """Text -> Decimal(18,2) in 元. Returns (values, bad) where bad marks unreadable cells."""
    factor = UNIT_FACTORS[unit] if unit else Decimal(1)
    t = _clean_text(s)
    frame = pl.DataFrame({"t": t}).with_columns(
        body=pl.col("t").str.replace_all(r"[,_\s'¥$€£]|rmb|cny|yuan", "").str.replace(r"元$", ""),
    )
    frame = frame.with_columns(
        cell_factor=pl.when(pl.col("body").str.ends_with("亿"))
        .then(pl.lit(Decimal(100000000), _WIDE_DECIMAL))
        .when(pl.col("body").str.ends_with("万"))
        .then(pl.lit(Decimal(10000), _WIDE_DECIMAL))
        .when(pl.col("body").str.ends_with("千"))
        .then(pl.lit(Decimal(1000), _WIDE_DECIMAL))
        .otherwise(pl.lit(factor, _WIDE_DECIMAL)),
        number=pl.col("body").str.replace(r"[亿万千]$", "").cast(_WIDE_DECIMAL, strict=False),
    )
    frame = frame.with_columns(
        value=(pl.col("number") * pl.col("cell_factor")).round(2).cast(AMOUNT_DTYPE, strict=False)
    )
    bad = frame["t"].is_not_null() & frame["value"].is_null()
    return frame["value"].alias(s.name), bad.alias(s.name)


def _margin_numbers(s: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    t = _clean_text(s)
    pct = t.str.ends_with("%").fill_null(False)
    num = t.str.replace(r"%$", "").str.replace_all(r"[,\s]", "").cast(pl.Float64, strict=False)
    return t, pct, num


def parse_margins(s: pl.Series, unit: str | None = None) -> tuple[pl.Series, pl.Series]:
    """Text -> ratio (0.23). ``23%`` is a percentage; so is a plain number above 1
    (``23``) and every plain number when the header says ``(%)``; a plain number up to 1
    is a ratio (``0.23``). A margin above 100 % cannot be and is marked bad."""
    t, pct, num = _margin_numbers(s)
    percent_column = bool(unit in PERCENT_UNITS) if unit else False
    frame = pl.DataFrame({"pct": pct, "num": num}).with_columns(
        value=pl.when(pl.col("pct") | pl.lit(percent_column) | (pl.col("num").abs() > 1))
        .then(pl.col("num") / 100)
        .otherwise(pl.col("num"))
    )
    value = frame["value"]
    bad = (t.is_not_null() & value.is_null()) | (value > 1).fill_null(False)
    value = pl.select(pl.when(bad).then(None).otherwise(value)).to_series()
    return value.alias(s.name), bad.alias(s.name)


def mixed_margin_scale(s: pl.Series) -> bool:
    """True when a column's plain numbers include both ratios (0 < x <= 1) and percent
    numbers (x > 1): each is read by its own size, and the report says so."""
    _, pct, num = _margin_numbers(s)
    plain = num.filter(~pct).drop_nulls().abs()
    return bool(((plain > 0) & (plain <= 1)).any() and (plain > 1).any())


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


def clean_text(s: pl.Series) -> pl.Series:
    """Free text columns: trimmed, '' -> null (case and width kept as written)."""
    t = s.cast(pl.String).str.strip_chars()
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
    value, bad = parse_margins(_one(text), "%" if percent else None)
    if bad[0]:
        raise ValueError(f"not a margin: {text!r}")
    return value[0]


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
