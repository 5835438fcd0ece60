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


def test_a_key_field_missing_for_many_pilots_is_said_with_the_fix() -> None:
    from analysis.metrics.scope import verdict_gaps

    assert verdict_gaps({"stage": 5, "start date": 0}, 100) == ""
    assert verdict_gaps({"stage": 41, "start date": 0}, 100).startswith(
        "41 of 100 pilots (41%) have no stage. They are kept, but left out of what needs that field")


def test_the_data_page_does_not_say_no_problems_when_stages_are_missing(tmp_path, monkeypatch) -> None:
    from analysis.store import datasets as store
    from tests.builders import make_portfolio, pilot

    monkeypatch.setenv("PILOTS_DATA_DIR", str(tmp_path))
    rows = [pilot(i, stage="" if i % 2 else "PoC", poc_date="", intake_date="") for i in range(1, 11)]
    with store.connect() as con:
        ds = store.ingest(con, make_portfolio(rows), "half.csv")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ds"] = ds
    at.run()
    at.switch_page("pages/data.py").run()
    assert not any("No problems" in s.value for s in at.success)
    assert any(w.value.startswith("5 of 10 pilots (50%) have no stage") for w in at.warning)


def test_the_headline_claims_no_share_of_decided_pilots_without_a_cancellation() -> None:
    from analysis.metrics.overview import Kpis, headline

    k = Kpis(pilots=10, reached_production=4, cancelled=0, in_flight=6, stalled=0, in_flight_dated=0, decided=4,
             unknown_stage=0, median_months_to_production=None, median_months_when_reached=None,
             spend_on_cancelled=None)
    text = headline(k, 90)
    assert "of the decided ones" not in text and "none is recorded as cancelled" in text


def test_the_tiles_state_no_rate_or_count_the_population_cannot_support() -> None:
    from analysis.metrics.overview import Kpis, tiles

    k = Kpis(pilots=10, reached_production=4, cancelled=0, in_flight=6, stalled=0, in_flight_dated=0, decided=4,
             unknown_stage=0, median_months_to_production=None, median_months_when_reached=None,
             spend_on_cancelled=None)
    shown = {t.label: (t.value, t.detail) for t in tiles(k, str)}
    assert shown["Reached production"] == ("4", "40% of all")  # not "100% of decided": nothing is cancelled
    assert shown["Stalled"] == ("—", "needs dates of progress")  # not "0 of 6": no date to judge by
    assert shown["Median months to production"] == ("—", "needs start and production dates")
    dated = Kpis(pilots=10, reached_production=4, cancelled=2, in_flight=4, stalled=1, in_flight_dated=3, decided=6,
                 unknown_stage=0, median_months_to_production=None, median_months_when_reached=5.25,
                 spend_on_cancelled=None)
    shown = {t.label: (t.value, t.detail, t.help) for t in tiles(dated, str)}
    assert shown["Reached production"][:2] == ("4", "67% of decided")
    assert shown["Stalled"] == ("1", "of 4 in flight", "1 in-flight pilots have no date of progress and cannot be judged.")
    assert shown["Median months to production"][:2] == ("5.2", "of the pilots that made it")
