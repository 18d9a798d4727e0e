"""The DuckDB file: schema migrations, read connections, and the one write path.

How writers and the running dashboard share one file (DuckDB lets only one process hold
a file read-write, and not even a read-only reader beside it):

* Every write — CLI ingest, browser upload, seed load, migration, removing an import —
  goes through :func:`write_transaction`. It takes an exclusive lock file, copies the
  database to a temporary file next to it, applies the change there in one transaction,
  checkpoints, closes, fsyncs, and ``os.replace()``s the copy over the original.
* Readers (the Streamlit server) open the file ``read_only``; after a replace they see
  the old inode until they reconnect, which ``dashboard/data.py`` does when the file's
  mtime/inode changes.

So a failed or killed import leaves the original byte-for-byte as it was, a running
dashboard never blocks an ingest, and a reader never sees half an import.
Must not import streamlit.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DEFAULT_DB_PATH = Path("data") / "pipeline.duckdb"

# Only DuckDB's built-in extensions exist offline; never try to download one.
_DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "true"}


def default_db_path() -> Path:
    """``$PIPELINE_DB`` if set, else ``./data/pipeline.duckdb`` (relative to the working dir)."""
    return Path(os.environ.get("PIPELINE_DB") or DEFAULT_DB_PATH)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in migrations/, in order."""
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        version = int(path.name.split("_", 1)[0])
        out.append((version, path.stem, path.read_text(encoding="utf-8")))
    return out


LATEST_VERSION = max(v for v, _, _ in migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_version").fetchall()[0][0]


def missing_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The migration versions this database has not applied, in order. Every version is
    applied once, whatever its number relative to the newest applied one, so migrations
    written on parallel branches (0004 landing after 0005) still reach every database."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_version'"
    ).fetchall()[0][0]
    applied = {r[0] for r in con.execute("select version from schema_version").fetchall()} if exists else set()
    return [v for v, _, _ in migrations() if v not in applied]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this database lacks, in number order (caller holds the transaction)."""
    con.execute(
        "create table if not exists schema_version (version integer not null, name varchar not null, applied_at timestamp not null default current_timestamp)"
    )
    missing = set(missing_migrations(con))
    for version, name, sql in migrations():
        if version in missing:
            con.execute(sql)
            con.execute("insert into schema_version (version, name) values ($v, $n)", {"v": version, "n": name})
    return schema_version(con)


def connect_memory() -> duckdb.DuckDBPyConnection:
    """A migrated in-memory database (tests, benchmarks)."""
    con = duckdb.connect(":memory:", config=_DUCKDB_CONFIG)
    migrate(con)
    refresh_derived(con)
    return con


def connect_read_only(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True, config=_DUCKDB_CONFIG)


def refresh_derived(con: duckdb.DuckDBPyConnection, *, incremental: bool = False,
                    timings: dict[str, float] | None = None) -> str:
    """Bring what queries/ derives from the stored tables (views, per-project facts) up to
    date: only what the imports added, replaced or removed since the last refresh can change
    (``incremental``, every write), or everything (a rebuild). ``timings`` (optional)
    receives ``refresh.<step>`` seconds."""
    import queries  # the SQL lives there; imported late so store stays importable alone

    return queries.refresh(con, incremental=incremental, timings=timings)


@contextmanager
def _phase(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    """Add the wall time of the block to ``timings[name]`` (when timings is given): how the
    benchmarks see where a write spends its time."""
    import time

    t0 = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0


def note_events_removed(con: duckdb.DuckDBPyConnection, import_id: int, *, as_of=None, regions=None) -> None:
    """Call inside a write before deleting an import's stage events (all of them, or with
    ``as_of``/``regions`` those of the projects a regional import replaces): the refresh at
    the end of the write needs them to keep the stored-once entries (queries/derived.py)."""
    from queries import derived

    derived.note_events_removed(con, import_id, as_of=as_of, regions=regions)


class StoreBusy(RuntimeError):
    """Another writer holds the lock and did not finish in time."""


# DuckDB's buffer pool for a write (default: 80 % of RAM). A write needs about one
# snapshot's rows at a time (queries/derived.py), and spills to a temp file beside the
# database beyond this.
COMMIT_MEMORY_MB = int(os.environ.get("PIPELINE_COMMIT_MEMORY_MB", "1024"))


class StoreOutOfMemory(RuntimeError):
    """A write needed more memory than ``memory_mb`` allows; it was rolled back and the
    database file is as it was. ``message(lang)`` says so in words a manager reads."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        from dashboard import i18n  # pure (no streamlit); late so store stays light to import

        return i18n.t("store_out_of_memory", lang, mb=self.memory_mb)


@contextmanager
def _exclusive_lock(db_path: Path, timeout_s: float) -> Iterator[None]:
    import time

    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"{db_path} is being written by another import; try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _out_of_memory(exc: BaseException | None) -> bool:
    """DuckDB ran out of memory here or in what this error interrupted (a cleanup that
    fails in the aborted transaction raises its own error, with the first as context)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, duckdb.OutOfMemoryException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@contextmanager
def write_transaction(
    db_path: str | os.PathLike, *, lock_timeout_s: float = 60.0, memory_mb: int | None = None,
    timings: dict[str, float] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a private copy of the database, inside a transaction.

    On normal exit the derived tables are brought up to date with the change (only what it
    can change: queries/derived.py), the transaction commits and the copy atomically
    replaces ``db_path``; on an exception nothing at ``db_path`` changes. The schema is
    migrated first. DuckDB may use ``memory_mb`` (default ``COMMIT_MEMORY_MB``); a write
    that needs more raises StoreOutOfMemory (never DuckDB's own text), having written nothing.
    ``timings`` (optional) receives the seconds spent per phase: lock, copy, change (the
    caller's block), refresh and refresh.<step>, commit, checkpoint, replace.
    """
    memory_mb = COMMIT_MEMORY_MB if memory_mb is None else int(memory_mb)
    db_path = Path(db_path)
    with ExitStack() as held:
        with _phase(timings, "lock"):  # the wait for another writer only
            held.enter_context(_exclusive_lock(db_path, lock_timeout_s))
        # Copies left by a writer that was killed: stale, since we now hold the lock.
        for stale in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
            stale.unlink()
        fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            with _phase(timings, "copy"):
                if db_path.exists():
                    shutil.copy2(db_path, tmp)
                else:
                    tmp.unlink()  # DuckDB must create the file itself
            con = duckdb.connect(str(tmp), config=_DUCKDB_CONFIG)
            try:
                con.execute(f"set memory_limit = '{memory_mb}MB'")  # an int we own
                con.execute("begin transaction")
                migrate(con)
                with _phase(timings, "change"):
                    yield con
                with _phase(timings, "refresh"):
                    refresh_derived(con, incremental=True, timings=timings)
                with _phase(timings, "commit"):
                    con.execute("commit")
                with _phase(timings, "checkpoint"):
                    con.execute("checkpoint")
            except BaseException as exc:
                try:
                    con.execute("rollback")
                except duckdb.Error:
                    pass  # the transaction is already gone; the copy is discarded anyway
                if _out_of_memory(exc):
                    raise StoreOutOfMemory(memory_mb) from exc
                raise
            finally:
                con.close()
            with _phase(timings, "replace"):
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, db_path)
                _fsync_dir(db_path.parent)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                if leftover.exists():
                    leftover.unlink()


def rebuild(db_path: str | os.PathLike, *, lock_timeout_s: float = 60.0) -> dict[str, int]:
    """Rebuild every derived table of the database from its stored rows, in one write
    transaction (``dashboard rebuild``): after the data was changed by hand, or to check
    that the increments agree. Its memory is bounded by one snapshot date's rows."""
    import queries

    with write_transaction(db_path, lock_timeout_s=lock_timeout_s) as con:
        queries.refresh(con)
        counts = {name: con.execute(f"select count(*) from {name}").fetchall()[0][0]  # our own names
                  for name in ("snapshot_dates", "project_facts", "stage_event_facts", "pair_facts", "sign_slips")}
    return counts


def ensure_database(db_path: str | os.PathLike, on_create: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> bool:
    """Create or migrate the file if needed; returns True when it was created.

    ``on_create`` runs inside the creating transaction (the app loads the seeds there).
    """
    db_path = Path(db_path)
    if db_path.exists():
        con = connect_read_only(db_path)
        try:
            if not missing_migrations(con):
                return False
        finally:
            con.close()
        with write_transaction(db_path):
            pass
        return False
    with write_transaction(db_path) as con:
        if on_create is not None:
            on_create(con)
    return True


class ReadHub:
    """Read access to a database file that writers replace atomically.

    One in-memory DuckDB per process; the current file is ATTACHed read-only under an
    alias per file generation (inode + mtime). :meth:`cursor` returns a fresh cursor whose
    default catalog is the newest generation, so each Streamlit script run reads one
    consistent file and sees an import as soon as it is committed. The previous generation
    stays attached so a query already running on it finishes; older ones are detached.
    Thread-safe (STACK.md: never share one cursor between threads; take one per run).
    """

    def __init__(self, db_path: str | os.PathLike):
        import threading

        self.db_path = Path(db_path)
        self._hub = duckdb.connect(":memory:", config=_DUCKDB_CONFIG)
        self._lock = threading.Lock()
        self._generations: list[tuple[tuple[int, int, int], str]] = []
        self._counter = 0
        # Distinguishes this hub's generation aliases (pipeline_g1 …) from those of a hub
        # created later for the same path, so cache keys never collide across hubs.
        self.token = uuid.uuid4().hex[:12]

    def _signature(self) -> tuple[int, int, int]:
        st = os.stat(self.db_path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _current_alias(self) -> str:
        sig = self._signature()
        with self._lock:
            if self._generations and self._generations[-1][0] == sig:
                return self._generations[-1][1]
            self._counter += 1
            alias = f"pipeline_g{self._counter}"
            self._hub.execute(f"attach '{_sql_literal(self.db_path)}' as {alias} (read_only)")
            self._generations.append((sig, alias))
            while len(self._generations) > 2:
                _, old = self._generations.pop(0)
                self._hub.execute(f"detach {old}")
            return alias

    def cursor(self) -> duckdb.DuckDBPyConnection:
        alias = self._current_alias()  # alias is ours (pipeline_gN), never user input
        cur = self._hub.cursor()
        cur.execute(f"use {alias}")
        return cur

    def close(self) -> None:
        self._hub.close()


def _sql_literal(path: Path) -> str:
    # The database path comes from our own config/CLI, not from an upload; still quote it.
    return str(path.resolve()).replace("'", "''")
