"""Given/expect tests: one small hand-built history, every query, values worked out by hand.

The world (three weekly snapshots S0 = 2026-02-23, S1 = 2026-03-02, S2 = 2026-03-09;
thresholds from dashboard/domain.toml: floor 15 %, grade A 12 %; erosion 5 points;
expense factor 2; amount share 10 %; margin change 2 points; age limits development 60 /
approval 45 / proposal 60 / tender 45 / negotiation 30 / delivery 180, grade A
development 45 / approval 30 / proposal 45 / tender 30 / negotiation 21):

  A  East B   snapshots only: development (S0) -> approval (S1) -> tender (S2): SKIPS proposal;
              margin 30 % -> 30 % -> 24 % (eroded 6 points); expense 1 000 on 100 000
  B  East A   history: development 01-05, approval 01-20, proposal 02-01, tender 02-10,
              negotiation 02-20, proposal 03-01: FALLS BACK; cost 190 000 on 200 000 (5 %)
  C  West C   FIRST SEEN MID-FUNNEL at proposal in S1; NO MARGIN ESTIMATE
  D  West B   history: tender 01-10, negotiation 02-25, delivery 02-25: TWO MOVES ON ONE DAY;
              won from S1; contract 300 000, cost 330 000 (-10 %); expense 9 000 (3 %)
  E  East D   approval in S0 and S1, missing from S2: VANISHED
  F  West A   tender S0, S1; lost in S2
  G  East A   history: development 2025-11-01, still there: STALLED; amount 60 000 -> 70 000,
              sign date 04-30 -> 06-30 in S2
  H  East B   NEW in S2 at development; margin 25 %; expense 400 on 40 000
  I  West B   history with a DUPLICATED row: approval 02-01 (twice), proposal 02-15; margin 20 %;
              expense 900 on 90 000
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from test_queries_helpers import load, rows

import queries
from dashboard import store
from queries import ALL_REGIONS, Filters

S0, S1, S2 = "2026-02-23", "2026-03-02", "2026-03-09"
AS_OF = date(2026, 3, 9)


def _world_snapshots():
    snaps = []

    def add(pid, as_of, **kw):
        snaps.append(dict(as_of=as_of, project_id=pid, project_name=f"project {pid}", **kw))

    a = dict(region="East", customer_grade="B", owner="Wang", expected_amount=100000, expense_actual=1000)
    add("A", S0, stage="development", estimated_margin=0.30, **a)
    add("A", S1, stage="approval", estimated_margin=0.30, **a)
    add("A", S2, stage="tender", estimated_margin=0.24, **a)
    b = dict(region="East", customer_grade="A", owner="Li", expected_amount=200000, estimated_cost=190000)
    add("B", S0, stage="negotiation", **b)
    add("B", S1, stage="proposal", **b)
    add("B", S2, stage="proposal", **b)
    c = dict(region="West", customer_grade="C", owner="Zhao", expected_amount=50000)
    add("C", S1, stage="proposal", **c)
    add("C", S2, stage="proposal", **c)
    d = dict(region="West", customer_grade="B", owner="Zhao", expected_amount=300000, estimated_cost=330000,
             expense_actual=9000)
    add("D", S0, stage="negotiation", **d)
    add("D", S1, stage="delivery", status="won", contract_amount=300000, **d)
    add("D", S2, stage="delivery", status="won", contract_amount=300000, **d)
    e = dict(region="East", customer_grade="D", owner="Wang", expected_amount=80000)
    add("E", S0, stage="approval", **e)
    add("E", S1, stage="approval", **e)
    f = dict(region="West", customer_grade="A", owner="Li", expected_amount=150000, estimated_margin=0.2)
    add("F", S0, stage="tender", **f)
    add("F", S1, stage="tender", **f)
    add("F", S2, stage="tender", status="lost", lost_reason="price", **f)
    g = dict(region="East", customer_grade="A", owner="Li")
    add("G", S0, stage="development", expected_amount=60000, expected_sign_on="2026-04-30", **g)
    add("G", S1, stage="development", expected_amount=60000, expected_sign_on="2026-04-30", **g)
    add("G", S2, stage="development", expected_amount=70000, expected_sign_on="2026-06-30", **g)
    add("H", S2, stage="development", region="East", customer_grade="B", owner="Wang", expected_amount=40000,
        estimated_margin=0.25, expense_actual=400)
    i = dict(region="West", customer_grade="B", owner="Zhao", expected_amount=90000, estimated_margin=0.2,
             expense_actual=900)
    add("I", S1, stage="proposal", **i)
    add("I", S2, stage="proposal", **i)
    return snaps


WORLD_EVENTS = [
    ("B", "development", "2026-01-05"), ("B", "approval", "2026-01-20"), ("B", "proposal", "2026-02-01"),
    ("B", "tender", "2026-02-10"), ("B", "negotiation", "2026-02-20"), ("B", "proposal", "2026-03-01"),
    ("D", "tender", "2026-01-10"), ("D", "negotiation", "2026-02-25"), ("D", "delivery", "2026-02-25"),
    ("G", "development", "2025-11-01"),
    ("I", "approval", "2026-02-01"), ("I", "approval", "2026-02-01"), ("I", "proposal", "2026-02-15"),
]


@pytest.fixture(scope="module")
def world():
    con = store.connect_memory()
    load(con, _world_snapshots(), WORLD_EVENTS)
    yield con
    con.close()


def by_stage(df, column):
    return dict(zip(df["stage"].to_list(), df[column].to_list(), strict=True))


# --- funnel ------------------------------------------------------------------------------


def test_reached_counts_a_skipped_stage_as_passed_and_a_fall_back_at_its_furthest_stage(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # furthest stage in S2: A tender(4), B negotiation(5, fell back), C proposal(3), D delivery(6),
    # F tender(4), G development(1), H development(1), I proposal(3)
    # reached(s) = #{furthest >= s}: 8, 6 (A B C D F I), 6, 4 (A B D F), 2 (B D), 1 (D)
    assert f["stage"].to_list() == ["development", "approval", "proposal", "tender", "negotiation", "delivery"]
    assert f["reached"].to_list() == [8, 6, 6, 4, 2, 1]
    assert f["stage_zh"].to_list()[0] == "客户开发"


def test_conversions_are_worked_out_from_reached(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # step = reached(s+1)/reached(s): 6/8, 6/6, 4/6, 2/4, 1/2, none after delivery
    assert f["step_conversion"].to_list()[:5] == pytest.approx([0.75, 1.0, 4 / 6, 0.5, 0.5])
    assert f["step_conversion"].to_list()[5] is None
    # cumulative = reached(s)/8
    assert f["cumulative_conversion"].to_list() == pytest.approx([1, 0.75, 0.75, 0.5, 0.25, 0.125])


def test_decided_conversion_only_counts_projects_that_left_the_stage(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # advanced past s = furthest > s: 6, 6, 4, 2, 1; closed with furthest = s: only F (lost at tender)
    # decided = advanced / (advanced + closed there): 6/6, 6/6, 4/4, 2/(2+1), 1/1, none for delivery
    assert f["n_advanced"].to_list() == [6, 6, 4, 2, 1, 0]
    assert f["n_closed_at_furthest"].to_list() == [0, 0, 0, 1, 0, 0]
    assert f["decided_conversion"].to_list()[:5] == pytest.approx([1, 1, 1, 2 / 3, 1])
    assert f["decided_conversion"].to_list()[5] is None


def test_here_counts_use_the_current_stage(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # open now at: development G H; proposal B (fell back) C I; tender A
    assert f["n_open_here"].to_list() == [2, 0, 3, 1, 0, 0]
    assert f["n_won_here"].to_list() == [0, 0, 0, 0, 0, 1]  # D in delivery
    assert f["n_lost_here"].to_list() == [0, 0, 0, 1, 0, 0]  # F lost at tender
    assert f["n_dropped_here"].to_list() == [0] * 6


def test_a_skipped_stage_is_flagged_and_a_mid_funnel_start_is_not_a_skip(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # A went approval -> tender: proposal skipped. C (first seen at proposal), D (tender),
    # F (tender), I (approval) have unrecorded stages before their first record: not skips.
    assert f["n_skipped"].to_list() == [0, 0, 1, 0, 0, 0]
    # first recorded stage > s: s=1: C D F I; s=2: C D F; s=3: D F
    assert f["n_before_first_seen"].to_list() == [4, 3, 2, 0, 0, 0]


def test_funnel_amounts_sum_the_projects_that_reached_each_stage(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # S2 amounts: A 100k B 200k C 50k D 300k F 150k G 70k H 40k I 90k = 1 000 000
    # reached(2..3) drops G H: 890k; (4) A B D F: 750k; (5) B D: 500k; (6) D: 300k
    assert f["expected_amount"].to_list() == [Decimal(x) for x in
                                              ("1000000.00", "890000.00", "890000.00", "750000.00", "500000.00", "300000.00")]
    # open now: development G+H = 110k, proposal B+C+I = 340k, tender A = 100k
    assert f["open_expected_amount"].to_list()[:4] == [Decimal("110000.00"), 0, Decimal("340000.00"), Decimal("100000.00")]


def test_the_funnel_by_region_splits_the_projects_by_their_region(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), by="region")
    east = f.filter(f["segment"] == "East")
    west = f.filter(f["segment"] == "West")
    # East: A(4) B(5) G(1) H(1) -> 4, 2, 2, 2, 1, 0; West: C(3) D(6) F(4) I(3) -> 4, 4, 4, 2, 1, 1
    assert east["reached"].to_list() == [4, 2, 2, 2, 1, 0]
    assert west["reached"].to_list() == [4, 4, 4, 2, 1, 1]


def test_the_funnel_as_of_an_earlier_snapshot_sees_only_that_snapshot_and_earlier_history(world):
    f = queries.run(world, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2)))
    # S1 projects: A approval(2), B furthest negotiation(5) now proposal, C proposal(3),
    # D delivery(6) won, E approval(2), F tender(4), G development(1), I proposal(3)
    # reached: 8; 7 (not G); 5 (A E drop out: B C D F I); 3 (B D F); 2 (B D); 1 (D)
    assert f["reached"].to_list() == [8, 7, 5, 3, 2, 1]


def test_win_rate_counts_closed_projects_and_their_close_date_decides_the_period(world):
    all_time = queries.run(world, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    # closed by S2: D won (entered delivery 02-25), F lost (first seen lost in S2): 1 / 2
    assert rows(all_time, "n_won", "n_lost", "n_dropped", "n_closed") == [(1, 1, 0, 2)]
    assert all_time["win_rate"][0] == pytest.approx(0.5)
    assert all_time["won_amount"][0] == Decimal("300000.00")
    last_week = queries.run(world, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF, since=date(2026, 3, 2)))
    # closed in (03-02, 03-09]: only F (D closed 02-25): 0 / 1
    assert rows(last_week, "n_won", "n_lost", "n_closed", "win_rate") == [(0, 1, 1, 0.0)]


# --- aging -------------------------------------------------------------------------------


def test_aging_lists_projects_in_progress_with_days_in_their_current_stay(world):
    a = queries.run(world, "aging", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = {r["project_id"]: (r["stage"], r["entered_on"], r["days_in_stage"], r["aging_bucket"], r["limit_days"])
           for r in a.iter_rows(named=True)}
    assert got == {
        # snapshot-derived: first seen at tender in S2 -> 0 days; grade B tender limit 45
        "A": ("tender", date(2026, 3, 9), 0, "0-30", 45),
        # fell back to proposal on 03-01: the stay starts there, 8 days; grade A proposal 45
        "B": ("proposal", date(2026, 3, 1), 8, "0-30", 45),
        # first seen at proposal in S1 (03-02): 7 days; grade C falls back to the stage limit 60
        "C": ("proposal", date(2026, 3, 2), 7, "0-30", 60),
        # won, still in delivery since 02-25: 12 days; delivery 180
        "D": ("delivery", date(2026, 2, 25), 12, "0-30", 180),
        # 2025-11-01 -> 2026-03-09 = 30 + 31 + 31 + 28 + 8 = 128 days; grade A development 45
        "G": ("development", date(2025, 11, 1), 128, ">90", 45),
        "H": ("development", date(2026, 3, 9), 0, "0-30", 60),
        # 02-15 -> 03-09 = 13 + 9 = 22 days
        "I": ("proposal", date(2026, 2, 15), 22, "0-30", 60),
    }


def test_only_a_project_past_its_grade_limit_is_stalled_and_it_comes_first(world):
    a = queries.run(world, "aging", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert a["project_id"][0] == "G"
    assert a.filter(a["is_stalled"])["project_id"].to_list() == ["G"]
    assert a["days_over_limit"][0] == 128 - 45


def test_a_list_query_can_return_only_its_first_rows(world):
    assert queries.run(world, "aging", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), limit=1)["project_id"].to_list() == ["G"]
    assert queries.run(world, "margin", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), limit=2).height == 2


def test_the_aging_summary_counts_what_the_aging_list_lists(world):
    s = queries.run(world, "aging_summary", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = {r["stage"]: (r["n_in_progress"], r["n_0_30"], r["n_over_90"], r["n_stalled"]) for r in s.iter_rows(named=True)}
    # from the aging list above: development G (128 days, stalled) H (0); proposal B C I; tender A;
    # delivery D
    assert got == {"development": (2, 1, 1, 1), "proposal": (3, 3, 0, 0), "tender": (1, 1, 0, 0),
                   "delivery": (1, 1, 0, 0)}
    assert s.filter(s["stage"] == "development")["stalled_expected_amount"][0] == Decimal("70000.00")


def test_stage_durations_count_each_finished_stay_once(world):
    d = queries.run(world, "stage_durations", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = {r["stage"]: (r["n"], r["median_days"]) for r in d.iter_rows(named=True)}
    # development: A 02-23->03-02 = 7, B 01-05->01-20 = 15            -> n 2, median 11
    # approval:    A 03-02->03-09 = 7, B 01-20->02-01 = 12, I 02-01->02-15 = 14 (the duplicated
    #              row must not add a 0-day stay)                        -> n 3, median 12
    # proposal:    B 02-01->02-10 = 9                                    -> n 1
    # tender:      B 02-10->02-20 = 10, D 01-10->02-25 = 46              -> n 2, median 28
    # negotiation: B 02-20->03-01 = 9, D 02-25->02-25 = 0 (same day)     -> n 2, median 4.5
    assert got == {"development": (2, 11.0), "approval": (3, 12.0), "proposal": (1, 9.0),
                   "tender": (2, 28.0), "negotiation": (2, 4.5)}
    approval = d.filter(d["stage"] == "approval").row(0, named=True)
    # [7, 12, 14]: P75 at position 1.5 -> 12 + 0.5 * 2 = 13; P90 at 1.8 -> 12 + 0.8 * 2 = 13.6
    assert approval["p75_days"] == pytest.approx(13.0)
    assert approval["p90_days"] == pytest.approx(13.6)


def test_stage_durations_by_owner_split_the_same_stays(world):
    d = queries.run(world, "stage_durations", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), by="owner")
    got = {(r["segment"], r["stage"]): r["n"] for r in d.iter_rows(named=True)}
    # Wang: A (development, approval); Li: B (5 stays); Zhao: D (tender, negotiation), I (approval)
    assert got == {("Li", "development"): 1, ("Li", "approval"): 1, ("Li", "proposal"): 1, ("Li", "tender"): 1,
                   ("Li", "negotiation"): 1, ("Wang", "development"): 1, ("Wang", "approval"): 1,
                   ("Zhao", "approval"): 1, ("Zhao", "tender"): 1, ("Zhao", "negotiation"): 1}


# --- margin ------------------------------------------------------------------------------


def test_margin_checks_flag_each_failed_check_once_per_project(world):
    m = queries.run(world, "margin", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert rows(m, "project_id", "check") == [
        ("A", "eroded"),             # 30 % in S0 -> 24 % now: 6 points >= 5
        ("B", "below_floor"),        # (200 000 - 190 000) / 200 000 = 5 % < grade A floor 12 %
        ("B", "bid_below_floor"),    # reached tender (furthest negotiation) at 5 % < 12 %
        ("C", "missing_estimate"),   # at proposal, past approval, no cost nor margin
        ("D", "negative_margin"),    # (300 000 - 330 000) / 300 000 = -10 %
        ("D", "below_floor"),        # -10 % < 15 %
        ("D", "bid_below_floor"),    # reached tender
        ("D", "high_expense_ratio"),  # 9 000 / 300 000 = 3 % > 2 x median(1 %, 3 %, 1 %, 1 %) of grade B
    ]
    # F is lost: not checked; G has no estimate but is not past approval; H 25 %, I 20 % pass


def test_margin_check_values_and_thresholds_are_the_numbers_compared(world):
    m = queries.run(world, "margin", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = {(r["project_id"], r["check"]): (r["value"], r["threshold"]) for r in m.iter_rows(named=True)}
    assert got[("A", "eroded")] == pytest.approx((6.0, 5.0))
    assert got[("B", "below_floor")] == pytest.approx((0.05, 0.12))
    assert got[("D", "negative_margin")] == pytest.approx((-0.1, 0.0))
    assert got[("D", "below_floor")] == pytest.approx((-0.1, 0.15))
    assert got[("D", "high_expense_ratio")] == pytest.approx((0.03, 0.02))
    assert got[("C", "missing_estimate")] == (None, None)
    severity = dict(zip(zip(m["project_id"], m["check"], strict=True), m["severity"], strict=True))
    assert severity[("D", "negative_margin")] == "high" and severity[("C", "missing_estimate")] == "low"


def test_margin_by_region_is_a_ratio_of_sums(world):
    s = queries.run(world, "margin_summary", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), by="region")
    got = {r["segment"]: r for r in s.iter_rows(named=True)}
    # East (open/won: A B G H): with an estimate A 100 000 @ cost 76 000, B 200 000 @ 190 000,
    #   H 40 000 @ 30 000 -> (340 000 - 296 000) / 340 000; G has none
    assert got["East"]["n_projects"] == 4 and got["East"]["n_with_estimate"] == 3
    assert got["East"]["margin"] == pytest.approx(44000 / 340000)
    # West (C D I; F lost): D 300 000 @ 330 000, I 90 000 @ 72 000 -> -12 000 / 390 000
    assert got["West"]["margin"] == pytest.approx(-12000 / 390000)
    assert got["West"]["n_missing_estimate"] == 1  # C
    # not the mean of project margins: (-10 % + 20 %) / 2 = 5 %
    assert got["West"]["mean_project_margin"] == pytest.approx(0.05)


# --- changes -----------------------------------------------------------------------------


def test_changes_since_last_week_name_every_change(world):
    c = queries.run(world, "changes", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))  # since defaults to S1
    assert sorted(rows(c, "project_id", "change", "before", "after")) == sorted([
        ("H", "new", None, "development"),
        ("E", "vanished", "approval", None),
        ("A", "advanced", "approval", "tender"),
        ("F", "lost", "open", "lost"),
        ("G", "pushed_out", "2026-04-30", "2026-06-30"),
        ("G", "amount_up", "60000.00", "70000.00"),      # +10 000 > 10 % of 60 000
        ("A", "margin_down", "0.3000", "0.2400"),        # 6 points >= 2
    ])
    deltas = {(r["project_id"], r["change"]): r["amount_delta"] for r in c.iter_rows(named=True)}
    assert deltas[("H", "new")] == Decimal("40000.00")
    assert deltas[("E", "vanished")] == Decimal("-80000.00")
    assert deltas[("F", "lost")] == Decimal("-150000.00")
    assert deltas[("G", "amount_up")] == Decimal("10000.00")


def test_the_waterfall_balances_to_the_yuan(world):
    w = queries.run(world, "changes_summary", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = dict(zip(w["step"].to_list(), w["amount"].to_list(), strict=True))
    # open at S1: A 100k B 200k C 50k E 80k F 150k G 60k I 90k = 730 000 (D already won)
    # open at S2: A 100k B 200k C 50k G 70k H 40k I 90k = 550 000
    # 730 000 + 40 000 (H new) + 10 000 (G up) - 150 000 (F lost) - 80 000 (E vanished) = 550 000
    assert got["start"] == Decimal("730000.00")
    assert got["new"] == Decimal("40000.00")
    assert got["increased"] == Decimal("10000.00")
    assert got["lost"] == Decimal("-150000.00")
    assert got["vanished"] == Decimal("-80000.00")
    assert got["won"] == got["dropped"] == got["decreased"] == got["reappeared"] == got["reopened"] == 0
    assert got["end"] == Decimal("550000.00")
    assert sum(v for k, v in got.items() if k != "end") == got["end"]


def test_a_project_that_comes_back_after_vanishing_reappears(world):
    con = store.connect_memory()
    load(con, [dict(as_of=S0, project_id="E", stage="approval", expected_amount=80000),
               dict(as_of=S1, project_id="X", stage="approval"),
               dict(as_of=S2, project_id="E", stage="approval", expected_amount=80000)])
    c = queries.run(con, "changes", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert ("E", "reappeared") in rows(c, "project_id", "change")
    w = dict(zip(*queries.run(con, "changes_summary", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF)).select("step", "amount"), strict=True))
    assert w["reappeared"] == Decimal("80000.00")


# --- process exceptions, the project page ------------------------------------------------


def test_process_exceptions_show_skips_fall_backs_mid_funnel_starts_and_same_day_moves(world):
    x = queries.run(world, "process_exceptions", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert sorted(rows(x, "project_id", "exception", "stage")) == sorted([
        ("A", "skipped_stage", "proposal"),
        ("B", "fell_back", "proposal"),
        ("C", "first_seen_mid_funnel", "proposal"),
        ("D", "first_seen_mid_funnel", "tender"),
        ("D", "same_day_moves", "negotiation"),
        ("F", "first_seen_mid_funnel", "tender"),
        ("I", "first_seen_mid_funnel", "approval"),
    ])


def test_a_contract_without_a_tender_and_stage_dates_out_of_order_are_exceptions():
    con = store.connect_memory()
    load(con, [dict(as_of=S2, project_id="J", stage="delivery", status="won"),
               dict(as_of=S2, project_id="K", stage="tender")],
         [("J", "proposal", "2026-01-15"), ("J", "negotiation", "2026-02-01"), ("J", "delivery", "2026-02-20"),
          # a wide export: proposal dated before approval
          ("K", "approval", "2026-02-10", "stage_dates"), ("K", "proposal", "2026-02-01", "stage_dates"),
          ("K", "tender", "2026-02-20", "stage_dates")])
    x = queries.run(con, "process_exceptions", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    got = set(rows(x, "project_id", "exception", "stage"))
    assert {("J", "skipped_stage", "tender"), ("J", "contract_without_tender", "delivery"),
            ("K", "out_of_order_dates", "proposal")} <= got
    # an inversion in a wide export is a data error, not a fall-back
    assert not any(e == "fell_back" for _, e, _ in got)


def test_the_project_page_has_every_snapshot_entry_and_flag_of_one_project(world):
    p = queries.run(world, "project", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF), project_id="B")
    sections = p.group_by("section").len().sort("section")
    assert dict(zip(sections["section"], sections["len"], strict=True)) == {"snapshot": 3, "stage_event": 6, "flag": 3}
    flags = p.filter(p["section"] == "flag")["name"].to_list()
    assert sorted(flags) == ["below_floor", "bid_below_floor", "fell_back"]
    detail = queries.project_detail(world, "G", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert detail["flags"]["flag"].to_list() == ["stalled"]
    assert detail["events"]["days_in_stage"].to_list() == [128]


def test_a_vanished_project_still_has_its_page_up_to_its_last_snapshot(world):
    p = queries.project_detail(world, "E", Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF))
    assert p["snapshots"]["as_of"].to_list() == [date(2026, 2, 23), date(2026, 3, 2)]


# --- filters and access control ----------------------------------------------------------


def test_filters_restrict_every_query_in_sql(world):
    east = Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF, region=("East",))
    assert queries.run(world, "funnel", east)["reached"].to_list() == [4, 2, 2, 2, 1, 0]
    assert set(queries.run(world, "aging", east)["project_id"]) == {"A", "B", "G", "H"}
    assert set(queries.run(world, "margin", east)["project_id"]) == {"A", "B"}
    assert set(queries.run(world, "changes", east)["project_id"]) == {"A", "E", "G", "H"}
    grade_a = Filters(allowed_regions=ALL_REGIONS, as_of=AS_OF, grade=("A",), owner=("Li",))
    assert set(queries.run(world, "aging", grade_a)["project_id"]) == {"B", "G"}


def test_allowed_regions_hide_other_regions_even_when_asked_for(world):
    f = Filters(as_of=AS_OF, region=("East",), allowed_regions=("West",))
    for name in ("funnel", "aging", "margin", "changes", "process_exceptions", "stage_durations"):
        df = queries.run(world, name, f)
        if "reached" in df.columns:
            assert df["reached"].sum() == 0
        else:
            assert df.height == 0, name
    hidden = queries.project_detail(world, "A", Filters(as_of=AS_OF, allowed_regions=("West",)))
    assert all(frame.height == 0 for frame in hidden.values())


def test_helpers_list_snapshots_and_filter_options(world):
    snaps = queries.list_snapshots(world, Filters(allowed_regions=ALL_REGIONS))
    assert snaps["as_of"].to_list() == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)]
    # S0: A B D E F G; S1: A B C D E F G I; S2: A B C D F G H I
    assert snaps["n_projects"].to_list() == [6, 8, 8]
    opts = queries.filter_options(world, AS_OF, allowed_regions=("West",))
    assert opts == {"region": ["West"], "grade": ["A", "B", "C"], "owner": ["Li", "Zhao"], "category": ["systems"],
                    "product_line": []}  # no product line in these exports: the optional filter is not offered
