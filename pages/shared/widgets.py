"""The sidebar's widgets: the dataset, the filters, the breakdown and the settings, bound to the URL in a
live view (the address bar is always a link to it) or holding a snapshot's values; leaving a snapshot."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit.errors import StreamlitAPIException

from analysis.metrics.outcomes import (
    STALL_DAYS,
)
from analysis.schema import FIELD_LABELS
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import Filters
from analysis.store.snapshots import Snapshot, ViewState
from pages.shared.access import (
    breakdown_options,
    dataset_dates,
    dataset_info,
    dataset_list,
    dimension_label,
    filter_options,
    sample_dataset_id,
)
from pages.shared.base import (
    DEFAULT_BREAKDOWN,
    FILTER_KEYS,
    LIVE_KEYS,
    SNAPSHOT_PARAM,
    STALL_MAX,
    STALL_MIN,
    STALL_PATTERN,
)


def _widget(key: str, snap: Snapshot | None, frozen: object, **live: object) -> dict:
    """Keyword arguments of a sidebar widget: in a live view, bound to the URL with the `live` defaults; in
    a snapshot, a key of its own holding the frozen value (so no default is passed), and a change leaves
    the snapshot."""
    if snap is None:
        reseeded = st.session_state.get("_reseeded", set())
        if key in reseeded:  # its value was set for a new dataset: no default beside it
            reseeded.discard(key)
            live = {k: v for k, v in live.items() if k not in ("value", "index")}
        return {"key": key, "bind": "query-params", **live}
    st.session_state[f"snap_{key}"] = frozen
    return {"key": f"snap_{key}", "on_change": _leave_snapshot, "args": (snap,)}


def _leave_snapshot(snap: Snapshot) -> None:
    """A frozen widget changed (or the user asked): ask for a live view with the widgets' values. A callback
    cannot seed the URL-bound widgets, so the next run puts the values in the URL and reruns (`_follow_leave`)."""
    st.session_state.pop("_snapshot_token", None)
    st.session_state["_left_snapshot"] = snap.title
    st.session_state["_leave_to"] = _live_params(snap)


def _live_params(snap: Snapshot) -> dict[str, str | list[str]]:
    """The live view's query string for the values the frozen widgets hold now."""
    info = dataset_info(snap.dataset_id)
    params: dict[str, str | list[str]] = {"ds": snap.dataset_id}
    for key in LIVE_KEYS:
        value = st.session_state.get(f"snap_{key}")
        if isinstance(value, list):
            params[key] = [str(v) for v in value]
        elif isinstance(value, dt.date):
            params[key] = value.isoformat()
        elif value is not None:
            # a bound selectbox keeps its shown label in the URL
            params[key] = dimension_label(info, value) if key == "by" else str(int(value))
    return {k: v for k, v in params.items() if v != []}


def _follow_leave() -> None:
    """After leaving a snapshot: the live view's values go into the URL, and a rerun seeds the widgets."""
    params = st.session_state.pop("_leave_to", None)
    if params is not None:
        st.query_params.from_dict(params)
        st.rerun()



# ------------------------------------------------------------------ the sidebar

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
    if st.session_state.get("_last_ds") not in (None, wanted):
        _forget_view_of_other_dataset(wanted)
    chosen = st.sidebar.selectbox(
        "Dataset", ids, key="ds_select", on_change=_dataset_changed,
        format_func=lambda i: "Sample portfolio" if i == sample else f"{names.get(i, i)} · {i[:6]}")
    st.query_params["ds"] = chosen
    st.session_state["_last_ds"] = chosen
    return chosen


def _forget_view_of_other_dataset(ds: str) -> None:
    """Another dataset was chosen (or uploaded) in this session: its filters, date range, as-of date and
    breakdown start from the new dataset's defaults, not from the last one's values (a start range or an
    as-of date of another portfolio silently cut the new one). The browser sends a widget's last value
    back on every run, so the defaults are set, not just forgotten. The stall rule, a setting, stays."""
    lo, hi, as_of = dataset_dates(ds)
    options = breakdown_options(ds)
    seeds = {**{k: [] for k in FILTER_KEYS.values()}, "from": lo, "to": hi, "asof": as_of,
             "by": _default_breakdown(ds, None) if options else None}
    for key, value in seeds.items():
        if key in st.query_params:
            del st.query_params[key]
        if value is None:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value
    st.session_state["_reseeded"] = {k for k, v in seeds.items() if v is not None}


def _dataset_changed() -> None:
    st.query_params["ds"] = st.session_state["ds_select"]


def select_dataset(dataset_id: str) -> None:
    """Make a (new) dataset the current one, as a link to it would (leaving a snapshot, if in one)."""
    dataset_list.clear()
    st.session_state.pop("_snapshot_token", None)
    if SNAPSHOT_PARAM in st.query_params:
        del st.query_params[SNAPSHOT_PARAM]
    st.query_params["ds"] = dataset_id


def _filters(ds: str, snap: Snapshot | None = None, state: ViewState | None = None) -> Filters:
    options = filter_options(ds)
    frozen = state.filters if state else Filters()
    chosen = {}
    for dim, key in FILTER_KEYS.items():
        values = options.get(dim, [])
        if len(values) > 1 or (values and values != [queries.BLANK]):
            chosen[dim] = tuple(st.sidebar.multiselect(FIELD_LABELS[dim], values, placeholder="All",
                                                       **_widget(key, snap, list(frozen.values.get(dim, ())))))
    lo, hi, _ = dataset_dates(ds)
    if lo is None:
        return Filters(chosen)
    start_from = st.sidebar.date_input("Started on or after", min_value=lo, max_value=hi,
                                       **_widget("from", snap, _within(frozen.start_from or lo, lo, hi), value=lo))
    start_to = st.sidebar.date_input("Started on or before", min_value=lo, max_value=hi,
                                     **_widget("to", snap, _within(frozen.start_to or hi, lo, hi), value=hi))
    return Filters(chosen, start_from if start_from != lo else None, start_to if start_to != hi else None)


def _within(day: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    return min(max(day, lo), hi)


def _breakdown(ds: str, info: store.DatasetInfo, snap: Snapshot | None = None,
               state: ViewState | None = None) -> str | None:
    """The dimension every breakdown uses (funnel by segment, ...), kept in the URL as `by`."""
    options = breakdown_options(ds)
    if not options:
        return None
    default = _default_breakdown(ds, None)
    return st.sidebar.selectbox("Break down by", options, format_func=lambda d: dimension_label(info, d),
                                **_widget("by", snap, state.breakdown if state else default,
                                          index=options.index(default)))



def _settings(ds: str, snap: Snapshot | None = None, state: ViewState | None = None) -> tuple[dt.date | None, int]:
    _, _, as_of_default = dataset_dates(ds)
    with st.sidebar.expander("Settings", expanded=False):
        as_of = st.date_input("As-of date", help="Stalls and time in flight are measured up to this day. "
                                                 "Default: the latest date in the dataset.",
                              **_widget("asof", snap, state.as_of if state else None,
                                        value=as_of_default)) if as_of_default else None
        stall = st.number_input("Stalled after (days without progress)", min_value=STALL_MIN, max_value=STALL_MAX,
                                step=1, **_widget("stall", snap, state.stall_days if state else None,
                                                  value=STALL_DAYS))
    return as_of, int(stall)


def _drop_unusable_params() -> None:
    """Drop a URL value that would crash its widget rather than be ignored (Streamlit 1.67 lets an
    OverflowError out of a number input seeded with `?stall=1e400`), and rerun so that no widget sees it."""
    raw = st.query_params.get_all("stall")
    if raw and not STALL_PATTERN.fullmatch(raw[-1]):
        try:
            del st.query_params["stall"]
        except StreamlitAPIException:  # bound by an earlier run: the widget has a value already
            return
        st.rerun()


def _valid_state(ds: str, state: ViewState) -> ViewState:
    """A snapshot's state checked against its dataset: unknown dimensions and values dropped, the stall
    threshold kept in the widget's range, an unknown breakdown replaced by the default."""
    options = filter_options(ds)
    values = {d: tuple(v for v in vals if v in options.get(d, [])) for d, vals in state.filters.values.items()
              if d in FILTER_KEYS}
    filters = Filters({d: v for d, v in values.items() if v}, state.filters.start_from, state.filters.start_to)
    stall = min(max(state.stall_days, STALL_MIN), STALL_MAX)
    return ViewState(filters, state.as_of, stall, _default_breakdown(ds, state.breakdown))


def _default_breakdown(ds: str, wanted: str | None) -> str | None:
    options = breakdown_options(ds)
    if wanted in options:
        return wanted
    return DEFAULT_BREAKDOWN if DEFAULT_BREAKDOWN in options else (options[0] if options else None)
