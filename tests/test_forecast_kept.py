"""The learned probabilities kept at import (win_counts, issue 12: the Forecast page reads a
few rows instead of learning P over the whole history on every query) are exactly the ones
computed at query time, for every scope a caller can have: every region, one region (kept),
several regions (computed), none — on histories where projects move between regions, so a
region's scope really sees only its own rows of them. That every write leaves win_counts as
a rebuild would is tests/test_refresh_incremental.py's.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_queries_properties import REGIONS, SETTINGS, _reload, histories

import queries
from dashboard import store
from queries import ALL_REGIONS, Filters
from queries.composed import kept_scope

SCOPES = [ALL_REGIONS, *[(r,) for r in REGIONS], ("East", "West"), ()]


@pytest.fixture(scope="module")
def con():
    c = store.connect_memory()
    yield c
    c.close()


@st.composite
def histories_with_movers(draw):
    """histories(), with some rows moved to another region (or to none): a project's rows
    then lie in several scopes."""
    snapshots, events, dates = draw(histories())
    moved = [r | {"region": draw(st.sampled_from([*REGIONS, None]))} if draw(st.integers(0, 3)) == 0 else r
             for r in snapshots]
    return moved, events, dates


def _both(con, allowed, as_of, every):
    f = Filters(as_of=as_of, allowed_regions=allowed)
    kept = queries.run(con, "win_probabilities", f, all_snapshots=every)
    computed = queries.run(con, "win_probabilities", f, all_snapshots=every, computed=True)
    return kept, computed


def test_the_kept_scopes_are_every_region_or_exactly_one():
    assert kept_scope(["*"]) == "*"
    assert kept_scope(["East"]) == "East"
    assert kept_scope(["East", "West"]) is None
    assert kept_scope([]) is None


@SETTINGS
@given(histories_with_movers(), st.data())
def test_kept_probabilities_equal_the_computed_ones_for_every_scope(con, history, data):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    # a snapshot, a day between two snapshots (P learned from those before it), after the last
    days = [*dates, dates[-1] + timedelta(days=3), data.draw(st.sampled_from(dates)) + timedelta(days=1)]
    for allowed in SCOPES:
        for day in days:
            for every in (False, True):
                kept, computed = _both(con, allowed, day, every)
                assert kept.equals(computed), (allowed, day, every)


def test_a_regions_kept_probability_ignores_its_projects_rows_in_another_region(con):
    """M was open at negotiation in East, then moved to West and was won there. Company-wide
    it is one won negotiation; East's manager saw it open (not closed: not counted); West's
    saw it only won (never open at a stage there: not counted)."""
    _reload(con, [
        dict(as_of="2026-01-05", project_id="M", region="East", customer_grade="A", stage="negotiation", status="open"),
        dict(as_of="2026-01-12", project_id="M", region="West", customer_grade="A", stage="delivery", status="won",
             contract_amount=100000),
        dict(as_of="2026-01-05", project_id="L", region="East", customer_grade="A", stage="negotiation", status="open"),
        dict(as_of="2026-01-12", project_id="L", region="East", customer_grade="A", stage="negotiation", status="lost"),
    ], [])

    def cell(allowed):
        p = queries.run(con, "win_probabilities", Filters(as_of=None, allowed_regions=allowed))
        row = p.filter((pl.col("stage") == "negotiation") & (pl.col("grade") == "A"))
        return tuple(row.select("n_closed", "n_won").row(0)) if row.height else None

    assert cell(ALL_REGIONS) == (2, 1)  # M won, L lost
    assert cell(("East",)) == (1, 0)  # L only: M's latest East row is open
    assert cell(("West",)) == (0, 0)  # M never open in West; the grade A seen there
    assert cell(("East", "West")) == (2, 1)  # computed: both rows in scope
    counted = con.sql("select scope, n_closed, n_won from win_counts where as_of = '2026-01-12' "
                      "and stage = 'negotiation' and grade = 'A' order by scope").pl().rows()
    assert counted == [("*", 2, 1), ("East", 1, 0), ("West", 0, 0)]


@SETTINGS
@given(histories_with_movers(), st.data())
def test_the_back_tests_actuals_are_each_projects_latest_row_up_to_the_date(con, history, data):
    """What was really won, as known at the back-test's date: each project's latest row up to
    it (kept in project_last_seen for the newest date, found for an earlier one), in Python."""
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    facts = con.sql("select * from project_facts").pl().to_dicts()
    for t in [data.draw(st.sampled_from(dates)), dates[-1]]:
        latest: dict = {}
        for r in sorted(facts, key=lambda r: r["as_of"]):
            if r["as_of"] <= t:
                latest[r["project_id"]] = r
        won = [r for r in latest.values() if r["outcome"] == "won"]
        b = queries.run(con, "backtest", Filters(as_of=t, allowed_regions=ALL_REGIONS))
        for row in b.iter_rows(named=True):
            mine = [r for r in won if r["closed_on"] is not None and row["period_start"] <= r["closed_on"] <= row["period_end"]]
            amount = sum(float(r["contract_amount"] if r["contract_amount"] is not None else r["expected_amount"] or 0)
                         for r in mine)
            assert (row["n_won"], float(row["actual"])) == (len(mine), pytest.approx(amount)), (t, row)
