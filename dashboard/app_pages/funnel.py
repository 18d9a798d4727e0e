"""Funnel: the six-stage funnel (reached, step / cumulative / decided conversion), win rate
(its closed projects on demand), the funnel by region × customer grade as a heat map (win
rate, reach of the tender stage, open projects or open pipeline), and conversion by segment
(region, grade, owner or category) × stage. Clicking a stage bar or a heat-map cell lists
its projects; a row opens the project.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, i18n
from dashboard.app_pages import _ui
from dashboard.sidebar import context

ctx = context()
lang = ctx.lang
st.title(ctx.t("page_funnel"))
_ui.require_data(ctx)

f = ctx.filters()
funnel = _ui.load(ctx, "funnel", f)
if funnel is None or _ui.empty_result(ctx, funnel) or int(funnel.get_column("reached").max() or 0) == 0:
    if funnel is not None and funnel.height:
        st.info(ctx.t("empty_filter"))
    st.stop()

st.subheader(ctx.t("funnel_title"))
wr = _ui.load(ctx, "win_rate", ctx.filters(since=None))
if wr is not None and wr.height:
    w = wr.row(0, named=True)
    rate_text = i18n.fmt_pct(w.get("win_rate"), lang)
    st.metric(ctx.t("kpi_win_rate"), rate_text,
              help=ctx.t("win_rate_line", rate=rate_text, won=i18n.fmt_int(w.get("n_won")), closed=i18n.fmt_int(w.get("n_closed"))))
    if st.toggle(ctx.t("win_rate_drill"), key="funnel_win_rate_drill", disabled=not w.get("n_closed")):
        _ui.closed_projects(ctx, ctx.filters(since=None), key="funnel_closed_table")
picks = _ui.chart("funnel", funnel, lang, key="funnel_chart", param=charts.PICK)
st.caption(ctx.t("select_mark_hint"))
with st.expander(ctx.t("funnel_title"), expanded=True):
    _ui.project_table(
        ctx, funnel, key="funnel_table", stem="funnel",
        columns=["stage", "reached", "step_conversion", "cumulative_conversion", "decided_conversion",
                 "n_open_here", "n_lost_here", "n_dropped_here", "n_skipped", "expected_amount"],
    )
    st.caption(ctx.t("decided_help"))

picked_stage = picks[0].get("stage") if picks else None

# --------------------------------------------------------------------------- region × grade
# The manager's first question on this page: where do we win, and where does the funnel thin
# out? Rows region, columns grade A–D; the metric is chosen (win rate first).
REACH_STAGE = i18n.get_config().role_stage("bid").code  # tender
st.subheader(ctx.t("rg_title"))
rg_metric = st.segmented_control(
    ctx.t("rg_metric"), options=list(charts.REGION_GRADE_METRICS),
    format_func=lambda m: ctx.t(m, stage=i18n.stage_label(REACH_STAGE, lang)) if m == "reached_rate" else ctx.t(m),
    default="win_rate", key="funnel_rg_metric",
) or "win_rate"
rg = _ui.load(ctx, "funnel_region_grade", f, stage=REACH_STAGE)
if rg is not None and rg.height:
    rg_title = ctx.t(rg_metric, stage=i18n.stage_label(REACH_STAGE, lang))
    rg_cells = _ui.chart("region_grade_heatmap", rg, lang, ctx.unit, value=rg_metric, value_title=rg_title,
                         stage=REACH_STAGE, key="funnel_rg_heatmap", param=charts.PICK)
    st.caption(ctx.t("rg_hint"))
    rg_cell = rg_cells[0] if rg_cells else None
    if rg_cell and rg_cell.get("region") is not None and rg_cell.get("grade") is not None:
        region, grade = str(rg_cell["region"]), str(rg_cell["grade"])
        cell_f = ctx.filters(region=(region,), grade=(grade,))
        st.subheader(ctx.t("projects_behind", what=rg_title))
        # region names come from the data: plain text only
        st.text(ctx.t("rg_cell", region_label=ctx.t("region"), region=region, grade_label=ctx.t("grade"), grade=grade))
        if rg_metric == "win_rate":
            _ui.closed_projects(ctx, ctx.filters(region=(region,), grade=(grade,), since=None), key="funnel_cell_table")
        else:
            first = i18n.get_config().role_stage("first").code
            listed = _ui.load(ctx, "projects_reached", cell_f, stage=REACH_STAGE if rg_metric == "reached_rate" else first)
            if listed is not None and rg_metric in ("n_open", "open_amount"):  # as the cell counts them
                listed = listed.filter(pl.col("outcome") == "open")
            if listed is not None and not _ui.empty_result(ctx, listed):
                _ui.project_table(ctx, listed, key="funnel_cell_table", stem=f"funnel-{region}-{grade}",
                                  columns=["project_id", "project_name", "customer", "owner", "stage", "furthest_stage",
                                           "status", "expected_amount", "margin"])

# --------------------------------------------------------------------------- segment × stage
st.subheader(ctx.t("segment_stage_title"))
# One above the other: side by side in half-width columns the English labels were cut off.
by = st.segmented_control(ctx.t("heat_by"), options=list(ctx.dimensions), format_func=lambda d: ctx.t(d),
                         default="region", key="funnel_by")
by = by or "region"
metric = st.segmented_control(
    ctx.t("heat_metric"), options=["cumulative_conversion", "step_conversion", "decided_conversion", "reached"],
    format_func=lambda m: ctx.t(m), default="cumulative_conversion", key="funnel_metric",
)
metric = metric or "cumulative_conversion"
seg = _ui.load(ctx, "funnel", f, by=by)
cell = None
if seg is not None and seg.height:
    seg = seg.rename({"segment": by})
    cells = _ui.chart("heatmap", seg, lang, row=by, value=metric, value_title=ctx.t(metric),
                      percent=metric != "reached", key="funnel_heatmap", param=charts.PICK)
    cell = cells[0] if cells else None

# --------------------------------------------------------------------------- projects behind a pick
if picked_stage or cell:
    stage = (cell or {}).get("stage") or picked_stage
    segment = (cell or {}).get("segment")
    extra_filter = {}
    if segment is not None:
        extra_filter[by] = (segment,)
    projects = _ui.load(ctx, "projects_reached", ctx.filters(**extra_filter), stage=stage)
    label = i18n.stage_label(stage, lang)
    st.subheader(ctx.t("stage_projects", stage=label))
    if segment is not None:  # a region/owner name comes from the data: plain text only
        st.text(f"{ctx.t(by)}: {segment}")
    if projects is not None and not _ui.empty_result(ctx, projects):
        _ui.project_table(ctx, projects, key="funnel_projects_table", stem=f"funnel-{stage}",
                          columns=["project_id", "project_name", "customer", "grade", "region", "owner", "stage",
                                   "furthest_stage", "status", "expected_amount", "margin", "estimated_margin"])
