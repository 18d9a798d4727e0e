"""What a manager does on Monday, in a real browser: Debian Chromium (Playwright) against
`streamlit run` on loopback, with its own database built from seeds/ (issue 4).

1. narrow the weekly review to a region and a grade in the sidebar: the URL says so, and a
   reload shows the same figures;
2. take next week's exports (a Chinese XLSX ledger and a GB18030 CSV) by upload: the
   validation report, the import, and the weekly review on the new snapshots;
3. a broken export is refused with the file, row and column named, and nothing changes;
4. tick a stalled project in the Stage aging table and land on its page with its timeline.

Every test saves full-page screenshots (Chinese and English) to artifacts/screenshots/.
One server per module; tests 1, 3 and 4 leave the data as it was, test 2 runs last.
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
def seed_db(tmp_path_factory) -> Path:
    """The demo database, built once the way the app's first start builds it."""
    from dashboard import demo

    path = tmp_path_factory.mktemp("browser-seed") / "pipeline.duckdb"
    demo.load_seeds(path)
    return path


@pytest.fixture(scope="module")
def server(seed_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-app")
    db = folder / "pipeline.duckdb"
    shutil.copy(seed_db, db)
    app = bs.AppServer(db, folder / "streamlit.log").start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(bs.CHROMIUM), args=bs.CHROMIUM_ARGS)
        yield b
        b.close()


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
    assert bs.number(english["Open pipeline"]) == bs.number(filtered["在手管道金额"])
    bs.assert_no_exception(page)
    bs.screenshot(page, "1-weekly-review-east-A_en")

    bs.pick_radio(page, "unit", "元")  # amounts in 元: ten thousand times the 万 figure
    assert params(page).get("unit") == ["元"], page.url
    in_yuan = bs.metrics(page)["Open pipeline"]
    assert abs(bs.number(in_yuan) - bs.number(english["Open pipeline"]) * 10_000) <= 10_000 / 2, in_yuan
    bs.screenshot(page, "1-weekly-review-east-A-yuan_en")

    # A link kept as /weekly (the page's name) opens the review with its filters.
    page.goto(server.url + "/weekly?region=华东&grade=A&lang=English", wait_until="domcontentloaded")
    bs.settle(page)
    assert bs.title(page) == "Weekly review"
    assert params(page).get("region") == ["华东"] and params(page).get("grade") == ["A"], page.url
    assert bs.metrics(page)["Open projects"] == english["Open projects"]
    bs.assert_no_exception(page)


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
    """Two new weeks after the seeds: 2026-11-30 as the office's XLSX ledger (5 signed, 3
    lost), 2026-12-07 as the ledger saved as a GB18030 CSV (4 more signed, 2 more lost),
    and a broken copy of the CSV (a 13th month in data row 7 = file line 8)."""
    folder = tmp_path_factory.mktemp("exports")
    seed = bs.read_ledger(bs.SEEDS / f"{LATEST_SEED.isoformat()}_ledger.xlsx")
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


# --------------------------------------------------------------------------- 2. next week's exports


def test_next_weeks_xlsx_and_gb18030_csv_are_checked_imported_and_change_the_weekly_review(page, server, exports):
    bs.open_app(page, server.url + "/")
    assert page.locator(".st-key-as_of input").input_value() == LATEST_SEED.isoformat()
    open_before = bs.number(bs.metrics(page)["在跟项目数"])

    bs.open_app(page, server.url + "/data")
    upload(page, exports["xlsx"], exports["csv"])
    assert sum(a.startswith("可以导入：接受 1,783 行，跳过 0 行") for a in alerts(page)) == 2, alerts(page)
    facts = [dict(bs.grid_rows(bs.grid_with_header(page.locator(f".st-key-data_file_{i}"), "指标"))[1:]) for i in (0, 1)]
    assert facts[0]["工作表"] == "项目台账" and facts[0]["快照日期"] == WEEK_1.isoformat(), facts[0]
    assert facts[1]["编码"] == "gb18030" and facts[1]["快照日期"] == WEEK_2.isoformat(), facts[1]
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-upload-report_zh")

    page.locator(".st-key-data_commit button").click()
    page.get_by_text("已导入 2 个文件").wait_for()
    bs.settle(page)
    history = bs.grid_rows(bs.grid_with_header(page, "文件"))
    names = {c for r in history[1:] for c in r}
    assert {exports["xlsx"].name, exports["csv"].name} <= names, history[:3]
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-imported_zh")
    # The same session moved to the newest imported week: sidebar and weekly review, no reload.
    assert page.locator(".st-key-as_of input").input_value() == WEEK_2.isoformat()
    page.locator('[data-testid="stSidebarNav"] a', has_text="周例会").click()
    page.locator('[data-testid="stMain"] h1', has_text="周例会").wait_for()
    bs.settle(page)
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert WEEK_2.isoformat() in caption, caption
    assert params(page).get("as_of") in (None, [WEEK_2.isoformat()]), page.url  # a reload keeps it

    bs.open_app(page, server.url + "/")  # the newest week is the default
    assert page.locator(".st-key-as_of input").input_value() == WEEK_2.isoformat()
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert WEEK_2.isoformat() in caption and WEEK_1.isoformat() in caption, caption
    now = bs.metrics(page)
    assert (now["本周赢单"], now["本周丢单/放弃"]) == ("4", "2"), now
    assert bs.number(now["在跟项目数"]) == open_before - 5 - 3 - 4 - 2, now
    bs.screenshot(page, "2-weekly-review-after-import_zh")

    bs.pick_in_selectbox(page, "as_of", WEEK_1.isoformat())
    assert params(page).get("as_of") == [WEEK_1.isoformat()], page.url
    week1 = bs.metrics(page)
    assert (week1["本周赢单"], week1["本周丢单/放弃"]) == ("5", "3"), week1
    assert bs.number(week1["在跟项目数"]) == open_before - 5 - 3, week1
    bs.pick_radio(page, "lang", "English")
    assert bs.metrics(page)["Won"] == "5"
    bs.assert_no_exception(page)
    bs.screenshot(page, "2-weekly-review-2026-11-30_en")
