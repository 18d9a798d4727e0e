"""The margin checks and the process exceptions as data: one row per check (code,
severity, order, zh/en label and detail template; a margin check also the thresholds it
reads), and the one place their texts are built.

``queries/margin.sql`` evaluates each check once (a struct: failed, value, threshold) and
takes its severity and order from here (bound as ``$check_codes`` / ``$check_severities``);
the runner adds the ``detail`` (English) and ``detail_zh`` columns from the templates
(``with_detail``); the UI shows the one of its language. Adding a check: a row here, a struct in
margin.sql (docs/ARCHITECTURE.md, "How to add a check").

Templates name only columns of the margin query's output, each with a format:
``{value:pct}`` (a ratio as 12.3%), ``{value:pts}`` (percentage points, 1 decimal),
``{reference_on:date}`` (an ISO date). Must
not import streamlit or anything from dashboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # high | medium | low
    label_en: str
    label_zh: str
    detail_en: str  # template over the margin query's columns (see the module docstring)
    detail_zh: str
    thresholds: tuple[str, ...]  # the [thresholds] keys of domain.toml it reads

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def detail(self, lang: str) -> str:
        return self.detail_zh if lang == "zh" else self.detail_en


# In the order a project's failed checks are listed (docs/ANALYSES.md, "Margin").
MARGIN_CHECKS: tuple[Check, ...] = (
    Check("negative_margin", "high", "Negative margin", "负毛利",
          "margin {value:pct} is negative", "毛利率 {value:pct} 为负", ()),
    Check("below_floor", "medium", "Margin below floor", "毛利率低于底线",
          "margin {value:pct} < floor {threshold:pct}", "毛利率 {value:pct} 低于底线 {threshold:pct}",
          ("margin_floor", "margin_floor_by_category", "margin_floor_by_grade")),
    Check("eroded", "medium", "Margin eroded since approval", "毛利率较立项下降",
          "margin {reference:pct} on {reference_on:date} -> {margin:pct} now: {value:pts} points lost "
          "(limit {threshold:pts})",
          "毛利率由 {reference_on:date} 的 {reference:pct} 降至 {margin:pct}：下降 {value:pts} 个百分点（阈值 {threshold:pts}）",
          ("erosion_points",)),
    Check("bid_below_floor", "high", "Bid below floor (should have been no-bid)", "低于底线仍投标（应不投标）",
          "reached the tender with bid margin {value:pct} < floor {threshold:pct}: should have been a no-bid",
          "已到招投标阶段，投标毛利率 {value:pct} 低于底线 {threshold:pct}：应不投标",
          ("margin_floor", "margin_floor_by_category", "margin_floor_by_grade")),
    Check("missing_estimate", "low", "No cost/margin estimate after approval", "立项后缺少成本/毛利估算",
          "No cost or margin estimate after approval", "立项之后仍没有成本或毛利率估算", ()),
    Check("high_expense_ratio", "medium", "Sales expense far above peers", "销售费用率远高于同类",
          "sales expense {value:pct} of amount > {threshold:pct} (grade median {reference:pct} × factor)",
          "销售费用率 {value:pct} 高于阈值 {threshold:pct}（同等级中位数 {reference:pct} × 倍数）", ("expense_ratio_factor",)),
)
BY_CODE: dict[str, Check] = {c.code: c for c in MARGIN_CHECKS}


@dataclass(frozen=True)
class ProcessCheck:
    """A process exception (queries/process_exceptions.sql names its rule once): severity,
    order (its position), zh/en name and the page's detail template over ``{stage}`` (the
    stage's name in the page's language). The query's own ``detail`` (English, stage codes,
    the dates and neighbouring stages) is for the command line."""

    code: str
    severity: str  # high | medium | info
    label_en: str
    label_zh: str
    detail_en: str
    detail_zh: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def detail(self, lang: str, stage: str) -> str:
        return (self.detail_zh if lang == "zh" else self.detail_en).format(stage=stage)


# In the order a project's exceptions are listed (docs/ANALYSES.md, "Process exceptions").
PROCESS_CHECKS: tuple[ProcessCheck, ...] = (
    ProcessCheck("skipped_stage", "medium", "Skipped a stage", "跳过阶段",
                 "{stage} never recorded (skipped)", "未记录「{stage}」阶段"),
    ProcessCheck("fell_back", "medium", "Moved backwards", "阶段回退", "Moved back to {stage}", "回退到「{stage}」"),
    ProcessCheck("out_of_order_dates", "medium", "Stage dates out of order", "阶段日期顺序错误",
                 "{stage} dated before an earlier stage", "「{stage}」的日期早于之前阶段"),
    ProcessCheck("contract_without_tender", "high", "Contract without a tender", "签约但无投标记录",
                 "Contract signed with no tender recorded", "已签约但没有招投标记录"),
    ProcessCheck("first_seen_mid_funnel", "info", "First seen mid-funnel", "首次出现即在中途阶段",
                 "First recorded at {stage}; earlier stages counted as reached", "首次记录即在「{stage}」，之前阶段计为已到达"),
    ProcessCheck("same_day_moves", "info", "Several moves on one day", "同一天多次变更阶段",
                 "Entered and left {stage} on the same day", "同一天进入并离开「{stage}」"),
)
PROCESS_BY_CODE: dict[str, ProcessCheck] = {c.code: c for c in PROCESS_CHECKS}

_FIELD = re.compile(r"\{(\w+):(pct|pts|date)\}")


def check_params() -> dict[str, list[str]]:
    """The registry as the parameters the queries bind: codes in order, their severities
    (margin.sql: ``$check_*``; process_exceptions.sql: ``$exception_*``)."""
    return {"check_codes": [c.code for c in MARGIN_CHECKS], "check_severities": [c.severity for c in MARGIN_CHECKS],
            "exception_codes": [c.code for c in PROCESS_CHECKS],
            "exception_severities": [c.severity for c in PROCESS_CHECKS]}


def _number(column: str, kind: str) -> pl.Expr:
    if kind == "date":
        return pl.col(column).cast(pl.String)
    scaled = pl.col(column).cast(pl.Float64) * (100 if kind == "pct" else 1)
    text = scaled.round(1).cast(pl.String)
    return text + "%" if kind == "pct" else text


def _template_expr(template: str) -> pl.Expr:
    parts = _FIELD.split(template)  # literal, column, kind, literal, ...
    literals, fields = parts[0::3], list(zip(parts[1::3], parts[2::3], strict=True))
    if not fields:
        return pl.lit(template)
    return pl.format("{}".join(literals), *(_number(c, k) for c, k in fields))


def render(df: pl.DataFrame, lang: str, otherwise: pl.Expr | None = None) -> pl.Series:
    """Each row's detail in ``lang`` from its check's template, over the margin query's
    columns, one check at a time (each template formats only its own rows: a when-chain
    over every template was ~6x the work); a code not in the registry gets ``otherwise``."""
    indexed = df.with_row_index("_i")
    parts = [indexed.filter(pl.col("check") == c.code).select("_i", _template_expr(c.detail(lang)).alias("detail"))
             for c in MARGIN_CHECKS]
    known = pl.col("check").is_in([c.code for c in MARGIN_CHECKS])
    rest = indexed.filter(~known | pl.col("check").is_null()).select(
        "_i", (otherwise if otherwise is not None else pl.lit(None, pl.String)).alias("detail"))
    return pl.concat([*parts, rest]).sort("_i").get_column("detail")


def with_detail(df: pl.DataFrame) -> pl.DataFrame:
    """The margin query's rows with ``detail`` (English) and ``detail_zh`` after
    ``threshold``, as the CLI and every caller of ``queries.run`` see them: the texts are
    built here, where every column a template names is at hand, and the UI only picks the
    language's column."""
    if "detail" in df.columns:
        return df
    out = df.with_columns(render(df, "en"), render(df, "zh").alias("detail_zh"))
    columns = list(df.columns)
    at = columns.index("threshold") + 1 if "threshold" in columns else len(columns)
    return out.select(*columns[:at], "detail", "detail_zh", *columns[at:])
