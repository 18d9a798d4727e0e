"""Visits & collections (issue 13). Visits, from the daily visit reports (销售日报): A/B-grade
open projects nobody has visited lately, visits per person against the quota, what the
visits were for, visit frequency by grade against its target, planned revisits kept or
not, the four-visit rule on the company's own data, the visits that match no project.
Collections (回款): receivables by days past the agreed date, won projects with nothing
collected, and per project contract vs invoiced vs collected.

Every figure comes from a query in queries/ (docs/ANALYSES.md "Visits", "Collections") through
``_ui.load``; the sidebar's filters (in the URL) apply: region = the visit's, owner = the
person who visited, grade/category = the matched project's (collections: the project's). No SQL here.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.config import get_config
from dashboard.app_pages import _ui
from dashboard.sidebar import context

ctx = context()
lang = ctx.lang
st.title(ctx.t("page_visits"))
st.header(ctx.t("visits_title"), divider="gray")
st.caption(ctx.t("visits_intro"))
_ui.require_data(ctx)
settings = get_config().visits

summary = _ui.load(ctx, "visits_summary")
if summary is not None and summary.height and summary.get_column("n_visits_stored")[0] == 0:
    st.info(ctx.t("visits_none"))

# --------------------------------------------------------------------------- alerts first
st.subheader(ctx.t("visit_alerts_title"))
alerts = _ui.load(ctx, "visit_alerts")
if alerts is not None:
    if alerts.height == 0:
        st.success(ctx.t("visit_alerts_none"))
    else:
        _ui.project_table(ctx, alerts, key="visit_alerts_table", stem="visit-alerts", height=360,
                          columns=["project_id", "project_name", "customer", "grade", "region", "owner", "stage",
                                   "expected_amount", "n_visits", "last_visit_on", "days_since_visit", "alert_days"])

# --------------------------------------------------------------------------- per person
st.subheader(ctx.t("visits_weekly_title"))
st.caption(ctx.t("visits_weekly_help", quota=f"{settings.quota_per_working_day:g}"))
weekly = _ui.load(ctx, "visits_weekly")
if weekly is not None and weekly.height:
    _ui.chart("visits_per_person", weekly, lang, quota=settings.quota_per_working_day, key="visits_person_chart")
    latest = weekly.sort("week_start", descending=True)
    _ui.project_table(ctx, latest, key="visits_weekly_table", stem="visits-weekly", height=320,
                      columns=["reporter", "week_start", "n_visits", "n_working_days", "visits_per_working_day", "quota",
                               "is_below_quota", "n_days_with_visits"])
    with st.expander(ctx.t("visits_daily_title")):
        daily = _ui.load(ctx, "visits_daily")
        if daily is not None:
            _ui.project_table(ctx, daily.sort("visit_on", "reporter", descending=[True, False]), key="visits_daily_table",
                              stem="visits-daily", height=360,
                              columns=["reporter", "visit_on", "is_working_day", "n_visits", "quota", "is_below_quota"])

# --------------------------------------------------------------------------- mix
st.subheader(ctx.t("visits_mix_title"))
dim = st.segmented_control(ctx.t("visits_mix_title"), options=["owner", "region", "grade"],
                           format_func=lambda d: ctx.t("reporter") if d == "owner" else ctx.t(d),
                           default="owner", key="visits_by", label_visibility="collapsed") or "owner"
mix = _ui.load(ctx, "visits_mix", by=dim)
if mix is not None and mix.height:
    _ui.chart("visits_mix", mix, lang, key="visits_mix_chart")
    named = "reporter" if dim == "owner" else dim  # the segment column headed by what it is
    _ui.project_table(ctx, mix.rename({"segment": named}), key="visits_mix_table", stem="visits-mix", height=300,
                      columns=[named, "purpose", "customer_category", "n_visits", "share"])

# --------------------------------------------------------------------------- frequency by grade
st.subheader(ctx.t("visits_frequency_title"))
freq = _ui.load(ctx, "visits_frequency")
if freq is not None and freq.height:
    _ui.project_table(ctx, freq, key="visits_frequency_table", stem="visits-frequency",
                      columns=["grade", "n_projects", "n_visits", "visits_per_project_30d", "target_per_30d",
                               "n_below_target", "meets_target"])

# --------------------------------------------------------------------------- revisits
st.subheader(ctx.t("revisits_title"))
rs = _ui.load(ctx, "revisits_summary")
if rs is not None and rs.height:
    _ui.project_table(ctx, rs.rename({"segment": "reporter"}), key="revisits_summary_table", stem="revisits-by-person",
                      height=300, columns=["reporter", "n_planned", "n_kept", "n_kept_late", "n_overdue", "n_missed",
                                           "n_pending", "kept_rate", "on_time_rate"])
    rv = _ui.load(ctx, "revisits")
    if rv is not None:
        late = rv.filter(pl.col("revisit_status").is_in(["overdue", "missed", "kept_late"]))
        if late.height:
            _ui.project_table(ctx, late.sort("revisit_on", descending=True), key="revisits_table", stem="revisits",
                              height=360, columns=["reporter", "customer", "project_id", "visit_on", "revisit_on",
                                                   "next_visit_on", "revisit_status", "days_late"])

# --------------------------------------------------------------------------- four-visit rule
st.subheader(ctx.t("four_visits_title"))
fv = _ui.load(ctx, "four_visits")
if fv is not None and fv.height:
    left, right = st.columns([1, 1.2], gap="medium")
    with left:
        _ui.chart("four_visits", fv, lang, key="four_visits_chart")
    with right:
        _ui.project_table(ctx, fv, key="four_visits_table", stem="four-visits",
                          columns=["bucket", "n_closed", "n_won", "n_lost", "win_rate"])
st.markdown(f"**{ctx.t('four_visits_open_title', n=settings.four_visit_min)}**")
fo = _ui.load(ctx, "four_visits_open")
if fo is not None:
    _ui.project_table(ctx, fo, key="four_visits_open_table", stem="four-visits-open", height=360,
                      columns=["project_id", "project_name", "customer", "grade", "region", "owner", "stage",
                               "expected_amount", "n_visits", "last_visit_on"])

# --------------------------------------------------------------------------- unmatched
st.subheader(ctx.t("visits_unmatched_title"))
un = _ui.load(ctx, "visits_unmatched")
if un is not None and un.height:
    _ui.project_table(ctx, un, key="visits_unmatched_table", stem="visits-unmatched", height=300,
                      columns=["customer", "match_status", "project_id_given", "n_visits", "first_visit_on",
                               "last_visit_on", "reporters"])

# =========================================================================== collections
st.header(ctx.t("collections_title"), divider="gray")
st.caption(ctx.t("collections_intro"))
money = _ui.load(ctx, "collections_summary")
has_money = bool(money is not None and money.height and money.get_column("n_entries_stored")[0] > 0)
if money is not None and not has_money:
    st.info(ctx.t("collections_none"))
if money is not None and has_money:
    m = money.row(0, named=True)
    figs = st.columns(4, gap="small")
    for col, key in zip(figs[:3], ("receivable_amount", "overdue_amount", "over_90_amount"), strict=True):
        col.metric(ctx.t(key), i18n.fmt_amount(m[key], lang, ctx.unit), border=True)
    figs[3].metric(ctx.t("n_overdue_projects"), i18n.fmt_int(m["n_overdue_projects"]), border=True)

    st.subheader(ctx.t("receivables_aging_title"))
    money_by = st.segmented_control(ctx.t("receivables_aging_title"), options=list(ctx.dimensions),
                                    format_func=ctx.t, default="region", key="money_by",
                                    label_visibility="collapsed") or "region"
    aging = _ui.load(ctx, "receivables_aging", by=money_by)
    if aging is not None and aging.height:
        _ui.chart("receivables_aging", aging, lang, key="receivables_aging_chart")
        _ui.project_table(ctx, aging.rename({"segment": money_by}), key="receivables_aging_table",
                          stem="receivables-aging", height=300,
                          columns=[money_by, "receivable_bucket", "n_invoices", "n_projects", "outstanding_amount"])
    receivables = _ui.load(ctx, "receivables")
    if receivables is not None and receivables.height:
        st.markdown(f"**{ctx.t('receivables_title')}**")
        _ui.project_table(ctx, receivables, key="receivables_table", stem="receivables", height=360,
                          columns=["project_id", "project_name", "customer", "region", "owner", "invoice_on", "due_on",
                                   "invoiced_amount", "outstanding_amount", "days_past_due", "receivable_bucket"])

st.subheader(ctx.t("won_uncollected_title", n=get_config().collections.won_uncollected_days))
won = _ui.load(ctx, "won_uncollected") if has_money else None
if won is not None:
    if won.height == 0:
        st.success(ctx.t("won_uncollected_none"))
    else:
        _ui.project_table(ctx, won, key="won_uncollected_table", stem="won-uncollected", height=320,
                          columns=["project_id", "project_name", "customer", "grade", "region", "owner", "won_on",
                                   "days_since_won", "contract_amount", "invoiced_amount"])
if has_money:
    st.subheader(ctx.t("collections_per_project"))
    per_project = _ui.load(ctx, "collections")
    if per_project is not None and per_project.height:
        _ui.project_table(ctx, per_project, key="collections_table", stem="collections", height=360,
                          columns=["project_id", "project_name", "customer", "region", "owner", "contract_amount",
                                   "invoiced_amount", "collected_amount", "receivable_amount", "overdue_amount",
                                   "collected_share", "last_payment_on"])
