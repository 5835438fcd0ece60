"""Codes the Failure causes analyses group by without recoding each pilot: start quarters as offsets from the
first (or factorized when they span more than QUARTERS_NAMED), a Categorical's own codes for the stage (or
coded's where two categories name alike); and the per-cause frames they give equal the reference ones
(tests/reference_causes.py) for stages coded with categories that name alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

import tests.reference_causes as slow
from analysis.metrics import causes
from tests.test_causes_fast import STAGES, random_classified, same


def quarter_name(day: np.datetime64) -> str:
    year, month = int(str(day)[:4]), int(str(day)[5:7])
    return f"{year} Q{(month - 1) // 3 + 1}"


def test_quarters_spanning_centuries_are_named_as_their_dates():
    for days in (["1000-01-01", "2100-12-31", "1500-05-05", "1000-03-31"],  # beyond the day lookup and QUARTERS_NAMED
                 ["1960-02-29", "1969-12-31", "1970-01-01", "2300-07-01"]):  # beyond the lookup, few quarters
        start = np.array(days, dtype="datetime64[D]")
        codes, names = causes.quarter_codes(start)
        assert names[codes].tolist() == [quarter_name(d) for d in start]
    codes, names = causes.quarter_codes(np.array(["2024-05-01", "2023-01-01"], dtype="datetime64[D]"))
    assert names.tolist() == ["2023 Q1", "2023 Q2", "2023 Q3", "2023 Q4", "2024 Q1", "2024 Q2"]  # the range
    assert codes.tolist() == [5, 0]
    assert causes.quarter_codes(np.array([], dtype="datetime64[D]"))[0].tolist() == []


def test_stage_categories_naming_alike_are_one_stage():
    values = pd.Series(pd.Categorical.from_codes([0, 1, 2, -1, 1], categories=pd.Index([1, "1", "poc"], dtype=object)))
    codes, names = causes._group_codes(values)
    assert [None if c < 0 else names[c] for c in codes] == ["1", "1", "poc", None, "1"]
    text = pd.Series(pd.Categorical.from_codes([2, 0, -1], categories=["poc", "intake", "pilot"]))
    codes, names = causes._group_codes(text)
    assert codes.tolist() == [2, 0, -1] and names.tolist() == ["poc", "intake", "pilot"]  # its own codes


def test_cause_by_stage_of_alike_stage_categories_is_the_reference():
    classified = random_classified(5, 500)
    stage = classified["stage"].astype(object).where(classified["stage"] != "poc", 7)  # a number among texts
    coded = classified.assign(stage=pd.Categorical([*stage.iloc[:-1], "7"], categories=[*STAGES, 7, "7", "unknown"]))
    text = classified.assign(stage=coded["stage"].astype(object).astype("str").where(coded["stage"].notna()))
    same(causes.cause_stage_counts(coded, [*STAGES, "7"]), slow.cause_stage_counts(text, [*STAGES, "7"]))


def test_undated_cancelled_pilots_counted_from_the_shared_cancellations():
    # pages/causes.py counts the cancelled pilots without a start date from causes.cancellations' rows
    for classified in (random_classified(6, 800), random_classified(7, 50).assign(start_date=pd.NaT)):
        shared = causes.cancellations(classified)
        undated = int((classified["cancelled"] & classified["start_date"].isna()).sum())
        assert int(shared.frame["start_date"].isna().sum()) == undated > 0
