"""The headless layers never import streamlit (held by a machine, not by memory)."""

import subprocess
import sys

import pytest

HEADLESS = ["dashboard.config", "dashboard.store", "dashboard.ingest", "dashboard.cli", "dashboard.access", "dashboard.sso_demo", "queries", "dashboard.forecasting", "dashboard.project_view", "dashboard.weekly_view"]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_streamlit(module):
    code = f"import sys, {module}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulled in streamlit"


def test_the_demo_loader_does_not_import_streamlit():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, dashboard.demo; print('streamlit' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "False"


def test_pages_contain_no_sql():
    """Pages reach the database only through dashboard/data.py -> queries.run."""
    import pathlib
    import re

    ui = pathlib.Path(__file__).resolve().parent.parent / "dashboard"
    files = [*ui.glob("app_pages/*.py"), ui / "sidebar.py", ui / "charts.py", ui / "streamlit_app.py", ui / "auth.py"]
    sql_call = re.compile(r"\.(sql|execute|executemany)\(|\bimport duckdb\b|\bselect\s+.+\s+from\s", re.I)
    offenders = [f"{f.name}:{i}" for f in files for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if sql_call.search(line)]
    assert offenders == []


def test_server_code_never_calls_polars_map_elements():
    """map_elements deadlocked the multi-session server (dashboard/pymap.py says why)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    files = [*root.glob("dashboard/**/*.py"), *root.glob("queries/**/*.py")]
    offenders = [
        f"{f.relative_to(root)}:{i}"
        for f in files
        if f.name != "pymap.py"
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if "map_elements(" in line
    ]
    assert offenders == []
