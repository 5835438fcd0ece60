"""Outcome counts and the stage funnel on hand-built portfolios whose answers are counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.metrics.funnel import funnel_by, pilots_at_step, stage_funnel
from analysis.metrics.outcomes import outcome_counts
from tests.builders import analysed, pilot

AS_OF = dt.date(2025, 1, 1)
# 8 pilots: stage reached, status, last progress (for the stall rule at 90 days before 2025-01-01)
PORTFOLIO = [
    pilot(1, Stage="Intake", Status="Cancelled", PoC_Date="", Business_Unit="Ops"),
    pilot(2, Stage="Scoping", Status="Active", PoC_Date="", Scoping_Date="2024-12-01", Business_Unit="Ops"),
    pilot(3, Stage="PoC", Status="Cancelled", Business_Unit="Ops"),
    pilot(4, Stage="PoC", Status="Active", Last_Update="2024-09-01"),  # 122 days: stalled
    pilot(5, Stage="Pilot", Status="On hold", Pilot_Date="2024-10-15"),  # 78 days: not stalled
    pilot(6, Stage="Pilot", Status="Cancelled", Pilot_Date="2024-05-01"),
    pilot(7, Stage="Production", Status="Live", Pilot_Date="2024-04-01", Production_Date="2024-08-01"),
    pilot(8, Stage="Production", Status="Retired", Pilot_Date="2024-04-01", Production_Date="2024-06-01"),
]


@pytest.fixture
def classified():
    return analysed(PORTFOLIO, as_of=AS_OF).classified


def test_outcome_counts(classified):
    assert outcome_counts(classified) == {"production": 1, "retired": 1, "cancelled": 3, "active": 2,
                                          "on_hold": 1, "stalled": 1}
    assert classified.loc[classified["stalled"], "pilot_id"].tolist() == ["P004"]


def test_stage_funnel(classified):
    f = stage_funnel(classified, ["intake", "scoping", "poc", "pilot", "production"])
    assert f["reached"].tolist() == [8, 7, 6, 4, 2]
    assert f["dropped"].tolist() == [1, 0, 1, 1, 0]
    assert f["in_stage"].tolist() == [0, 1, 1, 1, 0]
    assert f["moved_on"].tolist() == [7, 6, 4, 2, 0]
    assert f["step_conversion"].tolist()[1:] == pytest.approx([7 / 8, 6 / 7, 4 / 6, 2 / 4])
    assert f["overall_conversion"].tolist() == pytest.approx([1, 7 / 8, 6 / 8, 4 / 8, 2 / 8])


def test_funnel_by_segment(classified):
    by = funnel_by(classified, ["intake", "scoping", "poc", "pilot", "production"], "business_unit")
    ops = by[by["segment"] == "Ops"]
    assert ops["reached"].tolist() == [3, 2, 1, 0, 0]
    assert by.groupby("segment")["n"].first().to_dict() == {"Finance": 5, "Ops": 3}


def test_pilots_behind_a_step(classified):
    assert pilots_at_step(classified, 2, "dropped")["pilot_id"].tolist() == ["P003"]
    assert pilots_at_step(classified, 3, "reached")["pilot_id"].tolist() == ["P005", "P006", "P007", "P008"]


def test_unknown_stage_left_out_of_the_funnel():
    c = analysed([pilot(1), pilot(2, Stage="", Intake_Date="", PoC_Date="")], as_of=AS_OF).classified
    assert stage_funnel(c, ["intake", "scoping", "poc", "pilot", "production"])["reached"].iloc[0] == 1
