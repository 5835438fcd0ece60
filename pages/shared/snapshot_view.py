"""A snapshot link's frozen view: the snapshot a token opens (never cached: a revoked or expired link stops
working at once), its banner, and the sidebar showing its values under keys of their own."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from analysis.store import access, snapshots
from analysis.store import datasets as store
from analysis.store.snapshots import Snapshot
from pages import identity
from pages.shared.access import dataset_info
from pages.shared.base import NOT_AVAILABLE, PUBLIC_URL_ENV, SNAPSHOT_PARAM, View, plain
from pages.shared.widgets import _breakdown, _filters, _settings, _valid_state

# ------------------------------------------------------------------ snapshots (store access, never cached:
# a revoked or expired link must stop working at once)

def opened_snapshot(token: str) -> Snapshot | None:
    """The snapshot a token opens; None alike for a malformed, unknown, expired or revoked token."""
    if not snapshots.is_token_shaped(token):
        return None
    with store.connect() as con:
        snap = snapshots.open_snapshot(con, token)
    return snap if snap is not None and dataset_info(snap.dataset_id) is not None else None


def snapshot_list() -> pd.DataFrame:
    """The snapshots the caller may list, newest first: an admin's every one, an analyst's own
    (columns of snapshots.list_snapshots)."""
    who, role = identity.caller()
    with store.connect() as con:
        return snapshots.list_snapshots(con, owner=access.listed_owner(who, role))


def revoke_snapshot(token: str) -> bool:
    """Revoke a snapshot the caller may revoke (access.may_revoke, checked against its stored owner);
    True when it was active until now."""
    who, role = identity.caller()
    with store.connect() as con:
        snap = snapshots.stored_snapshot(con, token)
        if snap is None or not access.may_revoke(who, role, snap.owner):
            return False
        return snapshots.revoke(con, token)


def revoke_with_key(key: str) -> Snapshot | None:
    """Revoke the snapshot of a revoke key (no role needed: the key is given to its owner alone)."""
    with store.connect() as con:
        return snapshots.revoke_with_key(con, key.strip())


def snapshot_open() -> bool:
    """Whether this run shows a snapshot link that opens (menu_position looked it up)."""
    looked = st.session_state.get("_snapshot_run")
    return looked is not None and looked[1] is not None


def snapshot_link(page_path: str, token: str) -> str:
    """The absolute link of a snapshot (relative when the app's address is unknown, as in tests)."""
    path = f"/{page_path}" if page_path else "/"
    return f"{st.session_state.get('_base_url', '')}{path}?{SNAPSHOT_PARAM}={token}"


def page_title(page_path: str) -> str:
    """The title of a page of the app by its url path."""
    return st.session_state.get("_page_titles", {}).get(page_path, page_path or "Overview")


def _base_url(page_path: str) -> str:
    """The app's address: $PILOTS_PUBLIC_URL behind a proxy, else the browser's, without the page path."""
    public = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if public:
        return public.rstrip("/")
    url = (st.context.url or "").rstrip("/")
    if page_path and url.endswith("/" + page_path):
        url = url[: -len(page_path) - 1]
    return url


def _snapshot_token() -> str | None:
    """The snapshot of this run: in the URL, or kept from the last run (a page switch drops the query)."""
    if SNAPSHOT_PARAM in st.query_params:
        return st.query_params[SNAPSHOT_PARAM]
    return st.session_state.get("_snapshot_token")


def menu_position() -> str:
    """Where st.navigation puts its menu: hidden when the snapshot link opens nothing (the page then shows
    the one message and nothing else). Looks the snapshot up once per run, for `sidebar` to use."""
    token = _snapshot_token()
    snap = opened_snapshot(token) if token is not None else None
    st.session_state["_snapshot_run"] = (token, snap)
    return "hidden" if token is not None and snap is None else "sidebar"


def _snapshot_of_run() -> tuple[str | None, Snapshot | None]:
    token = _snapshot_token()
    looked = st.session_state.pop("_snapshot_run", None)
    if looked is not None and looked[0] == token:
        return looked
    return token, (opened_snapshot(token) if token is not None else None)






def _banner(snap: Snapshot, info: store.DatasetInfo) -> None:
    text = (f"**Snapshot: {plain(snap.title)}** · taken {snap.created:%Y-%m-%d %H:%M} UTC from the upload "
            f"{plain(info.name)} (stored {info.created:%Y-%m-%d}, dataset {info.id[:8]}). The numbers are frozen: "
            "later uploads do not change them.")
    if snap.expires is not None:
        text += f" This link works until {snap.expires:%Y-%m-%d %H:%M} UTC."
    st.info(text + (f"\n\n{plain(snap.note)}" if snap.note else ""), icon=":material/photo_camera:")



def _snapshot_view(token: str | None, snap: Snapshot | None) -> View | None:
    """The frozen view of a snapshot link (None without one); a link that opens nothing stops the page
    after the one plain message."""
    if token is None:
        return None
    if snap is None:
        st.session_state.pop("_snapshot_token", None)
        st.info(NOT_AVAILABLE)
        st.stop()
    st.session_state["_snapshot_token"] = token
    if st.query_params.to_dict() != {SNAPSHOT_PARAM: token}:
        st.query_params.from_dict({SNAPSHOT_PARAM: token})
    ds, info = snap.dataset_id, dataset_info(snap.dataset_id)
    state = _valid_state(ds, snap.state)
    _banner(snap, info)
    st.session_state["_last_ds"] = ds  # leaving it opens a live view of its dataset, with its values
    st.sidebar.markdown("### Portfolio")
    st.sidebar.selectbox("Dataset", [ds], format_func=lambda _: f"{info.name} · {ds[:6]}", disabled=True,
                         key="snap_ds", help="A snapshot keeps the dataset it was taken on.")
    st.sidebar.markdown("### Filters")
    _filters(ds, snap, state)
    _breakdown(ds, info, snap, state)
    _settings(ds, snap, state)
    return View(ds, info, state.filters, state.as_of, state.stall_days, state.breakdown, snap)
