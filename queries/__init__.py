"""SQL query modules: one statement per .sql file, run with named parameters.

Public API (used by the CLI, the dashboard and the tests):
  run(con, name, filters, **extra) -> polars.DataFrame
  QUERY_NAMES                      the names `dashboard query NAME` accepts
  refresh(con)                     (re)create the staging views and derived tables;
                                   called by dashboard.store at the end of every write
  list_snapshots(con, filters)     the snapshot dates with project counts
  filter_options(con, as_of, allowed_regions) -> {'region': [...], 'grade': [...], ...}
  project_detail(con, project_id, filters) -> {'snapshots', 'events', 'flags'} frames
  ALL_REGIONS, ScopeMissing       the explicit "every region" scope; the error for a call
                                   without a scope (deny by default, queries/filters.py)
Must not import streamlit.
"""

from queries.filters import ALL_REGIONS, Filters, ScopeMissing
from queries.runner import QUERY_NAMES, filter_options, list_snapshots, project_detail, refresh, run

__all__ = ["ALL_REGIONS", "Filters", "ScopeMissing", "QUERY_NAMES", "filter_options", "list_snapshots", "project_detail", "refresh", "run"]
