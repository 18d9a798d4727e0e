"""Load .sql files and run them with bound parameters; return Polars frames.

Owns: the list of query names (files we ship — identifiers never come from input), the
order in which :func:`refresh` rebuilds the staging views and derived tables, and the
translation of ``dashboard/config.py`` thresholds into bound parameters. Thresholds are
bound at query time (never formatted into SQL text, never stored), so a change to
``domain.toml`` shows in the next query without re-importing anything.
Must not import streamlit.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from queries import checks, derived
from queries.dimensions import KEYS
from queries.filters import Filters, ScopeMissing

SQL_DIR = Path(__file__).parent  # the queries by name (the CLI's `query NAME`), one statement each
STAGING_DIR = SQL_DIR / "staging"  # views (and stg_projects, a table macro) over the stored rows
MACROS_DIR = SQL_DIR / "macros"  # macros the queries share (scope, periods, pairs, probabilities …)
# queries/derived/: the steps that keep the derived tables (queries/derived.py)

# Created in this order by refresh(): config, renaming views, macros. The derived tables
# themselves are maintained by queries/derived.py (between the groups: the macros over
# project_facts need the table, pair_facts is built with snapshot_pairs_computed).
STAGING_BASE: tuple[str, ...] = (
    "dimensions",  # in_scope, segment_of, … (the only SQL naming the dimension columns)
    "cfg_stages",
    "stg_projects",
    "stg_stage_events",
    "since_date",  # over snapshot_dates
    "period_start",
    "period_label",
    "learned_probabilities",
    "learned_probability",
    "stage_limits",
    "stg_visits",  # issue 13
    "project_visits_upto",  # over visit_projects (migration 0011)
    "stg_money",
    "open_invoices",
    "stg_targets",  # over targets (migration 0006)
)
STAGING_FACTS: tuple[str, ...] = (
    "project_in_scope",
    "visits_scoped",  # over stg_visits and project_facts
    "revisits_classified",  # over visits_scoped
    "receivables_scoped",  # over open_invoices and project_facts
    "snapshot_pairs_computed",  # over project_facts
    "learned_rows",  # over project_facts
    "learned_counts",  # over learned_rows (kept at import in win_counts)
    "learned_counts_history",
)
STAGING_PAIRS: tuple[str, ...] = (
    "snapshot_pairs",  # stored pairs (pair_facts), else computed
    "recently_pushed",  # over pair_facts
)
STAGING: tuple[str, ...] = STAGING_BASE + STAGING_FACTS + STAGING_PAIRS

QUERY_NAMES: tuple[str, ...] = (
    "projects",
    "funnel",
    "win_rate",
    "aging",
    "aging_summary",
    "stage_durations",
    "margin",
    "margin_summary",
    "changes",
    "changes_summary",
    "process_exceptions",
    "project",
    "project_snapshots",
    "project_events",
    "snapshots",
    "filter_options",
)
# Drill-downs (issue 4): the Data page's import history, the projects that reached a stage,
# the closed projects a win rate counts, the funnel by region × grade.
QUERY_NAMES += ("import_history", "projects_reached", "projects_closed", "funnel_region_grade")
# Names these had until 2026-12 (`ui_*`, issue 11): still accepted by run() and the CLI
# (which says the new name), same columns; README "Queries" lists them.
RENAMED: dict[str, str] = {"ui_imports": "import_history", "ui_reached": "projects_reached",
                           "ui_closed": "projects_closed", "ui_region_grade": "funnel_region_grade"}
# Forecast, back-test, slips, trends, owners (issue 12; docs/ANALYSES.md "Forecast").
QUERY_NAMES += ("win_probabilities", "forecast", "forecast_projects", "backtest", "slips", "slips_summary", "trends",
                "owners")
# Visit reports (issue 13; docs/ANALYSES.md "Visits").
VISIT_QUERIES: tuple[str, ...] = ("visits_daily", "visits_weekly", "visits_mix", "visits_frequency", "visit_alerts",
                                  "revisits", "revisits_summary", "four_visits", "four_visits_open", "visits_unmatched",
                                  "project_visits", "visits_summary")
COLLECTION_QUERIES: tuple[str, ...] = ("collections", "receivables", "receivables_aging", "won_uncollected",
                                       "project_money", "collections_summary")
QUERY_NAMES += VISIT_QUERIES + COLLECTION_QUERIES
# Targets and attainment (issue 12; docs/ANALYSES.md "Targets").
QUERY_NAMES += ("targets",)

SEGMENTS = KEYS  # the --by values: every filter dimension (queries/dimensions.py)

# Queries whose `by` must name a segment (None = unsegmented).
_DEFAULT_EXTRA: dict[str, Any] = {"by": None, "project_id": None, "stage": None,  # stage: projects_reached
                                   "limit": None,  # limit: the first N rows of a list query
                                   "stalled_only": False,  # aging: only the stalled projects
                                   "imported_by": None,  # import_history: only this actor's imports
                                   "all_snapshots": False,  # win_probabilities: every snapshot <= as_of
                                   "computed": False,  # win_probabilities: from project_facts, not win_counts
                                   "dimensions": list(KEYS)}  # filter_options: every dimension, registry order

# `project` is composed from other queries (each one statement), not a .sql file of its own.
_COMPOSITE = {"project"}
# Queries composed in Python with no .sql file of their own (the others in
# queries/composed.py run their own .sql with bound inputs).
NO_SQL_FILE = frozenset({"project", "slips_summary"})


@cache
def sql_text(name: str) -> str:
    if name not in STAGING:
        return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    found = [d / f"{name}.sql" for d in (STAGING_DIR, MACROS_DIR) if (d / f"{name}.sql").exists()]
    if len(found) != 1:
        raise FileNotFoundError(f"{name}.sql must be in exactly one of queries/staging, queries/macros: {found}")
    return found[0].read_text(encoding="utf-8")


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    # DuckDB refuses named parameters a statement does not use; match whole names only
    # ($floor_grade must not claim $floor_grade_keys).
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


def threshold_params() -> dict[str, Any]:
    """The configured thresholds as named parameters (lists for the per-key overrides)."""
    from dashboard.config import get_config

    t = get_config().thresholds
    overrides = [(g, s, d) for g, limits in t.stage_age_limit_days_by_grade.items() for s, d in limits.items()]
    return {
        "age_stages": list(t.stage_age_limit_days),
        "age_days": [int(v) for v in t.stage_age_limit_days.values()],
        "age_override_grades": [g for g, _, _ in overrides],
        "age_override_stages": [s for _, s, _ in overrides],
        "age_override_days": [int(d) for _, _, d in overrides],
        "floor_default": float(t.margin_floor),
        "floor_category_keys": list(t.margin_floor_by_category),
        "floor_category_values": [float(v) for v in t.margin_floor_by_category.values()],
        "floor_grade_keys": list(t.margin_floor_by_grade),
        "floor_grade_values": [float(v) for v in t.margin_floor_by_grade.values()],
        "erosion_points": float(t.erosion_points),
        "expense_ratio_factor": float(t.expense_ratio_factor),
        "amount_change_share": float(t.amount_change_share),
        "margin_change_points": float(t.margin_change_points),
    } | forecast_params() | checks.check_params() | visit_params()


def visit_params() -> dict[str, Any]:
    """``[visits]`` and ``[collections]`` of domain.toml as named parameters."""
    from dashboard.config import get_config

    cfg = get_config()
    v = cfg.visits
    return {
        "quota_per_day": float(v.quota_per_working_day),
        "revisit_missed_after_days": int(v.revisit_missed_after_days),
        "four_visit_min": int(v.four_visit_min),
        "frequency_window_days": int(v.frequency_window_days),
        "alert_grades": list(v.alert_days),
        "alert_days": [int(d) for d in v.alert_days.values()],
        "target_grades": list(v.target_per_30_days),
        "target_values": [float(t) for t in v.target_per_30_days.values()],
        "won_uncollected_days": int(cfg.collections.won_uncollected_days),
    }


def forecast_params() -> dict[str, Any]:
    """``[forecast]`` of domain.toml as named parameters."""
    from dashboard.config import get_config

    f = get_config().forecast
    return {
        "prior_strength": float(f.prior_strength),
        "commit_stages": list(f.commit_stages),
        "commit_stable_days": int(f.commit_stable_days),
        "best_case_stages": list(f.best_case_stages),
        "slip_flag_count": int(f.slip_flag_count),
    }


def latest_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("select max(as_of) from snapshot_dates").fetchall()[0][0]


def _params(con: duckdb.DuckDBPyConnection, filters: Filters | None, extra: dict[str, Any]) -> dict[str, Any]:
    if filters is None:  # deny by default: no scope given is refused, never "everything"
        raise ScopeMissing("a query called without Filters (and so without an access scope): refused")
    params = filters.params() | threshold_params() | _DEFAULT_EXTRA | extra
    if params.get("as_of") is None:
        params["as_of"] = latest_as_of(con)
    by = params.get("by")
    if by is not None and by not in SEGMENTS:
        raise ValueError(f"by must be one of {', '.join(SEGMENTS)}, got {by!r}")
    return params


def _execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pl.DataFrame:
    sql = sql_text(name)
    df = con.sql(sql, params=_used_params(sql, params)).pl()
    return checks.with_detail(df) if name == "margin" else df


def run(con: duckdb.DuckDBPyConnection, name: str, filters: Filters | None = None, **extra: Any) -> pl.DataFrame:
    """Run query ``name`` under ``filters``; ``extra`` holds query-specific parameters
    (``by`` for the segmented queries, ``project_id`` for ``project``)."""
    name = RENAMED.get(name, name)
    if name not in QUERY_NAMES:
        raise KeyError(f"unknown query {name!r}; choose one of {', '.join(QUERY_NAMES)}")
    params = _params(con, filters, extra)
    if name in _COMPOSITE:
        return _project(con, params)
    from queries.composed import COMPOSED

    if name in COMPOSED:
        return COMPOSED[name](con, _execute, params)
    return _execute(con, name, params)


# --- access control's own tables (no Filters: they are not project data) -----------------

# Read by dashboard/access.py and the admin views; never offered by `dashboard query`.
PLAIN_QUERIES: tuple[str, ...] = ("access_list", "audit_log")


def run_plain(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run one of ``PLAIN_QUERIES`` with its named parameters (bound)."""
    if name not in PLAIN_QUERIES:
        raise KeyError(f"unknown plain query {name!r}; choose one of {', '.join(PLAIN_QUERIES)}")
    return _execute(con, name, {"limit": None} | params)


# --- helpers the UI calls --------------------------------------------------------------


def list_snapshots(con: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """as_of, n_projects, n_open, open_expected_amount per snapshot (allowed_regions applies)."""
    return run(con, "snapshots", filters)


def filter_options(con: duckdb.DuckDBPyConnection, as_of: date | None,
                   allowed_regions: tuple[str, ...]) -> dict[str, list[str]]:
    """{dimension key: [values present in the snapshot]} for every dimension (queries/dimensions.py)."""
    df = run(con, "filter_options", Filters(as_of=as_of, allowed_regions=allowed_regions))
    out: dict[str, list[str]] = {seg: [] for seg in SEGMENTS}
    for dimension, value in df.select("dimension", "value").iter_rows():
        out[dimension].append(value)
    return out


def project_detail(con: duckdb.DuckDBPyConnection, project_id: str,
                   filters: Filters) -> dict[str, pl.DataFrame]:
    """The drill-down page's frames: snapshots, stage events, flags (margin checks, aging,
    process exceptions) for one project, as of ``filters.as_of``."""
    params = _params(con, filters, {"project_id": project_id})
    return _project_parts(con, params)


def _project_parts(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> dict[str, pl.DataFrame]:
    snapshots = _execute(con, "project_snapshots", params)
    events = _execute(con, "project_events", params)
    margin = _execute(con, "margin", params)
    aging = _execute(con, "aging", params)
    exceptions = _execute(con, "process_exceptions", params)
    slips = _execute(con, "slips", params | {"limit": None})
    flags = pl.concat(
        [
            margin.select(
                pl.lit("margin").alias("source"), pl.col("check").alias("flag"), "severity",
                pl.col("stage"), pl.lit(None, pl.Date).alias("on_date"),
                pl.col("value").cast(pl.Float64), pl.col("threshold").cast(pl.Float64), "detail", "detail_zh",
            ),
            aging.filter(pl.col("is_stalled")).select(
                pl.lit("aging").alias("source"), pl.lit("stalled").alias("flag"),
                pl.lit("high").alias("severity"), "stage", pl.col("entered_on").alias("on_date"),
                pl.col("days_in_stage").cast(pl.Float64).alias("value"),
                pl.col("limit_days").cast(pl.Float64).alias("threshold"),
                pl.format("{} days in {} (limit {})", "days_in_stage", "stage", "limit_days").alias("detail"),
                pl.lit(None, pl.String).alias("detail_zh"),  # the page words it (i18n.stalled_detail)
            ),
            exceptions.select(
                pl.lit("process").alias("source"), pl.col("exception").alias("flag"), "severity",
                "stage", "on_date", pl.lit(None, pl.Float64).alias("value"),
                pl.lit(None, pl.Float64).alias("threshold"), "detail", pl.lit(None, pl.String).alias("detail_zh"),
            ),
            slips.filter(pl.col("is_flagged")).select(
                pl.lit("slips").alias("source"), pl.lit("repeated_slips").alias("flag"),
                pl.lit("medium").alias("severity"), "stage", pl.col("last_slip_on").alias("on_date"),
                pl.col("n_slips").cast(pl.Float64).alias("value"),
                pl.lit(float(params["slip_flag_count"])).alias("threshold"),
                pl.format("sign date pushed out {} times ({} days in all)", "n_slips", "days_pushed").alias("detail"),
                pl.lit(None, pl.String).alias("detail_zh"),
            ),
        ],
        how="vertical_relaxed",
    )
    return {"snapshots": snapshots, "events": events, "flags": flags}


def _project(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pl.DataFrame:
    """One long frame: section (snapshot | stage_event | flag), on_date, stage, name, ..."""
    if params.get("project_id") is None:
        raise ValueError("the project query needs project_id (CLI: --project ID)")
    parts = _project_parts(con, params)
    s, e, f = parts["snapshots"], parts["events"], parts["flags"]
    columns = ["section", "on_date", "stage", "name", "status", "expected_amount", "margin",
               "value", "threshold", "severity", "detail"]
    frames = [
        s.select(
            pl.lit("snapshot").alias("section"), pl.col("as_of").alias("on_date"),
            pl.col("cur_stage").alias("stage"), pl.col("outcome").alias("name"), "status",
            pl.col("expected_amount").cast(pl.Float64), "margin",
            pl.lit(None, pl.Float64).alias("value"), pl.lit(None, pl.Float64).alias("threshold"),
            pl.lit(None, pl.String).alias("severity"),
            pl.format("expected sign {}", pl.col("expected_sign_on").cast(pl.String).fill_null("-")).alias("detail"),
        ),
        e.select(
            pl.lit("stage_event").alias("section"), pl.col("entered_on").alias("on_date"), "stage",
            pl.col("source").alias("name"), pl.lit(None, pl.String).alias("status"),
            pl.lit(None, pl.Float64).alias("expected_amount"), pl.lit(None, pl.Float64).alias("margin"),
            pl.lit(None, pl.Float64).alias("value"), pl.lit(None, pl.Float64).alias("threshold"),
            pl.lit(None, pl.String).alias("severity"), pl.col("detail"),
        ),
        f.select(
            pl.lit("flag").alias("section"), "on_date", "stage", pl.col("flag").alias("name"),
            pl.lit(None, pl.String).alias("status"), pl.lit(None, pl.Float64).alias("expected_amount"),
            pl.lit(None, pl.Float64).alias("margin"), "value", "threshold", "severity", "detail",
        ),
    ]
    return pl.concat([fr.select(columns) for fr in frames], how="vertical_relaxed")


# --- rebuilding the derived objects ------------------------------------------------------


def _stages(con: duckdb.DuckDBPyConnection) -> Any:
    """The stages the derived tables were built with: (code, role) in order; None before
    the first refresh (a database from before stage roles: its codes, with no roles)."""
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'cfg_stages'"
    ).fetchall()}
    if not columns:
        return None
    if "role" not in columns:
        return con.execute("select list(stage order by stage_order) from cfg_stages").fetchall()[0][0]
    return derived.stages_now(con)


def refresh(con: duckdb.DuckDBPyConnection, *, incremental: bool = False,
            timings: dict[str, float] | None = None) -> str:
    """(Re)create the staging views and macros and bring the derived tables up to date,
    inside the caller's write transaction.

    By default every derived table is rebuilt from the stored rows (``dashboard rebuild``;
    tests that write the stored tables directly). ``incremental=True`` (every write through
    ``store.write_transaction``) recomputes only what the imports added, replaced or
    removed since the last refresh can change, unless the derived tables are missing or
    out of date (then it rebuilds). Returns 'rebuilt', 'incremental' or 'unchanged'.
    ``timings`` (optional) receives ``refresh.<step>`` seconds per step of queries/derived.py."""
    from dashboard.config import get_config

    cfg = get_config()
    stage_params = {
        "codes": [s.code for s in cfg.stages],
        "roles": [s.role for s in cfg.stages],
        "zh": [s.zh for s in cfg.stages],
        "en": [s.en for s in cfg.stages],
    }

    def create(names: tuple[str, ...]) -> None:
        for name in names:
            sql = sql_text(name)
            con.execute(sql, _used_params(sql, stage_params)).fetchall()

    stages_before = _stages(con)
    token = derived.TIMINGS.set(timings)
    # The derived tables' row order does not matter (every query sorts), and letting DuckDB
    # write them unordered holds less memory.
    before = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = false")
    try:
        create(STAGING_BASE)
        full = not incremental or derived.needs_rebuild(con, stages_before)
        if full:
            derived.create_facts_tables(con)
        create(STAGING_FACTS)
        if full:
            derived.create_pairs_table(con)
        create(STAGING_PAIRS)
        if full:
            derived.rebuild(con)
            return "rebuilt"
        return derived.refresh_incremental(con)
    finally:
        derived.TIMINGS.reset(token)
        try:
            con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")
        except duckdb.Error:
            pass  # the transaction failed; its own error is the one to report
