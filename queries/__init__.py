"""SQL query modules: one statement per .sql file, run with named parameters.

Public API (used by the CLI, the dashboard and the tests):
  run(con, name, filters, **extra) -> polars.DataFrame
  QUERY_NAMES                      the names `dashboard query NAME` accepts
  refresh(con)                     (re)create the staging views and derived tables;
                                   called by dashboard.store at the end of every write
Must not import streamlit.
"""

from queries.filters import Filters
from queries.runner import QUERY_NAMES, refresh, run

__all__ = ["Filters", "QUERY_NAMES", "refresh", "run"]
