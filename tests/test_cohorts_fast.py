"""The fast cohort analyses give exactly the numbers of the straightforward ones.

The references below are the implementations the page used before it was made fast (one
stats.cumulative_incidence per segment and kind, a pilots x months comparison matrix per cohort, pandas
date arithmetic, string comparisons per segment): slow, but written the way the definitions read. Every
frame is compared exactly (assert_frame_equal with check_exact), on the sample portfolio and on random
portfolios full of ties, zero durations, censoring and tiny segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

from analysis.cli.summary import analyse_file
from analysis.metrics.cohorts import (
    DAYS_PER_MONTH,
    EVENT_CODES,
    KINDS,
    START_YEAR,
    _grid_rank,
    cohort_label,
    cohort_labels,
    cohort_matrix,
    cohort_periods,
    cohort_pilots,
    comparison_sentence,
    event_times,
    incidence_curves,
    segment_curves,
    segment_labels,
    segment_order,
)
from analysis.metrics.stats import (
    cumulative_incidence,
)

# ------------------------------------------------------------------ the sample portfolio


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
