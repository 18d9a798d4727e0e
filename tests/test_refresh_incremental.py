"""Incremental refresh == full rebuild (issue 8).

Random sequences of writes go through the real write path (``ingest.commit`` and
``ingest.remove_imports`` on a DuckDB file: copy, change, incremental refresh, replace):
imports of snapshot files with stage-date columns, out-of-order dates, same-date
replacements, stage-history files, removals, re-imports of identical files. After every
write, each derived table of the file is compared, row for row and column for column, with
a from-scratch ``queries.refresh`` (the rebuild) of a copy of the same stored data.

The files are given as ``Prepared`` (the contract between reading a file and writing it):
reading CSV/XLSX is tested elsewhere and would cost a child process per file here.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import queries
from dashboard import store
from queries import ALL_REGIONS, Filters, derived
from dashboard.ingest import ScopeRefused, commit, remove_imports
from dashboard.ingest.clean import EVENT_SCHEMA, PROJECT_SCHEMA
from dashboard.ingest.isolated import Prepared
from dashboard.ingest.report import Report

STAGES = ["development", "approval", "proposal", "tender", "negotiation", "delivery"]
BASE = date(2026, 3, 2)
DATES = [BASE + timedelta(days=7 * k) for k in range(5)]
PIDS = [f"P{i}" for i in range(7)]

# every table queries/derived.py maintains, compared whole
DERIVED = ("project_facts", "project_carry", "stage_event_facts", "pair_facts", "sign_slips", "snapshot_runs",
           "stage_entries", "snapshot_dates", "snapshot_summary", "project_last_seen", "win_counts")


def _prepared(kind: str, as_of: date | None, projects: list[dict], events: list[dict], name: str) -> Prepared:
    p = pl.DataFrame(projects, schema=PROJECT_SCHEMA) if projects else pl.DataFrame(schema=PROJECT_SCHEMA)
    e = pl.DataFrame(events, schema=EVENT_SCHEMA) if events else pl.DataFrame(schema=EVENT_SCHEMA)
    sha = hashlib.sha256(repr((kind, as_of, projects, events)).encode()).hexdigest()
    n = p.height if kind == "projects" else e.height
    report = Report(file_name=name, sha256=sha, kind=kind, as_of=as_of, rows_read=n, rows_accepted=n,
                    n_events=e.height)
    return Prepared(report=report, projects=p, events=e)


@st.composite
def project_file(draw):
    as_of = draw(st.sampled_from(DATES))
    rows, events = [], []
    for pid in PIDS:
        if draw(st.integers(0, 3)) == 0:  # ~25 % absent from this export
            continue
        stage = draw(st.sampled_from([None, *STAGES, "proposal", "tender"]))
        rows.append({c: None for c in PROJECT_SCHEMA} | dict(
            project_id=pid, project_name=f"项目 {pid}", customer=None,
            customer_grade=draw(st.sampled_from(["A", "B", None])),
            region=draw(st.sampled_from(["East", "West", None])), owner="Li", category="systems",
            stage=stage, status=draw(st.sampled_from(["open", "open", "open", "won", "lost", "dropped", "completed"])),
            expected_amount=draw(st.one_of(st.none(), st.integers(0, 10_000).map(lambda c: Decimal(c) * 100))),
            contract_amount=None, estimated_cost=None,
            estimated_margin=draw(st.one_of(st.none(), st.sampled_from([-0.1, 0.05, 0.2, 0.3]))),
            bid_amount=None, actual_cost=None, expense_budget=None,
            expense_actual=draw(st.one_of(st.none(), st.integers(0, 500).map(Decimal))),
            expected_sign_on=as_of + timedelta(days=30), created_on=None, lost_reason=None,
        ))
        if draw(st.integers(0, 2)) == 0:  # the export's stage-date columns
            for k in sorted(draw(st.sets(st.integers(0, 5), max_size=3))):
                events.append(dict(project_id=pid, stage=STAGES[k],
                                   entered_on=as_of - timedelta(days=draw(st.sampled_from([0, 3, 10, 40]))),
                                   source="stage_dates", previous_stage=None))
    if not rows:  # an export has at least one row (ingest refuses an empty one)
        rows.append({c: None for c in PROJECT_SCHEMA} | dict(project_id="P0", status="open", stage="development"))
    return ("projects", as_of, rows, events)


@st.composite
def history_file(draw):
    as_of = draw(st.sampled_from([None, *DATES]))
    events = []
    for pid in draw(st.sets(st.sampled_from(PIDS), min_size=1, max_size=3)):
        day = BASE - timedelta(days=30)
        for _ in range(draw(st.integers(1, 4))):
            day += timedelta(days=draw(st.sampled_from([0, 5, 12, 20])))
            events.append(dict(project_id=pid, stage=draw(st.sampled_from(STAGES)), entered_on=day,
                               source=draw(st.sampled_from(["history", "history", "stage_dates"])),
                               previous_stage=draw(st.sampled_from([None, None, "proposal"]))))
    return ("history", as_of, [], events)


@st.composite
def regional_file(draw):
    """A regional importer's file (issue 10): its rows replace only East's rows of the date,
    and the earlier company-wide import stays active for the rest (refresh_pending)."""
    _, as_of, rows, events = draw(project_file())
    return ("regional", as_of, [r | {"region": "East"} for r in rows], events)


operations = st.lists(
    st.one_of(project_file(), project_file(), history_file(), regional_file(),
              st.tuples(st.just("remove"), st.integers(0, 20))),
    min_size=1, max_size=7,
)


def _table(con, catalog: str, name: str) -> tuple[list[tuple], list[str]]:
    cols = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = $c and table_name = $t "
        "order by ordinal_position", {"c": catalog, "t": name}).fetchall()]
    return sorted(con.execute(f"select * from {catalog}.{name}").fetchall(), key=repr), cols  # our names


def assert_same_as_rebuild(db_path, tmp_path) -> None:
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(db_path, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("begin")
        assert queries.refresh(con) == "rebuilt"
        con.execute("commit")
        con.execute(f"attach '{db_path}' as inc (read_only)")
        for name in DERIVED:
            rebuilt, rcols = _table(con, "rebuilt", name)
            incremental, icols = _table(con, "inc", name)
            assert icols == rcols, name
            assert incremental == rebuilt, f"{name}: incremental differs from the rebuild"
        assert_events_stored_once(con, "inc")
    finally:
        con.close()


def assert_events_stored_once(con, catalog: str) -> None:
    """Migration 0012's storage: each distinct stage event once in stage_event_keys (its id
    too), every report naming a key, and no key that no report names (deleted with the last)."""
    k, r = f"{catalog}.stage_event_keys", f"{catalog}.stage_event_reports"  # our own names
    assert con.execute(f"select count(*) - count(distinct entry_id), count(*) - count(distinct "
                       f"(project_id, stage, entered_on, source, previous_stage)) from {k}").fetchall() == [(0, 0)]
    assert con.execute(f"select count(*) from {r} anti join {k} using (entry_id)").fetchall() == [(0,)], "a report without its key"
    assert con.execute(f"select count(*) from {k} anti join {r} using (entry_id)").fetchall() == [(0,)], "a key no import reports"


# No shrinking: every example is several real writes of a file, and shrinking a failure took
# over five minutes; a failing example is printed as generated (run with more examples, e.g.
# 200, after changing queries/derived: 200 passed on 2026-12-02; with regional imports, 80
# passed, and it fails on project_facts when refresh_pending is ignored).
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_every_write_leaves_the_derived_tables_as_a_full_rebuild_would(tmp_path_factory, monkeypatch, ops):
    # pairs stored for the newest 3 of the 5 dates: writes move dates in and out of the window
    monkeypatch.setattr(derived, "STORED_PAIR_DATES", 3)
    tmp_path = tmp_path_factory.mktemp("inc")
    db = tmp_path / "pipeline.duckdb"
    for i, op in enumerate(ops):
        if op[0] == "remove":
            con = store.connect_read_only(db) if db.exists() else None
            active = [r[0] for r in con.execute(
                "select import_id from imports where status = 'active' order by 1").fetchall()] if con else []
            if con:
                con.close()
            if not active:
                continue
            remove_imports(db, [active[op[1] % len(active)]])
        elif op[0] == "regional":
            _, as_of, rows, events = op
            # as an East manager's export would be: none of the projects another region
            # holds on that date (those are refused, tested in test_access.py)
            con = store.connect_read_only(db) if db.exists() else None
            theirs = {r[0] for r in con.execute(
                "select project_id from project_snapshots where as_of = $a and region is distinct from 'East'",
                {"a": as_of}).fetchall()} if con else set()
            if con:
                con.close()
            rows = [r for r in rows if r["project_id"] not in theirs]
            events = [e for e in events if e["project_id"] not in theirs]
            if not rows:
                continue
            try:
                commit(db, [_prepared("projects", as_of, rows, events, f"f{i}.csv")], regions=("East",))
            except ScopeRefused:  # no company-wide snapshot that date yet: nothing written
                continue
        else:
            kind, as_of, rows, events = op
            commit(db, [_prepared(kind, as_of, rows, events, f"f{i}.csv")])
        assert_same_as_rebuild(db, tmp_path)


def test_a_regional_import_replacing_stage_dates_of_a_company_import_agrees_with_a_rebuild(tmp_path):
    """The company's file gave East's P1 an approval date; the East manager's file for the same
    date corrects it. The company import stays active (West's rows), so only the events of
    the replaced projects leave: the refresh must take exactly those out (refresh_pending)."""
    db = tmp_path / "pipeline.duckdb"
    d = DATES[1]

    def row(pid, region):
        return {c: None for c in PROJECT_SCHEMA} | dict(project_id=pid, region=region, stage="approval", status="open")

    def approval(pid, day):
        return dict(project_id=pid, stage="approval", entered_on=day, source="stage_dates", previous_stage=None)

    commit(db, [_prepared("projects", d, [row("P1", "East"), row("P2", "West")],
                          [approval("P1", d - timedelta(days=40)), approval("P2", d - timedelta(days=40))], "all.csv")])
    commit(db, [_prepared("projects", d, [row("P1", "East")], [approval("P1", d - timedelta(days=3))], "east.csv")],
           regions=("East",))
    con = store.connect_read_only(db)
    try:
        assert con.execute("select project_id, entered_on from stage_entries order by 1, 2").fetchall() == [
            ("P1", d - timedelta(days=3)), ("P2", d - timedelta(days=40))]
        assert con.execute("select count(*) from imports where status = 'active'").fetchall() == [(2,)]
    finally:
        con.close()
    assert_same_as_rebuild(db, tmp_path)


def test_a_weekly_import_recomputes_only_the_new_date(tmp_path):
    """The new week's facts are computed; the earlier weeks' rows are not rewritten."""
    db = tmp_path / "pipeline.duckdb"
    rows = [{c: None for c in PROJECT_SCHEMA} | dict(project_id=p, stage="proposal", status="open") for p in PIDS]
    for d in DATES[:3]:
        commit(db, [_prepared("projects", d, rows, [], f"{d}.csv")])
    con = store.connect_read_only(db)
    before = con.execute("select as_of, count(*) from project_facts group by 1 order by 1").fetchall()
    con.close()
    commit(db, [_prepared("projects", DATES[3], rows[:4], [], "new.csv")])
    con = store.connect_read_only(db)
    try:
        after = con.execute("select as_of, count(*) from project_facts group by 1 order by 1").fetchall()
        assert after == [*before, (DATES[3], 4)]
        # the carried history: first seen in the first week, the run started then
        assert con.execute("select distinct first_seen_on, cur_entered_on from project_facts where as_of = $d",
                           {"d": DATES[3]}).fetchall() == [(DATES[0], DATES[0])]
    finally:
        con.close()
    assert_same_as_rebuild(db, tmp_path)


def test_changes_of_a_week_whose_pairs_are_no_longer_stored_are_the_same_computed(tmp_path, monkeypatch):
    """pair_facts keeps the newest dates only; an older week's changes are paired when asked,
    with the same rows; removing the newest date brings the pairs of the one before back."""
    monkeypatch.setattr(derived, "STORED_PAIR_DATES", 2)
    db = tmp_path / "pipeline.duckdb"
    _weeks(db, n_weeks=5)

    def stored_dates() -> list[date]:
        con = store.connect_read_only(db)
        try:
            return [r[0] for r in con.execute("select distinct as_of from pair_facts order by 1").fetchall()]
        finally:
            con.close()

    def changes(path) -> dict:
        con = store.connect_read_only(path)
        try:
            out = {}
            for i, d in enumerate(DATES):
                for since in (None, *DATES[:i]):
                    f = Filters(allowed_regions=ALL_REGIONS, as_of=d, since=since)
                    for name in ("changes", "changes_summary"):
                        out[(d, since, name)] = sorted(queries.run(con, name, f).rows(), key=repr)
            return out
        finally:
            con.close()

    assert stored_dates() == DATES[-2:]
    every_week = tmp_path / "every-week.duckdb"  # the same data with every week's pairs stored
    shutil.copy(db, every_week)
    monkeypatch.setattr(derived, "STORED_PAIR_DATES", 100)
    con = duckdb.connect(str(every_week))
    con.execute("begin")
    queries.refresh(con)
    con.execute("commit")
    assert [r[0] for r in con.execute("select distinct as_of from pair_facts order by 1").fetchall()] == DATES
    con.close()
    monkeypatch.setattr(derived, "STORED_PAIR_DATES", 2)
    assert changes(db) == changes(every_week)

    newest = store.connect_read_only(db)
    [newest_id] = newest.execute("select import_id from imports where as_of = $d", {"d": DATES[-1]}).fetchone()
    newest.close()
    remove_imports(db, [newest_id])
    assert stored_dates() == DATES[-3:-1]
    assert_same_as_rebuild(db, tmp_path)


def _weeks(db, n_weeks: int = 3, *, events: bool = True) -> list[dict]:
    """A few weekly imports through the write path; returns the last week's rows."""
    rows = []
    for k in range(n_weeks):
        rows = [{c: None for c in PROJECT_SCHEMA} | dict(
            project_id=p, stage=STAGES[(i + k) % 6], status="open", region=["East", "West"][i % 2],
            customer_grade="AB"[i % 2], expected_amount=Decimal(1000 * (i + 1)), estimated_margin=0.2)
            for i, p in enumerate(PIDS)]
        ev = [dict(project_id="P1", stage=STAGES[k % 6], entered_on=DATES[k] - timedelta(days=2),
                   source="stage_dates", previous_stage=None)] if events else []
        commit(db, [_prepared("projects", DATES[k], rows, ev, f"week{k}.csv")])
    return rows


KILL_SCRIPT = """
import os, signal, sys
from decimal import Decimal
from dashboard.ingest import commit
from queries import derived
sys.path.insert(0, {tests!r})
import test_refresh_incremental as T

run = derived._run
def run_then_die(con, name, **params):
    out = run(con, name, **params)
    if name == {step!r}:
        os.kill(os.getpid(), signal.SIGKILL)  # mid-refresh: this step done, the rest not
    return out
derived._run = run_then_die
rows = {rows!r}
commit({db!r}, [T._prepared("projects", T.DATES[3], rows, [], "week3.csv")])
"""


@pytest.mark.parametrize("step", ["entries_insert", "runs_date", "entry_facts", "facts_insert", "carry_insert",
                                  "pair_date", "last_seen_fix", "refreshed_add"])
def test_a_write_killed_during_the_incremental_refresh_leaves_the_file_as_it_was(tmp_path, step):
    import subprocess
    import sys
    from pathlib import Path

    db = tmp_path / "pipeline.duckdb"
    rows = _weeks(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    moved = [r | dict(stage="delivery", status="won") if r["project_id"] == "P2" else r for r in rows[1:]]
    tests = str(Path(__file__).resolve().parent)
    script = KILL_SCRIPT.format(tests=tests, step=step, rows=moved, db=str(db))
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(tests).parent, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr[-2000:]  # it reached the step and died there
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    con = store.connect_read_only(db)  # readable, and the old data whole
    try:
        assert con.execute("select count(*) from project_facts where as_of = $d", {"d": DATES[2]}).fetchall() == [(7,)]
        assert con.execute("select count(*) from project_facts where as_of = $d", {"d": DATES[3]}).fetchall() == [(0,)]
    finally:
        con.close()
    # the same import again, unkilled, lands whole and agrees with a rebuild
    commit(db, [_prepared("projects", DATES[3], moved, [], "week3.csv")])
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    assert_same_as_rebuild(db, tmp_path)


KILL_EVENTS_SCRIPT = """
import datetime, os, signal, sys
from decimal import Decimal
from dashboard.ingest import commit, load
sys.path.insert(0, {tests!r})
import test_refresh_incremental as T

real = getattr(load, {fn!r})
def then_die(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # the events written (or deleted), nothing after
setattr(load, {fn!r}, then_die)
commit({db!r}, [T._prepared("projects", T.DATES[2], {rows!r}, {events!r}, "week2-again.csv")])
"""


@pytest.mark.parametrize("fn", ["delete_stage_events", "store_stage_events"])
def test_a_write_killed_while_storing_stage_events_leaves_the_file_as_it_was(tmp_path, fn):
    """Replacing a week's file deletes the old import's stage events (and the keys only it
    reported) and stores the new file's: killed after either, the file is as it was."""
    import subprocess
    import sys
    from pathlib import Path

    db = tmp_path / "pipeline.duckdb"
    rows = _weeks(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    events = [dict(project_id="P2", stage="tender", entered_on=DATES[2] - timedelta(days=1), source="stage_dates",
                   previous_stage=None)]
    tests = str(Path(__file__).resolve().parent)
    script = KILL_EVENTS_SCRIPT.format(tests=tests, fn=fn, rows=rows, events=events, db=str(db))
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(tests).parent, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    con = store.connect_read_only(db)
    try:  # week 2's own event (P1 approval) is still there, the new one is not
        assert con.execute("select project_id, stage from stage_events where entered_on = $d",
                           {"d": DATES[2] - timedelta(days=2)}).fetchall() == [("P1", "proposal")]
        assert con.execute("select count(*) from stage_events where project_id = 'P2'").fetchall() == [(0,)]
    finally:
        con.close()
    commit(db, [_prepared("projects", DATES[2], rows, events, "week2-again.csv")])
    con = store.connect_read_only(db)
    try:  # the replaced import's event left with it (no other import reported it); the new one is in
        assert con.execute("select project_id, stage from stage_events order by entered_on").fetchall() == [
            ("P1", "development"), ("P1", "approval"), ("P2", "tender")]
    finally:
        con.close()
    assert_same_as_rebuild(db, tmp_path)


def test_stage_events_repeated_by_every_weekly_file_are_stored_once(tmp_path):
    """Three weekly files each giving the same two stage dates, one twice within a file: the
    view reads every file's rows as before, the keys hold the two events once; removing files
    keeps an event while any import reports it."""
    db = tmp_path / "pipeline.duckdb"
    ev = [dict(project_id="P1", stage="development", entered_on=BASE - timedelta(days=30), source="stage_dates",
               previous_stage=None),
          dict(project_id="P1", stage="approval", entered_on=BASE - timedelta(days=3), source="stage_dates",
               previous_stage=None)]
    rows = [{c: None for c in PROJECT_SCHEMA} | dict(project_id="P1", stage="approval", status="open", region="East",
                                                    customer_grade="A", expected_amount=Decimal(1000))]
    for k in range(3):
        commit(db, [_prepared("projects", DATES[k], rows, ev + ev[1:] * (k == 1), f"week{k}.csv")])

    def counts():
        con = store.connect_read_only(db)
        try:
            return [con.execute(q).fetchall()[0][0] for q in (
                "select count(*) from stage_events", "select count(*) from stage_event_keys",
                "select count(distinct import_id) from stage_event_reports")]
        finally:
            con.close()

    assert counts() == [7, 2, 3]
    remove_imports(db, [1, 3])
    assert counts() == [3, 2, 1]
    remove_imports(db, [2])
    assert counts() == [0, 0, 0]
    assert_same_as_rebuild(db, tmp_path)


def test_dashboard_rebuild_restores_derived_tables_changed_by_hand(tmp_path, capsys):
    from dashboard import cli

    db = tmp_path / "pipeline.duckdb"
    _weeks(db)
    with store.write_transaction(db) as con:  # a hand edit the increments cannot know about
        con.execute("delete from project_facts where project_id = 'P3'")
        con.execute("update stage_event_facts set stage = 'tender'")
    con = store.connect_read_only(db)
    assert con.execute("select count(*) from project_facts where project_id = 'P3'").fetchall() == [(0,)]
    con.close()
    assert cli.main(["rebuild", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "rebuilt the derived tables" in out and "3 snapshots, 21 project rows" in out
    assert_same_as_rebuild(db, tmp_path)
    con = store.connect_read_only(db)
    try:
        assert con.execute("select count(*) from project_facts where project_id = 'P3'").fetchall() == [(3,)]
    finally:
        con.close()
    assert cli.main(["rebuild", "--db", str(tmp_path / "nothing.duckdb")]) == 1
    assert "nothing to rebuild" in capsys.readouterr().err


def test_an_import_that_needs_more_memory_than_allowed_is_refused_in_words_and_writes_nothing(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    db = tmp_path / "pipeline.duckdb"
    _weeks(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    header = "项目编号,项目名称,区域,当前阶段,预计签约金额,毛利率,立项日期,提案日期"
    big = tmp_path / "台账_2026-04-06.csv"
    big.write_text("\n".join([header] + [f"Q{i:06d},项目{i},华东,提案,{1000 + i},20%,2026-01-05,2026-02-01"
                                         for i in range(20_000)]) + "\n", encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"PIPELINE_COMMIT_MEMORY_MB": "8"}
    proc = subprocess.run([sys.executable, "-m", "dashboard.cli", "ingest", str(big), "--db", str(db)],
                          cwd=root, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    assert "needs more memory than the database writer may use (8 MB)" in out
    assert "nothing was written" in out and "PIPELINE_COMMIT_MEMORY_MB" in out
    assert "Out of Memory" not in out and "Traceback" not in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    # the same text in Chinese for the Data page
    assert "未写入任何数据" in store.StoreOutOfMemory(8).message("zh")


def test_a_database_from_before_the_incremental_refresh_is_rebuilt_at_its_next_write(tmp_path):
    """A file written by the older code (no migration 0004, derived tables of its own) is
    migrated and rebuilt whole by the next import, then kept incrementally."""
    db = tmp_path / "pipeline.duckdb"
    rows = _weeks(db)
    con = duckdb.connect(str(db))
    try:
        for table in ("stage_entries", "snapshot_runs", "snapshot_dates", "project_carry", "project_last_seen",
                      "snapshot_summary", "refreshed_imports", "refresh_pending", "derived_meta"):
            con.execute(f"drop table {table}")  # our own names
        con.execute("delete from schema_version where version = 4")
        con.execute("create or replace table project_facts as select 1 as old_shape")
    finally:
        con.close()
    [res] = commit(db, [_prepared("projects", DATES[3], rows, [], "week3.csv")])
    assert res.outcome == "added"
    assert_same_as_rebuild(db, tmp_path)
    con = store.connect_read_only(db)
    try:
        assert con.execute("select count(*) from project_facts").fetchall() == [(28,)]
        assert store.missing_migrations(con) == []
    finally:
        con.close()
    commit(db, [_prepared("projects", DATES[4], rows[:3], [], "week4.csv")])  # and incrementally after
    assert_same_as_rebuild(db, tmp_path)
