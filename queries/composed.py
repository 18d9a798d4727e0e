"""Queries composed from other queries (issue 12): each part is one .sql statement run
with the same bound parameters; what is composed here is only binding one result into the
next (the learned probabilities) or joining results on their segment. Must not import
streamlit.

* ``win_probabilities`` reads the counts kept at import (``win_counts``, for the company
  and for each region alone) when the caller sees every region or one; otherwise its .sql
  computes them (at one snapshot, or with ``all_snapshots`` at every snapshot at once;
  property tests hold the three equal).
* ``forecast``, ``backtest``, ``trends``, ``owners`` need P(win | stage, grade): the runner
  first runs ``win_probabilities`` (at ``as_of``, or at every snapshot for the back-test and
  the trends) and binds its rows as the parallel lists ``$p_as_of``, ``$p_stage``,
  ``$p_grade``, ``$p_value`` — the same way the thresholds' per-key lists are bound.
* ``trends`` adds the margin alerts per snapshot by running ``margin`` at each snapshot
  (one definition of a margin alert, not a second copy of the six checks).
* ``owners`` joins ``owners.sql`` (pipeline, weighted, sales cycle) with ``win_rate``,
  ``aging_summary`` and ``margin_summary`` run ``by='owner'``.
* ``slips_summary`` aggregates the whole ``slips`` list (no limit).
* ``targets`` runs its .sql after checking ``by`` (a target has no grade); ``owners`` gains
  each owner's target attainment of the current month and quarter from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import polars as pl

Execute = Callable[[duckdb.DuckDBPyConnection, str, dict[str, Any]], pl.DataFrame]


def probability_params(probs: pl.DataFrame) -> dict[str, list]:
    """Rows of ``win_probabilities`` as the lists the forecast queries unnest."""
    return {
        "p_as_of": probs.get_column("as_of").to_list(),
        "p_stage": probs.get_column("stage").to_list(),
        "p_grade": probs.get_column("grade").to_list(),
        "p_value": probs.get_column("probability").to_list(),
    }


def kept_scope(allowed_regions: Any) -> str | None:
    """The scope whose learned counts are kept at import (win_counts) for a caller allowed
    ``allowed_regions``: '*' for every region, the region for exactly one; None (compute
    them) for several regions, or none."""
    allowed = list(allowed_regions or [])
    if allowed == ["*"]:
        return "*"
    return allowed[0] if len(allowed) == 1 else None


def win_probabilities(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    """At ``as_of``, or at every snapshot up to it when ``all_snapshots``: the counts kept at
    import when the caller's scope has them (``scope``), else computed from project_facts
    (the same definition; ``computed`` forces this)."""
    scope = None if params.get("computed") else kept_scope(params.get("allowed_regions"))
    return execute(con, "win_probabilities", params | {"scope": scope})


def _with_probabilities(con, execute: Execute, params: dict[str, Any], *, every_snapshot: bool) -> dict[str, Any]:
    probs = win_probabilities(con, execute, params | {"all_snapshots": every_snapshot})
    return params | probability_params(probs)


def forecast(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    return execute(con, "forecast", _with_probabilities(con, execute, params, every_snapshot=False))


def forecast_projects(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    return execute(con, "forecast_projects", _with_probabilities(con, execute, params, every_snapshot=False))


def backtest(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    return execute(con, "backtest", _with_probabilities(con, execute, params, every_snapshot=True))


def trends(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    df = execute(con, "trends", _with_probabilities(con, execute, params, every_snapshot=True))
    alerts = []
    for as_of in df.get_column("as_of").to_list():
        m = execute(con, "margin", params | {"as_of": as_of, "project_id": None, "limit": None})
        alerts.append(m.get_column("project_id").n_unique())
    return df.with_columns(pl.Series("n_margin_alerts", alerts, dtype=pl.Int64))


TARGET_LEVELS = (None, "region", "owner", "category")


def targets(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    if params.get("by") not in TARGET_LEVELS:
        raise ValueError(f"targets are by region, owner or category (a target has no grade), got {params.get('by')!r}")
    return execute(con, "targets", params)


def _owner_attainment(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    """owner -> the current month's and quarter's target, won against it and attainment (an
    owner with targets in several regions: summed over the regions that have one)."""
    rows = execute(con, "targets", params | {"by": "owner"}).filter(pl.col("is_current"))
    parts = []
    for kind in ("month", "quarter"):
        part = rows.filter(pl.col("period_kind") == kind).group_by("owner").agg(
            pl.col("target_amount").sum().alias(f"{kind}_target"),
            pl.col("won").filter(pl.col("target_amount").is_not_null()).sum().alias(f"{kind}_target_won"),
            pl.col("target_amount").is_not_null().any().alias(f"_{kind}_has"),
        ).with_columns(
            pl.when(pl.col(f"_{kind}_has")).then(pl.col(f"{kind}_target")).alias(f"{kind}_target"),
        ).with_columns(
            (pl.col(f"{kind}_target_won").cast(pl.Float64) / pl.col(f"{kind}_target").cast(pl.Float64))
            .alias(f"{kind}_attainment"),
        ).select("owner", f"{kind}_target", f"{kind}_attainment")
        parts.append(part)
    return parts[0].join(parts[1], on="owner", how="full", coalesce=True, nulls_equal=True)


def owners(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    by_owner = params | {"by": "owner"}
    base = execute(con, "owners", _with_probabilities(con, execute, by_owner, every_snapshot=False))
    wins = execute(con, "win_rate", by_owner).select(
        pl.col("segment").alias("owner"), "n_won", "n_lost", "n_dropped", "n_closed", "win_rate", "won_amount")
    stalled = execute(con, "aging_summary", by_owner).group_by("segment").agg(
        pl.col("n_stalled").sum().alias("n_stalled")).rename({"segment": "owner"})
    margin = execute(con, "margin_summary", by_owner).select(pl.col("segment").alias("owner"), "expense_ratio")
    out = base
    for part in (wins, stalled, margin, _owner_attainment(con, execute, by_owner)):
        out = out.join(part, on="owner", how="left", nulls_equal=True)
    counts = ["n_won", "n_lost", "n_dropped", "n_closed", "n_stalled"]
    out = out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in counts]
                           + [pl.col("won_amount").fill_null(0)])
    return out.sort(["won_amount", "weighted", "owner"], descending=[True, True, False], nulls_last=True)


def slips_summary(con, execute: Execute, params: dict[str, Any]) -> pl.DataFrame:
    """One row (per segment with ``by``): this week's slips and the flagged projects,
    counted over the whole ``slips`` list."""
    listed = execute(con, "slips", params | {"limit": None, "project_id": None})
    by = params.get("by")
    seg = pl.col(by) if by else pl.lit(None, pl.String)
    amount = pl.col("expected_amount").cast(pl.Float64).fill_null(0)
    frame = listed.with_columns(seg.alias("segment"))
    out = frame.group_by("segment").agg(
        pl.col("slipped_this_week").sum().cast(pl.Int64).alias("n_slipped_week"),
        amount.filter(pl.col("slipped_this_week")).sum().alias("slipped_week_amount"),
        pl.col("out_of_month").sum().cast(pl.Int64).alias("n_out_of_month"),
        amount.filter(pl.col("out_of_month")).sum().alias("out_of_month_amount"),
        pl.col("out_of_quarter").sum().cast(pl.Int64).alias("n_out_of_quarter"),
        amount.filter(pl.col("out_of_quarter")).sum().alias("out_of_quarter_amount"),
        pl.col("is_flagged").sum().cast(pl.Int64).alias("n_flagged"),
        pl.len().cast(pl.Int64).alias("n_ever_slipped"),
    )
    if by is None and out.height == 0:  # unsegmented: always one row
        out = pl.DataFrame({"segment": [None]}, schema={"segment": pl.String}).join(
            out, on="segment", how="left", nulls_equal=True).fill_null(0)
    return out.sort("segment", nulls_last=False)


COMPOSED: dict[str, Callable[..., pl.DataFrame]] = {
    "win_probabilities": win_probabilities,
    "forecast": forecast,
    "forecast_projects": forecast_projects,
    "backtest": backtest,
    "trends": trends,
    "owners": owners,
    "slips_summary": slips_summary,
    "targets": targets,
}
