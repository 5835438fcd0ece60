"""The Funnel page's "Pilots behind a step" table lists the pilots behind the chosen number (found by
funnel.step_positions): on the sample, the pilots cancelled in proof of concept are the 151 the funnel counts
there (tests/test_pages.py's app run)."""

from __future__ import annotations

from tests.test_pages import run_app


def test_the_pilots_cancelled_in_proof_of_concept_are_listed():
    at = run_app("pages/funnel.py")
    at.selectbox(key="step").set_value(2).run()
    at.selectbox(key="kind").set_value("dropped").run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    buttons = [b.label for b in at.get("download_button")]
    assert "Download these 151 pilots (CSV)" in buttons, (buttons, captions)
    table = at.dataframe[1].value  # the funnel table, then the pilots behind the step
    assert len(table) == 151 and set(table["Outcome"]) == {"Cancelled"} and set(table["Stage"]) == {"Proof of concept"}


def test_the_funnel_table_shows_conversions_in_one_format():
    """One number format per column (issue 17): conversions as percents with one decimal each, as numbers (so
    the table still sorts them), from the sample's known funnel: 567 of 600 reached scoping."""
    import json

    at = run_app("pages/funnel.py")
    assert not at.exception, at.exception
    grid = at.dataframe[0]
    table = grid.value
    assert table["overall_conversion"].tolist()[:2] == [100.0, 567 / 600 * 100]
    config = json.loads(grid.proto.columns)
    assert {config[c]["type_config"]["format"] for c in ("step_conversion", "overall_conversion")} == {"%.1f%%"}
