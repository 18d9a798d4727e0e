"""Targets in a real browser (issue 12): the sales office uploads a targets file on the Data
page and the weekly review's attainment changes from "No target" to the share of the
quarter's target already won — Debian Chromium (Playwright) against `streamlit run` on its
own database (two of the seed ledgers imported as the company's own, not as demo data, so
the upload keeps them). Screenshots in zh and en go to artifacts/screenshots/.
Run only these: `python -m pytest -m browser tests/test_browser_targets.py`.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_support as bs  # noqa: E402
from test_browser import pytestmark  # noqa: E402,F401  (the same marks)

AS_OF = date(2026, 11, 23)


@pytest.fixture
def server(tmp_path):
    from dashboard import ingest

    db = tmp_path / "pipeline.duckdb"
    files = [bs.SEEDS / "2026-11-16_crm-export.csv", bs.SEEDS / f"{AS_OF.isoformat()}_ledger.xlsx"]
    ingest.commit(db, [ingest.prepare(f.name, f.read_bytes()) for f in files])  # the company's own, not demo
    with bs.serving(db) as app:
        yield app


def _expected_quarter(db: Path, targets_by_region: dict[str, int]) -> float:
    """Won this quarter in the regions with a target ÷ their targets, from the snapshot's
    projects (won, entered delivery from 2026-10-01 to the as-of date; contract amount, else
    expected amount) — read with plain SQL on the stored facts, not through the page."""
    from dashboard import store

    con = store.connect_read_only(db)
    try:
        won = con.execute(
            "select coalesce(sum(coalesce(contract_amount, expected_amount, 0)), 0) from project_facts "
            "where as_of = $a and outcome = 'won' and closed_on between date '2026-10-01' and $a "
            "and list_contains($r, region)", {"a": AS_OF, "r": list(targets_by_region)}).fetchall()[0][0]
    finally:
        con.close()
    return float(won) / (sum(targets_by_region.values()) * 10_000)


def test_uploading_a_targets_file_on_the_data_page_changes_attainment_on_the_weekly_review(browser, server, tmp_path):
    page = browser.new_context(viewport=bs.VIEWPORT, locale="zh-CN").new_page()
    page.set_default_timeout(bs.TIMEOUT_MS)
    bs.open_app(page, server.url + "/")
    before = bs.metrics(page)
    assert before["本季度目标达成"] == "无目标", before
    bs.screenshot(page, "targets-1-weekly-no-target_zh")

    # the office's targets file: 万元, a month and its quarter, a 合计 row that must not count
    from dashboard import store

    con = store.connect_read_only(server.db_path)
    try:
        regions = [r[0] for r in con.execute(
            "select distinct region from project_facts where as_of = $a and region is not null order by 1",
            {"a": AS_OF}).fetchall()]
    finally:
        con.close()
    assert len(regions) >= 3
    quarter = {r: 3000 + 500 * i for i, r in enumerate(regions[:-1])}  # the last region gets no target
    lines = ["2026年销售目标", "区域,年度,季度,月份,目标金额(万元)"]
    lines += [f"{r},2026,Q4,,{v}" for r, v in quarter.items()]
    lines += ["合计,2026,Q4,," + str(sum(quarter.values()))]
    path = tmp_path / "2026年目标.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    bs.open_app(page, server.url + "/data")
    field = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    field.wait_for(state="attached")
    field.set_input_files(str(path))
    page.locator(".st-key-data_file_0").wait_for()
    bs.settle(page)
    assert "2026 年，替换这些年份的目标" in page.locator(".st-key-data_file_0").inner_text()  # said before the import
    facts = dict(bs.grid_rows(bs.grid_with_header(page.locator(".st-key-data_file_0"), "指标"))[1:])
    assert facts["跳过行数"] == "1" and facts["接受行数"] == str(len(quarter)), facts  # the 合计 row is not a target
    bs.assert_no_exception(page)
    bs.screenshot(page, "targets-2-report_zh")
    page.locator(".st-key-data_commit button").click()
    page.get_by_text("此前没有2026 年的目标").wait_for()  # the result says what it replaced (nothing yet)
    bs.settle(page)
    bs.screenshot(page, "targets-3-imported_zh")

    bs.open_app(page, server.url + "/")
    after = bs.metrics(page)
    expected = _expected_quarter(server.db_path, quarter)
    assert after["本季度目标达成"] == f"{expected * 100:.1f}%", (after, expected)
    assert {k: v for k, v in after.items() if k != "本季度目标达成"} == {
        k: v for k, v in before.items() if k != "本季度目标达成"}  # the projects' figures did not move
    page.locator(".st-key-weekly_drill").get_by_text("本季度目标达成").click()
    bs.settle(page)
    rows = bs.grid_rows(bs.grid_with_header(page, "达成率"))
    header = rows[0]
    by_region = {r[header.index("区域")]: r for r in rows[1:]
                 if len(r) == len(header) and r[header.index("期间")] == "2026-Q4"}
    assert by_region[regions[-1]][header.index("达成率")] == "无目标", rows  # never 0 %
    assert by_region["合计"][header.index("达成率")] == f"{expected * 100:.1f}%", rows
    bs.assert_no_exception(page)
    bs.screenshot(page, "targets-4-weekly-attainment_zh")

    bs.pick_radio(page, "lang", "English")
    english = bs.metrics(page)
    assert english["Quarter attainment"] == f"{expected * 100:.1f}%", english
    bs.assert_no_exception(page)
    bs.screenshot(page, "targets-4-weekly-attainment_en")
