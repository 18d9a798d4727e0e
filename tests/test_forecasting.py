"""The Forecast page's pure pieces: chart builders (valid Vega-Lite, bars from zero, labels
in the language) and dashboard/forecasting.py, on the hand-built world of
test_forecast_given.py run through the real queries."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from test_charts import _bar_value_scales
from test_forecast_given import _back_world, _world
from test_queries_helpers import load

import queries
from dashboard import charts, forecasting, store
from queries import ALL_REGIONS, Filters


@pytest.fixture(scope="module")
def results():
    con = store.connect_memory()
    load(con, _world())
    out = {n: queries.run(con, n, Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19))) for n in ("forecast", "trends", "win_probabilities")}
    back = store.connect_memory()
    load(back, _back_world())
    out["backtest"] = queries.run(back, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)))
    con.close()
    back.close()
    return out


def _quantitative_scales(spec) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for channel in ("y",):
                enc = (node.get("encoding") or {}).get(channel) or {}
                if enc.get("type") == "quantitative":
                    found.append(enc.get("scale") or {})
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_forecast_charts_are_valid_and_read_from_zero(results, lang):
    built = {
        "forecast_bars": charts.forecast_bars(results["forecast"], lang, "wan"),
        "backtest_lines": charts.backtest_lines(results["backtest"], lang, "wan", kind="month"),
        "trend_panels": charts.trend_panels(results["trends"], lang, "wan"),
    }
    for name, chart in built.items():
        spec = charts.vega_lite_spec(chart, validate=True)
        for _field, scale in _bar_value_scales(spec):
            assert scale.get("zero") is True, name
        for scale in _quantitative_scales(spec):  # lines too: a trend is read against zero
            assert scale.get("zero") is True, (name, scale)
    bars = charts.vega_lite_spec(built["forecast_bars"])
    assert _bar_value_scales(bars), "no bars found"
    data = next(iter(bars["datasets"].values()))
    won = data[(data["period"] == "2026-01") & (data["order"] == 0)]
    assert list(won["value"]) == [37.0 if lang == "zh" else 0.37]  # 370,000 元 = 37 万元 = ¥0.37M
    assert ("已赢单" if lang == "zh" else "Won so far") in set(data["measure"])


def test_the_back_test_chart_marks_periods_that_have_not_ended(results):
    spec = charts.vega_lite_spec(charts.backtest_lines(results["backtest"], "en", "yuan", kind="month"))
    data = next(iter(spec["datasets"].values()))
    forecast = data[data["series"] == "Forecast then (weighted)"].sort_values("made_on")
    assert list(forecast["complete"]) == [True, True, False, False]
    assert list(forecast["value"])[1] == pytest.approx(100000.0)


def test_backtest_errors_leave_out_running_periods_and_empty_ones():
    df = pl.DataFrame({
        "period_kind": ["month"] * 4 + ["quarter"],
        "is_complete": [True, True, True, False, True],
        "weighted": [150.0, 50.0, 10.0, 999.0, 1.0],
        "actual": [100.0, 100.0, 0.0, 1.0, 0.0],
        "n_unpriced": [0, 3, 0, 0, 0],
    })
    e = forecasting.backtest_errors(df, "month")
    # rows 1 and 2 only (row 3 won nothing, row 4 not ended): |50|/100, |-50|/100; row 2 had unpriced projects
    assert e == {"n_periods": 2, "mape": pytest.approx(0.5), "bias": pytest.approx(0.0), "n_unpriced": 1}
    assert forecasting.backtest_errors(df, "quarter") == {"n_periods": 0, "mape": None, "bias": None, "n_unpriced": 0}


def test_the_probability_matrix_has_stage_rows_and_grade_columns(results):
    m = forecasting.probability_matrix(results["win_probabilities"])
    assert m.columns == ["stage", "A", "B", "C"]
    assert m["stage"].to_list() == ["development", "approval", "proposal", "tender", "negotiation"]
    neg = m.filter(pl.col("stage") == "negotiation").row(0, named=True)
    assert (neg["A"], neg["B"], neg["C"]) == (pytest.approx(7 / 12), pytest.approx(8 / 13), pytest.approx(0.6))
    with_null = results["win_probabilities"].with_columns(pl.lit(None, pl.String).alias("grade")).unique(["stage"])
    assert forecasting.probability_matrix(with_null).columns == ["stage", "–"]


def test_the_weekly_pack_gains_a_forecast_sheet_when_given_one(results):
    import fastexcel

    from dashboard import downloads

    empty = pl.DataFrame({"x": [1]})
    fc = results["forecast"].select("period", "won", "weighted", "expected_total")
    blob = downloads.weekly_pack(summary=empty, changes=empty, stalled=empty, margin_alerts=empty,
                                 funnel_region_grade=empty, forecast=fc, sheet_names={"forecast": "预测"})
    book = fastexcel.read_excel(blob)
    assert book.sheet_names == ["Summary", "Changes", "Stalled", "Margin alerts", "Funnel region x grade", "预测"]
    sheet = book.load_sheet("预测").to_polars()
    assert sheet["period"].to_list() == ["2026-01", "2026-02", "2026-Q1", "2026-Q2"]
    assert sheet["won"].to_list()[0] == 370000  # a number, not text
    without = downloads.weekly_pack(summary=empty, changes=empty, stalled=empty, margin_alerts=empty,
                                    funnel_region_grade=empty)
    assert len(fastexcel.read_excel(without).sheet_names) == 5


def test_every_tooltip_of_the_forecast_charts_is_titled_in_the_language(results):
    built = [charts.forecast_bars(results["forecast"], "zh", "wan"),
             charts.backtest_lines(results["backtest"], "zh", "wan", kind="month"),
             charts.trend_panels(results["trends"], "zh", "wan")]
    titles = []

    def walk(node):
        if isinstance(node, dict):
            tips = (node.get("encoding") or {}).get("tooltip")
            for tip in tips if isinstance(tips, list) else []:
                titles.append(tip.get("title"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for chart in built:
        walk(charts.vega_lite_spec(chart))
    assert titles and all(t and not t.isascii() for t in titles), titles


def test_unpriced_projects_are_counted_once_over_the_periods(results):
    # world W at S2: O1 (proposal, nothing closed there) signs in January: in this month and this quarter
    assert forecasting.unpriced(results["forecast"]) == (1, 100000.0)
