"""The store: migrations and the copy-and-replace write path, on real DuckDB files."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

import pytest

from dashboard import store

INSERT = (
    "insert into imports (import_id, file_name, sha256, sheet, kind, as_of, rows_read, rows_accepted, rows_skipped, imported_at, status, mapping_name, report) values ($i, 'f.csv', 'h', null, 'projects', date '2026-01-05', "
    "1, 1, 0, now(), 'active', null, null)"
)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _import_ids(path) -> list[int]:
    cur = store.ReadHub(path).cursor()
    return [r[0] for r in cur.execute("select import_id from imports order by 1").fetchall()]


def test_a_new_database_is_created_at_the_latest_schema_version(db_path):
    assert store.ensure_database(db_path) is True
    con = store.connect_read_only(db_path)
    assert store.schema_version(con) == store.LATEST_VERSION
    con.close()
    assert store.ensure_database(db_path) is False


def test_a_failed_write_leaves_the_file_byte_for_byte_as_it_was(db_path):
    store.ensure_database(db_path)
    with store.write_transaction(db_path) as con:
        con.execute(INSERT, {"i": 1})
    before = _sha(db_path)
    with pytest.raises(RuntimeError):
        with store.write_transaction(db_path) as con:
            con.execute(INSERT, {"i": 2})
            raise RuntimeError("validation failed half-way")
    assert _sha(db_path) == before
    assert _import_ids(db_path) == [1]
    assert [p.name for p in db_path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_reader_sees_a_committed_write_without_reconnecting(db_path):
    store.ensure_database(db_path)
    hub = store.ReadHub(db_path)
    first = hub.cursor()
    assert first.execute("select count(*) from imports").fetchall() == [(0,)]
    with store.write_transaction(db_path) as con:
        con.execute(INSERT, {"i": 1})
    assert hub.cursor().execute("select count(*) from imports").fetchall() == [(1,)]
    # the cursor taken before the write still reads its own consistent generation
    assert first.execute("select count(*) from imports").fetchall() == [(0,)]


def test_a_write_while_the_dashboard_holds_the_file_open_succeeds(db_path):
    store.ensure_database(db_path)
    reader = store.ReadHub(db_path)
    reader.cursor().execute("select count(*) from imports").fetchall()
    with store.write_transaction(db_path) as con:
        con.execute(INSERT, {"i": 7})
    assert _import_ids(db_path) == [7]


def test_a_writer_killed_mid_transaction_leaves_the_previous_database(db_path, tmp_path):
    store.ensure_database(db_path)
    with store.write_transaction(db_path) as con:
        con.execute(INSERT, {"i": 1})
    before = _sha(db_path)
    marker = tmp_path / "inside"
    script = textwrap.dedent(
        f"""
        import os, signal, pathlib
        from dashboard import store
        with store.write_transaction({str(db_path)!r}) as con:
            con.execute({INSERT!r}, {{"i": 2}})
            pathlib.Path({str(marker)!r}).write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd())
    assert proc.returncode == -9 and marker.exists()
    assert _sha(db_path) == before
    assert _import_ids(db_path) == [1]
    # the next writer is not blocked by the dead one's lock, and cleans nothing it needs
    with store.write_transaction(db_path) as con:
        con.execute(INSERT, {"i": 3})
    assert _import_ids(db_path) == [1, 3]
    assert [p.name for p in db_path.parent.iterdir() if ".tmp" in p.name] == []


def test_a_migration_numbered_below_the_newest_applied_one_still_applies(db_path, tmp_path, monkeypatch):
    # Parallel branches: 0003 landed first, 0002 lands later. A database at version 3 must
    # still get 0002 (and exactly once).
    mig = tmp_path / "migrations"
    mig.mkdir()
    for p in store.MIGRATIONS_DIR.glob("*.sql"):
        (mig / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(store, "MIGRATIONS_DIR", mig)
    store.ensure_database(db_path)
    (mig / "0002_late.sql").write_text("create table late_branch (x integer);", encoding="utf-8")
    assert store.ensure_database(db_path) is False
    con = store.connect_read_only(db_path)
    try:
        assert con.execute("select count(*) from late_branch").fetchall() == [(0,)]
        assert store.missing_migrations(con) == []
        versions = [r[0] for r in con.execute("select version from schema_version order by applied_at, version").fetchall()]
    finally:
        con.close()
    assert versions.count(2) == 1 and versions[-1] == 2
