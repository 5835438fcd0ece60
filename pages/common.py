"""What every page shares: the sidebar (dataset, filters, settings, snapshot, report), cached data access,
small renderers.

This is the only Streamlit module that talks to the store; pages call `current_view()` and analysis.

Two modes. A live view keeps everything in the URL (`?ds=`, widgets bound to query params), so the address
bar is always a link to it. A snapshot view (`?snapshot=<token>`) takes dataset, filters and settings from
the stored snapshot; its widgets show the frozen values under their own keys, and changing one leaves the
snapshot for a live view with the same values plus the change.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import re
import threading
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analysis import access, memory
from analysis.cli.export import safe_csv
from analysis.cli.report import ReportContext, report_html, source_of_dataset
from analysis.figures.base import Drill, drill, mark_key
from analysis.metrics.outcomes import (
    DEFINITIONS,
    OUTCOME_COLUMNS,
    STALL_DAYS,
    classify,
    classify_inputs,
    date_fields,
)
from analysis.schema import FIELD_LABELS, STATUS_LABELS, cause_label, stage_label
from analysis.store import datasets as store
from analysis.store import queries, snapshots
from analysis.store.queries import Filters
from analysis.store.snapshots import Snapshot, ViewState
from pages import identity

# Everything imported so far (Streamlit, pandas, plotly, DuckDB, the analyses) lives as long as the server:
# moved out of the garbage collector's sight, a full collection during a run no longer walks it (at 100k
# pilots a filter change paid ~60 ms for those walks).
gc.freeze()

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
FILTER_KEYS = {"business_unit": "bu", "use_case": "uc", "sourcing": "src", "sponsor": "sponsor"}
LIVE_KEYS = [*FILTER_KEYS.values(), "from", "to", "asof", "stall", "by"]  # the URL-bound sidebar widgets
SNAPSHOT_PARAM = "snapshot"
PUBLIC_URL_ENV = "PILOTS_PUBLIC_URL"  # the app's public address when it runs behind a proxy
NOT_AVAILABLE = "This snapshot link is not available."  # the one answer to unknown, expired and revoked links
DEFAULT_BREAKDOWN = "business_unit"
STALL_MIN, STALL_MAX = 7, 3650  # a week to ten years without progress
STALL_PATTERN = re.compile(r"\d{1,4}")  # what a stall threshold in the URL may look like
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~$:&])")  # characters that start markup anywhere
_LINE_START = re.compile(r"^(?:(\d+)([.)])|([-+=]))")  # what starts a list or a heading only at the start


@dataclass(frozen=True)
class View:
    """The dataset and settings every page renders: chosen in the sidebar, kept in the URL."""

    dataset_id: str
    info: store.DatasetInfo
    filters: Filters
    as_of: dt.date | None
    stall_days: int
    breakdown: str | None = None  # dimension the breakdowns use
    snapshot: Snapshot | None = None  # set when the view is a frozen snapshot

    @property
    def state(self) -> ViewState:
        """Filters and settings, as a snapshot keeps them."""
        return ViewState(self.filters, self.as_of, self.stall_days, self.breakdown)


def plain(text: object) -> str:
    """Text from an upload, a URL or a user, made inert for Streamlit markdown: on one line, with every
    character that could start a link, an image, emphasis, HTML or a directive backslash-escaped."""
    line = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", line)


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


Coded = tuple[np.ndarray, pd.CategoricalDtype]  # a column dictionary-coded: codes per pilot, their dtype

# Every pilot's columns, shared by all sessions, each fetched from the store the first time a page asks for
# it and then kept (StoredColumns), and classify's columns per as-of / stall setting (outcome_columns): a
# page's frame is put together from them without copying. All ~25 columns were brought into pandas at once
# (0.3-0.45 s and 255 MB at 1M pilots, most of them read by no page but a pilot table, which needs only the
# rows it shows: view_rows). Two datasets and two settings are kept, none for longer than an hour. A
# filtered view is that frame cut to the positions its filters select: only the positions are cached (8
# bytes a pilot, so many filter combinations fit), and the cut is made on each run. Cached cut frames were a
# copy of nearly every pilot per filter combination (eight of them took the views of 1M pilots past 2 GB);
# the cut costs 10-20 ms at 100k pilots and is freed when the run ends.
FRAME_CACHE_ENTRIES = 2
VIEW_CACHE_ENTRIES = 64
VIEW_CACHE_TTL = dt.timedelta(hours=1)


class StoredColumns:
    """Every pilot's columns of one dataset in file order, each fetched from the store the first time it
    is asked for, then kept read-only (as `queries.load_pilots(..., Filters())` gives it: load_columns);
    and the codes of the text columns pages group by (and of the status classify reads), counted in SQL
    without fetching their text (codes: at 1M pilots 80-100 ms less per page that codes, and the views'
    peak 982 -> ~815 MB without the text of six columns)."""

    def __init__(self, ds: str) -> None:
        self.ds = ds
        with store.connect() as con:
            self.names = queries.table_columns(con, ds)
            self.text = set(queries.text_columns(con, ds))
            self.rows = queries.pilot_count(con, ds)
        self._kept: dict[str, pd.Series] = {}
        self._codes: dict[str, Coded] = {}
        self._too_many: set[str] = set()  # text columns with too many values to code in SQL
        self._lock = threading.RLock()  # sessions run in threads: one fetch of a column, not one each
        self._warming: threading.Thread | None = None  # the thread coding columns ahead of the pages (warm)

    def get(self, names: list[str]) -> dict[str, pd.Series]:
        """The columns named (each of the table's), fetched together where not kept yet."""
        with self._lock:
            missing = [c for c in names if c not in self._kept]
            if missing:
                with store.connect() as con:
                    fetched = queries.load_columns(con, self.ds, missing)
                self._kept.update((c, fetched[c]) for c in missing)
                release_memory()
            return {c: self._kept[c] for c in names}

    def codes(self, names: list[str]) -> dict[str, Coded]:
        """The text columns named (each of self.text) dictionary-coded, as `text_codes` gives them: counted in
        SQL where not kept yet (queries.text_codes), so their text is neither fetched nor kept; a column with
        too many values to code in SQL is fetched and factorized."""
        with self._lock:
            self._count(names)
            for column in [c for c in names if c not in self._codes]:
                self._codes[column] = as_coded(*pd.factorize(self.get([column])[column]))
            return {c: self._codes[c] for c in names}

    def _count(self, names: list[str]) -> None:
        """Code in SQL those of these text columns not coded yet (those with too many values stay uncoded,
        and are not counted again)."""
        with self._lock:
            missing = [c for c in names if c in self.text and c not in self._codes and c not in self._too_many]
            if missing:
                with store.connect() as con:
                    found = queries.text_codes(con, self.ds, missing)
                self._codes.update((c, as_coded(codes, pd.Index(values, dtype="str"))) for c, (codes, values) in found.items())
                self._too_many.update(c for c in missing if c not in found)

    def warm(self, coded: list[str], fetched: list[str]) -> None:
        """Code the text columns `coded` in SQL and fetch the columns `fetched` on a thread of their own,
        once per dataset of more than WARM_ABOVE pilots: the first page to ask computes on one core while
        DuckDB works on the other, and a later page that reads them finds them ready (it would wait for
        the lock, not read them again)."""
        with self._lock:
            if self._warming is None and self.rows > WARM_ABOVE:
                self._warming = threading.Thread(target=self._warm, args=(coded, fetched), daemon=True)
                self._warming.start()

    def _warm(self, coded: list[str], fetched: list[str]) -> None:
        with self._lock:
            self._count(coded)
            self.get([c for c in fetched if c in self.names])

    def rows_at(self, wanted: np.ndarray, dtypes: dict[str, object]) -> pd.DataFrame:
        """Every stored column at these positions (in the order given, repeats allowed), as
        `queries.load_rows` reads them (`dtypes`: whole_dtypes): the kept columns cut, the coded ones
        decoded, and only the others read from the store (at 1M pilots a narrower query: 1,000 scattered
        rows of a few columns in ~8 ms, of all ~25 in ~25)."""
        with self._lock:
            kept, coded = dict(self._kept), dict(self._codes)
        rest = [c for c in self.names if c not in kept and c not in coded]
        parts: dict[str, pd.Series] = {}
        if rest:
            ordered = np.unique(wanted)
            with store.connect() as con:
                read = queries.load_rows(con, self.ds, ordered, dtypes, rest)
            parts.update(read.take(np.searchsorted(ordered, wanted)).reset_index(drop=True).items())
        parts.update((c, kept[c].take(wanted).reset_index(drop=True)) for c in kept)
        parts.update((c, queries.text_from_codes(codes[wanted], list(dtype.categories)))
                     for c, (codes, dtype) in coded.items() if c not in kept)
        return pd.DataFrame({c: parts[c] for c in self.names}, index=pd.RangeIndex(len(wanted)), copy=False)

    def has_all(self) -> bool:
        """Whether every column is kept (a page asked for all of them)."""
        return len(self._kept) == len(self.names)


# Above this many pilots the breakdown dimensions are coded ahead of the pages that group by them (Failure
# causes, Cohorts), and the view's breakdown fetched for the Funnel, while the first page computes: at 1M
# pilots ~45 ms of SQL on the core it leaves idle.
WARM_ABOVE = 250_000
RELEASE_ABOVE = 64 * 1024 ** 2  # bytes of freed memory malloc may keep between runs (see release_memory)


def release_memory() -> None:
    """Hand memory freed since the last call back to the system when there is much of it (at 1M pilots a
    page run left 100-200 MB, on top of which the next page's peak came). Called after a fetch and at the
    start of every run (`sidebar`); below RELEASE_ABOVE it is kept, to spare 100k pages re-faulting it.
    First the young garbage is collected: a plotly figure is a reference cycle (figure <-> layout), so what
    it holds (a drill-down's pilot ids, 7-75 MB at 1M pilots) waited for the cyclic collector, which runs
    when Python has made enough objects, not when the memory is needed: the views peak moved by 30 MB with
    the number of objects earlier pages made. Collecting the two young generations costs 0-5 ms a run."""
    gc.collect(1)
    memory.release_memory(keep=RELEASE_ABOVE)


@st.cache_resource(show_spinner=False, max_entries=FRAME_CACHE_ENTRIES, ttl=VIEW_CACHE_TTL)
def stored_columns(ds: str) -> StoredColumns:
    """The columns of a dataset's pilots kept so far (datasets are content-hashed and immutable)."""
    return StoredColumns(ds)


@st.cache_resource(show_spinner="Computing…", max_entries=FRAME_CACHE_ENTRIES, ttl=VIEW_CACHE_TTL)
def outcome_columns(ds: str, as_of: dt.date | None, stall_days: int) -> pd.DataFrame:
    """classify's columns (OUTCOME_COLUMNS) of every pilot, from the columns it reads only (classify is
    row by row and reads nothing else, so they equal those of classifying the whole frame), the status
    read coded (StoredColumns.codes). A resource cache hands back the frame itself (st.cache_data would
    pickle and unpickle it); never changed."""
    info, kept = dataset_info(ds), stored_columns(ds)
    inputs = [c for c in classify_inputs(info.stages) if c in kept.names]
    if "status" not in kept.text:
        return classify(pd.DataFrame(kept.get(inputs), copy=False), info.stages, as_of, stall_days)[OUTCOME_COLUMNS]
    codes, dtype = kept.codes(["status"])["status"]  # the status coded in SQL: its text is never fetched
    read = pd.DataFrame(kept.get([c for c in inputs if c != "status"]), index=pd.RangeIndex(kept.rows), copy=False)
    return classify(read, info.stages, as_of, stall_days, status=(codes, dtype.categories))[OUTCOME_COLUMNS]


def column_names(ds: str) -> list[str]:
    """The columns of every_pilot's frame, in order: the stored ones, then classify's."""
    names = stored_columns(ds).names
    return names + [c for c in OUTCOME_COLUMNS if c not in names]


def every_pilot(ds: str, as_of: dt.date | None, stall_days: int, columns: Collection[str] | None = None) -> pd.DataFrame:
    """Every pilot of the dataset with its outcome (only `columns`, those of them it has, when given), in
    file order, put together from the cached columns without copying: equal to loading every pilot and
    classifying it. Callers never change it (`pilots_for` hands out copy-on-write views)."""
    kept = stored_columns(ds)
    shown = [c for c in column_names(ds) if columns is None or c in set(columns)]
    parts = kept.get([c for c in shown if c in kept.names])
    derived = [c for c in shown if c not in parts]
    if derived:
        outcome = outcome_columns(ds, as_of, stall_days)
        parts.update((c, outcome[c]) for c in derived)
    return pd.DataFrame({c: parts[c] for c in shown}, index=pd.RangeIndex(kept.rows), copy=False)


@st.cache_resource(show_spinner=False, max_entries=VIEW_CACHE_ENTRIES, ttl=VIEW_CACHE_TTL)
def view_positions(ds: str, filters_json: str) -> np.ndarray | None:
    """The positions, in every_pilot's order, of the pilots the filters select (read-only); None when
    nothing is filtered. Classifying is row by row, so the filtered pilots' rows are those of every_pilot,
    and only their positions come from DuckDB."""
    filters = Filters.from_dict(json.loads(filters_json))
    if filters == Filters():
        return None
    with store.connect() as con:
        positions = queries.filtered_positions(con, ds, filters, dataset_info(ds).extras)
    positions.flags.writeable = False
    return positions


def classified_pilots(ds: str, filters_json: str, as_of: dt.date | None, stall_days: int,
                      columns: list[str] | None = None) -> pd.DataFrame:
    """The filtered pilots with their outcomes (only `columns`, those of them it has, when given):
    every_pilot cut to view_positions (callers must not change it; pages use `pilots_for`)."""
    everything = every_pilot(ds, as_of, stall_days, columns)
    positions = view_positions(ds, filters_json)
    return everything if positions is None else everything.take(positions).reset_index(drop=True)


def _filters_json(view: View) -> str:
    return json.dumps(view.filters.to_dict(), sort_keys=True)


def pilots_for(view: View, columns: list[str] | None = None, coded: Collection[str] = ()) -> pd.DataFrame:
    """The classified pilots of the current view, indexed by position in the view (0..n-1, as view_rows
    and view_table take them); with `columns`, only those (only they are fetched from the store, and the
    cut of a filtered view copies every column it keeps: at 1M pilots 0.15-0.3 s and 270 MB for all of
    them). Columns named in `coded` come dictionary-coded (pandas Categorical, from text_codes): cutting
    them copies small integers instead of text, for analyses that only count and group them (a stored
    text column's codes are counted in SQL, its text never fetched). A copy-on-write view: changing it
    copies what changes and leaves the cached frame alone. Of a large dataset, the first call also has
    what the next pages read made ready while its page computes (StoredColumns.warm)."""
    shown = [c for c in column_names(view.dataset_id) if columns is None or c in set(columns)]
    _fetch_together(view, shown, coded)
    frame = classified_pilots(view.dataset_id, _filters_json(view), view.as_of, view.stall_days,
                              None if columns is None else [c for c in columns if c not in coded]).copy(deep=False)
    positions = view_positions(view.dataset_id, _filters_json(view))
    for column in [c for c in coded if c in shown]:
        codes, dtype = text_codes(view.dataset_id, view.as_of, view.stall_days, column)
        frame[column] = pd.Categorical.from_codes(codes if positions is None else codes.take(positions), dtype=dtype)
    # what the next pages read: the dimensions they group by coded, the view's breakdown as text (Funnel)
    stored_columns(view.dataset_id).warm(queries.dimensions(view.info.extras), list(filter(None, [view.breakdown])))
    return frame[shown] if coded else frame


def _fetch_together(view: View, shown: list[str], coded: Collection[str]) -> None:
    """Fetch the stored columns a page's frame needs in one go (those it shows, and those classify reads
    when it shows an outcome): one query each for text and for the rest instead of one per step, and one
    for the codes of the text columns it has coded (and of the status classify reads)."""
    kept = stored_columns(view.dataset_id)
    codes = [c for c in shown if c in coded and c in kept.text]
    needed = [c for c in shown if c in kept.names and c not in codes]
    if any(c in OUTCOME_COLUMNS and c not in kept.names for c in shown):  # outcome_columns reads the status coded
        needed += [c for c in classify_inputs(view.info.stages) if c in kept.names and c != "status"]
        codes += [c for c in ["status"] if c in kept.text]
        needed += [c for c in ["status"] if c in kept.names and c not in kept.text]
    kept.get(list(dict.fromkeys(needed)))
    kept.codes(list(dict.fromkeys(codes)))


@st.cache_resource(show_spinner=False, max_entries=VIEW_CACHE_ENTRIES, ttl=VIEW_CACHE_TTL)
def text_codes(ds: str, as_of: dt.date | None, stall_days: int, column: str) -> Coded:
    """A column of every_pilot dictionary-coded: each row's code (read-only, -1 for a missing value) and
    the dtype naming the codes (made once: a Categorical built with it skips checking its values). A stored
    text column's codes are counted in SQL and kept with the columns (StoredColumns.codes)."""
    kept = stored_columns(ds)
    if column in kept.text:
        return kept.codes([column])[column]
    return as_coded(*pd.factorize(every_pilot(ds, as_of, stall_days, [column])[column]))


def as_coded(codes: np.ndarray, names: pd.Index) -> Coded:
    """text_codes' answer from pd.factorize's: the codes as int16 (int32 for many values), read-only."""
    codes = codes.astype(np.int32 if len(names) > np.iinfo(np.int16).max else np.int16, copy=False)
    codes.flags.writeable = False
    return codes, pd.CategoricalDtype(names)


# Up to this many pilots a pilot table's rows are cut from every column, kept (~75 MB at 250k pilots, fetched
# once in ~0.1 s); above, each table reads its rows from the store (5-20 ms) and no column is fetched for it.
EVERY_COLUMN_UP_TO = 250_000


@st.cache_data(show_spinner=False)
def whole_dtypes(ds: str) -> dict[str, object]:
    """The dtype of each stored column in every_pilot's frame (queries.whole_dtypes)."""
    with store.connect() as con:
        return queries.whole_dtypes(con, ds)


def view_rows(view: View, positions: np.ndarray) -> pd.DataFrame:
    """The view's pilots (every column) at these positions in the view (a pilots_for frame's index holds
    them), in the order given: only these rows are read from the store (queries.load_rows), their
    outcomes cut from outcome_columns, so a pilot table needs no column of every pilot (the columns kept
    so far are cut, the coded ones decoded: StoredColumns.rows_at). Up to EVERY_COLUMN_UP_TO pilots, or
    when a page has asked for every column, the rows are cut from every column kept (0.5 ms instead of
    5-10 ms at 100k pilots)."""
    within = view_positions(view.dataset_id, _filters_json(view))
    wanted = np.asarray(positions if within is None else within[positions], dtype=np.int64)
    kept = stored_columns(view.dataset_id)
    if kept.rows <= EVERY_COLUMN_UP_TO or kept.has_all():  # cut from every column, kept
        return every_pilot(view.dataset_id, view.as_of, view.stall_days).take(wanted).reset_index(drop=True)
    rows = kept.rows_at(wanted, whole_dtypes(view.dataset_id))
    outcome = outcome_columns(view.dataset_id, view.as_of, view.stall_days).take(wanted).reset_index(drop=True)
    return pd.concat([rows, outcome[[c for c in outcome.columns if c not in rows]]], axis=1)


def pilots_with_ids(view: View, ids: Collection[str]) -> pd.DataFrame:
    """The pilots of the current view (every column) whose id is one of `ids`, in view order: the rows
    behind a chart's mark, for a page whose pilots_for left out the columns a pilot table shows."""
    listed = pilots_for(view, ["pilot_id"])["pilot_id"]
    return view_rows(view, np.flatnonzero(listed.isin(list(ids)).to_numpy()))


@st.cache_data(show_spinner=False)
def breakdown_options(ds: str) -> list[str]:
    """Dimensions with at least one value in the dataset: canonical first, then its extra columns."""
    with store.connect() as con:  # summary.breakdown_dimensions' answer, counted in SQL
        return queries.columns_with_values(con, ds, queries.dimensions(dataset_info(ds).extras))


def dimension_label(info: store.DatasetInfo, dim: str) -> str:
    """A dimension's name as the user knows it: the canonical label, or the source header of an extra."""
    return FIELD_LABELS.get(dim) or info.extras.get(dim, dim)


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


def _banner(snap: Snapshot, info: store.DatasetInfo) -> None:
    text = (f"**Snapshot: {plain(snap.title)}** · taken {snap.created:%Y-%m-%d %H:%M} UTC from the upload "
            f"{plain(info.name)} (stored {info.created:%Y-%m-%d}, dataset {info.id[:8]}). The numbers are frozen: "
            "later uploads do not change them.")
    if snap.expires is not None:
        text += f" This link works until {snap.expires:%Y-%m-%d %H:%M} UTC."
    st.info(text + (f"\n\n{plain(snap.note)}" if snap.note else ""), icon=":material/photo_camera:")


def _widget(key: str, snap: Snapshot | None, frozen: object, **live: object) -> dict:
    """Keyword arguments of a sidebar widget: in a live view, bound to the URL with the `live` defaults; in
    a snapshot, a key of its own holding the frozen value (so no default is passed), and a change leaves
    the snapshot."""
    if snap is None:
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
    st.sidebar.markdown("### Portfolio")
    st.sidebar.selectbox("Dataset", [ds], format_func=lambda _: f"{info.name} · {ds[:6]}", disabled=True,
                         key="snap_ds", help="A snapshot keeps the dataset it was taken on.")
    st.sidebar.markdown("### Filters")
    _filters(ds, snap, state)
    _breakdown(ds, info, snap, state)
    _settings(ds, snap, state)
    return View(ds, info, state.filters, state.as_of, state.stall_days, state.breakdown, snap)


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
    chosen = st.sidebar.selectbox(
        "Dataset", ids, key="ds_select", on_change=_dataset_changed,
        format_func=lambda i: "Sample portfolio" if i == sample else f"{names.get(i, i)} · {i[:6]}")
    st.query_params["ds"] = chosen
    st.session_state["_last_ds"] = chosen
    return chosen


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
            snap = snapshots.create(con, view.dataset_id, view.state, page_path, title, note, expires, owner=who.user)
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


def definitions(view: View, keys: list[str] | None = None) -> None:
    """The outcome definitions used on the page, in an expander beside the numbers."""
    with st.expander("Definitions"):
        for key, text in DEFINITIONS.items():
            if keys is None or key in keys:
                st.markdown(f"**{key.capitalize()}**: " + text.format(
                    days=view.stall_days, as_of=view.as_of.isoformat() if view.as_of else "(no dates)"))


# Rows a table sends to the browser: every row is labelled, serialised and sent on every run (10,000 rows
# cost a page 30-60 ms at 100k pilots, and nobody reads them on screen); the caption says how many there
# are, the search on the Pilots page narrows them, and the CSV download carries them all.
TABLE_ROWS = 1_000
PILOT_COLUMNS = ["pilot_id", "name", "business_unit", "use_case", "sourcing", "sponsor", "stage", "outcome",
                 "failure_cause", "start_date", "last_progress", "days_without_progress", "spend"]
DISPLAY = {"stage": stage_label, "outcome": lambda o: STATUS_LABELS.get(o, o),
           "status": lambda o: STATUS_LABELS.get(o, o), "failure_cause": cause_label, "sourcing": str.capitalize}


def number_columns(frame: pd.DataFrame, config: dict | None = None) -> dict:
    """A table's column_config with every whole-number column shown with thousands separators (96,129
    where a table would show 96129), keeping the labels and formats given in `config`."""
    config = dict(config or {})
    for column in frame.select_dtypes("integer").columns:
        given = config.get(column)
        if given is None or isinstance(given, str):
            config[column] = st.column_config.NumberColumn(given, format="localized")
    return config


def pilot_table_frame(frame: pd.DataFrame, columns: list[str] | None = None,
                      labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The pilots as the table shows them: `columns` (default PILOT_COLUMNS) in order with friendly
    headers (`labels` for those FIELD_LABELS lacks) and values: stage, outcome and cause labels, days."""
    cols = [c for c in (columns or PILOT_COLUMNS) if c in frame.columns]
    labels = labels or {}
    shown = frame[cols].copy()
    for col in cols:
        if col in DISPLAY:  # each distinct value labelled once (a table has thousands of rows, a few values)
            named = {v: DISPLAY[col](v) if isinstance(v, str) else v for v in shown[col].dropna().unique()}
            shown[col] = shown[col].map(named)
        elif pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.date
    if "days_without_progress" in shown:
        shown["days_without_progress"] = shown["days_without_progress"].astype("Int64")
    shown.columns = [labels.get(c) or FIELD_LABELS.get(c, c.replace("_", " ").capitalize()) for c in cols]
    return shown


def pilot_table(frame: pd.DataFrame, key: str, label: str = "pilots", columns: list[str] | None = None,
                labels: dict[str, str] | None = None, everything: Callable[[], pd.DataFrame] | None = None,
                total: int | None = None) -> None:
    """The pilots behind a number: a sortable table (the first TABLE_ROWS of them) with friendly headers
    and a safe CSV download of all of them, made when the button is clicked, not on every run. With
    `everything` (and `total`, how many it gives), `frame` may hold just the first TABLE_ROWS: all of them
    are made only for the download."""
    _table(frame.head(TABLE_ROWS), len(frame) if total is None else total, everything or (lambda: frame), key,
           label, columns, labels)


def view_table(view: View, positions: np.ndarray, key: str, label: str = "pilots", columns: list[str] | None = None,
               labels: dict[str, str] | None = None) -> None:
    """pilot_table of the view's pilots at these positions (ascending): only the rows shown are cut from
    the view on each run, every row only when the download is asked for (at 1M pilots a table of every
    pilot was a 300 MB copy on each run)."""
    _table(view_rows(view, positions[:TABLE_ROWS]), len(positions), lambda: view_rows(view, positions), key, label,
           columns, labels)


def _table(shown: pd.DataFrame, total: int, every: Callable[[], pd.DataFrame], key: str, label: str,
           columns: list[str] | None, labels: dict[str, str] | None) -> None:
    st.dataframe(pilot_table_frame(shown, columns, labels), hide_index=True, width="stretch")
    if total > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS:,} of {total:,} {label} are shown; the download has all of them.")
    st.download_button(f"Download these {total:,} {label} (CSV)",
                       lambda: safe_csv(pilot_table_frame(every(), columns, labels)),
                       file_name=f"{key}.csv", mime="text/csv", key=f"dl_{key}", on_click="ignore")


def selected_keys(event: object) -> list[Hashable]:
    """The keys (figures.base.mark_key of the customdata) of the points clicked (or box-selected) on a
    plotly chart, in order, without repeats; [] when nothing is selected."""
    selection = event.get("selection") if hasattr(event, "get") else None
    keys = [mark_key(point.get("customdata")) for point in (selection or {}).get("points", [])]
    return list(dict.fromkeys(k for k in keys if k is not None))


def selected_ids(event: object, ids: Drill) -> list[str]:
    """The ids of the pilots behind the marks clicked on a plotly chart (`ids`: the figure's drill-down,
    figures.base.drill), in order, without repeats; [] when nothing is selected. A key the figure no
    longer has (its mark went with a filter change) lists nobody."""
    found: list[str] = []
    for key in selected_keys(event):
        try:
            found.extend(ids[key])
        except (KeyError, TypeError):  # TypeError: a key plotly could hand back that cannot be hashed
            continue
    return list(dict.fromkeys(found))


def clickable_chart(fig, key: str) -> list[str]:
    """A plotly chart whose marks can be clicked; returns the ids of the pilots behind the clicked marks
    (each mark carries a key, the figure the ids behind each key: figures.base)."""
    return selected_ids(st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",)), drill(fig))


def pilots_behind(fig, key: str, pilots: pd.DataFrame | View, choices: Mapping[str, Sequence[str]],
                  prompt: str = "Show the pilots behind…") -> None:
    """A chart that lists the pilots behind a mark when it is clicked, and a select box of the same
    marks that does the same without a click (keyboard users, AppTest). A click wins over the box.
    `pilots`: the frame the ids are looked up in, or the view (pilots_with_ids)."""
    clicked = clickable_chart(fig, key)
    if not choices:
        return
    pick = st.selectbox(prompt, list(choices), index=None, key=f"{key}_pick",
                        placeholder="Click the chart, or choose here")
    ids, what = (clicked, "what you clicked (double-click the chart to clear)") if clicked else \
        (choices.get(pick, []), pick)
    if ids:
        st.caption(f"{plural(len(ids), 'pilot')} behind {what}")
        rows = pilots_with_ids(pilots, ids) if isinstance(pilots, View) else pilots[pilots["pilot_id"].isin(list(ids))]
        pilot_table(rows, key=f"{key}_pilots")


def plural(n: int, noun: str) -> str:
    """'1 pilot', '12 pilots'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def empty_state(message: str) -> None:
    """Say plainly why there is nothing to show."""
    st.info(message)
