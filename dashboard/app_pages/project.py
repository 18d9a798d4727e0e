"""Project drill-down: one project (``?project=ID``): header figures, the stage timeline
(skips and fall-backs visible), amount / margin / expected sign date across snapshots,
and every flag it raises. Reached from any table row or chart mark, or by URL.
All text from uploads is shown with st.dataframe / st.text, never Markdown (st.metric
renders Markdown: it shows only our own formatted numbers and dates).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, filters, i18n, project_view
from dashboard.app_pages import _ui
from dashboard.sidebar import context
from queries.dimensions import DIMENSIONS

ctx = context()
lang, unit = ctx.lang, ctx.unit
st.title(ctx.t("page_project"))
_ui.require_data(ctx)

url_id = filters.project_id_from(st.query_params.get_all(filters.KEY_PROJECT))
# The box follows the URL whenever the URL names another project (a drill-down landed here).
if url_id and st.session_state.get("_project_url") != url_id:
    st.session_state["project_pick"] = url_id
st.session_state["_project_url"] = url_id
typed = st.text_input(ctx.t("project_pick"), key="project_pick", help=ctx.t("project_pick_help"), max_chars=200)
project_id = (typed or "").strip() or None
if project_id != url_id:
    if project_id:
        st.query_params[filters.KEY_PROJECT] = project_id
    elif filters.KEY_PROJECT in st.query_params:
        del st.query_params[filters.KEY_PROJECT]
    st.session_state["_project_url"] = project_id
if not project_id:
    st.info(ctx.t("project_none"))
    st.stop()

# The sidebar filters do not hide the project itself (a link must open it); access
# control does (allowed_regions is forced by data.py).
scope = ctx.filters(selected=())
try:
    detail = data.project_detail(ctx.run, project_id, scope)
except Exception as exc:  # shown and logged; nothing else on this page works without it
    _ui.failed(ctx, "project", exc)
    st.stop()

snaps, events, flags = detail["snapshots"], detail["events"], detail["flags"]
if snaps.height == 0:
    st.warning(ctx.t("project_unknown"))
    st.stop()

snaps = snaps.sort("as_of")
row = snaps.row(snaps.height - 1, named=True)

# Header: uploaded text through st.text / st.dataframe only. st.metric renders its value
# as Markdown (an owner "[Session expired](http://…)" became a link, an image tag made the
# browser fetch an outside URL: issue 10, item 7), so it shows only our own numbers below.
colon = "：" if lang == "zh" else ": "
st.text(f"{row.get('project_id')} · {row.get('project_name') or ''}\n{ctx.t('customer')}{colon}{row.get('customer') or i18n.MISSING}")
# the dimensions (queries/dimensions.py; an optional one only when the project has a value)
head_cells = {ctx.t(d.key): row.get(d.key) for d in DIMENSIONS if not d.optional or row.get(d.key) is not None}
head_cells[ctx.t("status")] = i18n.status_label(row.get("status"), lang)
head_cells[ctx.t("stage")] = i18n.stage_label(row.get("cur_stage") or row.get("stage"), lang)
head = pl.DataFrame({k: [v] for k, v in head_cells.items()}, schema={k: pl.String for k in head_cells})
_ui.dataframe(head, key="project_header")
fig_cols = iter(st.columns([1.3, 1.3, 1, 1.2, 1.2]))
prev = snaps.row(snaps.height - 2, named=True) if snaps.height > 1 else None


def _delta_amount(col: str) -> str | None:
    if prev is None or row.get(col) is None or prev.get(col) is None:
        return None
    diff = float(row[col]) - float(prev[col])
    return i18n.fmt_amount(diff, lang, unit, signed=True) if diff else None  # "±0.0 万元" when it rounds away


margin_now = row.get("margin") if row.get("margin") is not None else row.get("estimated_margin")
margin_prev = None if prev is None else (prev.get("margin") if prev.get("margin") is not None else prev.get("estimated_margin"))
for label, value, delta in (
    (ctx.t("expected_amount"), i18n.fmt_amount(row.get("expected_amount"), lang, unit), _delta_amount("expected_amount")),
    (ctx.t("contract_amount"), i18n.fmt_amount(row.get("contract_amount"), lang, unit), None),
    (ctx.t("margin"), i18n.fmt_pct(margin_now, lang),
     i18n.fmt_points(margin_now - margin_prev, lang) if margin_now is not None and margin_prev is not None and margin_now != margin_prev else None),
    (ctx.t("expected_sign_on"), i18n.fmt_date(row.get("expected_sign_on"), lang), None),
    (ctx.t("as_of_col"), i18n.fmt_date(row.get("as_of"), lang), None),
):
    next(fig_cols).metric(label, value, **_ui.metric_delta(delta))  # a change that shows as 0: grey, no arrow

left, right = st.columns(2)
with left:
    st.subheader(ctx.t("timeline"))
    if events.height:
        # drawn from the SQL's own flags (fall-back, out-of-order dates, skipped stages)
        _ui.chart("timeline", project_view.timeline_segments(events, ctx.as_of),
                  project_view.timeline_skips(events, flags, ctx.as_of), lang, key="project_timeline")
    else:
        st.info(ctx.t("no_flags"))
with right:
    st.subheader(ctx.t("history"))
    _ui.chart("history", snaps, lang, unit, measure="amount", key="project_history_amount")
    _ui.chart("history", snaps, lang, unit, measure="margin", key="project_history_margin")
    _ui.chart("history", snaps, lang, unit, measure="sign", key="project_history_sign")

st.subheader(ctx.t("flags"))
if flags.height == 0:
    st.success(ctx.t("no_flags"))
else:
    shown = project_view.flags_in_words(flags, lang).rename({"flag": "check_text"})
    table, config = _ui.localise(ctx, shown)
    table = table.rename({"check_text": ctx.t("flags")})
    _ui.dataframe(table, column_config=config, key="project_flags")

st.subheader(ctx.t("project_visits_title"))  # issue 13: the project's visits next to its stages
visits = _ui.load(ctx, "project_visits", scope, project_id=project_id)
if visits is not None:
    if visits.height == 0:
        st.info(ctx.t("project_visits_none"))
    else:
        _ui.project_table(ctx, visits, key="project_visits_table", stem=f"project-{project_id}-visits", height=320,
                          columns=["visit_on", "reporter", "seq", "contact", "visit_time", "purpose", "purpose_text",
                                   "result", "customer_category", "revisit_on", "visit_notes", "match_status"])

st.subheader(ctx.t("project_money_title"))  # issue 13: contract → invoices → payments
money = _ui.load(ctx, "project_money", scope, project_id=project_id)
if money is not None:
    if money.height == 0:
        st.info(ctx.t("project_money_none"))
    else:
        _ui.project_table(ctx, money, key="project_money_table", stem=f"project-{project_id}-money", height=280,
                          columns=["entry", "on_date", "due_on", "amount", "invoiced_to_date", "collected_to_date",
                                   "receivable_to_date"])

with st.expander(ctx.t("snapshots_table")):
    _ui.project_table(ctx, snaps.drop("project_id"), key="project_snapshots", stem=f"project-{project_id}",
                      columns=["as_of", "stage", "status", "expected_amount", "contract_amount", "margin",
                               "expected_sign_on", "owner", "region"])
if events.height:
    with st.expander(ctx.t("events_table")):
        _ui.project_table(ctx, events.drop("project_id", strict=False), key="project_events",
                          stem=f"project-{project_id}-events",
                          columns=["stage", "entered_on", "left_on", "days_in_stage", "source", "detail"])
