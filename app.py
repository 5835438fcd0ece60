"""Pilot Outcomes: page config, the sidebar (dataset, filters, settings) and navigation. Nothing else."""

import streamlit as st

from pages import common

st.set_page_config(page_title="Pilot Outcomes", page_icon="🧭", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="🧭", default=True),
    st.Page("pages/funnel.py", title="Funnel", icon="🔻", url_path="funnel"),
    st.Page("pages/causes.py", title="Failure causes", icon=":material/report:", url_path="causes"),
    st.Page("pages/stalls.py", title="Stalls", icon=":material/hourglass_bottom:", url_path="stalls"),
    st.Page("pages/pilots.py", title="Pilots", icon=":material/table_view:", url_path="pilots"),
    st.Page("pages/data.py", title="Data", icon="📥", url_path="data"),
]

navigation = st.navigation(PAGES)
st.session_state["_view"] = common.sidebar()
navigation.run()
