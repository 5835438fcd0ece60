"""What every page shares: the sidebar (dataset, filters, settings), cached data access, small renderers.

This is the only Streamlit module that talks to the store; pages call `current_view()` and analysis.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import queries, store
from analysis.export import safe_csv
from analysis.outcomes import DEFINITIONS, STALL_DAYS, classify, date_fields
from analysis.queries import Filters
from analysis.schema import FIELD_LABELS, stage_label

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
FILTER_KEYS = {"business_unit": "bu", "use_case": "uc", "sourcing": "src", "sponsor": "sponsor"}


@dataclass(frozen=True)
class View:
    """The dataset and settings every page renders: chosen in the sidebar, kept in the URL."""

    dataset_id: str
    info: store.DatasetInfo
    filters: Filters
    as_of: dt.date | None
    stall_days: int


@st.cache_data(show_spinner="Loading the sample portfolio…")
def sample_dataset_id() -> str:
    """The bundled sample, stored once (same bytes -> same dataset)."""
    with store.connect() as con:
        return store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)


@st.cache_data(show_spinner=False, ttl=5)
def dataset_list() -> pd.DataFrame:
    """Stored datasets, newest first (briefly cached: uploads add rows)."""
    with store.connect() as con:
        return store.list_datasets(con)


@st.cache_data(show_spinner=False)
def dataset_info(ds: str) -> store.DatasetInfo | None:
    """A dataset's metadata; datasets are immutable, so it caches forever."""
    with store.connect() as con:
        return store.dataset_info(con, ds)


@st.cache_data(show_spinner=False)
def filter_options(ds: str) -> dict[str, list[str]]:
    """Values of each filterable dimension in the dataset."""
    with store.connect() as con:
        return queries.filter_options(con, ds, list(FILTER_KEYS))


@st.cache_data(show_spinner=False)
def dataset_dates(ds: str) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    """Earliest and latest start date, and the default as-of date (latest date anywhere)."""
    info = dataset_info(ds)
    with store.connect() as con:
        lo, hi = queries.start_range(con, ds)
        return lo, hi, queries.latest_date(con, ds, date_fields(info.stages))


# Frames of every recent view, shared by all sessions. A classified frame takes about 300 bytes a pilot
# (300 MB at 1M pilots), so a few filter combinations are kept, and none for longer than an hour.
VIEW_CACHE_ENTRIES = 8
VIEW_CACHE_TTL = dt.timedelta(hours=1)


@st.cache_resource(show_spinner="Computing…", max_entries=VIEW_CACHE_ENTRIES, ttl=VIEW_CACHE_TTL)
def classified_pilots(ds: str, filters_json: str, as_of: dt.date | None, stall_days: int) -> pd.DataFrame:
    """The filtered pilots with their outcomes, cached per dataset (content-hashed, immutable), filters
    and settings. A resource cache hands back the frame itself, where st.cache_data would pickle it on
    every miss and unpickle it on every rerun (0.2-0.4 s and 0.1 s at 1M pilots); `pilots_for` gives
    callers a copy-on-write view of it, so no page can change the cached frame."""
    info = dataset_info(ds)
    with store.connect() as con:
        pilots = queries.load_pilots(con, ds, Filters.from_dict(json.loads(filters_json)), info.extras)
    return classify(pilots, info.stages, as_of, stall_days)


def pilots_for(view: View) -> pd.DataFrame:
    """The classified pilots of the current view (a shallow copy: under pandas' copy-on-write, changing
    it copies what changes and leaves the cached frame alone)."""
    cached = classified_pilots(view.dataset_id, json.dumps(view.filters.to_dict(), sort_keys=True), view.as_of,
                               view.stall_days)
    return cached.copy(deep=False)


def _dataset_choice() -> str:
    """The dataset in the URL (`?ds=`), else the sample. The URL is the source of truth, so an upload
    selects its dataset by setting `ds` (see `select_dataset`) and a refresh keeps it."""
    sample = sample_dataset_id()
    listing = dataset_list()
    ids = [sample] + [i for i in listing["id"] if i != sample]
    names = dict(zip(listing["id"], listing["name"]))
    # The navigation menu drops the query string on a page switch: fall back to this session's choice.
    wanted = st.query_params.get("ds") or st.session_state.get("_last_ds") or sample
    wanted = wanted if wanted in ids else sample
    if st.session_state.get("ds_select") != wanted:
        st.session_state["ds_select"] = wanted
    chosen = st.sidebar.selectbox(
        "Dataset", ids, key="ds_select", on_change=_dataset_changed,
        format_func=lambda i: "Sample portfolio" if i == sample else f"{names.get(i, i)} · {i[:6]}")
    st.query_params["ds"] = chosen
    st.session_state["_last_ds"] = chosen
    return chosen


def _dataset_changed() -> None:
    st.query_params["ds"] = st.session_state["ds_select"]


def select_dataset(dataset_id: str) -> None:
    """Make a (new) dataset the current one, as a link to it would."""
    dataset_list.clear()
    st.query_params["ds"] = dataset_id


def _filters(ds: str) -> Filters:
    options = filter_options(ds)
    chosen = {}
    for dim, key in FILTER_KEYS.items():
        values = options.get(dim, [])
        if len(values) > 1 or (values and values != [queries.BLANK]):
            chosen[dim] = tuple(st.sidebar.multiselect(FIELD_LABELS[dim], values, key=key,
                                                       bind="query-params", placeholder="All"))
    lo, hi, _ = dataset_dates(ds)
    if lo is None:
        return Filters(chosen)
    start_from = st.sidebar.date_input("Started on or after", value=lo, min_value=lo, max_value=hi,
                                       key="from", bind="query-params")
    start_to = st.sidebar.date_input("Started on or before", value=hi, min_value=lo, max_value=hi,
                                     key="to", bind="query-params")
    return Filters(chosen, start_from if start_from != lo else None, start_to if start_to != hi else None)


def _settings(ds: str) -> tuple[dt.date | None, int]:
    _, _, as_of_default = dataset_dates(ds)
    with st.sidebar.expander("Settings", expanded=False):
        as_of = st.date_input("As-of date", value=as_of_default, key="asof", bind="query-params",
                              help="Stalls and time in flight are measured up to this day. "
                                   "Default: the latest date in the dataset.") if as_of_default else None
        stall = st.number_input("Stalled after (days without progress)", min_value=7, max_value=3650,
                                value=STALL_DAYS, step=1, key="stall", bind="query-params")
    return as_of, int(stall)


def sidebar() -> View:
    """Render the sidebar and return the view it describes."""
    st.sidebar.markdown("### Portfolio")
    ds = _dataset_choice()
    info = dataset_info(ds)
    st.sidebar.markdown("### Filters")
    filters = _filters(ds)
    as_of, stall_days = _settings(ds)
    return View(ds, info, filters, as_of, stall_days)


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


def definitions(view: View, keys: list[str] | None = None) -> None:
    """The outcome definitions used on the page, in an expander beside the numbers."""
    with st.expander("Definitions"):
        for key, text in DEFINITIONS.items():
            if keys is None or key in keys:
                st.markdown(f"**{key.capitalize()}**: " + text.format(
                    days=view.stall_days, as_of=view.as_of.isoformat() if view.as_of else "(no dates)"))


# Rows a table sends to the browser: every row travels on every run (about 150 bytes each as Arrow), and
# Streamlit refuses messages over 200 MB; the CSV download carries the rest.
TABLE_ROWS = 10_000
PILOT_COLUMNS = ["pilot_id", "name", "business_unit", "use_case", "sourcing", "sponsor", "stage", "outcome",
                 "failure_cause", "start_date", "last_progress", "days_without_progress", "spend"]


def pilot_table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The pilots as the table shows them: PILOT_COLUMNS with friendly headers and stage labels."""
    cols = [c for c in PILOT_COLUMNS if c in frame.columns]
    shown = frame[cols].copy()
    if "stage" in shown:
        shown["stage"] = shown["stage"].map(stage_label)
    shown.columns = [FIELD_LABELS.get(c, c.replace("_", " ").capitalize()) for c in cols]
    return shown


def pilot_table(frame: pd.DataFrame, key: str, label: str = "pilots") -> None:
    """The pilots behind a number: a table with friendly headers (the first TABLE_ROWS of them) and a
    safe CSV download of all of them."""
    st.dataframe(pilot_table_frame(frame.head(TABLE_ROWS)), hide_index=True, width="stretch")
    if len(frame) > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS:,} of {len(frame):,} {label} are shown; the download has all of them.")
    # The CSV is made when the button is clicked, not on every run.
    st.download_button(f"Download these {len(frame):,} {label} (CSV)", lambda: safe_csv(pilot_table_frame(frame)),
                       file_name=f"{key}.csv", mime="text/csv", key=f"dl_{key}")


def empty_state(message: str) -> None:
    """Say plainly why there is nothing to show."""
    st.info(message)
