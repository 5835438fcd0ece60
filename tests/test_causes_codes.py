"""Codes the Failure causes analyses group by without recoding each pilot: start quarters as offsets from the
first (or factorized when they span more than QUARTERS_NAMED), a Categorical's own codes for the stage (or
coded's where two categories name alike); and the known cause-by-stage cells of stages coded with categories
that name alike (7 and "7": one stage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics import causes
from tests.test_causes_fast import STAGES, random_classified


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


def test_cause_by_stage_of_alike_stage_categories():
    # four cancelled pilots, two in stage 7 written as a number and two as text, one in PoC; an in-flight one
    stage = [7, "7", "poc", "7", "7"]
    frame = pd.DataFrame({"pilot_id": ["A", "B", "C", "D", "E"], "failure_cause": ["cost", "cost", "cost", "skills", "cost"],
                          "cancelled": [True, True, True, True, False], "decided": [True, True, True, True, False]})
    coded = frame.assign(stage=pd.Categorical(stage, categories=[*STAGES, 7, "7", "unknown"]))
    text = frame.assign(stage=pd.array([str(s) for s in stage], dtype="str"))
    for classified in (coded, text):
        cells = causes.cause_stage_counts(classified, [*STAGES, "7"])
        # cost (3 cancelled) before skills (1); within cost, PoC comes before stage 7 in the stage order
        assert [tuple(r) for r in cells[["cause", "stage", "count"]].itertuples(index=False)] == [
            ("cost", "poc", 1), ("cost", "7", 2), ("skills", "7", 1)]
        assert cells["row_share"].tolist() == [1 / 3, 2 / 3, 1.0]
        assert cells["column_share"].tolist() == [1.0, 2 / 3, 1 / 3]  # stage 7 holds A, B and D
        assert [list(ids) for ids in cells["pilot_ids"]] == [["C"], ["A", "B"], ["D"]]


def test_undated_cancelled_pilots_counted_from_the_shared_cancellations():
    # pages/causes.py counts the cancelled pilots without a start date from causes.cancellations' rows
    for classified in (random_classified(6, 800), random_classified(7, 50).assign(start_date=pd.NaT)):
        shared = causes.cancellations(classified)
        undated = int((classified["cancelled"] & classified["start_date"].isna()).sum())
        assert int(shared.frame["start_date"].isna().sum()) == undated > 0
