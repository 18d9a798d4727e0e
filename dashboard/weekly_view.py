"""What the weekly review computes, without Streamlit: the headline figures with last
week's values, which change rows a waterfall bar stands for, the order the margin alerts
are listed in, and the review pack's summary rows and its funnel-by-region×grade sheet.

dashboard/app_pages/weekly.py loads the query results (through dashboard/data.py) and
renders; the figures themselves come from here, so they are unit-tested on plain frames.
Must not import streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

# Waterfall step -> the change rows behind it (amount steps list the changes beyond the
# configured share; smaller moves are in the bar but not named as a change).
STEP_CHANGES: dict[str, tuple[str, ...]] = {
    "new": ("new",), "reappeared": ("reappeared",), "reopened": ("reopened", "reappeared"),
    "increased": ("amount_up",), "decreased": ("amount_down",), "won": ("won",),
    "lost": ("lost",), "dropped": ("dropped",), "vanished": ("vanished",),
}
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "info": 3}
PACK_FUNNEL_COLUMNS = ["region", "grade", "stage", "reached", "step_conversion", "cumulative_conversion",
                       "decided_conversion", "n_open_here", "n_lost_here", "n_dropped_here", "n_skipped",
                       "expected_amount"]


@dataclass(frozen=True)
class Kpis:
    """The headline figures now and at the previous snapshot (None: not known — a query
    failed, or there is no previous snapshot)."""

    amount_now: float | None = None
    amount_prev: float | None = None
    count_now: int | None = None
    count_prev: int | None = None
    n_won: int | None = None
    n_lost: int | None = None
    rate_now: float | None = None
    rate_prev: float | None = None
    stalled_now: int | None = None
    stalled_prev: int | None = None
    alerts_now: int | None = None
    alerts_prev: int | None = None

    def change(self, figure: str) -> Any:
        """``figure``_now − ``figure``_prev, None when either is unknown."""
        return diff(getattr(self, f"{figure}_now"), getattr(self, f"{figure}_prev"))


def diff(now: Any, before: Any) -> Any:
    """now − before, None when either is unknown (a figure without last week's value)."""
    return None if now is None or before is None else now - before


def pipeline_ends(summary: pl.DataFrame | None) -> dict[str, dict[str, Any]]:
    """The ``start`` and ``end`` rows of ``changes_summary`` (the open pipeline last week and
    now, as the waterfall defines it); {} when the summary is missing."""
    if summary is None:
        return {}
    return {r["step"]: r for r in summary.iter_rows(named=True) if r["step"] in ("start", "end")}


def open_pipeline(projects: pl.DataFrame) -> tuple[float, int]:
    """Amount and count of the open projects of a ``projects`` list (outcome open: the
    waterfall's definition), for a snapshot without a previous one."""
    open_rows = projects.filter(pl.col("outcome") == "open")
    return float(open_rows.get_column("expected_amount").cast(pl.Float64).fill_null(0).sum()), open_rows.height


def changed(changes: pl.DataFrame | None, kinds: Sequence[str]) -> pl.DataFrame | None:
    return None if changes is None else changes.filter(pl.col("change").is_in(list(kinds)))


def stalled(aging: pl.DataFrame | None) -> pl.DataFrame | None:
    return None if aging is None else aging.filter(pl.col("is_stalled"))


def n_projects(df: pl.DataFrame | None) -> int | None:
    return None if df is None else df.get_column("project_id").n_unique()


def win_rate(df: pl.DataFrame | None) -> float | None:
    """The rate of a ``win_rate`` result (None without one)."""
    return None if df is None or df.height == 0 else df.get_column("win_rate")[0]


def kpis(*, summary: pl.DataFrame | None, projects: pl.DataFrame | None, changes: pl.DataFrame | None,
         aging: pl.DataFrame | None, prev_aging: pl.DataFrame | None, margin: pl.DataFrame | None,
         prev_margin: pl.DataFrame | None, rate: pl.DataFrame | None, prev_rate: pl.DataFrame | None) -> Kpis:
    """The headline figures from the query results: the open pipeline from the waterfall's
    own start/end rows (else from the project list), won and lost/dropped this week (projects
    among the changes), the win rate over every close, stalled projects, projects with a
    margin alert — each with last week's value where it has one."""
    ends = pipeline_ends(summary)
    amount_now = amount_prev = count_now = count_prev = None
    if len(ends) == 2:
        amount_now, count_now = float(ends["end"]["amount"] or 0), int(ends["end"]["n_projects"] or 0)
        amount_prev, count_prev = float(ends["start"]["amount"] or 0), int(ends["start"]["n_projects"] or 0)
    elif projects is not None:
        amount_now, count_now = open_pipeline(projects)
    stalled_now, stalled_prev = stalled(aging), stalled(prev_aging)
    return Kpis(
        amount_now=amount_now, amount_prev=amount_prev, count_now=count_now, count_prev=count_prev,
        n_won=n_projects(changed(changes, ("won",))), n_lost=n_projects(changed(changes, ("lost", "dropped"))),
        rate_now=win_rate(rate), rate_prev=win_rate(prev_rate),
        stalled_now=None if stalled_now is None else stalled_now.height,
        stalled_prev=None if stalled_prev is None else stalled_prev.height,
        alerts_now=n_projects(margin), alerts_prev=n_projects(prev_margin),
    )


def decision_order(margin: pl.DataFrame) -> pl.DataFrame:
    """Margin alerts as the review lists them: high severity first, then the worst margin."""
    return margin.with_columns(
        pl.col("severity").replace_strict(SEVERITY_RANK, default=9, return_dtype=pl.Int32).alias("_rank")
    ).sort(["_rank", "margin"], nulls_last=True).drop("_rank")


def pack_summary_rows(k: Kpis, t: Callable[..., str], *, as_of: date | None, since: date | None,
                      amount_label: str, divisor: float, amount_format: str,
                      filters: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, object, str]]:
    """The review pack's summary sheet: (label, value, format) rows — the snapshot dates, the
    headline figures (amounts in the chosen unit), then the filters in force."""
    rows: list[tuple[str, object, str]] = [
        (t("as_of"), as_of, "date"),
        (t("compared_with", since="").strip(), since, "date"),
        (amount_label, None if k.amount_now is None else k.amount_now / divisor, amount_format),
        (t("kpi_open_count"), k.count_now, "int"),
        (t("kpi_won"), k.n_won, "int"),
        (t("kpi_lost"), k.n_lost, "int"),
        (t("kpi_win_rate"), k.rate_now, "pct"),
        (t("kpi_stalled"), k.stalled_now, "int"),
        (t("kpi_margin_alerts"), k.alerts_now, "int"),
    ]
    rows += [(label, ", ".join(values) if values else t("all"), "text") for label, values in filters]
    return rows


def insert_after(rows: list[tuple[str, object, str]], label: str,
                 more: Sequence[tuple[str, object, str]]) -> list[tuple[str, object, str]]:
    """``rows`` with ``more`` right after the row labelled ``label``."""
    at = 1 + next(i for i, r in enumerate(rows) if r[0] == label)
    return [*rows[:at], *more, *rows[at:]]


def funnel_by_region_grade(by_grade: Mapping[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The pack's funnel sheet from one ``funnel`` run by region per grade (the query
    segments one way): region, grade and the stage rows some project reached."""
    parts = [df.with_columns(pl.lit(grade).alias("grade")).rename({"segment": "region"}, strict=False)
             for grade, df in by_grade.items() if df.height]
    if not parts:
        return None
    return pl.concat(parts, how="vertical_relaxed").filter(pl.col("reached") > 0)
