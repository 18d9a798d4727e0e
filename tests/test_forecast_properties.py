"""Properties of the forecast queries on any history (hypothesis; the generator of
tests/test_queries_properties.py: skips, fall-backs, vanishing projects, random sign dates).
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_forecast_given import assert_list_matches_forecast
from test_queries_properties import HEAVY, REGIONS, SETTINGS, _reload, histories

import queries
from dashboard import store
from queries import ALL_REGIONS, Filters

SUMMED = ["n_pipeline", "pipeline", "n_unpriced", "unpriced_amount", "n_commit", "commit_amount", "n_best_case",
          "best_case", "n_won", "won"]


@pytest.fixture(scope="module")
def con():
    c = store.connect_memory()
    yield c
    c.close()


@SETTINGS
@given(histories())
def test_weighted_lies_between_zero_and_the_pipeline_and_commit_within_best_case(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    for as_of in dates:
        f = queries.run(con, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=as_of))
        assert f.height == 4
        for r in f.iter_rows(named=True):
            assert -1e-6 <= r["weighted"] <= float(r["pipeline"]) + 1e-6, r
            assert 0 <= r["commit_amount"] <= r["best_case"] <= r["pipeline"], r
            assert r["n_commit"] <= r["n_best_case"] <= r["n_pipeline"], r
        assert_list_matches_forecast(f, queries.run(con, "forecast_projects", Filters(allowed_regions=ALL_REGIONS, as_of=as_of)))
        p = queries.run(con, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=as_of))
        values = [v for v in p["probability"].to_list() if v is not None]
        assert all(0.0 <= v <= 1.0 for v in values)


@SETTINGS
@given(histories())
def test_the_region_split_adds_up_to_the_total(con, history):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    f = Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1])
    whole = queries.run(con, "forecast", f)
    parts = queries.run(con, "forecast", f, by="region")
    if parts.height == 0:
        assert all(float(v) == 0 for c in SUMMED for v in whole[c].to_list())
        return
    summed = parts.group_by("period_kind", "period_offset").agg(
        [pl.col(c).sum() for c in [*SUMMED, "weighted"]]).sort("period_kind", "period_offset")
    for c in SUMMED:
        assert summed[c].to_list() == whole[c].to_list(), c
    assert summed["weighted"].to_list() == pytest.approx(whole["weighted"].to_list())
    owners = queries.run(con, "owners", f)
    n_in_snapshot = sum(1 for r in snapshots if r["as_of"] == dates[-1])
    assert owners["n_projects"].sum() == n_in_snapshot


@SETTINGS
@given(histories(), st.data())
def test_probabilities_and_predictions_at_t_depend_only_on_snapshots_up_to_t(con, history, data):
    snapshots, events, dates = history
    t = data.draw(st.sampled_from(dates))
    _reload(con, snapshots, events)
    full_p = queries.run(con, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]), all_snapshots=True)
    full_b = queries.run(con, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]))
    _reload(con, [r for r in snapshots if r["as_of"] <= t], events)
    cut_p = queries.run(con, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=t), all_snapshots=True)
    cut_b = queries.run(con, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=t))
    assert full_p.filter(pl.col("as_of") <= t).equals(cut_p)
    # the one-snapshot form computes the same rows as the history form at every snapshot
    for day in sorted({r["as_of"] for r in snapshots}):  # the snapshots there are (a date may have none)
        if day <= t:
            one = queries.run(con, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=day))
            assert one.equals(cut_p.filter(pl.col("as_of") == day)), day
    predicted = ["made_on", "period_kind", "period", "n_pipeline", "pipeline", "weighted", "n_unpriced"]
    assert full_b.filter(pl.col("made_on") <= t).select(predicted).equals(cut_b.select(predicted))


@HEAVY
@given(histories(), st.sampled_from(REGIONS))
def test_filtering_by_a_region_equals_allowing_only_that_region(con, history, region):
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    as_of = dates[-1]
    # Probabilities are learned from what the caller may see (all regions vs one), so the
    # figures built on them may differ; everything else is the same.
    learned = ("weighted", "predicted", "probability", "unpriced", "error", "n_closed", "n_won", "stage_")
    for name in ["forecast", "forecast_projects", "backtest", "slips", "slips_summary", "trends", "owners"]:
        by_filter = queries.run(con, name, Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=(region,)))
        by_access = queries.run(con, name, Filters(as_of=as_of, allowed_regions=(region,)))
        keep = [c for c in by_filter.columns if not any(w in c for w in learned)]
        assert by_filter.select(keep).equals(by_access.select(keep)), name


@HEAVY
@given(histories(), st.sampled_from(REGIONS))
def test_a_region_scope_learns_only_from_its_own_projects(con, history, region):
    """A regional manager's probabilities count only their region's projects (the evidence
    of another region never reaches them); an empty scope learns nothing."""
    snapshots, events, dates = history
    _reload(con, snapshots, events)
    mine = queries.run(con, "win_probabilities", Filters(as_of=dates[-1], allowed_regions=(region,)))
    con.execute("create or replace temp table _keep as select * from project_facts")
    con.execute("delete from project_facts where region is distinct from $r", {"r": region})
    try:
        alone = queries.run(con, "win_probabilities", Filters(as_of=dates[-1], allowed_regions=ALL_REGIONS))
    finally:
        con.execute("delete from project_facts")
        con.execute("insert into project_facts select * from _keep")
    assert mine.equals(alone)
    assert queries.run(con, "win_probabilities", Filters(as_of=dates[-1], allowed_regions=())).height == 0


def _oracle(facts: list[dict], t, k: float, stages: list[str]) -> dict:
    """P(win | stage, grade) at t, straight from the definition (docs/ANALYSES.md), in Python:
    for each project its latest row <= t; counted for every stage it was seen open at <= t."""
    latest, seen = {}, {}
    for r in sorted(facts, key=lambda r: r["as_of"]):
        if r["as_of"] > t:
            continue
        latest[r["project_id"]] = r
        if r["outcome"] == "open" and r["cur_stage"] is not None:
            seen.setdefault(r["project_id"], set()).add(r["cur_stage"])
    grades = {r["grade"] for r in facts if r["as_of"] <= t}
    cells = {(s, g): [0, 0] for s in stages for g in grades}
    for pid, r in latest.items():
        if r["outcome"] in ("won", "lost", "dropped"):
            for s in seen.get(pid, ()):
                cells[(s, r["grade"])][0] += 1
                cells[(s, r["grade"])][1] += r["outcome"] == "won"
    out = {}
    for (s, g), (n, w) in cells.items():
        sn = sum(v[0] for (s2, _), v in cells.items() if s2 == s)
        sw = sum(v[1] for (s2, _), v in cells.items() if s2 == s)
        out[(s, g)] = None if sn == 0 else (w + k * sw / sn) / (n + k)
    return out


@SETTINGS
@given(histories())
def test_the_learned_probabilities_equal_a_python_reading_of_the_definition(con, history):
    from dashboard.config import get_config

    snapshots, events, dates = history
    _reload(con, snapshots, events)
    facts = con.sql("select as_of, project_id, outcome, grade, cur_stage from project_facts").pl().to_dicts()
    k = get_config().forecast.prior_strength
    stages = [s.code for s in get_config().stages][:-1]
    every = queries.run(con, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=dates[-1]), all_snapshots=True)
    for t in sorted({r["as_of"] for r in facts}):
        expected = _oracle(facts, t, k, stages)
        got = {(r["stage"], r["grade"]): r["probability"]
               for r in every.filter(pl.col("as_of") == t).iter_rows(named=True)}
        assert got.keys() == expected.keys(), t
        for key, value in expected.items():
            assert (got[key] is None) == (value is None), (t, key, got[key], value)
            if value is not None:
                assert got[key] == pytest.approx(value), (t, key)
