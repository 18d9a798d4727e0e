"""Given/expect tests for issue 12 (forecast, back-test, slips, trends, owners): small
hand-built histories, expected values worked out by hand below each world. Prior strength
k = 10, commit = negotiation not pushed out within 28 days, best case = tender +
negotiation, slip flag at 3 (dashboard/domain.toml [forecast]).

World W (weekly snapshots S0 = 2026-01-05, S1 = 01-12, S2 = 01-19):

  learning (closed by S2)          S0            S1              S2
  N1 A  negotiation                open          won (100k ctr)  won
  N2 A  negotiation                open          lost            lost
  N3 B  negotiation                open          open            won (90k, no contract)
  N4 B  negotiation                open          won (120k ctr)  won
  N5 B  negotiation                open          open            lost
  T1 A  tender                     open          open            won (60k ctr)
  T2 B  tender                     open          lost            lost

  forecast (open at S2)  region  stage        amount  sign date(s) S0 / S1 / S2
  O1 C                   East    proposal     100k    01-25 (S2 only)
  O2 A                   East    negotiation  200k    02-10 / 02-10 / 02-10
  O3 B                   West    tender       300k    01-31 (S2 only)
  O4 B                   West    negotiation   50k    01-10 / 01-20 / 03-31  (slipped twice)
  O5 A                   West    negotiation   80k    04-15 (S2 only)
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from test_queries_helpers import load

import queries
from dashboard import config, store
from dashboard.forecasting import backtest_errors
from queries import ALL_REGIONS, Filters

S0, S1, S2 = "2026-01-05", "2026-01-12", "2026-01-19"


def _world():
    rows = []

    def add(pid, as_of, **kw):
        rows.append(dict(as_of=as_of, project_id=pid, project_name=f"project {pid}", **kw))

    def learner(pid, grade, stage, states):
        for as_of, (status, contract) in zip((S0, S1, S2), states, strict=True):
            add(pid, as_of, customer_grade=grade, stage="delivery" if status == "won" else stage, status=status,
                expected_amount=contract or 90000, contract_amount=contract, expected_sign_on="2026-01-20")

    learner("N1", "A", "negotiation", [("open", None), ("won", 100000), ("won", 100000)])
    learner("N2", "A", "negotiation", [("open", None), ("lost", None), ("lost", None)])
    learner("N3", "B", "negotiation", [("open", None), ("open", None), ("won", None)])
    learner("N4", "B", "negotiation", [("open", None), ("won", 120000), ("won", 120000)])
    learner("N5", "B", "negotiation", [("open", None), ("open", None), ("lost", None)])
    learner("T1", "A", "tender", [("open", None), ("open", None), ("won", 60000)])
    learner("T2", "B", "tender", [("open", None), ("lost", None), ("lost", None)])
    add("O1", S2, customer_grade="C", region="East", stage="proposal", expected_amount=100000,
        expected_sign_on="2026-01-25")
    for as_of in (S0, S1, S2):
        add("O2", as_of, customer_grade="A", region="East", stage="negotiation", expected_amount=200000,
            expected_sign_on="2026-02-10")
    add("O3", S2, customer_grade="B", region="West", stage="tender", expected_amount=300000,
        expected_sign_on="2026-01-31")
    for as_of, sign in ((S0, "2026-01-10"), (S1, "2026-01-20"), (S2, "2026-03-31")):
        add("O4", as_of, customer_grade="B", region="West", stage="negotiation", expected_amount=50000,
            expected_sign_on=sign)
    add("O5", S2, customer_grade="A", region="West", stage="negotiation", expected_amount=80000,
        expected_sign_on="2026-04-15")
    return rows


@pytest.fixture(scope="module")
def world():
    con = store.connect_memory()
    load(con, _world())
    yield con
    con.close()


def _p(df, stage, grade):
    row = df.filter((pl.col("stage") == stage) & (pl.col("grade") == grade))
    assert row.height == 1, (stage, grade, row)
    return row.row(0, named=True)


# --- learned probabilities ------------------------------------------------------------------


def test_a_learned_probability_is_the_cells_rate_shrunk_toward_the_stages_rate(world):
    p = queries.run(world, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    # negotiation by S2: A closed N1 won, N2 lost (2, 1 won); B N3 won, N4 won, N5 lost (3, 2 won)
    # stage: 5 closed, 3 won -> 0.6; P = (won + 10 x 0.6) / (closed + 10)
    a, b, c = _p(p, "negotiation", "A"), _p(p, "negotiation", "B"), _p(p, "negotiation", "C")
    assert (a["n_closed"], a["n_won"], a["stage_n_closed"], a["stage_n_won"]) == (2, 1, 5, 3)
    assert a["stage_rate"] == pytest.approx(0.6)
    assert a["probability"] == pytest.approx(7 / 12)  # (1 + 6) / 12, not the raw 1/2
    assert b["probability"] == pytest.approx(8 / 13)  # (2 + 6) / 13, not the raw 2/3
    assert c["probability"] == pytest.approx(0.6)  # no grade-C evidence: the stage's rate
    # tender: T1 (A) won, T2 (B) lost -> rate 0.5: A (1 + 5) / 11, B (0 + 5) / 11
    assert _p(p, "tender", "A")["probability"] == pytest.approx(6 / 11)
    assert _p(p, "tender", "B")["probability"] == pytest.approx(5 / 11)
    # nothing seen at proposal has closed: no probability (the forecast calls it unpriced)
    assert _p(p, "proposal", "C")["probability"] is None
    assert "delivery" not in p["stage"].to_list()


def test_probabilities_at_an_earlier_snapshot_use_only_what_was_closed_by_then(world):
    p = queries.run(world, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 12)))
    # by S1: negotiation A N1 won, N2 lost; B N4 won (N3, N5 still open) -> rate 2/3
    assert _p(p, "negotiation", "A")["probability"] == pytest.approx((1 + 10 * 2 / 3) / 12)
    assert _p(p, "negotiation", "B")["probability"] == pytest.approx((1 + 10 * 2 / 3) / 11)
    assert _p(p, "tender", "A")["probability"] == pytest.approx(0.0)  # only T2, lost
    every = queries.run(world, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)), all_snapshots=True)
    assert sorted(set(every["as_of"].to_list())) == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    at_s0 = every.filter(pl.col("as_of") == date(2026, 1, 5))
    assert at_s0["probability"].null_count() == at_s0.height  # nothing closed yet at S0


def test_the_prior_strength_comes_from_the_domain_file(world, tmp_path, monkeypatch):
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("prior_strength = 10.0",
                                                                            "prior_strength = 2.0")
    custom = tmp_path / "domain.toml"
    custom.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PIPELINE_CONFIG", str(custom))
    p = queries.run(world, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    assert _p(p, "negotiation", "A")["probability"] == pytest.approx((1 + 2 * 0.6) / 4)


# --- forecast ---------------------------------------------------------------------------------


def _period(df, kind, offset):
    row = df.filter((pl.col("period_kind") == kind) & (pl.col("period_offset") == offset))
    assert row.height == 1
    return row.row(0, named=True)


def test_the_forecast_for_the_month_and_quarter_is_worked_out_by_hand(world):
    f = queries.run(world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    pa, pb, ta = 7 / 12, 8 / 13, 5 / 11  # P(negotiation, A), P(negotiation, B), P(tender, B)
    jan = _period(f, "month", 0)
    assert (jan["period"], jan["period_start"], jan["period_end"]) == ("2026-01", date(2026, 1, 1), date(2026, 1, 31))
    # January pipeline: O1 100k (proposal: unpriced), O3 300k (tender B)
    assert (jan["n_pipeline"], float(jan["pipeline"])) == (2, 400000)
    assert jan["weighted"] == pytest.approx(300000 * ta)
    assert (jan["n_unpriced"], float(jan["unpriced_amount"])) == (1, 100000)
    assert (jan["n_commit"], float(jan["commit_amount"])) == (0, 0)
    assert (jan["n_best_case"], float(jan["best_case"])) == (1, 300000)
    # won in January: N1 100k + N4 120k (contracts), N3 90k (expected), T1 60k
    assert (jan["n_won"], float(jan["won"])) == (4, 370000)
    assert jan["expected_total"] == pytest.approx(370000 + 300000 * ta)
    feb = _period(f, "month", 1)
    assert (feb["period"], feb["n_pipeline"], float(feb["pipeline"])) == ("2026-02", 1, 200000)
    assert feb["weighted"] == pytest.approx(200000 * pa)
    assert (feb["n_commit"], float(feb["commit_amount"]), feb["n_won"]) == (1, 200000, 0)
    q1 = _period(f, "quarter", 0)
    assert (q1["period"], q1["period_end"]) == ("2026-Q1", date(2026, 3, 31))
    assert (q1["n_pipeline"], float(q1["pipeline"])) == (4, 650000)  # O1 O2 O3 O4
    assert q1["weighted"] == pytest.approx(300000 * ta + 200000 * pa + 50000 * pb)
    # commit: O2 only — O4 is at negotiation but its sign date was pushed out in the last 28 days
    assert (q1["n_commit"], float(q1["commit_amount"])) == (1, 200000)
    assert (q1["n_best_case"], float(q1["best_case"])) == (3, 550000)  # O2 O3 O4
    assert float(q1["won"]) == 370000
    q2 = _period(f, "quarter", 1)
    assert (q2["period"], q2["n_pipeline"], float(q2["commit_amount"])) == ("2026-Q2", 1, 80000)
    assert q2["weighted"] == pytest.approx(80000 * pa)


def test_the_forecast_by_region_splits_the_total(world):
    whole = queries.run(world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    parts = queries.run(world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)), by="region")
    east = parts.filter((pl.col("segment") == "East") & (pl.col("period_kind") == "quarter")
                        & (pl.col("period_offset") == 0)).row(0, named=True)
    assert (east["n_pipeline"], float(east["pipeline"])) == (2, 300000)  # O1, O2
    summed = parts.group_by("period_kind", "period_offset").agg(
        pl.col("pipeline").sum(), pl.col("weighted").sum(), pl.col("won").sum()).sort("period_kind", "period_offset")
    assert summed["pipeline"].to_list() == whole["pipeline"].to_list()
    assert summed["weighted"].to_list() == pytest.approx(whole["weighted"].to_list())
    assert summed["won"].to_list() == whole["won"].to_list()


# --- slips --------------------------------------------------------------------------------------


def test_a_project_that_slipped_twice_is_counted_twice_and_not_flagged(world):
    s = queries.run(world, "slips", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    assert s["project_id"].to_list() == ["O4"]
    o4 = s.row(0, named=True)
    # 01-10 -> 01-20 (10 days), 01-20 -> 03-31 (70 days)
    assert (o4["n_slips"], o4["days_pushed"], o4["first_sign_on"], o4["last_slip_on"]) == (
        2, 80, date(2026, 1, 10), date(2026, 1, 19))
    # this week: from 01-20 (January) to 03-31: out of the month, still inside the quarter
    assert o4["slipped_this_week"] and o4["sign_before"] == date(2026, 1, 20)
    assert o4["out_of_month"] and not o4["out_of_quarter"]
    assert not o4["is_flagged"]  # 2 < 3
    summary = queries.run(world, "slips_summary", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19))).row(0, named=True)
    assert (summary["n_slipped_week"], summary["slipped_week_amount"]) == (1, 50000)
    assert (summary["n_out_of_month"], summary["n_out_of_quarter"], summary["n_flagged"]) == (1, 0, 0)


def test_the_slip_flag_count_comes_from_the_domain_file(world, tmp_path, monkeypatch):
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("slip_flag_count = 3",
                                                                            "slip_flag_count = 2")
    custom = tmp_path / "domain.toml"
    custom.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PIPELINE_CONFIG", str(custom))
    s = queries.run(world, "slips", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    assert s["is_flagged"].to_list() == [True]
    flags = queries.project_detail(world, "O4", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))["flags"]
    assert flags.filter(pl.col("flag") == "repeated_slips")["value"].to_list() == [2.0]


def test_a_slip_last_week_is_not_a_slip_this_week(world):
    s = queries.run(world, "slips", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 12)))
    o4 = s.row(0, named=True)
    # at S1: one slip (01-10 -> 01-20), both in January: pushed, but not out of the month
    assert (o4["n_slips"], o4["slipped_this_week"], o4["out_of_month"]) == (1, True, False)


# --- trends and owners ----------------------------------------------------------------------------


def test_trends_per_snapshot(world):
    t = queries.run(world, "trends", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    assert t["as_of"].to_list() == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    # open: S0 N1-5 T1 T2 O2 O4 = 9; S1 N3 N5 T1 O2 O4 = 5; S2 O1-O5 = 5
    assert t["n_open"].to_list() == [9, 5, 5]
    # won in the week: none before S0; S1 N1 + N4 = 220k; S2 N3 90k + T1 60k = 150k
    assert t["n_won_week"].to_list() == [None, 2, 2]
    assert [None if v is None else float(v) for v in t["won_week"].to_list()] == [None, 220000, 150000]
    # win rate over every close by t: S1 2 of 4 (N1 N4 won, N2 T2 lost); S2 4 of 7
    assert t["win_rate"].to_list()[1:] == pytest.approx([0.5, 4 / 7])
    assert t["win_rate"].to_list()[0] is None
    # weighted at S2 = the S2 forecast's open projects over every sign date
    s2 = 100000 * 0 + 200000 * 7 / 12 + 300000 * 5 / 11 + 50000 * 8 / 13 + 80000 * 7 / 12
    assert t["weighted"][2] == pytest.approx(s2)
    assert t["n_unpriced"].to_list() == [9, 0, 1]  # nothing closed at S0; O1 at S2
    # margin alerts = projects failing a margin check (`margin`): none has an estimate, so every
    # open or won project past approval is missing_estimate: S0 all 9; S1 7 (N2, T2 lost);
    # S2 N1 N3 N4 T1 (won) + O1..O5
    assert t["n_margin_alerts"].to_list() == [9, 7, 9]


def test_owners_rank_won_pipeline_weighted_and_win_rate(world):
    o = queries.run(world, "owners", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19), since=None))
    assert o["owner"].to_list() == ["Li"]  # every project has the default owner
    li = o.row(0, named=True)
    assert (li["n_won"], li["n_closed"], float(li["won_amount"])) == (4, 7, 370000)
    assert li["win_rate"] == pytest.approx(4 / 7)
    assert float(li["pipeline"]) == 730000  # O1..O5
    assert li["n_cycle"] == 0 and li["median_cycle_days"] is None  # no development entry known


# --- back-test ----------------------------------------------------------------------------------------
#
# World B (B0 = 2026-01-05, B1 = 01-12, B2 = 02-02, B3 = 03-02), all grade B at negotiation:
#   L1  open B0, won B1 (contract 10k)         L2  open B0, B1, lost B2
#   F1  appears B1 (100k, sign 02-15), won B2 (contract 100k): the deal the back-test forecasts
# P(negotiation, B) at B1 = (1 + 10 x 1) / (1 + 10) = 1.0 (only L1 closed, won);
# by B3 (the future for B1) L2 lost and F1 won: (2 + 10 x 2/3) / 13 = 2/3.
# Back-test at B1 for February: weighted = 100k x 1.0 = 100k; actual = F1's 100k: error 0.
# Had it used the probabilities of B3 it would say 66,667.

BACK = ("2026-01-05", "2026-01-12", "2026-02-02", "2026-03-02")


def _back_world(l2_outcome="lost"):
    rows = []
    for i, as_of in enumerate(BACK):
        l1 = "won" if i >= 1 else "open"
        rows.append(dict(as_of=as_of, project_id="L1", customer_grade="B", stage="delivery" if l1 == "won" else "negotiation",
                         status=l1, expected_amount=10000, contract_amount=10000 if l1 == "won" else None,
                         expected_sign_on="2026-01-20"))
        l2 = l2_outcome if i >= 2 else "open"
        rows.append(dict(as_of=as_of, project_id="L2", customer_grade="B", stage="delivery" if l2 == "won" else "negotiation",
                         status=l2, expected_amount=20000, expected_sign_on="2026-01-20"))
        if i >= 1:
            f1 = "won" if i >= 2 else "open"
            rows.append(dict(as_of=as_of, project_id="F1", customer_grade="B", stage="delivery" if f1 == "won" else "negotiation",
                             status=f1, expected_amount=100000, contract_amount=100000 if f1 == "won" else None,
                             expected_sign_on="2026-02-15" if i == 1 else "2026-02-02"))
    return rows


@pytest.fixture(scope="module")
def back_world():
    con = store.connect_memory()
    load(con, _back_world())
    yield con
    con.close()


def test_the_back_test_uses_the_probabilities_known_at_each_snapshot_not_later_ones(back_world):
    b = queries.run(back_world, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)))
    months = b.filter(pl.col("period_kind") == "month").sort("made_on")
    assert months["made_on"].to_list() == [date.fromisoformat(d) for d in BACK]
    assert months["period"].to_list() == ["2026-02", "2026-02", "2026-03", "2026-04"]
    b0, b1 = months.row(0, named=True), months.row(1, named=True)
    assert (b1["n_pipeline"], float(b1["pipeline"])) == (1, 100000)
    assert b1["weighted"] == pytest.approx(100000.0)  # P at B1 = 1.0 (not 2/3, the future's)
    assert (b1["n_won"], float(b1["actual"])) == (1, 100000)
    assert b1["error"] == pytest.approx(0) and b1["abs_pct_error"] == pytest.approx(0)
    assert b1["is_complete"]  # February ended before B3
    # B0 knew no February deal: predicted 0 against 100k won -> 100 % off, biased low
    assert (b0["weighted"], float(b0["actual"]), b0["abs_pct_error"]) == (0, 100000, 1.0)
    assert months["is_complete"].to_list() == [True, True, False, False]
    quarters = b.filter(pl.col("period_kind") == "quarter")
    assert set(quarters["period"].to_list()) == {"2026-Q2"} and not any(quarters["is_complete"].to_list())
    errors = backtest_errors(b, "month")
    # complete months with something won: B0 (|0 - 100k| / 100k = 1) and B1 (0): MAPE 0.5
    assert errors["n_periods"] == 2
    assert errors["mape"] == pytest.approx(0.5)
    assert errors["bias"] == pytest.approx(-100000 / 200000)  # sum(error) / sum(actual)
    assert errors["n_unpriced"] == 0  # B0 had no February deal at all, nothing unpriced


def test_changing_a_later_snapshot_does_not_change_the_probability_used_earlier(back_world):
    other = store.connect_memory()
    load(other, _back_world(l2_outcome="won"))  # B2 and B3 differ: L2 won instead of lost
    try:
        for con_a, con_b in ((back_world, other),):
            pa = queries.run(con_a, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)), all_snapshots=True)
            pb = queries.run(con_b, "win_probabilities", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)), all_snapshots=True)
            early = pl.col("as_of") <= date(2026, 1, 12)
            assert pa.filter(early).equals(pb.filter(early))
            assert not pa.filter(~early).equals(pb.filter(~early))  # the change does matter later
            ba = queries.run(con_a, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)))
            bb = queries.run(con_b, "backtest", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)))
            row = (pl.col("made_on") == date(2026, 1, 12)) & (pl.col("period_kind") == "month")
            assert ba.filter(row)["weighted"].to_list() == bb.filter(row)["weighted"].to_list() == [100000.0]
    finally:
        other.close()


# --- across a quarter boundary ------------------------------------------------------------------------
#
# Q0 = 2026-03-23, Q1 = 03-30, Q2 = 04-06.
#   X  open at negotiation, sign 03-31 (Q0) -> 04-02 (Q1, Q2): pushed out of March AND Q1 at Q1
#   Y  negotiation Q0, won Q1 (contract 40k): won in March / Q1
#   Z  negotiation Q0, Q1, won Q2 (contract 70k): won in April / Q2


def _quarter_world():
    rows = []
    for as_of, x_sign, y, z in (("2026-03-23", "2026-03-31", "open", "open"), ("2026-03-30", "2026-04-02", "won", "open"),
                                ("2026-04-06", "2026-04-02", "won", "won")):
        rows.append(dict(as_of=as_of, project_id="X", stage="negotiation", expected_amount=30000, expected_sign_on=x_sign))
        for pid, status, amount in (("Y", y, 40000), ("Z", z, 70000)):
            rows.append(dict(as_of=as_of, project_id=pid, stage="delivery" if status == "won" else "negotiation",
                             status=status, expected_amount=amount, contract_amount=amount if status == "won" else None,
                             expected_sign_on="2026-03-28"))
    return rows


@pytest.fixture(scope="module")
def quarter_world():
    con = store.connect_memory()
    load(con, _quarter_world())
    yield con
    con.close()


def test_across_a_quarter_boundary(quarter_world):
    f = queries.run(quarter_world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 30)))
    q1, q2 = _period(f, "quarter", 0), _period(f, "quarter", 1)
    assert (q1["period"], q2["period"]) == ("2026-Q1", "2026-Q2")
    assert (q1["n_won"], float(q1["won"]), q1["n_pipeline"]) == (1, 40000, 1)  # Y won; Z still open in March
    assert (q2["n_pipeline"], float(q2["pipeline"])) == (1, 30000)  # X now signs in April
    assert (_period(f, "month", 1)["period"], _period(f, "month", 1)["n_pipeline"]) == ("2026-04", 1)
    s = queries.run(quarter_world, "slips", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 30))).row(0, named=True)
    assert (s["project_id"], s["out_of_month"], s["out_of_quarter"]) == ("X", True, True)
    later = queries.run(quarter_world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 4, 6)))
    q2_now = _period(later, "quarter", 0)
    # a week later Q2 is the current quarter: Z's win counts there, Y's (March) does not
    assert (q2_now["period"], q2_now["n_won"], float(q2_now["won"])) == ("2026-Q2", 1, 70000)
    assert _period(later, "quarter", 1)["period"] == "2026-Q3"
    # X was pushed within 28 days: in the pipeline, not in commit
    assert (q2_now["n_pipeline"], q2_now["n_commit"], q2_now["n_best_case"]) == (1, 0, 1)


def test_the_projects_behind_the_forecast_add_up_to_its_figures(world):
    f = queries.run(world, "forecast", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    listed = queries.run(world, "forecast_projects", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 1, 19)))
    q1 = listed.filter((pl.col("period_kind") == "quarter") & (pl.col("period_offset") == 0))
    # won first (N1 N3 N4 T1), then open by weighted: O3 136k, O2 117k, O4 31k, O1 (unpriced)
    assert q1["project_id"].to_list()[4:] == ["O3", "O2", "O4", "O1"]
    assert sorted(q1["project_id"].to_list()[:4]) == ["N1", "N3", "N4", "T1"]
    assert q1.filter(pl.col("project_id") == "O4")["is_commit"].to_list() == [False]  # pushed out
    assert_list_matches_forecast(f, listed)


def assert_list_matches_forecast(f, listed):
    for r in f.iter_rows(named=True):
        rows = listed.filter((pl.col("period_kind") == r["period_kind"]) & (pl.col("period_offset") == r["period_offset"]))
        open_rows = rows.filter(pl.col("outcome") == "open")
        assert open_rows.height == r["n_pipeline"]
        assert float(open_rows["expected_amount"].cast(pl.Float64).fill_null(0).sum()) == pytest.approx(float(r["pipeline"]))
        assert float(open_rows["weighted"].fill_null(0).sum()) == pytest.approx(r["weighted"])
        assert open_rows["probability"].null_count() == r["n_unpriced"]
        assert open_rows["is_commit"].sum() == r["n_commit"] and open_rows["is_best_case"].sum() == r["n_best_case"]
        won = rows.filter(pl.col("outcome") == "won")
        assert won.height == r["n_won"]
        assert float(won["won_amount"].cast(pl.Float64).sum()) == pytest.approx(float(r["won"]))
