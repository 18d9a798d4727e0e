"""Weekly review (home): headline figures with the change since the previous snapshot, the
pipeline waterfall, stalled projects and margin alerts that need a decision, the week's
changes, and the one-click review pack. Every figure and bar drills down to its projects.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from dashboard import charts, data, downloads, i18n
from dashboard.app_pages import _ui
from dashboard.sidebar import context

ctx = context()
lang, unit = ctx.lang, ctx.unit
st.title(ctx.t("page_weekly"))
_ui.require_data(ctx)

if ctx.since is not None:
    st.caption(ctx.t("weekly_caption", as_of=i18n.fmt_date(ctx.as_of, lang), since=i18n.fmt_date(ctx.since, lang)))
else:
    st.caption(ctx.t("weekly_caption_first", as_of=i18n.fmt_date(ctx.as_of, lang)))

pack_slot = st.container(key="weekly_pack_slot")  # filled at the end, shown at the top
now_f = ctx.filters()
prev_f = ctx.filters(as_of=ctx.since, since=None) if ctx.since else None

# Open pipeline now and a week ago: the waterfall's own start/end rows (same definition as
# the bars, and no 100k-row project list just for two sums). The project list is loaded
# only for the first snapshot, an apparently empty selection, or the "open" drill-down.
summary = _ui.quiet_load(ctx, "changes_summary", now_f) if ctx.since else None
ends = {} if summary is None else {r["step"]: r for r in summary.iter_rows(named=True) if r["step"] in ("start", "end")}
projects = None
if len(ends) == 2:
    amount_now, count_now = float(ends["end"]["amount"] or 0), int(ends["end"]["n_projects"] or 0)
    amount_prev, count_prev = float(ends["start"]["amount"] or 0), int(ends["start"]["n_projects"] or 0)
if len(ends) != 2 or count_now == 0:
    projects = _ui.load(ctx, "projects", now_f)
    if projects is None:
        st.stop()
    if projects.height == 0:
        st.info(ctx.t("empty_filter"))
        st.stop()
    if len(ends) != 2:
        open_rows = projects.filter(pl.col("status") == "open")
        amount_now = float(open_rows.get_column("expected_amount").cast(pl.Float64).fill_null(0).sum())
        count_now, amount_prev, count_prev = open_rows.height, None, None
changes = _ui.quiet_load(ctx, "changes", now_f) if ctx.since else None
aging = _ui.quiet_load(ctx, "aging", now_f)
prev_aging = _ui.quiet_load(ctx, "aging", prev_f) if prev_f else None
margin = _ui.quiet_load(ctx, "margin", now_f)
prev_margin = _ui.quiet_load(ctx, "margin", prev_f) if prev_f else None


def _changed(kinds: tuple[str, ...]) -> pl.DataFrame | None:
    return None if changes is None else changes.filter(pl.col("change").is_in(kinds))


def _stalled(df: pl.DataFrame | None) -> pl.DataFrame | None:
    return None if df is None else df.filter(pl.col("is_stalled"))


def _alert_projects(df: pl.DataFrame | None) -> int | None:
    return None if df is None else df.get_column("project_id").n_unique()


def _win_rate(f) -> float | None:
    """Win rate over every project closed up to the snapshot (query `win_rate`, since=None)."""
    if f is None:
        return None
    df = _ui.quiet_load(ctx, "win_rate", dataclasses.replace(f, since=None))
    if df is None or df.height == 0:
        return None
    return df.get_column("win_rate")[0]


won_now, lost_now = _changed(("won",)), _changed(("lost", "dropped"))
rate_now, rate_prev = _win_rate(now_f), _win_rate(prev_f)
stalled_now, stalled_prev = _stalled(aging), _stalled(prev_aging)

# --------------------------------------------------------------------------- headline figures
# Two deliberate rows of cards instead of one row that wraps its 7th figure alone at 1440 px:
# the pipeline and this week's movement first, then the conversion and the risks that need a
# decision. Same column widths in both rows so the cards line up; the amount gets the widest.
kpis = st.container(key="weekly_kpis")
with kpis:
    pipeline_row = st.columns([1.4, 1, 1, 1], gap="small")
    risk_row = st.columns([1.4, 1, 1, 1], gap="small")
cols = [*pipeline_row, *risk_row[:3]]
amount_diff = amount_now - amount_prev if amount_prev is not None else None
cols[0].metric(
    ctx.t("kpi_open_amount"), i18n.fmt_amount(amount_now, lang, unit), border=True, height="stretch",
    **_ui.metric_delta(None if amount_diff is None else i18n.fmt_amount(amount_diff, lang, unit, signed=True),
                       amount_diff is not None and round(amount_diff / i18n.unit_divisor(unit), 1) == 0),
)
cols[1].metric(
    ctx.t("kpi_open_count"), i18n.fmt_int(count_now), border=True, height="stretch",
    **_ui.metric_delta(i18n.fmt_delta_int(count_now - count_prev) if count_prev is not None else None,
                       count_prev is not None and count_now == count_prev),
)
cols[2].metric(ctx.t("kpi_won"), i18n.fmt_int(won_now.get_column("project_id").n_unique()) if won_now is not None else i18n.MISSING,
               border=True, height="stretch")
cols[3].metric(
    ctx.t("kpi_lost"), i18n.fmt_int(lost_now.get_column("project_id").n_unique()) if lost_now is not None else i18n.MISSING,
    border=True, height="stretch",
)
rate_diff = rate_now - rate_prev if rate_now is not None and rate_prev is not None else None
cols[4].metric(
    ctx.t("kpi_win_rate"), i18n.fmt_pct(rate_now, lang), border=True, height="stretch",
    **_ui.metric_delta(None if rate_diff is None else i18n.fmt_points(rate_diff, lang),
                       rate_diff is not None and round(rate_diff * 100, 1) == 0),
)
stalled_diff = stalled_now.height - stalled_prev.height if stalled_now is not None and stalled_prev is not None else None
cols[5].metric(
    ctx.t("kpi_stalled"), i18n.fmt_int(stalled_now.height) if stalled_now is not None else i18n.MISSING, border=True, height="stretch",
    **_ui.metric_delta(i18n.fmt_delta_int(stalled_diff), stalled_diff == 0, inverse=True),
)
alerts_now, alerts_prev = _alert_projects(margin), _alert_projects(prev_margin)
alerts_diff = alerts_now - alerts_prev if alerts_now is not None and alerts_prev is not None else None
cols[6].metric(
    ctx.t("kpi_margin_alerts"), i18n.fmt_int(alerts_now), border=True, height="stretch",
    **_ui.metric_delta(i18n.fmt_delta_int(alerts_diff), alerts_diff == 0, inverse=True),
)

DRILLS = {
    "open": "kpi_open_count",
    "won": "kpi_won",
    "lost": "kpi_lost",
    "win_rate": "kpi_win_rate",
    "stalled": "kpi_stalled",
    "margin": "kpi_margin_alerts",
}
drill = st.pills(
    ctx.t("kpi_drill"), options=list(DRILLS), format_func=lambda k: ctx.t(DRILLS[k]),
    key="weekly_drill", selection_mode="single",
)

def _with_names(df: pl.DataFrame) -> pl.DataFrame:
    """changes/margin/aging carry the names already; a frame without them gets them here."""
    if "project_name" in df.columns:
        return df
    names = projects if projects is not None else _ui.quiet_load(ctx, "projects", now_f)
    if names is None:
        return df
    names = names.select("project_id", "project_name", "customer", "region", "grade", "owner")
    extra = [c for c in names.columns if c != "project_id" and c not in df.columns]
    return df.join(names.select("project_id", *extra), on="project_id", how="left")


def _drill_table(kind: str, df: pl.DataFrame | None, title: str) -> None:
    st.subheader(ctx.t("projects_behind", what=title))
    if df is None:
        st.info(ctx.t("not_ready", name="changes/aging/margin"))
        return
    if df.height == 0:
        st.info(ctx.t("empty_filter"))
        return
    _ui.project_table(ctx, _with_names(df), key=f"weekly_drill_{kind}_table", stem=f"weekly-{kind}",
                      columns=DRILL_COLUMNS.get(kind))


DRILL_COLUMNS = {
    "open": ["project_id", "project_name", "customer", "grade", "region", "owner", "stage", "expected_amount", "estimated_margin", "expected_sign_on"],
    "change": ["project_id", "project_name", "change", "before", "after", "amount_delta", "region", "owner"],
    "stalled": ["project_id", "project_name", "region", "grade", "owner", "stage", "entered_on", "days_in_stage", "limit_days"],
    "margin": ["project_id", "project_name", "region", "owner", "check", "severity", "margin", "detail"],
}
DRILL_COLUMNS["won"] = DRILL_COLUMNS["lost"] = DRILL_COLUMNS["change"]
# Half a 1440 px page: the name gets what is left after the columns a decision needs.
STALLED_WIDTHS = {"project_name": 130, "owner": 96, "region": 56, "stage": 120, "days_in_stage": 82, "limit_days": 76}

if drill == "open":
    everything = projects if projects is not None else _ui.quiet_load(ctx, "projects", now_f)
    _drill_table("open", None if everything is None else everything.filter(pl.col("status") == "open"), ctx.t("kpi_open_count"))
elif drill in ("won", "lost"):
    _drill_table(drill, won_now if drill == "won" else lost_now, ctx.t(DRILLS[drill]))
elif drill == "win_rate":  # the closed projects the headline rate counts (every close up to the snapshot)
    st.subheader(ctx.t("projects_behind", what=ctx.t("kpi_win_rate")))
    _ui.closed_projects(ctx, dataclasses.replace(now_f, since=None), key="weekly_drill_win_rate_table")
elif drill == "stalled":
    _drill_table("stalled", stalled_now, ctx.t("kpi_stalled"))
elif drill == "margin":
    _drill_table("margin", margin, ctx.t("kpi_margin_alerts"))

# --------------------------------------------------------------------------- waterfall
# The stalled list gets the wider half: its manager and region must show without scrolling.
left, right = st.columns([1, 1.6])
with left:
    st.subheader(ctx.t("waterfall"))
    if ctx.since is None:
        st.info(ctx.t("no_previous"))
    elif summary is None or summary.height == 0:
        st.info(ctx.t("not_ready", name="changes_summary"))
    else:
        picks = _ui.chart("waterfall", summary, lang, unit, key="weekly_waterfall", param=charts.PICK)
        # Waterfall step -> the change rows behind it (amount steps list the changes beyond
        # the configured share; smaller moves are in the bar but not named as a change).
        STEP_CHANGES = {
            "new": ("new",), "reappeared": ("reappeared",), "reopened": ("reopened", "reappeared"),
            "increased": ("amount_up",), "decreased": ("amount_down",), "won": ("won",),
            "lost": ("lost",), "dropped": ("dropped",), "vanished": ("vanished",),
        }
        step = picks[0].get("step") if picks else None
        if step in STEP_CHANGES:
            _drill_table("change", _changed(STEP_CHANGES[step]), i18n.change_label(step, lang))
with right:
    st.subheader(ctx.t("stalled_title"))
    if stalled_now is None:
        st.info(ctx.t("not_ready", name="aging"))
    elif stalled_now.height == 0:
        st.success(ctx.t("no_stalled"))
    else:
        top = stalled_now.sort("days_in_stage", descending=True)
        _ui.project_table(ctx, top, key="weekly_stalled_table", stem="stalled", height=300, hide_id=True,
                          columns=["project_id", "project_name", "owner", "region", "stage", "days_in_stage", "limit_days"],
                          widths=STALLED_WIDTHS)

st.subheader(ctx.t("margin_alerts_title"))
if margin is None:
    st.info(ctx.t("not_ready", name="margin"))
elif margin.height == 0:
    st.success(ctx.t("no_alerts"))
else:
    # Decisions first: high severity, then the worst margin.
    rank = {"high": 0, "medium": 1, "low": 2, "info": 3}
    margin_sorted = margin.with_columns(
        pl.col("severity").replace_strict(rank, default=9, return_dtype=pl.Int32).alias("_rank")
    ).sort(["_rank", "margin"], nulls_last=True).drop("_rank")
    _ui.project_table(ctx, _with_names(margin_sorted), key="weekly_margin_table", stem="margin-alerts", height=300,
                      columns=DRILL_COLUMNS["margin"])

st.subheader(ctx.t("changes_title"))
if ctx.since is None:
    st.info(ctx.t("no_previous"))
elif changes is None:
    st.info(ctx.t("not_ready", name="changes"))
elif changes.height == 0:
    st.info(ctx.t("no_changes"))
else:
    kinds = [k for k in i18n.CHANGE_NAMES if k in set(changes.get_column("change").unique().to_list())]
    picked = st.pills(
        ctx.t("change"), options=kinds, format_func=lambda k: i18n.change_label(k, lang),
        key="weekly_change_kinds", selection_mode="multi",
    )
    shown = changes.filter(pl.col("change").is_in(picked)) if picked else changes
    _ui.project_table(ctx, _with_names(shown), key="weekly_changes_table", stem="changes", height=360,
                      columns=DRILL_COLUMNS["change"])

# --------------------------------------------------------------------------- the review pack


def _pack() -> bytes:
    # Runs when the button is clicked, on a server thread, maybe after an import: take a
    # cursor of its own (a DuckDB cursor must not cross threads; the run's may be stale).
    pctx = dataclasses.replace(ctx, run=data.open_run())
    summary_rows = [
        (ctx.t("as_of"), i18n.fmt_date(ctx.as_of, lang)),
        (ctx.t("compared_with", since=""), i18n.fmt_date(ctx.since, lang)),
        (ctx.t("kpi_open_amount"), i18n.fmt_amount(amount_now, lang, unit)),
        (ctx.t("kpi_open_count"), i18n.fmt_int(count_now)),
        (ctx.t("kpi_won"), i18n.fmt_int(won_now.get_column("project_id").n_unique() if won_now is not None else None)),
        (ctx.t("kpi_lost"), i18n.fmt_int(lost_now.get_column("project_id").n_unique() if lost_now is not None else None)),
        (ctx.t("kpi_win_rate"), i18n.fmt_pct(rate_now, lang)),
        (ctx.t("kpi_stalled"), i18n.fmt_int(stalled_now.height if stalled_now is not None else None)),
        (ctx.t("kpi_margin_alerts"), i18n.fmt_int(alerts_now)),
    ]
    for label, values in ((ctx.t("region"), ctx.state.regions), (ctx.t("grade"), ctx.state.grades),
                          (ctx.t("owner"), ctx.state.owners), (ctx.t("category"), ctx.state.categories)):
        summary_rows.append((label, ", ".join(values) if values else ctx.t("all")))
    summary_df = pl.DataFrame(summary_rows, schema=[ctx.t("metric"), ctx.t("value")], orient="row")
    empty = pl.DataFrame()
    ch = _ui.localise(ctx, _with_names(changes), DRILL_COLUMNS["change"])[0] if changes is not None else empty
    stl = _ui.localise(ctx, stalled_now, DRILL_COLUMNS["stalled"])[0] if stalled_now is not None else empty
    mg = _ui.localise(ctx, _with_names(margin), DRILL_COLUMNS["margin"])[0] if margin is not None else empty
    # Funnel by region x grade: one segmented run per grade (the query segments one way).
    parts = []
    for grade in ctx.state.grades or tuple(ctx.options.get("grade", ())):
        part = _ui.quiet_load(pctx, "funnel", dataclasses.replace(now_f, grades=(grade,)), by="region")
        if part is not None and part.height:
            parts.append(part.with_columns(pl.lit(grade).alias("grade")).rename({"segment": "region"}, strict=False))
    if parts:
        fun = pl.concat(parts, how="vertical_relaxed").filter(pl.col("reached") > 0)
        fun_df = _ui.localise(ctx, fun, ["region", "grade", "stage", "reached", "step_conversion", "cumulative_conversion",
                                         "decided_conversion", "n_open_here", "n_lost_here", "n_dropped_here",
                                         "n_skipped", "expected_amount"])[0]
    else:
        fun_df = empty
    return downloads.weekly_pack(
        summary=summary_df, changes=ch, stalled=stl, margin_alerts=mg, funnel_region_grade=fun_df,
        sheet_names={k: ctx.t(f"pack_{k}") for k in ("summary", "changes", "stalled", "margin", "funnel")},
    )


pack_slot.download_button(
    ctx.t("pack_button"), data=_pack, file_name=f"{downloads.file_stem('weekly-review', ctx.as_of)}.xlsx",
    mime=downloads.XLSX_MIME, key="weekly_pack", type="primary", icon=":material/download:", on_click="ignore",
)
