"""Small UI pieces every page shares: guards, loading (a failing query is shown as an
error naming the analysis, its traceback logged — never hidden), the demo-data banner,
localised tables sized to their rows with our own (escaped) downloads, selection →
project page.

Text from uploads (project names, customers, owners …) only ever reaches the screen
through ``st.dataframe``/``st.text``/widget labels Streamlit escapes — never through
``st.markdown``/``st.caption`` and never with ``unsafe_allow_html``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
import streamlit as st

from dashboard import app_pages, data, downloads, i18n, pymap
from dashboard.filters import KEY_PROJECT
from dashboard.sidebar import Context

PAGE_FILES = app_pages.PAGE_FILES  # key -> file (the page registry, app_pages/__init__.py)

AMOUNT_COLUMNS = {
    "expected_amount", "contract_amount", "amount_delta", "amount", "bid_amount",
    "estimated_cost", "actual_cost", "expense_budget", "expense_actual", "open_amount",
    "won_amount", "lost_amount",
    # forecast (issue 12)
    "pipeline", "weighted", "unpriced_amount", "commit_amount", "best_case", "won", "expected_total", "actual", "error",
    # targets (issue 12)
    "target_amount", "gap", "run_rate_per_day", "run_rate_per_week", "month_target", "quarter_target",
}
RATIO_COLUMNS = {
    "estimated_margin", "margin", "step_conversion", "cumulative_conversion",
    "decided_conversion", "expense_ratio", "win_rate", "margin_pct", "floor", "reached_rate",
    "probability", "stage_rate", "abs_pct_error", "month_attainment", "quarter_attainment",
}
CODE_LABELS = {
    "status": i18n.status_label,
    "outcome": i18n.status_label,
    "check": i18n.check_label,
    "change": i18n.change_label,
    "exception": i18n.exception_label,
    "severity": i18n.severity_label,
    "aging_bucket": i18n.bucket_label,
    "kind": i18n.kind_label,
    "role": i18n.role_label,
    "action": i18n.action_label,
}
# Counts read with a thousands separator, like the figures and chart labels ("1,783").
COUNT_COLUMNS = {
    "reached", "n_open_here", "n_lost_here", "n_dropped_here", "n_skipped", "n_projects", "n",
    "rows_accepted", "rows_skipped", "rows_read", "n_advanced", "n_won", "n_lost", "n_dropped", "n_closed",
    "n_pipeline", "n_unpriced", "n_commit", "n_best_case", "n_slips", "n_cycle", "n_stalled", "n_open",
    "stage_n_closed", "stage_n_won",
}
DAY_COLUMNS = {"median_days", "p75_days", "p90_days", "days_in_stage", "limit_days", "median_cycle_days", "days_pushed"}
# Visit reports (issue 13)
CODE_LABELS |= {"purpose": i18n.purpose_label, "customer_category": i18n.category_label,
                "match_status": i18n.match_label, "revisit_status": i18n.revisit_label,
                "receivable_bucket": i18n.receivable_bucket_label, "entry": i18n.entry_label}
AMOUNT_COLUMNS |= {"invoiced_amount", "collected_amount", "receivable_amount", "overdue_amount", "over_90_amount",
                   "uninvoiced_amount", "outstanding_amount", "invoiced_to_date", "collected_to_date", "receivable_to_date"}
COUNT_COLUMNS |= {"n_visits", "n_below_target", "n_planned", "n_kept", "n_kept_late", "n_overdue", "n_missed", "n_pending",
                  "n_working_days", "n_days_with_visits"}
RATIO_COLUMNS |= {"share", "kept_rate", "on_time_rate", "collected_share"}
DAY_COLUMNS |= {"days_since_visit", "days_late", "alert_days", "days_past_due", "days_since_won"}
COUNT_COLUMNS |= {"n_invoices"}
CHECKBOX_COLUMNS_VISITS = {"is_below_quota", "meets_target", "is_working_day"}
# Rates that are not shares (visits per working day, per project per 30 days): two decimals,
# not the raw double (0.9484 read as noise).
RATE_COLUMNS = {"visits_per_working_day", "quota", "visits_per_project_30d", "target_per_30d"}
# A table shows at most this many rows, in the order the page sorted them (most urgent
# first); its CSV/Excel downloads have every row. At 100k projects an unfiltered list is
# tens of thousands of rows: megabytes sent on every rerun and drawn by the browser for
# nobody to scroll through (bench/results/ui.md).
MAX_TABLE_ROWS = 1_000
STAGE_COLUMNS = {"stage", "furthest_stage", "previous_stage", "from_stage", "to_stage", "current_stage"}
CHECKBOX_COLUMNS = {"is_stalled", "is_demo", "is_flagged", "is_complete", "slipped_this_week", "out_of_month",
                    "out_of_quarter", "is_commit", "is_best_case"} | CHECKBOX_COLUMNS_VISITS
# st.dataframe's row and header height (px): a table is drawn as tall as its rows, up to
# the height its page allows, never with blank rows under a short list.
ROW_PX = 35

log = logging.getLogger("dashboard.pages")


# --------------------------------------------------------------------------- guards and loading


def require_data(ctx: Context) -> None:
    """Stop the page with a helpful note when the database has no snapshot yet."""
    if ctx.empty:
        caller = ctx.run.access
        if caller is not None and caller.can_import:
            st.info(ctx.t("empty_db"))
            st.page_link(PAGE_FILES["data"], label=ctx.t("go_data"), icon="📥")
        else:  # a reader: nothing in their regions yet (the Data page is not theirs)
            st.info(ctx.t("empty_db_reader"))
        st.stop()


def problem(message: str, detail: str | None = None, *, level: str = "warning") -> None:
    """Our message (Markdown is fine: we wrote it) and the technical detail as plain text —
    details can quote file names and values from uploads, which must never be Markdown."""
    (st.error if level == "error" else st.warning)(message)
    if detail:
        st.text(detail[:600])


def load(ctx: Context, name: str, filters=None, **extra: Any) -> pl.DataFrame | None:
    """Run a query through the cache. When it fails, say so where the analysis would be (an
    error naming it, in the user's language, with the error's first line) and log the
    traceback; return None so the rest of the page still renders."""
    try:
        return data.query(ctx.run, name, filters if filters is not None else ctx.filters(), **extra)
    except Exception as exc:  # a broken query must not take the whole page down, nor hide
        failed(ctx, name, exc)
    return None


def failed(ctx: Context, name: str, exc: BaseException) -> None:
    """A failing analysis, shown and logged (the traceback goes to the server log)."""
    what = i18n.analysis_label(name, ctx.lang)
    log.error("query %r failed (as_of=%s)", name, ctx.as_of, exc_info=exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    problem(ctx.t("query_failed", what=what), f"{type(exc).__name__}: {first}"[:300], level="error")


def not_shown(ctx: Context, name: str) -> None:
    """A section whose analysis failed above: a short error in its place (the full one, with
    the reason, is where it was loaded)."""
    st.error(ctx.t("section_failed", what=i18n.analysis_label(name, ctx.lang)), icon=":material/error:")


def demo_imports(ctx: Context, *, show_error: bool = False) -> pl.DataFrame:
    """The active demo imports (``data.demo_imports``). If the query fails: an empty frame,
    the failure shown when ``show_error`` (the banner, which every page draws first, shows
    it; the Data page then goes on without its demo controls)."""
    try:
        return data.demo_imports(ctx.run)
    except Exception as exc:  # the banner must not take the page down either
        if show_error:
            failed(ctx, "import_history", exc)
        return pl.DataFrame(schema={"import_id": pl.Int32, "as_of": pl.Date, "file_name": pl.String})


def demo_banner(ctx: Context, *, link: bool = True) -> None:
    """While demo data is loaded, every page says so at the top (issue 9, B1)."""
    demo = demo_imports(ctx, show_error=True)
    if demo.height == 0:
        return
    dates = demo.get_column("as_of").drop_nulls()
    st.warning(ctx.t("demo_banner", n=demo.height, first=i18n.fmt_date(dates.min(), ctx.lang),
                     last=i18n.fmt_date(dates.max(), ctx.lang)), icon=":material/science:")
    if link:
        st.page_link(PAGE_FILES["data"], label=ctx.t("demo_go_data"), icon=":material/upload_file:")


# --------------------------------------------------------------------------- display frames


def localise(ctx: Context, df: pl.DataFrame, columns: Sequence[str] | None = None) -> tuple[pl.DataFrame, dict]:
    """Codes → words, amounts → the chosen unit, ratios → %, headers → the chosen language.

    Returns the frame to show/download and a column_config for st.dataframe."""
    lang, unit = ctx.lang, ctx.unit
    if {"detail", "detail_zh", "check"} <= set(df.columns):
        df = df.with_columns(i18n.check_details(df, lang).alias("detail"))
    if "detail" in df.columns and "exception" in df.columns:
        df = df.with_columns(
            pymap.rows(
                df,
                ["exception", "stage", "detail"],
                lambda r: i18n.exception_detail(r["exception"], r["stage"], lang, r["detail"]),
                name="detail",
            )
        )
    if "change" in df.columns and ({"before", "after"} & set(df.columns)):
        df = df.with_columns(_change_values(df, c, lang, unit).alias(c) for c in ("before", "after") if c in df.columns)
    if columns is not None:
        df = df.select([c for c in columns if c in df.columns])
    exprs = []
    config: dict[str, Any] = {}
    renames: dict[str, str] = {}
    divisor = i18n.unit_divisor(unit, lang)
    for c, dt in df.schema.items():
        header = i18n.t(c, lang) if c in i18n.STRINGS else c
        if c in STAGE_COLUMNS:
            mapping = {s: i18n.stage_label(s, lang) for s in df.get_column(c).unique().drop_nulls().to_list()}
            exprs.append(pl.col(c).replace_strict(mapping, default=None, return_dtype=pl.String).alias(c))
        elif c in CODE_LABELS and dt == pl.String:
            # Few distinct codes: translate each once, then a vectorised replace.
            label = CODE_LABELS[c]
            mapping = {v: label(v, lang) for v in df.get_column(c).unique().drop_nulls().to_list()}
            exprs.append(pl.col(c).replace_strict(mapping, default=None, return_dtype=pl.String).alias(c))
        elif c in AMOUNT_COLUMNS and dt.is_numeric():
            exprs.append((pl.col(c).cast(pl.Float64) / divisor).alias(c))
            header = f"{header} ({i18n.unit_suffix(unit, lang)})"
            config[header] = st.column_config.NumberColumn(header, format=i18n.table_number_format(unit, lang))
        elif c in RATIO_COLUMNS and dt.is_numeric():
            exprs.append((pl.col(c).cast(pl.Float64) * 100).alias(c))
            header = f"{header} (%)"
            config[header] = st.column_config.NumberColumn(header, format="%.1f")
        elif c in COUNT_COLUMNS and dt.is_integer():
            config[header] = st.column_config.NumberColumn(header, format="%,.0f")
        elif c in RATE_COLUMNS and dt.is_numeric():
            config[header] = st.column_config.NumberColumn(header, format="%.2f")
        elif c in DAY_COLUMNS and dt.is_numeric():  # a median of 33.5 days reads as 34 days
            config[header] = st.column_config.NumberColumn(header, format="%.0f")
        elif dt == pl.Date:
            config[header] = st.column_config.DateColumn(header, format="YYYY-MM-DD")
        elif c == "project_name":  # long names: don't let them push the figures off screen
            config[header] = st.column_config.TextColumn(header, width="medium")
        elif c in CHECKBOX_COLUMNS:
            config[header] = st.column_config.CheckboxColumn(header)
        renames[c] = header
    if exprs:
        df = df.with_columns(exprs)
    return df.rename(renames), config


def _change_values(df: pl.DataFrame, col: str, lang: str, unit: str) -> pl.Expr:
    """The before/after of a change in words: stage and status codes named, margins as %,
    amounts in the chosen unit; dates and anything else as they are."""
    codes = {}
    for v in df.get_column(col).drop_nulls().unique().to_list():
        label = i18n.stage_label(v, lang)
        if label == v:
            label = i18n.status_label(v, lang)
        codes[v] = label
    change = pl.col("change")
    number = pl.col(col).cast(pl.Float64, strict=False)
    floats = df.select(pl.col(col).cast(pl.Float64, strict=False)).to_series()
    amount = pl.lit(pl.Series([None if v is None else i18n.fmt_amount(v, lang, unit) for v in floats.to_list()], dtype=pl.String))  # like the figures
    return (
        pl.when(change == "margin_down").then(pl.format("{}%", (number * 100).round(1)))
        .when(change.is_in(["amount_up", "amount_down"]))
        .then(amount)
        .otherwise(pl.col(col).replace_strict(codes, default=pl.col(col), return_dtype=pl.String))
    )


def metric_delta(text: str | None, zero: bool | None = None, *, inverse: bool = False) -> dict[str, Any]:
    """st.metric's delta arguments: no change reads grey without an arrow ("±0"), not as a
    red/green "↑ +0"; otherwise green up (red up when ``inverse``: more stalled is worse).
    ``zero`` None: the change is zero when its text shows no digit but 0 ("±0.0 pp",
    "+0.0 万元": what the reader sees is what decides)."""
    if text is None:
        return {"delta": None}
    if zero is None:
        zero = not any(ch in "123456789" for ch in text)
    if zero:
        return {"delta": text, "delta_color": "off", "delta_arrow": "off"}
    return {"delta": text, "delta_color": "inverse" if inverse else "normal"}


# --------------------------------------------------------------------------- tables and downloads


def fit_height(n_rows: int, max_px: int) -> int:
    """The height (px) that shows a header and ``n_rows`` rows, at most ``max_px`` (then it scrolls)."""
    return min(max_px, (max(n_rows, 1) + 1) * ROW_PX + 3)


def dataframe(df: pl.DataFrame, **kwargs: Any):
    """st.dataframe as every page shows a table: a missing value reads ``i18n.MISSING`` (not
    Streamlit's "None") in both languages, no index, full width; a height in px is the
    most it may take (a short table is drawn as tall as its rows, no blank rows)."""
    if isinstance(kwargs.get("height"), int):
        kwargs["height"] = fit_height(df.height, kwargs["height"])
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(df, placeholder=i18n.MISSING, **kwargs)


def number_formats(config: dict) -> dict[str, str | None]:
    """A table's column_config (``localise``) as Excel number formats, header -> format: the
    Excel download shows the numbers as the page does, as numbers."""
    out = {}
    for header, cfg in (config or {}).items():
        type_config = (cfg or {}).get("type_config") or {}
        if type_config.get("type") == "number":
            out[header] = downloads.excel_format(type_config.get("format"))
    return out


def download_buttons(ctx: Context, df: pl.DataFrame | Callable[[], pl.DataFrame], stem: str, key: str,
                     config: dict | None = None) -> None:
    """Our CSV (BOM, formulas neutralised) and Excel, replacing st.dataframe's own export.
    ``df`` may be a function making the frame: it then runs only when a button is clicked.
    ``config``: the table's column_config, for the Excel number formats."""
    name = downloads.file_stem(stem, ctx.as_of)
    frame = df if callable(df) else (lambda: df)
    formats = {stem[:31]: number_formats(config)} if config else None
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        ctx.t("download_csv"), data=lambda: downloads.to_csv_bytes(frame()), file_name=f"{name}.csv",
        mime=downloads.CSV_MIME, key=f"{key}_csv", icon=":material/download:", on_click="ignore",
    )
    row.download_button(
        ctx.t("download_xlsx"), data=lambda: downloads.to_xlsx_bytes({stem[:31]: frame()}, formats),
        file_name=f"{name}.xlsx",
        mime=downloads.XLSX_MIME, key=f"{key}_xlsx", icon=":material/table:", on_click="ignore",
    )


def project_table(
    ctx: Context,
    df: pl.DataFrame,
    *,
    key: str,
    columns: Sequence[str] | None = None,
    stem: str | None = None,
    height: int | str = "auto",
    download: bool = True,
    hide_id: bool = False,
    widths: dict[str, int | str] | None = None,
) -> None:
    """A localised table of at most ``MAX_TABLE_ROWS`` rows (the downloads have them all);
    selecting a row opens that project's page. ``height`` in px: the most it may take
    (``dataframe``: fitted to its rows). ``hide_id`` keeps the project number out of
    sight (narrow spots) but in the downloads. ``widths``: column (code name) → pixels or
    "small"/"medium"/"large", for tables in a narrow spot."""
    if df is None:
        return
    total = df.height
    head = df.head(MAX_TABLE_ROWS)
    ids = head.get_column("project_id").cast(pl.String).to_list() if "project_id" in head.columns else []
    shown, config = localise(ctx, head, columns)
    if widths:  # by header (localise may add a column, e.g. a check's detail): never by position
        by_header = {(i18n.t(code, ctx.lang) if code in i18n.STRINGS else code): w for code, w in widths.items()}
        for header in shown.columns:
            if header in by_header:
                config[header] = {**dict(config.get(header) or {"label": header}), "width": by_header[header]}
    order = [c for c in shown.columns if c != ctx.t("project_id")] if hide_id else None
    event = dataframe(
        shown,
        column_order=order,
        key=key,
        on_select="rerun" if ids else "ignore",
        selection_mode="single-row",
        column_config=config,
        height=height,
    )
    if ids:
        rows = event.selection.rows if event is not None else []
        if rows and 0 <= rows[0] < len(ids):
            open_project(ctx, ids[rows[0]])
    if total > MAX_TABLE_ROWS:
        st.caption(ctx.t("table_capped", shown=i18n.fmt_int(MAX_TABLE_ROWS), total=i18n.fmt_int(total)))
    if download and total:
        everything = shown if total == shown.height else (lambda: localise(ctx, df, columns)[0])
        download_buttons(ctx, everything, stem or key, key, config)


def open_project(ctx: Context, project_id: str) -> None:
    # Only the project: the filters are bound widgets, Streamlit keeps them in the URL itself.
    st.switch_page(PAGE_FILES["project"], query_params={KEY_PROJECT: project_id})


def selection(event: Any, param: str) -> list[dict]:
    """The marks selected in a chart (st.vega_lite_chart(on_select="rerun")) as dicts."""
    if event is None:
        return []
    sel = getattr(event, "selection", None) or (event.get("selection") if isinstance(event, dict) else None)
    if not sel:
        return []
    picked = sel.get(param) if isinstance(sel, dict) else getattr(sel, param, None)
    if not picked:
        return []
    if isinstance(picked, dict):
        # interval-style {field: [values]} or a single point {field: value}
        if all(isinstance(v, list) for v in picked.values()):
            n = max((len(v) for v in picked.values()), default=0)
            return [{k: v[i] for k, v in picked.items() if i < len(v)} for i in range(n)]
        return [picked]
    return [p for p in picked if isinstance(p, dict)]


def chart(builder: str, *args: Any, key: str, param: str | None = None, **kwargs: Any) -> list[dict]:
    """Draw ``dashboard.charts.<builder>(*args, **kwargs)`` (its spec cached, see
    ``data.chart_spec``); when the chart has a point selection ``param``, return the picks."""
    spec = data.chart_spec(builder, *args, **kwargs)
    # A builder that fixes its width (a map of a few cells) is drawn at it, not stretched.
    width = "content" if isinstance(spec.get("width"), int) else "stretch"
    if param is None:
        st.vega_lite_chart(spec, width=width, key=key)
        return []
    event = st.vega_lite_chart(spec, width=width, key=key, on_select="rerun", selection_mode=param)
    return selection(event, param)


def empty_result(ctx: Context, df: pl.DataFrame | None) -> bool:
    """True (and a note) when filters leave nothing to show."""
    if df is not None and df.height == 0:
        st.info(ctx.t("empty_filter"))
        return True
    return df is None


CLOSED_COLUMNS = ["project_id", "project_name", "customer", "grade", "region", "owner", "outcome", "closed_on",
                  "amount", "lost_reason"]


def closed_projects(ctx: Context, filters, *, key: str, title: str | None = None) -> None:
    """The projects a win rate counts (query ``projects_closed``, same scope as ``win_rate``):
    won, lost and dropped, newest first; a row opens the project."""
    df = load(ctx, "projects_closed", filters)
    if df is None:
        return
    if title:
        st.subheader(title)
    if df.height == 0:
        st.info(ctx.t("empty_filter"))
        return
    won = df.filter(pl.col("outcome") == "won").height
    st.caption(ctx.t("win_rate_projects", won=i18n.fmt_int(won), closed=i18n.fmt_int(df.height)))
    project_table(ctx, df, key=key, stem="win-rate-closed", columns=CLOSED_COLUMNS, height=360)


# --------------------------------------------------------------------------- targets (issue 12)
TARGET_COLUMNS = ["period", "region", "owner", "category", "target_amount", "won", "attainment", "gap",
                  "working_days_left", "run_rate_per_week", "run_rate_per_day"]


def attainment_text(ctx: Context, won: Any, target: Any) -> str:
    """'50.0%' or 'No target' (never 0 % and never a division by zero)."""
    if target is None or float(target) <= 0:
        return ctx.t("no_target")
    return i18n.fmt_pct(float(won or 0) / float(target), ctx.lang)


def attainment_table(ctx: Context, df: pl.DataFrame, *, key: str, stem: str) -> None:
    """The targets query's rows as shown (attainment_frame), with downloads."""
    table, config = attainment_frame(ctx, df)
    dataframe(table, column_config=config, height=fit_height(table.height, 420), key=key)
    download_buttons(ctx, table, stem, key, config)


def attainment_frame(ctx: Context, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """The targets query's rows in display form: the total named, attainment as text so a
    row without a target says so, amounts in the page's unit (the page and the pack)."""
    shown = df.with_columns(
        pl.when(pl.col("level") == "total").then(pl.lit(ctx.t("total"))).otherwise(pl.col("region")).alias("region"),
        pl.when(pl.col("target_amount").is_null()).then(pl.lit(ctx.t("no_target")))
        .otherwise((pl.col("attainment") * 100).round(1).cast(pl.String) + "%").alias("attainment"),
    )
    columns = [c for c in TARGET_COLUMNS if c in shown.columns and (c not in ("owner", "category") or
                                                                   shown.get_column(c).drop_nulls().len())]
    return localise(ctx, shown, columns)
