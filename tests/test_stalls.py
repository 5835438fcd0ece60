"""Known answers for time in stage, current positions, the bottleneck and stall detection
(analysis/metrics/stalls.py) on a hand-built portfolio with an explicit as-of date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures.base import drill
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.stalls import (
    CANCELLED,
    IN_FLIGHT,
    MOVED_ON,
    bottleneck,
    current_positions,
    date_coverage,
    stage_durations,
    stage_time_summary,
    stalled_pilots,
    usable_durations,
)
from tests.builders import HEADERS, analysed, make_portfolio, pilot

AS_OF = dt.date(2024, 3, 1)
NO_DATES = {"intake_date": "", "scoping_date": "", "poc_date": "", "pilot_date": "", "production_date": ""}


def row(i: int, stage: str, status: str = "Active", **dates: str) -> dict[str, object]:
    return pilot(i, stage=stage, status=status, **(NO_DATES | dates))


ROWS = [
    # P001 in flight in PoC: intake 10 days, scoping 20 days, PoC 30 days so far (Jan 31 -> Mar 1, 2024 is a leap year)
    row(1, "PoC", intake_date="2024-01-01", scoping_date="2024-01-11", poc_date="2024-01-31"),
    # P002 cancelled in scoping: intake 5 days, scoping 20 days (to the end date)
    row(2, "Scoping", "Cancelled", intake_date="2024-01-01", scoping_date="2024-01-06", end_date="2024-01-26"),
    # P003 in production, skipped the pilot stage: intake 1, scoping 3, PoC 10 days (to production)
    row(3, "Production", "In production", intake_date="2024-01-01", scoping_date="2024-01-02",
        poc_date="2024-01-05", production_date="2024-01-15"),
    # P004 in flight in scoping, dates out of order: intake -5 days (left out), scoping 56 days so far
    row(4, "Scoping", intake_date="2024-01-10", scoping_date="2024-01-05"),
]


@pytest.fixture(scope="module")
def portfolio():
    result = analysed(ROWS, as_of=AS_OF, stall_days=20)
    return result.classified, result.derived.stages


def spells(durations: pd.DataFrame, stage: str) -> list[tuple]:
    part = durations[durations["stage"] == stage].sort_values("pilot_id")
    return list(zip(part["pilot_id"], part["days"], part["observed"], part["exit"]))


def test_time_in_stage_per_pilot(portfolio):
    classified, stages = portfolio
    durations = stage_durations(classified, stages, AS_OF)
    assert spells(durations, "intake") == [("P001", 10, True, MOVED_ON), ("P002", 5, True, MOVED_ON),
                                           ("P003", 1, True, MOVED_ON), ("P004", -5, True, MOVED_ON)]
    assert spells(durations, "scoping") == [("P001", 20, True, MOVED_ON), ("P002", 20, True, CANCELLED),
                                            ("P003", 3, True, MOVED_ON), ("P004", 56, False, IN_FLIGHT)]
    assert spells(durations, "poc") == [("P001", 30, False, IN_FLIGHT), ("P003", 10, True, MOVED_ON)]
    assert spells(durations, "pilot") == []  # nobody has a pilot date
    assert set(durations["stage"]) == {"intake", "scoping", "poc"}  # production is not a stage to wait in
    assert len(usable_durations(durations)) == len(durations) - 1


def test_kaplan_meier_median_and_p90_with_censoring(portfolio):
    classified, stages = portfolio
    summary = stage_time_summary(stage_durations(classified, stages, AS_OF), stages).set_index("stage")
    # intake: 1, 5, 10 all left -> S = 2/3, 1/3, 0: median 5, p90 10
    assert summary.loc["intake", ["entered", "left", "still_there"]].tolist() == [3, 3, 0]
    assert (summary.loc["intake", "median_days"], summary.loc["intake", "p90_days"]) == (5, 10)
    # scoping: 3, 20, 20 left, 56 censored -> S(3) = 3/4, S(20) = 3/4 * 1/3 = 1/4: median 20, never 0.1
    assert summary.loc["scoping", ["entered", "left", "still_there"]].tolist() == [4, 3, 1]
    assert summary.loc["scoping", "median_days"] == 20
    assert pd.isna(summary.loc["scoping", "p90_days"])
    # PoC: 10 left, 30 censored -> S(10) = 1/2: median 10 (a naive median of 10 and 30 would say 20)
    assert summary.loc["poc", "median_days"] == 10
    assert summary.loc["pilot", "entered"] == 0 and pd.isna(summary.loc["pilot", "median_days"])


def test_positions_and_bottleneck(portfolio):
    classified, stages = portfolio
    positions = current_positions(classified, stages, AS_OF).set_index("stage")
    assert positions["in_flight"].tolist() == [0, 1, 1, 0]
    assert positions.loc["scoping", "median_days_there"] == 56
    assert positions.loc["poc", "median_days_there"] == 30
    assert positions.loc["scoping", "pilot_ids"] == ["P004"]
    summary = stage_time_summary(stage_durations(classified, stages, AS_OF), stages)
    found = bottleneck(summary, positions.reset_index(), min_n=1)
    assert (found.stage, found.median_days, found.waiting_now) == ("scoping", 20, 1)
    # 20 days / 30.4375 days a month = 0.66 months
    assert found.sentence == "Pilots wait longest in the scoping stage: median 0.7 months, 1 waiting now."
    assert bottleneck(summary, positions.reset_index(), min_n=5) is None  # no stage entered by 5


def test_a_median_not_reached_counts_as_the_longest_wait():
    rows = [row(i, "PoC", intake_date="2024-01-01", poc_date="2024-01-02") for i in range(1, 4)] + \
        [row(9, "Pilot", intake_date="2024-01-01", poc_date="2024-01-02", pilot_date="2024-02-01")]
    result = analysed(rows, as_of=AS_OF)
    classified, stages = result.classified, result.derived.stages
    summary = stage_time_summary(stage_durations(classified, stages, AS_OF), stages)
    found = bottleneck(summary, current_positions(classified, stages, AS_OF), min_n=1)
    # PoC: 30 days (left) and three censored at 59 days: S(30) = 3/4, never 1/2
    assert found.stage == "poc" and found.median_days is None and found.longest_days == 59
    assert found.sentence == ("Pilots wait longest in the proof of concept stage: more than half of the 4 that "
                              "entered are still there after 1.9 months; 3 waiting now.")


def test_cancelled_without_end_date_leaves_at_its_last_progress():
    rows = [row(1, "PoC", "Cancelled", intake_date="2024-01-01", poc_date="2024-01-11", last_update="2024-01-21")]
    result = analysed(rows, as_of=AS_OF)
    durations = stage_durations(result.classified, result.derived.stages, AS_OF)
    assert spells(durations, "poc") == [("P001", 10, True, CANCELLED)]


def test_reached_production_without_a_production_date_leaves_at_the_end_date():
    # status production, stage Pilot: counted as in production (validate); its production date is the end date
    rows = [row(1, "Pilot", "In production", intake_date="2024-01-01", pilot_date="2024-01-11",
                end_date="2024-02-10")]
    result = analysed(rows, as_of=AS_OF)
    durations = stage_durations(result.classified, result.derived.stages, AS_OF)
    assert spells(durations, "pilot") == [("P001", 30, True, MOVED_ON)]
    assert spells(durations, "intake") == [("P001", 10, True, MOVED_ON)]


@pytest.mark.parametrize(("stall_days", "expected"), [(20, [("P004", 51), ("P001", 30)]), (30, [("P004", 51)]),
                                                      (51, [])])
def test_stalled_pilots_longest_first(stall_days, expected):
    # last progress: P001 Jan 31 (30 days before Mar 1), P004 Jan 10 (its latest date: 51 days);
    # P002 is cancelled and P003 in production, so neither can stall. "More than N days": 51 is not > 51.
    stalled = stalled_pilots(analysed(ROWS, as_of=AS_OF, stall_days=stall_days).classified)
    assert list(zip(stalled["pilot_id"], stalled["days_without_progress"])) == expected
    assert list(stalled.columns[:4]) == ["pilot_id", "name", "stage", "days_without_progress"]


def test_a_dataset_without_dates_says_which_views_need_them():
    headers = [h for h in HEADERS if "Date" not in h and h != "Last Update"]
    data = make_portfolio([pilot(1), pilot(2, status="Cancelled", failure_cause="Data")], headers=headers)
    undated = analyse_file(data, "undated.csv")
    classified, stages = undated.classified, undated.derived.stages
    assert undated.as_of is None
    assert stage_durations(classified, stages, undated.as_of).empty
    coverage = date_coverage(classified, stages, undated.as_of)
    assert (coverage.stage_dates, coverage.progress_dates, coverage.as_of) == (False, False, False)
    notes = coverage.missing()
    assert len(notes) == 2
    assert "date each pilot entered each stage" in notes[0] and "last update" in notes[1]
    assert current_positions(classified, stages, undated.as_of)["in_flight"].sum() == 1  # stage alone is enough


def test_stage_dates_alone_allow_every_view(portfolio):
    classified, stages = portfolio
    assert date_coverage(classified, stages, AS_OF).missing() == []


def test_a_big_box_is_sent_as_its_statistics_and_outliers():
    from analysis.figures.stalls import POINTS_PER_BOX, outliers_only, stage_time_figure

    n = POINTS_PER_BOX + 1
    days = [30.0] * (n - 1) + [300.0] + [30.0] * 3
    durations = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(n + 3)],
                              "stage": ["poc"] * n + ["pilot"] * 3, "stage_index": [1] * n + [2] * 3,
                              "days": days, "observed": [True] * (n + 3), "exit": ["moved on"] * (n + 3)})
    summary = pd.DataFrame({"stage": ["poc", "pilot"], "median_days": [30.0, 30.0], "p90_days": [30.0, 30.0],
                            "entered": [n, 3]})
    fig = stage_time_figure(durations, summary, ["intake", "poc", "pilot", "production"])
    boxes = {b.y0: b for b in fig.data if b.type == "box"}
    big = boxes["Proof of concept"]
    month = 30 / DAYS_PER_MONTH
    assert big.boxpoints == "outliers" and (big.q1, big.median, big.q3) == ((month,), (month,), (month,))
    assert (big.lowerfence, big.upperfence) == ((month,), (month,))
    assert list(big.x[0]) == [300 / DAYS_PER_MONTH] and list(big.customdata[0]) == [n - 1]  # the one outlier
    assert drill(fig)[n - 1] == [f"P{n - 1}"]
    assert boxes["Pilot"].boxpoints == "all" and list(boxes["Pilot"].hovertext)[0] == "P" + str(n) + ": 1.0 months, moved on"
    assert outliers_only(durations) and not outliers_only(durations.tail(3))




def test_a_big_box_without_outliers_sends_no_points():
    # plotly hides a box whose row of points is empty ([[]]), so a box without outliers sends none
    from analysis.figures.stalls import POINTS_PER_BOX, stage_time_figure

    n = POINTS_PER_BOX + 1
    durations = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(n)], "stage": ["poc"] * n, "stage_index": [1] * n,
                              "days": [float(d % 90) for d in range(n)], "observed": [True] * n,
                              "exit": ["moved on"] * n})
    summary = pd.DataFrame({"stage": ["poc"], "median_days": [45.0], "p90_days": [81.0], "entered": [n]})
    (box,) = [b for b in stage_time_figure(durations, summary, ["intake", "poc", "production"]).data if b.type == "box"]
    assert box.q1 is not None and box.x is None and box.customdata is None
    assert box.lowerfence == (0.0,) and box.upperfence == (89 / DAYS_PER_MONTH,)


def test_positions_count_and_list_each_stages_in_flight_pilots_by_hand():
    # As of 2024-03-01 (a leap year), stalled after 20 days without progress:
    #   P001 PoC since Jan 31: 30 days, stalled; P002 PoC since Feb 20: 10 days; P003 PoC, no PoC date,
    #   updated Feb 25: not stalled, not dated; P008 on hold (in flight) in PoC since 2023-12-01: 91 days,
    #   stalled; P004 scoping since Feb 1: 29 days, stalled. Not in flight: P005 cancelled, P006 in
    #   production; P007's stage is unreadable (no position to show).
    rows = [row(1, "PoC", intake_date="2024-01-01", poc_date="2024-01-31"), row(2, "PoC", poc_date="2024-02-20"),
            row(3, "PoC", last_update="2024-02-25"), row(4, "Scoping", scoping_date="2024-02-01"),
            row(5, "PoC", "Cancelled", poc_date="2024-01-15", end_date="2024-02-01"),
            row(6, "Production", "In production", production_date="2024-02-01"),
            row(7, "Mystery", last_update="2024-02-25"), row(8, "PoC", "On hold", poc_date="2023-12-01")]
    result = analysed(rows, as_of=AS_OF, stall_days=20)
    positions = current_positions(result.classified, result.derived.stages, AS_OF)
    assert positions["stage"].tolist() == ["intake", "scoping", "poc", "pilot"]  # not the last stage
    assert positions["in_flight"].tolist() == [0, 1, 4, 0]
    assert positions["stalled"].tolist() == [0, 1, 2, 0]
    assert positions["dated"].tolist() == [0, 1, 3, 0]  # P003 has no PoC date
    # PoC: days there 30, 10, 91 -> median 30, longest 91; scoping: 29; no pilot in intake or pilot: NaN
    np.testing.assert_array_equal(positions["median_days_there"], [np.nan, 29, 30, np.nan])
    np.testing.assert_array_equal(positions["longest_days_there"], [np.nan, 29, 91, np.nan])
    assert positions["pilot_ids"].tolist() == [[], ["P004"], ["P001", "P002", "P003", "P008"], []]  # frame order
    assert positions["stalled_ids"].tolist() == [[], ["P004"], ["P001", "P008"], []]
    assert positions["progressing_ids"].tolist() == [[], [], ["P002", "P003"], []]
