"""Shared fixtures: real DuckDB (in memory or a file in tmp_path), real files.

The third-party CRM exports live outside the project in ../shared/data (never copied
in); tests that read them skip with a reason when that folder is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard import store

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT / "seeds"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"third-party CRM exports not found at {SHARED_DATA} (they live outside the repo)")
    return SHARED_DATA


@pytest.fixture
def mem_con():
    con = store.connect_memory()
    yield con
    con.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "pipeline.duckdb"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per browser-test module (Debian's, driven by the pip playwright
    package: tests/browser_support.py)."""
    import browser_support as bs

    with bs.chromium() as b:
        yield b


# --- the seed databases, built once per test run ----------------------------------------
# Read them directly, or take a copy (`company_db_copy`, `demo_db_copy`) to write: no test
# changes them.


@pytest.fixture(scope="session")
def company_seed_db(tmp_path_factory) -> Path:
    """The seed exports imported as the company's own (the importer, no demo mark)."""
    from dashboard import demo, ingest

    path = tmp_path_factory.mktemp("company-seeds") / "pipeline.duckdb"
    ingest.commit(path, demo.prepare_seeds())
    return path


@pytest.fixture(scope="session")
def demo_seed_db(tmp_path_factory) -> Path:
    """The seeds loaded as demo data, the way the app's first start loads them."""
    from dashboard import demo

    path = tmp_path_factory.mktemp("demo-seeds") / "pipeline.duckdb"
    demo.load_seeds(path)
    return path


def copy_of(db: Path, folder: Path) -> Path:
    copy = folder / "pipeline.duckdb"
    shutil.copy(db, copy)
    return copy


@pytest.fixture
def company_db_copy(company_seed_db, tmp_path) -> Path:
    """A writable copy of ``company_seed_db`` in the test's tmp_path."""
    return copy_of(company_seed_db, tmp_path)


@pytest.fixture
def demo_db_copy(demo_seed_db, tmp_path) -> Path:
    """A writable copy of ``demo_seed_db`` in the test's tmp_path."""
    return copy_of(demo_seed_db, tmp_path)
