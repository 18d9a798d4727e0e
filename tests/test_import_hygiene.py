"""The headless layers never import streamlit (held by a machine, not by memory)."""

import subprocess
import sys

import pytest

HEADLESS = ["dashboard.config", "dashboard.store", "dashboard.ingest", "dashboard.cli", "queries"]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_streamlit(module):
    code = f"import sys, {module}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulled in streamlit"
