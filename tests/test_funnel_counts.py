"""The funnel's counts, made in one vectorised pass, against a plain count pilot by pilot."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.metrics.funnel import funnel_by, stage_funnel

STAGES = ["intake", "scoping", "poc", "pilot", "production"]
OUTCOMES = ["cancelled", "in_flight", "production"]
pilots = st.lists(st.tuples(st.integers(-1, len(STAGES) - 1), st.sampled_from(OUTCOMES),
                            st.sampled_from(["Ops", "IT", "HR", None])), max_size=40)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame({"stage_index": pd.Series([r[0] for r in rows], dtype="int64"),
                         "cancelled": pd.Series([r[1] == "cancelled" for r in rows], dtype=bool),
                         "in_flight": pd.Series([r[1] == "in_flight" for r in rows], dtype=bool),
                         "business_unit": pd.Series([r[2] for r in rows], dtype="str")})


def by_hand(rows: list[tuple]) -> list[dict]:
    """Reached, dropped and still-here per stage, counted one pilot at a time."""
    out = []
    for i, stage in enumerate(STAGES):
        out.append({"stage": stage, "reached": sum(1 for s, _, _ in rows if s >= i),
                    "dropped": sum(1 for s, o, _ in rows if s == i and o == "cancelled"),
                    "in_stage": sum(1 for s, o, _ in rows if s == i and o == "in_flight")})
    return out


@settings(max_examples=150, deadline=None)
@given(pilots)
def test_stage_funnel_counts_every_pilot_once(rows):
    f = stage_funnel(frame(rows), STAGES)
    assert f[["stage", "reached", "dropped", "in_stage"]].to_dict("records") == by_hand(rows)
    assert f["moved_on"].tolist() == f["reached"].tolist()[1:] + [0]


@settings(max_examples=150, deadline=None)
@given(pilots)
def test_funnel_by_is_the_funnel_of_each_segment(rows):
    by = funnel_by(frame(rows), STAGES, "business_unit")
    segments = sorted({r[2] or "(blank)" for r in rows})
    assert by["segment"].drop_duplicates().tolist() == segments
    for segment in segments:
        mine = [r for r in rows if (r[2] or "(blank)") == segment]
        part = by[by["segment"] == segment]
        assert part[["stage", "reached", "dropped", "in_stage"]].to_dict("records") == by_hand(mine)
        assert set(part["n"]) == {sum(1 for s, _, _ in mine if s >= 0)}


def test_a_segment_with_no_known_stage_has_an_empty_funnel():
    by = funnel_by(frame([(-1, "in_flight", "HR"), (2, "cancelled", "Ops")]), STAGES, "business_unit")
    assert by[by["segment"] == "HR"]["reached"].tolist() == [0] * 5
    assert by[by["segment"] == "Ops"]["reached"].tolist() == [1, 1, 1, 0, 0]
    assert by[by["segment"] == "Ops"]["dropped"].tolist() == [0, 0, 1, 0, 0]


def test_no_pilots_no_segments():
    assert funnel_by(frame([]), STAGES, "business_unit").empty
    assert stage_funnel(frame([]), STAGES)["reached"].tolist() == [0] * 5
