"""What a manager does on Monday, in a real browser: Debian Chromium (Playwright) against
`streamlit run` on loopback, with its own database built from seeds/ (issue 4).

1. narrow the weekly review to a region and a grade in the sidebar: the URL says so, and a
   reload shows the same figures;
2. a fresh start (the app loads the demo data itself) and the company's first exports (a
   Chinese XLSX ledger and a GB18030 CSV, the company's own project numbers) by upload: the
   report says the demo goes, the import removes it, and the review compares real with real;
3. a broken export is refused with the file, row and column named, and nothing changes;
4. tick a stalled project in the Stage aging table and land on its page with its timeline;
5. every page in both languages: no error, the demo banner, no table with blank rows.

Every test saves full-page screenshots (Chinese and English) to artifacts/screenshots/.
One server per module (test 2 starts its own, on no database); none changes its data.
Run only these: `python -m pytest -m browser tests/test_browser.py`.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_support as bs  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not bs.CHROMIUM.exists(), reason=f"Debian chromium not installed at {bs.CHROMIUM} "
                       "(apt-get install chromium fonts-wqy-microhei; .ci/run does it)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright not installed")

LATEST_SEED = date(2026, 11, 23)
WEEK_1, WEEK_2 = date(2026, 11, 30), date(2026, 12, 7)  # the weeks test 2 uploads


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(demo_seed_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser-app") / "pipeline.duckdb"
    shutil.copy(demo_seed_db, db)
    with bs.serving(db) as app:
        yield app


@pytest.fixture
def page(browser, server, request):
    """A fresh browser session (a new Streamlit session) per test. When the test fails, the
    page as it was goes to artifacts/screenshots/FAILED-<test>.png and the server log's
    tail into the test's captured output."""
    context = browser.new_context(viewport=bs.VIEWPORT, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(bs.TIMEOUT_MS)
    failed_before = request.session.testsfailed
    yield pg
    if request.session.testsfailed > failed_before:  # this test's call just failed
        try:
            bs.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(bs.SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the log still helps
            print(f"no failure screenshot: {exc}")
        print(f"--- streamlit log (tail) ---\n{server.log()}")
    context.close()


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- 1. filters in the URL


def test_region_and_grade_go_into_the_url_and_a_reload_keeps_the_filtered_figures(page, server):
    bs.open_app(page, server.url + "/")
    assert bs.title(page) == "周例会"
    everything = bs.metrics(page)
    bs.screenshot(page, "1-weekly-review_zh")

    bs.pick_in_multiselect(page, "region", "华东")
    bs.pick_in_multiselect(page, "grade", "A")
    assert params(page).get("region") == ["华东"] and params(page).get("grade") == ["A"], page.url
    filtered = bs.metrics(page)
    assert 0 < bs.number(filtered["在跟项目数"]) < bs.number(everything["在跟项目数"])
    assert bs.number(filtered["在手管道金额"]) < bs.number(everything["在手管道金额"])
    bs.assert_no_exception(page)

    page.reload(wait_until="domcontentloaded")
    bs.settle(page)
    assert params(page).get("region") == ["华东"] and params(page).get("grade") == ["A"], page.url
    assert bs.metrics(page) == filtered
    assert bs.chosen(page, "region") == ["华东"] and bs.chosen(page, "grade") == ["A"]
    bs.screenshot(page, "1-weekly-review-east-A_zh")

    bs.pick_radio(page, "lang", "English")  # same view, other language: same numbers
    assert bs.title(page) == "Weekly review"
    assert params(page).get("region") == ["华东"] and params(page).get("lang") == ["English"], page.url
    english = bs.metrics(page)
    assert english["Open projects"] == filtered["在跟项目数"]
    # ¥ millions in English, 万元 in Chinese: ×100, each rounded to what it shows
    assert english["Open pipeline"].endswith("M")
    assert abs(bs.number(english["Open pipeline"]) * 100 - bs.number(filtered["在手管道金额"])) <= 5
    bs.assert_no_exception(page)
    bs.screenshot(page, "1-weekly-review-east-A_en")

    bs.pick_radio(page, "unit", "元")  # amounts in 元: a million times the ¥M figure
    assert params(page).get("unit") == ["元"], page.url
    in_yuan = bs.metrics(page)["Open pipeline"]
    assert abs(bs.number(in_yuan) - bs.number(english["Open pipeline"]) * 1_000_000) <= 50_000, in_yuan
    bs.screenshot(page, "1-weekly-review-east-A-yuan_en")

    # A link kept as /weekly (the page's name) opens the review with its filters; ?lang=en
    # (as people type it) opens English and the address then says English, so it stays.
    page.goto(server.url + "/weekly?region=华东&grade=A&lang=en", wait_until="domcontentloaded")
    bs.settle(page)
    assert bs.title(page) == "Weekly review"
    assert params(page).get("region") == ["华东"] and params(page).get("grade") == ["A"], page.url
    assert params(page).get("lang") == ["English"] and urlsplit(page.url).path == "/weekly", page.url
    assert bs.metrics(page)["Open projects"] == english["Open projects"]
    bs.assert_no_exception(page)
    page.reload(wait_until="domcontentloaded")
    bs.settle(page)
    assert bs.title(page) == "Weekly review"


# --------------------------------------------------------------------------- 4. table row -> project page


def test_ticking_a_stalled_project_in_the_aging_table_opens_its_page_with_the_timeline(page, server):
    bs.open_app(page, server.url + "/aging")
    assert bs.title(page) == "阶段停留"
    page.locator(".st-key-aging_stalled_only label").click()
    bs.settle(page)
    rows = bs.grid_rows(bs.keyed_grid(page, "aging_table"))
    header, body = rows[0], rows[1:]
    assert len(body) >= 2 and all(r[header.index("停滞")] == "true" for r in body), rows[:3]
    wanted = body[1][header.index("项目编号")]  # the second row: the click really picks a row

    bs.click_grid_row(page, "aging_table", 1)
    page.wait_for_url("**/project?*")
    bs.settle(page)
    assert params(page).get("project") == [wanted], page.url
    assert bs.title(page) == "项目详情"
    assert page.locator(".st-key-project_pick input").input_value() == wanted
    assert wanted in bs.main_text(page)
    timeline = (page.locator('[data-testid="stColumn"]')
                .filter(has=page.get_by_role("heading", name="阶段时间线"))
                .locator('[data-testid="stVegaLiteChart"]'))
    assert timeline.count() == 1
    assert bs.colour_pixels(timeline.screenshot()) > 500, "the stage timeline has no bars"
    flags = bs.grid_rows(bs.grid_with_header(page, "预警"))
    assert "停滞" in [r[0] for r in flags[1:]], flags
    bs.assert_no_exception(page)
    bs.screenshot(page, "4-project-page_zh")

    bs.pick_radio(page, "lang", "English")
    assert bs.title(page) == "Project"
    assert params(page).get("project") == [wanted], page.url
    assert "Stalled" in [r[0] for r in bs.grid_rows(bs.grid_with_header(page, "Flags"))[1:]]
    bs.assert_no_exception(page)
    bs.screenshot(page, "4-project-page_en")


# --------------------------------------------------------------------------- next weeks' exports


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The company's own exports (the demo's last ledger under the company's project numbers):
    2026-11-30 as the office's XLSX ledger (5 signed, 3 lost), 2026-12-07 as the ledger
    saved as a GB18030 CSV (4 more signed, 2 more lost), and a broken copy of the CSV (a 13th
    month in data row 7 = file line 8)."""
    folder = tmp_path_factory.mktemp("exports")
    seed = bs.as_company(bs.read_ledger(bs.SEEDS / f"{LATEST_SEED.isoformat()}_ledger.xlsx"))
    week1, won1, lost1 = bs.advance(seed, won=5, lost=3, on=date(2026, 11, 27))
    week2, won2, lost2 = bs.advance(week1, won=4, lost=2, on=date(2026, 12, 3), skip=set(won1 + lost1))
    xlsx = bs.write_ledger_xlsx(folder / f"{WEEK_1.isoformat()}_ledger.xlsx", week1, WEEK_1)
    csv = folder / f"{WEEK_2.isoformat()}_ledger.csv"
    csv.write_bytes(bs.ledger_csv_bytes(week2))
    broken = folder / "2026-12-14_ledger.csv"
    broken.write_bytes(bs.break_a_date(csv.read_bytes(), 7, "预计签约时间", "2026-13-45"))
    return {"xlsx": xlsx, "csv": csv, "broken": broken}


def upload(page, *paths: Path) -> None:
    field = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    field.wait_for(state="attached")
    field.set_input_files([str(p) for p in paths])
    page.locator(f".st-key-data_file_{len(paths) - 1}").wait_for()  # a report per file
    bs.settle(page)


def alerts(page) -> list[str]:
    return page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()


def error_lines(page) -> list[str]:
    """The report's messages: one wrapped text line each (a table cell cut them off)."""
    return page.locator('.st-key-data_errors_0 [data-testid="stText"]').all_inner_texts()


# --------------------------------------------------------------------------- 3. a broken file


def test_a_broken_export_is_refused_naming_file_row_and_column_and_nothing_changes(page, server, exports):
    bs.open_app(page, server.url + "/")
    before = bs.metrics(page)
    db_before = sha256(server.db_path)

    bs.open_app(page, server.url + "/data")
    upload(page, exports["broken"])
    assert any(a.startswith("已拒绝") and "未写入任何数据" in a for a in alerts(page)), alerts(page)
    errors = error_lines(page)
    assert any("2026-12-14_ledger.csv" in e and "第 8 行" in e and "预计签约时间" in e and "2026-13-45" in e
               and "Excel" in e for e in errors), errors  # the whole message, expected format included
    assert page.locator(".st-key-data_commit button").is_disabled()
    bs.assert_no_exception(page)
    bs.screenshot(page, "3-refused-upload_zh")

    bs.pick_radio(page, "lang", "English")  # the same refusal, in English
    assert any(a.startswith("Refused") for a in alerts(page)), alerts(page)
    errors = error_lines(page)
    assert any("row 8, column '预计签约时间'" in e for e in errors), errors
    bs.screenshot(page, "3-refused-upload_en")

    assert sha256(server.db_path) == db_before
    bs.open_app(page, server.url + "/")
    assert bs.metrics(page) == before


# --------------------------------------------------------------------------- 2. the first real exports


@pytest.fixture
def fresh_server(tmp_path):
    """`make run` on a machine that never ran it: no database, the app loads the demo itself."""
    # the data folder does not exist yet (the app creates it): the log goes beside it
    with bs.serving(tmp_path / "data" / "pipeline.duckdb", tmp_path / "streamlit.log") as app:
        yield app


def test_the_first_real_upload_on_a_fresh_start_removes_the_demo_and_the_review_compares_real_with_real(
        browser, fresh_server, exports):
    import io

    import openpyxl

    page = browser.new_context(viewport=bs.VIEWPORT, locale="zh-CN", accept_downloads=True).new_page()
    page.set_default_timeout(bs.TIMEOUT_MS)
    bs.open_app(page, fresh_server.url + "/")
    banner = bs.demo_banner(page)
    assert len(banner) == 1 and "14 次演示导入" in banner[0], banner
    demo_open = bs.number(bs.metrics(page)["在跟项目数"])  # the demo's last week = the ledger the exports start from
    bs.screenshot(page, "2-fresh-start-demo_zh")

    bs.open_app(page, fresh_server.url + "/data")
    upload(page, exports["xlsx"], exports["csv"])
    assert sum(a.startswith("可以导入：接受 1,783 行，跳过 0 行") for a in alerts(page)) == 2, alerts(page)
    warned = [a for a in alerts(page) if "导入时会同时删除演示数据（14 次导入" in a]
    assert warned, alerts(page)  # said before the user confirms
    facts = [dict(bs.grid_rows(bs.grid_with_header(page.locator(f".st-key-data_file_{i}"), "指标"))[1:]) for i in (0, 1)]
    assert facts[0]["工作表"] == "项目台账" and facts[0]["快照日期"] == WEEK_1.isoformat(), facts[0]
    assert facts[1]["编码"] == "gb18030" and facts[1]["快照日期"] == WEEK_2.isoformat(), facts[1]
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-upload-report-demo-goes_zh")

    page.locator(".st-key-data_commit button").click()
    page.get_by_text("已导入 2 个文件").wait_for()
    bs.settle(page)
    assert any("已删除演示数据（14 次导入）" in a for a in alerts(page)), alerts(page)
    assert bs.demo_banner(page) == []
    bs.screenshot(page, "2-imported-demo-removed_zh")
    # The same session moved to the newest imported week; the picker has only real weeks.
    assert page.locator(".st-key-as_of input").input_value() == WEEK_2.isoformat()
    page.locator(".st-key-as_of input").click()
    offered = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    assert offered == [WEEK_2.isoformat(), WEEK_1.isoformat()], offered  # no demo snapshot to pick

    bs.open_app(page, fresh_server.url + "/")
    assert bs.demo_banner(page) == []
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert WEEK_2.isoformat() in caption and WEEK_1.isoformat() in caption, caption
    now = bs.metrics(page)
    assert (now["本周赢单"], now["本周丢单/放弃"]) == ("4", "2"), now
    assert bs.number(now["在跟项目数"]) == demo_open - 5 - 3 - 4 - 2, now
    rows = bs.grid_rows(bs.keyed_grid(page, "weekly_change_counts"))
    header = rows[0]
    kind, n = header.index("变化"), header.index("项目数")
    counts = {r[kind]: r[n] for r in rows[1:] if len(r) == len(header)}
    assert counts.get("从导出中消失") == "0" and counts.get("新增") == "0", rows  # real compared with real
    assert counts.get("赢单") == "4" and counts.get("丢单") == "2", rows
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-weekly-review-real-vs-real_zh")

    with page.expect_download() as download:  # the review pack, as a manager takes it to the meeting
        page.locator(".st-key-weekly_pack button").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    summary = {sheet.cell(r, 1).value: sheet.cell(r, 2) for r in range(2, sheet.max_row + 1)}
    assert summary["快照日期"].is_date and summary["快照日期"].value.date() == WEEK_2
    assert summary["本周赢单"].data_type == "n" and summary["本周赢单"].value == 4
    assert summary["在跟项目数"].value == demo_open - 14 and summary["在跟项目数"].number_format == "#,##0"
    assert summary["在手管道金额 (万元)"].data_type == "n" and summary["赢单率"].number_format == "0.0%"

    bs.pick_in_selectbox(page, "as_of", WEEK_1.isoformat())  # the company's first week: nothing before it
    week1 = bs.metrics(page)
    assert (week1["本周赢单"], week1["本周丢单/放弃"]) == ("–", "–"), week1  # not "compared with the demo"
    assert any("没有更早的快照可对比" in a for a in alerts(page)), alerts(page)
    bs.pick_radio(page, "lang", "English")
    assert bs.metrics(page)["Won this week"] == "–"
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-weekly-review-first-real-week_en")
    page.context.close()


# --------------------------------------------------------------------------- 5. every page, both languages

PAGES = {"weekly": "/", "funnel": "/funnel", "aging": "/aging", "margin": "/margin", "forecast": "/forecast", "visits": "/visits",
         "project": "/project?project=KA-2025-00041", "data": "/data"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages_with_the_demo_banner_and_tables_as_tall_as_their_rows(page, server, lang):
    for name, path in PAGES.items():
        sep = "&" if "?" in path else "?"
        bs.open_app(page, server.url + path + (f"{sep}lang={lang}" if lang == "en" else ""))
        bs.assert_no_exception(page)
        errors = page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').all_inner_texts()
        assert not errors, (name, errors)
        assert len(bs.demo_banner(page)) == 1, name
        drawn = [(key, rows, height) for key, rows, height in bs.table_heights(page) if height > 0]  # not in a closed expander
        assert drawn, name
        for key, rows, height in drawn:
            assert rows > 0, (name, key)
            # header + rows at 35 px (+ borders): a short table has no blank rows under it
            assert height <= rows * 35 + 12, (name, key, rows, height)
        bs.screenshot(page, f"5-{name}_{lang}")
