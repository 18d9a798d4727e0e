"""Python functions per value of a Polars column — without Polars' ``map_elements``.

Why this exists: ``map_elements`` runs the Python function on Polars' worker threads. In a
multi-threaded server (Streamlit runs every session's script in its own thread) that
deadlocked the whole process against another thread's ``DataFrame.to_pandas()`` (which
``st.dataframe`` and Altair call): a Polars worker waits for the GIL while the thread
holding the GIL waits for the same worker pool. Reproduced with polars 2.1.0 outside
Streamlit; see bench/results/ui.md. Here the values are pulled into Python on the calling
thread, formatted there, and handed back as a Series — the same result, no pool involved.

Nulls are passed through as nulls (as ``map_elements`` did by default).
Pure: no streamlit import. tests/test_import_hygiene.py forbids map_elements in the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl


def values(df: pl.DataFrame, column: str, fn: Callable[[Any], Any], *, dtype: pl.DataType | type[pl.DataType] = pl.String, name: str | None = None) -> pl.Series:
    """``fn(value)`` for each non-null value of ``df[column]``."""
    out = [None if v is None else fn(v) for v in df.get_column(column).to_list()]
    return pl.Series(name or column, out, dtype=dtype)


def rows(df: pl.DataFrame, columns: Sequence[str], fn: Callable[[dict[str, Any]], Any], *, name: str, dtype: pl.DataType | type[pl.DataType] = pl.String) -> pl.Series:
    """``fn(row)`` for each row, the row a dict of ``columns``."""
    out = [fn(row) for row in df.select(columns).iter_rows(named=True)]
    return pl.Series(name, out, dtype=dtype)
