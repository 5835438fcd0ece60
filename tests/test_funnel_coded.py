"""The funnel by segment of a dictionary-coded dimension (pandas Categorical, as pilots_for(coded=...) gives it,
with unused categories as a filtered view keeps them) is the funnel by segment of the text column, and both
are what funnel_by gave before it worked on codes and made one frame for every segment: the
pd.factorize(sort=True) grouping of the text, one frame per segment (frozen below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from analysis.metrics.funnel import (
    _counts,
    _stage_counts,
    funnel_by,
    pilots_at_step,
    stage_funnel,
    step_positions,
)
from tests.test_funnel_counts import STAGES, frame, pilots


def group_frame(stages: list[str], reached: np.ndarray, dropped: np.ndarray, in_stage: np.ndarray) -> pd.DataFrame:
    """The FUNNEL_COLUMNS frame of one group's counts per stage, as funnel._funnel_frame made it."""
    reached = reached.astype("int64")
    frame = pd.DataFrame({"stage": stages, "reached": reached, "dropped": dropped.astype("int64"),
                          "in_stage": in_stage.astype("int64"),
                          "moved_on": np.append(reached[1:], 0) if len(stages) else reached})
    previous = np.concatenate([[np.nan], reached[:-1]]).astype("float64") if len(stages) else reached
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["step_conversion"] = np.where(previous > 0, reached / previous, np.nan)
        frame["overall_conversion"] = reached / reached[0] if len(stages) and reached[0] else np.nan
    return frame


def factorized_funnel_by(classified: pd.DataFrame, stages: list[str], dimension: str) -> pd.DataFrame:
    """funnel_by as it was: the text filled, factorized sorted, one funnel per segment."""
    segments = classified[dimension].fillna("(blank)").astype("str")
    codes, names = pd.factorize(segments, sort=True)
    counts = _stage_counts(_counts(classified, len(stages), codes, len(names)))
    parts = []
    for g, segment in enumerate(names):
        part = group_frame(stages, *(c[g] for c in counts))
        part.insert(0, "n", int(counts[0][g][0]) if len(stages) else 0)
        part.insert(0, "segment", segment)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["segment", "n", *part_columns()])


def part_columns() -> list[str]:
    return stage_funnel(frame([]), STAGES).columns.tolist()


def coded(column: pd.Series, unused: list[str]) -> pd.Series:
    codes, names = pd.factorize(column)  # as pages/common.text_codes codes a column, plus unused categories
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype([*names, *unused])))


@settings(max_examples=150, deadline=None)
@given(pilots)
def test_funnel_by_codes_is_funnel_by_text(rows):
    text = frame(rows)
    expected = factorized_funnel_by(text, STAGES, "business_unit")
    pd.testing.assert_frame_equal(funnel_by(text, STAGES, "business_unit"), expected)
    categorical = text.assign(business_unit=coded(text["business_unit"], ["Zed", "(blank)"]))
    pd.testing.assert_frame_equal(funnel_by(categorical, STAGES, "business_unit"), expected)
    one = _stage_counts(_counts(text, len(STAGES), None, 1))
    pd.testing.assert_frame_equal(stage_funnel(text, STAGES), group_frame(STAGES, *(c[0] for c in one)))


def test_funnel_by_sorts_segments_as_text_and_merges_alike_names():
    rows = [(4, "production", "b"), (2, "cancelled", None), (1, "in_flight", "(blank)"), (0, "in_flight", "B"),
            (3, "cancelled", "10"), (3, "in_flight", "9"), (-1, "in_flight", "b")]
    text = frame(rows)
    by = funnel_by(text.assign(business_unit=coded(text["business_unit"], [])), STAGES, "business_unit")
    assert by["segment"].drop_duplicates().tolist() == ["(blank)", "10", "9", "B", "b"]  # a missing one is "(blank)"
    assert by.groupby("segment", sort=False)["n"].first().tolist() == [2, 1, 1, 1, 1]
    pd.testing.assert_frame_equal(by, factorized_funnel_by(text, STAGES, "business_unit"))


def test_stage_funnel_of_many_pilots_counts_flags_apart():
    rng = np.random.default_rng(0)
    n = 5000
    index = rng.integers(-1, 5, n)
    cancelled, flying = rng.random(n) < 0.3, rng.random(n) < 0.3  # both at once too: each counts where it belongs
    got = stage_funnel(pd.DataFrame({"stage_index": index, "cancelled": cancelled, "in_flight": flying}), STAGES)
    for i in range(5):
        assert got["reached"][i] == (index >= i).sum()
        assert got["dropped"][i] == ((index == i) & cancelled).sum()
        assert got["in_stage"][i] == ((index == i) & flying).sum()


@pytest.mark.parametrize("stages", [["intake"], ["intake", "production"], []])
def test_stage_funnel_of_few_stages_is_the_one_group_frame(stages):
    rows = [(len(stages) - 1, "cancelled", "IT"), (min(len(stages) - 1, 0), "in_flight", None), (-1, "in_flight", "HR")]
    pilots = frame(rows)
    one = _stage_counts(_counts(pilots, len(stages), None, 1))
    pd.testing.assert_frame_equal(stage_funnel(pilots, stages), group_frame(stages, *(c[0] for c in one)),
                                  check_index_type=False)


@settings(max_examples=60, deadline=None)
@given(pilots)
def test_step_positions_are_the_rows_of_pilots_at_step(rows):
    classified = frame(rows)
    for i in range(len(STAGES)):
        for kind in ("reached", "dropped", "in_stage", "moved_on"):
            expected = pilots_at_step(classified, i, kind).index.to_numpy()
            assert step_positions(classified, i, kind).tolist() == expected.tolist()
    with pytest.raises(KeyError):
        step_positions(classified, 0, "nobody")
