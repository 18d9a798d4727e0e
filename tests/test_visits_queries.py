"""The visit analyses (issue 13) on a real database built through the real import path,
with every expected value worked out by hand from the rows below."""

from __future__ import annotations

from datetime import date

import pytest

import queries
from dashboard import store
from dashboard.ingest import commit, prepare
from queries import Filters

AS_OF = date(2026, 11, 30)  # a Monday
LEDGER = """项目编号,项目名称,客户名称,客户等级,区域,负责人,当前阶段,状态,预计签约金额,签约日期
P1,园区,华东电力,A,华东,张三,提案,跟进中,100,
P2,机房,南方电网,B,华南,李娜,立项,跟进中,200,
P3,调度,国家能源,B,华北,王强,招投标,跟进中,300,
P5,配网,浙江能源,C,华东,张三,商务谈判,赢单,400,2026-11-12
P6,储能,江苏电力,C,华东,张三,商务谈判,丢单,500,
"""
VISITS = """日期,销售人员,区域,客户名称,项目编号,拜访目的,客户类别,预定再访时间
2026-11-02,张三,华东,华东电力,P1,订货,原有,2026-11-09
2026-11-10,张三,华东,华东电力,,服务,原有,
2026-11-03,张三,华东,浙江能源,P5,开发,新增,
2026-11-04,张三,华东,浙江能源,P5,开发,新增,
2026-11-05,张三,华东,浙江能源,P5,订货,新增,
2026-11-06,张三,华东,浙江能源,P5,订货,新增,
2026-11-11,张三,华东,浙江能源,P5,订货,新增,
2026-11-20,张三,华东,浙江能源,P5,收款,原有,
2026-11-19,张三,华东,江苏电力,P6,开发,开发,
2026-11-23,张三,华东,江苏电力,P6,订货,开发,
2026-11-23,张三,华东,新客户公司,,开发,开发,2026-11-27
2026-11-20,李娜,华南,南方电网,P2,收款,新增,
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    db = tmp_path_factory.mktemp("visits") / "p.duckdb"
    commit(db, [prepare("台账_2026-11-30.csv", LEDGER.encode())])
    (res,) = commit(db, [prepare("拜访记录.csv", VISITS.encode())])
    assert (res.counts.by_id, res.counts.by_name, res.counts.unmatched) == (10, 1, 1)
    c = store.connect_read_only(db)
    yield c
    c.close()


def _run(con, name, **kw):
    filters = kw.pop("filters", Filters(as_of=AS_OF, allowed_regions=queries.ALL_REGIONS))
    return queries.run(con, name, filters, **kw)


def test_a_person_with_two_visits_on_one_day_and_none_the_next_is_below_quota_only_the_next(con):
    daily = _run(con, "visits_daily").filter(reporter="张三")
    by_day = {d: (n, below) for d, n, below in daily.select("visit_on", "n_visits", "is_below_quota").iter_rows()}
    assert by_day[date(2026, 11, 23)] == (2, False)  # quota 2 a working day: met
    assert by_day[date(2026, 11, 24)] == (0, True)
    assert date(2026, 11, 28) not in by_day  # a Saturday without visits is no row
    weekly = _run(con, "visits_weekly").filter(reporter="张三")
    week = weekly.filter(week_start=date(2026, 11, 23)).row(0, named=True)
    # 23 Nov (2 visits); 5 working days → quota 10, 0.4 a day
    assert (week["n_visits"], week["n_working_days"], week["quota"], week["is_below_quota"]) == (2, 5, 10.0, True)
    assert week["visits_per_working_day"] == pytest.approx(0.4)
    now = weekly.filter(week_start=AS_OF).row(0, named=True)  # the review's own Monday: one working day so far
    assert (now["n_visits"], now["n_working_days"], now["quota"]) == (0, 1, 2.0)


def test_a_revisit_made_a_day_after_the_planned_date_is_kept_late_by_one_day(con):
    rev = _run(con, "revisits")
    got = {(r["customer"], r["visit_on"]): (r["revisit_status"], r["next_visit_on"], r["days_late"]) for r in rev.iter_rows(named=True)}
    # planned for 9 Nov, the next visit to P1 (matched by name, no id) on 10 Nov
    assert got[("华东电力", date(2026, 11, 2))] == ("kept_late", date(2026, 11, 10), 1)
    # planned for 27 Nov, nobody went back by 30 Nov: 3 days past, within 14 → overdue
    assert got[("新客户公司", date(2026, 11, 23))] == ("overdue", None, None)
    summary = _run(con, "revisits_summary").filter(segment="张三").row(0, named=True)
    assert (summary["n_planned"], summary["n_kept_late"], summary["n_overdue"], summary["kept_rate"]) == (2, 1, 1, 1.0)
    assert summary["on_time_rate"] == 0.0


def test_win_rate_by_visits_before_the_decision_counts_a_win_after_five_and_a_loss_after_two(con):
    fv = _run(con, "four_visits")
    rows = {r["bucket"]: (r["n_closed"], r["n_won"], r["n_lost"], r["win_rate"]) for r in fv.iter_rows(named=True)}
    # P5 won on 12 Nov after visits on 3, 4, 5, 6 and 11 Nov (the 20 Nov visit came after);
    # P6 lost (first seen lost on 30 Nov) after visits on 19 and 23 Nov
    assert rows == {"5+": (1, 1, 0, 1.0), "2": (1, 0, 1, 0.0)}
    open_ = _run(con, "four_visits_open")
    # past 立项 and fewer than 4 visits: P1 (提案, 2 visits), P3 (招投标, none); P2 is at 立项
    assert sorted(open_.select("project_id", "n_visits").rows()) == [("P1", 2), ("P3", 0)]


def test_a_and_b_projects_without_a_recent_visit_are_alerts(con):
    alerts = _run(con, "visit_alerts")
    # P1 (A, limit 14): last visit 10 Nov, 20 days; P3 (B): never; P2 (B, limit 30): 10 days → no alert
    assert alerts.select("project_id", "last_visit_on", "days_since_visit", "alert_days").rows() == [
        ("P1", date(2026, 11, 10), 20, 14), ("P3", None, None, 30)]
    scoped = _run(con, "visit_alerts", filters=Filters(as_of=AS_OF, allowed_regions=("华北",)))
    assert scoped["project_id"].to_list() == ["P3"]


def test_visit_frequency_by_grade_against_its_target(con):
    freq = {r["grade"]: r for r in _run(con, "visits_frequency").iter_rows(named=True)}
    # open A: P1 with 2 visits in 90 days → 2 × 30 / 90 = 0.667 a month, target 4
    assert (freq["A"]["n_projects"], freq["A"]["n_visits"], freq["A"]["n_below_target"], freq["A"]["meets_target"]) == (1, 2, 1, False)
    assert freq["A"]["visits_per_project_30d"] == pytest.approx(2 / 3)
    assert (freq["B"]["n_projects"], freq["B"]["n_visits"]) == (2, 1)


def test_purpose_mix_unmatched_list_project_visits_and_the_summary(con):
    mix = _run(con, "visits_mix", by="owner").filter(segment="李娜")
    assert mix.select("purpose", "customer_category", "n_visits", "share").rows() == [("collection", "new", 1, 1.0)]
    un = _run(con, "visits_unmatched")
    assert un.select("customer", "match_status", "n_visits").rows() == [("新客户公司", "unmatched", 1)]
    pv = _run(con, "project_visits", project_id="P1")
    assert pv.select("visit_on", "match_status").rows() == [(date(2026, 11, 10), "name"), (date(2026, 11, 2), "id")]
    assert _run(con, "project_visits", project_id="P1",
                filters=Filters(as_of=AS_OF, allowed_regions=("华南",))).height == 0
    s = _run(con, "visits_summary").row(0, named=True)
    # week of 30 Nov: nothing yet; week of 23 Nov: 2 visits (张三); both people below 10 that week
    assert (s["n_visits_week"], s["n_visits_prev_week"], s["n_visits_stored"]) == (0, 2, 12)
