"""Entry point: `streamlit run dashboard/streamlit_app.py` (placeholder until the UI issue)."""

import pandas  # noqa: F401  (STACK.md gotcha 4: import before Altair to avoid a first-load race)
import streamlit as st

st.set_page_config(page_title="大客户项目管道 Pipeline", layout="wide")
st.title("Key-account pipeline · 大客户项目管道")
st.info("The dashboard pages are being built; use `dashboard ingest` and `dashboard query` meanwhile.")
