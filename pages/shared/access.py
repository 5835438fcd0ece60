"""Cached data access: the one Streamlit layer over the store (analysis/store). Datasets are immutable, so
their metadata, options and classified pilots are cached by dataset id; a page asks for the pilots of its view
(`pilots_for`) and gets only the columns it reads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analysis.metrics.outcomes import (
    date_fields,
)
from analysis.schema import FIELD_LABELS
from analysis.store import datasets as store
from analysis.store import queries
from pages.shared.base import FILTER_KEYS, SAMPLE


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


@st.cache_data(show_spinner=False)
def whole_dtypes(ds: str) -> dict[str, object]:
    """The dtype of each stored column in every_pilot's frame (queries.whole_dtypes)."""
    with store.connect() as con:
        return queries.whole_dtypes(con, ds)


@st.cache_data(show_spinner=False)
def breakdown_options(ds: str) -> list[str]:
    """Dimensions with at least one value in the dataset: canonical first, then its extra columns."""
    with store.connect() as con:  # summary.breakdown_dimensions' answer, counted in SQL
        return queries.columns_with_values(con, ds, queries.dimensions(dataset_info(ds).extras))


def dimension_label(info: store.DatasetInfo, dim: str) -> str:
    """A dimension's name as the user knows it: the canonical label, or the source header of an extra."""
    return FIELD_LABELS.get(dim) or info.extras.get(dim, dim)


@st.cache_data(show_spinner=False, max_entries=32)
def undated_pilots(ds: str) -> int:
    """How many of a dataset's pilots have no start date (a date filter leaves them out)."""
    with store.connect() as con:
        return queries.undated_count(con, ds)
