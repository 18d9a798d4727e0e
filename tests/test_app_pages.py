"""Every page renders on the seed data through the real app (AppTest), and one interaction
per page, found by widget key, changes what is shown. The seed database is created the way
a first start creates it: the app finds no file at $PIPELINE_DB and loads seeds/ (as demo
data); ``real_db`` holds the same exports imported as a company's own (no demo marks).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from dashboard import store

# AppTest runs the script without a server: say it is the loopback server `make run` starts,
# so the app runs in unsigned local mode (dashboard/auth.py refuses any other address
# without sign-in; tests/test_access.py covers that refusal).
st_config.set_option("server.address", "127.0.0.1")

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "streamlit_app.py")
SEEDS = ROOT / "seeds"
STALLED_PROJECT = "KA-2025-00041"  # seeds: stuck in delivery for 500+ days


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("app") / "pipeline.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("PIPELINE_DB", str(path))
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()  # first start: no file -> the app loads the seeds through the importer
        assert not at.exception, [e.message for e in at.exception]
    finally:
        mp.undo()
    assert path.exists()
    return path


@pytest.fixture
def db(seed_db, monkeypatch) -> Path:
    monkeypatch.setenv("PIPELINE_DB", str(seed_db))
    return seed_db


@pytest.fixture
def real_db(company_db_copy, monkeypatch) -> Path:
    """The seed exports imported as a company's own (a copy: the test may write)."""
    monkeypatch.setenv("PIPELINE_DB", str(company_db_copy))
    return company_db_copy


def open_page(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r} in {[m.label for m in at.metric]}")


def number(text: str) -> float:
    return float("".join(ch for ch in text if ch.isdigit() or ch == ".") or "nan")


def frame(at: AppTest, key: str):
    """A selectable st.dataframe by its key (AppTest exposes it in the element id)."""
    for df in at.dataframe:
        if df.key == key or str(getattr(df.proto, "id", "")).endswith(f"-{key}"):
            return df.value
    raise AssertionError(f"no dataframe {key!r} in {[d.proto.id for d in at.dataframe]}")


def test_the_first_start_loads_the_seeds_and_the_weekly_review_shows_the_week(db):
    at = open_page()
    assert at.title[0].value == "周例会"
    assert number(metric(at, "在跟项目数")) > 0
    assert "停滞项目 — 需要决策" in [s.value for s in at.subheader]
    assert at.selectbox(key="as_of").value == at.selectbox(key="as_of").options[0]  # the latest


def test_weekly_review_narrows_to_a_region_picked_in_the_sidebar(db):
    at = open_page()
    before = number(metric(at, "在跟项目数"))
    at.multiselect(key="region").set_value(["华东"]).run()
    assert not at.exception
    after = number(metric(at, "在跟项目数"))
    assert 0 < after < before


def test_weekly_review_drills_a_figure_down_to_its_projects(db):
    at = open_page()
    at.session_state["weekly_drill"] = "stalled"
    at.run()
    stalled = frame(at, "weekly_drill_stalled_table")
    assert len(stalled) == number(metric(at, "停滞项目"))


def test_the_language_switch_translates_titles_stages_and_numbers(db):
    at = open_page("aging")
    assert set(frame(at, "aging_table")["阶段"]) <= {"客户开发", "立项", "提案", "招投标", "商务谈判", "工程实施"}
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Stage aging"
    assert "Implementation" in set(frame(at, "aging_table")["Stage"])


def test_funnel_lists_the_projects_behind_a_clicked_stage(db):
    at = open_page("funnel")
    assert "funnel_projects_table" not in [d.key for d in at.dataframe]
    at.session_state["funnel_chart"] = {"selection": {"pick": [{"stage": "tender"}]}}
    at.run()
    assert not at.exception
    listed = frame(at, "funnel_projects_table")
    assert any("到达招投标的项目" in s.value for s in at.subheader)
    reached = next(d.value for d in at.dataframe if "到达数" in d.value.columns)  # the funnel table
    assert len(listed) == int(reached.set_index("阶段").loc["招投标", "到达数"])


def test_aging_shows_only_stalled_projects_when_asked(db):
    at = open_page("aging")
    everything = frame(at, "aging_table")
    at.toggle(key="aging_stalled_only").set_value(True).run()
    stalled = frame(at, "aging_table")
    assert 0 < len(stalled) < len(everything)
    assert stalled["停滞"].all()


def test_margin_filters_the_failed_checks_by_kind(db):
    at = open_page("margin")
    assert len(frame(at, "margin_table")) > 0
    at.session_state["margin_checks"] = ["negative_margin"]
    at.run()
    shown = frame(at, "margin_table")
    assert len(shown) > 0 and set(shown["检查项"]) == {"负毛利"}


def test_a_project_link_opens_its_page_with_timeline_and_flags(db):
    at = open_page("project", project=STALLED_PROJECT)
    assert at.text_input(key="project_pick").value == STALLED_PROJECT
    assert at.dataframe[0].value["区域"][0] == "西南"  # uploaded text: a table cell, never st.metric (Markdown)
    flags = next(d.value for d in at.dataframe if "预警" in d.value.columns)  # the flags table
    assert "停滞" in set(flags["预警"])
    at.text_input(key="project_pick").set_value("NO-SUCH-PROJECT").run()
    assert not at.exception
    assert "在您可见的数据中没有该项目编号。" in [w.value for w in at.warning]


def test_selecting_a_row_opens_that_project(db):
    at = open_page("aging")
    first_id = frame(at, "aging_table")["项目编号"].iloc[0]
    at.session_state["aging_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "项目详情"
    assert at.query_params["project"] in (first_id, [first_id])
    assert at.text_input(key="project_pick").value == first_id


def test_an_empty_database_gets_a_helpful_message_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.ensure_database(path)
    monkeypatch.setenv("PIPELINE_DB", str(path))
    for page in (None, "funnel", "aging", "margin", "project", "data_page"):
        at = open_page(page)
        if page != "data_page":
            assert any("还没有数据" in i.value for i in at.info), page


def test_data_page_refuses_a_broken_file_and_writes_nothing(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page")
    before = copy.stat().st_mtime_ns
    at.file_uploader(key="data_upload_0").set_value(("broken.xlsx", b"PK\x03\x04 not really a workbook", "application/octet-stream")).run()
    assert not at.exception
    assert any("已拒绝" in e.value for e in at.error)
    assert at.button(key="data_commit").disabled
    assert copy.stat().st_mtime_ns == before


def test_data_page_imports_an_export_under_a_corrected_as_of_date(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page")
    blob = (SEEDS / "2026-11-16_crm-export.csv").read_bytes()
    at.file_uploader(key="data_upload_0").set_value(("export.csv", blob, "text/csv")).run()
    assert not at.exception
    assert any("可以导入" in s.value for s in at.success)
    at.date_input[0].set_value(date(2026, 11, 30)).run()
    assert not at.exception
    at.button(key="data_commit").click().run()
    assert not at.exception
    assert any("已导入 1 个文件" in s.value for s in at.success)
    assert at.selectbox(key="as_of").options[0] == "2026-11-30"
    # The same session moves to the new snapshot (it was on the latest): no reload needed.
    assert at.selectbox(key="as_of").value == "2026-11-30"
    history = next(d.value for d in at.dataframe if "文件" in d.value.columns)  # the import history
    assert "export.csv" in set(history["文件"])
    at.switch_page("app_pages/weekly.py").run()
    assert not at.exception
    assert "2026-11-30" in at.caption[0].value, at.caption[0].value


def test_a_back_filled_import_leaves_a_session_on_an_older_week_where_it_was(real_db):
    at = open_page("data_page", as_of="2026-11-16")
    assert at.selectbox(key="as_of").value == "2026-11-16"
    blob = (SEEDS / "2026-11-16_crm-export.csv").read_bytes()
    at.file_uploader(key="data_upload_0").set_value(("export.csv", blob, "text/csv")).run()
    at.date_input[0].set_value(date(2026, 11, 1)).run()
    at.button(key="data_commit").click().run()
    assert not at.exception
    assert any("已导入 1 个文件" in s.value for s in at.success)
    assert at.selectbox(key="as_of").value == "2026-11-16"



def test_an_unknown_column_and_stage_are_mapped_once_and_the_mapping_is_reused(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    blob = "项目编号,项目名称,区域,客户等级,当前阶段,状态,商机价值\nX-1,测试项目,华东,A,奇怪阶段,进行中,100\n".encode()
    at = open_page("data_page")
    at.file_uploader(key="data_upload_0").set_value(("odd.csv", blob, "text/csv")).run()
    assert any("已拒绝" in e.value for e in at.error)
    assert "商机价值" in [t.value for t in at.text] and "奇怪阶段" in [t.value for t in at.text]
    for box in at.selectbox:
        if box.key and box.key.startswith("data_map_col_"):
            box.set_value("expected_amount")
        elif box.key and box.key.startswith("data_map_stage_"):
            box.set_value("approval")
    next(b for b in at.button if b.key and b.key.startswith("data_mapping_save_")).click().run()
    assert not at.exception
    assert any("可以导入" in s.value for s in at.success)
    assert (tmp_path / "mappings" / "odd.toml").exists()
    con = store.connect_read_only(copy)  # the mapping change is audited (local mode: "local")
    audit = con.sql("select actor, action, file_name, sha256 from audit_log order by audit_id desc limit 1").fetchall()
    con.close()
    import hashlib

    assert audit == [("local", "mapping_save", "odd.toml", hashlib.sha256((tmp_path / "mappings" / "odd.toml").read_bytes()).hexdigest())]

    again = open_page("data_page")  # another session, next week's file of the same kind
    again.file_uploader(key="data_upload_0").set_value(("odd-2.csv", blob.replace(b"X-1", b"X-2"), "text/csv")).run()
    assert not again.exception
    assert any("可以导入" in s.value for s in again.success)


def test_the_sales_office_edits_the_access_list_on_the_data_page_and_the_audit_shows_it(real_db):
    at = open_page("data_page")
    at.text_input(key="data_access_principal").set_value("East@Example.com")
    at.selectbox(key="data_access_role").set_value("regional")
    at.multiselect(key="data_access_regions").set_value(["华东"])
    next(b for b in at.button if b.key == "data_access_grant").click().run()
    assert not at.exception and any("访问名单已修改" in s.value for s in at.success), [e.value for e in at.error]
    con = store.connect_read_only(real_db)
    entries = con.sql("select principal, role, regions, granted_by from access_list").fetchall()
    audit = con.sql("select actor, action, regions from audit_log order by audit_id desc limit 1").fetchall()
    con.close()
    assert entries == [("east@example.com", "regional", ["华东"], "local")]
    assert audit == [("local", "access_grant", ["华东"])]
    # a regional role without regions: refused with the reason, nothing written
    at.text_input(key="data_access_principal").set_value("west@example.com")
    at.multiselect(key="data_access_regions").set_value([])
    next(b for b in at.button if b.key == "data_access_grant").click().run()
    assert any("访问名单未修改" in e.value for e in at.error)
    assert any("角色 regional 至少需要一个区域" in t.value for t in at.text)


@pytest.mark.parametrize("page", [None, "funnel", "aging", "margin"])
def test_filters_that_match_nothing_get_a_helpful_message(db, page):
    at = open_page(page, region="华东", owner="孙浩")  # 孙浩 works in 西南 only
    assert at.multiselect(key="owner").value == ["孙浩"]
    assert any("没有符合筛选条件的项目" in i.value for i in at.info), [i.value for i in at.info]


def test_a_waterfall_bar_lists_the_changes_behind_it_in_words(db):
    at = open_page()
    at.session_state["weekly_waterfall"] = {"selection": {"pick": [{"step": "won"}]}}
    at.run()
    assert not at.exception
    won = frame(at, "weekly_drill_change_table")
    assert len(won) == number(metric(at, "本周赢单"))
    assert set(won["变化"]) == {"赢单"} and set(won["之前"]) == {"进行中"}


def test_removing_an_import_takes_its_snapshot_out(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page")
    latest = at.selectbox(key="as_of").options[0]
    pick = at.selectbox(key="data_remove_pick")
    label = next(o for o in pick.options if f"· {latest} ·" in o and "ledger" in o)  # "11 · 2026-11-23 · file"
    pick.set_value(int(label.split(" · ")[0]))
    at.checkbox(key="data_remove_confirm").check().run()
    at.button(key="data_remove").click().run()
    assert not at.exception
    assert any("已删除导入" in s.value for s in at.success)
    assert latest not in at.selectbox(key="as_of").options


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_missing_values_read_the_same_dash_in_every_table_not_none(db, lang):
    from dashboard import i18n
    from dashboard.sidebar import LANG_NAMES

    at = open_page("funnel", lang=LANG_NAMES[lang])
    tables = list(at.dataframe)
    assert tables
    assert all(t.proto.placeholder == i18n.MISSING for t in tables), [t.proto.id for t in tables]
    funnel_el = next(t for t in tables if i18n.t("reached", lang) in t.value.columns)
    funnel = funnel_el.value
    assert funnel[f"{i18n.t('step_conversion', lang)} (%)"].isna().iloc[-1]  # the last stage has none: shown as the dash
    import json

    config = json.loads(funnel_el.proto.columns)
    assert config[i18n.t("reached", lang)]["type_config"]["format"] == "%,.0f"  # 1,783 like the chart, not 1783
    at = open_page(lang=LANG_NAMES[lang])
    changes = [t for t in at.dataframe if t.proto.id.endswith("weekly_changes_table")]
    assert changes and changes[0].proto.placeholder == i18n.MISSING
    assert changes[0].value[i18n.t("before", lang)].isna().any()  # a new project has no 'before'


def test_a_file_without_a_date_points_to_the_date_field_not_the_cli_option(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    blob = "项目编号,项目名称,区域,客户等级,当前阶段,状态,预计签约金额\nX-1,测试项目,华东,A,立项,进行中,100\n".encode()
    for lang, words in (("中文", "上方的日期框"), ("English", "date field above")):
        at = open_page("data_page", lang=lang)
        at.file_uploader(key="data_upload_0").set_value(("nodate.csv", blob, "text/csv")).run()
        assert not at.exception
        messages = " ".join(t.value for t in at.text)
        assert words in messages and "--as-of" not in messages, messages


def test_the_win_rate_drills_down_to_the_closed_projects_it_counts(db, monkeypatch):
    from dashboard.app_pages import _ui

    monkeypatch.setattr(_ui, "MAX_TABLE_ROWS", 100_000)  # every closed project in the table, not the first 1,000
    at = open_page()
    at.session_state["weekly_drill"] = "win_rate"
    at.run()
    assert not at.exception
    closed = frame(at, "weekly_drill_win_rate_table")
    won = (closed["结果"] == "赢单").sum()
    assert len(closed) > 0 and set(closed["结果"]) <= {"赢单", "丢单", "放弃"}
    assert metric(at, "赢单率") == f"{won / len(closed) * 100:.1f}%"  # the rate is exactly these rows
    funnel = open_page("funnel")
    assert "funnel_closed_table" not in [d.key for d in funnel.dataframe]
    funnel.toggle(key="funnel_win_rate_drill").set_value(True).run()
    assert not funnel.exception
    assert len(frame(funnel, "funnel_closed_table")) == len(closed)


def test_the_headline_figures_sit_in_two_deliberate_rows_pipeline_and_target_then_risk(db):
    at = open_page()
    kpis = next(b for b in at.main.children.values() if str(getattr(b.proto, "id", "")).endswith("-weekly_kpis"))
    rows = list(kpis.children.values())
    assert len(rows) == 2  # not one row that wraps its 7th figure alone

    def labels(row):
        return [m.label for col in row.children.values() for m in col.children.values() if type(m).__name__ == "Metric"]

    assert labels(rows[0]) == ["在手管道金额", "在跟项目数", "本周赢单", "本周丢单/放弃", "本季度目标达成"]  # issue 12
    # the risk row: the A/B projects nobody visited lately and the overdue receivables (issue 13;
    # the seeds hold visit reports and a receivables ledger)
    assert labels(rows[1]) == ["赢单率", "停滞项目", "毛利预警", "A/B 项目未拜访", "逾期应收"]
    assert len(rows[0].children) == len(rows[1].children) == 5  # same grid: the cards line up


def test_a_region_grade_cell_lists_the_projects_behind_its_figure(db):
    at = open_page("funnel")
    assert at.segmented_control(key="funnel_rg_metric").value == "win_rate"  # what a manager reads first
    assert "funnel_cell_table" not in [d.key for d in at.dataframe]
    at.session_state["funnel_rg_heatmap"] = {"selection": {"pick": [{"region": "华东", "grade": "A"}]}}
    at.run()
    assert not at.exception
    closed = frame(at, "funnel_cell_table")
    assert len(closed) > 0 and set(closed["区域"]) == {"华东"} and set(closed["客户等级"]) == {"A"}
    assert set(closed["结果"]) <= {"赢单", "丢单", "放弃"}
    # the same list as the win-rate drill-down with the sidebar narrowed to that cell
    narrowed = open_page("funnel", region="华东", grade="A")
    narrowed.toggle(key="funnel_win_rate_drill").set_value(True).run()
    assert len(frame(narrowed, "funnel_closed_table")) == len(closed)

    at.segmented_control(key="funnel_rg_metric").set_value("reached_rate").run()
    assert not at.exception
    reached = frame(at, "funnel_cell_table")
    assert set(reached["最远阶段"]) <= {"招投标", "商务谈判", "工程实施"}
    at.segmented_control(key="funnel_rg_metric").set_value("n_open").run()
    assert set(frame(at, "funnel_cell_table")["状态"]) == {"进行中"}


def test_the_project_page_names_stages_in_its_flags_not_codes(db):
    at = open_page("project", project=STALLED_PROJECT, lang="English")
    flags = next(d.value for d in at.dataframe if "Flags" in d.value.columns)
    details = " ".join(flags["Detail"])
    assert "Implementation" in details
    assert not any(code in details for code in ("delivery", " -> ", "negotiation ", "proposal;"))


def test_the_upload_report_names_fields_and_how_they_were_recognised_in_words(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page", lang="English")
    blob = (SEEDS / "2026-11-16_crm-export.csv").read_bytes()
    at.file_uploader(key="data_upload_0").set_value(("2026-11-16_crm-export.csv", blob, "text/csv")).run()
    assert not at.exception
    columns = next(d.value for d in at.dataframe if "How" in d.value.columns)
    assert set(columns["How"]) == {"Known header"}
    assert "Tender / bidding date" in set(columns["Field"])
    assert not [f for f in columns["Field"] if "_" in f or "stage_date" in f]  # no project_id, stage_date.tender
    facts = next(d.value for d in at.dataframe if "Metric" in d.value.columns)
    assert dict(zip(facts["Metric"], facts["Value"], strict=True))["Kind"] == "Project list"


def test_a_refused_report_counts_rows_read_and_rows_with_errors_not_rows_accepted(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    rows = "".join(f"X-{i},项目{i},华东,A,立项,进行中,100,2026-12-0{i % 9 + 1}\n" for i in range(1, 1200))
    blob = ("项目编号,项目名称,区域,客户等级,当前阶段,状态,预计签约金额,预计签约时间\n" + rows
            + "Y-1,坏日期,华东,A,立项,进行中,100,2026-13-45\n").encode()
    at = open_page("data_page")
    at.file_uploader(key="data_upload_0").set_value(("2026-12-14_bad.csv", blob, "text/csv")).run()
    assert not at.exception
    assert any("已拒绝" in e.value for e in at.error)
    facts = next(d.value for d in at.dataframe if "指标" in d.value.columns)
    facts = dict(zip(facts["指标"], facts["数值"], strict=True))
    assert facts["读取行数"] == "1,200" and facts["有错误的行数"] == "1", facts
    assert facts["将写入行数"].startswith("0") and "接受行数" not in facts and "跳过行数" not in facts, facts
    # The whole message, expected format included, as a wrapped text line (not a cut-off cell).
    line = next(t.value for t in at.text if "2026-13-45" in t.value)
    assert "第 1201 行" in line and "Excel" in line, line
    assert not [d for d in at.dataframe if list(d.value.columns) == ["说明"]]

    ok = open_page("data_page")
    ok.file_uploader(key="data_upload_0").set_value(("export.csv", (SEEDS / "2026-11-16_crm-export.csv").read_bytes(), "text/csv")).run()
    facts = next(d.value for d in ok.dataframe if "指标" in d.value.columns)
    facts = dict(zip(facts["指标"], facts["数值"], strict=True))
    assert "," in facts["接受行数"] and facts["跳过行数"] == "0", facts


def test_an_unchanged_headline_figure_shows_a_grey_plus_minus_zero_not_a_red_arrow(db):
    at = open_page(region="华东", grade="A")  # seeds: as many margin alerts as the week before
    alerts = next(m for m in at.metric if m.label == "毛利预警")
    assert alerts.delta == "±0", alerts.delta
    from streamlit.proto.Metric_pb2 import Metric

    assert alerts.proto.color == Metric.MetricColor.GRAY and alerts.proto.direction == Metric.MetricDirection.NONE
    moved = [m for m in at.metric if m.delta and m.delta != "±0"]
    assert moved and all(not m.delta.startswith("±") for m in moved)


def test_the_stalled_list_comes_first_under_the_figures_whole_with_manager_and_region_up_front(db):
    import json

    at = open_page(lang="English")
    assert [s.value for s in at.subheader][:2] == ["Stalled projects — need a decision", "Margin alerts — need a decision"]
    el = next(d for d in at.dataframe if str(d.proto.id).endswith("-weekly_stalled_table"))
    order = list(el.proto.column_order)
    assert order[:3] == ["Project", "Account manager", "Region"], order
    config = json.loads(el.proto.columns)
    # full width, columns sized by Streamlit to their text: no narrow fixed width cuts
    # "Commercial negotiation" or "Limit (days)" off
    assert not [h for h in order if isinstance((config.get(h) or {}).get("width"), int)], config


def test_english_shows_yuan_millions_where_chinese_keeps_wan_on_the_same_link(db):
    at = open_page(lang="English")
    pipeline = metric(at, "Open pipeline")
    assert pipeline.startswith("¥") and pipeline.endswith("M") and "×10k" not in pipeline, pipeline
    changes = frame(at, "weekly_changes_table")
    assert "Amount change (¥M)" in changes.columns, list(changes.columns)
    assert list(at.radio(key="unit").proto.captions) == ["¥ millions", "¥"]
    assert at.radio(key="unit").options == ["万元", "元"]  # the URL values stay as they were
    texts = " ".join(map(str, changes.to_numpy().ravel()))
    assert "万" not in texts and "×10k" not in texts
    zh = open_page()
    assert metric(zh, "在手管道金额").endswith(" 万元") and not list(zh.radio(key="unit").proto.captions)
    assert any(c.endswith("(万元)") for c in frame(zh, "weekly_changes_table").columns)
    # the same amount: ¥M x 100 = 万元 (each rounded to what it shows)
    assert abs(number(pipeline) * 100 - number(metric(zh, "在手管道金额"))) <= 5


def test_the_uploader_says_in_chinese_what_its_english_box_does(db):
    # Streamlit's own "Upload" / "200MB per file" cannot be translated in 1.67: the label explains it.
    label = open_page("data_page").file_uploader(key="data_upload_0").label
    assert "拖到下方框内" in label and "Upload" in label and "200 MB" in label, label


def test_a_long_list_shows_its_first_rows_and_says_how_many_there_are(db, monkeypatch):
    from dashboard.app_pages import _ui

    everything = frame(open_page("aging", lang="English"), "aging_table")
    assert len(everything) > 7
    monkeypatch.setattr(_ui, "MAX_TABLE_ROWS", 7)
    at = open_page("aging", lang="English")
    capped = frame(at, "aging_table")
    assert len(capped) == 7
    assert capped.reset_index(drop=True).equals(everything.head(7).reset_index(drop=True))  # the first rows, same order
    notes = [c.value for c in at.caption if "Showing the first 7 of" in c.value]
    assert notes == [f"Showing the first 7 of {len(everything):,} rows, in the order above. The CSV and Excel "
                     f"downloads have all {len(everything):,}; narrow the filters in the sidebar to list fewer."]


# --------------------------------------------------------------------------- issue 9, part B

PAGES = (None, "funnel", "aging", "margin", "project", "data_page")


def _banner(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "演示数据" in w.value or "Demo data" in w.value]


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_every_page_says_demo_data_while_the_demo_is_loaded_and_no_page_does_on_real_data(db, real_db, lang, monkeypatch):
    monkeypatch.setenv("PIPELINE_DB", str(db))
    for page in PAGES:
        params = {"project": STALLED_PROJECT} if page == "project" else {}
        banner = _banner(open_page(page, lang=lang, **params))
        assert len(banner) == 1, (page, banner)
        assert ("14 次演示导入" if lang == "中文" else "14 demo imports") in banner[0], banner
    monkeypatch.setenv("PIPELINE_DB", str(real_db))
    for page in PAGES:
        params = {"project": STALLED_PROJECT} if page == "project" else {}
        assert _banner(open_page(page, lang=lang, **params)) == [], page


def _company_export(as_of: date, prefix: str, n: int, won: int = 0) -> tuple[str, bytes, str]:
    """A company's own export (its own project numbers): the first ``won`` signed."""
    rows = []
    for i in range(1, n + 1):
        stage, status = ("工程实施", "已签约") if i <= won else ("招投标", "进行中")
        rows.append(f"{prefix}-{i:03d},项目{i},客户{i},A,华东,张伟,系统集成,{stage},{status},{100 + i}")
    text = "项目编号,项目名称,客户名称,客户等级,区域,负责人,项目分类,当前阶段,状态,预计签约金额（万元）\n" + "\n".join(rows) + "\n"
    return (f"{as_of.isoformat()}_export.csv", text.encode("utf-8"), "text/csv")


def test_the_first_real_import_says_the_demo_goes_removes_it_and_the_review_compares_real_with_real(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page")
    week1, week2 = date(2026, 11, 30), date(2026, 12, 7)
    at.file_uploader(key="data_upload_0").set_value([_company_export(week1, "HX", 6),
                                                     _company_export(week2, "HX", 6, won=2)]).run()
    assert not at.exception
    # before the user confirms: the report says the demo goes with this import
    said = [w.value for w in at.warning if "导入时会同时删除演示数据" in w.value]
    assert said and "14 次导入" in said[0] and "2026-09-21" in said[0] and "2026-11-23" in said[0], said
    at.button(key="data_commit").click().run()
    assert not at.exception
    done = " ".join(s.value for s in at.success)
    assert "已导入 2 个文件" in done and "已删除演示数据（14 次导入）" in done, done
    assert at.selectbox(key="as_of").options == ["2026-12-07", "2026-11-30"]  # no demo snapshot to pick
    assert _banner(at) == []
    history = next(d.value for d in at.dataframe if "文件" in d.value.columns)
    assert set(history.loc[history["演示数据"], "状态"]) == {"已删除"}  # the demo imports: marked and removed
    review = open_page()
    assert _banner(review) == [] and "2026-11-30" in review.caption[0].value
    assert metric(review, "本周赢单") == "2" and metric(review, "在跟项目数") == "4"
    counts = frame(review, "weekly_change_counts").set_index("变化")
    assert counts.loc["从导出中消失", "项目数"] == 0 and counts.loc["新增", "项目数"] == 0  # real vs real
    assert counts.loc["赢单", "项目数"] == 2


def test_the_demo_data_goes_in_one_click_and_the_pages_then_ask_for_an_export(db, tmp_path, monkeypatch):
    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setenv("PIPELINE_DB", str(copy))
    at = open_page("data_page", lang="English")
    at.button(key="data_remove_demo").click().run()
    assert not at.exception
    assert any("The demo data (14 imports) was removed" in s.value for s in at.success)
    assert _banner(at) == [] and "data_remove_demo" not in [b.key for b in at.button]
    assert any("No data yet" in i.value for i in open_page(lang="English").info)


def test_no_demo_and_no_button_on_a_database_of_real_imports(real_db):
    at = open_page("data_page")
    assert "data_remove_demo" not in [b.key for b in at.button] and _banner(at) == []


def _broken_pairs(src: Path, dst: Path) -> Path:
    """A copy of ``src`` whose derived week-on-week pairing table has lost its columns (as a
    database written by older code, or a rebuild gone wrong, could): `changes` and
    `changes_summary` fail with a real DuckDB error; every other analysis works."""
    import duckdb

    shutil.copy(src, dst)
    con = duckdb.connect(str(dst))
    try:
        tables = {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}
        assert "pair_facts" in tables, f"the pairing table this test breaks is gone: {sorted(tables)}"
        con.execute("create or replace table pair_facts as select 1 as broken")
    finally:
        con.close()
    return dst


@pytest.mark.parametrize("lang", ["中文", "English"])
def test_a_failing_query_is_shown_as_an_error_naming_the_analysis_and_the_rest_of_the_page_renders(
        db, tmp_path, monkeypatch, caplog, lang):
    monkeypatch.setenv("PIPELINE_DB", str(_broken_pairs(db, tmp_path / "pipeline.duckdb")))
    import logging

    caplog.set_level(logging.ERROR, logger="dashboard.pages")
    at = open_page(lang=lang)
    errors = [e.value for e in at.error]
    if lang == "中文":
        assert "无法计算「本周变化」。错误见下方；完整信息已记录在服务器日志中。" in errors, errors
        assert "无法计算「管道变化：上周 → 本周」。错误见下方；完整信息已记录在服务器日志中。" in errors, errors
        assert "未显示：「本周变化」计算失败（错误见上方）。" in errors
        won, stalled, alerts = "本周赢单", "停滞项目", "毛利预警"
    else:
        assert "Could not compute “What changed this week”. The error is below; the full details are in the server log." in errors
        assert any(e.startswith("Not shown: “Pipeline: last week → this week”") for e in errors), errors
        won, stalled, alerts = "Won this week", "Stalled projects", "Margin alerts"
    assert any("BinderException" in t.value for t in at.text)  # the reason, as plain text
    assert not [i.value for i in at.info if "not available" in i.value or "暂不可用" in i.value]
    # the figures that need the failed analysis are missing, the others are there
    assert metric(at, won) == "–" and number(metric(at, stalled)) > 0 and number(metric(at, alerts)) > 0
    keys = {str(d.proto.id).rsplit("-", 1)[-1] for d in at.dataframe}
    assert {"weekly_stalled_table", "weekly_margin_table"} <= keys and "weekly_changes_table" not in keys
    logged = [r for r in caplog.records if r.name == "dashboard.pages" and "'changes'" in r.getMessage()]
    assert logged and logged[0].exc_info and "BinderException" in logged[0].exc_info[0].__name__


def test_a_link_with_lang_en_or_zh_opens_that_language(db):
    assert open_page(lang="en").title[0].value == "Weekly review"
    assert open_page("aging", lang="EN").title[0].value == "Stage aging"
    assert open_page(lang="zh").title[0].value == "周例会"
    assert open_page(lang="English").title[0].value == "Weekly review"  # the switch's own form still works


def test_the_aging_page_counts_what_it_says_and_agrees_with_the_review(db):
    review = open_page()
    open_projects, stalled = metric(review, "在跟项目数"), metric(review, "停滞项目")
    at = open_page("aging")
    assert at.subheader[0].value == "进行中项目：阶段与停留天数"
    in_progress = number(metric(at, "进行中项目"))
    split = next(c.value for c in at.caption if c.value.startswith("进行中 ="))
    assert f"{open_projects} 个在跟项目" in split, split  # the review's figure, named as the review names it
    won_in_delivery = int(split.split("+ ")[1].split(" ")[0].replace(",", ""))
    assert number(open_projects) + won_in_delivery == in_progress
    assert metric(at, "停滞项目") == stalled
    table = frame(at, "aging_table")
    assert set(table["状态"]) == {"进行中", "赢单"} and (table["状态"] == "赢单").sum() == won_in_delivery


def test_the_review_counts_every_kind_of_change_and_a_row_lists_its_projects(db):
    at = open_page()
    counts = frame(at, "weekly_change_counts")
    assert list(counts.columns) == ["变化", "项目数", "预计签约金额 (万元)", "金额变化 (万元)"]
    assert list(counts["变化"]) == ["新增", "重新出现", "从导出中消失", "推进", "回退", "赢单", "丢单", "放弃", "已验收",
                                    "重新打开", "签约推迟", "金额上调", "金额下调", "毛利下降"]
    by_kind = counts.set_index("变化")
    listed = frame(at, "weekly_changes_table")
    assert len(listed) == counts["项目数"].sum()  # every change row, before a row is picked
    assert by_kind.loc["赢单", "项目数"] == number(metric(at, "本周赢单"))
    assert by_kind.loc["丢单", "项目数"] + by_kind.loc["放弃", "项目数"] == number(metric(at, "本周丢单/放弃"))
    advanced = list(counts["变化"]).index("推进")
    at.session_state["weekly_change_counts"] = {"selection": {"rows": [advanced], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    shown = frame(at, "weekly_changes_table")
    assert set(shown["变化"]) == {"推进"} and len(shown) == by_kind.loc["推进", "项目数"] > 0
    amount = round(shown["预计签约金额 (万元)"].sum(), 1)
    assert abs(amount - by_kind.loc["推进", "预计签约金额 (万元)"]) < 0.05


def test_the_cards_draw_their_trend_across_the_snapshots_only_when_asked(db):
    """Sparklines (issue 12): off on the first screen (trends read every snapshot); switched
    on, each card's line has one point per snapshot up to the one shown, the last being the
    card's own figure."""
    import queries
    from dashboard import store

    at = open_page()
    assert all(not m.proto.chart_data for m in at.metric)
    at.toggle(key="weekly_sparklines").set_value(True).run()
    assert not at.exception
    con = store.connect_read_only(db)
    try:
        trends = queries.run(con, "trends", queries.Filters(allowed_regions=queries.ALL_REGIONS)).sort("as_of")
    finally:
        con.close()
    cards = {m.label: list(m.proto.chart_data) for m in at.metric}
    assert len(cards["在跟项目数"]) == trends.height == 10  # the ten seed snapshots
    assert cards["在跟项目数"][-1] == number(metric(at, "在跟项目数"))
    assert cards["停滞项目"][-1] == number(metric(at, "停滞项目"))
    assert cards["毛利预警"] == [float(v) for v in trends.get_column("n_margin_alerts")]
    assert not cards["本周丢单/放弃"] and not cards["本季度目标达成"]  # no trend computed for these
