"""The visits page, the project page's visits and the weekly review's visit alerts (issue 13),
through the real app (AppTest) on a database built by the real importer."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from dashboard.ingest import commit, prepare
from tests.test_visits_queries import LEDGER, VISITS

st_config.set_option("server.address", "127.0.0.1")
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py")


@pytest.fixture(scope="module")
def visits_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("vp") / "pipeline.duckdb"
    commit(db, [prepare("台账_2026-11-30.csv", LEDGER.encode())])
    commit(db, [prepare("拜访记录.csv", VISITS.encode())])
    return db


@pytest.fixture
def db(visits_db, monkeypatch) -> Path:
    monkeypatch.setenv("PIPELINE_DB", str(visits_db))
    return visits_db


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _frame(at: AppTest, key: str):
    for df in at.dataframe:
        if str(getattr(df.proto, "id", "")).endswith(f"-{key}"):
            return df.value
    raise AssertionError(f"no dataframe {key!r} in {[d.proto.id for d in at.dataframe]}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_visits_page_lists_the_alerts_and_every_section_in_both_languages(db, lang):
    at = _open("visits", lang=lang)
    titles = [s.value for s in at.subheader]
    assert ("近期无人拜访的 A/B 级在跟项目" if lang == "zh" else "A/B-grade open projects without a recent visit") in titles
    alerts = _frame(at, "visit_alerts_table")
    id_col = "项目编号" if lang == "zh" else "Project ID"
    assert alerts[id_col].tolist() == ["P1", "P3"]
    matched = "匹配" if lang == "zh" else "Matched"
    (unmatched,) = [d.value for d in at.dataframe if matched in d.value.columns]
    assert unmatched[matched].tolist() == ["无对应项目" if lang == "zh" else "No project"]
    assert not at.error, [e.value for e in at.error]


def test_the_project_page_shows_the_projects_visits(db):
    at = _open("project", project="P1", lang="zh")
    (visits,) = [d.value for d in at.dataframe if "拜访日期" in d.value.columns]
    assert visits["拜访日期"].astype(str).tolist()[:2] == ["2026-11-10", "2026-11-02"]
    assert set(visits["匹配"]) == {"按客户名称", "按项目编号"}


def test_the_weekly_review_shows_the_visit_alerts(db):
    at = _open("weekly", lang="en")
    labels = [m.label for m in at.metric]
    assert "A/B projects not visited" in labels
    value = next(m.value for m in at.metric if m.label == "A/B projects not visited")
    assert value == "2"


@pytest.fixture
def money_db(visits_db, tmp_path, monkeypatch) -> Path:
    import shutil

    from tests.test_collections import _ledger_xlsx

    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(visits_db, copy)
    path = _ledger_xlsx(tmp_path / "应收账款.xlsx")
    commit(copy, [prepare(path.name, path.read_bytes())])
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    return copy


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_collections_show_on_the_page_the_project_and_the_weekly_review(money_db, lang):
    at = _open("visits", lang=lang)
    labels = {m.label: m.value for m in at.metric}
    # P5 of this ledger is in the visits ledger (won on 12 Nov); P7 is in no snapshot here
    assert labels["逾期金额" if lang == "zh" else "Overdue"] == ("80.0 万元" if lang == "zh" else "¥0.80M")
    review = _open("weekly", lang=lang)
    assert ("逾期应收" if lang == "zh" else "Receivables overdue") in [m.label for m in review.metric]
    project = _open("project", project="P5", lang=lang)
    assert not project.error, [e.value for e in project.error]
