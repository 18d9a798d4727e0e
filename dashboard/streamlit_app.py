"""Entry point: `streamlit run dashboard/streamlit_app.py` (or `make run`).

Owns: page config, the navigation (st.navigation over app_pages.PAGES), the shared sidebar.
Runs before every page: language switch → the sign-in gate (dashboard/auth.py: who is
reading, with which role and regions; an anonymous or unlisted visitor stops here with no
data) → navigation (titles in that language; the Data page only for roles that import) →
filters (one DuckDB cursor for the run, scoped to the caller, see dashboard/data.py) →
who is reading (or "unsigned local mode") → the demo-data banner (while demo data is
loaded) → the page.
"""

import pandas  # noqa: F401  (STACK.md gotcha 4: import before Altair to avoid a first-load race)

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run dashboard/streamlit_app.py` without `pip install -e`
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import auth, i18n, sidebar  # noqa: E402
from dashboard.app_pages import PAGES, _ui  # noqa: E402

st.set_page_config(page_title="大客户项目管道 · Key-account pipeline", page_icon="📊", layout="wide")
# st.dataframe's own CSV export does not neutralise formulas in uploaded text; every table
# has our escaped CSV/Excel buttons instead (dashboard/downloads.py).
st.set_option("client.disableDataExport", True)

lang = sidebar.language()
T = lambda key: i18n.t(key, lang)  # noqa: E731
caller = auth.gate(lang)  # stops the run (sign-in page, "no access yet", refused) unless someone may read

pages = [
    st.Page(p.file, title=T(p.title_key), icon=p.icon, url_path=p.url_path, default=p.default,
            visibility="hidden" if p.hidden else "visible")
    for p in PAGES
    if caller.can_import or not p.importers_only  # the Data page: for roles that import
]
page = st.navigation(pages, position="sidebar")
sidebar.rerun_for_language()  # ?lang=en: the URL now says English; run this page again
ctx = sidebar.render(lang, caller)

auth.identity_note(caller, lang)
_ui.demo_banner(ctx, link=page.url_path != "data" and caller.can_import)
page.run()
