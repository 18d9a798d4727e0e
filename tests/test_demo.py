"""Demo data never mixes with real data (issue 9, B1): the seeds load marked as demo data, the
first real import removes them in the same transaction (and the CLI says so before and
after), they go in one step (`dashboard demo remove`), they are refused into a database
with real imports, and a first start can be empty (PIPELINE_DEMO=0). Real DuckDB files,
the real seeds, real exports made from them with other project numbers."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from dashboard import cli, demo, ingest, store
from dashboard.ingest import load as load_module

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
OURS = date(2026, 11, 30)  # the company's first own export, a week after the demo's last


def _rows(db: Path, sql: str) -> list[tuple]:
    con = store.connect_read_only(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def company_export(n: int = 3, prefix: str = "HX") -> bytes:
    """A company's own export: its own project numbers (none of the demo's)."""
    rows = [f"{prefix}-{i:03d},项目{i},客户{i},A,华东,张伟,系统集成,招投标,进行中,{100 + i}" for i in range(1, n + 1)]
    return ("项目编号,项目名称,客户名称,客户等级,区域,负责人,项目分类,当前阶段,状态,预计签约金额（万元）\n"
            + "\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture
def demo_db(demo_seed_db) -> Path:
    return demo_seed_db


@pytest.fixture
def db(demo_db_copy) -> Path:
    return demo_db_copy


def test_the_seeds_load_marked_as_demo_data(demo_db):
    marks = _rows(demo_db, "select is_demo, status, count(*) from imports group by all order by all")
    assert marks == [(True, "active", len(demo.seed_files()))]
    assert ingest.demo_imports(demo_db) == list(range(1, len(demo.seed_files()) + 1))


def test_the_first_real_import_removes_every_demo_import_in_the_same_commit(db):
    demo_ids = ingest.demo_imports(db)
    [res] = ingest.commit(db, [ingest.prepare("export.csv", company_export(), as_of=OURS)])
    assert res.demo_removed == demo_ids and res.outcome == "added"
    assert _rows(db, "select distinct as_of from project_snapshots") == [(OURS,)]
    assert _rows(db, "select count(*) from stage_events") == [(0,)]
    assert _rows(db, "select count(*) from imports where is_demo and status <> 'removed'") == [(0,)]
    assert _rows(db, "select import_id, is_demo, status from imports where not is_demo") == [(res.import_id, False, "active")]
    assert ingest.demo_imports(db) == []


def test_a_real_import_that_fails_inside_the_transaction_leaves_the_demo_and_the_file_as_they_were(db, monkeypatch):
    before = _sha(db)

    def fail(*args, **kwargs):  # fault injection: the write fails after the demo removal ran
        raise OSError("disk full")

    monkeypatch.setattr(load_module, "_commit_one", fail)
    with pytest.raises(OSError, match="disk full"):
        ingest.commit(db, [ingest.prepare("export.csv", company_export(), as_of=OURS)])
    assert _sha(db) == before and len(ingest.demo_imports(db)) == len(demo.seed_files())


def test_a_refused_real_file_keeps_the_demo_byte_for_byte(db):
    before = _sha(db)
    bad = ingest.prepare("bad.csv", company_export().replace("招投标".encode(), "跳舞".encode()), as_of=OURS)
    assert not bad.ok  # a stage nobody knows
    with pytest.raises(ingest.IngestRefused):
        ingest.commit(db, [bad])
    assert _sha(db) == before


def test_a_company_file_with_the_bytes_of_a_demo_export_is_imported_as_the_companys(db):
    seed = SEEDS / "2026-11-16_crm-export.csv"
    [res] = ingest.commit(db, [ingest.prepare(seed.name, seed.read_bytes())])
    assert res.outcome == "added" and res.demo_removed  # not "unchanged" (= the demo's import)
    assert _rows(db, "select distinct as_of from project_snapshots") == [(date(2026, 11, 16),)]
    assert _rows(db, "select is_demo from imports where status = 'active'") == [(False,)]


def test_demo_data_is_refused_into_a_database_with_real_imports(tmp_path):
    db = tmp_path / "pipeline.duckdb"
    ingest.commit(db, [ingest.prepare("export.csv", company_export(), as_of=OURS)])
    before = _sha(db)
    with pytest.raises(ingest.DemoRefused, match="own imports"):
        demo.load_seeds(db)
    assert _sha(db) == before


def test_removing_several_imports_is_all_or_none(db):
    before = _sha(db)
    with pytest.raises(KeyError, match="no import 99"):
        ingest.remove_imports(db, [1, 2, 99])
    assert _sha(db) == before
    removed = ingest.remove_imports(db, [1, 2])
    assert [r.import_id for r in removed] == [1, 2]
    assert sum(r.snapshot_rows_removed + r.events_removed for r in removed) > 0
    assert _rows(db, "select import_id from imports where status = 'removed' order by 1") == [(1,), (2,)]
    with pytest.raises(ValueError, match="not active"):
        ingest.remove_imports(db, [3, 1])
    assert _rows(db, "select status from imports where import_id = 3") == [("active",)]
    assert ingest.remove_import(db, 3).import_id == 3  # one id: the same path


def test_the_demo_goes_in_one_step_and_the_database_is_then_empty(db):
    removed = demo.remove(db)
    assert len(removed) == len(demo.seed_files())
    assert _rows(db, "select count(*) from project_snapshots") == [(0,)]
    assert demo.remove(db) == []  # nothing left: nothing to do


def test_the_ingest_command_says_before_and_after_that_the_demo_data_goes(db):
    export = db.parent / "2026-11-30_export.csv"
    export.write_bytes(company_export())
    out = io.StringIO()
    assert ingest.cli_ingest(db, [export], as_of=None, mapping_path=None, out=out) == 0
    text = out.getvalue()
    n = len(demo.seed_files())
    before = text.index(f"note: this import removes the demo data ({n} imports)")
    after = text.index(f"the demo data ({n} imports) was removed")
    assert before < text.index("imported as import") < after
    out = io.StringIO()
    export.write_bytes(company_export(prefix="HY"))
    ingest.cli_ingest(db, [export], as_of=date(2026, 12, 7), mapping_path=None, out=out)
    assert "demo" not in out.getvalue()  # said once, when it happened


def test_dashboard_demo_remove_and_load(tmp_path, capsys):
    db = tmp_path / "pipeline.duckdb"
    assert cli.main(["demo", "load", "--db", str(db)]) == 0
    assert "every page says so" in capsys.readouterr().out
    assert len(ingest.demo_imports(db)) == len(demo.seed_files())
    assert cli.main(["demo", "remove", "--db", str(db)]) == 0
    assert f"{len(demo.seed_files())} imports" in capsys.readouterr().out
    assert ingest.demo_imports(db) == []
    assert cli.main(["demo", "remove", "--db", str(db)]) == 0
    assert "nothing removed" in capsys.readouterr().out
    ingest.commit(db, [ingest.prepare("export.csv", company_export(), as_of=OURS)])
    assert cli.main(["demo", "load", "--db", str(db)]) == 1
    assert "own imports" in capsys.readouterr().err


def test_pipeline_demo_0_means_an_empty_first_start():
    assert demo.wanted({}) and demo.wanted({"PIPELINE_DEMO": "1"})
    for off in ("0", "false", "No", " off "):
        assert not demo.wanted({"PIPELINE_DEMO": off}), off
