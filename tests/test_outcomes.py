"""analysis/metrics/outcomes.py's classify on pilots whose outcomes are known (the design's definitions,
worked by hand), the columns it adds and their types, frames without progress dates or statuses, and the
bundled sample's known count of stalled pilots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cli.summary import analyse_file
from analysis.metrics.outcomes import OUTCOME_COLUMNS, classify

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"
STAGES = ["idea", "pilot", "production"]
AS_OF = dt.date(2025, 1, 1)


def pilots() -> pd.DataFrame:
    """P1 active at the last stage, P2 active mid-way and 91 days without progress, P3 on hold without dates,
    P4 cancelled at the last stage, P5 retired, P6 production at the first stage, P7 without a status."""
    def dates(*days):
        return pd.Series(pd.to_datetime(list(days)), dtype="datetime64[us]")

    return pd.DataFrame({
        "pilot_id": [f"P{i}" for i in range(1, 8)],
        "status": pd.array(["active", "active", "on_hold", "cancelled", "retired", "production", None], dtype="str"),
        "stage_index": [2, 1, 0, 2, 2, 0, 1],
        "start_date": dates("2023-01-01", "2023-01-01", None, "2023-01-01", "2022-01-01", "2024-01-01", None),
        "last_update": dates("2024-03-01", "2024-10-02", None, None, None, None, "2024-12-01"),
        "idea_date": dates("2023-02-01", "2023-02-01", None, "2023-02-01", None, "2024-02-01", None),
        "pilot_date": dates("2024-06-01", "2024-05-01", None, "2024-04-01", None, None, None),
        "production_date": dates(None, None, None, None, "2022-06-01", None, None),
    })


def test_each_pilot_gets_the_outcome_the_design_defines() -> None:
    out = classify(pilots(), STAGES, AS_OF, 90)
    assert list(out.columns) == [*pilots().columns, *OUTCOME_COLUMNS]
    assert out["outcome"].tolist()[:6] == ["production", "active", "on_hold", "cancelled", "retired", "production"]
    assert pd.isna(out["outcome"].iloc[6])
    assert out["reached_production"].tolist() == [True, False, False, False, True, True, False]
    assert out["cancelled"].tolist() == [False, False, False, True, False, False, False]
    assert out["in_flight"].tolist() == [False, True, True, False, False, False, False]
    assert out["decided"].tolist() == [True, False, False, True, True, True, False]
    # the latest of the last update and the stage dates (never the start): P1's pilot date, P2's last update
    assert out["last_progress"].tolist()[:2] == [pd.Timestamp("2024-06-01"), pd.Timestamp("2024-10-02")]
    assert out["last_progress"].isna().tolist() == [False, False, True, False, False, False, False]
    assert out["days_without_progress"].tolist()[:2] == [214.0, 91.0]
    assert out["stalled"].tolist() == [False, True, False, False, False, False, False]  # in flight, 91 > 90 days
    assert out["last_progress"].dtype == "datetime64[us]" and out["days_without_progress"].dtype == "float64"
    assert {out[c].dtype for c in ["reached_production", "cancelled", "in_flight", "decided", "stalled"]} == {np.dtype(bool)}


def test_no_as_of_date_means_nothing_is_stalled_and_a_lower_threshold_stalls_more() -> None:
    assert not classify(pilots(), STAGES, None)["stalled"].any()
    assert classify(pilots(), STAGES, None)["days_without_progress"].isna().all()
    assert classify(pilots(), STAGES, AS_OF, 91)["stalled"].sum() == 0  # 91 days is not more than 91
    assert classify(pilots(), STAGES, dt.date(2025, 12, 31), 30)["stalled"].tolist()[:2] == [False, True]


def test_frames_without_progress_dates_or_statuses_are_classified() -> None:
    bare = classify(pilots()[["pilot_id", "status", "stage_index"]], STAGES, AS_OF)
    assert bare["last_progress"].isna().all() and not bare["stalled"].any()
    assert bare["in_flight"].tolist() == [False, True, True, False, False, False, False]
    unknown = classify(pilots().assign(status=pd.array([None] * 7, dtype="str")), STAGES, AS_OF)
    assert unknown["reached_production"].tolist() == [True, False, False, True, True, False, False]  # the last stage
    assert not unknown["in_flight"].any() and not unknown["cancelled"].any()
    as_objects = classify(pilots().astype({"status": object}), STAGES, AS_OF)
    assert as_objects["stalled"].tolist() == classify(pilots(), STAGES, AS_OF)["stalled"].tolist()
    fewer = classify(pilots(), STAGES[:2], AS_OF)  # with two stages, the production date is no progress
    assert fewer["last_progress"].isna().tolist() == [False, False, True, False, True, False, False]


def test_the_samples_stalled_pilots() -> None:
    raw = analyse_file(SAMPLE.read_bytes(), SAMPLE.name).derived.pilots
    stages = ["intake", "scoping", "poc", "pilot", "production"]
    assert classify(raw, stages, dt.date(2026, 10, 31))["stalled"].sum() == 31  # COMMON.md
    assert np.array_equal(classify(raw, stages, None)["stalled"].to_numpy(), np.zeros(len(raw), dtype=bool))


def test_classify_leaves_its_input_alone():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    pilots, before = result.derived.pilots, result.derived.pilots.copy()
    classify(pilots, result.derived.stages, result.as_of)
    pd.testing.assert_frame_equal(pilots, before)
