"""The time in stage worked on arrays (analysis/metrics/stalls.py) gives exactly what the row-frame code it
replaced gives (tests/reference_stalls.py), on the sample and on random portfolios with skipped
stages, missing and out-of-order dates, cancelled, in-flight and produced pilots."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.metrics.outcomes import classify
from analysis.metrics.stalls import stage_durations
from tests import reference_stalls
from tests.conftest import SAMPLE

STAGES = ["intake", "scoping", "poc", "pilot", "production"]


def assert_same(classified: pd.DataFrame, stages: list[str], as_of: dt.date) -> pd.DataFrame:
    fast = stage_durations(classified, stages, as_of)
    slow = reference_stalls.stage_durations(classified, stages, as_of)
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True))
    return fast


def test_the_sample_gives_the_same_spells():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    spells = assert_same(result.classified, result.derived.stages, result.as_of)
    assert len(spells) > 1000 and set(spells["exit"]) == {"moved on", "cancelled", "still there"}


def random_portfolio(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    index = rng.integers(-1, len(STAGES), n)
    frame = pd.DataFrame({"pilot_id": [f"P{seed}-{i}" for i in range(n)], "stage_index": index,
                          "stage": [STAGES[i] if i >= 0 else None for i in index]})
    day = start
    for j, stage in enumerate(STAGES):
        day = day + pd.to_timedelta(rng.integers(-20, 200, n), unit="D")  # sometimes out of order
        known = (index >= j) & (rng.random(n) > 0.2)  # skipped or undated stages
        frame[f"{stage}_date"] = day.where(known)
    frame["start_date"] = start
    status = rng.choice(["active", "cancelled", "on_hold", "retired"], n)
    frame["status"] = np.where(index == len(STAGES) - 1, "production", status)
    frame["end_date"] = (day + pd.to_timedelta(rng.integers(0, 60, n), unit="D")).where(
        (frame["status"] != "active") & (rng.random(n) > 0.3))
    frame["last_update"] = day.where(rng.random(n) > 0.5)
    frame["failure_cause"] = None
    return frame


@pytest.mark.parametrize("seed", range(6))
def test_random_portfolios_give_the_same_spells(seed):
    frame = random_portfolio(seed)
    as_of = dt.date(2026, 6, 30)
    classified = classify(frame, STAGES, as_of, 90)
    spells = assert_same(classified, STAGES, as_of)
    assert set(spells["exit"]) == {"moved on", "cancelled", "still there", "reached production"}
    assert (spells["days"] < 0).any() and spells["observed"].any() and not spells["observed"].all()
