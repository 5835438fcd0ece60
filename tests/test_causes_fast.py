"""The failure-cause analyses code the cancelled pilots once per page run (analysis.causes.Cancelled) and
count with integer codes; tests/reference_causes.py keeps the pandas-groupby code they replaced. Every
analysis must give the same frame, ids and dtypes included, on the bundled sample and on random frames
with blanks, unmapped causes, unknown stages, undated and spendless pilots, and with or without the
shared coding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tests.reference_causes as slow
from analysis.cli.summary import analyse_file
from analysis.metrics import causes as fast

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
STAGES = ["intake", "scoping", "poc", "pilot", "production"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return analyse_file(SAMPLE.read_bytes(), SAMPLE.name).classified


def random_classified(seed: int, n: int) -> pd.DataFrame:
    """A classified-like frame with every awkward value the analyses meet."""
    rng = np.random.default_rng(seed)
    causes = np.array(["data_quality", "unclear_value", "cost", "other (Steerco said no)", "not recorded",
                       "skills", "security", "vendor", None], dtype=object)
    stages = np.array([*STAGES, "unknown", None], dtype=object)
    units = np.array(["Finance", "HR", "IT", "Ops", "(blank)", None], dtype=object)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    cancelled = rng.random(n) < 0.5
    frame = pd.DataFrame({
        "pilot_id": [f"P{i:05d}" for i in range(n)],
        "failure_cause": pd.array(causes[rng.integers(0, len(causes), n)], dtype="str"),
        "stage": pd.array(stages[rng.integers(0, len(stages), n)], dtype="str"),
        "start_date": pd.Series(start).where(rng.random(n) > 0.1),
        "spend": pd.Series(rng.integers(0, 10**6, n).astype("float64")).where(rng.random(n) > 0.3),
        "business_unit": pd.array(units[rng.integers(0, len(units), n)], dtype="str"),
        "cancelled": cancelled,
        "decided": cancelled | (rng.random(n) < 0.3),
    })
    return frame


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want)
    if "pilot_ids" in want:
        assert got["pilot_ids"].tolist() == want["pilot_ids"].tolist()


def check_all(classified: pd.DataFrame, dimension: str = "business_unit") -> None:
    shared = fast.cancellations(classified)
    for cancelled in (None, shared):
        same(fast.cause_counts(classified, cancelled), slow.cause_counts(classified))
        same(fast.cause_stage_counts(classified, STAGES, cancelled), slow.cause_stage_counts(classified, STAGES))
        same(fast.cause_mix_by_cohort(classified, cancelled=cancelled), slow.cause_mix_by_cohort(classified))
        same(fast.cause_mix_by_cohort(classified, 2, cancelled), slow.cause_mix_by_cohort(classified, 2))
        same(fast.spend_by_cause(classified, cancelled), slow.spend_by_cause(classified))
        for cause in [None, *slow.cause_counts(classified)["cause"].head(3), "no such cause"]:
            same(fast.failure_rates(classified, dimension, cause, cancelled),
                 slow.failure_rates(classified, dimension, cause))
            for min_n in (1, 5, 40):
                same(fast.segment_rates(classified, dimension, min_n, cause, cancelled),
                     slow.segment_rates(classified, dimension, min_n, cause))
            assert fast.overall_rate(classified, cause, cancelled) == slow.overall_rate(classified, cause)
            pd.testing.assert_series_equal(fast.failed(classified, cause, cancelled),
                                           slow.failed(classified, cause), check_names=False)


def coded_view(classified: pd.DataFrame, keep: float = 0.8, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A filtered view as pages.common.pilots_for hands it to the Failure causes page (text columns
    dictionary-coded with every category of the whole frame, used or not), and the same rows as text."""
    rows = np.flatnonzero(np.random.default_rng(seed).random(len(classified)) < keep)
    text = classified.take(rows).reset_index(drop=True)
    coded = text.copy()
    for column in fast.grouped_columns(["business_unit"]):
        codes, names = pd.factorize(classified[column])
        coded[column] = pd.Categorical.from_codes(codes[rows], dtype=pd.CategoricalDtype(names))
    return coded, text


def check_coded(classified: pd.DataFrame, dimension: str = "business_unit") -> None:
    coded, text = coded_view(classified)
    shared = fast.cancellations(coded)
    same(fast.cause_counts(coded, shared), slow.cause_counts(text))
    same(fast.cause_stage_counts(coded, STAGES, shared), slow.cause_stage_counts(text, STAGES))
    same(fast.cause_mix_by_cohort(coded, cancelled=shared), slow.cause_mix_by_cohort(text))
    same(fast.spend_by_cause(coded, shared), slow.spend_by_cause(text))
    for cause in [None, *slow.cause_counts(text)["cause"].head(2)]:
        same(fast.segment_rates(coded, dimension, 5, cause, shared), slow.segment_rates(text, dimension, 5, cause))
        assert fast.overall_rate(coded, cause, shared) == slow.overall_rate(text, cause)


def test_the_sample_gives_the_same_frames(sample):
    for dimension in ["business_unit", "use_case", "sourcing", "sponsor"]:
        check_all(sample, dimension)
    assert fast.cause_counts(sample).set_index("cause").loc["data_quality", "count"] == 68  # COMMON.md


@pytest.mark.parametrize("seed", range(6))
def test_random_frames_give_the_same_frames(seed):
    check_all(random_classified(seed, [0, 1, 7, 60, 400, 3000][seed]))
    check_coded(random_classified(seed, [0, 1, 7, 60, 400, 3000][seed]))


def test_a_coded_view_of_the_sample_gives_the_same_frames(sample):
    check_coded(sample)
    hr_only = sample[sample["business_unit"].eq("HR") | sample.index.isin([0])]  # most categories unused
    check_coded(hr_only.reset_index(drop=True))


def test_a_selection_without_cancelled_or_dated_or_spent_pilots():
    frame = random_classified(11, 200)
    for variant in (frame.assign(cancelled=False), frame.assign(start_date=pd.NaT),
                    frame.assign(spend=np.nan), frame.drop(columns="spend"), frame.assign(failure_cause=np.nan)):
        check_all(variant)


def test_causes_that_name_alike_are_one_cause():
    # "not recorded" written out and a blank cause are one cause, as fillna then grouping made them
    frame = pd.DataFrame({"pilot_id": ["a", "b", "c"], "failure_cause": ["not recorded", None, "cost"],
                          "stage": "poc", "start_date": pd.Timestamp("2024-02-01"), "spend": 1.0,
                          "business_unit": "IT", "cancelled": True, "decided": True})
    counts = fast.cause_counts(frame)
    assert counts["cause"].tolist() == ["not recorded", "cost"] and counts["count"].tolist() == [2, 1]
    assert counts["pilot_ids"].tolist() == [["a", "b"], ["c"]]
    check_all(frame)


def test_quarter_codes_name_quarters_as_periods_do():
    start = pd.Series(pd.to_datetime(["1969-12-31", "1970-01-01", "2024-03-31T23:59", "2024-04-01", "1900-07-15",
                                      "2099-11-30"], format="ISO8601"))
    codes, names = fast.quarter_codes(start)
    assert names[codes].tolist() == [f"{p.year} Q{p.quarter}" for p in start.dt.to_period("Q")]
