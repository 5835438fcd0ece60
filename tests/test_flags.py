"""The one definition of each pilot's outcome (analysis/metrics/flags.py), on pilots whose answers are known,
and the two callers (the pages' classify, the summary's array path) giving its answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.cli import summary_numbers
from analysis.metrics import outcomes
from analysis.metrics.flags import last_progress, latest_day, outcome_flags, progress_fields, status_in
from analysis.metrics.kernels import NAT

NAMES = ["active", "on_hold", "cancelled", "production", "retired"]
AS_OF = dt.date(2025, 1, 1)


def stamp(day: str) -> int:
    return int(np.datetime64(day, "us").astype(np.int64))


def test_each_status_and_the_last_stage_give_the_outcome_of_the_design() -> None:
    # pilots: active at the last stage (-> production), active mid-way, on hold with no dates, cancelled at the
    # last stage (stays cancelled), retired, production at stage 0, a missing status
    codes = np.array([0, 0, 1, 2, 4, 3, -1])
    stage = np.array([2, 1, 0, 2, 2, 0, 1])
    progress = np.array([stamp("2024-01-01"), stamp("2024-10-02"), NAT, stamp("2024-01-01"), NAT, NAT, NAT])
    f = outcome_flags(stage, (codes, NAMES), 3, progress, AS_OF, 90)
    assert f.reached.tolist() == [True, False, False, False, False, False, False]
    assert f.reached_production.tolist() == [True, False, False, False, True, True, False]
    assert f.cancelled.tolist() == [False, False, False, True, False, False, False]
    assert f.in_flight.tolist() == [False, True, True, False, False, False, False]
    assert f.decided.tolist() == [True, False, False, True, True, True, False]
    assert f.days_without_progress[:2].tolist() == [366.0, 91.0] and np.isnan(f.days_without_progress[2:]).sum() == 4
    assert f.stalled.tolist() == [False, True, False, False, False, False, False]  # 91 days > 90; no dates: never


def test_stalled_is_more_than_the_stall_days_in_whole_days_and_never_without_an_as_of_date() -> None:
    codes, stage = np.array([0, 0, 0]), np.array([0, 0, 0])
    progress = np.array([stamp("2024-10-03"), stamp("2024-10-02T23:00"), stamp("2024-10-02")])  # 90, 90.04, 91 days
    assert outcome_flags(stage, (codes, NAMES), 3, progress, AS_OF, 90).stalled.tolist() == [False, False, True]
    assert not outcome_flags(stage, (codes, NAMES), 3, progress, None, 90).stalled.any()


def test_a_missing_status_is_in_no_group() -> None:
    assert status_in(np.array([-1, 0, 2]), NAMES, ("active", "cancelled")).tolist() == [False, True, True]


def test_the_last_progress_is_the_latest_update_or_stage_entry_and_both_callers_take_it_from_here() -> None:
    """Progress is the last update or entering a stage (never the start or the end date); a pilot with none of
    them has none. The pages' classify (pandas) and the summary's array path read it alike, and the default
    as-of date is the latest date of any column."""
    stages = ["idea", "pilot"]
    assert progress_fields(stages) == ["last_update", "idea_date", "pilot_date"]
    dates = {"start_date": ["2024-01-01", "2024-01-01", "2024-12-30"], "end_date": [None, "2024-11-30", None],
             "last_update": ["2024-03-01", None, None], "idea_date": ["2024-02-01", "2024-02-01", None],
             "pilot_date": [None, "2024-05-01", None]}
    frame = pd.DataFrame({c: pd.to_datetime(pd.Series(v)).astype("datetime64[us]") for c, v in dates.items()})
    known = ["2024-03-01", "2024-05-01", None]
    expected = [stamp(d) if d else NAT for d in known]
    arrays = {c: frame[c].to_numpy() for c in frame}
    assert last_progress([arrays[c].view(np.int64) for c in progress_fields(stages)], 3).tolist() == expected
    assert outcomes.last_progress(frame, stages).tolist()[:2] == [pd.Timestamp(d) for d in known[:2]]
    assert pd.isna(outcomes.last_progress(frame, stages).iloc[2])
    p = summary_numbers.PilotArrays(stages, np.array([0, 1, 0]), (np.zeros(3, dtype=np.int64), ["active"]),
                                    (np.full(3, -1), []), {}, arrays)
    assert summary_numbers.last_progress(p).tolist() == expected
    assert latest_day([a.view(np.int64) for a in arrays.values()]) == dt.date(2024, 12, 30)
    assert outcomes.default_as_of(frame, stages) == summary_numbers.default_as_of(p) == dt.date(2024, 12, 30)
    assert latest_day([np.array([NAT]), np.zeros(0, dtype=np.int64)]) is None
