"""Targets exports (issue 12): region (and optionally owner, category) x month or quarter x
target amount, read and checked like every other export, written to the ``targets`` table.

Owns what is particular to a targets file; clean.py, load.py and report.py call it through
small hooks (the header aliases live in dashboard/domain.toml ``[headers]`` like every
other kind's):

* ``kind_of(fields)``: a table with a target amount (or a period column) and no project id
  is a targets file;
* ``read_rows`` / ``finish`` (in the parsing child process): the period of each row, the
  amount in 元 (the ledger's unit logic: 目标金额(万元), a 单位：万元 title note, 123万), and
  the checks no row may fail silently — a totals row (合计/小计/全年 in the region, owner,
  category or period cell) is dropped with a note and never added; a duplicate row, a month
  and a quarter target of the same region/owner/category that do not agree, an empty region
  or a target that is not above 0 are errors naming the rows;
* ``commit`` (in the write transaction): regional scope, replacement per year, the
  counts, the regions no snapshot knows (flagged in the result), the audit row.
No streamlit.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

from dashboard.config import normalize
from dashboard.ingest import values as V
from dashboard.ingest.report import Report

if TYPE_CHECKING:
    from dashboard.ingest.isolated import Prepared
    from dashboard.ingest.load import CommitResult

KIND = "targets"
PERIOD_FIELDS = ("target_year", "target_quarter", "target_month", "target_period")
TARGET_FIELDS = (*PERIOD_FIELDS, "target_amount")
TEXT_FIELDS = ("region", "owner", "category")
USED_FIELDS = (*TARGET_FIELDS, *TEXT_FIELDS)
SCHEMA = pl.Schema({
    "year": pl.Int32(),
    "period_kind": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "region": pl.String(),
    "owner": pl.String(),
    "category": pl.String(),
    "target_amount": V.AMOUNT_DTYPE,
    "sheet": pl.String(),
    "source_row": pl.Int32(),
})
_TOTAL_WORDS = {"合计", "总计", "小计", "总合计", "累计", "全年", "全年合计", "年度合计", "年合计", "全年目标", "total", "totals",
                "grandtotal", "subtotal", "sum", "year", "fullyear"}
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_LISTED = 10


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def kind_of(fields: set[str] | dict, *, wide: bool = False) -> str | None:
    """'targets' for a table with a target amount or a period column, or month/quarter
    columns (``wide``: 1月 … 12月, Q1 … Q4), and no project id."""
    fields = set(fields)
    if "project_id" not in fields and (fields & set(TARGET_FIELDS) or wide):
        return KIND
    return None


def drop_columns(report: Report, by_field: dict, wide: dict | None = None) -> None:
    """In a file of another kind, the target headers (年度, 月份 …) and month/quarter
    columns (1月, Q4 …) mean nothing: ignored."""
    headers = [by_field.pop(f)[1] for f in TARGET_FIELDS if f in by_field]
    headers += [v[0] for v in (wide or {}).values()]
    for header in headers:
        report.columns = [c for c in report.columns if c.header != header]
        if header not in report.ignored_columns:
            report.ignored_columns.append(header)
    if wide:
        wide.clear()


# --------------------------------------------------------------------------- periods
def _int(text: str) -> int | None:
    t = text.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", t):
        return int(float(t))
    return _CN_NUM.get(t)


def parse_year(text: str) -> int | None:
    m = re.fullmatch(r"(\d{4})(?:\.0+)?\s*(?:年度?)?", text.strip())
    return int(m.group(1)) if m and 1990 <= int(m.group(1)) <= 2200 else None


def parse_quarter(text: str) -> tuple[int | None, int] | None:
    """'Q4', '4', '第四季度', '四季度', '2026-Q4', '2026年第4季度', 'Q4 2026' -> (year or None, 4)."""
    t = normalize(text).upper().replace("第", "")
    year = None
    m = re.fullmatch(r"(\d{4})(?:年度?|-|/|\.)?(.+)", t)
    if m and not re.fullmatch(r"\d(?:\.0+)?", t):
        year, t = int(m.group(1)), m.group(2)
    else:
        m = re.fullmatch(r"(.+?)[-/ ]?(\d{4})年?", t)
        if m and m.group(1).startswith("Q"):
            year, t = int(m.group(2)), m.group(1)
    t = t.removesuffix("季度").removesuffix("季")
    t = t.removeprefix("Q")
    q = _int(t)
    return (year, q) if q is not None and 1 <= q <= 4 else None


def parse_month(text: str) -> tuple[int | None, int] | None:
    """'11', '11月', '十一月', '2026-11', '2026/11', '2026年11月', '2026-11-01' -> (year or None, 11)."""
    t = normalize(text)
    m = re.fullmatch(r"(\d{4})([-/.年])(\d{1,2})(?:月|[-/.]0?1(?:00:00:00)?)?", t)
    if m and m.group(2) == "." and len(m.group(3)) == 1:
        return None  # 2026.1: January, or October typed as the number 2026.10? Refused, never guessed
    if m:
        month = int(m.group(3))
        return (int(m.group(1)), month) if 1 <= month <= 12 else None
    alone = _int(t.removesuffix("月份").removesuffix("月"))
    return (None, alone) if alone is not None and 1 <= alone <= 12 else None


def parse_period(text: str) -> tuple[int, str, int] | None:
    """A period column: '2026-Q4', '2026年第四季度', 'Q4 2026' -> (2026, 'quarter', 4);
    '2026-11', '2026年11月' -> (2026, 'month', 11). A year must be written."""
    t = normalize(text).upper()
    if "Q" in t or "季" in t:
        q = parse_quarter(text)
        return (q[0], "quarter", q[1]) if q and q[0] else None
    mo = parse_month(text)
    return (mo[0], "month", mo[1]) if mo and mo[0] else None


def period_bounds(year: int, kind: str, n: int) -> tuple[date, date]:
    first = date(year, n, 1) if kind == "month" else date(year, 3 * n - 2, 1)
    months = 1 if kind == "month" else 3
    m = first.month + months
    nxt = date(year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def period_label(kind: str, start: date) -> str:
    return f"{start.year}-{start.month:02d}" if kind == "month" else f"{start.year}-Q{(start.month - 1) // 3 + 1}"


# --------------------------------------------------------------------------- wide files
# A wide targets file (目标责任书: 全年每月工作计划) has one row per region/owner and a column
# per month or quarter, often with a full-year column: read_rows melts it to the long form.
_EN_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_FULL_YEAR = {"全年", "全年合计", "全年目标", "全年计划", "年度合计", "年度目标", "年度计划", "年目标", "年合计", "合计", "总计",
              "total", "yeartotal", "totalyear", "fullyear", "fy", "fytotal", "annual", "annualtarget", "annualtotal"}
WidePeriod = tuple[str, int | None, int | None]  # (month | quarter | year, its number, the year the header names)


def wide_period(header: str | None) -> WidePeriod | None:
    """The period a wide file's column header names: '1月', '十一月', '2026年11月', '2026-11',
    'Jan', 'November 2026', '11月目标' -> ('month', n, year or None); 'Q4', '第四季度',
    '四季度', '2026-Q4' -> ('quarter', n, year or None); '全年', '合计', 'Total', 'Full year',
    '2026年全年' -> ('year', None, year or None) (a check, never a target). None for any
    other header (a bare number is no period)."""
    if header is None:
        return None
    base = V.split_header_unit(header)[0].strip(":：")
    for suffix in ("目标", "计划", "target", "plan", "quota"):
        if base.endswith(suffix) and base != suffix and base.removesuffix(suffix) not in ("年度", "年", "全年"):
            base = base.removesuffix(suffix)
            break
    year = None
    m = re.fullmatch(r"(\d{4})年?度?(.+)", base)
    if m and m.group(2) in _FULL_YEAR:
        return ("year", None, int(m.group(1)))
    if base in _FULL_YEAR:
        return ("year", None, None)
    m = re.fullmatch(r"([a-z]+)\.?[-/]?(\d{4})?", base) or re.fullmatch(r"(\d{4})[-/]?([a-z]+)\.?", base)
    if m:
        name, y = (m.group(1), m.group(2)) if not m.group(1).isdigit() else (m.group(2), m.group(1))
        if name in _EN_MONTHS:
            return ("month", _EN_MONTHS[name], int(y) if y else None)
    if "季" in base or "q" in base:
        q = parse_quarter(base)
        if q is not None and not re.fullmatch(r"\d", base):
            year = q[0]
            return ("quarter", q[1], year)
    if "月" in base or re.fullmatch(r"\d{4}[-/]\d{1,2}", base):
        mo = parse_month(base)
        if mo is not None:
            return ("month", mo[1], mo[0])
    return None


def _title_year(title: str | None) -> int | None:
    """The one year a sheet's title names ('2026年销售目标责任书'), else None."""
    years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", title or "")}
    return years.pop() if len(years) == 1 else None


# --------------------------------------------------------------------------- rows
_EXPECT_PERIOD_ZH = "月份（如 11、11月、2026-11）或季度（如 Q4、第四季度、2026-Q4）"
_EXPECT_PERIOD_EN = "a month (11, 11月, 2026-11) or a quarter (Q4, 第四季度, 2026-Q4)"


def _is_total(text: str | None) -> bool:
    return text is not None and normalize(text).strip(":：") in _TOTAL_WORDS


def read_rows(report: Report, data: pl.DataFrame, rows: pl.Series, cols: Any, config: Any, constants: dict,
              decimals: dict, sheet: str | None, title: str | None = None) -> pl.DataFrame:
    """One sheet's kept rows -> target rows (SCHEMA); every problem an error or a note in
    ``report`` naming the row and column. A wide sheet (a column per month or quarter,
    ``cols.wide``) is melted to the same rows (:func:`_read_wide`)."""
    from dashboard.ingest.clean import _require, _text_column  # clean imports this module

    by = cols.by_field
    ignored = [c.header for c in report.columns if c.canonical not in USED_FIELDS and c.sheet == sheet]
    if ignored:
        report.columns = [c for c in report.columns if c.canonical in USED_FIELDS or c.sheet != sheet]
        report.ignored_columns.extend(h for h in ignored if h not in report.ignored_columns)
    if cols.wide:
        return _read_wide(report, data, rows, cols, config, constants, decimals, sheet, title)
    if not _require(report, cols, ("region", "target_amount"), "目标文件", "targets file", config):
        return empty()
    if not any(f in by for f in PERIOD_FIELDS):
        report.error("missing_column", "目标文件缺少期间列：请给出 年度 + 月份 或 季度，或一列 期间（如 2026-Q4、2026-11）",
                     "a targets file needs its period: a year column with a month or a quarter column, or one period "
                     "column (2026-Q4, 2026-11)", expected_zh="年度、季度、月份 或 期间", expected_en="Year, Quarter, Month or Period")
        return empty()
    n = data.height
    text = {f: (_text_column(report, data[by[f][0]], rows, by[f][1]) if f in by else pl.Series(f, [None] * n, pl.String))
            for f in TEXT_FIELDS}
    raw = {f: (data[by[f][0]].to_list() if f in by else [None] * n) for f in PERIOD_FIELDS}
    col, header, unit = by["target_amount"]
    default_unit = constants.get("amount_unit")
    amount_unit = unit if unit in V.UNIT_FACTORS else (normalize(default_unit) if default_unit else None)
    sep, ambiguous_ok, taken_apart = decimals.get(col, (".", True, data[col]))
    amounts, bad = V.parse_amounts(taken_apart, amount_unit, sep, ambiguous_ok=ambiguous_ok)
    amount_raw = data[col].to_list()
    amount_list, bad_list = amounts.to_list(), bad.to_list()
    row_list = rows.to_list()
    regions, owners, categories = (text[f].to_list() for f in TEXT_FIELDS)
    out: list[dict] = []
    totals: list[int] = []
    for i in range(n):
        row = int(row_list[i])
        cells = [regions[i], owners[i], categories[i], *(raw[f][i] for f in PERIOD_FIELDS)]
        if any(_is_total(c) for c in cells if c is not None):
            totals.append(row)
            continue
        period = _row_period(report, row, {f: raw[f][i] for f in PERIOD_FIELDS}, by)
        region = (regions[i] or "").strip() or None
        if region is None:
            _missing_region(report, row, by["region"][1])
        amount = amount_list[i]
        ok = _amount_errors(report, row, header, amount_raw[i], amount, bad_list[i], blank_hint=False)
        if period is None or region is None or not ok:
            continue
        year, kind, k = period
        start, end = period_bounds(year, kind, k)
        out.append({"year": year, "period_kind": kind, "period_start": start, "period_end": end, "region": region,
                    "owner": (owners[i] or "").strip() or None, "category": (categories[i] or "").strip() or None,
                    "target_amount": amount, "sheet": sheet, "source_row": row})
    _totals_dropped(report, totals)
    return pl.DataFrame(out, schema=SCHEMA) if out else empty()


def _totals_dropped(report: Report, totals: list[int]) -> None:
    """The note for the totals rows dropped (never added to the targets)."""
    if not totals:
        return
    report.skip("totals row (合计/Total) / 合计行", len(totals))
    shown = ", ".join(map(str, totals[:_LISTED])) + (" …" if len(totals) > _LISTED else "")
    report.warn("target_total_dropped",
                f"第 {shown} 行是合计/小计/全年行，未计入目标（目标只按各行明细计算，不会把合计再加一次）",
                f"row{'s' if len(totals) > 1 else ''} {shown}: a total/subtotal/full-year row, not counted as a "
                "target (targets come from the detail rows; a total is never added to them)", row=totals[0])


def _missing_region(report: Report, row: int, header: str) -> None:
    report.error("missing_region", "区域为空：每个目标都要写明区域（如果这是合计行，请删除或在区域列写“合计”）",
                 "the region is empty: every target names its region (if this is a totals row, delete it or "
                 "write 合计/Total in the region column)", row=row, column=header,
                 expected_zh="区域，如 华东", expected_en="a region such as 华东")


def _amount_errors(report: Report, row: int, header: str, raw: Any, amount: Decimal | None, bad: bool,
                   blank_hint: bool) -> bool:
    """The amount checks of one target cell (an error in ``report``); True when it is usable."""
    leave_zh = "没有目标的月份/季度请留空" if blank_hint else "没有目标的期间请不要写这一行"
    leave_en = "leave a month or quarter without a target blank" if blank_hint else "leave a period without a target out of the file"
    if bad:
        report.error("bad_amount", "不是可识别的金额", "not an amount", row=row, column=header, value=raw,
                     expected_zh="数字，如 1,234.5 或 123.5万", expected_en="a number such as 1,234.5 or 123.5万")
    elif amount is None:
        report.error("missing_amount", "目标金额为空", "the target amount is empty", row=row, column=header,
                     expected_zh=f"大于 0 的金额（{leave_zh}）", expected_en=f"an amount above 0 ({leave_en})")
    elif amount <= 0:
        report.error("bad_target", "目标金额必须大于 0", "a target must be above 0", row=row, column=header, value=raw,
                     expected_zh=f"大于 0 的金额（{leave_zh}）", expected_en=f"an amount above 0 ({leave_en})")
    return not bad and amount is not None and amount > 0


def _read_wide(report: Report, data: pl.DataFrame, rows: pl.Series, cols: Any, config: Any, constants: dict,
               decimals: dict, sheet: str | None, title: str | None) -> pl.DataFrame:
    """A wide sheet: one row per region (owner, category) and a column per month or quarter
    (1月 … 12月, Jan … Dec, Q1 … Q4, 一季度 … 四季度), maybe a full-year column (全年 / 合计 /
    Total) -> one target row per filled cell. A blank cell is no target (never 0); the year
    is the row's 年度 cell, else the one the headers write (2026年1月), else the one the
    sheet's title names (2026年销售目标), else the sheet is refused; a full-year cell must
    equal the sum of the row's month cells (of its quarter cells when there are no month
    columns), else the row is refused naming the columns."""
    from dashboard.ingest.clean import _require, _text_column  # clean imports this module

    by = cols.by_field
    if not _require(report, cols, ("region",), "目标文件", "targets file", config):
        return empty()
    long_cols = [by[f][1] for f in ("target_amount", "target_month", "target_quarter", "target_period") if f in by]
    wide = sorted(cols.wide.items(), key=lambda kv: int(kv[0][1:]))
    targets = [(c, h, p, u) for c, (h, p, u) in wide if p[0] != "year"]
    totals_cols = [(c, h, p, u) for c, (h, p, u) in wide if p[0] == "year"]
    headers_zh = "、".join(h for _, (h, _, _) in wide)
    if long_cols:
        report.error("wide_and_long",
                     f"目标文件既有按月/季度的列（{headers_zh}），又有 {'、'.join(long_cols)} 列：无法判断目标在哪里；请只用一种写法",
                     f"the targets file has both month/quarter columns ({', '.join(h for _, (h, _, _) in wide)}) and "
                     f"{', '.join(long_cols)}: which holds the target cannot be told; use one layout",
                     column=long_cols[0], expected_zh="每月/季度一列，或 期间 + 目标金额 两列",
                     expected_en="a column per month/quarter, or a period and an amount column")
        return empty()
    if not targets:
        report.error("year_only", "目标文件只有全年列，没有月份或季度列：目标按月或按季度导入（请把全年目标拆成四个季度）",
                     "the targets file has a full-year column but no month or quarter columns: targets are imported "
                     "per month or quarter (split the yearly target into its four quarters)",
                     column=totals_cols[0][1], expected_zh="1月 … 12月 或 一季度 … 四季度", expected_en="Jan … Dec or Q1 … Q4")
        return empty()
    seen: dict[tuple, str] = {}
    for _c, h, p, _u in [*targets, *totals_cols]:
        key = (p[0], p[1], p[2])
        if key in seen:
            report.error("duplicate_period_column", f"「{seen[key]}」和「{h}」两列是同一个期间；请删除其中一列",
                         f"the columns '{seen[key]}' and '{h}' are the same period; delete one of them", column=h,
                         expected_zh="每个期间一列", expected_en="one column per period")
            return empty()
        seen[key] = h
    header_years = {p[2] for _, _, p, _ in [*targets, *totals_cols] if p[2] is not None}
    if len(header_years) > 1:
        report.error("bad_year", f"表头写了不同的年份（{'、'.join(map(str, sorted(header_years)))}）：一行只能是一年的目标",
                     f"the headers name different years ({', '.join(map(str, sorted(header_years)))}): a row holds one "
                     "year's targets", column=targets[0][1], expected_zh="同一年份", expected_en="one year")
        return empty()
    fixed_year = header_years.pop() if header_years else None
    if fixed_year is None and "target_year" not in by:
        fixed_year = _title_year(title)
        if fixed_year is None:
            report.error("missing_year",
                         "按月/季度列的目标文件没有年份：请加一列 年度，或把年份写进表头（如 2026年1月）或标题（如 2026年销售目标）",
                         "the month/quarter columns have no year: add a Year column, or write the year in the headers "
                         "(2026-01, Jan 2026) or in the title (2026 sales targets)",
                         column=targets[0][1], expected_zh="年度，如 2026", expected_en="a year such as 2026")
            return empty()
        report.warn("target_year_from_title", f"年份取自标题「{title}」：{fixed_year} 年",
                    f"the year is taken from the title '{title}': {fixed_year}")
    n = data.height
    text = {f: (_text_column(report, data[by[f][0]], rows, by[f][1]) if f in by else pl.Series(f, [None] * n, pl.String))
            for f in TEXT_FIELDS}
    regions, owners, categories = (text[f].to_list() for f in TEXT_FIELDS)
    years_raw = data[by["target_year"][0]].to_list() if "target_year" in by else [None] * n
    default_unit = constants.get("amount_unit")
    parsed: dict[str, tuple[list, list, list]] = {}
    for col, _h, _p, unit in [*targets, *totals_cols]:
        amount_unit = unit if unit in V.UNIT_FACTORS else (normalize(default_unit) if default_unit else None)
        sep, ambiguous_ok, taken_apart = decimals.get(col, (".", True, data[col]))
        amounts, bad = V.parse_amounts(taken_apart, amount_unit, sep, ambiguous_ok=ambiguous_ok)
        parsed[col] = (amounts.to_list(), bad.to_list(), data[col].to_list())
    row_list = rows.to_list()
    out: list[dict] = []
    totals: list[int] = []
    empty_rows: list[int] = []
    month_cols = [t for t in targets if t[2][0] == "month"]
    checked = month_cols or targets  # what a full-year cell must equal: the months, else the quarters
    for i in range(n):
        row = int(row_list[i])
        if any(_is_total(c) for c in (regions[i], owners[i], categories[i]) if c is not None):
            totals.append(row)
            continue
        region = (regions[i] or "").strip() or None
        if region is None:
            _missing_region(report, row, by["region"][1])
        year = fixed_year
        if "target_year" in by:
            y = (str(years_raw[i]).strip() if years_raw[i] is not None else "")
            year = parse_year(y) if y else None
            if year is None:
                report.error("bad_year", "不是可识别的年度" if y else "年度为空", "not a year" if y else "the year is empty",
                             row=row, column=by["target_year"][1], value=y or None,
                             expected_zh="四位数年份，如 2026 或 2026年", expected_en="a four-digit year such as 2026")
            elif fixed_year is not None and year != fixed_year:
                report.error("bad_year", f"年度列写 {year}，表头写的是 {fixed_year} 年", f"the year column says {year} but the headers say {fixed_year}",
                             row=row, column=by["target_year"][1], value=y, expected_zh=str(fixed_year), expected_en=str(fixed_year))
                year = None
        filled: dict[str, Decimal] = {}
        usable = True
        for col, header, _p, _u in [*targets, *totals_cols]:
            values, unreadable, raw = parsed[col]
            if raw[i] is None or not str(raw[i]).strip():
                continue  # blank: no target for that period (never 0)
            if _amount_errors(report, row, header, raw[i], values[i], unreadable[i], blank_hint=True):
                filled[col] = values[i]
            else:
                usable = False
        given = [t for t in targets if t[0] in filled]
        for col, header, _p, _u in totals_cols:
            if col not in filled:
                continue
            if not given:
                report.error("year_only", "这一行只有全年目标，没有月份或季度目标：目标按月或按季度导入（请把全年目标拆成四个季度）",
                             "the row has a full-year target but no month or quarter target: targets are imported per "
                             "month or quarter (split the yearly target into its four quarters)", row=row, column=header,
                             expected_zh="各月或各季度的目标", expected_en="the targets of its months or quarters")
                usable = False
                continue
            parts = [t for t in checked if t[0] in filled]
            total = sum((filled[c] for c, *_ in parts), Decimal(0))
            if abs(total - filled[col]) > Decimal("0.01") * len(parts):  # each cell rounded to the fen
                names = "、".join(h for _, h, _, _ in parts)
                report.error("target_total_mismatch",
                             f"「{header}」{_wan(filled[col])} 与同一行 {names} 之和 {_wan(total)} 不一致；请改正其中一个（或删除全年列）",
                             f"'{header}' ({_yuan(filled[col])}) is not the sum of the row's {', '.join(h for _, h, _, _ in parts)} "
                             f"({_yuan(total)}); correct one of them (or delete the full-year column)",
                             row=row, column=header, value=str(filled[col]),
                             expected_zh=f"= {names} 之和", expected_en="the sum of the row's month/quarter targets")
                usable = False
        if not given and usable and region is not None:
            empty_rows.append(row)
        if not usable or region is None or year is None:
            continue
        for col, _h, (kind, k, _y), _u in given:
            start, end = period_bounds(year, kind, int(k or 0))
            out.append({"year": year, "period_kind": kind, "period_start": start, "period_end": end, "region": region,
                        "owner": (owners[i] or "").strip() or None, "category": (categories[i] or "").strip() or None,
                        "target_amount": filled[col], "sheet": sheet, "source_row": row})
    _totals_dropped(report, totals)
    if empty_rows:
        shown = ", ".join(map(str, empty_rows[:_LISTED])) + (" …" if len(empty_rows) > _LISTED else "")
        report.warn("target_row_blank", f"第 {shown} 行没有填写任何月份或季度的目标，未导入",
                    f"row{'s' if len(empty_rows) > 1 else ''} {shown}: no month or quarter has a target; nothing imported "
                    "from it", row=empty_rows[0])
    return pl.DataFrame(out, schema=SCHEMA) if out else empty()


def _row_period(report: Report, row: int, cell: dict[str, str | None], by: dict) -> tuple[int, str, int] | None:
    def err(field: str, zh: str, en: str, value: str | None = None) -> None:
        report.error("bad_period", zh, en, row=row, column=by[field][1] if field in by else None, value=value,
                     expected_zh=_EXPECT_PERIOD_ZH, expected_en=_EXPECT_PERIOD_EN)

    def given(f: str) -> str | None:
        v = cell.get(f)
        return v.strip() if v is not None and v.strip() else None

    year = None
    if (y := given("target_year")) is not None:
        year = parse_year(y)
        if year is None:
            report.error("bad_year", "不是可识别的年度", "not a year", row=row, column=by["target_year"][1], value=y,
                         expected_zh="四位数年份，如 2026 或 2026年", expected_en="a four-digit year such as 2026")
            return None
    found: list[tuple[int, str, int]] = []
    if (p := given("target_period")) is not None:
        parsed = parse_period(p)
        if parsed is None:
            err("target_period", "不是可识别的期间（需写明年份）", "not a period (with its year)", p)
            return None
        found.append(parsed)
    month = quarter = None
    if (m := given("target_month")) is not None:
        month = parse_month(m)
        if month is None:
            err("target_month", "不是可识别的月份", "not a month", m)
            return None
    if (q := given("target_quarter")) is not None:
        quarter = parse_quarter(q)
        if quarter is None:
            err("target_quarter", "不是可识别的季度", "not a quarter", q)
            return None
    for part, years in ((month, "target_month"), (quarter, "target_quarter")):
        if part is not None and part[0] is not None and year is not None and part[0] != year:
            err(years, f"期间写的年份 {part[0]} 与年度列的 {year} 不一致", f"the period says {part[0]} but the year column says {year}",
                cell[years])
            return None
    base_year = year or (month[0] if month and month[0] else None) or (quarter[0] if quarter and quarter[0] else None)
    if month is not None:
        if quarter is not None and (month[1] - 1) // 3 + 1 != quarter[1]:
            err("target_month", f"{month[1]} 月不在第 {quarter[1]} 季度：同一行的月份和季度矛盾",
                f"month {month[1]} is not in quarter {quarter[1]}: the row's month and quarter disagree", cell["target_month"])
            return None
        if base_year is None:
            err("target_month", "月份没有年份：请加一列 年度，或写成 2026-11", "the month has no year: add a Year column, or write 2026-11",
                cell["target_month"])
            return None
        found.append((base_year, "month", month[1]))
    elif quarter is not None:
        if base_year is None:
            err("target_quarter", "季度没有年份：请加一列 年度，或写成 2026-Q4", "the quarter has no year: add a Year column, or write 2026-Q4",
                cell["target_quarter"])
            return None
        found.append((base_year, "quarter", quarter[1]))
    if not found:
        field = next((f for f in ("target_month", "target_quarter", "target_period") if f in by), "target_year")
        err(field, "这一行只有年度，没有月份或季度：目标按月或按季度导入（全年目标请拆成四个季度；如果这是全年合计行，请删除）",
            "the row has a year but no month or quarter: targets are imported per month or quarter (split a yearly "
            "target into its four quarters; if this is a full-year total row, delete it)")
        return None
    if len(set(found)) > 1 or (year is not None and found[0][0] != year):
        err("target_period", "期间列与年度/月份/季度列不一致", "the period column disagrees with the year/month/quarter columns",
            cell.get("target_period"))
        return None
    return found[0]


def finish(report: Report, frame: pl.DataFrame) -> pl.DataFrame:
    """Checks across rows (duplicates, month vs quarter overlaps, owner targets without a
    region target); the report's as-of date cleared (a targets file is not a snapshot)."""
    report.as_of, report.as_of_source = None, None
    report.warnings = [w for w in report.warnings if w.code not in ("as_of_today", "as_of_differs", "as_of_column")]
    report.errors = [e for e in report.errors if e.code != "as_of_sheets"]
    if frame.height == 0:
        return frame
    report.target_years = sorted(set(frame.get_column("year").to_list()))
    key = ["region", "owner", "category"]

    def where(rows: list[tuple[str | None, int]]) -> tuple[str, str]:
        sheets = {s for s, _ in rows}
        if len(sheets) > 1:
            return ("、".join(f"工作表「{s}」第 {r} 行" for s, r in rows), ", ".join(f"sheet '{s}' row {r}" for s, r in rows))
        return ("第 " + "、".join(str(r) for _, r in rows) + " 行", "rows " + ", ".join(str(r) for _, r in rows))

    def who(region: str, owner: str | None, category: str | None) -> tuple[str, str]:
        zh = region + (f" / {owner}" if owner else "") + (f" / {category}" if category else "")
        return zh, zh

    dup = (frame.group_by([*key, "period_kind", "period_start"], maintain_order=True)
           .agg(pl.col("sheet"), pl.col("source_row"), pl.col("target_amount")).filter(pl.col("source_row").list.len() > 1))
    for region, owner, category, kind, start, sheets, rows, _amounts in dup.iter_rows():
        w_zh, w_en = where(list(zip(sheets, rows, strict=True)))
        label = period_label(kind, start)
        name = who(region, owner, category)[0]
        report.error("duplicate_target", f"同一目标出现了多次（{name}，{label}），在{w_zh}；每个区域/负责人/分类的每个期间只能有一行",
                     f"the same target is given more than once ({name}, {label}) on {w_en}; each region/owner/category "
                     "has one row per period", row=rows[1], sheet=sheets[1], value=f"{name} {label}",
                     expected_zh="每个期间一行", expected_en="one row per period")
    quarters = frame.filter(pl.col("period_kind") == "quarter")
    months = frame.filter(pl.col("period_kind") == "month").with_columns(
        q_start=pl.col("period_start").dt.truncate("1q"))
    both = quarters.join(months, left_on=[*key, "period_start"], right_on=[*key, "q_start"], how="inner",
                         nulls_equal=True, suffix="_m")
    if both.height:
        grouped = both.group_by([*key, "period_start"], maintain_order=True).agg(
            pl.col("target_amount").first(), pl.col("sheet").first(), pl.col("source_row").first(),
            pl.col("target_amount_m"), pl.col("sheet_m"), pl.col("source_row_m"), pl.col("period_start_m"))
        for region, owner, category, start, q_amount, q_sheet, q_row, m_amounts, m_sheets, m_rows, m_starts in grouped.iter_rows():
            total = sum(m_amounts, Decimal(0))
            if len(set(m_starts)) == 3 and total == q_amount:
                continue  # the three months add up to the quarter: both kept, they agree
            w_zh, w_en = where([(q_sheet, q_row), *zip(m_sheets, m_rows, strict=True)])
            name = who(region, owner, category)[0]
            q_label = period_label("quarter", start)
            months_zh = "、".join(f"{s.month} 月" for s in m_starts)
            months_en = ", ".join(period_label("month", s) for s in m_starts)
            report.error(
                "target_overlap",
                f"{name} 的 {q_label} 季度目标（{_wan(q_amount)}）与同季度的月度目标（{months_zh}，合计 {_wan(total)}）"
                f"{'不一致' if len(set(m_starts)) == 3 else '只给了部分月份，无法核对'}（{w_zh}）；请只保留一种，或让三个月之和等于季度目标",
                f"{name}: the {q_label} quarter target ({_yuan(q_amount)}) and the month targets of that quarter "
                f"({months_en}: {_yuan(total)} in all) {'do not agree' if len(set(m_starts)) == 3 else 'cover only some of its months and cannot be checked'} "
                f"({w_en}); keep one of the two, or make the three months add up to the quarter",
                row=q_row, sheet=q_sheet, value=f"{name} {q_label}",
                expected_zh="三个月之和 = 季度目标", expected_en="the three months adding up to the quarter")
    owners = frame.filter(pl.col("owner").is_not_null()).select("region", "period_start").unique()
    region_rows = frame.filter(pl.col("owner").is_null() & pl.col("category").is_null()).select("region", "period_start").unique()
    lacking = sorted(set(owners.join(region_rows, on=["region", "period_start"], how="anti").get_column("region").to_list()))
    if lacking:
        report.warn("region_target_missing",
                    f"区域 {'、'.join(lacking)} 有负责人目标但没有区域目标（负责人为空的行）：区域达成率将显示“无目标”（负责人目标不会相加充当区域目标）",
                    f"region(s) {', '.join(lacking)} have owner targets but no region target (a row with no owner): the "
                    "region's attainment will show 'no target' (owner targets are not added up into a region target)")
    return frame


def _wan(amount: Decimal) -> str:
    return f"{amount / 10000:,.2f} 万元"


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} yuan"


# --------------------------------------------------------------------------- commit
def _rows_named(df: pl.DataFrame, limit: int = 20) -> str:
    items = [f"{'row ' if s is None else s + ' row '}{r} ({reg})" for s, r, reg in
             df.select("sheet", "source_row", "region").head(limit).iter_rows()]
    return ", ".join(items) + (f" … (+{df.height - limit})" if df.height > limit else "")


def intact(con, import_id: int, rows: int) -> bool:
    """An active targets import still holds every target it wrote (a later file for one of
    its years takes those rows away: importing the same bytes again must restore them)."""
    held = con.execute("select count(*) from targets where import_id = $i", {"i": import_id}).fetchall()[0][0]
    return bool(held == rows)


def commit(con, prep: Prepared, *, import_id: int, actor: str, regions: tuple[str, ...], demo: bool,
           insert_import) -> CommitResult:
    """Write one targets file inside the caller's transaction: every year it names replaces
    the active targets of that year (within ``regions`` for a regional importer, whose file
    must stay inside them: else ScopeRefused, nothing written)."""
    from dashboard.ingest.load import CommitResult, ScopeRefused
    from queries.filters import ALL_REGIONS

    r = prep.report
    frame = prep.tables.get(KIND, empty()).select(list(SCHEMA)).cast(SCHEMA)
    years = sorted(set(frame.get_column("year").to_list()))
    regional = regions != ALL_REGIONS
    if regional:
        outside = frame.filter(~pl.col("region").is_in(list(regions)))
        if outside.height:
            named = _rows_named(outside)
            raise ScopeRefused(
                f"{r.file_name}: {outside.height} targets lie outside your regions ({', '.join(regions)}): {named}; nothing was imported",
                f"{r.file_name}：有 {outside.height} 个目标不属于您的区域（{'、'.join(regions)}）：{named}；未导入任何数据")
    scope = {"y": years, "r": list(regions)}
    mine = ("t.import_id in (select import_id from imports where status = 'active' and kind = 'targets') "
            "and list_contains($y, t.year) and ($r = ['*'] or list_contains($r, t.region))")
    con.register("_incoming_targets", frame.to_arrow())
    try:
        counts = con.execute(
            f"""
            with old as (select * from targets t where {mine}),
            joined as (
                select n.target_amount as new_amount, o.target_amount as old_amount, n.region is null as gone,
                       o.region is null as new
                from _incoming_targets n full join old o
                  on n.region = o.region and n.owner is not distinct from o.owner
                 and n.category is not distinct from o.category and n.period_kind = o.period_kind
                 and n.period_start = o.period_start)
            select count(*) filter (where new), count(*) filter (where gone),
                   count(*) filter (where not new and not gone and new_amount <> old_amount),
                   count(*) filter (where not new and not gone and new_amount = old_amount)
            from joined""", scope).fetchall()[0]
        prior = [x[0] for x in con.execute(f"select distinct t.import_id from targets t where {mine} order by 1", scope).fetchall()]
        con.execute(f"delete from targets t where {mine}", scope)
        replaced = [i for i in prior if not con.execute("select count(*) from targets where import_id = $i", {"i": i}).fetchall()[0][0]]
        for old in replaced:
            con.execute("update imports set status = 'replaced' where import_id = $i", {"i": old})
        insert_import(con, import_id, r, KIND, demo, actor, regions)
        con.execute("insert into targets by name select $id::integer as import_id, * from _incoming_targets", {"id": import_id})
        known = {x[0] for x in con.execute(
            "select distinct region from project_snapshots where region is not null and import_id in "
            "(select import_id from imports where status = 'active')").fetchall()}
    finally:
        try:
            con.unregister("_incoming_targets")
        except Exception:  # the transaction failed: its own error is the one to report
            pass
    unknown = sorted(set(frame.get_column("region").to_list()) - known)
    result = CommitResult(r.file_name, import_id, KIND, None, "replaced" if prior else "added",
                          rows_added=counts[0], rows_removed=counts[1], rows_changed=counts[2], rows_unchanged=counts[3],
                          replaced_import_ids=prior, regions=regions,
                          detail={"years": years, "unknown_regions": unknown, "rows": frame.height})
    from dashboard import access

    access.record(con, actor, "import", import_id=import_id, file_name=r.file_name, sha256=r.sha256, as_of=None,
                  regions=regions, rows={"added": result.rows_added, "removed": result.rows_removed,
                                         "changed": result.rows_changed},
                  detail={"kind": KIND, "outcome": result.outcome, "years": years, "replaced_imports": prior,
                          "rows_unchanged": result.rows_unchanged, "unknown_regions": unknown, "demo": demo})
    return result


def message(result: CommitResult, lang: str) -> str:
    """What the import did, for the Data page and the CLI."""
    years = result.detail.get("years", [])
    unknown = result.detail.get("unknown_regions", [])
    n = result.detail.get("rows", result.rows_added + result.rows_changed + result.rows_unchanged)
    ys = "、".join(map(str, years)) if lang == "zh" else ", ".join(map(str, years))
    regional = result.regions != ("*",)
    if lang == "zh":
        if result.outcome == "unchanged":
            return f"{result.file_name}：与已导入的第 {result.import_id} 次导入完全相同，未做任何更改"
        where = f"区域 {'、'.join(result.regions)} 的" if regional else ""
        text = f"{result.file_name}：已导入为第 {result.import_id} 次导入，{ys} 年目标 {n} 行"
        if result.replaced_import_ids:
            text += (f"；替换了{where}{ys} 年原有目标（第 {', '.join(map(str, result.replaced_import_ids))} 次导入）："
                     f"新增 {result.rows_added}，删除 {result.rows_removed}，变更 {result.rows_changed}，未变 {result.rows_unchanged}")
        else:
            text += f"；此前没有{where}{ys} 年的目标"
        if unknown:
            text += f"。注意：区域 {'、'.join(unknown)} 不在任何快照中（名称写错了？）"
        return text
    if result.outcome == "unchanged":
        return f"{result.file_name}: identical to import {result.import_id}; nothing changed"
    where = f" of {', '.join(result.regions)}" if regional else ""
    text = f"{result.file_name}: imported as import {result.import_id}, {n} targets for {ys}"
    if result.replaced_import_ids:
        text += (f"; replaced the active {ys} targets{where} (import {', '.join(map(str, result.replaced_import_ids))}): "
                 f"{result.rows_added} added, {result.rows_removed} removed, {result.rows_changed} changed, "
                 f"{result.rows_unchanged} unchanged")
    else:
        text += f"; there were no {ys} targets{where} before"
    if unknown:
        text += f". Note: region(s) {', '.join(unknown)} appear in no snapshot (misspelt?)"
    return text


__all__ = ["KIND", "SCHEMA", "commit", "drop_columns", "empty", "finish", "kind_of", "message", "parse_month",
           "parse_period", "parse_quarter", "parse_year", "period_bounds", "read_rows"]
