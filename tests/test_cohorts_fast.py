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
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli.summary import analyse_file
from analysis.metrics.cohorts import (
    DAYS_PER_MONTH,
    EVENT_CODES,
    KINDS,
    MATRIX_COLUMNS,
    START_YEAR,
    _grid_rank,
    at_risk_table,
    cohort_label,
    cohort_labels,
    cohort_matrix,
    cohort_periods,
    cohort_pilots,
    cohort_trend,
    comparison_sentence,
    event_times,
    incidence_curves,
    segment_curves,
    segment_labels,
    segment_order,
    segment_summary,
)
from analysis.metrics.stats import (
    cumulative_incidence,
    curve_value_at,
    median_time,
    numbers_at_risk,
    wilson_interval,
)

# ------------------------------------------------------------------ references


def reference_event_times(classified: pd.DataFrame, stages: list[str], as_of) -> pd.DataFrame:
    """Event times with pandas date arithmetic."""
    prod_col = f"{stages[-1]}_date"
    production = classified[prod_col] if prod_col in classified else pd.Series(pd.NaT, index=classified.index)
    production = production.fillna(classified["end_date"].where(classified["reached_production"]))
    cancelled = classified["end_date"].fillna(classified["last_progress"])
    end = pd.Series(pd.Timestamp(as_of), index=classified.index, dtype="datetime64[us]")
    end = end.mask(classified["reached_production"], production).mask(classified["cancelled"], cancelled)
    event = np.select([classified["reached_production"], classified["cancelled"]], [1, 2], 0)
    late = (end > pd.Timestamp(as_of)).to_numpy()
    end = end.mask(late, pd.Timestamp(as_of))
    start = classified["start_date"]
    frame = pd.DataFrame({"pilot_id": classified["pilot_id"], "start_date": start,
                          "months": (end - start).dt.days / DAYS_PER_MONTH, "event": np.where(late, 0, event),
                          "follow_up": (pd.Timestamp(as_of) - start).dt.days / DAYS_PER_MONTH})
    return frame[frame["months"].notna() & (frame["months"] >= 0)].reset_index(drop=True)


def reference_curves(times: pd.DataFrame, labels: pd.Series, order: list, min_at_risk: int = 10) -> pd.DataFrame:
    """One stats.cumulative_incidence per segment and kind, cut where few remain at risk."""
    parts = []
    for segment in order:
        part = times[labels == segment]
        for kind in KINDS:
            curve = cumulative_incidence(part["months"], part["event"], EVENT_CODES[kind])
            kept = (curve["at_risk"] >= min_at_risk) | (curve.index == 0)
            parts.append(curve[kept].assign(segment=segment, n=len(part), kind=kind))
    curves = pd.concat(parts, ignore_index=True)
    return curves[["segment", "n", "kind"] + [c for c in curves.columns if c not in ("segment", "n", "kind")]]


def reference_summary(curves: pd.DataFrame, month: int = 12) -> pd.DataFrame:
    rows = []
    for segment, part in curves.groupby("segment", sort=False):
        row = {"segment": segment, "n": int(part["n"].iloc[0])}
        for kind in KINDS:
            curve = part[part["kind"] == kind]
            for suffix, col in (("", "cif"), ("_low", "ci_low"), ("_high", "ci_high")):
                row[kind + suffix] = float(curve_value_at(curve, month, col))
        median = median_time(part[part["kind"] == "production"], "cif")
        rows.append({**row, "median_months": np.nan if median is None else median})
    return pd.DataFrame(rows)


def reference_matrix(times: pd.DataFrame, period: str = "quarter", step: int = 1) -> pd.DataFrame:
    """Every pilot compared with every month of its cohort."""
    months = np.arange(step, int(times["follow_up"].max() // step) * step + 1, step)
    rows = []
    for cohort, group in times.groupby(cohort_periods(times["start_date"], period), sort=True):
        follow = group["follow_up"].to_numpy()[:, None] >= months
        within = group["months"].to_numpy()[:, None] <= months
        event = group["event"].to_numpy()[:, None]
        rows.append(pd.DataFrame({"cohort": cohort_label(cohort), "cohort_start": cohort.start_time, "month": months,
                                  "n": len(group), "followed": follow.sum(axis=0),
                                  "production": (within & (event == 1)).sum(axis=0),
                                  "cancelled": (within & (event == 2)).sum(axis=0)}))
    matrix = pd.concat(rows, ignore_index=True)
    seen, full = matrix["followed"] > 0, matrix["followed"] == matrix["n"]
    for kind in KINDS:
        matrix[f"{kind}_share"] = (matrix[kind] / matrix["n"]).where(seen)
        low, high = wilson_interval(matrix[kind], matrix["n"])
        matrix[f"{kind}_low"], matrix[f"{kind}_high"] = np.where(full, low, np.nan), np.where(full, high, np.nan)
    matrix["observed"] = np.select([full, seen], ["full", "partial"], "none")
    return matrix[MATRIX_COLUMNS]


def reference_trend(matrix: pd.DataFrame, kind: str, month: int) -> pd.DataFrame:
    cells = matrix[(matrix["month"] == month) & (matrix["observed"] == "full")]
    per_year = matrix.drop_duplicates("cohort_start").groupby(matrix["cohort_start"].dt.year).size()
    full = cells.groupby(cells["cohort_start"].dt.year).size()
    whole = [y for y, n in per_year.items() if full.get(y, 0) == n]  # years with every cohort followed in full
    cells = cells[cells["cohort_start"].dt.year.isin(whole)]
    pooled = cells.groupby(cells["cohort_start"].dt.year).agg(cohorts=("cohort", "size"), n=("n", "sum"),
                                                               count=(kind, "sum"))
    return pooled.assign(share=pooled["count"] / pooled["n"]).rename_axis("year").reset_index()


def reference_at_risk(times: pd.DataFrame, labels: pd.Series, order: list, every: int = 6) -> pd.DataFrame:
    grid = np.arange(0, float(times["months"].max()) + 1e-9, every)
    rows = {s: numbers_at_risk(times.loc[labels == s, "months"], grid) for s in order}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[int(m) for m in grid])


# ------------------------------------------------------------------ the sample portfolio


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


@pytest.fixture(scope="module")
def sample_times(sample) -> pd.DataFrame:
    return event_times(*sample)


def test_event_times_equal_pandas_date_arithmetic(sample) -> None:
    classified, stages, as_of = sample
    pd.testing.assert_frame_equal(event_times(classified, stages, as_of),
                                  reference_event_times(classified, stages, as_of), check_exact=True)
    # Without a production date column, and with every end date missing: production falls back to nothing,
    # cancellation to the last progress.
    bare = classified.drop(columns=[f"{stages[-1]}_date"]).assign(end_date=pd.NaT)
    pd.testing.assert_frame_equal(event_times(bare, stages, as_of), reference_event_times(bare, stages, as_of),
                                  check_exact=True)


@pytest.mark.parametrize("by", [None, START_YEAR, "business_unit", "sourcing"])
@pytest.mark.parametrize("min_at_risk", [1, 10])
def test_curves_summary_and_numbers_at_risk_equal_the_references(sample, sample_times, by, min_at_risk) -> None:
    labels = segment_labels(sample[0], sample_times, by)
    order = segment_order(labels, by)
    curves = segment_curves(sample_times, labels, order, min_at_risk)
    pd.testing.assert_frame_equal(curves, reference_curves(sample_times, labels, order, min_at_risk), check_exact=True)
    pd.testing.assert_frame_equal(segment_summary(curves), reference_summary(curves), check_exact=True)
    pd.testing.assert_frame_equal(at_risk_table(sample_times, labels, order),
                                  reference_at_risk(sample_times, labels, order), check_exact=True)


def test_start_year_labels_are_the_years_as_text(sample, sample_times) -> None:
    labels = segment_labels(sample[0], sample_times, START_YEAR)
    assert labels.astype(str).tolist() == sample_times["start_date"].dt.year.astype(str).tolist()
    assert segment_order(labels, START_YEAR) == ["2023", "2024", "2025", "2026"]


def test_overall_curves_equal_cumulative_incidence(sample_times) -> None:
    curves = incidence_curves(sample_times)
    for kind in KINDS:
        reference = cumulative_incidence(sample_times["months"], sample_times["event"], EVENT_CODES[kind])
        pd.testing.assert_frame_equal(curves[kind], reference, check_exact=True)


@pytest.mark.parametrize("period", ["quarter", "year"])
@pytest.mark.parametrize("step", [1, 3, 12])
def test_triangle_and_trend_equal_the_comparison_matrix(sample_times, period, step) -> None:
    matrix = cohort_matrix(sample_times, period, step)
    pd.testing.assert_frame_equal(matrix, reference_matrix(sample_times, period, step), check_exact=True)
    for kind in KINDS:
        pd.testing.assert_frame_equal(cohort_trend(matrix, kind, 12), reference_trend(matrix, kind, 12),
                                      check_exact=True)


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
    pd.testing.assert_frame_equal(curves, reference_curves(times, pd.Series(["all"] * 6), ["all"], 1),
                                  check_exact=True)


# ------------------------------------------------------------------ random portfolios

# Whole days (as event_times makes them) on a short range force ties; zero durations give two rows at 0.
pilot = st.tuples(st.integers(0, 400), st.integers(0, 400), st.sampled_from([0, 1, 2]), st.sampled_from("ABCDE"))


@settings(max_examples=60, deadline=None)
@given(st.lists(pilot, min_size=1, max_size=80), st.integers(1, 12))
def test_random_portfolios_equal_the_references(rows, min_at_risk) -> None:
    days = np.array([r[0] for r in rows], dtype=float)
    follow = days + np.array([r[1] for r in rows])
    times = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(len(rows))],
                          "start_date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] * 3 for r in rows], "D"),
                          "months": days / DAYS_PER_MONTH, "event": np.array([r[2] for r in rows]),
                          "follow_up": follow / DAYS_PER_MONTH})
    times["start_date"] = times["start_date"].astype("datetime64[us]")
    labels = pd.Series([r[3] for r in rows])
    order = segment_order(labels, "team")
    curves = segment_curves(times, labels, order, min_at_risk)
    pd.testing.assert_frame_equal(curves, reference_curves(times, labels, order, min_at_risk), check_exact=True)
    pd.testing.assert_frame_equal(segment_summary(curves, 6), reference_summary(curves, 6), check_exact=True)
    pd.testing.assert_frame_equal(at_risk_table(times, labels, order), reference_at_risk(times, labels, order),
                                  check_exact=True)
    for step in (1, 3):
        pd.testing.assert_frame_equal(cohort_matrix(times, "quarter", step), reference_matrix(times, "quarter", step),
                                      check_exact=True)


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
