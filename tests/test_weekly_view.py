"""The weekly review's figures, computed without Streamlit (dashboard/weekly_view.py): on
plain frames shaped like the queries' results, and on a real DuckDB against the queries."""

from __future__ import annotations

from datetime import date

import polars as pl
from test_queries_helpers import load

import queries
from dashboard import store, weekly_view
from queries import ALL_REGIONS, Filters


def test_the_open_pipeline_comes_from_the_waterfalls_own_ends_else_from_the_project_list():
    summary = pl.DataFrame({"step": ["start", "new", "end"], "amount": [100.0, 20.0, 120.0], "n_projects": [3, 1, 4]})
    k = weekly_view.kpis(summary=summary, projects=None, changes=None, aging=None, prev_aging=None,
                         margin=None, prev_margin=None, rate=None, prev_rate=None)
    assert (k.amount_now, k.count_now, k.amount_prev, k.count_prev) == (120.0, 4, 100.0, 3)
    assert k.change("amount") == 20.0 and k.change("count") == 1
    assert k.n_won is None and k.rate_now is None and k.change("rate") is None  # unknown, not 0
    projects = pl.DataFrame({"project_id": ["A", "B", "C"], "outcome": ["open", "won", "open"],
                             "expected_amount": [10.0, 99.0, None]})
    first = weekly_view.kpis(summary=None, projects=projects, changes=None, aging=None, prev_aging=None,
                             margin=None, prev_margin=None, rate=None, prev_rate=None)
    assert (first.amount_now, first.count_now, first.amount_prev) == (10.0, 2, None)


def test_won_lost_stalled_and_alerts_count_projects_not_rows():
    changes = pl.DataFrame({"project_id": ["A", "A", "B", "C"], "change": ["won", "amount_up", "lost", "dropped"]})
    aging = pl.DataFrame({"project_id": ["A", "B", "C"], "is_stalled": [True, False, True]})
    prev_aging = pl.DataFrame({"project_id": ["A"], "is_stalled": [True]})
    margin = pl.DataFrame({"project_id": ["A", "A", "D"], "check": ["negative_margin", "below_floor", "eroded"]})
    rate = pl.DataFrame({"win_rate": [0.4]})
    k = weekly_view.kpis(summary=None, projects=None, changes=changes, aging=aging, prev_aging=prev_aging,
                         margin=margin, prev_margin=margin.head(0), rate=rate, prev_rate=pl.DataFrame({"win_rate": [0.5]}))
    assert (k.n_won, k.n_lost, k.stalled_now, k.stalled_prev, k.alerts_now, k.alerts_prev) == (1, 2, 2, 1, 2, 0)
    assert k.change("stalled") == 1 and k.change("alerts") == 2
    assert round(k.change("rate"), 9) == -0.1


def test_margin_alerts_are_listed_high_severity_first_then_worst_margin():
    margin = pl.DataFrame({"project_id": ["A", "B", "C", "D"], "severity": ["low", "high", "medium", "high"],
                           "margin": [0.01, 0.10, -0.2, None]})
    assert weekly_view.decision_order(margin)["project_id"].to_list() == ["B", "D", "C", "A"]


def test_the_pack_summary_lists_the_figures_then_the_filters():
    k = weekly_view.Kpis(amount_now=1_230_000.0, count_now=4, n_won=1, n_lost=0, rate_now=0.25, stalled_now=2,
                         alerts_now=3)
    rows = weekly_view.pack_summary_rows(
        k, lambda key, **kw: key, as_of=date(2026, 11, 23), since=None, amount_label="amount", divisor=10_000,
        amount_format="0.0", filters=(("region", ("华东",)), ("grade", ())))
    assert rows[2] == ("amount", 123.0, "0.0")
    assert [r[1] for r in rows[3:9]] == [4, 1, 0, 0.25, 2, 3]
    assert rows[-2:] == [("region", "华东", "text"), ("grade", "all", "text")]
    more = weekly_view.insert_after(rows, "kpi_margin_alerts", [("slips", 5, "int")])
    assert [r[0] for r in more].index("slips") == [r[0] for r in rows].index("kpi_margin_alerts") + 1


def test_the_figures_agree_with_the_queries_on_a_real_database():
    con = store.connect_memory()
    load(con, [
        dict(as_of="2026-03-02", project_id="A", stage="proposal", expected_amount=100),
        dict(as_of="2026-03-02", project_id="B", stage="tender", expected_amount=50),
        dict(as_of="2026-03-09", project_id="A", stage="proposal", expected_amount=100, estimated_margin=-0.1),
        dict(as_of="2026-03-09", project_id="B", stage="tender", status="won", expected_amount=50),
        dict(as_of="2026-03-09", project_id="C", stage="development", expected_amount=30),
    ])
    f = Filters(as_of=date(2026, 3, 9), allowed_regions=ALL_REGIONS)
    prev = Filters(as_of=date(2026, 3, 2), allowed_regions=ALL_REGIONS)
    run = lambda name, flt, **kw: queries.run(con, name, flt, **kw)  # noqa: E731
    k = weekly_view.kpis(summary=run("changes_summary", f), projects=None, changes=run("changes", f),
                         aging=run("aging", f), prev_aging=run("aging", prev), margin=run("margin", f),
                         prev_margin=run("margin", prev), rate=run("win_rate", f), prev_rate=run("win_rate", prev))
    assert (k.amount_now, k.count_now, k.amount_prev, k.count_prev) == (130.0, 2, 150.0, 2)
    # alerts: A negative and below the floor (one project), B past approval without an
    # estimate, now and last week (A too, last week)
    assert (k.n_won, k.n_lost, k.alerts_now, k.alerts_prev) == (1, 0, 2, 2)
    assert k.rate_now == 1.0 and k.rate_prev is None
    by_grade = {"B": run("funnel", f, by="region")}
    sheet = weekly_view.funnel_by_region_grade(by_grade)
    assert sheet is not None and set(sheet["grade"]) == {"B"} and (sheet["reached"] > 0).all()
    assert weekly_view.funnel_by_region_grade({"A": run("funnel", f, by="region").head(0)}) is None
