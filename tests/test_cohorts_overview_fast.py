"""The Overview's tiles and the Cohorts page at 1M pilots (issue 7, round 3): event_times on int64 stamps, both
KPI medians from one count of the distinct months, start cohorts and years counted per distinct day, the
triangle's ranks looked up per whole day, the cohort sentence from the 12-month column alone, one count for the
curves and the numbers at risk, a cohort's pilots taken by row. The code each replaced is kept here as the
reference (verbatim, or the pandas way it stood for), and every answer must come out the same, dtypes included,
on the bundled sample, the federal inventory and generated portfolios with missing values, late events and
pilots left out.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from conftest import FEDERAL, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli.summary import analyse_file
from analysis.metrics import cohorts
from analysis.metrics.cohorts import (
    COUNTED,
    DAYS_PER_MONTH,
    START_YEAR,
    at_risk_table,
    cohort_matrix,
    comparison_sentence,
    event_times,
    incidence_curves,
    segment_counts,
    segment_curves,
    segment_labels,
    segment_order,
)
from analysis.metrics.stats import median_time
from bench.portfolios import portfolio_frame

# ------------------------------------------------------------------ the portfolios


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


def analysed(name: str) -> tuple[pd.DataFrame, list[str], dt.date]:
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
    return analysed(request.param)


@pytest.fixture(scope="module")
def times(portfolio) -> pd.DataFrame:
    return event_times(*portfolio)


@pytest.fixture(scope="module", params=DATED)
def dated_portfolio(request) -> tuple[pd.DataFrame, list[str], dt.date]:
    """The portfolios with start dates, for what the Cohorts page computes only when some pilot has one (the
    federal inventory has none: its times are empty, and the page says so instead)."""
    return analysed(request.param)


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


def test_some_portfolios_leave_pilots_out_and_censor_late_events(portfolio, times) -> None:
    # the cases the fast paths branch on are met: the generated ones leave pilots out
    classified, stages, as_of = portfolio
    if as_of == dt.date(2024, 6, 30):
        assert len(times) < classified["start_date"].notna().sum()
        assert (classified["reached_production"] & (classified["start_date"] <= pd.Timestamp(as_of))).sum() > \
            (times["event"] == 1).sum()




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
