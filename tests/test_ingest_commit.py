"""Writing into a real DuckDB file: one transaction for all files, no partial writes,
re-import is a no-op, a corrected export replaces only its own date, remove_import, and
the `dashboard ingest` command's output and exit codes."""

from __future__ import annotations

import hashlib
import io
import threading
from functools import cache
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard import store
from dashboard.ingest import IngestRefused, Mapping, cli_ingest, commit, prepare, remove_import

HEADER = "项目编号,项目名称,区域,当前阶段,预计签约金额,毛利率,立项日期,提案日期"
BASE = [
    "P1,园区,华东,提案,1000000,20%,2026-01-05,2026-02-01",
    "P2,机房,华南,立项,2000000,15%,2026-01-10,",
    "P3,调度,华北,提案,3000000,25%,2026-01-12,2026-02-10",
]


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = store.connect_read_only(db)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def _snapshot(db: Path) -> tuple:
    return (
        _rows(db, "select * exclude (imported_at) from imports order by import_id"),
        _rows(db, "select * from project_snapshots order by as_of, project_id"),
        _rows(db, "select * from stage_events order by import_id, project_id, stage, entered_on"),
    )


@cache
def _prepared(rows: tuple[str, ...], as_of: date, name: str):
    # prepare() never touches the database, so one result serves every test (each parse
    # costs a child process start)
    return prepare(name, _csv(list(rows)), as_of=as_of)


def _import(db: Path, rows: list[str], as_of: date, name: str = "台账.csv"):
    return commit(db, [_prepared(tuple(rows), as_of, name)])


def test_a_committed_file_stores_snapshot_rows_events_and_an_active_import_row(db_path):
    [res] = _import(db_path, BASE, date(2026, 3, 2))
    assert (res.outcome, res.import_id, res.rows_added, res.events_added) == ("added", 1, 3, 5)
    assert _rows(db_path, "select import_id, file_name, kind, as_of, rows_read, rows_accepted, status from imports") == [
        (1, "台账.csv", "projects", date(2026, 3, 2), 3, 3, "active")
    ]
    assert _rows(db_path, "select project_id, expected_amount, estimated_margin from project_snapshots order by 1")[0] == (
        "P1", Decimal("1000000.00"), 0.2
    )
    assert _rows(db_path, "select json_extract_string(report, '$.as_of_source') from imports") == [("given",)]


def test_a_refused_file_leaves_the_database_byte_for_byte_as_it_was(db_path):
    _import(db_path, BASE, date(2026, 3, 2))
    before_sha, before = _sha(db_path), _snapshot(db_path)
    good = prepare("ok.csv", _csv(BASE[:1]), as_of=date(2026, 3, 9))
    bad = prepare("bad.csv", _csv([*BASE, "P4,坏,华东,跳舞,x,y,z,"]), as_of=date(2026, 3, 9))
    assert good.ok and not bad.ok
    with pytest.raises(IngestRefused, match="bad.csv"):
        commit(db_path, [good, bad])
    assert _sha(db_path) == before_sha
    assert _snapshot(db_path) == before


def test_reimporting_an_identical_file_changes_nothing_and_says_so(db_path):
    _import(db_path, BASE, date(2026, 3, 2))
    before, before_sha, before_stat = _snapshot(db_path), _sha(db_path), db_path.stat()
    [res] = _import(db_path, BASE, date(2026, 3, 2))
    assert res.outcome == "unchanged" and res.import_id == 1 and not res.changed_anything
    assert (_sha(db_path), db_path.stat().st_ino, db_path.stat().st_mtime_ns) == (
        before_sha, before_stat.st_ino, before_stat.st_mtime_ns
    )  # not even rewritten: a running dashboard has nothing to reload
    assert "nothing changed" in res.message("en") and "未做任何更改" in res.message("zh")
    assert _snapshot(db_path) == before


def test_the_same_file_through_a_corrected_mapping_is_imported_again_not_skipped(db_path):
    data = b"Deal,Phase\nD1,Pitch\nD2,Close\n"
    first = Mapping(name="crm", columns={"Deal": "project_id", "Phase": "stage"}, stages={"Pitch": "proposal", "Close": "negotiation"})
    fixed = Mapping(name="crm", columns=first.columns, stages={"Pitch": "proposal", "Close": "won"})
    commit(db_path, [prepare("crm.csv", data, as_of=date(2026, 3, 2), mapping=first)])
    [res] = commit(db_path, [prepare("crm.csv", data, as_of=date(2026, 3, 2), mapping=fixed)])
    assert (res.outcome, res.rows_changed) == ("replaced", 1)
    assert _rows(db_path, "select status from project_snapshots order by project_id") == [("open",), ("won",)]


def test_an_export_with_a_header_and_no_rows_is_refused_rather_than_emptying_a_date():
    p = prepare("empty.csv", (HEADER + "\n").encode(), as_of=date(2026, 3, 2))
    assert [e.code for e in p.report.errors] == ["no_rows"]


def test_a_corrected_export_replaces_its_dates_snapshot_and_keeps_other_dates(db_path):
    _import(db_path, BASE, date(2026, 3, 2))
    _import(db_path, BASE, date(2026, 3, 9))
    corrected = [BASE[0].replace("1000000", "1200000"), BASE[1], "P4,新项目,西南,立项,500000,30%,2026-03-01,"]
    [res] = _import(db_path, corrected, date(2026, 3, 9), name="台账-更正.csv")
    assert (res.outcome, res.replaced_import_ids) == ("replaced", [2])
    assert (res.rows_added, res.rows_removed, res.rows_changed, res.rows_unchanged) == (1, 1, 1, 1)
    assert "1 rows added, 1 removed, 1 changed" in res.message()
    assert _rows(db_path, "select import_id, status from imports order by 1") == [(1, "active"), (2, "replaced"), (3, "active")]
    assert _rows(db_path, "select project_id from project_snapshots where as_of = $d order by 1", {"d": date(2026, 3, 9)}) == [
        ("P1",), ("P2",), ("P4",)
    ]
    assert _rows(db_path, "select count(*) from project_snapshots where as_of = $d", {"d": date(2026, 3, 2)}) == [(3,)]
    assert _rows(db_path, "select distinct import_id from stage_events order by 1") == [(1,), (3,)]


def test_all_files_of_one_commit_go_in_together_in_one_transaction(db_path):
    res = commit(
        db_path,
        [prepare("a.csv", _csv(BASE), as_of=date(2026, 3, 2)), prepare("b.csv", _csv(BASE[:2]), as_of=date(2026, 3, 9))],
    )
    assert [r.import_id for r in res] == [1, 2]
    assert _rows(db_path, "select as_of, count(*) from project_snapshots group by 1 order by 1") == [
        (date(2026, 3, 2), 3), (date(2026, 3, 9), 2)
    ]


def test_a_project_whose_stage_column_says_lost_keeps_its_last_known_stage(db_path):
    _import(db_path, BASE, date(2026, 3, 2))
    lost = ["P1,园区,华东,丢单,1000000,20%,,", "P2,机房,华南,立项,2000000,15%,,"]
    _import(db_path, lost, date(2026, 3, 9))
    assert _rows(db_path, "select stage, status from project_snapshots where project_id = 'P1' and as_of = $d", {"d": date(2026, 3, 9)}) == [
        ("proposal", "lost")
    ]


def test_removing_an_import_takes_out_its_rows_and_nothing_else(db_path):
    _import(db_path, BASE, date(2026, 3, 2))
    _import(db_path, BASE[:2], date(2026, 3, 9))
    res = remove_import(db_path, 2)
    assert (res.snapshot_rows_removed, res.events_removed) == (2, 3)
    assert _rows(db_path, "select import_id, status from imports order by 1") == [(1, "active"), (2, "removed")]
    assert _rows(db_path, "select count(*) from project_snapshots") == [(3,)]
    with pytest.raises(ValueError, match="removed"):
        remove_import(db_path, 2)
    with pytest.raises(KeyError):
        remove_import(db_path, 99)


def test_the_cli_prints_each_files_report_and_the_as_of_it_used(db_path, tmp_path):
    path = tmp_path / "台账_2026-03-02.csv"
    path.write_bytes(_csv(BASE))
    out = io.StringIO()
    assert cli_ingest(db_path, [path], as_of=None, mapping_path=None, out=out) == 0
    text = out.getvalue()
    assert "as of 2026-03-02 (file name)" in text and "imported as import 1" in text
    out = io.StringIO()
    assert cli_ingest(db_path, [path], as_of=None, mapping_path=None, out=out) == 0
    assert "nothing changed" in out.getvalue()


def test_the_cli_refuses_a_bad_file_with_a_one_line_reason_and_a_nonzero_exit(db_path, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(_csv([*BASE, "P3,重复,华北,提案,1,1%,,"]))
    out = io.StringIO()
    assert cli_ingest(db_path, [path], as_of=date(2026, 3, 2), mapping_path=None, out=out) == 1
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("refused: bad.csv (1 errors); nothing was imported")
    assert "duplicate project id on rows 4, 5" in out.getvalue()
    assert not db_path.exists()


def test_the_cli_says_what_to_do_when_another_import_holds_the_database(db_path, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(_csv(BASE))
    store.ensure_database(db_path)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write_transaction(db_path):
            entered.set()
            release.wait(20)

    t = threading.Thread(target=hold)
    t.start()
    entered.wait(10)
    try:
        # the lock another process would hold (flock is per open file, so a thread will do)
        out = io.StringIO()
        code = cli_ingest(db_path, [path], as_of=date(2026, 3, 2), mapping_path=None, out=out, lock_timeout_s=0.2)
    finally:
        release.set()
        t.join()
    assert code == 3
    assert "wait until it finishes and run the same command again" in out.getvalue()
    assert _rows(db_path, "select count(*) from imports") == [(0,)]


def test_an_import_killed_at_any_moment_leaves_the_old_database_or_the_whole_new_one(db_path, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    _import(db_path, BASE, date(2026, 3, 2))
    before_sha, before = _sha(db_path), _snapshot(db_path)
    big = tmp_path / "台账_2026-03-09.csv"
    rows = [f"Q{i:06d},项目{i},华东,提案,{1000 + i},20%,2026-01-05,2026-02-01" for i in range(10_000)]
    big.write_bytes(_csv(rows))
    root = Path(__file__).resolve().parent.parent
    outcomes = set()
    for delay in (0.4, 1.2, 2.5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "ingest", str(big), "--db", str(db_path)],
            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its parsing child, mid-flight
        proc.wait()
        if _sha(db_path) == before_sha:
            outcomes.add("old")
            assert _snapshot(db_path) == before
        else:
            outcomes.add("new")
            assert _rows(db_path, "select count(*) from project_snapshots where as_of = $d", {"d": date(2026, 3, 9)}) == [(10_000,)]
            break  # the new import is complete; later kills would only re-test "unchanged"
    assert outcomes  # at least one kill landed; either way the file was whole
    [res] = _import(db_path, BASE[:1], date(2026, 3, 16))  # and the next import works
    assert res.outcome == "added"
