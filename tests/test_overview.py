"""analysis/metrics/overview.py: the Overview's KPI tiles on hand-built portfolios."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analysis.cli.summary import analyse_file
from analysis.metrics.cohorts import DAYS_PER_MONTH, event_times, incidence_curves
from analysis.metrics.overview import kpis
from analysis.metrics.stats import median_time
from tests.builders import analysed, pilot

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
AS_OF = dt.date(2025, 1, 1)


def started(i: int, **fields: object) -> dict[str, object]:
    """A pilot that entered intake on 2024-01-01 (no other stage dates unless given)."""
    return pilot(i, start_date="2024-01-01", intake_date="2024-01-01", poc_date="", **fields)


def live(i: int, production: str) -> dict[str, object]:
    return started(i, stage="Production", status="Live", production_date=production)


# As of 2025-01-01, all started 2024-01-01:
#   P001 production 2024-04-01 (91 days), P002 production 2024-07-01 (182 days),
#   P003 active in intake (the first stage, a readable one), last progress 2024-01-01: stalled (366 days
#   > 90), censored at 366 days,
#   P004 cancelled 2024-10-01 with 500 spent, P005 cancelled 2024-12-01 with no spend recorded,
#   P006 active in an unreadable stage and no stage date to place it by, updated 2024-12-15: in flight, not
#   stalled, censored at 366 days.
ROWS = [live(1, "2024-04-01"), live(2, "2024-07-01"), started(3, stage="Intake"),
        started(4, status="Cancelled", end_date="2024-10-01", spend="500"),
        started(5, status="Cancelled", end_date="2024-12-01", spend=""),
        pilot(6, start_date="2024-01-01", intake_date="", poc_date="", stage="Mystery", last_update="2024-12-15")]


def test_kpis_by_hand():
    result = analysed(ROWS, as_of=AS_OF)
    tiles = kpis(result.classified, result.derived.stages, result.as_of)
    assert (tiles.pilots, tiles.reached_production, tiles.cancelled, tiles.decided) == (6, 2, 2, 4)
    assert (tiles.in_flight, tiles.stalled, tiles.in_flight_dated, tiles.unknown_stage) == (2, 1, 2, 1)
    assert tiles.spend_on_cancelled == 500.0  # P005's missing spend is not a zero, nor a reason for None
    assert tiles.median_months_when_reached == pytest.approx(136.5 / DAYS_PER_MONTH)  # (91 + 182) / 2 days
    # Aalen-Johansen: at 91 days 6 at risk, F = 1/6; at 182 days 5 at risk, F = 1/6 + 5/6 * 1/5 = 1/3; the
    # cancellations come later: F never reaches 1/2, so there is no median time to production.
    assert tiles.median_months_to_production is None
    assert (tiles.production_rate, tiles.decided_rate) == (2 / 6, 2 / 4)


def test_kpis_median_to_production_where_half_have_reached_it():
    # P001, P002 and P003 alone: at 91 days F = 1/3; at 182 days 2 at risk, F = 1/3 + 2/3 * 1/2 = 2/3 >= 1/2.
    result = analysed(ROWS[:3], as_of=AS_OF)
    tiles = kpis(result.classified, result.derived.stages, result.as_of)
    assert tiles.median_months_to_production == pytest.approx(182 / DAYS_PER_MONTH)
    assert tiles.spend_on_cancelled is None  # nobody cancelled


def test_kpis_without_an_as_of_date_or_start_dates():
    undated = [pilot(1, start_date="", intake_date="", poc_date=""),
               pilot(2, start_date="", intake_date="", poc_date="", status="Cancelled")]
    result = analysed(undated)
    assert result.as_of is None
    tiles = kpis(result.classified, result.derived.stages, result.as_of)
    assert (tiles.pilots, tiles.cancelled, tiles.in_flight) == (2, 1, 1)
    assert tiles.median_months_to_production is None and tiles.median_months_when_reached is None


def test_kpi_median_equals_the_incidence_curve():
    # the tile's median (one count of the distinct months) and the Cohorts page's curve give one number
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    classified, stages, as_of = result.classified, result.derived.stages, result.as_of
    times = event_times(classified, stages, as_of)
    assert kpis(classified, stages, as_of).median_months_to_production == \
        median_time(incidence_curves(times)["production"], "cif")
    assert kpis(classified, stages, as_of, times) == kpis(classified, stages, as_of)  # times passed: the same
