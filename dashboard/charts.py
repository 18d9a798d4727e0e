"""Chart builders: Polars frames in, ``alt.Chart`` out (and the small aggregations behind
the charts and the review's figures). Pure: never call ``st.*``.

Every bar's length is read from zero: each bar chart's quantitative scale includes 0
(``ZERO``; tests/test_charts.py checks every builder), the waterfall's floating bars too —
a week's move is drawn to the scale of the pipeline it moves, its exact size is written on
it and in the change table beside it.

Every chart a page lets the user click carries a point selection whose name is the
constant next to its builder (``PICK``); pages draw a builder through ``_ui.chart`` (its
Vega-Lite spec cached: ``vega_lite_spec`` below, ``data.chart_spec``) with
``param=PICK`` and read the picked fields. Labels arrive translated
(``dashboard.i18n``); stages keep their code in a hidden field so a pick returns the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import polars as pl

from dashboard import i18n, pymap
from dashboard.config import get_config

PICK = "pick"
# Vega expression: a long axis label with a space breaks into two lines
# ("Commercial negotiation" -> "Commercial" / "negotiation"); short or Chinese ones stay.
WRAP_LABEL = (
    "length(datum.label) > 12 && indexof(datum.label, ' ') > 0 ? "
    "[slice(datum.label, 0, indexof(datum.label, ' ')), slice(datum.label, indexof(datum.label, ' ') + 1)] "
    ": datum.label"
)
STAGE_COLORS = ["#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
BUCKET_COLORS = ["#c7e9c0", "#fdd49e", "#fc8d59", "#d7301f"]
GOOD, BAD, NEUTRAL, TOTAL = "#2e7d32", "#c62828", "#90a4ae", "#1565c0"
# The value scale of every bar chart: bars are read from zero (issue 9, B2).
ZERO = alt.Scale(zero=True)


def _stage_frame(lang: str) -> pl.DataFrame:
    stages = get_config().stages
    return pl.DataFrame(
        {"stage": [s.code for s in stages], "stage_label": [s.label(lang) for s in stages], "stage_order": [s.order for s in stages]}
    )


def _with_stage_labels(df: pl.DataFrame, lang: str, col: str = "stage") -> pl.DataFrame:
    labels = _stage_frame(lang).rename({"stage": col})
    out = df.drop([c for c in ("stage_label", "stage_order") if c in df.columns])
    return out.join(labels, on=col, how="left").sort("stage_order", nulls_last=True)


def _pick(fields: Sequence[str]) -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=list(fields), on="click", clear="dblclick")


def _opacity(sel: alt.Parameter) -> alt.ConditionalValueDefnumberExprRef:
    return alt.condition(sel, alt.value(1.0), alt.value(0.45))


def _to_pandas(df: pl.DataFrame):
    return df.to_pandas()


# --------------------------------------------------------------------------- chart → Vega-Lite spec

# Altair's theme and data transformer are process-wide settings: one conversion at a time.
_SPEC_LOCK = threading.Lock()


def _named_dataset(data: Any, datasets: dict[str, Any]) -> dict[str, str]:
    """Altair data transformer: keep the frame itself under a content-derived name (the
    spec references it by name; Streamlit serialises it to Arrow when the chart is drawn)."""
    import pandas as pd

    digest = hashlib.sha1(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    digest.update(repr(list(data.dtypes.items())).encode())
    name = f"data-{digest.hexdigest()[:16]}"
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register("pipeline_named", _named_dataset)


def vega_lite_spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec ``st.vega_lite_chart`` draws, as ``st.altair_chart`` would make it
    (Altair theme "none", data as named datasets).

    Building an Altair chart and turning it into a spec costs 20–80 ms of CPU per chart
    (``st.altair_chart`` does the second part under a process-wide lock on every rerun);
    the pages cache this spec (``dashboard.data.chart_spec``) so a rerun with the same
    inputs only draws it. The spec's shape is fixed by the builder's code, not by the data:
    tests/test_charts.py validates every builder against the Vega-Lite schema
    (``validate=True``), so the server skips that part (a third of the cost)."""
    datasets: dict[str, Any] = {}
    with _SPEC_LOCK:
        theme = alt.theme.enable("none") if alt.theme.active == "default" else contextlib.nullcontext()
        with theme, alt.data_transformers.enable("pipeline_named", datasets=datasets):
            spec = chart.to_dict(validate=validate)
    spec["datasets"] = {**(spec.get("datasets") or {}), **datasets}
    return spec


# --------------------------------------------------------------------------- funnel


def funnel(df: pl.DataFrame, lang: str) -> alt.Chart:
    """Horizontal bars of ``reached`` per stage, cumulative conversion as text. Pick: stage."""
    df = _with_stage_labels(df, lang)
    df = df.with_columns(
        pymap.values(df, "cumulative_conversion", lambda v: i18n.fmt_pct(v, lang), name="cum_text"),
        pymap.values(df, "step_conversion", lambda v: i18n.fmt_pct(v, lang), name="step_text"),
        pymap.values(df, "decided_conversion", lambda v: i18n.fmt_pct(v, lang), name="dec_text")
        if "decided_conversion" in df.columns
        else pl.lit("–").alias("dec_text"),
    )
    order = df.get_column("stage_label").to_list()
    sel = _pick(["stage"])
    y = alt.Y("stage_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
        alt.Tooltip("reached:Q", title=i18n.t("reached", lang), format=","),
        alt.Tooltip("step_text:N", title=i18n.t("step_conversion", lang)),
        alt.Tooltip("cum_text:N", title=i18n.t("cumulative_conversion", lang)),
        alt.Tooltip("dec_text:N", title=i18n.t("decided_conversion", lang)),
    ]
    bars = (
        alt.Chart(_to_pandas(df))
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=y,
            x=alt.X("reached:Q", title=i18n.t("reached", lang), scale=ZERO,
                      axis=alt.Axis(tickMinStep=1, format="d")),  # project counts: whole numbers only
            color=alt.Color("stage_label:N", sort=order, scale=alt.Scale(range=STAGE_COLORS), legend=None),
            opacity=_opacity(sel),
            tooltip=tooltip,
        )
        .add_params(sel)
    )
    text = (
        alt.Chart(_to_pandas(df))
        .mark_text(align="left", dx=4, fontSize=12)
        .encode(y=y, x="reached:Q", text=alt.Text("label:N"))
        .transform_calculate(label="format(datum.reached, ',') + '  ·  ' + datum.cum_text")
    )
    return (bars + text).properties(height=260)


def heatmap(df: pl.DataFrame, lang: str, *, row: str, value: str, value_title: str, percent: bool) -> alt.Chart:
    """Stage (columns) × segment (rows); colour = ``value``; text = reached. Pick: segment + stage."""
    df = _with_stage_labels(df, lang).with_columns(pl.col(row).cast(pl.String).fill_null("–").alias("segment"))
    order = _stage_frame(lang).get_column("stage_label").to_list()
    sel = _pick(["segment", "stage"])
    base = alt.Chart(_to_pandas(df)).encode(
        x=alt.X("stage_label:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=160, labelOverlap=False, labelExpr=WRAP_LABEL, labelFontSize=12)),
        y=alt.Y("segment:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=160, labelFontSize=12)),
    )
    fmt = ".0%" if percent else ","
    rects = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues"), legend=alt.Legend(format=fmt)),
        opacity=_opacity(sel),
        tooltip=[
            alt.Tooltip("segment:N", title=i18n.t(row, lang) if row in i18n.STRINGS else row),
            alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
            alt.Tooltip("reached:Q", title=i18n.t("reached", lang), format=","),
            alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ","),
        ],
    ).add_params(sel)
    # Text colour computed here (white on dark cells) and used as is (scale=None).
    vmax = float(df.get_column(value).max() or 0) if df.height else 0.0
    cut = 0.55 if percent else vmax * 0.55
    df = df.with_columns(
        pl.when(pl.col(value).cast(pl.Float64) > cut).then(pl.lit("white")).otherwise(pl.lit("#222")).alias("text_color")
    )
    # The cell says what its colour says (a conversion, or the count when colouring by reached).
    text = alt.Chart(_to_pandas(df)).mark_text(fontSize=12).encode(
        x=alt.X("stage_label:N", sort=order),
        y=alt.Y("segment:N", sort="ascending"),
        text=alt.Text(f"{value}:Q", format=".0%" if percent else ","),
        # fill, not color: the rects own the (quantitative) color scale of the layer
        fill=alt.Fill("text_color:N", scale=None, legend=None),
    )
    n_rows = max(df.get_column("segment").n_unique(), 1)
    # Streamlit fits axes and legend into the height: one row needs room for both too.
    return alt.layer(rects, text).resolve_scale(color="independent").properties(height=min(max(36 * n_rows + 60, 150), 700))


# Metrics of the region × grade map: (column, kind) — kind decides the format and scale.
REGION_GRADE_METRICS = {
    "win_rate": "percent",
    "reached_rate": "percent",
    "n_open": "count",
    "open_amount": "amount",
}


def region_grade_cells(df: pl.DataFrame, lang: str, unit: str, *, value: str) -> pl.DataFrame:
    """The cells of the region × grade map: ``value`` for the colour (amounts in the chosen
    unit), its text as people read it, and the text colour (white on dark cells)."""
    kind = REGION_GRADE_METRICS[value]
    v = pl.col(value).cast(pl.Float64)
    if kind == "amount":
        v = v / i18n.unit_divisor(unit, lang)
    out = df.with_columns(
        pl.col("region").cast(pl.String).fill_null(i18n.MISSING),
        pl.col("grade").cast(pl.String).fill_null(i18n.MISSING),
        v.alias("value"),
    )
    if kind == "percent":
        text = pymap.values(out, "value", lambda x: i18n.fmt_pct(x, lang, digits=0))
    elif kind == "amount":
        text = pymap.values(out, "value", lambda x: i18n.amount_digits(x, unit, lang))
    else:
        text = pymap.values(out, "value", lambda x: i18n.fmt_int(x))
    vmax = float(out.get_column("value").max() or 0) if out.height else 0.0
    vmin = float(out.get_column("value").min() or 0) if out.height else 0.0
    cut = vmin + (vmax - vmin) * 0.6
    # What the rate is made of (small, under it): a 7% over 14 closed projects is not a 7% over 400.
    if value == "win_rate":
        sub = pl.format("{}/{}", pl.col("n_won"), pl.col("n_closed"))
    elif value == "reached_rate":
        sub = pl.format("{}/{}", pl.col("n_reached"), pl.col("n_projects"))
    else:
        sub = pl.lit("")
    return out.with_columns(
        text.fill_null(i18n.MISSING).alias("value_text"),  # a Series, computed above
        sub.fill_null("").alias("sub_text"),
        pl.when(pl.col("value") > cut).then(pl.lit("white")).otherwise(pl.lit("#222")).alias("text_color"),
    )


def region_grade_heatmap(df: pl.DataFrame, lang: str, unit: str, *, value: str, value_title: str,
                         stage: str | None = None) -> alt.Chart:
    """Regions (rows) × customer grades (columns A–D), colour = ``value`` (a column of query
    ``funnel_region_grade``), the value written in each cell; a cell with nothing to measure
    (no closed project for a win rate) is grey with a dash. Pick: region + grade. ``stage``:
    the stage whose reach ``n_reached`` counts (default: the stage with role 'bid')."""
    stage = stage or get_config().role_stage("bid").code
    kind = REGION_GRADE_METRICS[value]
    cells = region_grade_cells(df, lang, unit, value=value)
    grades = [g for g in get_config().grades if g in set(cells.get_column("grade").to_list())]
    grades += sorted(set(cells.get_column("grade").to_list()) - set(grades))
    regions = sorted(set(cells.get_column("region").to_list()))
    # The picked cell gets a dark frame; the others keep full colour (faded cells made their
    # white numbers unreadable). empty=False: with nothing picked, no cell is framed.
    sel = alt.selection_point(name=PICK, fields=["region", "grade"], on="click", clear="dblclick", empty=False)
    data = _to_pandas(cells)
    x = alt.X("grade:N", sort=grades, title=i18n.t("grade", lang), axis=alt.Axis(labelAngle=0, orient="top", labelFontSize=13))
    y = alt.Y("region:N", sort=regions, title=None, axis=alt.Axis(labelLimit=160, labelFontSize=13))
    amount_title = f"{i18n.t('kpi_open_amount', lang)} ({i18n.unit_suffix(unit, lang)})"
    tooltip = [
        alt.Tooltip("region:N", title=i18n.t("region", lang)),
        alt.Tooltip("grade:N", title=i18n.t("grade", lang)),
        alt.Tooltip("value_text:N", title=value_title),
        alt.Tooltip("n_projects:Q", title=i18n.t("n_projects", lang), format=","),
        alt.Tooltip("n_open:Q", title=i18n.t("n_open", lang), format=","),
        alt.Tooltip("n_reached:Q", title=i18n.t("n_reached", lang, stage=i18n.stage_label(stage, lang)), format=","),
        alt.Tooltip("n_won:Q", title=i18n.t("n_won", lang), format=","),
        alt.Tooltip("n_closed:Q", title=i18n.t("n_closed", lang), format=","),
    ]
    base = alt.Chart(data).encode(x=x, y=y)
    background = base.mark_rect(color="#eceff1", stroke="white", strokeWidth=2).encode(tooltip=tooltip)
    legend_format = ".0%" if kind == "percent" else ",.0f"
    rects = base.mark_rect().encode(
        color=alt.Color("value:Q", title=amount_title if kind == "amount" else value_title,
                        scale=alt.Scale(scheme="blues", zero=kind != "percent"),
                        legend=alt.Legend(format=legend_format, orient="right")),
        stroke=alt.value("white"),
        strokeWidth=alt.value(2),
        tooltip=tooltip,
    ).transform_filter("isValid(datum.value)").add_params(sel)
    # Drawn last so no neighbouring cell covers it.
    frame = base.mark_rect(filled=False, stroke="#222", strokeWidth=3).encode(
        strokeOpacity=alt.condition(sel, alt.value(1.0), alt.value(0.0)),
    )
    two_lines = kind == "percent"
    text = base.mark_text(fontSize=14, fontWeight="bold", dy=-7 if two_lines else 0).encode(
        text=alt.Text("value_text:N"),
        fill=alt.Fill("text_color:N", scale=None, legend=None),
        tooltip=tooltip,
    )
    layers = [background, rects, text]
    if two_lines:
        layers.append(base.mark_text(fontSize=11, dy=10, opacity=0.85).encode(
            text=alt.Text("sub_text:N"),
            fill=alt.Fill("text_color:N", scale=None, legend=None),
            tooltip=tooltip,
        ))
    layers.append(frame)
    # Streamlit fits the axis, its title and the legend into the height: a map filtered to
    # one cell keeps a cell a reader can read (not a hairline), and a few grade columns
    # keep a cell's width instead of stretching one cell across the page.
    chart = alt.layer(*layers).properties(height=min(max(52 * max(len(regions), 1) + 70, 190), 640))
    if len(grades) < 3:
        chart = chart.properties(width=170 * max(len(grades), 1) + 120)
    return chart


# --------------------------------------------------------------------------- weekly review


def waterfall_steps(summary: pl.DataFrame) -> pl.DataFrame:
    """(step, amount[, n_projects]) rows in order → start/end of each bar. The first and
    last are totals."""
    if "n_projects" in summary.columns:  # a step nobody took is noise between the totals
        last = summary.height - 1
        summary = summary.with_row_index("_i").filter(
            (pl.col("_i") == 0) | (pl.col("_i") == last) | (pl.col("n_projects") > 0) | (pl.col("amount") != 0)
        )
    else:
        summary = summary.with_columns(pl.lit(None, pl.Int64).alias("n_projects"))
    rows = summary.select("step", "amount", "n_projects").to_dicts()
    out, level = [], 0.0
    for i, r in enumerate(rows):
        amount = float(r["amount"] or 0)
        n = r["n_projects"]
        if i == 0 or i == len(rows) - 1:
            out.append({"step": r["step"], "lo": 0.0, "hi": amount, "amount": amount, "kind": "total", "order": i, "n_projects": n})
            level = amount
        else:
            lo, hi = sorted((level, level + amount))
            out.append({"step": r["step"], "lo": lo, "hi": hi, "amount": amount, "kind": "up" if amount >= 0 else "down",
                        "order": i, "n_projects": n})
            level += amount
    return pl.DataFrame(out, schema={"step": pl.String, "lo": pl.Float64, "hi": pl.Float64, "amount": pl.Float64,
                                     "kind": pl.String, "order": pl.Int64, "n_projects": pl.Int64})


def waterfall(summary: pl.DataFrame, lang: str, unit: str) -> alt.Chart:
    """Pipeline from last week to this week. ``summary``: step (code), amount (元, signed),
    n_projects. The value axis starts at zero: a 3 % move looks like 3 %, and its size is
    written on it (the change table beside the chart has every count). Pick: step."""
    steps = waterfall_steps(summary)
    div = i18n.unit_divisor(unit, lang)
    steps = steps.with_columns(
        (pl.col("lo") / div).alias("lo"),
        (pl.col("hi") / div).alias("hi"),
        pymap.values(steps, "step", lambda s: i18n.change_label(s, lang), name="label"),
        pymap.values(steps, "amount", lambda v: i18n.fmt_amount(v, lang, unit, signed=True), name="text"),
        pymap.values(steps, "amount", lambda v: ("-" if v < 0 else "+") + i18n.amount_digits(v / div, unit, lang), name="short"),
    )
    steps = steps.with_columns(
        pl.when(pl.col("kind") == "total").then(pl.col("short").str.strip_chars_start("+")).otherwise(pl.col("short")).alias("short")
    )
    order = steps.get_column("label").to_list()
    sel = _pick(["step"])
    color = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=["total", "up", "down"], range=[TOTAL, GOOD, BAD]),
        legend=None,
    )
    base = alt.Chart(_to_pandas(steps)).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=120, labelOverlap=False))
    )
    bars = base.mark_bar(width={"band": 0.7}).encode(
        y=alt.Y("lo:Q", title=i18n.unit_suffix(unit, lang), scale=ZERO),
        y2="hi:Q",
        color=color,
        opacity=_opacity(sel),
        tooltip=[alt.Tooltip("label:N", title=i18n.t("change", lang)), alt.Tooltip("text:N", title=i18n.t("amount", lang)),
                 alt.Tooltip("n_projects:Q", title=i18n.t("n_projects", lang), format=",")],
    ).add_params(sel)
    text = base.mark_text(dy=-7, fontSize=10).encode(y=alt.Y("hi:Q"), text="short:N")
    return (bars + text).properties(height=420)  # beside the change table: about as tall


CHANGE_KINDS = ("new", "reappeared", "vanished", "advanced", "fell_back", "won", "lost", "dropped", "completed",
                "reopened", "pushed_out", "amount_up", "amount_down", "margin_down")  # query `changes`, its order


def change_counts(changes: pl.DataFrame) -> pl.DataFrame:
    """Query ``changes`` (one row per project and change) → one row per change kind, every
    kind in ``CHANGE_KINDS`` order (0 when nobody had it): n_projects, expected_amount (the
    sum of the projects' expected amounts: this week's, last week's for a vanished one; 元;
    null when no project) and amount_delta (the sum of the rows' amount_delta, null when the
    kind has none: what the change moved, as in the list of changes)."""
    kinds = pl.DataFrame({"change": list(CHANGE_KINDS)}).with_row_index("_order")
    got = (
        changes.group_by("change")
        .agg(
            pl.col("project_id").n_unique().alias("n_projects"),
            pl.col("expected_amount").cast(pl.Float64).sum().alias("expected_amount"),
            pl.when(pl.col("amount_delta").is_not_null().any())
            .then(pl.col("amount_delta").cast(pl.Float64).sum()).alias("amount_delta"),
        )
    )
    return (
        kinds.join(got, on="change", how="left")
        .sort("_order")
        .select(
            "change",
            pl.col("n_projects").fill_null(0).cast(pl.Int64),
            "expected_amount",
            "amount_delta",
        )
    )


# --------------------------------------------------------------------------- aging


def aging_counts(df: pl.DataFrame) -> pl.DataFrame:
    """Query ``aging`` (one row per open project) → stage, aging_bucket, n_projects, n_stalled."""
    return (
        df.group_by("stage", "aging_bucket")
        .agg(pl.len().alias("n_projects"), pl.col("is_stalled").sum().cast(pl.Int64).alias("n_stalled"))
        .sort("stage", "aging_bucket")
    )


def aging(counts: pl.DataFrame, lang: str) -> alt.Chart:
    """Open projects per stage (``aging_counts``), stacked by age bucket. Pick: stage + aging_bucket."""
    counts = counts.pipe(_with_stage_labels, lang).sort("stage_order", "aging_bucket")
    counts = counts.with_columns(pymap.values(counts, "aging_bucket", lambda b: i18n.bucket_label(b, lang), name="bucket_label"))
    order = _stage_frame(lang).get_column("stage_label").to_list()
    buckets = [i18n.bucket_label(b, lang) for b in i18n.BUCKETS]
    sel = _pick(["stage", "aging_bucket"])
    # Above each bar: how many of the stage's projects are past their limit (stalled).
    totals = (
        counts.group_by("stage", "stage_label", "stage_order")
        .agg(pl.col("n_projects").sum(), pl.col("n_stalled").sum())
        .with_columns(
            pl.format("{} {}", pl.lit(i18n.t("is_stalled", lang)), pl.col("n_stalled")).alias("stalled_text")
        )
    )
    stalled = (
        alt.Chart(_to_pandas(totals))
        .mark_text(dy=-8, fontSize=11, fontWeight="bold", color=BAD)
        .encode(x=alt.X("stage_label:N", sort=order), y=alt.Y("n_projects:Q"), text="stalled_text:N")
    )
    bars = (
        alt.Chart(_to_pandas(counts))
        .mark_bar()
        .encode(
            x=alt.X("stage_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160, labelOverlap=False, labelExpr=WRAP_LABEL)),
            y=alt.Y("n_projects:Q", title=i18n.t("n_projects", lang), scale=ZERO),
            color=alt.Color("bucket_label:N", sort=buckets, scale=alt.Scale(domain=buckets, range=BUCKET_COLORS), title=i18n.t("aging_bucket", lang)),
            order=alt.Order("aging_bucket:N"),
            opacity=_opacity(sel),
            tooltip=[
                alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
                alt.Tooltip("bucket_label:N", title=i18n.t("aging_bucket", lang)),
                alt.Tooltip("n_projects:Q", title=i18n.t("n_projects", lang)),
                alt.Tooltip("n_stalled:Q", title=i18n.t("is_stalled", lang)),
            ],
        )
        .add_params(sel)
    )
    return (bars + stalled).properties(height=300)


def durations(df: pl.DataFrame, lang: str, *, segment: str | None = None) -> alt.Chart:
    """Median bar with P75/P90 ticks per stage (optionally faceted by a segment column)."""
    df = _with_stage_labels(df, lang)
    order = _stage_frame(lang).get_column("stage_label").to_list()
    y_title = i18n.t("days_in_stage", lang)
    base = alt.Chart(_to_pandas(df)).encode(y=alt.Y("stage_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)))
    tooltip = [
        alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
        alt.Tooltip("median_days:Q", title=i18n.t("median_days", lang), format=".0f"),
        alt.Tooltip("p75_days:Q", title=i18n.t("p75_days", lang), format=".0f"),
        alt.Tooltip("p90_days:Q", title=i18n.t("p90_days", lang), format=".0f"),
        alt.Tooltip("n:Q", title=i18n.t("count", lang)),
    ]
    if segment:
        tooltip.insert(0, alt.Tooltip(f"{segment}:N", title=i18n.t(segment, lang)))
    bar = base.mark_bar(color="#6baed6").encode(x=alt.X("median_days:Q", title=y_title, scale=ZERO), tooltip=tooltip)
    p75 = base.mark_tick(color="#08519c", thickness=2, size=16).encode(x="p75_days:Q", tooltip=tooltip)
    p90 = base.mark_tick(color="#d7301f", thickness=2, size=16).encode(x="p90_days:Q", tooltip=tooltip)
    layered = alt.layer(bar, p75, p90)
    if segment:
        return layered.properties(width=220, height=170).facet(
            facet=alt.Facet(f"{segment}:N", title=None), columns=3
        )
    return layered.properties(height=240)


# --------------------------------------------------------------------------- margin


MARGIN_BIN = 0.025  # 2.5 percentage points per bar
MARGIN_RANGE = (-0.5, 1.0)  # margins beyond are counted in the outermost bar


def margin_bins(df: pl.DataFrame) -> pl.DataFrame:
    """Projects per margin bar (ratio column ``margin``): lo, hi, n — a few dozen rows
    however many projects, so the chart neither ships nor hashes the project list."""
    step = MARGIN_BIN
    m = df.select(pl.col("margin").cast(pl.Float64)).drop_nulls().with_columns(pl.col("margin").clip(*MARGIN_RANGE))
    # round before floor: 0.15 / 0.025 is 5.999… in binary and belongs to the bar from 0.15
    lo = ((pl.col("margin") / step).round(9).floor() * step).round(6)
    return (
        m.group_by(lo.alias("lo")).agg(pl.len().alias("n"))
        .with_columns((pl.col("lo") + step).round(6).alias("hi"))
        .select("lo", "hi", pl.col("n").cast(pl.Int64))
        .sort("lo")
    )


def margin_histogram(bins: pl.DataFrame, lang: str, floor: float) -> alt.Chart:
    """Distribution of margins (``margin_bins``) with the company floor as a rule."""
    bars = (
        alt.Chart(_to_pandas(bins))
        .mark_bar(color="#6baed6")
        .encode(
            x=alt.X("lo:Q", bin="binned", title=i18n.t("margin", lang), axis=alt.Axis(format="%")),
            x2="hi:Q",
            y=alt.Y("n:Q", title=i18n.t("n_projects", lang), scale=ZERO),
            tooltip=[
                alt.Tooltip("lo:Q", title=i18n.t("margin", lang) + " ≥", format=".1%"),
                alt.Tooltip("hi:Q", title=i18n.t("margin", lang) + " <", format=".1%"),
                alt.Tooltip("n:Q", title=i18n.t("n_projects", lang), format=","),
            ],
        )
    )
    rule = alt.Chart(_to_pandas(pl.DataFrame({"floor": [floor]}))).mark_rule(color=BAD, strokeDash=[4, 3], size=2).encode(
        x="floor:Q", tooltip=[alt.Tooltip("floor:Q", title=i18n.t("floor", lang), format=".0%")]
    )
    return (bars + rule).properties(height=240)


def margin_by(df: pl.DataFrame, lang: str, *, dim: str, floor: float) -> alt.Chart:
    """Margin (left, floor as a rule) and sales-expense ratio (right) per segment, side by
    side with their own scales (expense is a few %, margin tens of %). Pick: segment."""
    data = df.with_columns(pl.col(dim).cast(pl.String).fill_null("–").alias("segment"))
    sel = _pick(["segment"])
    order = data.sort("margin", nulls_last=True).get_column("segment").to_list()
    y = alt.Y("segment:N", title=None, sort=order, axis=alt.Axis(labelLimit=200))
    tooltip = [
        alt.Tooltip("segment:N", title=i18n.t(dim, lang)),
        alt.Tooltip("margin:Q", title=i18n.t("margin", lang), format=".1%"),
        alt.Tooltip("expense_ratio:Q", title=i18n.t("expense_ratio", lang), format=".2%"),
    ]
    if "n_projects" in data.columns:
        tooltip.append(alt.Tooltip("n_projects:Q", title=i18n.t("n_projects", lang)))
    base = alt.Chart(_to_pandas(data))
    margin_bars = base.mark_bar().encode(
        y=y,
        x=alt.X("margin:Q", title=i18n.t("margin", lang), axis=alt.Axis(format="%"), scale=ZERO),
        color=alt.condition(f"datum.margin < {floor}", alt.value(BAD), alt.value("#4292c6")),
        opacity=_opacity(sel),
        tooltip=tooltip,
    ).add_params(sel)
    rule = alt.Chart(_to_pandas(pl.DataFrame({"floor": [floor]}))).mark_rule(color=BAD, strokeDash=[4, 3]).encode(x="floor:Q")
    median = float(data.get_column("expense_ratio").drop_nulls().median() or 0) if "expense_ratio" in data.columns else 0.0
    expense_bars = base.mark_bar(color="#ff8f00").encode(
        y=alt.Y("segment:N", sort=order, title=None, axis=None),
        x=alt.X("expense_ratio:Q", title=i18n.t("expense_ratio", lang), axis=alt.Axis(format=".1%"), scale=ZERO),
        opacity=_opacity(sel),
        tooltip=tooltip,
    )
    median_rule = alt.Chart(_to_pandas(pl.DataFrame({"m": [median]}))).mark_rule(color="#555", strokeDash=[2, 2]).encode(x="m:Q")
    n = max(data.height, 1)
    h = min(24 * n + 20, 600)
    return alt.hconcat(
        alt.layer(margin_bars, rule).properties(height=h, width=420),
        alt.layer(expense_bars, median_rule).properties(height=h, width=260),
        spacing=8,
    )


# --------------------------------------------------------------------------- project page


def timeline(seg: pl.DataFrame, skips: pl.DataFrame, lang: str) -> alt.Chart:
    """Gantt of the stages a project went through (``project_view.timeline_segments`` and
    ``timeline_skips``: drawn from the SQL's own flags): a stay is a bar, red when the move
    into it is a fall-back, purple when its date is out of order; a stage flagged skipped
    gets a hollow orange diamond on its own row, at the date of the jump past it — the
    stage entered by skipping is an ordinary bar."""
    labels = _stage_frame(lang)
    skipped, fell_back = i18n.t("skipped_note", lang), i18n.t("fell_back_note", lang)
    out_of_order = i18n.exception_label("out_of_order_dates", lang)
    seg = seg.join(labels.select("stage", "stage_label"), on="stage", how="left").with_columns(
        pl.col("move").replace_strict({"back": fell_back, "out_of_order": out_of_order}, default="").alias("note")
    )
    skips = skips.join(labels.select("stage", "stage_label"), on="stage", how="left").with_columns(
        pl.lit(skipped).alias("note"),
        pl.col("entered").replace_strict({s: i18n.stage_label(s, lang) for s in get_config().stage_codes},
                                         default=pl.col("entered"), return_dtype=pl.String).alias("entered_label"),
    )
    order = labels.get_column("stage_label").to_list()
    y = alt.Y("stage_label:N", sort=order, title=None, scale=alt.Scale(domain=order), axis=alt.Axis(labelLimit=200, labelOverlap=False))
    shown = [n for n, present in ((skipped, skips.height > 0), (fell_back, (seg["move"] == "back").any()),
                                   (out_of_order, (seg["move"] == "out_of_order").any())) if present]
    color = alt.Color(
        "note:N",
        scale=alt.Scale(domain=["", skipped, fell_back, out_of_order], range=["#4292c6", "#ff8f00", BAD, "#8e24aa"]),
        legend=alt.Legend(title=None, orient="bottom", values=shown or [skipped, fell_back]),
    )
    bars = alt.Chart(_to_pandas(seg)).mark_bar(height=16, cornerRadius=2).encode(
        y=y,
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%Y-%m-%d")),
        x2="end:T",
        color=color,
        tooltip=[
            alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
            alt.Tooltip("start:T", title=i18n.t("entered_on", lang), format="%Y-%m-%d"),
            alt.Tooltip("end:T", format="%Y-%m-%d"),
            alt.Tooltip("note:N", title=" "),
        ],
    )
    marks = alt.Chart(_to_pandas(skips)).mark_point(shape="diamond", filled=False, size=160, strokeWidth=2.5).encode(
        y=y,
        x=alt.X("on:T"),
        color=color,
        tooltip=[
            alt.Tooltip("stage_label:N", title=i18n.t("stage", lang)),
            alt.Tooltip("note:N", title=" "),
            alt.Tooltip("on:T", title=i18n.t("skipped_on", lang), format="%Y-%m-%d"),
            alt.Tooltip("entered_label:N", title=i18n.t("skipped_to", lang)),
        ],
    )
    # Streamlit fits the whole chart (axes, legend) into this height: 300 px holds six rows.
    return alt.layer(bars, marks).properties(height=max(300, 300 * len(order) // 6))


MAX_DATE_TICKS = 8


def snapshot_axis(dates: Sequence[date]) -> alt.Axis:
    """A time axis whose ticks are the snapshot dates themselves (weekly exports fall on a
    Monday, Vega's own weekly ticks on Sundays): every one, or every k-th (the last always)
    when there are more than ``MAX_DATE_TICKS``."""
    ds = sorted({d for d in dates if d is not None})
    step = max(1, -(-len(ds) // MAX_DATE_TICKS))
    picked = ds[::-1][::step][::-1]
    return alt.Axis(format="%m-%d", values=[alt.DateTime(year=d.year, month=d.month, date=d.day) for d in picked],
                    labelOverlap=False)


def history(snapshots: pl.DataFrame, lang: str, unit: str, *, measure: str = "amount") -> alt.Chart:
    """One project across snapshots: ``measure`` "amount" (expected amount, chosen unit),
    "margin" (the margin basis, else the estimated margin) or "sign" (expected sign date)."""
    div = i18n.unit_divisor(unit, lang)
    margin_col = "margin" if "margin" in snapshots.columns else "estimated_margin"
    data = snapshots.select(
        pl.col("as_of"),
        (pl.col("expected_amount").cast(pl.Float64) / div).alias("amount"),
        pl.col(margin_col).cast(pl.Float64).alias("margin"),
        pl.col("expected_sign_on") if "expected_sign_on" in snapshots.columns else pl.lit(None, pl.Date).alias("expected_sign_on"),
    ).sort("as_of")
    x = alt.X("as_of:T", title=None, axis=snapshot_axis(data.get_column("as_of").to_list()))
    if measure == "sign":  # a sign date pushed out week after week shows as a rising line
        return alt.Chart(_to_pandas(data)).mark_line(point=True, color="#6a51a3", interpolate="step-after").encode(
            x=x, y=alt.Y("expected_sign_on:T", title=None, axis=alt.Axis(format="%Y-%m")),
            tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d"), alt.Tooltip("expected_sign_on:T", format="%Y-%m-%d")],
        ).properties(height=190, title=i18n.t("expected_sign_on", lang))
    if measure == "margin":
        return alt.Chart(_to_pandas(data)).mark_line(point=True, color="#ff8f00").encode(
            x=x, y=alt.Y("margin:Q", title=None, axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d"), alt.Tooltip("margin:Q", format=".1%")],
        ).properties(height=190, title=i18n.t("margin", lang))
    return alt.Chart(_to_pandas(data)).mark_line(point=True).encode(
        x=x, y=alt.Y("amount:Q", title=None),
        tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d"), alt.Tooltip("amount:Q", format=",.1f")],
    ).properties(height=190, title=f"{i18n.t('expected_amount', lang)} ({i18n.unit_suffix(unit, lang)})")


# --------------------------------------------------------------------------- forecast (issue 12)

FORECAST_MEASURES = ("won", "commit_amount", "weighted", "best_case", "pipeline")
FORECAST_COLORS = ["#2e7d32", "#1565c0", "#42a5f5", "#90caf9", "#b0bec5"]


def forecast_bars(forecast: pl.DataFrame, lang: str, unit: str) -> alt.Chart:
    """Per period (current/next month and quarter): won so far, commit, weighted, best case
    and pipeline side by side, bars from zero, amounts in the chosen unit."""
    div = i18n.unit_divisor(unit, lang)
    rows = []
    for r in forecast.sort("period_kind", "period_offset").iter_rows(named=True):
        for order, m in enumerate(FORECAST_MEASURES):
            value = float(r[m] or 0) / div
            rows.append({"period": r["period"], "measure": i18n.t(f"fc_{m}", lang), "order": order, "value": value,
                         "text": i18n.fmt_amount(float(r[m] or 0), lang, unit)})
    data = pl.DataFrame(rows, schema={"period": pl.String, "measure": pl.String, "order": pl.Int64,
                                      "value": pl.Float64, "text": pl.String})
    measures = [i18n.t(f"fc_{m}", lang) for m in FORECAST_MEASURES]
    periods = list(dict.fromkeys(data.get_column("period").to_list()))
    return alt.Chart(_to_pandas(data)).mark_bar().encode(
        y=alt.Y("measure:N", sort=measures, title=None, axis=alt.Axis(labelLimit=160)),
        x=alt.X("value:Q", title=i18n.unit_suffix(unit, lang), scale=ZERO),
        color=alt.Color("measure:N", sort=measures, scale=alt.Scale(domain=measures, range=FORECAST_COLORS), legend=None),
        row=alt.Row("period:N", sort=periods, title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=[alt.Tooltip("period:N", title=i18n.t("period", lang)), alt.Tooltip("measure:N", title=i18n.t("metric", lang)),
                 alt.Tooltip("text:N", title=i18n.t("value", lang))],
    ).properties(height=110)


def backtest_lines(backtest: pl.DataFrame, lang: str, unit: str, *, kind: str) -> alt.Chart:
    """For every snapshot: what it forecast (weighted) for the next month/quarter against
    what was won there (complete periods solid, still-running ones hollow). Values from zero."""
    div = i18n.unit_divisor(unit, lang)
    df = backtest.filter(pl.col("period_kind") == kind).sort("made_on")
    rows = []
    for r in df.iter_rows(named=True):
        for m, value in (("bt_forecast", r["weighted"]), ("bt_actual", r["actual"])):
            rows.append({"made_on": r["made_on"], "period": r["period"], "series": i18n.t(m, lang),
                         "value": float(value or 0) / div, "complete": bool(r["is_complete"]),
                         "text": i18n.fmt_amount(float(value or 0), lang, unit)})
    data = pl.DataFrame(rows, schema={"made_on": pl.Date, "period": pl.String, "series": pl.String, "value": pl.Float64,
                                      "complete": pl.Boolean, "text": pl.String})
    series = [i18n.t("bt_forecast", lang), i18n.t("bt_actual", lang)]
    base = alt.Chart(_to_pandas(data)).encode(
        x=alt.X("made_on:T", title=i18n.t("bt_made_on", lang), axis=snapshot_axis(data.get_column("made_on").to_list())),
        y=alt.Y("value:Q", title=i18n.unit_suffix(unit, lang), scale=ZERO),
        color=alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=[TOTAL, GOOD]),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("made_on:T", format="%Y-%m-%d", title=i18n.t("bt_made_on", lang)),
                 alt.Tooltip("period:N", title=i18n.t("bt_period", lang)), alt.Tooltip("series:N", title=i18n.t("metric", lang)),
                 alt.Tooltip("text:N", title=i18n.t("value", lang))],
    )
    lines = base.mark_line()
    points = base.mark_point(size=60).encode(
        fill=alt.condition("datum.complete", alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=[TOTAL, GOOD])),
                           alt.value("white")))
    return (lines + points).properties(height=280)


TREND_AMOUNTS = ("pipeline", "weighted")


def trend_panels(trends: pl.DataFrame, lang: str, unit: str) -> alt.VConcatChart:
    """Across snapshots: open pipeline and weighted forecast (lines); the amount won each
    week (bars); the win rate; stalled projects and margin alerts. Every value axis starts
    at zero."""
    div = i18n.unit_divisor(unit, lang)
    df = trends.sort("as_of")
    axis = snapshot_axis(df.get_column("as_of").to_list())
    x = alt.X("as_of:T", title=None, axis=axis)
    amount_rows, count_rows = [], []
    for r in df.iter_rows(named=True):
        for m in TREND_AMOUNTS:
            amount_rows.append({"as_of": r["as_of"], "series": i18n.t(f"tr_{m}", lang), "value": float(r[m] or 0) / div})
        for m in ("n_stalled", "n_margin_alerts"):
            count_rows.append({"as_of": r["as_of"], "series": i18n.t(f"tr_{m}", lang), "value": int(r[m] or 0)})
    amounts = pl.DataFrame(amount_rows, schema={"as_of": pl.Date, "series": pl.String, "value": pl.Float64})
    # one bar per week that has one before it (the first snapshot has no "this week"), on a
    # band axis of the snapshot dates: thin bars on a time axis sat between the ticks
    won = df.filter(pl.col("won_week").is_not_null()).select(
        "as_of", pl.col("as_of").dt.strftime("%m-%d").alias("week"), (pl.col("won_week").cast(pl.Float64) / div).alias("value"))
    unit_title = i18n.unit_suffix(unit, lang)
    won_bars = alt.Chart(_to_pandas(won)).mark_bar(color=GOOD).encode(
        x=alt.X("week:O", title=None, sort=won.get_column("week").to_list(), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=unit_title, scale=ZERO),
        tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d", title=i18n.t("as_of_col", lang)), alt.Tooltip("value:Q", format=",.1f", title=i18n.t("tr_won_week", lang))],
    )
    amount_lines = alt.Chart(_to_pandas(amounts)).mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title=unit_title, scale=ZERO),
        color=alt.Color("series:N", legend=alt.Legend(orient="top", title=None),
                        scale=alt.Scale(domain=[i18n.t(f"tr_{m}", lang) for m in TREND_AMOUNTS], range=[TOTAL, "#42a5f5"])),
        tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d", title=i18n.t("as_of_col", lang)), alt.Tooltip("series:N", title=i18n.t("metric", lang)),
                 alt.Tooltip("value:Q", format=",.1f", title=i18n.t("value", lang))],
    )
    # the week's wins are a few % of the pipeline: their own panel, or they would not show
    amount_panel = amount_lines.properties(height=200, title=f"{i18n.t('tr_amounts_title', lang)} ({unit_title})")
    won_panel = won_bars.properties(height=120, title=f"{i18n.t('tr_won_week', lang)} ({unit_title})")
    rate = alt.Chart(_to_pandas(df.select("as_of", "win_rate"))).mark_line(point=True, color="#6a51a3").encode(
        x=x, y=alt.Y("win_rate:Q", title=None, axis=alt.Axis(format="%"), scale=ZERO),
        tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d", title=i18n.t("as_of_col", lang)), alt.Tooltip("win_rate:Q", format=".1%", title=i18n.t("kpi_win_rate", lang))],
    ).properties(height=150, title=i18n.t("kpi_win_rate", lang))
    counts = alt.Chart(_to_pandas(pl.DataFrame(count_rows, schema={"as_of": pl.Date, "series": pl.String, "value": pl.Int64}))).mark_line(
        point=True).encode(
        x=x, y=alt.Y("value:Q", title=None, scale=ZERO),
        color=alt.Color("series:N", legend=alt.Legend(orient="top", title=None),
                        scale=alt.Scale(domain=[i18n.t("tr_n_stalled", lang), i18n.t("tr_n_margin_alerts", lang)],
                                        range=[BAD, "#ff8f00"])),
        tooltip=[alt.Tooltip("as_of:T", format="%Y-%m-%d", title=i18n.t("as_of_col", lang)), alt.Tooltip("series:N", title=i18n.t("metric", lang)),
                 alt.Tooltip("value:Q", format=",", title=i18n.t("value", lang))],
    ).properties(height=150, title=i18n.t("tr_counts_title", lang))
    return alt.vconcat(amount_panel, won_panel, rate, counts).resolve_scale(color="independent")


# --------------------------------------------------------------------------- visits (issue 13)


def visits_per_person(weekly: pl.DataFrame, lang: str, *, quota: float) -> alt.Chart:
    """Visits per working day per person over the weeks of ``visits_weekly`` (bars from zero),
    the quota as a rule; below the quota in red. Input: the query's rows (one per person ×
    week: a few hundred at most), summed here per person."""
    per = (weekly.group_by("reporter").agg(pl.col("n_visits").sum(), pl.col("n_working_days").sum())
           .with_columns(rate=pl.when(pl.col("n_working_days") > 0)
                         .then(pl.col("n_visits") / pl.col("n_working_days")).otherwise(None))
           .sort("rate", "reporter", nulls_last=True))
    order = per.get_column("reporter").to_list()
    rate_title = i18n.t("visits_per_working_day", lang)
    bars = alt.Chart(_to_pandas(per)).mark_bar().encode(
        y=alt.Y("reporter:N", title=None, sort=order, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        x=alt.X("rate:Q", title=rate_title, scale=ZERO),
        color=alt.condition(f"datum.rate < {float(quota)}", alt.value(BAD), alt.value("#4292c6")),
        tooltip=[alt.Tooltip("reporter:N", title=i18n.t("reporter", lang)),
                 alt.Tooltip("rate:Q", title=rate_title, format=".2f"),
                 alt.Tooltip("n_visits:Q", title=i18n.t("n_visits", lang), format=",.0f"),
                 alt.Tooltip("n_working_days:Q", title=i18n.t("n_working_days", lang))],
    )
    rule = alt.Chart(_to_pandas(pl.DataFrame({"quota": [float(quota)]}))).mark_rule(color=BAD, strokeDash=[4, 3]).encode(
        x="quota:Q")
    return alt.layer(bars, rule).properties(height=min(24 * max(per.height, 1) + 20, 600))


def visits_mix(mix: pl.DataFrame, lang: str) -> alt.Chart:
    """Visits per segment, stacked by purpose (bars from zero); the customer categories are
    summed (the table below has them). Input: ``visits_mix`` rows (segments × purposes × categories)."""
    data = (mix.with_columns(pl.col("segment").cast(pl.String).fill_null("–"),
                             pl.col("purpose").fill_null("none"))
            .group_by("segment", "purpose").agg(pl.col("n_visits").sum()))
    names = {p: (i18n.purpose_label(p, lang) if p != "none" else i18n.MISSING) for p in data.get_column("purpose").unique().to_list()}
    data = data.with_columns(purpose_label=pl.col("purpose").replace_strict(names, return_dtype=pl.String))
    return alt.Chart(_to_pandas(data)).mark_bar().encode(
        y=alt.Y("segment:N", title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        x=alt.X("n_visits:Q", title=i18n.t("n_visits", lang), stack="zero", scale=ZERO),
        color=alt.Color("purpose_label:N", title=i18n.t("purpose", lang)),
        tooltip=[alt.Tooltip("segment:N", title=i18n.t("segment", lang)),
                 alt.Tooltip("purpose_label:N", title=i18n.t("purpose", lang)),
                 alt.Tooltip("n_visits:Q", title=i18n.t("n_visits", lang), format=",.0f")],
    ).properties(height=min(24 * max(data.get_column("segment").n_unique(), 1) + 40, 600))


def four_visits(df: pl.DataFrame, lang: str) -> alt.Chart:
    """Win rate by visits before the decision (0 … 5+), bars from zero, with the closed
    projects behind each bar in the tooltip."""
    rate = i18n.t("win_rate", lang)
    return alt.Chart(_to_pandas(df)).mark_bar(color="#2e7d32").encode(
        x=alt.X("bucket:N", title=i18n.t("bucket", lang), sort=df.sort("bucket_order").get_column("bucket").to_list(),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("win_rate:Q", title=rate, axis=alt.Axis(format="%"), scale=alt.Scale(zero=True, domain=[0, 1])),
        tooltip=[alt.Tooltip("bucket:N", title=i18n.t("bucket", lang)),
                 alt.Tooltip("win_rate:Q", title=rate, format=".0%"),
                 alt.Tooltip("n_closed:Q", title=i18n.t("n_closed", lang)),
                 alt.Tooltip("n_won:Q", title=i18n.t("n_won", lang))],
    ).properties(height=260)


RECEIVABLE_BUCKETS = ("not_due", "0-30", "31-60", "61-90", ">90")
RECEIVABLE_COLORS = ["#9ecae1", "#fdd49e", "#fc8d59", "#e34a33", "#b30000"]


def receivables_aging(aging: pl.DataFrame, lang: str) -> alt.Chart:
    """Outstanding receivables per segment, stacked by days past the agreed date (bars from
    zero). Input: ``receivables_aging`` rows (segments × 5 buckets)."""
    names = [i18n.receivable_bucket_label(b, lang) for b in RECEIVABLE_BUCKETS]
    data = aging.with_columns(
        pl.col("segment").cast(pl.String).fill_null(i18n.t("all", lang)),
        pl.col("receivable_bucket").replace_strict(dict(zip(RECEIVABLE_BUCKETS, names, strict=True)), return_dtype=pl.String).alias("bucket"),
        (pl.col("outstanding_amount").cast(pl.Float64)).alias("amount"))
    return alt.Chart(_to_pandas(data)).mark_bar().encode(
        y=alt.Y("segment:N", title=None, axis=alt.Axis(labelLimit=160)),
        x=alt.X("amount:Q", title=i18n.t("outstanding_amount", lang), stack="zero", scale=ZERO,
                axis=alt.Axis(format="~s")),
        color=alt.Color("bucket:N", title=i18n.t("receivable_bucket", lang), sort=names,
                        scale=alt.Scale(domain=names, range=RECEIVABLE_COLORS)),
        order=alt.Order("bucket_order:Q"),
        tooltip=[alt.Tooltip("segment:N", title=i18n.t("segment", lang)),
                 alt.Tooltip("bucket:N", title=i18n.t("receivable_bucket", lang)),
                 alt.Tooltip("amount:Q", title=i18n.t("outstanding_amount", lang), format=",.0f"),
                 alt.Tooltip("n_invoices:Q", title=i18n.t("n_invoices", lang))],
    ).properties(height=min(28 * max(data.get_column("segment").n_unique(), 1) + 40, 500))
