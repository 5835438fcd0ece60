"""Pilot Outcomes: page config, the sidebar (dataset, filters, settings) and navigation. Nothing else."""

import streamlit as st

from pages import common, identity

st.set_page_config(page_title="Pilot Outcomes", page_icon=":material/insights:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/funnel.py", title="Funnel", icon=":material/filter_alt:", url_path="funnel"),
    st.Page("pages/causes.py", title="Failure causes", icon=":material/report:", url_path="causes"),
    st.Page("pages/stalls.py", title="Stalls", icon=":material/hourglass_bottom:", url_path="stalls"),
    st.Page("pages/cohorts.py", title="Cohorts", icon=":material/stacked_line_chart:", url_path="cohorts"),
    st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:", url_path="forecast"),
    st.Page("pages/changes.py", title="Changes", icon=":material/compare_arrows:", url_path="changes"),
    st.Page("pages/pilots.py", title="Pilots", icon=":material/table_view:", url_path="pilots"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    st.Page("pages/snapshots.py", title="Snapshots", icon=":material/photo_camera:", url_path="snapshots"),
]

position = common.menu_position()  # looks up this run's snapshot link, for the gate too
navigation = st.navigation(identity.visible_pages(PAGES, identity.caller()[1]), position=position)
identity.gate(snapshot_open=common.snapshot_open())
st.session_state["_view"] = common.sidebar(navigation, PAGES)
navigation.run()
