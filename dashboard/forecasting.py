"""What the Forecast page computes from the forecast queries' results (no Streamlit, no
SQL): the back-test's error figures, the probability matrix, one period's row.

Pure functions over Polars frames, unit-tested in tests/test_forecast_given.py and
tests/test_forecasting.py.
"""

from __future__ import annotations

import polars as pl

PERIOD_KINDS = ("month", "quarter")


def backtest_errors(backtest: pl.DataFrame, kind: str) -> dict[str, float | int | None]:
    """Error of the back-test for one period kind over its *complete* periods (the period
    ended by the snapshot the truth is read at) with something won (actual > 0):

    * ``mape``: mean of |weighted − actual| / actual over those rows (each snapshot's
      forecast is one row: a month forecast four times counts four times);
    * ``bias``: Σ (weighted − actual) / Σ actual — below 0 the forecast was too low;
    * ``n_periods``: how many rows that is (0: no figure, both None);
    * ``n_unpriced``: how many of them had open projects without a learned probability
      (added as 0: typically the first snapshots, before anything had closed).
    """
    rows = backtest.filter(
        (pl.col("period_kind") == kind) & pl.col("is_complete") & (pl.col("actual").cast(pl.Float64) > 0)
    )
    if rows.height == 0:
        return {"n_periods": 0, "mape": None, "bias": None, "n_unpriced": 0}
    actual = rows.get_column("actual").cast(pl.Float64)
    error = rows.get_column("weighted").cast(pl.Float64) - actual
    mape, bias = pl.DataFrame({"e": error, "a": actual}).select(
        (pl.col("e").abs() / pl.col("a")).mean().alias("mape"), (pl.col("e").sum() / pl.col("a").sum()).alias("bias")).row(0)
    return {
        "n_periods": rows.height,
        "mape": float(mape),
        "bias": float(bias),
        "n_unpriced": int((rows.get_column("n_unpriced") > 0).sum()) if "n_unpriced" in rows.columns else 0,
    }


def period_row(forecast: pl.DataFrame, kind: str, offset: int) -> dict | None:
    """The unsegmented forecast row of one period (``offset`` 0 = current, 1 = next)."""
    rows = forecast.filter((pl.col("period_kind") == kind) & (pl.col("period_offset") == offset))
    return rows.row(0, named=True) if rows.height else None


def unpriced(forecast: pl.DataFrame) -> tuple[int, float]:
    """Open projects (count, expected amount) in the forecast's periods without a learned
    probability. Counted over the two quarters: they hold both months (the next month is in
    this quarter or the next), and a project is in at most one quarter."""
    q = forecast.filter(pl.col("period_kind") == "quarter")
    return int(q.get_column("n_unpriced").sum()), float(q.get_column("unpriced_amount").cast(pl.Float64).sum())


def probability_matrix(probabilities: pl.DataFrame) -> pl.DataFrame:
    """win_probabilities at one snapshot as stage rows × grade columns (P), in stage order;
    a null grade is the column ``–``."""
    if probabilities.height == 0:
        return pl.DataFrame({"stage": []}, schema={"stage": pl.String})
    df = probabilities.with_columns(pl.col("grade").fill_null("–"))
    grades = sorted(df.get_column("grade").unique().to_list(), key=lambda g: (g == "–", g))
    wide = df.pivot(on="grade", index=["stage_order", "stage"], values="probability").sort("stage_order")
    return wide.select("stage", *[g for g in grades if g in wide.columns])
