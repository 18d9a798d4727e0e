"""Stage aging: projects in progress — open ones, and won ones still in implementation
(a signed project can stall in delivery too) — by stage and days in stage (stalled ones
highlighted with their limit), and how long each stage historically takes (median / P75 /
P90) overall, by region or by owner. The figure says how it splits into open (the weekly
review's "Open projects") and won-in-implementation, so the two pages agree.
Clicking a bar narrows the table; a row opens the project.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, i18n
from dashboard.app_pages import _ui
from dashboard.sidebar import context

ctx = context()
lang = ctx.lang
st.title(ctx.t("page_aging"))
_ui.require_data(ctx)

aging = _ui.load(ctx, "aging")
if aging is not None and not _ui.empty_result(ctx, aging):
    st.subheader(ctx.t("aging_title"))
    n_stalled = int(aging.get_column("is_stalled").sum())
    n_open = aging.filter(pl.col("outcome") == "open").height
    c1, c2 = st.columns(2)
    c1.metric(ctx.t("kpi_in_progress"), i18n.fmt_int(aging.height))
    c2.metric(ctx.t("kpi_stalled"), i18n.fmt_int(n_stalled))
    st.caption(ctx.t("in_progress_split", open=i18n.fmt_int(n_open), won=i18n.fmt_int(aging.height - n_open)))
    picks = _ui.chart("aging", charts.aging_counts(aging), lang, key="aging_chart", param=charts.PICK)
    st.caption(ctx.t("select_mark_hint"))
    stalled_only = st.toggle(ctx.t("aging_stalled_only"), key="aging_stalled_only")
    shown = aging
    if picks:
        p = picks[0]
        if p.get("stage"):
            shown = shown.filter(pl.col("stage") == p["stage"])
        if p.get("aging_bucket"):
            shown = shown.filter(pl.col("aging_bucket") == p["aging_bucket"])
    if stalled_only:
        shown = shown.filter(pl.col("is_stalled"))
    shown = shown.sort(["is_stalled", "days_in_stage"], descending=[True, True])
    st.subheader(ctx.t("aging_table"))
    if not _ui.empty_result(ctx, shown):
        _ui.project_table(
            ctx, shown, key="aging_table", stem="aging", height=420,
            columns=["project_id", "project_name", "stage", "status", "days_in_stage", "limit_days", "is_stalled",
                     "owner", "region", "grade", "entered_on"],
        )

st.divider()
st.subheader(ctx.t("durations_title"))
by = st.segmented_control(
    ctx.t("durations_by"), options=["overall", "region", "owner"], format_func=lambda d: ctx.t(d),
    default="overall", key="aging_durations_by",
)
by = by or "overall"
extra = {} if by == "overall" else {"by": by}
durations = _ui.load(ctx, "stage_durations", **extra)
if durations is not None and not _ui.empty_result(ctx, durations):
    if by != "overall":
        durations = durations.rename({"segment": by})
        top = (durations.group_by(by).agg(pl.col("n").sum()).sort("n", descending=True).head(9).get_column(by).to_list())
        _ui.chart("durations", durations.filter(pl.col(by).is_in(top)), lang, segment=by, key="aging_durations_chart")
    else:
        _ui.chart("durations", durations, lang, key="aging_durations_chart")
    st.caption(ctx.t("durations_legend"))
    cols = ([by] if by != "overall" else []) + ["stage", "n", "median_days", "p75_days", "p90_days"]
    _ui.project_table(ctx, durations, key="aging_durations_table", stem="stage-durations", columns=cols)
