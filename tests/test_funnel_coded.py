"""The funnel by segment of a dictionary-coded dimension (pandas Categorical, as pilots_for(coded=...) gives it,
with unused categories as a filtered view keeps them) is the funnel by segment of the text column, and both
are the pd.factorize(sort=True) grouping of the text that funnel_by used before it worked on codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings

from analysis.funnel import _counts, _funnel_frame, _stage_counts, funnel_by, stage_funnel
from tests.test_funnel_counts import STAGES, frame, pilots


def factorized_funnel_by(classified: pd.DataFrame, stages: list[str], dimension: str) -> pd.DataFrame:
    """funnel_by as it was: the text filled, factorized sorted, one funnel per segment."""
    segments = classified[dimension].fillna("(blank)").astype("str")
    codes, names = pd.factorize(segments, sort=True)
    counts = _stage_counts(_counts(classified, len(stages), codes, len(names)))
    parts = []
    for g, segment in enumerate(names):
        part = _funnel_frame(stages, *(c[g] for c in counts))
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
