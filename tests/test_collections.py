"""Collections (issue 13): a receivables ledger in 万元 written as a workbook, read through the
real ingest path into a real DuckDB file, and the collection analyses with values worked out
by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

import queries
from dashboard import store
from dashboard.ingest import IngestRefused, ScopeRefused, commit, prepare, remove_import
from queries import Filters

AS_OF = date(2026, 11, 30)
LEDGER = """项目编号,项目名称,客户名称,客户等级,区域,负责人,当前阶段,状态,预计签约金额,签约日期
P5,配网,浙江能源,C,华东,张三,商务谈判,赢单,400,2026-07-01
P7,机房,南方电网,B,华南,李娜,商务谈判,赢单,300,2026-06-01
P8,储能,江苏电力,A,华东,张三,商务谈判,赢单,200,2026-10-15
P9,调度,国家能源,B,华北,王强,商务谈判,赢单,100,2026-05-01
"""
HEADER = ["项目编号", "合同金额", "开票金额", "开票日期", "约定回款日期", "回款金额", "回款日期", "应收余额"]
ROWS = [
    # P5: invoiced 100 万 on 20 Oct (due 19 Nov); 40 万 paid on 31 Oct, 30 万 on 2 Nov
    ["P5", 400, 100, "2026-10-20", "2026-11-19", 40, "2026-10-31", 60],
    ["P5", 400, 0, "", "", 30, "2026-11-02", -30],
    # P7: invoiced 50 万 on 2 Jul, due 1 Aug, nothing paid
    ["P7", 300, 50, "2026-07-02", "2026-08-01", 0, "", 50],
]


def _ledger_xlsx(path: Path, rows=ROWS) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("应收账款")
    ws.merge_range(0, 0, 0, 7, "应收账款台账（截至2026年11月30日）")
    ws.write(1, 0, "单位：万元")
    ws.write_row(2, 0, HEADER)
    for i, r in enumerate(rows):
        ws.write_row(3 + i, 0, r)
    ws.write_row(3 + len(rows), 0, ["合计", "", 150, "", "", 70, "", 80])
    wb.close()
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("money")
    db = d / "p.duckdb"
    commit(db, [prepare("台账_2026-11-30.csv", LEDGER.encode())])
    path = _ledger_xlsx(d / "应收账款.xlsx")
    p = prepare(path.name, path.read_bytes())
    assert p.ok, p.messages()
    assert (p.report.kind, p.report.as_of, p.report.rows_skipped) == ("collections", AS_OF, 1)  # the 合计 row
    commit(db, [p])
    return db


@pytest.fixture
def con(db):
    c = store.connect_read_only(db)
    yield c
    c.close()


def _run(con, name, as_of=AS_OF, regions=queries.ALL_REGIONS, **kw):
    return queries.run(con, name, Filters(as_of=as_of, allowed_regions=regions), **kw)


def test_a_ledger_in_wan_becomes_contract_invoice_and_payment_entries_in_yuan(con):
    got = con.execute("select project_id, entry, amount, on_date, due_on from money_entries order by project_id, entry, on_date").fetchall()
    assert got == [
        ("P5", "contract", Decimal("4000000.00"), None, None),
        ("P5", "invoice", Decimal("1000000.00"), date(2026, 10, 20), date(2026, 11, 19)),
        ("P5", "payment", Decimal("400000.00"), date(2026, 10, 31), None),
        ("P5", "payment", Decimal("300000.00"), date(2026, 11, 2), None),
        ("P7", "contract", Decimal("3000000.00"), None, None),
        ("P7", "invoice", Decimal("500000.00"), date(2026, 7, 2), date(2026, 8, 1)),
    ]


def test_a_receivable_partly_paid_across_a_month_boundary(con):
    # 31 Oct: 40 万 of the 100 万 paid, 60 万 left, due in 19 days
    oct_ = _run(con, "receivables", as_of=date(2026, 10, 31)).filter(project_id="P5").row(0, named=True)
    assert (oct_["outstanding_amount"], oct_["days_past_due"], oct_["receivable_bucket"]) == (Decimal("600000.00"), -19, "not_due")
    # 30 Nov: 30 万 more paid on 2 Nov, 30 万 left, 11 days past the agreed 19 Nov
    nov = _run(con, "receivables").filter(project_id="P5").row(0, named=True)
    assert (nov["outstanding_amount"], nov["days_past_due"], nov["receivable_bucket"]) == (Decimal("300000.00"), 11, "0-30")
    c = _run(con, "collections").filter(project_id="P5").row(0, named=True)
    assert (c["contract_amount"], c["invoiced_amount"], c["collected_amount"], c["receivable_amount"], c["overdue_amount"],
            c["uninvoiced_amount"], c["last_payment_on"]) == (
        Decimal("4000000.00"), Decimal("1000000.00"), Decimal("700000.00"), Decimal("300000.00"), Decimal("300000.00"),
        Decimal("3000000.00"), date(2026, 11, 2))
    assert c["collected_share"] == pytest.approx(0.175)
    line = _run(con, "project_money", project_id="P5")
    assert line.select("entry", "receivable_to_date").rows()[-1] == ("payment", Decimal("300000.00"))


def test_an_overdue_invoice_is_aged_and_summed_by_region(con):
    p7 = _run(con, "receivables").filter(project_id="P7").row(0, named=True)
    assert (p7["outstanding_amount"], p7["days_past_due"], p7["receivable_bucket"]) == (Decimal("500000.00"), 121, ">90")
    aging = _run(con, "receivables_aging", by="region")
    assert aging.select("segment", "receivable_bucket", "n_invoices", "outstanding_amount").rows() == [
        ("华东", "0-30", 1, Decimal("300000.00")), ("华南", ">90", 1, Decimal("500000.00"))]
    s = _run(con, "collections_summary").row(0, named=True)
    assert (s["receivable_amount"], s["overdue_amount"], s["over_90_amount"], s["n_overdue_projects"]) == (
        Decimal("800000.00"), Decimal("800000.00"), Decimal("500000.00"), 2)
    assert _run(con, "receivables", regions=("华东",))["project_id"].to_list() == ["P5"]


def test_won_projects_with_nothing_collected_after_90_days(con):
    # P9 won 1 May (213 days, no entries), P7 won 1 Jun (182 days, invoiced, nothing paid);
    # P5 paid, P8 won only 46 days ago
    won = _run(con, "won_uncollected")
    assert won.select("project_id", "days_since_won", "invoiced_amount").rows() == [
        ("P9", 213, Decimal("0.00")), ("P7", 182, Decimal("500000.00"))]


def test_a_ledger_whose_balance_does_not_add_up_is_refused_by_row(tmp_path):
    bad = [list(r) for r in ROWS]
    bad[2][7] = 45  # 50 invoiced − 0 collected is 50, not 45
    bad[1][1] = 410  # the same project's contract amount differs between rows
    path = _ledger_xlsx(tmp_path / "应收.xlsx", bad)
    p = prepare(path.name, path.read_bytes())
    assert not p.ok
    assert {(e.code, e.row) for e in p.report.errors} == {("balance_mismatch", 6), ("contract_differs", 4)}
    with pytest.raises(IngestRefused):
        commit(tmp_path / "x.duckdb", [p])


def test_a_dated_list_replaces_the_projects_money_and_a_regional_importer_stays_in_region(db, tmp_path):
    import shutil

    copy = tmp_path / "p.duckdb"
    shutil.copy(db, copy)
    listed = ("项目编号,类型,金额(万元),日期,约定回款日期\n"
              "P7,开票,50,2026-07-02,2026-08-01\n"
              "P7,回款,50,2026-11-20,\n").encode("gb18030")
    p = prepare("回款明细.csv", listed)
    assert p.ok and p.report.kind == "collections", p.messages()
    with pytest.raises(ScopeRefused):
        commit(copy, [p], regions=("华东",))  # P7 is 华南's
    (res,) = commit(copy, [p], regions=("华南",))
    assert (res.rows_added, res.rows_removed) == (2, 2)  # P7's contract and invoice from the ledger replaced
    c = store.connect_read_only(copy)
    try:
        assert queries.run(c, "won_uncollected", Filters(as_of=AS_OF, allowed_regions=queries.ALL_REGIONS))[
            "project_id"].to_list() == ["P9"]
    finally:
        c.close()
    removed = remove_import(copy, res.import_id)
    assert removed.snapshot_rows_removed == 2
