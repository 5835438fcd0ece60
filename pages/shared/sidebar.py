"""The sidebar of every page: a live or a snapshot view, sharing a snapshot, the report; `current_view` for
the pages.

Two modes. A live view keeps everything in the URL (`?ds=`, widgets bound to query params), so the address
bar is always a link to it. A snapshot view (`?snapshot=<token>`) takes dataset, filters and settings from
the stored snapshot; its widgets show the frozen values under their own keys, and changing one leaves the
snapshot for a live view with the same values plus the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import streamlit as st

from analysis.cli.report import ReportContext, report_html, source_of_dataset
from analysis.store import access, snapshots
from analysis.store import datasets as store
from pages import identity
from pages.shared.access import dataset_info
from pages.shared.base import COMPARE_KEY, View, plain
from pages.shared.columns import release_memory
from pages.shared.frames import pilots_for
from pages.shared.snapshot_view import _base_url, _snapshot_of_run, _snapshot_view, snapshot_link
from pages.shared.widgets import (
    _breakdown,
    _dataset_choice,
    _drop_unusable_params,
    _filters,
    _follow_leave,
    _leave_snapshot,
    _settings,
)


def _live_view() -> View:
    _drop_unusable_params()
    left = st.session_state.pop("_left_snapshot", None)
    if left is not None:
        st.info(f"You left the snapshot “{plain(left)}”. This is a live view: its numbers follow the data and "
                "the filters as they are now. The snapshot link still opens the frozen view.", icon=":material/lock_open:")
    st.sidebar.markdown("### Portfolio")
    ds = _dataset_choice()
    info = dataset_info(ds)
    st.sidebar.markdown("### Filters")
    filters = _filters(ds)
    breakdown = _breakdown(ds, info)
    as_of, stall_days = _settings(ds)
    return View(ds, info, filters, as_of, stall_days, breakdown)


def _share(view: View, page_path: str) -> None:
    """'Share snapshot': freeze the view behind a link (or, in a snapshot, show its link)."""
    with st.sidebar.expander("Share snapshot", icon=":material/share:"):
        if view.snapshot is not None:
            st.caption("This view is a snapshot. Its link:")
            st.code(snapshot_link(view.snapshot.page, view.snapshot.token), language=None, wrap_lines=True)
            st.button("Open the live view", on_click=_leave_snapshot, args=(view.snapshot,), key="snap_leave")
            return
        with st.form("share", clear_on_submit=True, border=False):
            title = st.text_input("Title", max_chars=snapshots.TITLE_MAX, placeholder="Q3 portfolio review")
            note = st.text_area("Note (optional)", max_chars=snapshots.NOTE_MAX, height=80)
            until = st.date_input("Valid until (optional, UTC)", value=None, min_value=dt.date.today(),
                                  help="The link stops working after this day. Empty: it never expires.")
            if st.form_submit_button("Create snapshot link"):
                _create_snapshot(view, page_path, title, note, until)
        shared = st.session_state.get("_shared")
        if shared:
            st.caption(f"Link to the snapshot “{plain(shared[0])}”, ready to copy:")
            st.code(shared[1], language=None, wrap_lines=True)
            st.caption("Its revoke key, for you alone (Snapshots page, “Revoke with a key”); it is shown once:")
            st.code(shared[2], language=None, wrap_lines=True)


def _create_snapshot(view: View, page_path: str, title: str, note: str, until: dt.date | None) -> None:
    expires = dt.datetime.combine(until + dt.timedelta(days=1), dt.time()) if until else None
    who, role = identity.caller()
    if not access.allowed(role, "make_snapshot"):
        st.warning("No snapshot made: making snapshots needs the analyst role.")
        return
    try:
        with store.connect() as con:
            state = replace(view.state, compare=st.session_state.get(COMPARE_KEY))
            snap = snapshots.create(con, view.dataset_id, state, page_path, title, note, expires, owner=who.user)
    except ValueError as exc:
        st.warning(f"No snapshot made: {exc}.")
        return
    st.session_state["_shared"] = (snap.title, snapshot_link(snap.page, snap.token), snap.revoke_key)


def view_report(view: View) -> str:
    """The HTML report of a view (same analyses and figures as the pages)."""
    context = ReportContext(pilots_for(view), view.info.stages, view.state, source_of_dataset(view.info),
                            view.info.extras, view.snapshot)
    return report_html(context)


def _report_button(view: View) -> None:
    day = view.as_of.isoformat() if view.as_of else "undated"
    st.sidebar.download_button(
        "Download report", data=lambda: view_report(view), file_name=f"pilot-outcomes-{view.dataset_id[:8]}-{day}.html",
        mime="text/html", on_click="ignore", key="dl_report", icon=":material/download:",
        help="One HTML file with this view's numbers and charts; it opens offline and can be mailed.")


def sidebar(page, pages: list) -> View:
    """Render the sidebar (and a snapshot's banner) and return the view it describes.

    `page` is the page st.navigation chose, `pages` every page of the app (for titles and links)."""
    release_memory()
    st.session_state["_page_titles"] = {p.url_path: p.title for p in pages}
    st.session_state["_base_url"] = _base_url(page.url_path)
    _follow_leave()
    view = _snapshot_view(*_snapshot_of_run()) or _live_view()
    _share(view, page.url_path)
    st.session_state.pop(COMPARE_KEY, None)  # a page's comparison is frozen only from the page that set it
    _report_button(view)
    return view


def current_view() -> View:
    """The view the sidebar built in this run (app.py stores it before running the page).

    Until some session has run app.py's st.navigation, Streamlit runs a deep link (/funnel, /data) as an
    old-style page from the pages/ folder, without app.py. Then switch Streamlit to app.py's navigation
    and run again, so the first link opened after a server start shows its page like any other.
    """
    if "_view" not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state["_view"]
