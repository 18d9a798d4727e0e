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

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from dashboard.config import DomainConfig, normalize
from dashboard.ingest import values as V
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.read import Grid, file_type, read_csv_grid, read_excel_grid
from dashboard.ingest.report import ColumnMatch, Report

TEXT_FIELDS = ("project_name", "customer", "region", "owner", "category", "lost_reason")
AMOUNT_FIELDS = (
    "expected_amount",
    "contract_amount",
    "estimated_cost",
    "bid_amount",
    "actual_cost",
    "expense_budget",
    "expense_actual",
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

    def score(self, cells: list[str | None]) -> int:
        return len({m for m in (self.match(c)[0] for c in cells if c) if m})


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _recognise(grid: Grid, matcher: HeaderMatcher, report: Report) -> Columns:
    by_field: dict[str, tuple[str, str, str | None]] = {}
    how_of: dict[str, str] = {}
    seen: dict[str, int] = {}
    for i, header in enumerate(grid.header):
        col = f"c{i}"
        if header is None:
            if grid.data[col].drop_nulls().len():
                report.ignored_columns.append(f"({_letter(i)}: no header)")
            continue
        key = normalize(header)
        if key in seen:
            first = seen[key]
            report.error(
                "duplicate_header",
                f"表头重复：第 {_letter(first)} 列和第 {_letter(i)} 列都叫「{header}」，无法判断哪一列是哪个字段；请改名或删除其中一列",
                f"duplicate header: columns {_letter(first)} and {_letter(i)} are both called '{header}'; "
                "rename or delete one of them",
                row=grid.header_row,
                column=header,
            )
            continue
        seen[key] = i
        canonical, how, unit = matcher.match(header)
        if not canonical:
            report.ignored_columns.append(header)
            continue
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
        report.columns.append(ColumnMatch(header=header, canonical=canonical, how=how or "alias", unit=unit))
    return Columns(by_field=by_field)


def _side_by_side(grid: Grid, report: Report) -> None:
    """A header row with a run of empty cells between named ones: several tables were
    laid out side by side (a sheet saved as CSV). Said plainly, as the likely cause."""
    named = [i for i, h in enumerate(grid.header) if h is not None]
    gaps = [(a, b) for a, b in zip(named, named[1:]) if b - a > 1]
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
    report: Report, given: date | None, name: str, grid: Grid, column_date: date | None, today: date
) -> None:
    from_title = V.find_date_in_text(grid.title_text) if grid.title_text else None
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
) -> tuple[Report, pl.DataFrame, pl.DataFrame]:
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
        grid = read_csv_grid(data, report, matcher.score)
    else:
        grid = read_excel_grid(data, report, matcher.score)
    if grid is None:
        if report.as_of is None:
            _as_of(report, as_of, name, Grid([], pl.DataFrame(), pl.Series([], dtype=pl.Int64)), None, today)
        return report, empty_projects(), empty_events()
    report.sheet = grid.sheet
    report.sheets_considered = grid.sheets_considered
    report.header_row = grid.header_row
    report.rows_read = grid.data.height
    cols = _recognise(grid, matcher, report)
    _side_by_side(grid, report)
    constants = mapping.constants if mapping else {}
    kind = constants.get("kind") or ("history" if "entered_on" in cols.by_field else "projects")
    report.kind = kind

    # Blank rows and totals rows go first, counted with their reason.
    data, rows = grid.data, grid.row_numbers
    total_cols = list(data.columns[:3])
    for f in ("project_id", "project_name"):
        if f in cols.by_field:
            total_cols.append(cols.by_field[f][0])
    flags = data.select(
        blank=pl.all_horizontal(
            [pl.col(c).is_null() | (pl.col(c).str.strip_chars().str.len_bytes() == 0) for c in data.columns]
        ),
        totals=pl.any_horizontal(
            [
                pl.col(c).str.replace_all(" ", "", literal=True).str.strip_chars().str.strip_chars_end(":：")
                .str.to_lowercase().is_in(_TOTAL_WORDS).fill_null(False)
                for c in dict.fromkeys(total_cols)
            ]
        ),
    ) if data.width else pl.DataFrame({"blank": [], "totals": []}, schema={"blank": pl.Boolean, "totals": pl.Boolean})
    blank = flags["blank"]
    totals = flags["totals"] & ~blank
    report.skip("blank row / 空行", int(blank.sum()))
    report.skip("totals row (合计/Total) / 合计行", int(totals.sum()))
    keep = ~(blank | totals)
    data, rows = data.filter(keep), rows.filter(keep)
    if kind_of_file != "csv":
        for c in data.columns:
            hit = data[c].str.contains("\ufffd", literal=True).fill_null(False)
            if hit.any():
                i = int(hit.arg_true()[0])
                header = grid.header[int(c[1:])] or _letter(int(c[1:]))
                report.error("bad_text", "单元格含有替换字符 U+FFFD（原字符已丢失）", "the cell holds the replacement character U+FFFD (text already lost)", row=int(rows[i]), column=header)

    column_date = None
    if "as_of" in cols.by_field:
        col, header, _ = cols.by_field["as_of"]
        parsed = V.parse_dates(data[col], constants.get("date_order"))
        distinct = parsed.values.drop_nulls().unique()
        if distinct.len() == 1:
            column_date = distinct[0]
        elif distinct.len() > 1:
            report.warn("as_of_column", f"「{header}」列有多个不同日期，未用作数据日期", f"'{header}' holds several dates; not used as the as-of date", column=header)
    _as_of(report, as_of, name, grid, column_date, today)

    if kind == "history":
        projects, events = empty_projects(), _history(report, data, rows, cols, mapping, config, constants)
    else:
        projects, events = _projects(report, data, rows, cols, mapping, config, constants)
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
    return report, projects, events


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
    ids = V.clean_text(raw)
    _cell_errors(report, ids.is_null(), raw, rows, code="missing_id", column=header, zh="项目编号为空", en="the project id is empty", expected_zh="项目编号", expected_en="a project id")
    return ids


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


def _projects(report, data, rows, cols, mapping, config, constants):
    if not _require(report, cols, ("project_id",), "项目台账", "project export", config):
        return empty_projects(), empty_events()
    ids = _ids(report, data, rows, cols)
    out: dict[str, pl.Series] = {"project_id": ids}
    n = data.height
    for f in TEXT_FIELDS:
        s = _get(data, cols, f)
        out[f] = V.clean_text(s) if s is not None else _nulls(n, pl.String)

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
        _, header, unit = cols.by_field[f]
        amount_unit = unit if unit in V.UNIT_FACTORS else (normalize(default_unit) if default_unit else None)
        value, bad = V.parse_amounts(s, amount_unit)
        _cell_errors(report, bad, s, rows, code="bad_amount", column=header, zh="不是可识别的金额", en="not an amount",
                     expected_zh="数字，如 1,234,567.89 或 123.5万", expected_en="a number such as 1,234,567.89 (or 123.5万)")
        out[f] = value
    s = _get(data, cols, "estimated_margin")
    if s is not None:
        _, header, unit = cols.by_field["estimated_margin"]
        value, bad = V.parse_margins(s, unit)
        _cell_errors(report, bad, s, rows, code="bad_margin", column=header, zh="不是可识别的毛利率", en="not a margin",
                     expected_zh="如 0.23、23 或 23%（不超过 100%）", expected_en="a ratio or percentage such as 0.23, 23 or 23% (at most 100%)")
        out["estimated_margin"] = value
        if unit not in V.PERCENT_UNITS and V.mixed_margin_scale(s):
            report.warn(
                "margin_scale",
                f"「{header}」列既有 0–1 的比例（如 0.15 = 15%）又有百分数（如 18 = 18%），已逐格按大小读取；若 0.15 指 0.15%，请写成 0.15%",
                f"'{header}' mixes ratios (0.15 = 15 %) and percent numbers (18 = 18 %); each cell was read by its size — "
                "if 0.15 meant 0.15 %, write 0.15%",
                column=header,
            )
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
    # delivery by definition; otherwise the stage whose date is latest; else the last
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
        pl.when(pl.lit(status).is_in(["won", "completed"])).then(pl.lit("delivery"))
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
    _duplicate_ids(report, projects["project_id"], rows, cols.by_field["project_id"][1])

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


def _duplicate_ids(report: Report, ids: pl.Series, rows: pl.Series, header: str) -> None:
    frame = pl.DataFrame({"id": ids, "row": rows}).drop_nulls("id")
    dup = frame.filter(pl.col("id").is_duplicated()).group_by("id", maintain_order=True).agg(pl.col("row"))
    for pid, rs in dup.head(_ISSUES_LISTED).iter_rows():
        report.error(
            "duplicate_id",
            f"项目编号重复，出现在第 {'、'.join(map(str, rs))} 行；每个项目在一个文件里只能有一行",
            f"duplicate project id on rows {', '.join(map(str, rs))}; a project may appear only once per file",
            row=rs[1], column=header, value=pid, expected_zh="唯一的项目编号", expected_en="a unique project id",
        )
    if dup.height > _ISSUES_LISTED:
        report.issues_not_listed[f"duplicate_id:{header}"] = dup.height - _ISSUES_LISTED


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
    # A status word in the stage column: won/completed = entering delivery (the contract
    # is signed); lost/dropped/open are not stage entries and are skipped, counted.
    stage = pl.select(pl.coalesce(stage, pl.when(status.is_in(["won", "completed"])).then(pl.lit("delivery")))).to_series()
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
