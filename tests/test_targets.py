"""Targets (issue 12): a targets export read like every export (万元, a 合计 row, periods,
refusals naming row and column), written to a real DuckDB file (replacement per year,
regional scope, removal), and attainment / gap / run rate worked out by hand across a
quarter boundary."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import queries
from dashboard import cli, store
from dashboard.ingest import IngestRefused, ScopeRefused, commit, prepare, remove_import
from dashboard.ingest.targets import parse_month, parse_period, parse_quarter
from test_ingest_commit import _rows, _sha  # the file's bytes and a read-only query, as the commit tests read them

AS_OF = date(2026, 10, 5)  # a Monday

# Won: P1 signed 2026-09-30 (Q3, September), P2 on 2026-10-01 (Q4, October), both 华东;
# P4 in 华南 on 2026-10-02 (华南 has no target). P3 open.
LEDGER = (
    "项目编号,项目名称,区域,负责人,当前阶段,状态,预计签约金额,合同金额,签约日期\n"
    "P1,园区,华东,张三,工程实施,赢单,900000,1000000,2026-09-30\n"
    "P2,机房,华东,李四,工程实施,赢单,2000000,,2026-10-01\n"
    "P3,调度,华东,张三,商务谈判,进行中,3000000,,\n"
    "P4,港口,华南,王五,工程实施,赢单,500000,500000,2026-10-02\n"
).encode()

# In 万元 (a title note and the header say so), with a 合计 row that must not be counted.
TARGETS_2026 = (
    "2026年度销售目标\n"
    "单位：万元\n"
    "区域,负责人,年度,季度,月份,目标金额(万元)\n"
    "华东,,2026,Q3,,200\n"
    "华东,,2026,Q4,,400\n"
    "华东,,2026,,10,100\n"
    "华东,,2026,,11,150\n"
    "华东,,2026,,12,150\n"
    "华东,张三,2026,第四季度,,120\n"
    "合计,,2026,,,1000\n"
).encode()


def _targets(db: Path, *, by: str | None = None, allowed=queries.ALL_REGIONS, **filters) -> list[dict]:
    con = store.connect_read_only(db)
    try:
        extra = {"by": by} if by else {}
        df = queries.run(con, "targets", queries.Filters(as_of=AS_OF, allowed_regions=allowed, **filters), **extra)
    finally:
        con.close()
    return df.to_dicts()


def _row(rows: list[dict], level: str, period: str, region: str | None = None, owner: str | None = None) -> dict:
    found = [r for r in rows if r["level"] == level and r["period"] == period and r["region"] == region
             and r["owner"] == owner]
    assert len(found) == 1, (level, period, region, owner, rows)
    return found[0]


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "pipeline.duckdb"
    commit(path, [prepare("台账_2026-10-05.csv", LEDGER)])
    return path


def _errors(p) -> list[tuple[str, int | None, str | None]]:
    return [(e.code, e.row, e.column) for e in p.report.errors]


# --------------------------------------------------------------------------- reading
def test_a_targets_file_in_wan_yuan_with_a_total_row_is_read_in_yuan_and_the_total_is_not_counted():
    p = prepare("目标.csv", TARGETS_2026)
    assert p.ok, p.messages("en")
    assert p.report.kind == "targets" and p.report.target_years == [2026]
    t = p.tables["targets"]
    assert t.height == 6  # the 合计 row is dropped, counted as skipped
    assert p.report.rows_skipped == 1 and p.report.rows_accepted == 6
    assert p.report.skipped == {"totals row (合计/Total) / 合计行": 1}
    assert sum(t.get_column("target_amount").to_list()) == Decimal("11200000.00")  # 200+400+100+150+150+120 万, not +1000
    q4 = t.filter((t["period_kind"] == "quarter") & (t["period_start"] == date(2026, 10, 1)) & t["owner"].is_null())
    assert q4.get_column("target_amount").to_list() == [Decimal("4000000.00")]
    assert q4.get_column("period_end").to_list() == [date(2026, 12, 31)]
    assert p.report.as_of is None  # a targets file is not a snapshot


def test_a_total_row_named_in_the_owner_column_is_dropped_with_a_note_naming_its_row():
    # (a total word in the first three columns is dropped before, like a ledger's: counted as skipped)
    data = "区域,年度,季度,负责人,目标金额\n华东,2026,Q4,张三,100\n华东,2026,Q4,李四,200\n华东,2026,Q4,小计,300\n".encode()
    p = prepare("t.csv", data)
    assert p.ok and p.tables["targets"].height == 2
    note = [w for w in p.report.warnings if w.code == "target_total_dropped"]
    assert note and note[0].row == 4 and "row 4" in note[0].text("en")


@pytest.mark.parametrize("text,expected", [("2026-Q4", (2026, "quarter", 4)), ("2026年第四季度", (2026, "quarter", 4)),
                                           ("Q3 2026", (2026, "quarter", 3)), ("2026-11", (2026, "month", 11)),
                                           ("2026年11月", (2026, "month", 11)), ("Q4", None), ("11", None)])
def test_a_period_column_needs_its_year(text, expected):
    assert parse_period(text) == expected


def test_months_and_quarters_are_read_in_the_forms_real_files_use():
    assert parse_month("十一月") == (None, 11) and parse_month("11月") == (None, 11) and parse_month("2026/9") == (2026, 9)
    assert parse_quarter("第4季度") == (None, 4) and parse_quarter("四季度") == (None, 4) and parse_quarter("q2") == (None, 2)
    assert parse_month("13") is None and parse_quarter("Q5") is None
    # 2026.1 may be October typed as the number 2026.10: refused, never read as January
    assert parse_month("2026.1") is None and parse_month("2026.10") == (2026, 10) and parse_month("2026.01") == (2026, 1)


def test_an_excel_targets_workbook_with_a_notes_sheet_a_title_unit_note_numbers_and_a_total_row(tmp_path):
    import xlsxwriter

    path = tmp_path / "2026年目标.xlsx"
    wb = xlsxwriter.Workbook(path)
    notes = wb.add_worksheet("填写说明")
    notes.write(0, 0, "每个区域每季度一行；金额单位：万元")
    ws = wb.add_worksheet("目标")
    ws.merge_range(0, 0, 0, 4, "2026年度区域销售目标")
    ws.write(1, 0, "单位：万元")
    ws.write_row(2, 0, ["区域", "负责人", "年度", "季度", "目标金额"])
    ws.write_row(3, 0, ["华东", "", 2026, "第三季度"])
    ws.write_number(3, 4, 1234.5)  # a number cell: 1,234.5 万元
    ws.write_row(4, 0, ["华南", "", 2026, "Q4"])
    ws.write_number(4, 4, 800)
    ws.write_row(5, 0, ["合计", "", 2026, ""])
    ws.write_number(5, 4, 2034.5)
    wb.close()
    p = prepare(path.name, path.read_bytes())
    assert p.ok, p.messages("en")
    assert p.report.sheet == "目标" and p.report.rows_skipped == 1
    assert p.tables["targets"].select("region", "period_kind", "target_amount").rows() == [
        ("华东", "quarter", Decimal("12345000.00")), ("华南", "quarter", Decimal("8000000.00"))]


def test_a_file_with_a_period_column_and_english_headers_is_read():
    data = b"Region,Owner,Period,Target\nEast,,2026-Q4,1500000\nEast,,2027-01,500000\n"
    p = prepare("targets.csv", data)
    assert p.ok, p.messages("en")
    assert p.tables["targets"].select("period_kind", "target_amount").rows() == [
        ("quarter", Decimal("1500000.00")), ("month", Decimal("500000.00"))]


def test_a_project_ledger_with_a_month_column_stays_a_project_export():
    data = "项目编号,项目名称,区域,月份,预计签约金额\nP1,园区,华东,11,100\n".encode()
    p = prepare("台账_2026-10-05.csv", data)
    assert p.ok and p.report.kind == "projects" and "月份" in p.report.ignored_columns


def test_a_bad_targets_file_names_row_column_and_what_was_expected():
    data = ("区域,年度,季度,月份,目标金额(万元)\n"
            "华东,2026,Q5,,100\n"            # row 2: no such quarter
            ",2026,Q4,,100\n"                # row 3: no region
            "华南,2026,Q4,,abc\n"            # row 4: not an amount
            "华北,2026,Q4,,100\n"
            "华北,2026,Q4,,120\n"            # row 6: the same target again
            "西南,2026,,,300\n"              # row 7: a year without a month or quarter
            "华中,2026,Q4,,0\n").encode()    # row 8: not above 0
    p = prepare("坏目标.csv", data)
    assert not p.ok
    errors = _errors(p)
    assert ("bad_period", 2, "季度") in errors
    assert ("missing_region", 3, "区域") in errors
    assert ("bad_amount", 4, "目标金额(万元)") in errors
    assert ("bad_period", 7, "月份") in errors
    assert ("bad_target", 8, "目标金额(万元)") in errors
    dup = [e for e in p.report.errors if e.code == "duplicate_target"]
    assert len(dup) == 1 and "rows 5, 6" in dup[0].text("en") and "第 5、6 行" in dup[0].text("zh")
    bad = next(e for e in p.report.errors if e.code == "bad_period" and e.row == 2)
    assert "row 2" in bad.text("en") and "column '季度'" in bad.text("en") and "expected:" in bad.text("en")


def test_a_month_and_a_quarter_target_that_disagree_are_refused_naming_both():
    data = ("区域,年度,季度,月份,目标金额(万元)\n华东,2026,Q4,,400\n华东,2026,,10,100\n华东,2026,,11,100\n"
            "华东,2026,,12,150\n").encode()
    p = prepare("t.csv", data)
    overlap = [e for e in p.report.errors if e.code == "target_overlap"]
    assert len(overlap) == 1
    text = overlap[0].text("en")
    assert "2026-Q4" in text and "rows 2, 3, 4, 5" in text and "do not agree" in text and "3,500,000.00 yuan" in text
    assert "350.00 万元" in overlap[0].text("zh")


def test_a_quarter_with_only_some_of_its_months_is_refused_as_uncheckable():
    data = "区域,年度,季度,月份,目标金额\n华东,2026,Q4,,400\n华东,2026,,10,100\n".encode()
    p = prepare("t.csv", data)
    assert [e.code for e in p.report.errors] == ["target_overlap"]
    assert "cannot be checked" in p.report.errors[0].text("en")


def test_owner_targets_without_a_region_target_are_flagged():
    data = "区域,负责人,年度,季度,目标金额\n华东,张三,2026,Q4,100\n".encode()
    p = prepare("t.csv", data)
    assert p.ok and [w.code for w in p.report.warnings] == ["region_target_missing"]


# --------------------------------------------------------------------------- attainment
def test_attainment_across_a_quarter_boundary_worked_out_by_hand(db):
    [result] = commit(db, [prepare("目标.csv", TARGETS_2026)])
    assert result.kind == "targets" and result.outcome == "added" and result.rows_added == 6
    rows = _targets(db)
    q3 = _row(rows, "region", "2026-Q3", "华东")  # P1 signed 2026-09-30 counts here
    assert (q3["target_amount"], q3["won"], q3["n_won"]) == (Decimal("2000000.00"), Decimal("1000000.00"), 1)
    assert q3["attainment"] == pytest.approx(0.5) and q3["gap"] == Decimal("1000000.00")
    assert q3["is_complete"] and not q3["is_current"] and q3["working_days_left"] == 0 and q3["run_rate_per_day"] is None
    q4 = _row(rows, "region", "2026-Q4", "华东")  # P2 signed 2026-10-01 counts here, not P1
    assert (q4["target_amount"], q4["won"], q4["n_won"]) == (Decimal("4000000.00"), Decimal("2000000.00"), 1)
    assert q4["attainment"] == pytest.approx(0.5) and q4["gap"] == Decimal("2000000.00")
    # 2026-10-06 .. 2026-12-31: 63 weekdays (no holidays)
    assert q4["working_days_left"] == 63
    assert q4["run_rate_per_day"] == pytest.approx(2000000 / 63)
    assert q4["run_rate_per_week"] == pytest.approx(2000000 * 5 / 63)
    oct_ = _row(rows, "region", "2026-10", "华东")  # won 2,000,000 (contract amount empty: expected) of 1,000,000
    assert oct_["attainment"] == pytest.approx(2.0) and oct_["gap"] == Decimal("-1000000.00")
    assert oct_["working_days_left"] == 19 and oct_["run_rate_per_day"] is None  # target met: no run rate
    # September had no month target: no row (it is not the current month)
    assert not [r for r in rows if r["period"] == "2026-09"]
    # 华南 won 500,000 but has no target: "no target", never 0 %; left out of the total
    south = _row(rows, "region", "2026-Q4", "华南")
    assert south["target_amount"] is None and south["attainment"] is None and south["won"] == Decimal("500000.00")
    total = _row(rows, "total", "2026-Q4")
    assert total["target_amount"] == Decimal("4000000.00") and total["won"] == Decimal("2000000.00")
    assert total["n_regions_without_target"] == 1


def test_owner_attainment_uses_only_the_owners_own_wins(db):
    commit(db, [prepare("目标.csv", TARGETS_2026)])
    rows = _targets(db, by="owner")
    zhang = _row(rows, "owner", "2026-Q4", "华东", "张三")
    assert zhang["target_amount"] == Decimal("1200000.00") and zhang["won"] == Decimal("0.00") and zhang["attainment"] == 0.0
    li = _row(rows, "owner", "2026-Q4", "华东", "李四")  # won 2,000,000, no owner target
    assert li["target_amount"] is None and li["attainment"] is None
    assert all(r["level"] == "owner" for r in rows)  # no total over owners
    con = store.connect_read_only(db)
    try:
        owners = queries.run(con, "owners", queries.Filters(as_of=AS_OF, allowed_regions=queries.ALL_REGIONS))
    finally:
        con.close()
    z = owners.filter(owners["owner"] == "张三").to_dicts()[0]
    assert z["quarter_target"] == Decimal("1200000.00") and z["quarter_attainment"] == 0.0 and z["month_target"] is None


def test_a_region_the_caller_may_not_see_is_not_in_the_attainment(db):
    commit(db, [prepare("目标.csv", TARGETS_2026)])
    rows = _targets(db, allowed=("华南",))
    assert {r["region"] for r in rows if r["level"] == "region"} == {"华南"}
    assert _row(rows, "total", "2026-Q4")["target_amount"] is None
    assert _targets(db, allowed=()) == []


def test_the_grade_is_not_a_target_level(db):
    con = store.connect_read_only(db)
    try:
        with pytest.raises(ValueError, match="no grade"):
            queries.run(con, "targets", queries.Filters(as_of=AS_OF, allowed_regions=queries.ALL_REGIONS), by="grade")
    finally:
        con.close()


# --------------------------------------------------------------------------- writing
def test_a_new_file_for_a_year_replaces_that_years_targets_and_leaves_other_years(db):
    first = commit(db, [prepare("2026.csv", "区域,期间,目标金额\n华东,2026-Q4,400\n华南,2026-Q4,100\n".encode())])[0]
    other = commit(db, [prepare("2027.csv", "区域,期间,目标金额\n华东,2027-Q1,500\n".encode())])[0]
    [again] = commit(db, [prepare("2026b.csv", "区域,期间,目标金额\n华东,2026-Q4,450\n华北,2026-Q4,300\n".encode())])
    assert again.outcome == "replaced" and again.replaced_import_ids == [first.import_id]
    assert (again.rows_added, again.rows_removed, again.rows_changed, again.rows_unchanged) == (1, 1, 1, 0)
    assert "replaced the active 2026 targets" in again.message("en") and "替换了" in again.message("zh")
    assert "华北" in again.message("en")  # a region no snapshot knows is flagged
    assert _rows(db, "select region, year, target_amount from targets order by year, region") == [
        ("华东", 2026, Decimal("450.00")), ("华北", 2026, Decimal("300.00")), ("华东", 2027, Decimal("500.00"))]
    status = dict(_rows(db, "select import_id, status from imports"))
    assert status[first.import_id] == "replaced" and status[other.import_id] == "active"
    audit = _rows(db, "select action, detail from audit_log where import_id = $i", {"i": again.import_id})
    assert audit[0][0] == "import" and json.loads(audit[0][1])["years"] == [2026]


def test_the_same_targets_file_twice_changes_nothing(db):
    p = prepare("目标.csv", TARGETS_2026)
    commit(db, [p])
    before = _sha(db)
    [again] = commit(db, [p])
    assert again.outcome == "unchanged" and _sha(db) == before


def test_the_same_file_again_restores_the_targets_a_later_file_took_from_it(db):
    both = prepare("两年.csv", "区域,期间,目标金额\n华东,2026-Q4,400\n华东,2027-Q1,500\n".encode())
    [first] = commit(db, [both])
    commit(db, [prepare("2026.csv", "区域,期间,目标金额\n华东,2026-Q4,450\n".encode())])
    assert _rows(db, "select status from imports where import_id = $i", {"i": first.import_id}) == [("active",)]  # still holds 2027
    [again] = commit(db, [both])  # not "unchanged": its 2026 target had gone
    assert again.outcome == "replaced" and again.rows_changed == 1
    assert _rows(db, "select year, target_amount from targets order by year") == [
        (2026, Decimal("400.00")), (2027, Decimal("500.00"))]


def test_a_regional_importer_cannot_import_targets_of_another_region_and_nothing_is_written(db):
    commit(db, [prepare("目标.csv", TARGETS_2026)])
    before = _sha(db)
    p = prepare("华东目标.csv", "区域,期间,目标金额\n华东,2026-Q4,500\n华南,2026-Q4,100\n".encode())
    with pytest.raises(ScopeRefused) as refused:
        commit(db, [p], regions=("华东",))
    assert "row 3 (华南)" in refused.value.message("en") and "华南" in refused.value.message("zh")
    assert _sha(db) == before


def test_a_regional_importer_replaces_only_their_regions_targets_of_the_year(db):
    commit(db, [prepare("全公司.csv", "区域,期间,目标金额\n华东,2026-Q4,400\n华南,2026-Q4,100\n".encode())])
    [r] = commit(db, [prepare("华东.csv", "区域,期间,目标金额\n华东,2026-Q4,420\n".encode())], regions=("华东",))
    assert r.rows_changed == 1 and "of 华东" in r.message("en")
    assert _rows(db, "select region, target_amount from targets order by region") == [
        ("华东", Decimal("420.00")), ("华南", Decimal("100.00"))]
    # the company-wide import still holds 华南's target: it stays active
    assert _rows(db, "select status from imports where kind = 'targets' order by import_id") == [("active",), ("active",)]


def test_a_refused_targets_file_leaves_earlier_data_intact(db):
    commit(db, [prepare("目标.csv", TARGETS_2026)])
    before = _sha(db)
    bad = prepare("坏.csv", "区域,期间,目标金额\n华东,2026-Q4,450\n华东,2026-Q4,450\n".encode())
    with pytest.raises(IngestRefused):
        commit(db, [bad])
    assert _sha(db) == before
    assert _row(_targets(db), "region", "2026-Q4", "华东")["target_amount"] == Decimal("4000000.00")


def test_removing_a_targets_import_removes_its_targets(db):
    [r] = commit(db, [prepare("目标.csv", TARGETS_2026)])
    remove_import(db, r.import_id)
    assert _rows(db, "select count(*) from targets") == [(0,)]
    assert _row(_targets(db), "region", "2026-Q4", "华东")["target_amount"] is None


def test_dashboard_query_targets_prints_json_and_csv(db, capsys, tmp_path):
    f = tmp_path / "目标.csv"
    f.write_bytes(TARGETS_2026)
    assert cli.main(["ingest", str(f), "--db", str(db)]) == 0
    assert "2026" in capsys.readouterr().out
    assert cli.main(["query", "targets", "--db", str(db), "--as-of", "2026-10-05", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["period"] for r in rows if r["region"] == "华东"} == {"2026-Q3", "2026-Q4", "2026-10"}
    assert cli.main(["query", "targets", "--db", str(db), "--by", "owner", "--format", "csv"]) == 0
    assert "张三" in capsys.readouterr().out
