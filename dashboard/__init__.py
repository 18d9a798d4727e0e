"""Key-account pipeline dashboard.

Package map (see docs/ARCHITECTURE.md):
  config      the domain configuration (dashboard/domain.toml), typed; no I/O beyond reading it
  store       the DuckDB file: schema migrations, connections, the one write path
  ingest/     Polars readers, header aliases, value parsers, validation; no streamlit
  cli         the `dashboard` command
  streamlit_app, app_pages/, sidebar, charts, data   the Streamlit UI
"""
