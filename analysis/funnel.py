"""The stage funnel: how many pilots reached each stage, dropped there, or are still there."""

from __future__ import annotations

import numpy as np
import pandas as pd

FUNNEL_COLUMNS = ["stage", "reached", "dropped", "in_stage", "moved_on", "step_conversion",
                  "overall_conversion"]


def stage_funnel(classified: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """One row per stage, in order. Pilots with an unknown stage are left out (count them apart).

    Columns: stage; reached (pilots whose furthest stage is this one or later); dropped (cancelled
    while in this stage); in_stage (in flight, now in this stage); moved_on (reached the next stage);
    step_conversion (reached / reached at the previous stage; NaN for the first stage or after 0);
    overall_conversion (reached / reached at the first stage).
    """
    known = classified[classified["stage_index"] >= 0]
    index = known["stage_index"].to_numpy()
    reached = np.array([(index >= i).sum() for i in range(len(stages))], dtype="int64")
    at = [known[index == i] for i in range(len(stages))]
    frame = pd.DataFrame({
        "stage": stages,
        "reached": reached,
        "dropped": [int(a["cancelled"].sum()) for a in at],
        "in_stage": [int(a["in_flight"].sum()) for a in at],
        "moved_on": np.append(reached[1:], 0) if len(stages) else reached,
    })
    previous = np.concatenate([[np.nan], reached[:-1]]).astype("float64") if len(stages) else reached
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["step_conversion"] = np.where(previous > 0, reached / previous, np.nan)
        frame["overall_conversion"] = reached / reached[0] if len(stages) and reached[0] else np.nan
    return frame


def funnel_by(classified: pd.DataFrame, stages: list[str], dimension: str) -> pd.DataFrame:
    """stage_funnel for each segment of a dimension (missing values as '(blank)').

    Columns: segment, n (pilots in the segment with a known stage), then FUNNEL_COLUMNS.
    """
    segments = classified[dimension].fillna("(blank)").astype("str")
    parts = []
    for segment, group in classified.groupby(segments, sort=True):
        frame = stage_funnel(group, stages)
        frame.insert(0, "n", int((group["stage_index"] >= 0).sum()))
        frame.insert(0, "segment", segment)
        parts.append(frame)
    columns = ["segment", "n"] + FUNNEL_COLUMNS
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def pilots_at_step(classified: pd.DataFrame, stage_index: int, kind: str = "reached") -> pd.DataFrame:
    """The pilots behind one funnel number: kind is reached, dropped, in_stage or moved_on."""
    idx = classified["stage_index"]
    masks = {"reached": idx >= stage_index, "dropped": (idx == stage_index) & classified["cancelled"],
             "in_stage": (idx == stage_index) & classified["in_flight"], "moved_on": idx > stage_index}
    return classified[masks[kind]]
