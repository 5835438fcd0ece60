"""pages/common.py's data boundary: the cached view frame cannot be changed by a page, and tables send at
most TABLE_ROWS rows to the browser while the download keeps them all."""

from __future__ import annotations

import datetime as dt

from conftest import SAMPLE
from streamlit.testing.v1 import AppTest

from analysis.store import datasets as store
from analysis.store.queries import Filters
from pages import common


def sample_view() -> common.View:
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        info = store.dataset_info(con, ds)
    return common.View(ds, info, Filters(), dt.date(2026, 10, 31), 90)


def test_a_page_changing_its_pilots_leaves_the_cache_alone():
    view = sample_view()
    first = common.pilots_for(view)
    before = first.copy()
    first["outcome"] = "changed"
    first.loc[first.index[0], "stage"] = "changed"
    again = common.pilots_for(view)
    assert again is not first
    assert again.equals(before)
    assert (again["outcome"] == "changed").sum() == 0 and len(again) == 600


def test_the_default_as_of_is_the_latest_date_of_the_dataset():
    view = sample_view()
    # data/make_sample.py: the as-of date 2026-10-31 is the latest date in the file.
    assert common.dataset_dates(view.dataset_id)[2] == dt.date(2026, 10, 31)


def _table_script() -> None:
    import pandas as pd

    from pages.common import TABLE_ROWS, pilot_table

    pilot_table(pd.DataFrame({"pilot_id": [f"P{i}" for i in range(TABLE_ROWS + 1)], "stage": "poc"}), key="t")


def test_a_long_table_shows_its_first_rows_and_downloads_all():
    at = AppTest.from_function(_table_script).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == common.TABLE_ROWS
    assert at.dataframe[0].value["Stage"].iloc[0] == "Proof of concept"
    assert f"The first {common.TABLE_ROWS:,} of {common.TABLE_ROWS + 1:,} pilots" in at.caption[0].value
    assert at.get("download_button")[0].proto.label == f"Download these {common.TABLE_ROWS + 1:,} pilots (CSV)"


def test_a_filtered_view_is_the_cached_frame_cut_to_the_rows_the_query_selects(federal_bytes):
    # classified_pilots cuts the frame of every pilot by the positions DuckDB selects; it must equal
    # loading the filtered pilots and classifying them, blanks and date ranges included.
    import json

    import pandas as pd

    from analysis.metrics.outcomes import classify
    from analysis.store.queries import BLANK, load_pilots

    with store.connect() as con:
        sample = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        federal = store.ingest(con, federal_bytes, "federal.csv")  # the name test_pages uploads it under
    cases = [(sample, Filters({"business_unit": ("HR",)}), 4),
             (sample, Filters({"business_unit": ("Finance", "IT"), "sourcing": ("buy",)}), None),
             (sample, Filters(start_from=dt.date(2025, 1, 1), start_to=dt.date(2025, 12, 31)), None),
             (federal, Filters({"business_unit": (BLANK,)}), None),
             (sample, Filters({"business_unit": ("no such unit",)}), 0)]
    for ds, filters, expected in cases:
        info, as_of = common.dataset_info(ds), common.dataset_dates(ds)[2]
        cut = common.classified_pilots(ds, json.dumps(filters.to_dict(), sort_keys=True), as_of, 90)
        with store.connect() as con:
            loaded = classify(load_pilots(con, ds, filters, info.extras), info.stages, as_of, 90)
        pd.testing.assert_frame_equal(cut, loaded)
        assert expected is None or len(cut) == expected
        assert 0 < len(cut) < len(common.classified_pilots(ds, json.dumps(Filters().to_dict()), as_of, 90)) \
            or expected == 0
