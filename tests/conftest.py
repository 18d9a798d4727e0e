"""Shared fixtures: real DuckDB (in memory or a file in tmp_path), real files.

The third-party CRM exports live outside the project in ../shared/data (never copied
in); tests that read them skip with a reason when that folder is absent.
"""

from __future__ import annotations

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
