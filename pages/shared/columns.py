"""A dataset's stored columns, cached for every session: each fetched from the store the first time a page asks
for it, and the text columns pages group by dictionary-coded in SQL (`StoredColumns`, `stored_columns`); and
memory handed back between runs (`release_memory`). pages/shared/frames.py puts the views' frames together
from them."""

from __future__ import annotations

import datetime as dt
import gc
import threading

import numpy as np
import pandas as pd
import streamlit as st

from analysis import memory
from analysis.store import datasets as store
from analysis.store import queries

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


def as_coded(codes: np.ndarray, names: pd.Index) -> Coded:
    """text_codes' answer from pd.factorize's: the codes as int16 (int32 for many values), read-only."""
    codes = codes.astype(np.int32 if len(names) > np.iinfo(np.int16).max else np.int16, copy=False)
    codes.flags.writeable = False
    return codes, pd.CategoricalDtype(names)
