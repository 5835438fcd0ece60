"""The Pilots page (AppTest): the filtered table, text search, outcome and stall filters."""

from __future__ import annotations

from tests.test_page_helpers import sample, stalled_ids
from tests.test_pages import run_app

PAGE = "pages/pilots.py"
SEARCHED = ["Pilot ID", "Pilot Name", "Business Unit", "Use Case", "Sponsor"]


def table(at):
    return next(t.value for t in at.dataframe if "Pilot ID" in t.value.columns)


def test_every_pilot_with_extras_and_a_download():
    at = run_app(PAGE)
    assert not at.exception, at.exception
    assert len(table(at)) == 600
    assert {"Status", "End date", "Budget"} <= set(table(at).columns)
    assert at.get("download_button")


def test_search_from_the_url_matches_every_word():
    frame = sample()
    text = frame[SEARCHED].apply(" | ".join, axis=1).str.lower()
    expected = set(frame.loc[text.str.contains("fraud") & text.str.contains("finance"), "Pilot ID"])
    at = run_app(PAGE, query={"q": "Fraud finance"})
    assert not at.exception, at.exception
    assert 0 < len(expected) < 600
    assert set(table(at)["Pilot ID"]) == expected


def test_outcome_and_stalled_filters():
    at = run_app(PAGE)
    at.multiselect(key="outcome").set_value(["cancelled"]).run()
    assert len(table(at)) == 287
    at = run_app(PAGE)
    at.checkbox(key="stalled_only").check().run()
    assert set(table(at)["Pilot ID"]) == stalled_ids(sample(), 90)


def test_a_search_that_matches_nothing_says_so():
    at = run_app(PAGE, query={"q": "no such pilot anywhere"})
    assert not at.exception, at.exception
    assert "No pilot matches this search" in at.info[0].value
