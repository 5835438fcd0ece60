"""The Stalls page (AppTest): the bottleneck sentence and stalled list on the sample, the stall threshold
from the URL, the non-click drill-down, and a dataset without dates."""

from __future__ import annotations

from tests.test_page_helpers import sample, stalled_ids, store_undated_portfolio
from tests.test_pages import run_app

PAGE = "pages/stalls.py"


def pilot_tables(at) -> list:
    return [t.value for t in at.dataframe if "Pilot ID" in t.value.columns]


def test_bottleneck_and_stalled_pilots_on_the_sample():
    at = run_app(PAGE)
    assert not at.exception, at.exception
    assert "#### Pilots wait longest in the pilot stage: median 7.3 months, 65 waiting now." in \
        [m.value for m in at.markdown]
    stalled = pilot_tables(at)[-1]
    assert len(stalled) == 31
    assert set(stalled["Pilot ID"]) == stalled_ids(sample(), 90)  # independently, from the CSV
    days = stalled["Days without progress"].tolist()
    assert days == sorted(days, reverse=True)
    assert list(stalled.columns[:4]) == ["Pilot ID", "Name", "Days without progress", "Stage"]
    assert "Owner (sponsor)" in stalled.columns


def test_stall_threshold_from_the_url():
    at = run_app(PAGE, query={"stall": "180"})
    assert not at.exception, at.exception
    expected = stalled_ids(sample(), 180)
    assert 0 < len(expected) < 31
    assert set(pilot_tables(at)[-1]["Pilot ID"]) == expected


def test_positions_drill_down_lists_the_stalled_pilots_of_a_stage():
    at = run_app(PAGE)
    at.selectbox(key="positions_pick").set_value("Proof of concept: stalled (13)").run()
    assert not at.exception, at.exception
    table = pilot_tables(at)[0]
    assert len(table) == 13 and set(table["Stage"]) == {"Proof of concept"}


def test_time_in_stage_summary_uses_kaplan_meier():
    at = run_app(PAGE)
    summary = next(t.value for t in at.dataframe if "Median months" in t.value.columns)
    assert summary["Median months"].tolist() == ["1.0", "2.1", "6.0", "7.3"]
    assert summary["Stage"].tolist() == ["Intake", "Scoping", "Proof of concept", "Pilot"]
    assert summary["Entered (dated)"].tolist() == [600, 567, 497, 280]  # the funnel's reached counts
    assert summary["Still there"].tolist() == [4, 22, 66, 65]
    # in plain words under the chart, the estimator one click deeper (issue 17)
    assert any(c.value.startswith("Time in stage counts the pilots still there too") for c in at.caption)
    assert not any("Kaplan" in c.value or "censored" in c.value for c in at.caption)
    assert any("Kaplan–Meier estimates" in m.value for e in at.expander if e.label == "How the medians are computed"
               for m in e.markdown)


def test_without_dates_the_page_says_which_views_need_them():
    at = run_app(PAGE, query={"ds": store_undated_portfolio()})
    assert not at.exception, at.exception
    infos = " ".join(i.value for i in at.info)
    assert "Time in each stage, and how long in-flight pilots have been in their stage, need the date" in infos
    assert "Stalled pilots need a date of last progress" in infos
    assert not any("Median months" in t.value.columns for t in at.dataframe)
    # where in-flight pilots sit needs only the stage
    assert at.selectbox(key="positions_pick").options == ["Pilot: all in flight (1)"]
