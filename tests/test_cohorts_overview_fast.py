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
import pyarrow as pa
import pyarrow.compute as pc
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
    cohort_labels,
    cohort_matrix,
    cohort_pilots,
    comparison_sentence,
    event_times,
    incidence_curves,
    segment_counts,
    segment_curves,
    segment_labels,
    segment_order,
)
from analysis.metrics.overview import Kpis, kpis
from analysis.metrics.stats import cumulative_incidence, median_time
from bench.portfolios import portfolio_frame

# ------------------------------------------------------------------ the code replaced


def slow_event_times(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """analysis/metrics/cohorts.py's event_times before round 3, verbatim (datetime64 arrays and np.where)."""
    def dates(column: str) -> np.ndarray:
        if column not in classified:
            return np.full(len(classified), np.datetime64("NaT"), dtype="datetime64[us]")
        return classified[column].to_numpy(dtype="datetime64[us]")

    def days(later, earlier) -> np.ndarray:
        span = later - earlier
        return np.where(np.isnat(span), np.nan, span.astype(np.int64) // cohorts.DAY_US)

    if as_of is None or "start_date" not in classified:
        return pd.DataFrame({"pilot_id": pd.Series(dtype=str), "start_date": pd.Series(dtype="datetime64[us]"),
                             **{c: pd.Series(dtype=float) for c in cohorts.TIMES_COLUMNS[2:]}})
    day = np.datetime64(pd.Timestamp(as_of).as_unit("us"))
    production, end_date = dates(f"{stages[-1]}_date"), dates("end_date")
    production = np.where(np.isnat(production), end_date, production)
    cancelled = np.where(np.isnat(end_date), dates("last_progress"), end_date)
    end = np.where(classified["reached_production"].to_numpy(dtype=bool), production, day)
    end = np.where(classified["cancelled"].to_numpy(dtype=bool), cancelled, end)
    late = end > day
    start = dates("start_date")
    months = days(np.where(late, day, end), start) / DAYS_PER_MONTH
    kept = ~np.isnan(months) & (months >= 0)
    event = np.select([classified["reached_production"], classified["cancelled"]], [1, 2], 0)
    return pd.DataFrame({"pilot_id": classified["pilot_id"].array[kept],
                         "start_date": classified["start_date"].array[kept], "months": months[kept],
                         "event": np.where(late, 0, event)[kept],
                         "follow_up": (days(day, start) / DAYS_PER_MONTH)[kept]})


def slow_kpis(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> Kpis:
    """analysis/metrics/overview.py's kpis before round 3, verbatim (stats.cumulative_incidence, pandas sums)."""
    times = slow_event_times(classified, stages, as_of)
    median = median_time(cumulative_incidence(times["months"], times["event"], 1), "cif") if len(times) \
        else None
    reached = times.loc[times["event"] == 1, "months"]
    cancelled = classified.loc[classified["cancelled"], "spend"] if "spend" in classified else None
    spend = cancelled.sum(min_count=1) if cancelled is not None and cancelled.notna().any() else None
    return Kpis(pilots=len(classified), reached_production=int(classified["reached_production"].sum()),
                cancelled=int(classified["cancelled"].sum()), in_flight=int(classified["in_flight"].sum()),
                stalled=int(classified["stalled"].sum()), decided=int(classified["decided"].sum()),
                in_flight_dated=int((classified["in_flight"] & classified["last_progress"].notna()).sum()),
                unknown_stage=int((classified["stage_index"] < 0).sum()),
                median_months_to_production=median,
                median_months_when_reached=float(reached.median()) if len(reached) else None,
                spend_on_cancelled=None if spend is None else float(spend))


def slow_cohort_codes(start_dates: pd.Series, period: str) -> tuple[np.ndarray, pd.PeriodIndex]:
    """_cohort_codes before round 3: every date hashed (pd.factorize), then its period."""
    date_codes, dates = pd.factorize(start_dates)
    cohort_of_date, found = pd.factorize(pd.DatetimeIndex(dates).to_period(cohorts.PERIODS[period][0]), sort=True)
    return np.append(cohort_of_date, -1)[date_codes], found


def slow_cohort_pilots(pilots: pd.DataFrame, times: pd.DataFrame, labels: pd.Series, cohort: str) -> pd.DataFrame:
    """cohort_pilots before round 3, verbatim: every id matched with pyarrow's hash lookup."""
    ids = times.loc[(labels == cohort).to_numpy(), "pilot_id"]
    member = pc.is_in(pa.array(pilots["pilot_id"], type=pa.large_string()),
                      value_set=pa.array(ids, type=pa.large_string()))
    return pilots[member.to_numpy(zero_copy_only=False)]


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


def test_event_times_equal_the_datetime_code(portfolio, times) -> None:
    classified, stages, as_of = portfolio
    pd.testing.assert_frame_equal(times, slow_event_times(classified, stages, as_of), check_exact=True)
    bare = classified.drop(columns=[f"{stages[-1]}_date"]).assign(end_date=pd.NaT)
    pd.testing.assert_frame_equal(event_times(bare, stages, as_of), slow_event_times(bare, stages, as_of),
                                  check_exact=True)
    assert event_times(classified, stages, None).empty


@pytest.mark.parametrize("block", [1, 7, 256])
def test_event_times_in_blocks_equal_the_datetime_code(portfolio, monkeypatch, block) -> None:
    # blocks of a few pilots, the last one short: every block boundary falls somewhere in the frame
    monkeypatch.setattr(cohorts, "EVENT_BLOCK", block)
    classified, stages, as_of = portfolio
    pd.testing.assert_frame_equal(event_times(classified, stages, as_of), slow_event_times(classified, stages, as_of),
                                  check_exact=True)


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


def test_kpis_equal_the_old_tiles(portfolio, times) -> None:
    classified, stages, as_of = portfolio
    slow = slow_kpis(classified, stages, as_of)
    assert kpis(classified, stages, as_of) == slow
    assert kpis(classified, stages, as_of, times) == slow
    assert (slow.median_months_when_reached is None) == times.empty


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


@pytest.mark.parametrize("period", ["quarter", "year"])
def test_cohort_codes_labels_and_years_equal_the_hashed_ones(dated, period) -> None:
    times = dated
    codes, found = cohorts._cohort_codes(times["start_date"], period)
    slow_codes, slow_found = slow_cohort_codes(times["start_date"], period)
    np.testing.assert_array_equal(codes, slow_codes)
    pd.testing.assert_index_equal(found, slow_found)
    labels = segment_labels(pd.DataFrame(), times, START_YEAR)
    years, names = pd.factorize(times["start_date"].dt.year, sort=True)
    expected = pd.Series(pd.Categorical.from_codes(years, [str(y) for y in names]), index=times.index,
                         name="start_date")
    pd.testing.assert_series_equal(labels, expected)


def test_day_codes_with_missing_far_apart_and_early_dates() -> None:
    cases = [["2024-03-01 10:00", None, "2024-03-01", "1969-12-31 23:59", "2023-01-01", None],
             ["1700-01-01", "2024-06-30", None, "2300-12-31 12:00"],  # centuries apart: sorted, not counted
             [None, None], []]
    for dates in cases:
        series = pd.Series([None if d is None else pd.Timestamp(d) for d in dates], dtype="datetime64[us]")
        for period in ("quarter", "year"):
            codes, found = cohorts._cohort_codes(series, period)
            slow_codes, slow_found = slow_cohort_codes(series, period)
            np.testing.assert_array_equal(codes, slow_codes)
            pd.testing.assert_index_equal(found, slow_found)
        labels = segment_labels(pd.DataFrame(), pd.DataFrame({"start_date": series}), START_YEAR)
        years, names = pd.factorize(series.dt.year, sort=True)
        assert labels.astype(str).tolist() == pd.Series(pd.Categorical.from_codes(years, [str(y) for y in names]))\
            .astype(str).tolist()


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


def test_cohort_pilots_by_row_equal_the_id_lookup(dated_portfolio, dated) -> None:
    times = dated
    classified = dated_portfolio[0]
    for period in ("quarter", "year"):
        labels = cohort_labels(times["start_date"], period)
        for chosen in sorted(labels.unique(), reverse=True)[:3]:
            slow = slow_cohort_pilots(classified, times, labels, chosen)
            pd.testing.assert_frame_equal(cohort_pilots(classified, times, labels, chosen), slow)
            np.testing.assert_array_equal(cohorts.cohort_index(classified, times, labels, chosen),
                                          slow.index.to_numpy())
    # a frame with other ids (a copy of them): matched by id, as before
    copied = classified.assign(pilot_id=classified["pilot_id"].copy())
    labels = cohort_labels(times["start_date"])
    newest = sorted(labels.unique())[-1]
    pd.testing.assert_frame_equal(cohort_pilots(copied, times, labels, newest),
                                  slow_cohort_pilots(copied, times, labels, newest))
    np.testing.assert_array_equal(cohorts.cohort_index(copied, times, labels, newest),
                                  slow_cohort_pilots(copied, times, labels, newest).index.to_numpy())


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
