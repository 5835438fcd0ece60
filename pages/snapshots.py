"""Snapshots: the caller's frozen views (every one for an admin) with their links, and revoking one (by
choice, or with a snapshot's revoke key)."""

import pandas as pd
import streamlit as st

from pages.common import (
    current_view,
    empty_state,
    page_title,
    plain,
    revoke_snapshot,
    revoke_with_key,
    snapshot_link,
    snapshot_list,
)

STATUS_LABELS = {"active": "Active", "expired": "Expired", "revoked": "Revoked"}

current_view()  # the sidebar (and, inside a snapshot, its banner) is built before this page runs
st.title("Snapshots")
st.markdown("A snapshot freezes a view (dataset, filters, settings, page) behind a link that reopens the same "
            "numbers, whatever is uploaded later. Make one with **Share snapshot** in the sidebar. Revoking a "
            "snapshot stops its link for good.")
revoked = st.session_state.pop("_revoked", None)
if revoked:
    st.success(f"Revoked “{plain(revoked)}”. Its link now opens nothing.")
with st.expander("Revoke with a key", icon=":material/key:"):
    with st.form("revoke_key_form", clear_on_submit=True, border=False):
        key = st.text_input("Revoke key", type="password", key="revoke_key",
                            help="The key shown once beside a snapshot's link when it was made.")
        if st.form_submit_button("Revoke with this key"):
            done = revoke_with_key(key)
            if done is None:
                st.warning("That key revokes nothing: it is unknown, or its snapshot is already revoked.")
            else:
                st.session_state["_revoked"] = done.title
                st.rerun()
snaps = snapshot_list()
if snaps.empty:
    empty_state("No snapshots yet. Open a view, then use “Share snapshot” in the sidebar.")
    st.stop()
shown = snaps.assign(page=snaps["page"].map(page_title), status=snaps["status"].map(STATUS_LABELS),
                     expires=[f"{e:%Y-%m-%d %H:%M}" if pd.notna(e) else "never" for e in snaps["expires"]],
                     dataset=snaps["dataset_name"] + " · " + snaps["dataset_id"].str[:6],
                     link=[snapshot_link(p, t) for p, t in zip(snaps["page"], snaps["token"])])
st.dataframe(shown[["title", "page", "dataset", "created", "expires", "status", "link", "note", "owner"]],
             hide_index=True, width="stretch", column_config={
                 "title": "Title", "page": "Page", "dataset": "Dataset", "note": "Note", "status": "Status",
                 "owner": "Owner",
                 "created": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"),
                 "expires": "Expires (UTC)",
                 "link": st.column_config.LinkColumn("Link", display_text="Open")})

st.subheader("Revoke a snapshot")
active = snaps[snaps["status"] == "active"]
if active.empty:
    empty_state("Every snapshot is already expired or revoked.")
    st.stop()
labels = {t: f"{title} · {created:%Y-%m-%d %H:%M}" for t, title, created in
          zip(active["token"], active["title"], active["created"])}
token = st.selectbox("Snapshot", list(labels), format_func=labels.get, key="revoke_choice")
sure = st.checkbox("I understand that its link stops working for everyone, for good.", key="revoke_sure")
if st.button("Revoke", key="revoke", disabled=not sure, type="primary"):
    if revoke_snapshot(token):
        st.session_state["_revoked"] = labels[token]
        st.rerun()
    st.warning("Not revoked: only its owner or an admin revokes a snapshot.")
