"""Cohorts: event times, the cohort triangle (blank, partial and full cells), the cohort comparison
sentence, and curves by segment, on hand-built portfolios with explicit as-of dates.

Months are days / 30.4375 (analysis.cohorts.DAYS_PER_MONTH); every expected number below is worked out
by hand from the dates in the comment beside it. The last sections pin the fast paths (issue 7) to other
live code: stats.cumulative_incidence, numpy, and the general path each fast path falls back to.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from builders import analysed, pilot
from conftest import FEDERAL, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli.summary import analyse_file
from analysis.metrics import cohorts
from analysis.metrics.cohorts import (
    COUNTED,
    DAYS_PER_MONTH,
    EVENT_CODES,
    KINDS,
    MATRIX_COLUMNS,
    START_YEAR,
    _grid_rank,
    at_risk_table,
    cohort_comparison,
    cohort_index,
    cohort_label,
    cohort_labels,
    cohort_matrix,
    cohort_periods,
    cohort_pilots,
    cohort_trend,
    comparison_sentence,
    event_times,
    incidence_curves,
    segment_counts,
    segment_curves,
    segment_labels,
    segment_order,
    segment_summary,
    time_to_production,
)
from analysis.metrics.stats import cumulative_incidence, median_time, wilson_interval
from analysis.store.queries import BLANK
from bench.portfolios import portfolio_frame

AS_OF = dt.date(2025, 7, 1)


def analysed_sample():
    return analyse_file(SAMPLE.read_bytes(), SAMPLE.name)


def started(i: int, start: str, **fields: object) -> dict[str, object]:
    """A pilot that entered intake on its start date (no other stage dates unless given)."""
    return pilot(i, start_date=start, intake_date=start, poc_date="", **fields)


def live(i: int, start: str, production: str, **fields: object) -> dict[str, object]:
    return started(i, start, stage="Production", status="Live", production_date=production, **fields)


# The hand-built portfolio, as of 2025-07-01:
#   P001 2024-01-01 -> production 2024-04-01: 91 days = 2.98973 months; followed 547 days = 17.97125
#   P002 2024-03-31 -> cancelled 2024-06-29: 90 days = 2.95688; followed 457 days = 15.01437
#   P003 2025-01-01 active: censored at 181 days = 5.94661
#   P004 2025-03-31 -> production 2025-05-30: 60 days = 1.97125; followed 92 days = 3.02259
#   P005 2025-06-15 active: censored at 16 days = 0.52567
#   P006 2024-01-01 -> production 2025-09-01, after the as-of date: censored at 547 days = 17.97125
#   P007 no start date at all: left out.
PORTFOLIO = [
    live(1, "2024-01-01", "2024-04-01"),
    started(2, "2024-03-31", status="Cancelled", end_date="2024-06-29"),
    started(3, "2025-01-01"),
    live(4, "2025-03-31", "2025-05-30"),
    started(5, "2025-06-15"),
    live(6, "2024-01-01", "2025-09-01"),
    pilot(7, start_date="", intake_date="", poc_date=""),
]


@pytest.fixture(scope="module")
def times() -> pd.DataFrame:
    result = analysed(PORTFOLIO, as_of=AS_OF)
    return event_times(result.classified, result.derived.stages, result.as_of)


def cells(matrix: pd.DataFrame, cohort: str) -> pd.DataFrame:
    return matrix[matrix["cohort"] == cohort].set_index("month")


# ---------------------------------------------------------------- event times


def test_event_times_by_hand(times: pd.DataFrame) -> None:
    assert times["pilot_id"].tolist() == ["P001", "P002", "P003", "P004", "P005", "P006"]
    days = np.array([91, 90, 181, 60, 16, 547])
    np.testing.assert_allclose(times["months"], days / DAYS_PER_MONTH)
    # P006 reached production on 2025-09-01, after the as-of date: on the as-of date it was in flight.
    assert times["event"].tolist() == [1, 2, 0, 1, 0, 0]
    np.testing.assert_allclose(times["follow_up"], np.array([547, 457, 181, 92, 16, 547]) / DAYS_PER_MONTH)


def test_same_day_ties_are_counted_together_not_jittered() -> None:
    # Three pilots started 2024-01-01; on 2024-07-01 (182 days) one goes live, one is cancelled, and the
    # third is still in flight on that as-of date. One row at 182 days: 3 at risk, 1 production,
    # 1 cancellation, 1 censored (still at risk at that time), so F_prod = F_canc = 1/3 exactly.
    rows = [live(1, "2024-01-01", "2024-07-01"), started(2, "2024-01-01", status="Cancelled", end_date="2024-07-01"),
            started(3, "2024-01-01")]
    result = analysed(rows, as_of=dt.date(2024, 7, 1))
    times = event_times(result.classified, result.derived.stages, result.as_of)
    curves = segment_curves(times, pd.Series("all", index=times.index), ["all"], min_at_risk=1)
    production = curves[curves["kind"] == "production"].iloc[-1]
    assert production["time"] == 182 / DAYS_PER_MONTH and len(curves) == 4  # origin + one row, per kind
    assert (production["at_risk"], production["events"], production["competing"], production["censored"]) == \
        (3, 1, 1, 1)
    assert production["cif"] == pytest.approx(1 / 3)
    assert curves[curves["kind"] == "cancelled"]["cif"].iloc[-1] == pytest.approx(1 / 3)


def test_event_times_without_dates_is_empty_with_its_columns() -> None:
    result = analysed(3, start_date="", intake_date="", poc_date="")
    assert result.as_of is None
    times = event_times(result.classified, result.derived.stages, result.as_of)
    assert times.empty and list(times.columns) == ["pilot_id", "start_date", "months", "event", "follow_up"]
    assert cohort_matrix(times).empty and list(cohort_matrix(times).columns) == MATRIX_COLUMNS
    assert comparison_sentence(times) is None
    assert time_to_production(times)["median_months"] is None


# ---------------------------------------------------------------- the triangle


def test_triangle_blank_partial_and_full_cells_by_hand(times: pd.DataFrame) -> None:
    matrix = cohort_matrix(times, "quarter", step=1)
    assert list(matrix.columns) == MATRIX_COLUMNS
    # Longest follow-up 17.97 months -> columns 1..17 for every cohort.
    assert matrix.groupby("cohort")["month"].apply(list).to_dict() == {
        c: list(range(1, 18)) for c in ["2024 Q1", "2025 Q1", "2025 Q2"]}

    q1_2024 = cells(matrix, "2024 Q1")  # P001, P002, P006; the youngest (P002) followed 15.01 months
    assert (q1_2024["n"] == 3).all()
    assert (q1_2024.loc[1:15, "observed"] == "full").all()
    assert (q1_2024.loc[16:17, "observed"] == "partial").all()  # only the two started 2024-01-01
    assert q1_2024.loc[16, "followed"] == 2
    np.testing.assert_allclose(q1_2024.loc[[1, 2, 3, 17], "production_share"], [0, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(q1_2024.loc[[2, 3], "cancelled_share"], [0, 1 / 3])

    q1_2025 = cells(matrix, "2025 Q1")  # P003 followed 5.95 months, P004 3.02 months
    assert q1_2025.loc[1:3, "observed"].tolist() == ["full"] * 3
    assert q1_2025.loc[4:5, "observed"].tolist() == ["partial"] * 2
    assert (q1_2025.loc[6:17, "observed"] == "none").all()
    np.testing.assert_allclose(q1_2025.loc[1:5, "production_share"], [0, 0.5, 0.5, 0.5, 0.5])
    # Too young: blank, never zero.
    assert q1_2025.loc[6:17, ["production_share", "cancelled_share"]].isna().all().all()

    q2_2025 = cells(matrix, "2025 Q2")  # P005, followed 0.53 months: not even one month
    assert (q2_2025["observed"] == "none").all() and q2_2025["production_share"].isna().all()


def test_triangle_intervals_only_in_full_cells(times: pd.DataFrame) -> None:
    matrix = cohort_matrix(times, "quarter", step=1)
    full = matrix["observed"] == "full"
    assert matrix.loc[full, ["production_low", "production_high"]].notna().all().all()
    assert matrix.loc[~full, ["production_low", "production_high"]].isna().all().all()
    low, high = wilson_interval(1, 2)  # 2025 Q1 at 2 months: 1 of 2
    cell = cells(matrix, "2025 Q1").loc[2]
    assert cell["production_low"] == pytest.approx(float(low)) and cell["production_high"] == pytest.approx(float(high))


def test_triangle_in_quarters_and_by_year(times: pd.DataFrame) -> None:
    quarterly = cohort_matrix(times, "quarter", step=3)
    assert sorted(quarterly["month"].unique()) == [3, 6, 9, 12, 15]
    assert (cells(quarterly, "2024 Q1")["observed"] == "full").all()  # 15 <= 15.01
    assert cells(quarterly, "2025 Q1")["observed"].tolist() == ["full", "none", "none", "none", "none"]
    yearly = cohort_matrix(times, "year", step=1)
    assert sorted(yearly["cohort"].unique()) == ["2024", "2025"]
    # 2025: P003, P004, P005; at 1 month P005 (0.53 months old) is not followed yet -> partial.
    first = cells(yearly, "2025").loc[1]
    assert (first["n"], first["followed"], first["observed"]) == (3, 2, "partial")


def test_triangle_in_years_of_follow_up(times: pd.DataFrame) -> None:
    # Step 12: the longest follow-up (17.97 months) holds one 12-month column. 2024 Q1 (youngest 15.01
    # months) is full there: P001 live at 2.99 months, P002 cancelled at 2.96, P006 live after the as-of
    # date (censored, not counted). The 2025 cohorts are not 12 months old: blank cells.
    yearly = cohort_matrix(times, "quarter", step=12)
    assert yearly["month"].unique().tolist() == [12]
    first = cells(yearly, "2024 Q1").loc[12]
    assert (first["observed"], first["n"], first["production"], first["cancelled"]) == ("full", 3, 1, 1)
    assert first["production_share"] == pytest.approx(1 / 3)
    young = yearly[yearly["cohort"] != "2024 Q1"]
    assert (young["observed"] == "none").all() and young["production_share"].isna().all()


def test_cohort_trend_pools_full_cells_by_start_year(times: pd.DataFrame) -> None:
    trend = cohort_trend(cohort_matrix(times, "quarter", step=1), "production", month=3)
    # 2024 Q1 full at 3 months: 1 of 3; 2025 Q1 full at 3 months, but 2025 Q2 not followed: 2025 is left out
    # (the curves by start year, which count its young pilots until the as-of date, speak for it)
    assert trend[["year", "cohorts", "n", "count"]].to_dict("records") == [
        {"year": 2024, "cohorts": 1, "n": 3, "count": 1}]
    assert cohort_trend(cohort_matrix(times, "quarter", 1), "production", month=16).empty


# ------------------------------------------------------ comparing two cohorts

# As of 2026-10-01. 2025 Q3: four pilots, the youngest (2025-09-20) followed 376 days = 12.35 months;
# two reached production within 12 months (153 and 203 days). 2025 Q4: followed 361 days = 11.86
# months, so not yet. 2024 Q3: two pilots, neither in production within 12 months (one after 20).
COMPARE_AS_OF = dt.date(2026, 10, 1)
Q3_2025 = [live(1, "2025-07-10", "2025-12-10"), live(2, "2025-08-10", "2026-03-01"),
           started(3, "2025-09-10"), started(4, "2025-09-20", status="Cancelled", end_date="2026-01-20")]
Q4_2025 = [live(5, "2025-10-05", "2026-02-01")]
Q3_2024 = [live(6, "2024-07-15", "2026-03-15"), started(7, "2024-08-15", status="Cancelled", end_date="2025-01-15")]


def comparison_times(rows: list[dict[str, object]]) -> pd.DataFrame:
    result = analysed(rows, as_of=COMPARE_AS_OF)
    return event_times(result.classified, result.derived.stages, result.as_of)


def test_comparison_with_the_same_quarter_a_year_earlier() -> None:
    comparison = cohort_comparison(comparison_times(Q3_2025 + Q4_2025 + Q3_2024))
    assert (comparison.cohort, comparison.n, comparison.reached) == ("2025 Q3", 4, 2)
    assert (comparison.earlier, comparison.earlier_n, comparison.earlier_reached) == ("2024 Q3", 2, 0)
    # Fisher's exact test on [[2, 2], [0, 2]] by hand: margins 2 successes of 6, 4 drawn;
    # P(X=2) = C(2,2)C(4,2)/C(6,4) = 6/15, P(X=1) = 8/15, P(X=0) = 1/15; two-sided p = 6/15 + 1/15.
    assert comparison.p_value == pytest.approx(7 / 15)
    assert comparison.sentence == (
        "Of the 4 pilots started in 2025 Q3, 50% (2) reached production within 12 months, against 0% "
        "(0 of 2) of those started in 2024 Q3: no clear difference (a gap this size could be chance).")


def test_comparison_without_a_cohort_a_year_earlier() -> None:
    sentence = comparison_sentence(comparison_times(Q3_2025 + [live(8, "2024-05-01", "2024-09-01")]))
    assert sentence == ("Of the 4 pilots started in 2025 Q3, 50% (2) reached production within 12 months; "
                        "no pilots started a year earlier to compare with.")


def test_comparison_when_no_cohort_has_twelve_months() -> None:
    times = comparison_times(Q4_2025)
    assert cohort_comparison(times) is None
    assert comparison_sentence(times) == ("No start quarter has been followed for 12 months yet, so cohorts "
                                          "cannot be compared.")


# ---------------------------------------------------------------- by segment

# Segment A: months 1 (production), 2 (cancelled), 2 (censored), 3 (production); B: one pilot, production
# at 2. Aalen-Johansen for A by hand: t=1: n=4, F_prod = 1/4, S = 3/4; t=2: n=3, one cancelled (the
# censored one still at risk), F_canc = 3/4 * 1/3 = 1/4, S = 1/2; t=3: n=1, F_prod = 1/4 + 1/2 = 3/4.
SEGMENTED = pd.DataFrame({"pilot_id": ["a1", "a2", "a3", "a4", "b1"],
                          "start_date": pd.to_datetime(["2023-02-01", "2023-03-01", "2024-01-01", "2024-06-01",
                                                        "2024-02-01"]),
                          "months": [1.0, 2.0, 2.0, 3.0, 2.0], "event": [1, 2, 0, 1, 1],
                          "follow_up": [10.0, 10.0, 2.0, 5.0, 6.0]})
LABELS = pd.Series(["A", "A", "A", "A", "B"])


def test_segment_curves_by_hand() -> None:
    curves = segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=1)
    a = curves[(curves["segment"] == "A") & (curves["kind"] == "production")]
    np.testing.assert_allclose(a["time"], [0, 1, 2, 3])
    np.testing.assert_allclose(a["cif"], [0, 1 / 4, 1 / 4, 3 / 4])
    assert (a["n"] == 4).all()
    cancelled = curves[(curves["segment"] == "A") & (curves["kind"] == "cancelled")]
    np.testing.assert_allclose(cancelled["cif"], [0, 0, 1 / 4, 1 / 4])
    single = curves[(curves["segment"] == "B") & (curves["kind"] == "production")]
    np.testing.assert_allclose(single["cif"], [0, 1])


def test_segment_curves_stop_where_few_remain_at_risk() -> None:
    # At risk in A: 4 at t=0 and t=1, 3 at t=2, 1 at t=3; B has 1 pilot: only its origin row is kept.
    curves = segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=2)
    a = curves[(curves["segment"] == "A") & (curves["kind"] == "production")]
    np.testing.assert_allclose(a["time"], [0, 1, 2])
    b = curves[curves["segment"] == "B"]
    assert b["time"].tolist() == [0, 0] and b["kind"].tolist() == ["production", "cancelled"]


def test_segment_summary_by_hand() -> None:
    summary = segment_summary(segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=1), month=2)
    a, b = summary.set_index("segment").loc["A"], summary.set_index("segment").loc["B"]
    assert (a["n"], a["production"], a["cancelled"]) == (4, 0.25, 0.25)
    assert a["median_months"] == 3.0  # F_prod reaches 3/4 >= 1/2 at 3 months
    assert (b["production"], b["median_months"]) == (1.0, 2.0)
    truncated = segment_summary(segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=2), month=3)
    assert truncated["production"].isna().all()  # A's curve stops at 2 months, B has no curve
    assert truncated["median_months"].isna().all()


def test_at_risk_table_by_hand() -> None:
    table = at_risk_table(SEGMENTED, LABELS, ["A", "B"], every=1)
    assert list(table.columns) == [0, 1, 2, 3]
    assert table.loc["A"].tolist() == [4, 4, 3, 1] and table.loc["B"].tolist() == [1, 1, 1, 0]


def test_segment_labels_and_order() -> None:
    classified = pd.DataFrame({"pilot_id": ["a1", "a2", "a3", "a4", "b1"],
                               "sourcing": ["buy", None, "build", "build", ""]})
    years = segment_labels(classified, SEGMENTED, START_YEAR)
    assert years.tolist() == ["2023", "2023", "2024", "2024", "2024"]
    assert segment_order(years, START_YEAR) == ["2023", "2024"]  # time order, not size
    sourcing = segment_labels(classified, SEGMENTED, "sourcing")
    assert sourcing.tolist() == ["buy", BLANK, "build", "build", BLANK]
    assert segment_order(sourcing, "sourcing") == [BLANK, "build", "buy"]  # largest first, ties by name
    assert set(segment_labels(classified, SEGMENTED, None)) == {"All pilots"}


# ---------------------------------------------------------------- the sample's story


def test_sample_newer_cohorts_reach_production_sooner() -> None:
    # Independently, with pandas straight from the CSV: per start quarter followed 12 months in full
    # (its youngest pilot started at least 365.25 days before the as-of date), pilots whose production
    # date is within 365.25 days of their start, pooled by start year.
    raw = pd.read_csv(SAMPLE, parse_dates=["Start Date", "Production Date"])
    sample_as_of = pd.Timestamp("2026-10-31")
    raw["quarter"] = raw["Start Date"].dt.to_period("Q")
    raw["within"] = (raw["Production Date"] - raw["Start Date"]).dt.days <= 12 * DAYS_PER_MONTH
    youngest = raw.groupby("quarter")["Start Date"].transform("max")
    full = raw[(sample_as_of - youngest).dt.days >= 12 * DAYS_PER_MONTH]
    expected = full.groupby(full["Start Date"].dt.year)["within"].agg(["size", "sum"])
    expected = expected[expected.index < 2025]  # 2025 Q4 is not followed 12 months: the year is left out

    result = analysed_sample()
    times = event_times(result.classified, result.derived.stages, result.as_of)
    trend = cohort_trend(cohort_matrix(times, "quarter", 1), "production", 12).set_index("year")
    assert trend["n"].to_dict() == expected["size"].to_dict() == {2023: 157, 2024: 178}
    assert trend["count"].to_dict() == expected["sum"].to_dict() == {2023: 7, 2024: 17}
    assert trend["share"].is_monotonic_increasing

    # By start year, Aalen-Johansen at 12 months. Every 2023 and 2024 start was followed well past
    # 12 months, so there is no censoring before 12 months and the estimate is the plain share.
    labels = segment_labels(result.classified, times, START_YEAR)
    summary = segment_summary(segment_curves(times, labels, segment_order(labels, START_YEAR))).set_index("segment")
    assert summary.loc["2023", "production"] == pytest.approx(7 / 157)
    assert summary.loc["2024", "production"] == pytest.approx(17 / 178)
    for year in trend.index:  # the triangle's title and the curves' give one number for a year
        assert summary.loc[str(year), "production"] == pytest.approx(trend.loc[year, "share"])
    assert 0.13 < summary.loc["2025", "production"] < 0.17  # 2025 Q4 is censored before 12 months
    assert summary.loc["2025", "production_low"] > summary.loc["2023", "production_high"]  # bands apart
    assert np.isnan(summary.loc["2026", "production"])  # no 2026 start is 12 months old


def _time_to_production_from_curves(times: pd.DataFrame) -> dict:
    """The summary's block as it was first written: curve_value_at and median_time on incidence_curves."""
    from analysis.metrics.cohorts import incidence_curves
    from analysis.metrics.kernels import SUMMARY_MONTHS
    from analysis.metrics.stats import curve_value_at, median_time

    if times.empty:
        return {"at_months": SUMMARY_MONTHS, "production": [None] * 3, "cancelled": [None] * 3, "median_months": None}
    curves = incidence_curves(times)
    at = {k: [None if np.isnan(v) else float(v) for v in curve_value_at(c, SUMMARY_MONTHS, "cif")]
          for k, c in curves.items()}
    return {"at_months": SUMMARY_MONTHS, "production": at["production"], "cancelled": at["cancelled"],
            "median_months": median_time(curves["production"], "cif")}


@pytest.mark.parametrize("as_of", [None, dt.date(2024, 6, 30), dt.date(2021, 1, 1)])
def test_time_to_production_is_read_off_the_curves(as_of, federal_bytes):
    """time_to_production counts the curves once (kernels.production_summary): the same numbers as reading them
    off incidence_curves, on the sample, the federal inventory and a generated portfolio."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    from portfolios import portfolio_frame

    generated = portfolio_frame(5_000, seed=11).to_csv(index=False, lineterminator="\n").encode()
    for data in (SAMPLE.read_bytes(), federal_bytes, generated):
        a = analyse_file(data, "p.csv", None, as_of)
        times = event_times(a.classified, a.derived.stages, a.as_of)
        assert time_to_production(times) == _time_to_production_from_curves(times)


def test_a_comparison_is_called_clear_only_when_significant_and_big_enough_to_matter() -> None:
    from analysis.metrics.cohorts import CohortComparison

    better = CohortComparison(12, "2025 Q3", 100, 40, "2024 Q3", 100, 10, 0.0001, True)
    assert better.sentence.endswith(": clearly better, unlikely to be chance (p < 0.001).")
    worse = CohortComparison(12, "2025 Q3", 100, 10, "2024 Q3", 100, 40, 0.0001, True)
    assert worse.sentence.endswith(": clearly worse, unlikely to be chance (p < 0.001).")
    small = CohortComparison(12, "2025 Q3", 100_000, 10_300, "2024 Q3", 100_000, 10_000, 0.03, True)
    assert small.sentence.endswith(": a real but small difference (p = 0.03).")  # 10.3% vs 10.0%: 0.3 points


# ---------------------------------------------------------------- edge cases of the event times


@pytest.mark.parametrize("block", [1, 2, 4, 1 << 16])
def test_event_times_worked_out_in_blocks_are_the_same_by_hand(monkeypatch, block) -> None:
    # event_times works EVENT_BLOCK pilots at a time: blocks of 1, 2 and 4 put a block boundary between every
    # pair, or some pairs, of PORTFOLIO's pilots (P007, undated, left out in the middle of a block of 4)
    from analysis.metrics import cohorts

    monkeypatch.setattr(cohorts, "EVENT_BLOCK", block)
    result = analysed(PORTFOLIO, as_of=AS_OF)
    times = event_times(result.classified, result.derived.stages, result.as_of)
    assert times["pilot_id"].tolist() == ["P001", "P002", "P003", "P004", "P005", "P006"]
    np.testing.assert_allclose(times["months"], np.array([91, 90, 181, 60, 16, 547]) / DAYS_PER_MONTH)
    assert times["event"].tolist() == [1, 2, 0, 1, 0, 0]
    np.testing.assert_allclose(times["follow_up"], np.array([547, 457, 181, 92, 16, 547]) / DAYS_PER_MONTH)


def test_event_times_without_a_production_date_or_end_dates() -> None:
    # As of 2024-12-31, started 2024-01-01. P001 went live without a production date, and no end date: its
    # event has no date, so it is left out. P002 cancelled without an end date: cancelled at its last
    # progress, the PoC date 2024-03-01 (60 days). P003 cancelled 2024-05-01 (121 days). P004 in flight,
    # censored at 365 days. P005 started after the as-of date: left out.
    rows = [pilot(1, stage="Production", status="Live", production_date=""),
            pilot(2, status="Cancelled", poc_date="2024-03-01"),
            pilot(3, status="Cancelled", end_date="2024-05-01"), pilot(4),
            pilot(5, start_date="2025-02-01", intake_date="2025-02-01", poc_date="")]
    result = analysed(rows, as_of=dt.date(2024, 12, 31))
    times = event_times(result.classified, result.derived.stages, result.as_of)
    assert times["pilot_id"].tolist() == ["P002", "P003", "P004"]
    assert times["event"].tolist() == [2, 2, 0]
    np.testing.assert_allclose(times["months"], np.array([60, 121, 365]) / DAYS_PER_MONTH)
    # Without the production date column at all: a pilot in production whose end date is known ends then.
    classified = result.classified.drop(columns=[f"{result.derived.stages[-1]}_date"])
    classified.loc[0, "end_date"] = pd.Timestamp("2024-02-01")  # P001: 31 days
    times = event_times(classified, result.derived.stages, result.as_of)
    assert times["pilot_id"].tolist() == ["P001", "P002", "P003", "P004"] and times["event"].tolist()[0] == 1
    assert times["months"].iloc[0] == pytest.approx(31 / DAYS_PER_MONTH)
    assert event_times(result.classified, result.derived.stages, None).empty  # no as-of date, no times


def test_an_event_on_the_start_day_is_at_zero_months() -> None:
    # Two pilots, as of 2024-07-01: one live on its start day (0 months), one in flight (182 days). The
    # curve's origin row and the event's row are both at time 0: F_prod = 1/2 there, before any censoring.
    rows = [live(1, "2024-01-01", "2024-01-01"), started(2, "2024-01-01")]
    result = analysed(rows, as_of=dt.date(2024, 7, 1))
    times = event_times(result.classified, result.derived.stages, result.as_of)
    assert times["months"].tolist() == [0, 182 / DAYS_PER_MONTH] and times["event"].tolist() == [1, 0]
    curves = segment_curves(times, pd.Series("all", index=times.index), ["all"], min_at_risk=1)
    production = curves[curves["kind"] == "production"]
    assert production["time"].tolist() == [0, 0, 182 / DAYS_PER_MONTH]
    np.testing.assert_allclose(production["cif"], [0, 1 / 2, 1 / 2])
    assert production["at_risk"].tolist()[1:] == [2, 1]


# ---------------------------------------------------------------- cohort labels and members


def test_cohort_labels_of_missing_early_and_far_apart_dates() -> None:
    # Labelled by hand; a missing date has no cohort. 1969-12-31 23:59 is before the Unix epoch (negative
    # stamps: the day must be floored, not truncated towards zero); 1700 and 2300 are centuries apart.
    dates = pd.Series(pd.to_datetime(["2024-03-01 10:00", None, "2024-03-01", "1969-12-31 23:59", "2023-01-01",
                                      "1700-01-01", "2300-12-31 12:00"], format="ISO8601"), name="start_date")
    quarters = cohort_labels(dates)
    assert quarters.astype(object).where(quarters.notna(), None).tolist() == [
        "2024 Q1", None, "2024 Q1", "1969 Q4", "2023 Q1", "1700 Q1", "2300 Q4"]
    assert list(quarters.cat.categories) == ["1700 Q1", "1969 Q4", "2023 Q1", "2024 Q1", "2300 Q4"]  # in time order
    years = cohort_labels(dates, "year")
    assert years.astype(object).where(years.notna(), None).tolist() == [
        "2024", None, "2024", "1969", "2023", "1700", "2300"]
    # Start years as segments, of event_times' rows (every one has a start date)
    by_year = segment_labels(pd.DataFrame(), pd.DataFrame({"start_date": dates.dropna()}), START_YEAR)
    assert by_year.tolist() == ["2024", "2024", "1969", "2023", "1700", "2300"]
    assert segment_order(by_year, START_YEAR) == ["1700", "1969", "2023", "2024", "2300"]
    empty = cohort_labels(pd.Series([pd.NaT, pd.NaT], dtype="datetime64[us]"))
    assert empty.isna().all() and len(empty.cat.categories) == 0


def test_cohort_pilots_are_the_pilots_started_in_the_cohort(times: pd.DataFrame) -> None:
    result = analysed(PORTFOLIO, as_of=AS_OF)
    pilots = result.classified  # P007 (no start date) is not in times: members are matched by id
    labels = cohort_labels(times["start_date"])
    # 2024 Q1: P001 (2024-01-01), P002 (2024-03-31), P006 (2024-01-01); 2025 Q2: P005 (2025-06-15)
    assert cohort_pilots(pilots, times, labels, "2024 Q1")["pilot_id"].tolist() == ["P001", "P002", "P006"]
    assert cohort_pilots(pilots, times, labels, "2025 Q2")["pilot_id"].tolist() == ["P005"]
    assert cohort_pilots(pilots, times, labels, "2019 Q1").empty
    assert cohort_index(pilots, times, labels, "2025 Q1").tolist() == [2, 3]  # P003, P004's rows
    # Nobody left out: times shares the pilots' id array and the rows are taken as they are.
    dated = pilots[pilots["start_date"].notna()]
    shared = event_times(dated, result.derived.stages, result.as_of)
    assert shared["pilot_id"].array is dated["pilot_id"].array
    labels = cohort_labels(shared["start_date"], "year")
    assert cohort_pilots(dated, shared, labels, "2025")["pilot_id"].tolist() == ["P003", "P004", "P005"]
    assert cohort_index(dated, shared, labels, "2024").tolist() == [0, 1, 5]
    # The same number of pilots in another order (another id array): matched by id, not taken by row.
    reordered = dated.iloc[::-1]
    assert cohort_pilots(reordered, shared, labels, "2025")["pilot_id"].tolist() == ["P005", "P004", "P003"]


# ------------------------------------------------ the sample portfolio, against live code
# (the counted curves against stats.cumulative_incidence, the sentence with and without the triangle, cohort
# labels against cohort_periods)


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


@pytest.fixture(scope="module")
def sample_times(sample) -> pd.DataFrame:
    return event_times(*sample)






def test_start_year_labels_are_the_years_as_text(sample, sample_times) -> None:
    labels = segment_labels(sample[0], sample_times, START_YEAR)
    assert labels.astype(str).tolist() == sample_times["start_date"].dt.year.astype(str).tolist()
    assert segment_order(labels, START_YEAR) == ["2023", "2024", "2025", "2026"]


def test_overall_curves_equal_cumulative_incidence(sample_times) -> None:
    curves = incidence_curves(sample_times)
    for kind in KINDS:
        reference = cumulative_incidence(sample_times["months"], sample_times["event"], EVENT_CODES[kind])
        pd.testing.assert_frame_equal(curves[kind], reference, check_exact=True)




@pytest.mark.parametrize("step", [1, 3, 5, 12])
def test_the_sentence_from_the_triangles_cells_is_the_same(sample_times, step) -> None:
    # A step that does not divide 12 months has no 12-month column: the sentence counts its own.
    assert comparison_sentence(sample_times, matrix=cohort_matrix(sample_times, "quarter", step)) == \
        comparison_sentence(sample_times)


def test_cohort_labels_and_pilots(sample, sample_times) -> None:
    pilots = sample[0]
    for period in ("quarter", "year"):
        labels = cohort_labels(sample_times["start_date"], period)
        expected = cohort_periods(sample_times["start_date"], period).map(cohort_label)
        assert labels.astype(str).tolist() == expected.tolist()
        for chosen in sorted(expected.unique(), reverse=True)[:2]:
            members = pilots[pilots["pilot_id"].isin(sample_times.loc[expected == chosen, "pilot_id"])]
            pd.testing.assert_frame_equal(cohort_pilots(pilots, sample_times, labels, chosen), members)
    # The newest quarter of the sample: 2026 Q3, 38 pilots (the triangle's bottom row).
    labels = cohort_labels(sample_times["start_date"])
    assert len(cohort_pilots(pilots, sample_times, labels, "2026 Q3")) == 38


# ------------------------------------------------------------------ a hand-checked curve


def test_fast_curve_equals_aalen_johansen_by_hand() -> None:
    # Six pilots, (months, outcome): 1 production, 2 cancelled, 2 censored, 3 production, 4 cancelled,
    # 5 censored (tests/test_stats.py works these out by hand): F_production = 1/6 at 1, 7/18 from 3 on;
    # F_cancelled = 1/6 from 2, 7/18 from 4 on.
    times = pd.DataFrame({"months": [1.0, 2, 2, 3, 4, 5], "event": [1, 2, 0, 1, 2, 0]})
    curves = segment_curves(times, pd.Series(["all"] * 6), ["all"], min_at_risk=1)
    production = curves[curves["kind"] == "production"]
    np.testing.assert_allclose(production["cif"], [0, 1 / 6, 1 / 6, 7 / 18, 7 / 18, 7 / 18], atol=1e-15)
    assert production["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert production["censored"].tolist() == [0, 0, 1, 0, 0, 1]
    np.testing.assert_allclose(curves[curves["kind"] == "cancelled"]["cif"],
                               [0, 0, 1 / 6, 1 / 6, 7 / 18, 7 / 18], atol=1e-15)




def test_grid_rank_is_searchsorted_on_the_boundaries() -> None:
    # Values on, and one floating-point step either side of, every grid month, as month counts computed
    # from days come out: division must not put any on the wrong side.
    for step in (1, 3, 7, 12):
        months = np.arange(step, 40 * step + 1, step)
        base = np.concatenate([months, np.arange(0, 3000) / DAYS_PER_MONTH, [0.0, -1.0, 1e9]]).astype(float)
        values = np.concatenate([base, np.nextafter(base, np.inf), np.nextafter(base, -np.inf)])
        for side in ("left", "right"):
            np.testing.assert_array_equal(_grid_rank(values, months, step, side),
                                          np.searchsorted(months, values, side=side))
    # NaN compares false with every month: followed for none, within none.
    assert _grid_rank(np.array([np.nan]), np.arange(3, 13, 3), 3, "right").tolist() == [0]
    assert _grid_rank(np.array([np.nan]), np.arange(3, 13, 3), 3, "left").tolist() == [4]


# ------------------------------------------------ the fast paths on larger portfolios
# (issue 7, round 3: event_times on int64 stamps, the medians from one count of the distinct months, the
# triangle's ranks looked up per whole day, the sentence from the 12-month column alone, one count for the
# curves and the numbers at risk): each fast path against the other live path it takes, on the sample, the
# federal inventory and generated portfolios with missing values, late events and pilots left out.


def generated(n: int = 3000, seed: int = 7, holes: float = 0.15) -> bytes:
    """bench/portfolios' generator, with `holes` of the start, end, production, last-update and spend cells
    emptied: pilots without a start or an event date (left out of the times), production without a date."""
    frame = portfolio_frame(n, seed)
    rng = np.random.default_rng(seed)
    for column in ["Start Date", "End Date", "Production Date", "Last Update", "Spend"]:
        frame.loc[rng.random(n) < holes, column] = ""
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue().encode()


DATED = ["sample", "generated", "generated, early as-of"]  # the federal inventory has no start dates


def portfolio_of(name: str) -> tuple[pd.DataFrame, list[str], dt.date]:
    """(classified pilots, stages, as-of) of a portfolio. The early as-of leaves out every pilot started
    after it and censors events dated after it."""
    if name == "sample":
        result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    elif name == "federal":
        result = analyse_file(FEDERAL.read_bytes(), FEDERAL.name)
    else:
        early = dt.date(2024, 6, 30) if "early" in name else None
        result = analyse_file(generated(), "generated.csv", as_of=early)
    return result.classified, result.derived.stages, result.as_of


@pytest.fixture(scope="module", params=[*DATED, "federal"])
def portfolio(request) -> tuple[pd.DataFrame, list[str], dt.date]:
    return portfolio_of(request.param)


@pytest.fixture(scope="module")
def portfolio_times(portfolio) -> pd.DataFrame:
    return event_times(*portfolio)


@pytest.fixture(scope="module", params=DATED)
def dated_portfolio(request) -> tuple[pd.DataFrame, list[str], dt.date]:
    """The portfolios with start dates, for what the Cohorts page computes only when some pilot has one (the
    federal inventory has none: its times are empty, and the page says so instead)."""
    return portfolio_of(request.param)


@pytest.fixture(scope="module")
def dated(dated_portfolio) -> pd.DataFrame:
    times = event_times(*dated_portfolio)
    assert len(times)
    return times


# ------------------------------------------------------------------ the same answers






def test_event_times_share_the_id_array_only_when_nobody_is_left_out(dated_portfolio, dated) -> None:
    classified, times = dated_portfolio[0], dated
    assert (times["pilot_id"].array is classified["pilot_id"].array) == (len(times) == len(classified))
    started = classified[classified["start_date"].notna()].reset_index(drop=True)
    kept = event_times(started, *dated_portfolio[1:])
    assert (len(kept) == len(started)) == (kept["pilot_id"].array is started["pilot_id"].array)


def test_some_portfolios_leave_pilots_out_and_censor_late_events(portfolio, portfolio_times) -> None:
    # the cases the fast paths branch on are met: the generated ones leave pilots out
    classified, stages, as_of = portfolio
    if as_of == dt.date(2024, 6, 30):
        assert len(portfolio_times) < classified["start_date"].notna().sum()
        assert (classified["reached_production"] & (classified["start_date"] <= pd.Timestamp(as_of))).sum() > \
            (portfolio_times["event"] == 1).sum()




def test_the_medians_equal_the_curve_and_numpy(dated) -> None:
    times = dated
    to_production, when_reached = cohorts.production_medians(times)
    assert to_production == median_time(incidence_curves(times)["production"], "cif")
    reached = times.loc[times["event"] == 1, "months"]
    assert when_reached == float(np.median(reached)) == float(reached.median())
    assert cohorts.production_medians(times.iloc[:0]) == (None, None)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=12))
def test_counted_median_is_numpys_median(counts) -> None:
    values = np.arange(len(counts)) / DAYS_PER_MONTH * 7.0
    sample = np.repeat(values, counts)
    got = cohorts._counted_median(values, np.array(counts))
    assert got == (float(np.median(sample)) if sample.size else None)






@pytest.mark.parametrize("block", [7, 1 << 16])
def test_cell_keys_by_day_equal_the_divided_ranks(dated, monkeypatch, block) -> None:
    # the triangle's keys from ranks looked up per whole day (in blocks) against _grid_rank's division
    monkeypatch.setattr(cohorts, "EVENT_BLOCK", block)
    codes, _ = cohorts._cohort_codes(dated["start_date"], "quarter")
    follow_up, months, event = (dated[c].to_numpy() for c in ("follow_up", "months", "event"))
    outcomes = cohorts._outcomes(event)

    def divided(values: np.ndarray, grid: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        width = grid.size + 1
        return (codes * width + cohorts._grid_rank(follow_up, grid, step, "right"),
                (codes * width + cohorts._grid_rank(values, grid, step, "left")) * (len(COUNTED) + 1) + outcomes)

    for step in (1, 3, 12):
        grid = np.arange(step, int(follow_up.max() // step) * step + 1, step)
        fast = cohorts._day_cell_keys(codes, follow_up, months, event, grid)
        assert fast is not None  # the table is what is tested
        for got, want in zip(fast, divided(months, grid, step)):
            np.testing.assert_array_equal(got, want)
        # months that are not whole days: ranked by division, as before
        odd = months + 0.001
        assert cohorts._day_cell_keys(codes, follow_up, odd, event, grid) is None
        for got, want in zip(cohorts._cell_keys(codes, follow_up, odd, event, grid, step), divided(odd, grid, step)):
            np.testing.assert_array_equal(got, want)
    assert cohorts._block_days(np.array([0.5, 1.0, 2.999, 3.0, 3.2])) is None


@pytest.mark.parametrize("month", [6, 12, 24])
def test_the_sentence_counted_on_its_column_equals_the_triangles(dated, month) -> None:
    times = dated
    for period in ("quarter", "year"):
        matrix = cohort_matrix(times, period, month)
        cells = matrix[(matrix["month"] == month) & (matrix["observed"] == "full")]
        direct = cohorts._full_cells(times, period, month)
        pd.testing.assert_frame_equal(direct.reset_index(drop=True),
                                      cells[direct.columns].reset_index(drop=True), check_dtype=False)
        assert cohorts.cohort_comparison(times, month, period) == \
            cohorts.cohort_comparison(times, month, period, matrix=matrix)
    assert comparison_sentence(times, month) == comparison_sentence(times, month, cohort_matrix(times, "quarter", 1))


@pytest.mark.parametrize("by", [None, START_YEAR, "business_unit", "sourcing"])
def test_counts_passed_once_give_the_same_curves_and_numbers_at_risk(dated_portfolio, dated, by) -> None:
    times = dated
    labels = segment_labels(dated_portfolio[0], times, by)
    order = segment_order(labels, by)
    counts = segment_counts(times, labels, order)
    pd.testing.assert_frame_equal(segment_curves(times, labels, order, counts=counts),
                                  segment_curves(times, labels, order), check_exact=True)
    pd.testing.assert_frame_equal(at_risk_table(times, labels, order, counts=counts),
                                  at_risk_table(times, labels, order), check_exact=True)
    assert counts.counts.shape == (len(order), len(COUNTED) + 1, counts.months.size)




@pytest.mark.parametrize("by", [None, START_YEAR, "business_unit"])
def test_segment_codes_from_categories_equal_the_hashed_ones(dated_portfolio, dated, by) -> None:
    labels = segment_labels(dated_portfolio[0], dated, by)
    order = segment_order(labels, by)
    for wanted in (order, order[1:], order[::-1]):  # a segment left out counts nowhere
        codes, uniques = pd.factorize(labels)
        position = {s: i for i, s in enumerate(wanted)}
        slow = np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.intp)[codes]
        np.testing.assert_array_equal(cohorts._segment_codes(labels, wanted), slow)


@pytest.mark.parametrize("by", [None, START_YEAR, "business_unit"])
def test_counts_by_day_equal_the_ranked_months(portfolio, dated, monkeypatch, by) -> None:
    # _day_counts (whole days, keys in blocks, the rows of no segment counted for the months only) against
    # the months ranked first (the way any months are counted, forced here by allowing no counters)
    labels = segment_labels(portfolio[0], dated, by)
    order = segment_order(labels, by)
    monkeypatch.setattr(cohorts, "EVENT_BLOCK", 7)
    cases = [(None, 1)] + [(cohorts._segment_codes(labels, wanted), len(wanted)) for wanted in (order, order[1:])]
    for codes, segments in cases:  # one segment of every row; the segments; all but the first (-1 codes)
        fast = cohorts._time_counts(dated, codes, segments)
        with monkeypatch.context() as ranked:
            ranked.setattr(cohorts, "COUNTED_CELLS_MAX", 0)
            slow = cohorts._time_counts(dated, codes, segments)
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
        assert fast[1].dtype == slow[1].dtype
    # months that are not whole days are ranked, as before
    odd = dated.assign(months=dated["months"] + 0.001)
    assert cohorts._day_counts(odd["months"].to_numpy(), odd["event"].to_numpy(), None, 1) is None
