"""The dashboard's pages (one file per page, UI only) and their shared helpers (_ui.py).

Not named ``pages/``: that name triggers Streamlit's old automatic page discovery; the
entry script lists these files in ``st.navigation`` instead.
"""
