"""Properties that hold on any history (hypothesis): generated snapshots and stage entries
with skips, fall-backs, same-day moves, duplicates, vanishing and returning projects.

One in-memory database is reused: each example empties the stored tables, loads its
history and runs queries.refresh(con), exactly as an import would.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import itertools
import polars as pl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_queries_helpers import load

import queries
from dashboard import store
from queries import ALL_REGIONS, Filters

STAGES = ["development", "approval", "proposal", "tender", "negotiation", "delivery"]
REGIONS = ["East", "West", "North"]
BASE = date(2026, 1, 5)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# the two tests that run every query twice per example: fewer examples keep the suite quick
# (run with more, e.g. 150, before changing a definition: they passed so on 2026-11-27)
HEAVY = settings(SETTINGS, max_examples=10)


@st.composite
def histories(draw):
    n_snapshots = draw(st.integers(1, 4))
    dates = [BASE + timedelta(days=7 * k) for k in range(n_snapshots)]
    snapshots, events = [], []
    for p in range(draw(st.integers(1, 7))):
        pid = f"P{p}"
        region = draw(st.sampled_from(REGIONS + [None]))
        grade = draw(st.sampled_from(["A", "B", "C", None]))
        stage = draw(st.integers(0, 5))
        for as_of in dates:
            if not draw(st.booleans()) and draw(st.booleans()):  # ~25 % absent from a snapshot
                continue
            stage = max(0, min(5, stage + draw(st.sampled_from([-1, 0, 0, 1, 1, 2]))))
            status = draw(st.sampled_from(["open", "open", "open", "lost", "dropped", "won", "completed"]))
            amount = draw(st.one_of(st.none(), st.integers(0, 10_000_000).map(lambda c: Decimal(c) / 100)))
            margin = draw(st.one_of(st.none(), st.floats(-0.3, 0.6, allow_nan=False)))
            snapshots.append(dict(
                as_of=as_of, project_id=pid, region=region, customer_grade=grade, stage=STAGES[stage],
                status=status, expected_amount=amount, estimated_margin=margin,
                expense_actual=draw(st.one_of(st.none(), st.integers(0, 50_000))),
                expected_sign_on=as_of + timedelta(days=draw(st.integers(0, 90))),
            ))
        if draw(st.booleans()):  # explicit history for this project, maybe with duplicates
            day = BASE - timedelta(days=60)
            for _ in range(draw(st.integers(1, 5))):
                day += timedelta(days=draw(st.sampled_from([0, 0, 3, 10, 30])))
                row = (pid, STAGES[draw(st.integers(0, 5))], day, draw(st.sampled_from(["history", "stage_dates"])))
                events.append(row)
                if draw(st.integers(0, 4)) == 0:
                    events.append(row)
    return snapshots, events, dates


@pytest.fixture(scope="module")
def con():
    c = store.connect_memory()
    yield c
    c.close()


def _reload(con, snapshots, events):
    for table in ("project_snapshots", "stage_events", "imports"):
        con.execute(f"delete from {table}")
    load(con, snapshots, events)


@SETTINGS
@given(histories())
def test_reached_never_increases_along_the_stages_and_conversions_are_rates(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    for by in (None, "region"):
        f = queries.run(con, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]), by=by)
        for _, seg in f.group_by("segment"):
            reached = seg.sort("stage_order")["reached"].to_list()
            assert all(a >= b for a, b in itertools.pairwise(reached)), reached
        for column in ("step_conversion", "cumulative_conversion", "decided_conversion"):
            values = [v for v in f[column].to_list() if v is not None]
            assert all(0.0 <= v <= 1.0 for v in values), (column, values)
    win = queries.run(con, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]))
    assert win["win_rate"][0] is None or 0.0 <= win["win_rate"][0] <= 1.0


@SETTINGS
@given(histories())
def test_funnels_by_region_add_up_to_the_unsegmented_funnel(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    whole = queries.run(con, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]))
    parts = queries.run(con, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]), by="region")
    counts = ["reached", "n_advanced", "n_closed_at_furthest", "n_open_here", "n_won_here", "n_lost_here",
              "n_dropped_here", "n_skipped", "n_before_first_seen", "expected_amount", "open_expected_amount"]
    if parts.height == 0:  # nothing in scope: no segments at all, and an all-zero funnel
        assert all(v == 0 for c in counts for v in whole[c].to_list())
        return
    summed = parts.group_by("stage_order").agg([pl.col(c).sum() for c in counts]).sort("stage_order")
    for c in counts:
        assert summed[c].to_list() == whole[c].to_list(), c
    win_parts = queries.run(con, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]), by="region")
    win_whole = queries.run(con, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]))
    for c in ("n_won", "n_lost", "n_dropped", "n_closed"):
        assert win_parts[c].sum() == win_whole[c][0]


@SETTINGS
@given(histories())
def test_the_waterfall_balances_exactly_between_any_two_snapshots(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    for since in dates[:-1] or [None]:
        w = queries.run(con, "changes_summary", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1], since=since))
        amounts = dict(zip(w["step"].to_list(), w["amount"].to_list(), strict=True))
        assert sum(v for k, v in amounts.items() if k != "end") == amounts["end"]
        # start and end are the open pipelines of the two snapshots, computed here directly
        def pipeline(day):
            return sum((r["expected_amount"] or Decimal(0)) for r in snapshots
                       if r["as_of"] == day and _is_open(r, events, snapshots))
        if since is not None:
            assert amounts["start"] == pipeline(since)
        assert amounts["end"] == pipeline(dates[-1])


def _is_open(row, events, snapshots):
    # open = status open and never entered delivery by this snapshot (won = entered delivery)
    if row["status"] != "open":
        return False
    pid, day = row["project_id"], row["as_of"]
    own = [e for e in events if e[0] == pid]
    if own and any(e[1] == "delivery" and e[2] <= day for e in own):
        return False
    return not any(r["project_id"] == pid and r["as_of"] <= day and
                   (r["stage"] == "delivery" or r["status"] in ("won", "completed")) for r in snapshots)


QUERIES_WITH_ROWS = ["aging", "aging_summary", "margin", "changes", "process_exceptions", "stage_durations", "projects"]


@HEAVY
@given(histories(), st.sampled_from(REGIONS))
def test_filtering_by_a_region_equals_allowing_only_that_region(con, history, region):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    as_of = dates[-1]
    for name in ["funnel", "win_rate", "margin_summary", "changes_summary", *QUERIES_WITH_ROWS]:
        by_filter = queries.run(con, name, Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=(region,)))
        by_access = queries.run(con, name, Filters(as_of=as_of, allowed_regions=(region,)))
        assert by_filter.equals(by_access), name
    for pid in sorted({r["project_id"] for r in snapshots})[:2]:
        a = queries.project_detail(con, pid, Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=(region,)))
        b = queries.project_detail(con, pid, Filters(as_of=as_of, allowed_regions=(region,)))
        assert all(a[k].equals(b[k]) for k in a)


@HEAVY
@given(histories())
def test_duplicated_history_rows_change_nothing(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    before = {n: queries.run(con, n, Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1])) for n in ("funnel", "stage_durations", "aging")}
    _reload(con, snapshots, list(events) + list(events))
    after = {n: queries.run(con, n, Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1])) for n in before}
    for n in before:
        assert before[n].equals(after[n]), n


@SETTINGS
@given(histories())
def test_the_aging_summary_equals_counting_the_aging_list(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    f = Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1])
    listed = queries.run(con, "aging", f)
    summary = queries.run(con, "aging_summary", f)
    expected = {}
    for r in listed.iter_rows(named=True):
        n, stalled = expected.get(r["stage"], (0, 0))
        expected[r["stage"]] = (n + 1, stalled + int(r["is_stalled"]))
    assert {r["stage"]: (r["n_in_progress"], r["n_stalled"]) for r in summary.iter_rows(named=True)} == expected
