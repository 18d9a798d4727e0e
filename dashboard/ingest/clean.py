"""From a grid of text to validated frames: headers, kind, values, rows, as-of date.

``prepare_local(name, data, …)`` does the whole parse + clean + validate of one file in
the current process and returns (report, projects, events). ``dashboard.ingest.prepare``
runs it in a child process with memory and time limits (worker.py); tests of pure logic
may call it directly. No database, no streamlit.

Shapes produced (see dashboard/migrations/0001_init.sql):
  projects: project_snapshots minus as_of/import_id, one row per project;
  events:   stage_events minus import_id: project_id, stage, entered_on, source, previous_stage.
"""

from __future__ import annotations

import itertools
import hashlib
import json
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

import polars as pl

from dashboard.config import DomainConfig, normalize
from dashboard.ingest import values as V
from dashboard.ingest.mapping import Mapping
from dashboard.ingest import targets as T
from dashboard.ingest import xlsx
from dashboard.ingest.read import Grid, file_type, read_csv_grid, read_excel_grids
from dashboard.ingest.report import ColumnMatch, Report, SheetReport

TEXT_FIELDS = ("project_name", "customer", "region", "owner", "category", "product_line", "lost_reason")
AMOUNT_FIELDS = (
    "expected_amount",
    "contract_amount",
    "estimated_cost",
    "bid_amount",
    "actual_cost",
    "expense_budget",
    "expense_actual",
    "target_amount",  # a targets file's (dashboard/ingest/targets.py): the same unit logic
)
DATE_FIELDS = ("expected_sign_on", "created_on")
HISTORY_FIELDS = ("project_id", "stage", "entered_on", "previous_stage")

PROJECT_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(),
    "project_name": pl.String(),
    "customer": pl.String(),
    "customer_grade": pl.String(),
    "region": pl.String(),
    "owner": pl.String(),
    "category": pl.String(),
    "product_line": pl.String(),  # optional (issue 11): null when the export has no such column
    "stage": pl.String(),
    "status": pl.String(),
    "expected_amount": V.AMOUNT_DTYPE,
    "contract_amount": V.AMOUNT_DTYPE,
    "estimated_cost": V.AMOUNT_DTYPE,
    "estimated_margin": pl.Float64(),
    "bid_amount": V.AMOUNT_DTYPE,
    "actual_cost": V.AMOUNT_DTYPE,
    "expense_budget": V.AMOUNT_DTYPE,
    "expense_actual": V.AMOUNT_DTYPE,
    "expected_sign_on": pl.Date(),
    "created_on": pl.Date(),
    "lost_reason": pl.String(),
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(),
    "stage": pl.String(),
    "entered_on": pl.Date(),
    "source": pl.String(),
    "previous_stage": pl.String(),
}
_TOTAL_WORDS = ["合计", "总计", "小计", "总合计", "累计", "total", "totals", "grandtotal", "subtotal", "sum"]
_ISSUES_LISTED = 50


def _nulls(n: int, dtype: pl.DataType) -> pl.Series:
    # built in Rust: a Python list of n Nones costs ~10 ms per 100k rows and column
    return pl.select(pl.repeat(None, n, dtype=dtype)).to_series()


def empty_projects() -> pl.DataFrame:
    return pl.DataFrame(schema=PROJECT_SCHEMA)


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def label(name: str) -> str:
    """The file name as a label: the last path component only, never a path."""
    return re.split(r"[\\/]", str(name))[-1].strip() or "upload"


@dataclass
class Columns:
    """Which grid column (c0, c1 …) holds which canonical field, and its header/unit."""

    by_field: dict[str, tuple[str, str, str | None]]  # canonical -> (grid col, header, unit)
    # a wide targets file's month/quarter/full-year columns: grid col -> (header, period, unit)
    wide: dict[str, tuple[str, T.WidePeriod, str | None]] = dc_field(default_factory=dict)


class HeaderMatcher:
    def __init__(self, config: DomainConfig, mapping: Mapping | None):
        self.aliases = config.header_index()
        self.mapped = mapping.column_index() if mapping else {}

    def match(self, header: str | None) -> tuple[str | None, str | None, str | None]:
        """(canonical or '' for ignore or None, how, unit)."""
        if header is None:
            return None, None, None
        full = normalize(header)
        base, unit = V.split_header_unit(header)
        for key in (full, base):
            if key in self.mapped:
                return self.mapped[key], "mapping", unit
        for key in (full, base):
            if key in self.aliases:
                canonical = self.aliases[key]
                return canonical, ("canonical" if key == normalize(canonical) else "alias"), unit
        return None, None, unit

    def field(self, header: str | None) -> str | None:
        """The canonical field a header names (None: unknown or ignored); a wide targets
        file's month or quarter column counts as ``target_wide`` (finding the header row)."""
        found = self.match(header)[0]
        if found is None and (period := T.wide_period(header)) is not None and period[0] != "year":
            return "target_wide"
        return found or None


def _takes_unit(field: str) -> bool:
    return field in AMOUNT_FIELDS or field in ("estimated_margin", "target_wide")


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _recognise(grid: Grid, matcher: HeaderMatcher, report: Report) -> Columns:
    by_field: dict[str, tuple[str, str, str | None]] = {}
    wide: dict[str, tuple[str, T.WidePeriod, str | None]] = {}
    how_of: dict[str, str] = {}
    seen: dict[str, int] = {}
    notes = sorted({u for u, _ in grid.unit_notes})
    for i, header in enumerate(grid.header):
        col = f"c{i}"
        if header is None:
            if grid.data[col].drop_nulls().len():
                _ignored(report, f"({_letter(i + grid.col_offset)}: no header)")
            continue
        key = normalize(header)
        if key in seen:
            first = seen[key]
            report.error(
                "duplicate_header",
                f"表头重复：第 {_letter(first + grid.col_offset)} 列和第 {_letter(i + grid.col_offset)} 列都叫「{header}」，无法判断哪一列是哪个字段；请改名或删除其中一列",
                f"duplicate header: columns {_letter(first + grid.col_offset)} and {_letter(i + grid.col_offset)} are both called '{header}'; "
                "rename or delete one of them",
                row=grid.header_row,
                column=header,
            )
            continue
        seen[key] = i
        canonical, how, unit = matcher.match(grid.name_of(i))
        if grid.name_of(i) != header:
            unit = unit or matcher.match(header)[2]
        if not canonical and canonical != "" and (period := T.wide_period(header)) is not None:
            unit, unit_source = _column_unit(grid, i, "target_amount", header, unit, notes, report)
            wide[col] = (header, period, unit)
            report.columns.append(ColumnMatch(header=header, canonical="target_amount", how="wide", unit=unit,
                                              unit_source=unit_source, sheet=grid.sheet))
            continue
        if not canonical:
            _ignored(report, header)
            continue
        unit, unit_source = _column_unit(grid, i, canonical, header, unit, notes, report)
        if canonical in by_field:
            _, other, _ = by_field[canonical]
            if how_of[canonical] == "mapping" and how != "mapping":
                report.ignored_columns.append(header)
                report.warn(
                    "alias_shadowed",
                    f"「{header}」未使用：映射文件已把「{other}」指定为 {canonical}",
                    f"'{header}' not used: the mapping names '{other}' as {canonical}",
                    column=header,
                )
                continue
            if how == "mapping" and how_of[canonical] != "mapping":
                report.ignored_columns.append(other)
                report.columns = [c for c in report.columns if c.header != other]
            else:
                report.error(
                    "duplicate_field",
                    f"「{other}」和「{header}」两列都表示同一个字段（{canonical}）；请删除其中一列，或用映射文件指定",
                    f"columns '{other}' and '{header}' both mean the same field ({canonical}); "
                    "delete one, or say which in a mapping file",
                    row=grid.header_row,
                    column=header,
                )
                continue
        by_field[canonical] = (col, header, unit)
        how_of[canonical] = how or "alias"
        match = ColumnMatch(header=header, canonical=canonical, how=how or "alias", unit=unit, unit_source=unit_source,
                            sheet=grid.sheet)
        if not any((c.header, c.canonical, c.unit) == (header, canonical, unit) for c in report.columns):
            report.columns.append(match)
    for first, last, parent in grid.units_guessed_from_csv:
        under = [grid.header[j] for j in range(first, last + 1) if grid.header[j]]
        report.warn(
            "unit_spread",
            f"上方表头「{parent}」的单位用于下面的 {'、'.join(under)} 列：CSV 不保存合并单元格，按空白单元格推断其覆盖范围；"
            "如有不对，请在每个金额列的表头中写明单位，如 合同金额(元)",
            f"the unit of the header '{parent}' above was applied to {', '.join(under)} below it: a CSV keeps no merged "
            "cells, so its reach was read from the blank cells beside it; if that is wrong, write the unit in each "
            "amount header, e.g. 合同金额(元)",
            row=grid.parent_row,
            column=parent,
        )
    return Columns(by_field=by_field, wide=wide)


def _ignored(report: Report, header: str) -> None:
    if header not in report.ignored_columns:  # once, however many sheets have it
        report.ignored_columns.append(header)


def _column_unit(
    grid: Grid, i: int, canonical: str, header: str, unit: str | None, notes: list[str], report: Report
) -> tuple[str | None, str | None]:
    """A column's unit and where it was written when not in its own header: a merged parent
    header above it (金额（万元） over 预计签约金额), else a unit note in the title rows
    (单位：万元); contradictions are errors, never a silent pick."""
    for j, parent, child in grid.unit_conflicts:
        if j == i:
            report.error(
                "unit_conflict",
                f"单位矛盾：上方的合并表头「{parent}」与本列表头「{child}」写的单位不同；请把两处改成一致",
                f"conflicting units: the merged header above ('{parent}') and this column's header ('{child}') "
                "name different units; make them agree",
                row=grid.header_row,
                column=header,
            )
    if unit is not None:
        return unit, None
    wanted = V.UNIT_FACTORS if canonical in AMOUNT_FIELDS else V.PERCENT_UNITS if canonical == "estimated_margin" else {}
    inherited = grid.inherited_units[i] if grid.inherited_units else None
    if inherited and inherited[0] in wanted:
        where = f"row {grid.parent_row}: {inherited[1]}" if grid.parent_row else inherited[1]
        return inherited[0], where
    if canonical in AMOUNT_FIELDS and grid.unit_notes:
        if len(notes) > 1:
            report.error(
                "unit_note_conflict",
                f"标题行写了不同的金额单位（{'、'.join(n for _, n in grid.unit_notes)}），而本列表头没有单位；请在金额列的表头里写明单位，如 预计签约金额(万元)",
                f"the title rows name different units ({'; '.join(n for _, n in grid.unit_notes)}) and this column's "
                "header names none; write the unit in each amount header, e.g. 预计签约金额(万元)",
                row=grid.header_row,
                column=header,
            )
            return None, None
        return notes[0], f"row {grid.unit_notes[0][1]}"
    return None, None


def _side_by_side(grid: Grid, report: Report) -> None:
    """A header row with a run of empty cells between named ones: several tables were
    laid out side by side (a sheet saved as CSV). Said plainly, as the likely cause."""
    named = [i for i, h in enumerate(grid.header) if h is not None]
    gaps = [(a, b) for a, b in itertools.pairwise(named) if b - a > 1]
    if gaps:
        a, b = gaps[0]
        report.warn(
            "several_tables",
            f"表头在第 {_letter(a + 1)}–{_letter(b - 1)} 列是空的：这个文件似乎把几张表并排放在一起；请只导出项目表",
            f"the header is empty in columns {_letter(a + 1)}–{_letter(b - 1)}: the file seems to hold several "
            "tables side by side; export only the project table",
            row=grid.header_row,
        )


def _cell_errors(
    report: Report,
    mask: pl.Series,
    raw: pl.Series,
    rows: pl.Series,
    *,
    code: str,
    column: str,
    zh: str,
    en: str,
    expected_zh: str,
    expected_en: str,
) -> None:
    idx = mask.fill_null(False).arg_true()
    if idx.len() == 0:
        return
    shown = idx.head(_ISSUES_LISTED).to_list()
    for i in shown:
        report.error(
            code, zh, en, row=int(rows[i]), column=column, value=raw[i], expected_zh=expected_zh, expected_en=expected_en
        )
    rest = idx.len() - len(shown)
    if rest:
        key = f"{code}:{column}"
        report.issues_not_listed[key] = report.issues_not_listed.get(key, 0) + rest


def _as_of(
    report: Report, given: date | None, name: str, from_title: date | None, column_date: date | None, today: date
) -> None:
    from_name = V.find_date_in_text(name.rsplit(".", 1)[0])
    if given is not None:
        report.as_of, report.as_of_source = given, "given"
    elif column_date is not None:
        report.as_of, report.as_of_source = column_date, "column"
    elif from_title is not None:
        report.as_of, report.as_of_source = from_title, "title row"
    elif from_name is not None:
        report.as_of, report.as_of_source = from_name, "file name"
    else:
        report.as_of, report.as_of_source = today, "today"
        report.warn(
            "as_of_today",
            f"文件名和标题中都没有日期，数据日期按今天（{today}）计；如不对请用 --as-of 指定",
            f"no date in the file name or title: taken as of today ({today}); give --as-of if that is wrong",
        )
    if from_title and from_name and from_title != from_name and report.as_of_source in ("title row", "column"):
        report.warn(
            "as_of_differs",
            f"标题中的日期 {from_title} 与文件名中的日期 {from_name} 不同；采用 {report.as_of}",
            f"the title says {from_title} but the file name says {from_name}; using {report.as_of}",
        )


def _date_column(
    report: Report, data: pl.DataFrame, col: str, header: str, order: str | None, rows: pl.Series
) -> pl.Series:
    raw = data[col]
    parsed = V.parse_dates(raw, order)
    if parsed.ambiguous:
        examples = ", ".join(raw.drop_nulls().unique(maintain_order=True).head(3).to_list())
        report.error(
            "date_order",
            "无法判断这些日期是“月/日/年”还是“日/月/年”（没有大于 12 的数）；请在映射文件 [constants] 中写 date_order = \"MDY\" 或 \"DMY\"",
            "cannot tell whether these dates are month/day/year or day/month/year (no number above 12); "
            'set date_order = "MDY" or "DMY" under [constants] in a mapping file',
            column=header,
            value=examples,
            expected_zh="明确的日期顺序",
            expected_en="a stated date order",
        )
    elif parsed.conflicting:
        report.error(
            "date_order",
            "这一列的日期有的只能是“月/日”，有的只能是“日/月”，顺序不一致",
            "some dates in this column can only be month/day and others only day/month",
            column=header,
            expected_zh="一致的日期顺序",
            expected_en="one date order for the whole column",
        )
    elif parsed.order:
        report.date_orders[header] = parsed.order
    _cell_errors(
        report,
        parsed.bad,
        raw,
        rows,
        code="bad_date",
        column=header,
        zh="不是可识别的日期",
        en="not a date",
        expected_zh="如 2026-03-05、2026/3/5、2026年3月5日 或 Excel 日期",
        expected_en="a date such as 2026-03-05, 2026/3/5, 2026年3月5日, 3/5/2026 or an Excel date",
    )
    return parsed.values


def prepare_local(
    name: str,
    data: bytes,
    *,
    as_of: date | None,
    mapping: Mapping | None,
    config: DomainConfig,
    today: date,
    tables: dict[str, pl.DataFrame] | None = None,
) -> tuple[Report, pl.DataFrame, pl.DataFrame]:
    """``tables`` (optional) receives the rows of a kind with a table of its own, by kind:
    ``tables['targets']`` (dashboard/ingest/targets.py), ``tables['visits']`` and
    ``tables['collections']`` (issue 13: visit reports and receivables files, read by their
    own modules); the projects and events frames are then empty."""
    from dashboard.ingest import collections, visits  # issue 13: read by their own modules

    for other in (visits, collections):
        if other.sniff(data, config) == other.KIND:
            report, rows = other.prepare_local(name, data, as_of=as_of, config=config, today=today)
            if tables is not None:
                tables[other.KIND] = rows
            return report, empty_projects(), empty_events()
    name = label(name)
    report = Report(file_name=name, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    report.mapping_name = mapping.name if mapping else None
    if mapping is not None:
        # what the mapping *says* (lookup tables included), so re-importing the same bytes
        # through a corrected mapping is not mistaken for an identical import
        said = json.dumps({**mapping.to_dict(), "source": None}, sort_keys=True, ensure_ascii=False, default=str)
        report.mapping_sha256 = hashlib.sha256(said.encode("utf-8")).hexdigest()
    matcher = HeaderMatcher(config, mapping)
    kind_of_file = file_type(data)
    report.file_type = kind_of_file
    if kind_of_file == "csv":
        grid = read_csv_grid(data, report, matcher.field, _takes_unit)
        grids = [grid] if grid is not None else []
    else:
        grids = read_excel_grids(data, report, matcher.field, _takes_unit)
    if not grids or not report.ok:
        report.in_sheet(None)
        if report.as_of is None:
            _as_of(report, as_of, name, None, None, today)
        return report, empty_projects(), empty_events()
    report.sheet = ", ".join(g.sheet for g in grids if g.sheet) or None
    report.sheets_considered = grids[0].sheets_considered
    report.header_row = grids[0].header_row
    report.rows_read = sum(g.data.height for g in grids)
    constants = mapping.constants if mapping else {}

    # Headers of every sheet; all must hold the same kind of table.
    sheet_tables = []
    for grid in grids:
        report.in_sheet(grid.sheet)
        cols = _recognise(grid, matcher, report)
        _side_by_side(grid, report)
        kind = (constants.get("kind") or T.kind_of(cols.by_field, wide=bool(cols.wide))
                or ("history" if "entered_on" in cols.by_field else "projects"))
        if kind != T.KIND:
            T.drop_columns(report, cols.by_field, cols.wide)
        sheet_tables.append((grid, cols, kind))
    report.in_sheet(None)
    kinds = {k for _, _, k in sheet_tables}
    report.kind = sheet_tables[0][2]
    if len(kinds) > 1:
        _as_of(report, as_of, name, None, None, today)
        kind_zh = {"projects": "项目台账", "history": "阶段历史", T.KIND: "目标"}
        said_zh = "；".join(f"{kind_zh.get(k, k)}（工作表 {'、'.join(f'「{g.sheet}」' for g, _, kk in sheet_tables if kk == k)}）" for k in sorted(kinds))
        said_en = "; ".join(f"{k} (sheet(s) {', '.join(repr(g.sheet) for g, _, kk in sheet_tables if kk == k)})" for k in sorted(kinds))
        report.error(
            "mixed_sheets",
            f"工作簿里有不同种类的表：{said_zh}；请分成几个文件上传",
            f"the workbook holds different kinds of tables: {said_en}; upload them as separate files",
        )
        return report, empty_projects(), empty_events()

    # Blank rows and totals rows go first (counted with their reason); then the cells
    # that cannot be trusted whatever their column says: formulas never calculated,
    # Excel error values.
    kept, skipped = [], {}
    for grid, cols, _ in sheet_tables:
        report.in_sheet(grid.sheet)
        before = report.rows_skipped
        data_, rows = _drop_blank_and_totals(report, grid, cols)
        data_ = _untrusted_cells(report, grid, cols, data_, rows)
        if kind_of_file != "csv":  # (a CSV with U+FFFD was refused while decoding)
            _replacement_characters(report, grid, data_, rows)
        kept.append((grid, cols, data_, rows))
        skipped[id(grid)] = report.rows_skipped - before
    report.in_sheet(None)

    column_dates: set[date] = set()
    title_dates = {}
    for grid, cols, data_, _rows in kept:
        if grid.title_text and (d := V.find_date_in_text(grid.title_text)):
            title_dates[grid.sheet] = d
        if "as_of" in cols.by_field:
            col, header, _ = cols.by_field["as_of"]
            parsed = V.parse_dates(data_[col], constants.get("date_order"))
            distinct = parsed.values.drop_nulls().unique()
            if distinct.len() == 1:
                column_dates.add(distinct[0])
            elif distinct.len() > 1:
                report.warn("as_of_column", f"「{header}」列有多个不同日期，未用作数据日期", f"'{header}' holds several dates; not used as the as-of date", column=header, sheet=grid.sheet)
    if len(set(title_dates.values())) > 1 and as_of is None:
        said = ", ".join(f"'{k}': {v}" for k, v in title_dates.items())
        report.error(
            "as_of_sheets",
            f"各工作表标题中的日期不同（{said}）：一个文件只能是一个日期的快照；请分开上传或指定数据日期",
            f"the sheets' titles carry different dates ({said}): one file is one snapshot date; upload them "
            "separately, or give the as-of date",
        )
    _as_of(report, as_of, name, next(iter(title_dates.values()), None), column_dates.pop() if len(column_dates) == 1 else None, today)

    decimals = _decimal_separators(report, kept, constants, kind_of_file)
    projects_parts, events_parts, target_parts = [], [], []
    for grid, cols, data_, rows in kept:
        report.in_sheet(grid.sheet)
        before = report.rows_skipped
        if report.kind == T.KIND:
            projects, events = empty_projects(), empty_events()
            target_parts.append(T.read_rows(report, data_, rows, cols, config, constants, decimals[id(grid)], grid.sheet,
                                           title=grid.title_text))
        elif report.kind == "history":
            projects, events = empty_projects(), _history(report, data_, rows, cols, mapping, config, constants)
        else:
            projects, events = _projects(report, data_, rows, cols, mapping, config, constants, decimals[id(grid)])
            if projects.height:  # one project per kept row: where each came from, for duplicates
                projects_parts.append(projects.with_columns(_sheet=pl.lit(grid.sheet, pl.String), _row=rows,
                                                            _header=pl.lit(cols.by_field["project_id"][1])))
        events_parts.append(events)
        if len(kept) > 1:
            gone = skipped[id(grid)] + report.rows_skipped - before
            report.sheets.append(SheetReport(grid.sheet or "", grid.header_row, grid.data.height, grid.data.height - gone))
    report.in_sheet(None)
    events = pl.concat(events_parts, how="vertical")
    if projects_parts:
        projects = pl.concat(projects_parts, how="vertical")
        _duplicate_ids(report, projects)
        projects = projects.drop("_sheet", "_row", "_header")
    else:
        projects = empty_projects()
    report.rows_accepted = report.rows_read - report.rows_skipped
    if report.rows_accepted == 0 and report.ok:
        # an empty export would replace a whole date's snapshot with nothing: never silently
        report.error(
            "no_rows",
            "表头下面没有任何数据行；空文件不会被导入（否则会清空该日期的数据）",
            "there are no data rows below the header; an empty file is not imported (it would "
            "empty that date's snapshot)",
        )
    report.n_events = events.height
    if report.kind == T.KIND:
        found = T.finish(report, pl.concat(target_parts, how="vertical") if target_parts else T.empty())
        if tables is not None:
            tables[T.KIND] = found
    return report, projects, events


def _replacement_characters(report: Report, grid: Grid, data: pl.DataFrame, rows: pl.Series) -> None:
    for c in data.columns:
        hit = data[c].str.contains("\ufffd", literal=True).fill_null(False)
        if hit.any():
            i = int(hit.arg_true()[0])
            header = grid.header[int(c[1:])] or _letter(int(c[1:]) + grid.col_offset)
            report.error("bad_text", "单元格含有替换字符 U+FFFD（原字符已丢失）", "the cell holds the replacement character U+FFFD (text already lost)", row=int(rows[i]), column=header)


def _totals_cells(s: pl.Series) -> pl.Series:
    """The distinct cells of a column that are a totals word (合计, Total: …), each folded
    once (a column of 2M cells holds a few hundred distinct ones)."""
    cells = s.drop_nulls().unique()
    folded = cells.str.replace_all(" ", "", literal=True).str.strip_chars().str.strip_chars_end(":：").str.to_lowercase()
    return cells.filter(folded.is_in(_TOTAL_WORDS))


def _drop_blank_and_totals(report: Report, grid: Grid, cols: Columns) -> tuple[pl.DataFrame, pl.Series]:
    data, rows = grid.data, grid.row_numbers
    total_cols = list(data.columns[:3])
    for f in ("project_id", "project_name"):
        if f in cols.by_field:
            total_cols.append(cols.by_field[f][0])
    flags = data.select(
        # every cell null or white space = the row's cells joined are white space (one pass, not one per column)
        blank=pl.concat_str(data.columns, separator="", ignore_nulls=True).str.strip_chars().str.len_bytes().fill_null(0) == 0,
        totals=pl.any_horizontal([pl.col(c).is_in(_totals_cells(data[c]).implode()).fill_null(False)
                                  for c in dict.fromkeys(total_cols)]),
    ) if data.width else pl.DataFrame({"blank": [], "totals": []}, schema={"blank": pl.Boolean, "totals": pl.Boolean})
    blank = flags["blank"]
    totals = flags["totals"] & ~blank
    report.skip("blank row / 空行", int(blank.sum()))
    report.skip("totals row (合计/Total) / 合计行", int(totals.sum()))
    keep = ~(blank | totals)
    return data.filter(keep), rows.filter(keep)


_EXCEL_ERROR = r"^#(?:N/A|DIV/0!|REF!|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)$"
_CELLS_NAMED = 10


def _untrusted_cells(report: Report, grid: Grid, cols: Columns, data: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """Errors for the cells of recognised columns whose value cannot be trusted, and those
    cells emptied (so no second, vaguer error follows from the value parsers):
    * Excel error values (#N/A, #DIV/0!, #REF! …): calamine reads them as empty cells
      (the sheet XML says where they are); a CSV holds them as text;
    * formula cells without a cached result (written by openpyxl), and every formula cell
      of a workbook flagged fullCalcOnLoad (written by a library such as xlsxwriter, never
      saved by Excel/WPS: its cached results are placeholders such as 0)."""
    used = {int(col[1:]): (field, header) for field, (col, header, _unit) in cols.by_field.items()}
    used |= {int(col[1:]): ("target_amount", header) for col, (header, _period, _unit) in cols.wide.items()}
    if not used or data.height == 0:
        return data
    blank = {}
    if grid.formulas or grid.cell_errors:
        at = {int(r): i for i, r in enumerate(rows.to_list())}
        by_col: dict[int, list[tuple[int, int]]] = {}
        for f in grid.formulas:
            j = f.col - grid.col_offset
            if j in used and f.row in at and (not f.cached or grid.full_calc_on_load):
                by_col.setdefault(j, []).append((f.row, at[f.row]))
        for j, cells in sorted(by_col.items()):
            header = used[j][1]
            names = ", ".join(xlsx.cell_name(r, j + grid.col_offset) for r, _ in cells[:_CELLS_NAMED])
            more = f" … ({len(cells)})" if len(cells) > _CELLS_NAMED else ""
            why_zh, why_en = (
                ("文件要求打开时重新计算所有公式（fullCalcOnLoad），说明它由程序生成、从未在 Excel/WPS 中保存过，里面存的公式结果（如 0）只是占位值",
                 "the workbook asks Excel to recalculate every formula on opening (fullCalcOnLoad): it was written by a program "
                 "and never saved by Excel/WPS, so the results stored for these formulas (such as 0) are placeholders")
                if grid.full_calc_on_load and all(f.cached for f in grid.formulas if f.col - grid.col_offset == j)
                else ("这些单元格是公式，但文件里没有保存计算结果（文件由程序生成，从未在 Excel/WPS 中打开保存）",
                      "these cells hold formulas but the file stores no calculated result for them (written by a program, "
                      "never opened and saved in Excel/WPS)")
            )
            report.error(
                "formula_not_calculated",
                f"{why_zh}；不会按 0 或空值导入。请在 Excel/WPS 中打开文件并保存，然后重新上传",
                f"{why_en}; they are not imported as 0 or empty. Open the file in Excel/WPS and save it, then upload again",
                row=cells[0][0], column=header, value=names + more,
                expected_zh="计算好的数值", expected_en="a calculated value",
            )
            blank.setdefault(j, []).extend(i for _, i in cells)
        for e in grid.cell_errors:
            j = e.col - grid.col_offset
            if j in used and e.row in at:
                blank.setdefault(j, []).append(at[e.row])
                _cell_error_issue(report, e.row, used[j][1], e.value, xlsx.cell_name(e.row, e.col))
    for j, (_field, header) in used.items():
        col = data[f"c{j}"]
        if not col.str.contains("#", literal=True).any():
            continue
        hit = col.str.strip_chars().str.contains(_EXCEL_ERROR).fill_null(False)
        if hit.any():
            for i in hit.arg_true().to_list():
                _cell_error_issue(report, int(rows[i]), header, col[i].strip(), None)
            blank.setdefault(j, []).extend(hit.arg_true().to_list())
    if not blank:
        return data
    masks = {j: pl.repeat(False, data.height, eager=True).scatter(sorted(set(ix)), True) for j, ix in blank.items()}
    return data.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(f"c{j}")).alias(f"c{j}") for j, mask in masks.items()]
    )


def _decimal_separators(report: Report, kept: list, constants: dict, kind_of_file: str) -> dict[int, dict[str, tuple]]:
    """The decimal separator of every number column (amounts, margin), decided from the
    evidence, never per cell: the column's own cells that can be read only one way
    (1,234.50 · 12.5 → point; 1.234,50 · 88,00 → comma); a column with both is refused.
    A column whose cells are all ambiguous (1,234 · 1.234) follows the mapping's
    ``decimal_separator``, else the other number columns of the file, else the file's own
    convention: a comma- or tab-separated CSV or a workbook writes 1,234 for a thousand;
    a semicolon CSV (European Excel) could mean either, so it is refused.
    Returns, per grid, grid column -> (separator, whether ambiguous cells may be read, the
    column taken apart)."""
    styles = {}
    for grid, cols, data, _rows in kept:
        for field, (col, header, _unit) in cols.by_field.items():
            if field in AMOUNT_FIELDS or field == "estimated_margin":
                taken_apart = V.numbers(data[col])  # once: the values are parsed from it too
                styles[(id(grid), col)] = (grid, header, V.number_style(taken_apart), taken_apart)
        for col, (header, _period, _unit) in cols.wide.items():
            taken_apart = V.numbers(data[col])
            styles[(id(grid), col)] = (grid, header, V.number_style(taken_apart), taken_apart)
    said = {st.decided for _, _, st, _ in styles.values() if st.decided and not st.conflicting}
    given = constants.get("decimal_separator")
    out: dict[int, dict[str, tuple[str, bool, V.Numbers]]] = {id(g): {} for g, *_ in kept}
    for (gid, col), (grid, header, st, taken_apart) in styles.items():
        report.in_sheet(grid.sheet)
        if st.conflicting:
            report.error(
                "decimal_conflict",
                f"这一列的数字有的用小数点（如 {st.point_example}），有的用小数逗号（如 {st.comma_example}），写法不一致，无法确定数值",
                f"this column writes some numbers with a decimal point ({st.point_example}) and others with a decimal "
                f"comma ({st.comma_example}); the values cannot be told",
                row=grid.header_row, column=header,
                expected_zh="整列统一的写法", expected_en="one convention for the whole column",
            )
            sep = "."
        elif st.decided:
            sep = st.decided
        elif not st.ambiguous:
            sep = "."
        elif given in V.DECIMAL_SEPARATORS:
            sep = given
        elif len(said) == 1:
            sep = next(iter(said))
        elif len(said) > 1 or report.delimiter == ";":
            why_zh = "文件里其他数字列的写法也不一致" if len(said) > 1 else "分号分隔的文件常用小数逗号"
            why_en = "the file's other number columns disagree" if len(said) > 1 else "semicolon-separated files often use a decimal comma"
            report.error(
                "decimal_ambiguous",
                f"无法判断 {st.ambiguous_example} 是千位分隔（{st.ambiguous_example.replace(',', '').replace('.', '')}）还是小数；{why_zh}。"
                "请写成不会混淆的形式（如 1234.00 或 1.234,00），或在映射文件 [constants] 中写 decimal_separator = \",\" 或 \".\"",
                f"cannot tell whether {st.ambiguous_example} has a thousands separator or a decimal one; {why_en}. Write the "
                "numbers unambiguously (e.g. 1234.00 or 1.234,00), or set decimal_separator = \",\" or \".\" under "
                "[constants] in a mapping file",
                row=grid.header_row, column=header, value=st.ambiguous_example,
                expected_zh="明确的小数写法", expected_en="an unambiguous decimal separator",
            )
            sep = "."
        else:
            sep = "."
        if sep == ",":
            report.decimal_separators[header] = ","
        # a workbook's number cells reach us as 1234.5 whatever the text cells say: under a
        # decimal comma, a cell that could be either is not read
        out[gid][col] = (sep, not (sep == "," and kind_of_file != "csv"), taken_apart)
    report.in_sheet(None)
    return out


def _cell_error_issue(report: Report, row: int, header: str, value: str, cell: str | None) -> None:
    where_zh = f"（{cell}）" if cell else ""
    where_en = f" ({cell})" if cell else ""
    report.error(
        "cell_error",
        f"单元格{where_zh}是 Excel 错误值 {value}（公式出错），不是空值；请在原表中改正公式或清空该单元格后重新上传",
        f"the cell{where_en} holds the Excel error {value} (a broken formula), not a blank; fix the formula in the "
        "spreadsheet, or clear the cell, and upload again",
        row=row, column=header, value=value,
        expected_zh="数值或文字", expected_en="a value",
    )


def _get(data: pl.DataFrame, cols: Columns, f: str) -> pl.Series | None:
    if f not in cols.by_field:
        return None
    return data[cols.by_field[f][0]]


def _require(report: Report, cols: Columns, fields: tuple[str, ...], kind_zh: str, kind_en: str, config: DomainConfig) -> bool:
    missing = [f for f in fields if f not in cols.by_field]
    for f in missing:
        aliases = "、".join(config.headers.get(f, ())[:4])
        report.error(
            "missing_column",
            f"{kind_zh}缺少必需的列 {f}（如：{aliases}）；若列名不同，请在映射文件 [columns] 中指定",
            f"a {kind_en} needs a {f} column (e.g. {', '.join(config.headers.get(f, ())[:4])}); "
            "if the export calls it something else, name it under [columns] in a mapping file",
            expected_zh=aliases,
            expected_en=", ".join(config.headers.get(f, ())[:4]),
        )
    return not missing


def _ids(report: Report, data: pl.DataFrame, rows: pl.Series, cols: Columns) -> pl.Series:
    col, header, _ = cols.by_field["project_id"]
    raw = data[col]
    ids = V.fold_ids(raw)
    _cell_errors(report, ids.is_null(), raw, rows, code="missing_id", column=header, zh="项目编号为空", en="the project id is empty", expected_zh="项目编号", expected_en="a project id")
    too_long = (ids.str.len_chars() > V.TEXT_MAX_CHARS).fill_null(False)
    _cell_errors(report, too_long, raw.str.slice(0, 40), rows, code="bad_id", column=header,
                 zh=f"项目编号超过 {V.TEXT_MAX_CHARS} 个字符，不像编号", en=f"the project id is longer than {V.TEXT_MAX_CHARS} characters: not an id",
                 expected_zh="项目编号", expected_en="a project id")
    return ids


def _text_column(report: Report, raw: pl.Series, rows: pl.Series, header: str) -> pl.Series:
    """Free text as stored: bidi controls removed and at most TEXT_MAX_CHARS characters,
    each with a warning naming the column and the rows (uploaded text is shown to others)."""
    bidi = V.has_bidi(raw)
    text = V.clean_text(raw, bidi)
    if bidi.any():
        where = rows.filter(bidi)
        report.warn(
            "bidi_removed",
            f"{where.len()} 个单元格含有不可见的文字方向控制字符（如 U+202E），已删除（第 {_rows_named(where)} 行）",
            f"{_cells(where.len())} held invisible text-direction control characters (such as U+202E); they were "
            f"removed ({_rows_en(where)})",
            row=int(where[0]), column=header,
        )
    long = (text.str.len_chars() > V.TEXT_MAX_CHARS).fill_null(False)
    if long.any():
        where = rows.filter(long)
        report.warn(
            "text_cut",
            f"{where.len()} 个单元格超过 {V.TEXT_MAX_CHARS} 个字符，只保留前 {V.TEXT_MAX_CHARS} 个（第 {_rows_named(where)} 行）",
            f"{_cells(where.len())} {'is' if where.len() == 1 else 'are'} longer than {V.TEXT_MAX_CHARS} characters and "
            f"{'was' if where.len() == 1 else 'were'} cut to the first {V.TEXT_MAX_CHARS} ({_rows_en(where)})",
            row=int(where[0]), column=header,
        )
        text = pl.select(pl.when(long).then(text.str.slice(0, V.TEXT_MAX_CHARS)).otherwise(text)).to_series().alias(text.name)
    return text


def _cells(n: int) -> str:
    return "1 cell" if n == 1 else f"{n} cells"


def _rows_en(rows: pl.Series) -> str:
    return ("row " if rows.len() == 1 else "rows ") + _rows_named(rows)


def _rows_named(rows: pl.Series) -> str:
    shown = ", ".join(map(str, rows.head(_CELLS_NAMED).to_list()))
    return shown + (" …" if rows.len() > _CELLS_NAMED else "")


def _stage_words(mapping: Mapping | None, config: DomainConfig) -> tuple[dict[str, str], dict[str, str]]:
    if mapping:
        return mapping.stage_words(config)
    return dict(config.stage_names), dict(config.status_words)


def _stage_column(report, raw, rows, header, stage_names, status_words):
    stage, bad_stage = V.lookup_words(raw, stage_names)
    status, bad_status = V.lookup_words(raw, status_words)
    bad = bad_stage & bad_status
    _cell_errors(
        report, bad, raw, rows, code="bad_stage", column=header,
        zh="不是可识别的阶段名称", en="not a known stage",
        expected_zh="客户开发、立项、提案、招投标、商务谈判、工程实施（或映射文件 [stages] 中的名称），或状态词如 赢单/丢单",
        expected_en="one of the six stages (客户开发 … 工程实施 / Customer development … Implementation), a name under [stages] in the mapping, or a status word such as Won/Lost",
    )
    return stage, pl.select(pl.when(stage.is_null()).then(status).otherwise(None)).to_series()


def _projects(report, data, rows, cols, mapping, config, constants, decimals):
    if not _require(report, cols, ("project_id",), "项目台账", "project export", config):
        return empty_projects(), empty_events()
    ids = _ids(report, data, rows, cols)
    out: dict[str, pl.Series] = {"project_id": ids}
    n = data.height
    for f in TEXT_FIELDS:
        s = _get(data, cols, f)
        out[f] = _text_column(report, s, rows, cols.by_field[f][1]) if s is not None else _nulls(n, pl.String)

    s = _get(data, cols, "customer_grade")
    if s is not None:
        header = cols.by_field["customer_grade"][1]
        grade, bad = V.parse_grades(s, config.grades)
        _cell_errors(report, bad, s, rows, code="bad_grade", column=header, zh="不是可识别的客户等级", en="not a customer grade",
                     expected_zh="、".join(config.grades) + "（可写作 A级、A类）", expected_en=", ".join(config.grades) + " (also A级, A类, a)")
        out["customer_grade"] = grade
    else:
        out["customer_grade"] = _nulls(n, pl.String)

    default_unit = constants.get("amount_unit")
    for f in AMOUNT_FIELDS:
        s = _get(data, cols, f)
        if s is None:
            out[f] = _nulls(n, V.AMOUNT_DTYPE)
            continue
        col, header, unit = cols.by_field[f]
        amount_unit = unit if unit in V.UNIT_FACTORS else (normalize(default_unit) if default_unit else None)
        sep, ambiguous_ok, taken_apart = decimals.get(col, (".", True, s))
        value, bad = V.parse_amounts(taken_apart, amount_unit, sep, ambiguous_ok=ambiguous_ok)
        example = "1.234.567,89" if sep == "," else "1,234,567.89"
        _cell_errors(report, bad, s, rows, code="bad_amount", column=header, zh="不是可识别的金额", en="not an amount",
                     expected_zh=f"数字，如 {example}、(2,000.00) 或 123.5万", expected_en=f"a number such as {example}, (2,000.00) or 123.5万")
        out[f] = value
    s = _get(data, cols, "estimated_margin")
    if s is not None:
        col, header, unit = cols.by_field["estimated_margin"]
        sep, ambiguous_ok, taken_apart = decimals.get(col, (".", True, s))
        margin = V.parse_margins(taken_apart, unit, sep, ambiguous_ok=ambiguous_ok)
        _cell_errors(report, margin.bad, s, rows, code="bad_margin", column=header, zh="不是可识别的毛利率", en="not a margin",
                     expected_zh="如 0.23、23 或 23%（不超过 100%）", expected_en="a ratio or percentage such as 0.23, 23 or 23% (at most 100%)")
        _cell_errors(report, margin.ambiguous, s, rows, code="margin_scale", column=header,
                     zh="这一列其他的毛利率是百分数（如 23 表示 23%），这个不超过 1 的值既可能是百分数也可能是比例（1 是 1% 还是 100%？），无法确定",
                     en="the other margins in this column are percent numbers (23 = 23 %), so this value up to 1 could be "
                        "a percent or a ratio (1 could mean 1 % or 100 %)",
                     expected_zh="带 % 的写法，如 1% 或 100%", expected_en="the value with a % sign, e.g. 1% or 100%")
        out["estimated_margin"] = margin.values
    else:
        out["estimated_margin"] = _nulls(n, pl.Float64)

    order = constants.get("date_order")
    for f in DATE_FIELDS:
        if f in cols.by_field:
            col, header, _ = cols.by_field[f]
            out[f] = _date_column(report, data, col, header, order, rows)
        else:
            out[f] = _nulls(n, pl.Date)

    stage_dates: dict[str, pl.Series] = {}
    for code in config.stage_codes:
        f = f"stage_date.{code}"
        if f in cols.by_field:
            col, header, _ = cols.by_field[f]
            stage_dates[code] = _date_column(report, data, col, header, order, rows)

    stage_names, status_words = _stage_words(mapping, config)
    stage = _nulls(n, pl.String)
    status_from_stage = _nulls(n, pl.String)
    if "stage" in cols.by_field:
        s = _get(data, cols, "stage")
        stage, status_from_stage = _stage_column(report, s, rows, cols.by_field["stage"][1], stage_names, status_words)
    status_col = _nulls(n, pl.String)
    if "status" in cols.by_field:
        s = _get(data, cols, "status")
        header = cols.by_field["status"][1]
        status_col, bad = V.lookup_words(s, status_words)
        _cell_errors(report, bad, s, rows, code="bad_status", column=header, zh="不是可识别的状态", en="not a known status",
                     expected_zh="进行中、赢单、丢单、放弃、已验收 等", expected_en="open, won, lost, dropped, completed (or 进行中/赢单/丢单/放弃/已验收)")
    status = pl.select(pl.coalesce(status_col, status_from_stage, pl.lit("open"))).to_series()
    differs = (status_col.is_not_null() & status_from_stage.is_not_null() & (status_col != status_from_stage)).fill_null(False)
    if differs.any():
        i = int(differs.arg_true()[0])
        report.warn("status_conflict", f"共 {int(differs.sum())} 行的状态列与阶段列不一致，以状态列为准",
                    f"{int(differs.sum())} rows have a status that differs from the status word in the stage column; the status column wins",
                    row=int(rows[i]))

    # Stage when the stage column held a status word (or is absent): won/completed are in
    # the stage with role 'won' (delivery) by definition; otherwise the stage whose date is latest; else the last
    # known stage, which commit() fills from earlier snapshots.
    frame = pl.DataFrame({"stage": stage, "status": status, **{f"sd_{k}": v for k, v in stage_dates.items()}})
    latest = None
    if stage_dates:
        order_of = {c: config.stage_order(c) for c in stage_dates}
        long = (
            frame.with_row_index("i")
            .select("i", *[pl.col(f"sd_{k}").alias(k) for k in stage_dates])
            .unpivot(index="i", variable_name="stage", value_name="on")
            .drop_nulls("on")
            .with_columns(order=pl.col("stage").replace_strict(order_of, return_dtype=pl.Int32))
            .sort("i", "on", "order")
            .group_by("i")
            .agg(pl.col("stage").last())
        )
        latest = pl.DataFrame({"i": pl.int_range(0, n, eager=True, dtype=pl.UInt32)}).join(long, on="i", how="left")["stage"]
    derived = pl.select(
        pl.when(pl.lit(status).is_in(["won", "completed"])).then(pl.lit(config.role_stage("won").code))
        .otherwise(latest if latest is not None else pl.lit(None, pl.String))
    ).to_series()
    out["stage"] = pl.select(pl.coalesce(stage, derived)).to_series()
    out["status"] = status

    lookups = mapping.lookups if mapping else ()
    for lk in lookups:
        if lk.table is None or lk.field not in PROJECT_SCHEMA:
            continue
        found = out[lk.from_column].replace_strict(lk.table, default=None, return_dtype=pl.String)
        out[lk.field] = pl.select(pl.coalesce(out[lk.field], found)).to_series()
        missing = out[lk.from_column].is_not_null() & found.is_null()
        if missing.any():
            report.warn("lookup_missing", f"{int(missing.sum())} 行的 {lk.from_column} 在 {lk.file} 中找不到，{lk.field} 为空",
                        f"{int(missing.sum())} rows have a {lk.from_column} not found in {lk.file}; their {lk.field} stays empty")

    projects = pl.DataFrame({k: out[k].alias(k) for k in PROJECT_SCHEMA}).cast(PROJECT_SCHEMA)

    events = [
        pl.DataFrame({"project_id": ids, "entered_on": v}).select(
            "project_id", pl.lit(code, pl.String).alias("stage"), "entered_on"
        )
        for code, v in stage_dates.items()
    ]
    if events:
        ev = (
            pl.concat(events)
            .drop_nulls()  # one row per (project, stage column): unique while ids are unique
            .with_columns(source=pl.lit("stage_dates"), previous_stage=pl.lit(None, pl.String))
            .select(list(EVENT_SCHEMA))
            .cast(EVENT_SCHEMA)
        )
    else:
        ev = empty_events()
    return projects, ev


def _duplicate_ids(report: Report, projects: pl.DataFrame) -> None:
    """A project id twice in one file (after NFKC folding: ＨＸ－００１ is HX-001) is an
    error naming every place it occurs — the rows, and the sheets when there are several."""
    frame = projects.select("project_id", "_sheet", "_row", "_header").drop_nulls("project_id")
    dup = (
        frame.filter(pl.col("project_id").is_duplicated())
        .group_by("project_id", maintain_order=True)
        .agg(pl.col("_sheet"), pl.col("_row"), pl.col("_header").first())
    )
    several = frame["_sheet"].n_unique() > 1
    for pid, sheets, rs, header in dup.head(_ISSUES_LISTED).iter_rows():
        if several:
            where_zh = "、".join(f"工作表「{sh}」第 {r} 行" for sh, r in zip(sheets, rs, strict=True))
            where_en = ", ".join(f"sheet '{sh}' row {r}" for sh, r in zip(sheets, rs, strict=True))
        else:
            where_zh = f"第 {'、'.join(map(str, rs))} 行"
            where_en = f"rows {', '.join(map(str, rs))}"
        report.error(
            "duplicate_id",
            f"项目编号重复，出现在{where_zh}（全角与半角写法视为同一编号）；每个项目在一个文件里只能有一行",
            f"duplicate project id on {where_en} (full-width and half-width forms are the same id); "
            "a project may appear only once per file",
            row=rs[1], column=header, value=pid, expected_zh="唯一的项目编号", expected_en="a unique project id",
            sheet=sheets[1],
        )
    if dup.height > _ISSUES_LISTED:
        report.issues_not_listed["duplicate_id:project_id"] = dup.height - _ISSUES_LISTED


def _history(report, data, rows, cols, mapping, config, constants):
    if not _require(report, cols, ("project_id", "stage", "entered_on"), "阶段历史", "stage history", config):
        return empty_events()
    ignored = [c.header for c in report.columns if c.canonical not in HISTORY_FIELDS]
    if ignored:
        report.columns = [c for c in report.columns if c.canonical in HISTORY_FIELDS]
        report.ignored_columns.extend(ignored)
    ids = _ids(report, data, rows, cols)
    stage_names, status_words = _stage_words(mapping, config)
    col, header, _ = cols.by_field["stage"]
    stage, status = _stage_column(report, data[col], rows, header, stage_names, status_words)
    col, header, _ = cols.by_field["entered_on"]
    entered = _date_column(report, data, col, header, constants.get("date_order"), rows)
    missing_date = data[col].is_null() | (data[col].str.strip_chars() == "")
    _cell_errors(report, missing_date, data[col], rows, code="missing_date", column=header, zh="日期为空", en="the date is empty",
                 expected_zh="进入该阶段的日期", expected_en="the date the stage was entered")
    previous = _nulls(data.height, pl.String)
    if "previous_stage" in cols.by_field:
        col, header, _ = cols.by_field["previous_stage"]
        previous, _prev_status = _stage_column(report, data[col], rows, header, stage_names, status_words)
    # A status word in the stage column: won/completed = entering the 'won' stage (the
    # contract is signed); lost/dropped/open are not stage entries and are skipped, counted.
    won = config.role_stage("won").code
    stage = pl.select(pl.coalesce(stage, pl.when(status.is_in(["won", "completed"])).then(pl.lit(won)))).to_series()
    status_only = stage.is_null() & status.is_not_null()
    report.skip("status change, not a stage entry (lost/dropped) / 状态变更（丢单/放弃），不是阶段", int(status_only.sum()))
    frame = pl.DataFrame(
        {"project_id": ids, "stage": stage, "entered_on": entered, "previous_stage": previous, "row": rows}
    ).with_columns(source=pl.lit("history", pl.String)).filter(~status_only)
    before = frame.height
    frame = frame.unique(["project_id", "stage", "entered_on"], keep="first", maintain_order=True)
    report.skip("duplicate stage entry (same project, stage, date) / 重复的阶段记录", before - frame.height)
    return frame.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)


__all__ = ["EVENT_SCHEMA", "PROJECT_SCHEMA", "label", "prepare_local"]
