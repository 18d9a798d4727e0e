"""The margin checks as data (queries/checks.py): one registry row per check, one struct
per check in margin.sql, texts built from the registry's templates only."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import polars as pl
from test_queries_helpers import load

import queries
from dashboard import i18n, store
from dashboard.config import Thresholds
from queries import ALL_REGIONS, Filters, checks
from queries.runner import sql_text


def test_each_check_is_one_struct_in_the_sql_and_one_row_in_the_registry():
    sql = sql_text("margin")
    in_sql = re.findall(r"\{code: '(\w+)', failed: ", sql)
    assert in_sql == [c.code for c in checks.MARGIN_CHECKS]
    for c in checks.MARGIN_CHECKS:
        assert sql.count(f"'{c.code}'") == 1, c.code  # named once: no severity, order or text in SQL
    assert "printf" not in sql and "format(" not in sql


def test_every_threshold_key_a_check_names_is_configured():
    fields = {f.name for f in dataclasses.fields(Thresholds)}
    for c in checks.MARGIN_CHECKS:
        assert set(c.thresholds) <= fields, c.code
        assert c.severity in i18n.SEVERITY_NAMES, c.code
        assert i18n.check_label(c.code, "zh") == c.label_zh and i18n.check_label(c.code, "en") == c.label_en


def test_templates_name_only_columns_of_the_margin_query():
    con = store.connect_memory()
    columns = set(queries.run(con, "margin", Filters(allowed_regions=ALL_REGIONS)).columns)
    for c in checks.MARGIN_CHECKS:
        for lang in ("zh", "en"):
            named = set(re.findall(r"\{(\w+):", c.detail(lang)))
            assert named <= columns, (c.code, lang, named - columns)
            assert "{" not in re.sub(r"\{\w+:(pct|pts|date)\}", "", c.detail(lang)), (c.code, lang)


def test_severity_order_and_words_come_from_the_registry(monkeypatch):
    con = store.connect_memory()
    load(con, [dict(as_of="2026-03-09", project_id="P", stage="proposal", customer_grade="B",
                    expected_amount=100, estimated_margin=-0.05)])
    f = Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 9))
    got = queries.run(con, "margin", f)
    assert got.select("check", "severity").rows() == [("negative_margin", "high"), ("below_floor", "medium")]
    assert got["detail"].to_list() == ["margin -5.0% is negative", "margin -5.0% < floor 15.0%"]
    assert got.columns[:6] == ["project_id", "check", "severity", "value", "threshold", "detail"]
    zh = i18n.check_details(got, "zh").to_list()
    assert zh == ["毛利率 -5.0% 为负", "毛利率 -5.0% 低于底线 15.0%"]
    # the registry reordered and a severity changed: the same query follows it
    first, second, *rest = checks.MARGIN_CHECKS
    monkeypatch.setattr(checks, "MARGIN_CHECKS", (dataclasses.replace(second, severity="low"), first, *rest))
    again = queries.run(con, "margin", f)
    assert again.select("check", "severity").rows() == [("below_floor", "low"), ("negative_margin", "high")]
    assert pl.Series(again["value"]).to_list() == [-0.05, -0.05]


def test_an_eroded_margin_names_the_earliest_estimate_and_its_date_and_high_expense_the_median():
    # P: 30 % at 2026-03-02, 22 % at 2026-03-09 -> 8 points lost (limit 5). Q, R, S: grade B
    # peers with expense ratios 2 %, 4 %, 30 % -> median 4 %; factor 2 (domain.toml) -> threshold 8 %: S fails.
    con = store.connect_memory()
    rows = [dict(as_of="2026-03-02", project_id="P", stage="proposal", customer_grade="A",
                 expected_amount=100, estimated_margin=0.30),
            dict(as_of="2026-03-09", project_id="P", stage="proposal", customer_grade="A",
                 expected_amount=100, estimated_margin=0.22)]
    rows += [dict(as_of="2026-03-09", project_id=pid, stage="proposal", customer_grade="B", expected_amount=100,
                  estimated_margin=0.40, expense_actual=expense) for pid, expense in (("Q", 2), ("R", 4), ("S", 30))]
    load(con, rows)
    got = queries.run(con, "margin", Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 9)))
    eroded = got.filter(pl.col("check") == "eroded").row(0, named=True)
    assert (eroded["project_id"], eroded["reference"], eroded["reference_on"]) == ("P", 0.30, date(2026, 3, 2))
    assert eroded["detail"] == "margin 30.0% on 2026-03-02 -> 22.0% now: 8.0 points lost (limit 5.0)"
    assert i18n.check_details(got.filter(pl.col("check") == "eroded"), "zh").to_list() == [
        "毛利率由 2026-03-02 的 30.0% 降至 22.0%：下降 8.0 个百分点（阈值 5.0）"]
    expense = got.filter(pl.col("check") == "high_expense_ratio")
    assert expense["project_id"].to_list() == ["S"]
    assert expense["detail"].to_list() == ["sales expense 30.0% of amount > 8.0% (grade median 4.0% × factor)"]


def test_each_process_exception_is_named_once_in_its_sql_and_once_in_the_registry():
    sql = sql_text("process_exceptions")
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    for c in checks.PROCESS_CHECKS:
        assert body.count(f"'{c.code}'") == 1, c.code
        assert c.severity in i18n.SEVERITY_NAMES
        assert i18n.exception_label(c.code, "en") == c.label_en
        assert i18n.exception_detail(c.code, "tender", "zh") == c.detail("zh", "招投标")
    assert not re.search(r"'(high|medium|low|info)'", body)  # severities come from the registry


def test_process_exceptions_take_severity_and_order_from_the_registry(monkeypatch):
    con = store.connect_memory()
    load(con, [dict(as_of="2026-03-02", project_id="K", stage="delivery", status="won")],
         [("K", "development", "2026-01-05", "stage_dates"), ("K", "approval", "2026-02-10", "stage_dates"),
          ("K", "proposal", "2026-02-01", "stage_dates"), ("K", "delivery", "2026-02-20", "stage_dates")])
    f = Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 2))
    got = queries.run(con, "process_exceptions", f)
    assert got.select("exception", "severity").rows() == [
        ("skipped_stage", "medium"), ("skipped_stage", "medium"), ("out_of_order_dates", "medium"),
        ("contract_without_tender", "high")]
    reordered = (checks.PROCESS_BY_CODE["contract_without_tender"],
                 dataclasses.replace(checks.PROCESS_BY_CODE["out_of_order_dates"], severity="info"),
                 *(c for c in checks.PROCESS_CHECKS if c.code not in ("contract_without_tender", "out_of_order_dates")))
    monkeypatch.setattr(checks, "PROCESS_CHECKS", reordered)
    again = queries.run(con, "process_exceptions", f)
    assert again.select("exception", "severity").rows()[:2] == [
        ("contract_without_tender", "high"), ("out_of_order_dates", "info")]
