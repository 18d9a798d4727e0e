"""Chart builders are pure: frames in, Altair charts out, with the selection pages read."""

import sys
from datetime import date, timedelta
from pathlib import Path

import altair as alt
import polars as pl

from dashboard import charts

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the query tests' hand-built world

FUNNEL = pl.DataFrame(
    {
        "stage": ["development", "approval", "proposal", "tender", "negotiation", "delivery"],
        "reached": [100, 80, 60, 40, 20, 10],
        "step_conversion": [0.8, 0.75, 0.67, 0.5, 0.5, None],
        "cumulative_conversion": [1.0, 0.8, 0.6, 0.4, 0.2, 0.1],
        "decided_conversion": [0.9, 0.8, 0.7, 0.6, 0.55, None],
    }
)


def _params(chart) -> set[str]:
    spec = charts.vega_lite_spec(chart, validate=True)
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for p in node.get("params", []) or []:
                if isinstance(p, dict) and "select" in p:
                    found.add(p["name"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def test_the_funnel_is_clickable_by_stage_and_labels_stages_in_the_language():
    chart = charts.funnel(FUNNEL, "zh")
    assert isinstance(chart, alt.TopLevelMixin)
    assert charts.PICK in _params(chart)
    assert "客户开发" in str(chart.to_dict())


def test_the_funnel_counts_projects_in_whole_numbers_from_zero():
    # two projects drew ticks 0.1 … 1.9 (a count read as a measure)
    spec = charts.funnel(FUNNEL.with_columns(pl.col("reached").clip(upper_bound=2)), "en").to_dict()
    layers = spec.get("layer", [spec])
    x = next(layer["encoding"]["x"] for layer in layers if layer.get("encoding", {}).get("x", {}).get("field") == "reached")
    assert x["axis"]["tickMinStep"] == 1 and x["axis"]["format"] == "d" and x["scale"]["zero"] is True


def test_the_heat_map_picks_segment_and_stage():
    seg = pl.concat([FUNNEL.with_columns(pl.lit(r).alias("region")) for r in ("华东", "华北")])
    chart = charts.heatmap(seg, "en", row="region", value="cumulative_conversion", value_title="Cum.", percent=True)
    assert charts.PICK in _params(chart)


def test_the_waterfall_balances_start_plus_steps_to_end():
    summary = pl.DataFrame(
        {"step": ["start", "new", "increased", "won", "end"], "amount": [100.0, 30.0, 5.0, -40.0, 95.0], "n_projects": [9, 2, 1, 1, 8]}
    )
    steps = charts.waterfall_steps(summary)
    assert steps.get_column("step").to_list() == ["start", "new", "increased", "won", "end"]
    won = steps.row(3, named=True)
    assert (won["lo"], won["hi"], won["kind"]) == (95.0, 135.0, "down")
    assert steps.row(4, named=True)["hi"] == 95.0
    assert charts.PICK in _params(charts.waterfall(summary, "zh", "wan"))


def test_a_waterfall_step_nobody_took_is_left_out():
    summary = pl.DataFrame({"step": ["start", "vanished", "end"], "amount": [10.0, 0.0, 10.0], "n_projects": [1, 0, 1]})
    assert charts.waterfall_steps(summary).get_column("step").to_list() == ["start", "end"]


def test_aging_margin_and_history_charts_build():
    aging = pl.DataFrame(
        {"stage": ["tender", "tender", "proposal"], "aging_bucket": ["0-30", ">90", "31-60"], "is_stalled": [False, True, False]}
    )
    counts = charts.aging_counts(aging)
    assert counts.filter(pl.col("stage") == "tender").get_column("n_stalled").sum() == 1
    assert charts.PICK in _params(charts.aging(counts, "en"))
    by = pl.DataFrame({"owner": ["张伟", "李娜"], "margin": [0.1, 0.3], "expense_ratio": [0.02, 0.01]})
    assert charts.PICK in _params(charts.margin_by(by, "zh", dim="owner", floor=0.15))
    charts.margin_histogram(charts.margin_bins(pl.DataFrame({"margin": [0.1, -0.2, None]})), "en", 0.15).to_dict()
    snaps = pl.DataFrame({"as_of": [date(2026, 11, 16), date(2026, 11, 23)], "expected_amount": [1e6, 2e6], "estimated_margin": [0.2, 0.1]})
    charts.history(snaps, "zh", "wan").to_dict()
    charts.history(snaps, "en", "yuan", measure="margin").to_dict()
    charts.history(snaps.with_columns(expected_sign_on=pl.col("as_of")), "en", "yuan", measure="sign").to_dict()
    durations = pl.DataFrame({"stage": ["tender"], "median_days": [10.0], "p75_days": [20.0], "p90_days": [30.0], "n": [5], "owner": ["x"]})
    charts.durations(durations, "en").to_dict()
    charts.durations(durations, "en", segment="owner").to_dict()


def test_charts_module_never_calls_streamlit():
    import inspect

    assert "streamlit" not in inspect.getsource(charts)


REGION_GRADE = pl.DataFrame(
    {
        "region": ["华东", "华东", "西北", "西北"],
        "grade": ["B", "A", "A", "D"],
        "n_projects": [50, 40, 9, 20],
        "n_open": [20, 15, 3, 10],
        "open_amount": [12_345_678.0, 5_000_000.0, 0.0, 1_000_000.0],
        "n_reached": [25, 30, 2, 0],
        "reached_rate": [0.5, 0.75, 2 / 9, 0.0],
        "n_won": [10, 8, 0, 0],
        "n_closed": [30, 25, 6, 0],
        "win_rate": [1 / 3, 0.32, 0.0, None],
    }
)


def test_region_grade_cells_write_the_rate_with_what_it_is_made_of_and_a_dash_when_nothing_to_measure():
    cells = charts.region_grade_cells(REGION_GRADE, "zh", "wan", value="win_rate")
    by_cell = {(r["region"], r["grade"]): r for r in cells.iter_rows(named=True)}
    assert by_cell[("华东", "B")]["value_text"] == "33%" and by_cell[("华东", "B")]["sub_text"] == "10/30"
    assert by_cell[("西北", "D")]["value_text"] == "–"  # no closed project: no rate, not 0%
    amounts = charts.region_grade_cells(REGION_GRADE, "zh", "wan", value="open_amount")
    assert amounts.filter(pl.col("grade") == "B").get_column("value_text").to_list() == ["1,235"]  # 万元
    amounts = charts.region_grade_cells(REGION_GRADE, "en", "wan", value="open_amount")
    assert amounts.filter(pl.col("grade") == "B").get_column("value_text").to_list() == ["12.35"]  # ¥M
    counts = charts.region_grade_cells(REGION_GRADE, "en", "yuan", value="n_open")
    assert counts.get_column("sub_text").to_list() == ["", "", "", ""]


def test_the_region_grade_map_has_grades_as_columns_in_order_and_a_cell_pick():
    for value in charts.REGION_GRADE_METRICS:
        chart = charts.region_grade_heatmap(REGION_GRADE, "en", "wan", value=value, value_title=value)
        assert charts.PICK in _params(chart)
        spec = chart.to_dict()
        layer = spec["layer"][1]
        assert layer["encoding"]["x"]["field"] == "grade" and layer["encoding"]["y"]["field"] == "region"
        assert layer["encoding"]["x"]["sort"] == ["A", "B", "D"]  # the config's order, only grades present
        pick = next(p for p in spec.get("params", []) + layer.get("params", []) if p["name"] == charts.PICK)
        assert pick["select"]["fields"] == ["region", "grade"]


def test_the_segment_heat_map_writes_the_coloured_metric_and_wraps_long_stage_names():
    seg = FUNNEL.with_columns(pl.lit("华东").alias("region"))
    chart = charts.heatmap(seg, "en", row="region", value="cumulative_conversion", value_title="c", percent=True)
    spec = chart.to_dict()
    text = spec["layer"][1]["encoding"]["text"]
    assert text["field"] == "cumulative_conversion" and text["format"] == ".0%"
    assert spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"] == charts.WRAP_LABEL


def test_margin_bins_count_every_margin_once_in_its_bar():
    margins = [0.15, 0.1499, 0.175, -0.9, 1.7, 0.0, None, 0.024999]
    bins = charts.margin_bins(pl.DataFrame({"margin": margins}))
    assert bins.get_column("n").sum() == 7  # the missing margin is not a bar
    def bar_of(m):
        return bins.filter((pl.col("lo") <= m) & (pl.col("hi") > m)).get_column("n").to_list()
    assert bar_of(0.15) == [1] and bar_of(0.149) == [1]  # 0.15 opens its own bar; 0.1499 the one below
    assert bar_of(-0.5) == [1] and bar_of(1.0) == [1]  # beyond the range: the outermost bars
    assert bar_of(0.0) == [2]  # 0.0 and 0.024999
    assert (bins.get_column("hi") - bins.get_column("lo") - charts.MARGIN_BIN).abs().max() < 1e-9


def test_vega_lite_spec_names_the_data_and_leaves_altair_settings_alone():
    spec = charts.vega_lite_spec(charts.funnel(FUNNEL, "zh"))
    names = set(spec["datasets"])
    assert names and all(n.startswith("data-") for n in names)
    assert charts.PICK in {p["name"] for p in spec.get("params", [])}
    assert alt.theme.active == "default" and alt.data_transformers.active == "default"
    # same content, same name: a rerun with the same data keeps the chart's dataset
    assert set(charts.vega_lite_spec(charts.funnel(FUNNEL.clone(), "zh"))["datasets"]) == names


# --------------------------------------------------------------------------- bars read from zero (issue 9, B2)


def _bar_value_scales(spec) -> list[tuple[str, dict]]:
    """Every bar mark's quantitative, unbinned position channel in a spec (layers, concats,
    facets): (field, its scale)."""
    found = []

    def walk(node, inherited=None):
        if isinstance(node, dict):
            encoding = {**(inherited or {}), **(node.get("encoding") or {})}
            mark = node.get("mark")
            mark_type = mark.get("type") if isinstance(mark, dict) else mark
            if mark_type == "bar":
                for channel in ("x", "y"):
                    enc = encoding.get(channel) or {}
                    if enc.get("type") == "quantitative" and not enc.get("bin"):
                        found.append((enc.get("field"), enc.get("scale") or {}))
            for key, value in node.items():
                if key in ("layer", "hconcat", "vconcat", "concat"):
                    for child in value:
                        walk(child, encoding if key == "layer" else None)
                elif key == "spec":
                    walk(value)
    walk(spec)
    return found


def _bar_charts():
    summary = pl.DataFrame({"step": ["start", "new", "won", "end"], "amount": [1_751_530_000.0, 80_320_000.0, -51_570_000.0, 1_780_280_000.0],
                            "n_projects": [463, 18, 13, 468]})
    aging = charts.aging_counts(pl.DataFrame({"stage": ["tender", "proposal"], "aging_bucket": ["0-30", ">90"], "is_stalled": [False, True]}))
    durations = pl.DataFrame({"stage": ["tender"], "median_days": [10.0], "p75_days": [20.0], "p90_days": [30.0], "n": [5], "owner": ["x"]})
    by = pl.DataFrame({"owner": ["张伟", "李娜"], "margin": [0.1, -0.3], "expense_ratio": [0.02, 0.01]})
    return {
        "funnel": charts.funnel(FUNNEL, "en"),
        "waterfall": charts.waterfall(summary, "zh", "wan"),
        "aging": charts.aging(aging, "en"),
        "durations": charts.durations(durations, "en"),
        "durations by owner": charts.durations(durations, "en", segment="owner"),
        "margin histogram": charts.margin_histogram(charts.margin_bins(pl.DataFrame({"margin": [0.3, 0.31, 0.5]})), "en", 0.15),
        "margin by": charts.margin_by(by, "zh", dim="owner", floor=0.15),
    }


def test_every_bar_chart_reads_its_bars_from_zero():
    for name, chart in _bar_charts().items():
        scales = _bar_value_scales(charts.vega_lite_spec(chart, validate=True))
        assert scales, f"{name}: no bar found (the check would check nothing)"
        for field, scale in scales:
            assert scale.get("zero") is True, (name, field, scale)
            domain = scale.get("domain")
            assert domain is None or min(domain) <= 0 <= max(domain), (name, field, domain)


def test_the_waterfall_draws_a_small_move_to_the_scale_of_the_pipeline():
    # unfiltered, "New +8,032" must not look taller than the 175,153 it starts from
    summary = pl.DataFrame({"step": ["start", "new", "end"], "amount": [1_751_530_000.0, 80_320_000.0, 1_831_850_000.0],
                            "n_projects": [463, 18, 481]})
    spec = charts.vega_lite_spec(charts.waterfall(summary, "zh", "wan"))
    [(field, scale)] = _bar_value_scales(spec)
    assert field == "lo" and scale == {"zero": True}  # no domain cut above zero, no clipping
    rows = {r["step"]: r for r in spec["datasets"][spec["data"]["name"]].to_dict("records")}
    assert rows["start"]["lo"] == 0 and rows["start"]["hi"] == 175_153.0
    assert (rows["new"]["lo"], rows["new"]["hi"]) == (175_153.0, 183_185.0)
    assert rows["new"]["short"] == "+8,032" and rows["new"]["n_projects"] == 18  # its size written on it


def test_project_history_ticks_fall_on_the_snapshot_dates():
    mondays = [date(2026, 9, 21) + timedelta(days=7 * k) for k in range(3)]
    snaps = pl.DataFrame({"as_of": mondays, "expected_amount": [1e6, 2e6, 2e6], "estimated_margin": [0.2, 0.1, 0.1]})
    for measure in ("amount", "margin", "sign"):
        frame = snaps.with_columns(expected_sign_on=pl.col("as_of")) if measure == "sign" else snaps
        spec = charts.vega_lite_spec(charts.history(frame, "zh", "wan", measure=measure), validate=True)
        values = spec["encoding"]["x"]["axis"]["values"]
        assert [(v["year"], v["month"], v["date"]) for v in values] == [(d.year, d.month, d.day) for d in mondays]
    eleven = [date(2026, 9, 21) + timedelta(days=7 * k) for k in range(11)]
    ticks = charts.snapshot_axis(eleven).to_dict()["values"]
    assert 1 < len(ticks) <= charts.MAX_DATE_TICKS and ticks[-1] == {"year": 2026, "month": 11, "date": 30}
    assert all(date(t["year"], t["month"], t["date"]).weekday() == 0 for t in ticks)  # Mondays, not Sundays


def test_a_heat_map_filtered_to_one_cell_keeps_a_readable_cell():
    one = REGION_GRADE.filter((pl.col("region") == "华东") & (pl.col("grade") == "A"))
    spec = charts.region_grade_heatmap(one, "en", "wan", value="win_rate", value_title="Win rate").to_dict()
    assert spec["height"] >= 190  # Streamlit fits axis, title and legend into it: the cell keeps ~120 px
    assert spec["width"] <= 300  # one grade: a cell, not a band across the page
    everything = charts.region_grade_heatmap(REGION_GRADE, "en", "wan", value="win_rate", value_title="Win rate").to_dict()
    assert "width" not in everything  # several grades: the page's width
    seg = FUNNEL.with_columns(pl.lit("华东").alias("region"))
    one_row = charts.heatmap(seg, "en", row="region", value="cumulative_conversion", value_title="c", percent=True).to_dict()
    assert one_row["height"] >= 150


# --------------------------------------------------------------------------- counts and amounts per change (B3)


def test_change_counts_give_every_kind_its_projects_and_amounts_worked_out_by_hand():
    from test_queries_given import AS_OF, _world_snapshots
    from test_queries_helpers import load

    import queries
    from dashboard import store
    from queries import ALL_REGIONS, Filters

    con = store.connect_memory()
    load(con, _world_snapshots())
    counts = charts.change_counts(queries.run(con, "changes", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF)))
    assert counts.get_column("change").to_list() == list(charts.CHANGE_KINDS)  # every kind, in order
    got = {r["change"]: (r["n_projects"], r["expected_amount"], r["amount_delta"]) for r in counts.iter_rows(named=True)}
    # S1 -> S2 (test_queries_given's world): H new 40 000; E vanished (80 000 last week);
    # A advanced (100 000) and margin down; F lost (150 000, leaves the pipeline); G sign date
    # pushed out and amount up 60 000 -> 70 000.
    assert got["new"] == (1, 40_000.0, 40_000.0)
    assert got["vanished"] == (1, 80_000.0, -80_000.0)
    assert got["advanced"] == (1, 100_000.0, None)
    assert got["lost"] == (1, 150_000.0, -150_000.0)
    assert got["pushed_out"] == (1, 70_000.0, None)
    assert got["amount_up"] == (1, 70_000.0, 10_000.0)
    assert got["margin_down"] == (1, 100_000.0, None)
    for kind in ("reappeared", "fell_back", "won", "dropped", "completed", "reopened", "amount_down"):
        assert got[kind] == (0, None, None), kind


def test_change_counts_sum_several_projects_of_a_kind_and_count_each_once():
    changes = pl.DataFrame({
        "project_id": ["P1", "P2", "P3", "P1", "P4"],
        "change": ["new", "new", "new", "amount_up", "won"],
        "expected_amount": [25_000.0, None, 5_000.5, 25_000.0, 300_000.0],
        "amount_delta": [25_000.0, 0.0, 5_000.5, 4_000.0, -300_000.0],
    })
    got = {r["change"]: r for r in charts.change_counts(changes).iter_rows(named=True)}
    assert (got["new"]["n_projects"], got["new"]["expected_amount"], got["new"]["amount_delta"]) == (3, 30_000.5, 30_000.5)
    assert (got["won"]["n_projects"], got["won"]["amount_delta"]) == (1, -300_000.0)
    assert got["amount_up"]["amount_delta"] == 4_000.0 and got["lost"]["n_projects"] == 0
