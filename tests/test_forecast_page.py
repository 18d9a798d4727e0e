"""The Forecast page through the real app (AppTest) on the seed exports imported as a
company's own, in both languages: its figures are the queries' numbers, the sidebar
filters (URL) narrow them, the slips list narrows to the flagged projects, an owner row
lists that manager's projects.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import APP, frame, metric

import queries
from dashboard import i18n, store
from queries import ALL_REGIONS, Filters


@pytest.fixture
def db(company_db_copy, monkeypatch) -> Path:
    monkeypatch.setenv("PIPELINE_DB", str(company_db_copy))
    return company_db_copy


def open_forecast(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/forecast.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _expected(db: Path, **filters) -> pl.DataFrame:
    cur = store.ReadHub(db).cursor()
    return queries.run(cur, "forecast", Filters(allowed_regions=ALL_REGIONS, **filters))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_forecast_page_shows_the_queries_figures_in_either_language(db, lang):
    at = open_forecast(lang="中文" if lang == "zh" else "English")
    assert at.title[0].value == i18n.t("page_forecast", lang)
    expected = _expected(db)
    for kind, offset in (("month", 0), ("month", 1), ("quarter", 0), ("quarter", 1)):
        row = expected.filter((pl.col("period_kind") == kind) & (pl.col("period_offset") == offset)).row(0, named=True)
        label = f"{i18n.t(f'fc_{kind}_{offset}', lang)} · {row['period']}"
        assert metric(at, label) == i18n.fmt_amount(row["expected_total"], lang, "wan")
    subheaders = [s.value for s in at.subheader]
    for key in ("fc_title", "fc_prob_title", "bt_title", "slips_title", "trends_title", "owners_title"):
        assert i18n.t(key, lang) in subheaders
    other = "en" if lang == "zh" else "zh"
    assert i18n.t("fc_title", other) not in subheaders
    # the split, the back-test and the trends are drawn on demand, without an error
    at.segmented_control(key="forecast_by").set_value("region").run()
    region, period = i18n.t("region", lang), i18n.t("period", lang)
    split = next(d.value for d in at.dataframe if {region, period} <= set(d.value.columns))
    assert len(split) == 4 * split[region].nunique() and split[region].nunique() > 1  # every period per region
    at.segmented_control(key="forecast_bt_kind").set_value("quarter").run()  # no next quarter has ended yet
    assert any(i18n.t("bt_none", lang, kind=i18n.t("period_quarter", lang)) in i.value for i in at.info)
    at.segmented_control(key="forecast_bt_kind").set_value("month").run()
    assert metric(at, i18n.t("bt_n", lang)) == "2"  # the forecasts made 09-21 and 09-28 for October
    at.toggle(key="forecast_trends_show").set_value(True).run()
    assert not at.exception and not at.error


def test_a_region_in_the_url_narrows_the_forecast(db):
    at = open_forecast(region="华东")
    row = _expected(db, region=("华东",)).filter(
        (pl.col("period_kind") == "quarter") & (pl.col("period_offset") == 0)).row(0, named=True)
    whole = _expected(db).filter((pl.col("period_kind") == "quarter") & (pl.col("period_offset") == 0)).row(0, named=True)
    assert 0 < row["expected_total"] < whole["expected_total"]
    assert metric(at, f"本季度 · {row['period']}") == i18n.fmt_amount(row["expected_total"], "zh", "wan")


def test_the_slips_list_narrows_to_projects_pushed_out_three_times(db):
    at = open_forecast()
    everything = frame(at, "forecast_slips_table")
    at.segmented_control(key="forecast_slips_show").set_value("is_flagged").run()
    flagged = frame(at, "forecast_slips_table")
    assert 0 < len(flagged) < len(everything)
    assert (flagged["推迟次数"] >= 3).all()
    assert metric(at, "推迟 3 次及以上") == str(len(flagged))
    for show, label in (("slipped_this_week", "本周推迟"), ("out_of_month", "推出本月"), ("out_of_quarter", "推出本季度")):
        at.segmented_control(key="forecast_slips_show").set_value(show).run()
        assert len(frame(at, "forecast_slips_table")) == int(metric(at, label)), show


def test_an_owner_row_lists_that_managers_projects(db):
    at = open_forecast()
    owners = frame(at, "forecast_owners_table")
    first = owners["大客户经理"].iloc[0]
    at.session_state["forecast_owners_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    listed = frame(at, "forecast_owner_projects")
    cur = store.ReadHub(db).cursor()
    expected = queries.run(cur, "projects", Filters(allowed_regions=ALL_REGIONS, owner=(first,)))
    assert len(listed) == expected.height > 0
    assert first in [t.value for t in at.text][-1]


def test_an_empty_database_or_filters_matching_nothing_get_a_helpful_message(db, tmp_path, monkeypatch):
    at = open_forecast(region="华东", owner="孙浩")  # 孙浩 works in 西南 only
    assert any("没有符合筛选条件的项目" in i.value for i in at.info), [i.value for i in at.info]
    empty = tmp_path / "empty.duckdb"
    store.ensure_database(empty)
    monkeypatch.setenv("PIPELINE_DB", str(empty))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/forecast.py").run()
    assert not at.exception
    assert any("还没有数据" in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_a_failing_query_is_named_and_the_rest_of_the_page_renders(db, tmp_path, monkeypatch, lang):
    from test_app_pages import _broken_pairs

    monkeypatch.setenv("PIPELINE_DB", str(_broken_pairs(db, tmp_path / "broken.duckdb")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/forecast.py").run()
    assert not at.exception
    code = "zh" if lang == "中文" else "en"
    errors = [e.value for e in at.error]
    for failed in ("slips_summary", "slips"):  # this week's slips read the week-on-week pairs
        assert i18n.t("query_failed", code, what=i18n.analysis_label(failed, code)) in errors, errors
    # the forecast's commit rule reads the slips kept for every date (sign_slips): still shown
    assert i18n.t("query_failed", code, what=i18n.analysis_label("forecast", code)) not in errors, errors
    # the probabilities, the back-test and the owners do not need the pairs: still shown
    keys = {str(d.proto.id).rsplit("-", 1)[-1] for d in at.dataframe}
    assert "forecast_owners_table" in keys, keys
    grade_a = f"{i18n.t('grade', code)} A (%)"
    assert any(grade_a in d.value.columns for d in at.dataframe)  # the probability matrix
    at.segmented_control(key="forecast_bt_kind").set_value("month").run()
    assert metric(at, i18n.t("bt_mape", code))  # the back-test needs no pairs: shown


def test_a_period_lists_the_projects_behind_its_figures(db):
    at = open_forecast()
    at.segmented_control(key="forecast_drill").set_value("quarter_0").run()
    assert not at.exception
    listed = frame(at, "forecast_projects_table")
    row = _expected(db).filter((pl.col("period_kind") == "quarter") & (pl.col("period_offset") == 0)).row(0, named=True)
    assert len(listed) == row["n_pipeline"] + row["n_won"]
    weighted = listed["加权预测 (万元)"].fillna(0).sum()
    assert weighted == pytest.approx(row["weighted"] / 10_000)
