"""pages/common.py's view data, made cheaper at 1M pilots: the classified frame of every pilot is cached
once per setting and a filtered view is cut from it by cached positions (no cached copy per filter); the
breakdown dimensions are counted in SQL. Each against the slow path it replaced: load the filtered pilots
from the store and classify them; load every pilot and ask pandas which dimensions have a value."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from conftest import SAMPLE

from analysis import queries, store
from analysis.outcomes import classify
from analysis.queries import BLANK, Filters
from analysis.schema import DIMENSIONS
from analysis.summary import breakdown_dimensions
from pages import common


def _stored(federal_bytes: bytes) -> tuple[str, str]:
    with store.connect() as con:
        return (store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name),
                store.ingest(con, federal_bytes, "federal_ai_inventory_2023.csv"))


def _slow(ds: str, filters: Filters, as_of: dt.date | None, stall_days: int) -> pd.DataFrame:
    info = common.dataset_info(ds)
    with store.connect() as con:
        return classify(queries.load_pilots(con, ds, filters, info.extras), info.stages, as_of, stall_days)


def test_every_view_equals_loading_and_classifying_its_pilots(federal_bytes):
    sample, federal = _stored(federal_bytes)
    units = common.filter_options(sample)["business_unit"]
    cases = [(sample, Filters(), 90), (sample, Filters({"business_unit": tuple(units[1:])}), 90),
             (sample, Filters({"business_unit": (units[0],)}), 30),
             (sample, Filters({"use_case": tuple(common.filter_options(sample)["use_case"][:2]),
                               "sourcing": ("buy", "partner")}, dt.date(2024, 1, 1)), 90),
             (federal, Filters(), 90), (federal, Filters({"business_unit": (BLANK,)}), 365)]
    for ds, filters, stall in cases:
        as_of = common.dataset_dates(ds)[2]
        view = common.View(ds, common.dataset_info(ds), filters, as_of, stall)
        pd.testing.assert_frame_equal(common.pilots_for(view), _slow(ds, filters, as_of, stall))
    # the cache keeps positions, read-only, and no filtered frame
    positions = common.view_positions(sample, json.dumps(cases[1][1].to_dict(), sort_keys=True))
    assert isinstance(positions, np.ndarray) and not positions.flags.writeable
    assert common.view_positions(sample, json.dumps(Filters().to_dict(), sort_keys=True)) is None


def test_a_page_changing_a_filtered_view_leaves_the_cache_alone():
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
    view = common.View(ds, common.dataset_info(ds), Filters({"business_unit": ("HR", "IT")}), dt.date(2026, 10, 31), 90)
    first = common.pilots_for(view)
    before = first.copy()
    first.loc[first.index[0], "outcome"] = "changed"
    pd.testing.assert_frame_equal(common.pilots_for(view), before)
    assert (common.every_pilot(ds, dt.date(2026, 10, 31), 90)["outcome"] == "changed").sum() == 0


def test_breakdown_options_counted_in_sql_equal_the_frame_answer(federal_bytes):
    for ds in _stored(federal_bytes):
        info = common.dataset_info(ds)
        with store.connect() as con:
            loaded = queries.load_pilots(con, ds, Filters(), info.extras)
        assert common.breakdown_options(ds) == breakdown_dimensions(loaded, info.extras)
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        assert queries.columns_with_values(con, ds, ["no_such_column"]) == []
    assert common.breakdown_options(ds) == DIMENSIONS  # the sample has a value in every canonical dimension


def test_a_view_of_some_columns_some_coded_holds_the_same_values(federal_bytes):
    for ds in _stored(federal_bytes):
        units = common.filter_options(ds)["business_unit"]
        for filters in (Filters(), Filters({"business_unit": tuple(units[1:])})):
            view = common.View(ds, common.dataset_info(ds), filters, common.dataset_dates(ds)[2], 90)
            whole = common.pilots_for(view)
            columns = ["stage", "pilot_id", "cancelled", "start_date", "business_unit", "no_such_column"]
            part = common.pilots_for(view, columns, coded=["pilot_id", "business_unit", "no_such_column"])
            assert list(part.columns) == [c for c in whole.columns if c in columns]
            assert isinstance(part["business_unit"].dtype, pd.CategoricalDtype)
            for column in part.columns:  # coded or not, the same values (missing ones included)
                assert part[column].astype("object").equals(whole[column].astype("object")), column
            pd.testing.assert_frame_equal(common.pilots_for(view, columns), whole[part.columns])


def test_the_pilots_behind_a_mark_are_looked_up_in_the_view():
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
    for filters in (Filters(), Filters({"business_unit": ("HR", "IT")})):
        view = common.View(ds, common.dataset_info(ds), filters, dt.date(2026, 10, 31), 90)
        whole = common.pilots_for(view)
        ids = whole["pilot_id"].iloc[[3, 1, 7]].tolist() + ["not a pilot"]
        rows = common.pilots_with_ids(view, ids)
        pd.testing.assert_frame_equal(rows, whole[whole["pilot_id"].isin(ids)].reset_index(drop=True))
        assert len(rows) == 3
    outside = common.pilots_for(common.View(ds, view.info, Filters({"business_unit": ("Finance",)}),
                                            view.as_of, 90))["pilot_id"].iloc[0]
    assert common.pilots_with_ids(view, [outside]).empty  # a pilot the filters leave out is not listed
