"""Margin: every failed gross-margin check with its reason, the margin distribution, and
margin and sales-expense ratio by owner, region, grade or category (ratio of sums).
A row opens the project; a bar narrows the failed checks to that segment.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, i18n
from dashboard.app_pages import _ui
from dashboard.config import get_config
from dashboard.sidebar import context

ctx = context()
lang = ctx.lang
st.title(ctx.t("page_margin"))
_ui.require_data(ctx)
floor = get_config().thresholds.margin_floor

checks = _ui.load(ctx, "margin")
projects = _ui.load(ctx, "projects")
if projects is not None and _ui.empty_result(ctx, projects):
    st.stop()

# --------------------------------------------------------------------------- by segment
st.subheader(ctx.t("margin_by_title"))
dim = st.segmented_control(ctx.t("margin_by_title"), options=list(ctx.dimensions), format_func=lambda d: ctx.t(d),
                           default="owner", key="margin_by", label_visibility="collapsed")
dim = dim or "owner"
by = _ui.load(ctx, "margin_summary", by=dim)
segment = None
if by is not None and by.height:
    by = by.rename({"segment": dim})
    picks = _ui.chart("margin_by", by, lang, dim=dim, floor=floor, key="margin_by_chart", param=charts.PICK)
    segment = picks[0].get("segment") if picks else None

# --------------------------------------------------------------------------- failed checks
st.subheader(ctx.t("checks_title"))
if checks is not None:
    names = projects.select("project_id", "project_name", "region", "grade", "owner", "category") if projects is not None else None
    shown = checks.join(names.select("project_id", *[c for c in names.columns if c != "project_id" and c not in checks.columns]),
                        on="project_id", how="left") if names is not None else checks
    kinds = [k for k in i18n.CHECK_NAMES if k in set(shown.get_column("check").unique().to_list())]
    picked = st.pills(ctx.t("check_filter"), options=kinds, format_func=lambda k: i18n.check_label(k, lang),
                      selection_mode="multi", key="margin_checks")
    if picked:
        shown = shown.filter(pl.col("check").is_in(picked))
    if segment is not None and dim in shown.columns:
        shown = shown.filter(pl.col(dim).cast(pl.String) == segment)
    rank = {"high": 0, "medium": 1, "low": 2, "info": 3}
    shown = shown.with_columns(pl.col("severity").replace_strict(rank, default=9, return_dtype=pl.Int32).alias("_rank")) \
        .sort(["_rank", "margin"], nulls_last=True).drop("_rank")
    if shown.height == 0:
        st.success(ctx.t("no_alerts"))
    else:
        _ui.project_table(ctx, shown, key="margin_table", stem="margin-checks", height=420,
                          columns=["project_id", "project_name", "check", "severity", "margin", "owner", "region",
                                   "grade", "category", "detail"])

# --------------------------------------------------------------------------- distribution
st.subheader(ctx.t("margin_dist"))
if projects is not None and projects.height:
    live = projects.filter(pl.col("status").is_in(["open", "won", "completed"])).rename({"estimated_margin": "margin"})
    if live.get_column("margin").drop_nulls().len():
        _ui.chart("margin_histogram", charts.margin_bins(live), lang, floor, key="margin_hist")
