"""The stage funnel: how many pilots reached each stage, dropped there, or are still there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from analysis.causes import value_groups
from analysis.schema import BLANK

FUNNEL_COLUMNS = ["stage", "reached", "dropped", "in_stage", "moved_on", "step_conversion",
                  "overall_conversion"]


def stage_funnel(classified: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """One row per stage, in order. Pilots with an unknown stage are left out (count them apart).

    Columns: stage; reached (pilots whose furthest stage is this one or later); dropped (cancelled
    while in this stage); in_stage (in flight, now in this stage); moved_on (reached the next stage);
    step_conversion (reached / reached at the previous stage; NaN for the first stage or after 0);
    overall_conversion (reached / reached at the first stage).
    """
    counts = _stage_counts(_counts(classified, len(stages), None, 1))
    return _funnel_frame(stages, *(c[0] for c in counts))


def funnel_by(classified: pd.DataFrame, stages: list[str], dimension: str) -> pd.DataFrame:
    """stage_funnel for each segment of a dimension (missing values as '(blank)'), segments sorted.

    Columns: segment, n (pilots in the segment with a known stage), then FUNNEL_COLUMNS.
    """
    groups, names = value_groups(classified[dimension], BLANK)  # at 1M pilots the page's comes coded
    counts = _counts(classified, len(stages), groups, len(names))
    used = np.flatnonzero(counts.sum(axis=(1, 2)))  # the groups with pilots (unused categories have none)
    names = [names[g] for g in used]
    segments = sorted(set(names))  # two values may name alike ("1", 1; a '(blank)' value and a missing one)
    merged = np.zeros((len(segments), *counts.shape[1:]), dtype=np.int64)
    np.add.at(merged, [segments.index(name) for name in names], counts[used])
    counts = _stage_counts(merged)
    parts = []
    for g, segment in enumerate(segments):
        frame = _funnel_frame(stages, *(c[g] for c in counts))
        frame.insert(0, "n", int(counts[0][g][0]) if len(stages) else 0)
        frame.insert(0, "segment", segment)
        parts.append(frame)
    columns = ["segment", "n"] + FUNNEL_COLUMNS
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _counts(classified: pd.DataFrame, n_stages: int, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    """The pilots counted by group (`groups`: each pilot's, None: one group), stage (0: unknown, then
    1 + stage index) and flags (neither, in flight, cancelled, both), from one bincount: no per-stage or
    per-segment frames (this runs on every rerun)."""
    index = np.maximum(classified["stage_index"].to_numpy(), -1) + 1
    cell = index if groups is None else groups * (n_stages + 1) + index
    key = cell * 4 + classified["cancelled"].to_numpy(dtype=bool) * 2 + classified["in_flight"].to_numpy(dtype=bool)
    return np.bincount(key, minlength=n_groups * (n_stages + 1) * 4).reshape(n_groups, n_stages + 1, 4)


def _stage_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reached, dropped, in_stage) as group x stage arrays from _counts (the pilots with a known stage)."""
    known = counts[:, 1:, :]
    reached = known.sum(axis=2)[:, ::-1].cumsum(axis=1)[:, ::-1]
    return reached, known[:, :, 2] + known[:, :, 3], known[:, :, 1] + known[:, :, 3]


def _funnel_frame(stages: list[str], reached: np.ndarray, dropped: np.ndarray,
                  in_stage: np.ndarray) -> pd.DataFrame:
    """The FUNNEL_COLUMNS frame of one group's counts per stage."""
    reached = reached.astype("int64")
    frame = pd.DataFrame({"stage": stages, "reached": reached, "dropped": dropped.astype("int64"),
                          "in_stage": in_stage.astype("int64"),
                          "moved_on": np.append(reached[1:], 0) if len(stages) else reached})
    previous = np.concatenate([[np.nan], reached[:-1]]).astype("float64") if len(stages) else reached
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["step_conversion"] = np.where(previous > 0, reached / previous, np.nan)
        frame["overall_conversion"] = reached / reached[0] if len(stages) and reached[0] else np.nan
    return frame


def pilots_at_step(classified: pd.DataFrame, stage_index: int, kind: str = "reached") -> pd.DataFrame:
    """The pilots behind one funnel number: kind is reached, dropped, in_stage or moved_on."""
    idx = classified["stage_index"]
    masks = {"reached": idx >= stage_index, "dropped": (idx == stage_index) & classified["cancelled"],
             "in_stage": (idx == stage_index) & classified["in_flight"], "moved_on": idx > stage_index}
    return classified[masks[kind]]


class ReachedIds(Mapping):
    """The ids of the pilots that reached each stage, by stage id, found when asked for (a click on the
    funnel): the first bar stands for every pilot, too many ids to list on every rerun."""

    def __init__(self, classified: pd.DataFrame, stages: list[str]) -> None:
        self._classified, self._stages = classified, stages

    def __getitem__(self, stage: object) -> list[str]:
        if stage not in self._stages:
            raise KeyError(stage)
        return pilots_at_step(self._classified, self._stages.index(stage))["pilot_id"].tolist()

    def __iter__(self) -> Iterator[str]:
        return iter(self._stages)

    def __len__(self) -> int:
        return len(self._stages)
