"""The pilots of a view, cached: a dataset's stored columns (pages/shared/columns.py) classified per as-of date
and stall rule (`every_pilot`), cut to the view's filters (`pilots_for`), another upload's for the Changes page
(`compared_pilots`), and the rows behind a mark (`view_rows`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection

import numpy as np
import pandas as pd
import streamlit as st

from analysis.metrics.outcomes import (
    OUTCOME_COLUMNS,
    STALL_DAYS,
    classify,
    classify_inputs,
)
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import Filters
from pages.shared.access import dataset_info, whole_dtypes
from pages.shared.base import COMPARE_KEY, View
from pages.shared.columns import (
    FRAME_CACHE_ENTRIES,
    VIEW_CACHE_ENTRIES,
    VIEW_CACHE_TTL,
    Coded,
    as_coded,
    stored_columns,
)


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


def remember_compare(choice: str) -> None:
    """What this page compares the view with (the Changes page's earlier upload): a snapshot taken from the
    sidebar on the next run freezes it with the view."""
    st.session_state[COMPARE_KEY] = choice


def frozen_compare(view: View) -> str | None:
    """What a snapshot view's page compared with when it was taken (None in a live view, or when none was)."""
    return None if view.snapshot is None else view.snapshot.state.compare


def compared_pilots(view: View, ds: str, as_of: dt.date | None, columns: list[str],
                    coded: Collection[str] = ()) -> pd.DataFrame:
    """Another dataset's pilots under the view's filters and stall threshold, classified at `as_of` (the
    Changes page's earlier upload): only `columns`, those in `coded` dictionary-coded as pilots_for makes
    them (cutting a filtered view copies their codes, not their text); read-only."""
    filters = _filters_json(view)
    coded = [c for c in coded if c in columns and c in column_names(ds)]
    frame = classified_pilots(ds, filters, as_of, view.stall_days, [c for c in columns if c not in coded])
    if not coded:
        return frame
    frame = _with_coded(frame.copy(deep=False), ds, filters, as_of, view.stall_days, coded)
    return frame[[c for c in columns if c in frame]]


@st.cache_data(show_spinner=False)
def repeats_of(ds: str) -> pd.DataFrame:
    """A dataset's repeated IDs, as analysis.metrics.changes.upload_repeats gives them: its import's rejected
    repeats and IDs written two ways, over every pilot (datasets are immutable, so it caches forever)."""
    from analysis.metrics.changes import repeated_ids, upload_repeats

    with store.connect() as con:
        rejected = repeated_ids(store.rejected_rows(con, ds))
    return upload_repeats(every_pilot(ds, None, STALL_DAYS, ["pilot_id"])["pilot_id"], rejected)


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
    _with_coded(frame, view.dataset_id, _filters_json(view), view.as_of, view.stall_days, [c for c in coded if c in shown])
    # what the next pages read: the dimensions they group by coded, the view's breakdown as text (Funnel)
    stored_columns(view.dataset_id).warm(queries.dimensions(view.info.extras), list(filter(None, [view.breakdown])))
    return frame[shown] if coded else frame


def _with_coded(frame: pd.DataFrame, ds: str, filters_json: str, as_of: dt.date | None, stall_days: int,
                coded: list[str]) -> pd.DataFrame:
    """`frame` (a shallow copy of the filtered pilots) with these columns set dictionary-coded from
    text_codes, cut to the filtered positions."""
    positions = view_positions(ds, filters_json)
    for column in coded:
        codes, dtype = text_codes(ds, as_of, stall_days, column)
        frame[column] = pd.Categorical.from_codes(codes if positions is None else codes.take(positions), dtype=dtype)
    return frame


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


# Up to this many pilots a pilot table's rows are cut from every column, kept (~75 MB at 250k pilots, fetched
# once in ~0.1 s); above, each table reads its rows from the store (5-20 ms) and no column is fetched for it.
EVERY_COLUMN_UP_TO = 250_000


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
