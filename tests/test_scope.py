"""Every view says how many of the dataset's pilots it covers and why the others are left out."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from analysis.metrics.scope import scope_sentence
from analysis.schema import FIELD_LABELS
from tests.test_pages import APP

LABELS = FIELD_LABELS


def test_no_filter_says_all() -> None:
    assert scope_sentence(3611, 3611, {"business_unit": ()}, LABELS) == "All 3,611 pilots of the dataset; no filter is set."


def test_a_date_filter_names_the_range_and_the_undated_pilots_it_leaves_out() -> None:
    text = scope_sentence(3611, 2389, {}, LABELS, dt.date(2023, 1, 2), dt.date(2024, 12, 1), undated=40)
    assert text == ("Showing 2,389 of 3,611 pilots; 1,222 left out by the sidebar's filters: started between "
                    "2023-01-02 and 2024-12-01 (the 40 pilots without a start date are out while a date filter is "
                    "set). Clear the filters in the sidebar to see every pilot.")


def test_chosen_values_are_named() -> None:
    text = scope_sentence(600, 4, {"business_unit": ("HR",), "sourcing": ("Build", "Buy")}, LABELS)
    assert "596 left out by the sidebar's filters: business unit HR; sourcing Build or Buy." in text


def test_every_page_says_it_and_a_filter_changes_it() -> None:
    for page in ["overview", "funnel", "causes", "stalls", "cohorts", "pilots"]:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["bu"] = "HR"
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        captions = [c.value for c in at.caption]
        assert any(c.startswith("Showing 4 of 600 pilots; 596 left out by the sidebar's filters: business unit HR")
                   for c in captions), (page, captions)
