"""analysis.outcomes.classify codes the status once and takes the latest progress with numpy; the pandas
code it replaced is kept here as the reference, and every column must come out the same (dtypes
included) on the bundled sample and on random frames with missing statuses, unknown stages, missing
dates, no as-of date and no progress columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.metrics.outcomes import IN_FLIGHT, STALL_DAYS, classify, outcome_of

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
STAGES = ["intake", "scoping", "poc", "pilot", "production"]


def slow_classify(pilots: pd.DataFrame, stages: list[str], as_of: dt.date | None,
                  stall_days: int = STALL_DAYS) -> pd.DataFrame:
    """analysis/metrics/outcomes.py's classify before the speed work (issue 7), verbatim."""
    out = pilots.copy(deep=False)
    out["outcome"] = outcome_of(out["status"], out["stage_index"], len(stages) - 1)
    out["reached_production"] = out["outcome"].isin(["production", "retired"])
    out["cancelled"] = out["outcome"].eq("cancelled")
    out["in_flight"] = out["outcome"].isin(IN_FLIGHT)
    out["decided"] = out["reached_production"] | out["cancelled"]
    progress = [c for c in ["last_update"] + [f"{s}_date" for s in stages] if c in out.columns]
    out["last_progress"] = out[progress].max(axis=1) if progress else pd.NaT
    if as_of is None:
        out["days_without_progress"] = np.nan
    else:
        out["days_without_progress"] = (pd.Timestamp(as_of) - out["last_progress"]).dt.days.astype("float64")
    out["stalled"] = out["in_flight"] & (out["days_without_progress"] > stall_days)
    return out


def random_pilots(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    statuses = np.array(["production", "retired", "cancelled", "active", "on_hold", None], dtype=object)
    frame = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(n)],
                          "status": pd.array(statuses[rng.integers(0, len(statuses), n)], dtype="str"),
                          "stage_index": rng.integers(-1, len(STAGES), n)})
    for column in ["last_update"] + [f"{s}_date" for s in STAGES]:
        days = pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
        frame[column] = (pd.Timestamp("2021-01-01") + days).where(rng.random(n) > 0.4).astype("datetime64[us]")
    return frame


def same(pilots: pd.DataFrame, stages: list[str], as_of: dt.date | None, stall_days: int = 90) -> None:
    pd.testing.assert_frame_equal(classify(pilots, stages, as_of, stall_days),
                                  slow_classify(pilots, stages, as_of, stall_days))


def test_the_sample_classifies_the_same():
    raw = analyse_file(SAMPLE.read_bytes(), SAMPLE.name).derived.pilots
    for as_of, stall in [(dt.date(2026, 10, 31), 90), (dt.date(2025, 1, 1), 30), (None, 90)]:
        same(raw, STAGES, as_of, stall)
    assert classify(raw, STAGES, dt.date(2026, 10, 31))["stalled"].sum() == 31  # COMMON.md


@pytest.mark.parametrize("seed", range(5))
def test_random_pilots_classify_the_same(seed):
    pilots = random_pilots(seed, [0, 1, 10, 500, 5000][seed])
    same(pilots, STAGES, dt.date(2025, 6, 30))
    same(pilots, STAGES, None)
    same(pilots, STAGES[:3], dt.date(2023, 1, 1), 7)  # fewer stages: some stage dates are not progress


def test_frames_without_progress_dates_or_statuses_classify_the_same():
    pilots = random_pilots(7, 300)
    same(pilots[["pilot_id", "status", "stage_index"]], STAGES, dt.date(2025, 6, 30))
    same(pilots.assign(status=np.nan).astype({"status": "str"}), STAGES, dt.date(2025, 6, 30))
    same(pilots.assign(last_update=pd.NaT).astype({"last_update": "datetime64[us]"}), STAGES, dt.date(2025, 6, 30))
    same(pilots.astype({"status": object}), STAGES, dt.date(2025, 6, 30))
