"""Text columns dictionary-coded in SQL (queries.text_codes, kept by pages/common.py's StoredColumns.codes)
and classify reading a status so coded (outcome_columns): each against the pandas path it replaced,
pd.factorize of the column load_columns fetches and classify of the frame with its status text, on the
sample, the federal inventory and random portfolios (missing cells, an empty column, an extra column)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_views_columns import _stored

from analysis.metrics.outcomes import classify
from analysis.store import datasets as store
from analysis.store import queries
from pages import common
from pages.shared import columns, frames

STAGES = ["intake", "scoping", "poc", "pilot", "production"]


def random_pilots(seed: int, n: int) -> pd.DataFrame:
    """Pilots with every status (and missing ones), unknown stages and progress dates 40% missing."""
    rng = np.random.default_rng(seed)
    statuses = np.array(["production", "retired", "cancelled", "active", "on_hold", None], dtype=object)
    frame = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(n)],
                          "status": pd.array(statuses[rng.integers(0, len(statuses), n)], dtype="str"),
                          "stage_index": rng.integers(-1, len(STAGES), n)})
    for column in ["last_update"] + [f"{s}_date" for s in STAGES]:
        days = pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
        frame[column] = (pd.Timestamp("2021-01-01") + days).where(rng.random(n) > 0.4).astype("datetime64[us]")
    return frame


def _factorized(ds: str, column: str) -> tuple[np.ndarray, pd.Index]:
    with store.connect() as con:
        return pd.factorize(queries.load_columns(con, ds, [column])[column])


def test_sql_codes_equal_factorizing_the_fetched_text(federal_bytes):
    for ds in _stored(federal_bytes):
        with store.connect() as con:
            text = queries.text_columns(con, ds)
            found = queries.text_codes(con, ds, text)
        assert "status" in found and "pilot_id" in found  # a few hundred pilots: every column is coded
        for column in text:
            codes, values = found[column]
            expected_codes, expected_values = _factorized(ds, column)
            assert codes.dtype == np.int16
            np.testing.assert_array_equal(codes, expected_codes)
            assert values == expected_values.tolist(), column


def test_kept_codes_equal_the_factorized_codes_dtype_included(federal_bytes, monkeypatch):
    monkeypatch.setattr(queries, "CODED_UP_TO", 4)  # columns with more values: fetched and factorized
    common.stored_columns.clear()
    common.text_codes.clear()  # resource caches outlive a test; a dataset's id is its content's hash
    for ds in _stored(federal_bytes):
        kept = common.stored_columns(ds)
        coded = kept.codes(sorted(kept.text))
        for column in sorted(kept.text):
            codes, dtype = coded[column]
            expected_codes, expected_values = _factorized(ds, column)
            np.testing.assert_array_equal(codes, expected_codes)
            assert codes.dtype == np.int16 and not codes.flags.writeable
            assert dtype == pd.CategoricalDtype(expected_values) and dtype.categories.dtype == expected_values.dtype
            assert common.text_codes(ds, None, 90, column) is coded[column]  # kept once for every setting
        with store.connect() as con:  # more than CODED_UP_TO values: left out of the SQL answer
            assert "pilot_id" not in queries.text_codes(con, ds, ["pilot_id", "status"])
        assert "pilot_id" in kept._too_many and "pilot_id" in kept._codes  # factorized, never counted again


def test_a_coded_column_is_not_fetched_as_text(federal_bytes):
    ds = _stored(federal_bytes)[0]
    view = common.View(ds, common.dataset_info(ds), queries.Filters(), common.dataset_dates(ds)[2], 90)
    frame = common.pilots_for(view, ["stage", "outcome", "spend"], coded=["stage"])
    kept = common.stored_columns(ds)
    assert {"stage", "status"}.isdisjoint(kept._kept)  # their codes only
    assert frame["stage"].astype(object).equals(common.pilots_for(view)["stage"].astype(object))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classify_with_the_status_coded_equals_classify_of_the_text(seed):
    pilots = random_pilots(seed, 400)
    codes, names = pd.factorize(pilots["status"])
    for as_of, stall in [(dt.date(2024, 6, 1), 90), (None, 30)]:
        fast = classify(pilots.drop(columns="status"), STAGES, as_of, stall, status=(codes, names))
        slow = classify(pilots, STAGES, as_of, stall).drop(columns="status")
        pd.testing.assert_frame_equal(fast, slow)


def test_a_tables_rows_from_kept_and_coded_columns_equal_the_whole_frames_rows(federal_bytes, monkeypatch):
    # view_rows cuts the columns kept so far, decodes the coded ones and reads only the rest from the store
    from analysis.metrics.overview import read_columns

    monkeypatch.setattr(frames, "EVERY_COLUMN_UP_TO", 0)  # as for a large dataset
    rng = np.random.default_rng(3)
    for ds in _stored(federal_bytes):
        units = common.filter_options(ds)["business_unit"]
        for filters in (queries.Filters(), queries.Filters({"business_unit": tuple(units[1:])})):
            view = common.View(ds, common.dataset_info(ds), filters, common.dataset_dates(ds)[2], 90)
            whole = common.pilots_for(view)
            n = len(whole)
            common.stored_columns.clear()
            common.pilots_for(view, [*read_columns(view.info.stages), "use_case"], coded=["failure_cause", "stage", "use_case"])
            kept = common.stored_columns(ds)
            assert {"use_case", "stage", "status"}.isdisjoint(kept._kept) and "use_case" in kept._codes
            for positions in (np.arange(min(n, 5)), rng.permutation(n)[:40], np.array([n - 1, 0, n - 1]),
                              np.array([], dtype=np.int64)):
                expected = whole.take(positions).reset_index(drop=True)
                pd.testing.assert_frame_equal(common.view_rows(view, positions), expected)
            kept.get([c for c in kept.names if c not in kept._codes])  # every column kept or coded: no query
            with monkeypatch.context() as patched:
                patched.setattr(queries, "load_rows", None)
                rows = kept.rows_at(np.array([1, 0, 1]), common.whole_dtypes(ds))  # positions in the dataset
            every = common.every_pilot(ds, view.as_of, 90)[kept.names]
            pd.testing.assert_frame_equal(rows, every.take([1, 0, 1]).reset_index(drop=True))
            common.stored_columns.clear()


def test_a_large_datasets_dimensions_are_coded_ahead_on_a_thread(federal_bytes, monkeypatch):
    monkeypatch.setattr(columns, "WARM_ABOVE", 0)  # as for a large dataset
    common.stored_columns.clear()
    ds = _stored(federal_bytes)[2]  # a random portfolio, with an extra column (Region)
    view = common.View(ds, common.dataset_info(ds), queries.Filters(), common.dataset_dates(ds)[2], 90, "use_case")
    common.pilots_for(view, ["pilot_id"])
    kept = common.stored_columns(ds)
    kept._warming.join()
    dims = queries.dimensions(view.info.extras)
    assert "x_region" in dims and set(dims) <= set(kept._codes)
    assert set(kept._kept) == {"pilot_id", "use_case"}  # the breakdown, fetched as text
    with store.connect() as con:
        for column, (codes, values) in queries.text_codes(con, ds, dims).items():
            np.testing.assert_array_equal(kept._codes[column][0], codes)
            assert kept._codes[column][1] == pd.CategoricalDtype(pd.Index(values, dtype="str"))
    warming = kept._warming
    common.pilots_for(view, ["stage"], coded=["stage"])
    assert kept._warming is warming  # once per dataset
    common.stored_columns.clear()
