"""Issue 13 in a real browser: the sales office uploads a visit report and a receivables
ledger on the Data page, and the weekly review's visit and collection alerts change.

The server runs on a database holding the company's own ledger (as of 2026-11-30) and the
visit reports of tests/test_visits_queries.py: P1 (A) last visited 20 days ago and P3 (B)
never are the two A/B projects without a recent visit. The upload adds a visit to P3, and a
receivables ledger in 万元 with an invoice 11 days and one 121 days past its agreed date.
Screenshots (zh and en) go to artifacts/screenshots/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_support as bs  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not bs.CHROMIUM.exists(), reason=f"Debian chromium not installed at {bs.CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dashboard.ingest import commit, prepare
    from tests.test_visits_queries import LEDGER, VISITS

    folder = tmp_path_factory.mktemp("browser-visits")
    db = folder / "pipeline.duckdb"
    commit(db, [prepare("台账_2026-11-30.csv", LEDGER.encode())])
    commit(db, [prepare("拜访记录.csv", VISITS.encode())])
    with bs.serving(db) as app:
        yield app


def _upload_and_commit(page, url: str, path: Path, done: str) -> None:
    bs.open_app(page, url + "/data")
    field = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    field.wait_for(state="attached")
    field.set_input_files([str(path)])
    page.locator(".st-key-data_file_0").wait_for()
    bs.settle(page)
    page.locator(".st-key-data_commit button").click()
    page.get_by_text(done).first.wait_for()
    bs.settle(page)


def test_uploading_a_visit_report_and_a_receivables_ledger_changes_the_weekly_alerts(browser, server, tmp_path):
    from tests.test_collections import _ledger_xlsx

    page = browser.new_context(viewport=bs.VIEWPORT, locale="zh-CN").new_page()
    page.set_default_timeout(bs.TIMEOUT_MS)
    bs.open_app(page, server.url + "/")
    before = bs.metrics(page)
    assert before["A/B 项目未拜访"] == "2", before
    assert "逾期应收" not in before  # no receivables file yet: no collection figures
    bs.screenshot(page, "13-weekly-before-upload_zh")

    visit = tmp_path / "销售日报-王强.csv"  # 王强 visits 国家能源 (P3, B grade) on 27 Nov
    visit.write_bytes("日期,销售人员,区域,客户名称,项目编号,拜访目的,客户类别,预定再访时间\n"
                      "2026-11-27,王强,华北,国家能源,P3,服务,原有,2026-12-04\n".encode("gb18030"))
    _upload_and_commit(page, server.url, visit, "已导入 1 个文件")
    assert "按项目编号匹配 1 条" in bs.main_text(page)  # the commit says how the visit matched
    bs.screenshot(page, "13-visit-report-imported_zh")

    ledger = _ledger_xlsx(tmp_path / "应收账款台账.xlsx")
    _upload_and_commit(page, server.url, ledger, "已导入 1 个文件")

    bs.open_app(page, server.url + "/")
    after = bs.metrics(page)
    assert after["A/B 项目未拜访"] == "1", after  # P3 was visited; P1 still waits
    assert after["逾期应收"] == "80.0 万元" and after["赢单未回款"] == "0", after
    bs.assert_no_exception(page)
    bs.screenshot(page, "13-weekly-after-upload_zh")

    bs.open_app(page, server.url + "/visits?lang=en")
    assert bs.title(page) == "Visits & collections"
    figures = bs.metrics(page)
    assert figures["Overdue"] == "¥0.80M" and figures["Over 90 days"] == "¥0.50M", figures
    bs.assert_no_exception(page)
    bs.screenshot(page, "13-visits-collections_en")
    bs.open_app(page, server.url + "/visits")
    bs.assert_no_exception(page)
    bs.screenshot(page, "13-visits-collections_zh")
    page.context.close()
