"""Forecast: will we make the month and the quarter? Per period (this/next month and
quarter): won so far, weighted forecast (win probabilities learned from the snapshots),
commit and best case; the same split by region/grade/owner/category; the learned
probabilities; the back-test of past forecasts with its error; sign dates pushed out (this
week, and projects that keep slipping); trends across snapshots (on demand: they read every
snapshot); the account-manager ranking with a drill-down to each manager's projects.
Render only: the numbers come from the queries (queries/composed.py) and
dashboard/forecasting.py.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import forecasting, i18n
from dashboard.app_pages import _ui
from dashboard.config import get_config
from dashboard.sidebar import context

ctx = context()
lang, unit = ctx.lang, ctx.unit
st.title(ctx.t("page_forecast"))
_ui.require_data(ctx)
cfg = get_config().forecast

# --------------------------------------------------------------------------- this/next month and quarter
st.subheader(ctx.t("fc_title"))
forecast = _ui.load(ctx, "forecast")
# Targets next to the forecast (issue 12): the managers' when the sidebar picks managers.
targets = _ui.load(ctx, "targets", ctx.filters(), **({"by": "owner"} if ctx.state.values("owner") else {}))


def _target_line(kind: str) -> str | None:
    """'Target … · attained …' for the current month/quarter, or 'No target'."""
    if targets is None:
        return None
    rows = targets.filter(pl.col("is_current") & (pl.col("period_kind") == kind) & (pl.col("level") != "total")
                          & pl.col("target_amount").is_not_null())
    if rows.height == 0:
        return ctx.t("no_target")
    target = rows.get_column("target_amount").cast(pl.Float64).sum()
    won = rows.get_column("won").cast(pl.Float64).sum()
    return (f"{ctx.t('target_amount')} {i18n.fmt_amount(target, lang, unit)} · "
            f"{ctx.t('attainment')} {_ui.attainment_text(ctx, won, target)}")


if forecast is not None and forecast.height and int(forecast.get_column("n_in_scope").max() or 0) == 0:
    st.info(ctx.t("empty_filter"))  # the filters leave no project in the snapshot
    st.stop()
if forecast is not None and not _ui.empty_result(ctx, forecast):
    cols = st.columns(4, gap="small")
    for col, (kind, offset) in zip(cols, [("month", 0), ("month", 1), ("quarter", 0), ("quarter", 1)], strict=True):
        r = forecasting.period_row(forecast, kind, offset)
        if r is None:
            continue
        won = float(r["won"] or 0)
        col.metric(f"{ctx.t(f'fc_{kind}_{offset}')} · {r['period']}", i18n.fmt_amount(r["expected_total"], lang, unit),
                   border=True, help=ctx.t("fc_expected_total"))
        col.caption(" · ".join([
            f"{ctx.t('fc_won')} {i18n.fmt_amount(won, lang, unit)}",
            f"{ctx.t('fc_weighted')} {i18n.fmt_amount(r['weighted'], lang, unit)}",
        ]))
        col.caption(ctx.t("fc_range", commit=i18n.fmt_amount(won + float(r["commit_amount"] or 0), lang, unit),
                          best=i18n.fmt_amount(won + float(r["best_case"] or 0), lang, unit)))
        if offset == 0 and (line := _target_line(kind)):
            col.caption(line)
    stage_names = lambda codes: "、".join(i18n.stage_label(c, lang) for c in codes) if lang == "zh" else \
        ", ".join(i18n.stage_label(c, lang) for c in codes)  # noqa: E731
    st.caption(ctx.t("fc_caption", commit_stages=stage_names(cfg.commit_stages), days=cfg.commit_stable_days,
                     best_stages=stage_names(cfg.best_case_stages)))
    n_unpriced, unpriced_amount = forecasting.unpriced(forecast)
    if n_unpriced:
        st.warning(ctx.t("fc_unpriced", n=i18n.fmt_int(n_unpriced), amount=i18n.fmt_amount(unpriced_amount, lang, unit)))
    # The projects behind a period's figures: won there, then the pipeline by weighted amount.
    periods = {f"{k}_{o}": (k, o) for k, o in (("month", 0), ("month", 1), ("quarter", 0), ("quarter", 1))}
    picked = st.segmented_control(ctx.t("fc_drill"), options=list(periods), format_func=lambda p: ctx.t(f"fc_{p}"),
                                  key="forecast_drill")
    if picked:
        behind = _ui.load(ctx, "forecast_projects")
        if behind is not None:
            kind, offset = periods[picked]
            rows = behind.filter((pl.col("period_kind") == kind) & (pl.col("period_offset") == offset))
            if rows.height == 0:
                st.info(ctx.t("empty_filter"))
            else:
                _ui.project_table(ctx, rows, key="forecast_projects_table", stem=f"forecast-{picked}", height=420,
                                  columns=["project_id", "project_name", "owner", "region", "grade", "stage", "outcome",
                                           "expected_amount", "expected_sign_on", "probability", "weighted",
                                           "is_commit", "is_best_case", "won_amount", "closed_on"])
    _ui.chart("forecast_bars", forecast, lang, unit, key="forecast_bars")

    # On demand (a second forecast run, its probabilities included): only when a split is picked.
    by = st.segmented_control(ctx.t("fc_by"), options=list(ctx.dimensions), format_func=lambda d: ctx.t(d),
                              key="forecast_by")
    split = _ui.load(ctx, "forecast", ctx.filters(), by=by) if by else None
    if split is not None and split.height:
        table = split.rename({"segment": by}).sort([by, "period_kind", "period_offset"], nulls_last=True)
        _ui.project_table(ctx, table, key="forecast_split_table", stem=f"forecast-by-{by}", height=420,
                          columns=[by, "period", "n_pipeline", "pipeline", "weighted", "commit_amount", "best_case",
                                   "won", "expected_total", "n_unpriced"])
    if targets is not None:
        with st.expander(ctx.t("targets_title")):
            _ui.attainment_table(ctx, targets.filter(pl.col("is_current")), key="forecast_targets_table", stem="targets")
            st.caption(ctx.t("targets_caption"))

# --------------------------------------------------------------------------- learned probabilities
st.subheader(ctx.t("fc_prob_title"))
probs = _ui.load(ctx, "win_probabilities")
if probs is not None and probs.height:
    matrix = forecasting.probability_matrix(probs)
    grade_headers = {c: f"{ctx.t('grade')} {c} (%)" for c in matrix.columns if c != "stage"}
    shown = matrix.with_columns(
        pl.col("stage").replace_strict({s: i18n.stage_label(s, lang) for s in matrix.get_column("stage").to_list()},
                                       return_dtype=pl.String),
        *[(pl.col(c) * 100) for c in grade_headers],
    ).rename({"stage": ctx.t("stage"), **grade_headers})
    config = {h: st.column_config.NumberColumn(h, format="%.1f") for h in grade_headers.values()}
    _ui.dataframe(shown, key="forecast_probabilities", column_config=config)
    st.caption(ctx.t("fc_prob_caption", as_of=i18n.fmt_date(ctx.as_of, lang), k=f"{cfg.prior_strength:g}"))
    with st.expander(ctx.t("fc_prob_evidence")):
        _ui.project_table(ctx, probs.drop("as_of", "stage_order"), key="forecast_probability_table",
                          stem="win-probabilities")

# --------------------------------------------------------------------------- back-test
st.subheader(ctx.t("bt_title"))
# On demand: the back-test reads every snapshot (issue 12 allows up to 2 s for it on demand).
kind = st.segmented_control(ctx.t("bt_kind"), options=list(forecasting.PERIOD_KINDS),
                            format_func=lambda k: ctx.t(f"period_{k}"), key="forecast_bt_kind")
backtest = _ui.load(ctx, "backtest") if kind else None
if kind is None:
    st.caption(ctx.t("bt_pick"))
if backtest is not None and backtest.height:
    errors = forecasting.backtest_errors(backtest, kind)
    kind_word = ctx.t(f"period_{kind}")
    if errors["n_periods"]:
        c1, c2, c3 = st.columns(3)
        c1.metric(ctx.t("bt_mape"), i18n.fmt_pct(errors["mape"], lang))
        c2.metric(ctx.t("bt_bias"), i18n.fmt_pct(errors["bias"], lang, signed=True))
        c3.metric(ctx.t("bt_n"), i18n.fmt_int(errors["n_periods"]))
        if errors["n_unpriced"]:
            st.warning(ctx.t("bt_unpriced", n=i18n.fmt_int(errors["n_unpriced"]), total=i18n.fmt_int(errors["n_periods"])))
    else:
        st.info(ctx.t("bt_none", kind=kind_word))
    _ui.chart("backtest_lines", backtest, lang, unit, kind=kind, key="forecast_backtest_chart")
    st.caption(ctx.t("bt_caption", kind=kind_word))
    with st.expander(ctx.t("bt_title")):
        _ui.project_table(ctx, backtest.filter(pl.col("period_kind") == kind), key="forecast_backtest_table",
                          stem=f"backtest-{kind}",
                          columns=["made_on", "period", "n_pipeline", "pipeline", "weighted", "actual", "error",
                                   "abs_pct_error", "is_complete", "n_unpriced"])

# --------------------------------------------------------------------------- slips
st.subheader(ctx.t("slips_title"))
slip_sum = _ui.load(ctx, "slips_summary")
if slip_sum is not None and slip_sum.height:
    s = slip_sum.row(0, named=True)
    c1, c2, c3, c4 = st.columns(4, gap="small")
    c1.metric(ctx.t("sl_week"), i18n.fmt_int(s["n_slipped_week"]), border=True)
    c1.caption(i18n.fmt_amount(s["slipped_week_amount"], lang, unit))
    c2.metric(ctx.t("sl_out_month"), i18n.fmt_int(s["n_out_of_month"]), border=True)
    c2.caption(i18n.fmt_amount(s["out_of_month_amount"], lang, unit))
    c3.metric(ctx.t("sl_out_quarter"), i18n.fmt_int(s["n_out_of_quarter"]), border=True)
    c3.caption(i18n.fmt_amount(s["out_of_quarter_amount"], lang, unit))
    c4.metric(ctx.t("sl_flagged", n=cfg.slip_flag_count), i18n.fmt_int(s["n_flagged"]), border=True)
slips = _ui.load(ctx, "slips")
if slips is not None:
    # Each figure above lists its projects: pick it here (none picked: every project that ever slipped).
    shows = {"slipped_this_week": ctx.t("sl_week"), "out_of_month": ctx.t("sl_out_month"),
             "out_of_quarter": ctx.t("sl_out_quarter"), "is_flagged": ctx.t("sl_flagged", n=cfg.slip_flag_count)}
    show = st.segmented_control(ctx.t("sl_show"), options=list(shows), format_func=shows.get, key="forecast_slips_show")
    listed = slips.filter(pl.col(show)) if show else slips
    if listed.height == 0:
        st.success(ctx.t("no_slips"))
    else:
        _ui.project_table(ctx, listed, key="forecast_slips_table", stem="slips", height=360,
                          columns=["project_id", "project_name", "owner", "region", "stage", "expected_amount",
                                   "expected_sign_on", "n_slips", "days_pushed", "first_sign_on", "slipped_this_week",
                                   "out_of_month", "out_of_quarter", "is_flagged"])
    st.caption(ctx.t("sl_caption"))

# --------------------------------------------------------------------------- trends
st.subheader(ctx.t("trends_title"))
if st.toggle(ctx.t("trends_show"), key="forecast_trends_show", help=ctx.t("trends_sparklines_note")):
    trends = _ui.load(ctx, "trends")
    if trends is not None and trends.height:
        _ui.chart("trend_panels", trends, lang, unit, key="forecast_trends_chart")
        st.caption(ctx.t("trends_caption"))

# --------------------------------------------------------------------------- owners
st.subheader(ctx.t("owners_title"))
owners = _ui.load(ctx, "owners", ctx.filters(since=None))
if owners is not None and not _ui.empty_result(ctx, owners):
    columns = ["owner", "won_amount", "n_won", "quarter_attainment", "quarter_target", "month_attainment", "month_target",
               "win_rate", "pipeline", "weighted", "median_cycle_days", "n_cycle", "n_stalled", "expense_ratio",
               "n_open", "n_closed"]
    shown, config = _ui.localise(ctx, owners, columns)
    event = _ui.dataframe(shown, key="forecast_owners_table", column_config=config, on_select="rerun",
                          selection_mode="single-row", height=520)
    st.caption(ctx.t("owners_caption"))
    _ui.download_buttons(ctx, shown, "owners", "forecast_owners_table", config)
    rows = event.selection.rows if event is not None else []
    if rows and 0 <= rows[0] < owners.height:
        owner = owners.get_column("owner")[rows[0]]
        st.subheader(ctx.t("owner_projects"))
        st.text(f"{ctx.t('owner')}: {owner if owner is not None else i18n.MISSING}")  # from the data: plain text
        if owner is None:
            st.info(ctx.t("empty_filter"))
        else:
            projects = _ui.load(ctx, "projects", ctx.filters(owner=(owner,)))
            if projects is not None and not _ui.empty_result(ctx, projects):
                _ui.project_table(ctx, projects, key="forecast_owner_projects", stem="owner-projects", height=420,
                                  columns=["project_id", "project_name", "customer", "grade", "region", "stage",
                                           "outcome", "expected_amount", "contract_amount", "expected_sign_on"])
