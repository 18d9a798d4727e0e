"""Weekly review (home): headline figures with the change since the previous snapshot, the
stalled projects and margin alerts that need a decision, what changed (the pipeline
waterfall beside every kind of change with its count and amounts, then the changes
themselves), and the one-click review pack. Every figure, bar and count drills down to its
projects. A failing query is said at the top and in its section; the rest renders.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from dashboard import charts, data, downloads, i18n, weekly_view
from dashboard.app_pages import _ui
from dashboard.config import get_config
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
# A query that fails is said here, at the top (an error naming the analysis, _ui.load);
# the figures it feeds read "–" and its section says it is not shown; the rest renders.
summary = _ui.load(ctx, "changes_summary", now_f) if ctx.since else None
ends = weekly_view.pipeline_ends(summary)
projects = None
if len(ends) != 2 or not ends["end"]["n_projects"]:
    projects = _ui.load(ctx, "projects", now_f)
    if projects is not None and projects.height == 0:
        st.info(ctx.t("empty_filter"))
        st.stop()
changes = _ui.load(ctx, "changes", now_f) if ctx.since else None
aging = _ui.load(ctx, "aging", now_f)
prev_aging = _ui.load(ctx, "aging", prev_f) if prev_f else None
margin = _ui.load(ctx, "margin", now_f)
prev_margin = _ui.load(ctx, "margin", prev_f) if prev_f else None
# Targets (issue 12): the managers' targets when the sidebar picks managers, else the regions'.
target_by = {"by": "owner"} if ctx.state.values("owner") else {}
targets = _ui.load(ctx, "targets", now_f, **target_by)
# the win rate over every project closed up to the snapshot (since=None)
rate = _ui.load(ctx, "win_rate", dataclasses.replace(now_f, since=None))
prev_rate = _ui.load(ctx, "win_rate", dataclasses.replace(prev_f, since=None)) if prev_f else None
k = weekly_view.kpis(summary=summary, projects=projects, changes=changes, aging=aging, prev_aging=prev_aging,
                     margin=margin, prev_margin=prev_margin, rate=rate, prev_rate=prev_rate)


def _changed(kinds: tuple[str, ...]) -> pl.DataFrame | None:
    return weekly_view.changed(changes, kinds)


stalled_now = weekly_view.stalled(aging)

# --------------------------------------------------------------------------- headline figures
# Two deliberate rows of cards instead of one row that wraps at 1440 px: the pipeline, this
# week's movement and the quarter's target first, then the conversion and the risks that need
# a decision. Same column widths in both rows so the cards line up; the amount gets the widest.
# Sparklines (issue 12) from `trends`, which reads every snapshot (seconds at 100k projects ×
# a year of weeks): drawn when asked for (cached per filter set),
# so the first screen runs no query across every week (bench/results/ui.md, "Sparklines").
sparklines = st.toggle(ctx.t("spark_show"), key="weekly_sparklines", help=ctx.t("spark_help"))
trend = _ui.load(ctx, "trends", now_f) if sparklines else None


def _spark(column: str, kind: str = "line") -> dict:
    """chart_data/chart_type for a card: the figure at every snapshot up to this one."""
    if trend is None or trend.height < 2:
        return {}
    values = trend.sort("as_of").get_column(column).cast(pl.Float64).fill_null(0.0).to_list()
    return {"chart_data": values, "chart_type": kind}


kpis = st.container(key="weekly_kpis")
with kpis:
    # five a row: the pipeline and its outcomes + the quarter's target; the risks + the
    # collections' overdue amount (once receivables exist)
    # (the fourth column is wider: "Lost/dropped this week", "A/B projects not visited" fit)
    pipeline_row = st.columns([1.3, 1, 1, 1.25, 1.1], gap="small")
    risk_row = st.columns([1.3, 1, 1, 1.25, 1.1], gap="small")
cols = [*pipeline_row[:4], *risk_row[:4]]


# A change that shows as zero ("±0", "±0.0 万元", "±0.0 pp") is grey without an arrow
# (_ui.metric_delta reads the digits shown).
amount_diff = k.change("amount")
cols[0].metric(
    ctx.t("kpi_open_amount"), i18n.fmt_amount(k.amount_now, lang, unit), border=True, height="stretch",
    **_spark("pipeline", "area"),
    **_ui.metric_delta(None if amount_diff is None else i18n.fmt_amount(amount_diff, lang, unit, signed=True)),
)
cols[1].metric(ctx.t("kpi_open_count"), i18n.fmt_int(k.count_now), border=True, height="stretch", **_spark("n_open"),
               **_ui.metric_delta(i18n.fmt_delta_int(k.change("count"))))
won_now, lost_now = _changed(("won",)), _changed(("lost", "dropped"))
cols[2].metric(ctx.t("kpi_won"), i18n.fmt_int(k.n_won), border=True, height="stretch", **_spark("n_won_week", "bar"))
cols[3].metric(ctx.t("kpi_lost"), i18n.fmt_int(k.n_lost), border=True, height="stretch")
rate_diff = k.change("rate")
cols[4].metric(ctx.t("kpi_win_rate"), i18n.fmt_pct(k.rate_now, lang), border=True, height="stretch", **_spark("win_rate"),
               **_ui.metric_delta(None if rate_diff is None else i18n.fmt_points(rate_diff, lang)))
cols[5].metric(ctx.t("kpi_stalled"), i18n.fmt_int(k.stalled_now), border=True,
               height="stretch", **_spark("n_stalled"), **_ui.metric_delta(i18n.fmt_delta_int(k.change("stalled")), inverse=True))
cols[6].metric(ctx.t("kpi_margin_alerts"), i18n.fmt_int(k.alerts_now), border=True, height="stretch",
               **_spark("n_margin_alerts"), **_ui.metric_delta(i18n.fmt_delta_int(k.change("alerts")), inverse=True))

# Visit alerts (issue 13) in the free fourth card of the risk row, once visit reports exist
# (before any is imported every A/B project would "lack a visit": said on the Visits page).
visit_figures = _ui.load(ctx, "visits_summary", now_f)
has_visits = visit_figures is not None and visit_figures.height and visit_figures.get_column("n_visits_stored")[0] > 0
visit_alerts = _ui.load(ctx, "visit_alerts", now_f) if has_visits else None
if has_visits:
    prev_visit_alerts = _ui.load(ctx, "visit_alerts", prev_f) if prev_f is not None else None
    n_visit_alerts = None if visit_alerts is None else visit_alerts.height
    n_prev_visit_alerts = None if prev_visit_alerts is None else prev_visit_alerts.height
    risk_row[3].metric(ctx.t("kpi_visit_alerts"), i18n.fmt_int(n_visit_alerts), border=True, height="stretch",
                       **_ui.metric_delta(i18n.fmt_delta_int(weekly_view.diff(n_visit_alerts, n_prev_visit_alerts)), inverse=True))


def _attained(kind: str) -> str:
    """This month's / quarter's attainment over the rows that have a target, or 'No target'."""
    if targets is None:
        return i18n.MISSING
    rows = targets.filter(pl.col("is_current") & (pl.col("period_kind") == kind) & (pl.col("level") != "total")
                          & pl.col("target_amount").is_not_null())
    if rows.height == 0:
        return ctx.t("no_target")
    return _ui.attainment_text(ctx, rows.get_column("won").cast(pl.Float64).sum(),
                               rows.get_column("target_amount").cast(pl.Float64).sum())


pipeline_row[4].metric(ctx.t("kpi_target_quarter"), _attained("quarter"), border=True, height="stretch",
                       help=ctx.t("kpi_target_help", month=_attained("month")))

DRILLS = {
    "open": "kpi_open_count",
    "won": "kpi_won",
    "lost": "kpi_lost",
    "win_rate": "kpi_win_rate",
    "stalled": "kpi_stalled",
    "margin": "kpi_margin_alerts",
    "targets": "kpi_target_quarter",
}
drill = st.pills(
    ctx.t("kpi_drill"), options=list(DRILLS), format_func=lambda k: ctx.t(DRILLS[k]),
    key="weekly_drill", selection_mode="single",
)



def _with_names(df: pl.DataFrame) -> pl.DataFrame:
    """changes/margin/aging carry the names already; a frame without them gets them here."""
    if "project_name" in df.columns:
        return df
    names = projects if projects is not None else _ui.load(ctx, "projects", now_f)
    if names is None:
        return df
    names = names.select("project_id", "project_name", "customer", "region", "grade", "owner")
    extra = [c for c in names.columns if c != "project_id" and c not in df.columns]
    return df.join(names.select("project_id", *extra), on="project_id", how="left")


def _drill_table(kind: str, df: pl.DataFrame | None, title: str, failed: str | None = None) -> None:
    """The projects behind a figure; ``failed``: the query the figure comes from, when
    ``df`` is None because it failed (said above, repeated here in short)."""
    st.subheader(ctx.t("projects_behind", what=title))
    if df is None:
        if failed is not None:
            _ui.not_shown(ctx, failed)
        else:
            st.info(ctx.t("no_previous"))
        return
    if df.height == 0:
        st.info(ctx.t("empty_filter"))
        return
    _ui.project_table(ctx, _with_names(df), key=f"weekly_drill_{kind}_table", stem=f"weekly-{kind}",
                      columns=DRILL_COLUMNS.get(kind))


DRILL_COLUMNS = {
    "open": ["project_id", "project_name", "customer", "grade", "region", "owner", "stage", "expected_amount", "estimated_margin", "expected_sign_on"],
    "change": ["project_id", "project_name", "change", "expected_amount", "amount_delta", "before", "after", "owner", "region"],
    "stalled": ["project_id", "project_name", "owner", "region", "grade", "stage", "entered_on", "days_in_stage", "limit_days"],
    "margin": ["project_id", "project_name", "region", "owner", "check", "severity", "margin", "detail"],
}
DRILL_COLUMNS["won"] = DRILL_COLUMNS["lost"] = DRILL_COLUMNS["change"]
changes_failed = "changes" if ctx.since is not None and changes is None else None

if drill == "open":
    everything = projects if projects is not None else _ui.load(ctx, "projects", now_f)
    _drill_table("open", None if everything is None else everything.filter(pl.col("outcome") == "open"),
                 ctx.t("kpi_open_count"), failed="projects")
elif drill in ("won", "lost"):
    _drill_table(drill, won_now if drill == "won" else lost_now, ctx.t(DRILLS[drill]), failed=changes_failed)
elif drill == "win_rate":  # the closed projects the headline rate counts (every close up to the snapshot)
    st.subheader(ctx.t("projects_behind", what=ctx.t("kpi_win_rate")))
    _ui.closed_projects(ctx, dataclasses.replace(now_f, since=None), key="weekly_drill_win_rate_table")
elif drill == "stalled":
    _drill_table("stalled", stalled_now, ctx.t("kpi_stalled"), failed="aging")
elif drill == "margin":
    _drill_table("margin", margin, ctx.t("kpi_margin_alerts"), failed="margin")
elif drill == "targets":
    st.subheader(ctx.t("targets_title"))
    if targets is None:
        _ui.not_shown(ctx, "targets")
    else:
        current = targets.filter(pl.col("is_current"))
        if current.filter(pl.col("target_amount").is_not_null()).height == 0:
            st.info(ctx.t("targets_none"))
        _ui.attainment_table(ctx, current, key="weekly_targets_table", stem="targets")
        st.caption(ctx.t("targets_caption"))

# --------------------------------------------------------------------------- decisions
# Right under the figures (the first screen): the stalled projects, full width so every
# column a decision needs reads whole in both languages (no cut-off stage names or headers).
st.subheader(ctx.t("stalled_title"))
if stalled_now is None:
    _ui.not_shown(ctx, "aging")
elif stalled_now.height == 0:
    st.success(ctx.t("no_stalled"))
else:
    top = stalled_now.sort("days_in_stage", descending=True)
    # The project number stays in the downloads; on screen a row opens the project.
    _ui.project_table(ctx, top, key="weekly_stalled_table", stem="stalled", height=320, hide_id=True,
                      columns=DRILL_COLUMNS["stalled"])

st.subheader(ctx.t("margin_alerts_title"))
if margin is None:
    _ui.not_shown(ctx, "margin")
elif margin.height == 0:
    st.success(ctx.t("no_alerts"))
else:
    # Decisions first: high severity, then the worst margin.
    _ui.project_table(ctx, _with_names(weekly_view.decision_order(margin)), key="weekly_margin_table", stem="margin-alerts", height=320,
                      columns=DRILL_COLUMNS["margin"], hide_id=True)

if has_visits:  # issue 13: the A/B projects nobody visited lately, and this week's visits
    st.subheader(ctx.t("visit_alerts_title"))
    f = visit_figures.row(0, named=True)
    overdue = _ui.load(ctx, "revisits_summary", now_f)
    n_overdue = None if overdue is None else int(overdue.get_column("n_overdue").sum())
    figs = st.columns(3, gap="small")
    figs[0].metric(ctx.t("kpi_visits_week"), i18n.fmt_int(f["n_visits_week"]), border=True,
                   **_ui.metric_delta(i18n.fmt_delta_int(f["n_visits_week"] - f["n_visits_prev_week"])))
    figs[1].metric(ctx.t("kpi_revisits_overdue"), i18n.fmt_int(n_overdue), border=True)
    if visit_alerts is None:
        _ui.not_shown(ctx, "visit_alerts")
    elif visit_alerts.height == 0:
        st.success(ctx.t("visit_alerts_none"))
    else:
        _ui.project_table(ctx, visit_alerts, key="weekly_visit_alerts_table", stem="visit-alerts", height=320,
                          hide_id=True, columns=["project_id", "project_name", "customer", "grade", "region", "owner",
                                                 "stage", "last_visit_on", "days_since_visit", "alert_days"])

money_figures = _ui.load(ctx, "collections_summary", now_f)
has_money = money_figures is not None and money_figures.height and money_figures.get_column("n_entries_stored")[0] > 0
won_uncollected = _ui.load(ctx, "won_uncollected", now_f) if has_money else None
if has_money:  # issue 13: receivables past their agreed date, won projects that have not paid
    st.subheader(ctx.t("collections_title"))
    mf = money_figures.row(0, named=True)
    risk_row[4].metric(ctx.t("kpi_overdue_receivables"), i18n.fmt_amount(mf["overdue_amount"], lang, unit), border=True,
                       height="stretch")
    figs = st.columns(3, gap="small")
    figs[0].metric(ctx.t("kpi_overdue_receivables"), i18n.fmt_amount(mf["overdue_amount"], lang, unit), border=True)
    figs[1].metric(ctx.t("over_90_amount"), i18n.fmt_amount(mf["over_90_amount"], lang, unit), border=True)
    figs[2].metric(ctx.t("kpi_won_uncollected"), i18n.fmt_int(None if won_uncollected is None else won_uncollected.height),
                   border=True)
    if won_uncollected is not None and won_uncollected.height:
        _ui.project_table(ctx, won_uncollected, key="weekly_won_uncollected_table", stem="won-uncollected", height=280,
                          hide_id=True, columns=["project_id", "project_name", "customer", "region", "owner", "won_on",
                                                 "days_since_won", "contract_amount", "invoiced_amount"])

# --------------------------------------------------------------------------- what changed
# The pipeline's move as a waterfall (amounts, from zero) beside every kind of change with
# its count and amounts (a 0 is news too); selecting rows of the table lists those changes
# below (several rows: several kinds); a bar lists the changes behind it.
# Waterfall step -> the change rows behind it: weekly_view.STEP_CHANGES.
STEP_CHANGES = weekly_view.STEP_CHANGES
st.subheader(ctx.t("changes_title"))
if ctx.since is None:
    st.info(ctx.t("no_previous"))
else:
    left, right = st.columns([0.9, 1.2], gap="medium")
    picked: list[str] = []
    step = None
    with left:
        st.markdown(f"**{ctx.t('waterfall')}**")
        if summary is None:
            _ui.not_shown(ctx, "changes_summary")
        else:
            picks = _ui.chart("waterfall", summary, lang, unit, key="weekly_waterfall", param=charts.PICK)
            step = picks[0].get("step") if picks else None
    with right:
        st.markdown(f"**{ctx.t('change_counts_title')}**")
        if changes is None:
            _ui.not_shown(ctx, "changes")
        else:
            counts = charts.change_counts(changes)
            counts_shown, counts_config = _ui.localise(ctx, counts)
            event = _ui.dataframe(
                counts_shown, key="weekly_change_counts", column_config=counts_config,
                height=_ui.fit_height(counts.height, 600), on_select="rerun", selection_mode="multi-row",
            )
            st.caption(ctx.t("change_counts_hint"))
            rows = event.selection.rows if event is not None else []
            picked = [counts.get_column("change")[i] for i in rows if 0 <= i < counts.height]
    if step in STEP_CHANGES:  # a bar of the waterfall: its changes, full width
        _drill_table("change", _changed(STEP_CHANGES[step]), i18n.change_label(step, lang), failed=changes_failed)
    if changes is not None:
        if changes.height == 0:
            st.info(ctx.t("no_changes"))
        else:
            shown = changes.filter(pl.col("change").is_in(picked)) if picked else changes
            if shown.height == 0:
                st.info(ctx.t("no_changes_of_kind"))
            else:
                # The number is in the downloads; on screen a row opens the project, and the
                # amounts come before the before/after words so they never scroll out of view.
                _ui.project_table(ctx, _with_names(shown), key="weekly_changes_table", stem="changes", height=420,
                                  columns=DRILL_COLUMNS["change"], hide_id=True)

# --------------------------------------------------------------------------- the review pack


def _pack() -> bytes:
    # Runs when the button is clicked, on a server thread, maybe after an import: take a
    # cursor of its own (a DuckDB cursor must not cross threads; the run's may be stale),
    # for the caller captured in the page run (st.user is empty here: data.reopen keeps
    # the run's access; data.open_run() without it would read nothing).
    # Numbers go in as numbers (amounts in the chosen unit, ratios as %, dates as dates),
    # each with an Excel number format: the pack is worked with, not only read.
    pctx = dataclasses.replace(ctx, run=data.reopen(ctx.run))
    amount_label = f"{ctx.t('kpi_open_amount')} ({i18n.unit_suffix(unit, lang)})"
    div = i18n.unit_divisor(unit, lang)
    amount_format = downloads.excel_format(i18n.table_number_format(unit, lang))
    summary_rows = weekly_view.pack_summary_rows(
        k, ctx.t, as_of=ctx.as_of, since=ctx.since, amount_label=amount_label, divisor=div,
        amount_format=amount_format,
        filters=tuple((ctx.t(key), ctx.state.values(key)) for key in ctx.dimensions))
    empty = pl.DataFrame()
    sheets: dict[str, tuple[pl.DataFrame, dict]] = {}
    sheets["changes"] = _ui.localise(ctx, _with_names(changes), DRILL_COLUMNS["change"]) if changes is not None else (empty, {})
    sheets["stalled"] = _ui.localise(ctx, stalled_now, DRILL_COLUMNS["stalled"]) if stalled_now is not None else (empty, {})
    sheets["margin"] = _ui.localise(ctx, _with_names(margin), DRILL_COLUMNS["margin"]) if margin is not None else (empty, {})
    # Funnel by region x grade: one segmented run per grade (the query segments one way).
    fun = weekly_view.funnel_by_region_grade({
        grade: data.query(pctx.run, "funnel", now_f.narrowed(grade=(grade,)), by="region")
        for grade in ctx.state.values("grade") or tuple(ctx.options.get("grade", ()))
    })
    sheets["funnel"] = _ui.localise(ctx, fun, weekly_view.PACK_FUNNEL_COLUMNS) if fun is not None else (empty, {})
    # Forecast (issue 12): this/next month and quarter, and this week's slips in the summary.
    # Computed on click only: the first screen runs no query over every snapshot (issue 8).
    fc = data.query(pctx.run, "forecast", now_f)
    fc = fc.with_columns(pl.format("{}_{}", "period_kind", "period_offset").alias("_key"))
    fc = fc.with_columns(pl.col("_key").replace_strict({k: ctx.t(f"fc_{k}") for k in fc.get_column("_key").unique()},
                                                      return_dtype=pl.String).alias("fc_period"))
    sheets["forecast"] = _ui.localise(ctx, fc,
                                      ["fc_period", "period", "won", "weighted", "expected_total", "commit_amount",
                                       "best_case", "pipeline", "n_pipeline", "n_unpriced"])
    current = data.query(pctx.run, "targets", now_f, **target_by).filter(pl.col("is_current"))
    sheets["targets"] = _ui.attainment_frame(ctx, current)
    slip = data.query(pctx.run, "slips_summary", now_f).row(0, named=True)
    summary_rows = weekly_view.insert_after(summary_rows, ctx.t("kpi_margin_alerts"), [  # with the figures
        (ctx.t("sl_week"), slip["n_slipped_week"], "int"),
        (f"{ctx.t('sl_week')} ({i18n.unit_suffix(unit, lang)})", slip["slipped_week_amount"] / div, amount_format),
        (ctx.t("sl_out_month"), slip["n_out_of_month"], "int"),
        (ctx.t("sl_out_quarter"), slip["n_out_of_quarter"], "int"),
        (ctx.t("sl_flagged", n=get_config().forecast.slip_flag_count), slip["n_flagged"], "int"),
        (ctx.t("kpi_target_quarter"), _attained("quarter"), "text"),
        (ctx.t("month_attainment"), _attained("month"), "text"),
    ])
    names = {k: ctx.t(f"pack_{k}") for k in ("summary", "changes", "stalled", "margin", "funnel", "forecast", "targets")}
    extra: dict[str, tuple[pl.DataFrame, dict]] = {}
    if has_visits:  # issue 13: the visit alerts and the revisits not kept on time
        if visit_alerts is not None:
            extra[ctx.t("visit_alerts_title")] = _ui.localise(
                ctx, visit_alerts, ["project_id", "project_name", "customer", "grade", "region", "owner", "stage",
                                    "expected_amount", "n_visits", "last_visit_on", "days_since_visit", "alert_days"])
        rv = data.query(pctx.run, "revisits", now_f).filter(pl.col("revisit_status").is_in(["overdue", "missed", "kept_late"]))
        extra[ctx.t("revisits_title")] = _ui.localise(
            ctx, rv, ["reporter", "customer", "project_id", "visit_on", "revisit_on", "next_visit_on", "revisit_status",
                      "days_late"])
    if has_money:  # issue 13: the receivables past due and the won projects not paid
        rc = data.query(pctx.run, "receivables", now_f).filter(pl.col("days_past_due") > 0)
        extra[ctx.t("receivables_title")] = _ui.localise(
            ctx, rc, ["project_id", "project_name", "customer", "region", "owner", "invoice_on", "due_on",
                      "invoiced_amount", "outstanding_amount", "days_past_due", "receivable_bucket"])
        if won_uncollected is not None:
            extra[ctx.t("kpi_won_uncollected")] = _ui.localise(
                ctx, won_uncollected, ["project_id", "project_name", "customer", "region", "owner", "won_on",
                                       "days_since_won", "contract_amount", "invoiced_amount"])
    return downloads.weekly_pack(
        summary=summary_rows,
        changes=sheets["changes"][0], stalled=sheets["stalled"][0], margin_alerts=sheets["margin"][0],
        funnel_region_grade=sheets["funnel"][0], forecast=sheets["forecast"][0], targets=sheets["targets"][0],
        formats={names[k]: _ui.number_formats(config) for k, (_, config) in sheets.items()}
        | {name: _ui.number_formats(config) for name, (_, config) in extra.items()},
        extra_sheets={name: df for name, (df, _) in extra.items()},
        sheet_names=names,
        summary_header=(ctx.t("metric"), ctx.t("value")),
    )


pack_slot.download_button(
    ctx.t("pack_button"), data=_pack, file_name=f"{downloads.file_stem('weekly-review', ctx.as_of)}.xlsx",
    mime=downloads.XLSX_MIME, key="weekly_pack", type="primary", icon=":material/download:", on_click="ignore",
)
