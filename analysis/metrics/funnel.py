"""The stage funnel: how many pilots reached each stage, dropped there, or are still there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from analysis.metrics.causes import value_groups
from analysis.metrics.kernels import reached_by_stage
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
    return _funnel_frame(stages, *_stage_counts(_counts(classified, len(stages), None, 1)))


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
    reached, dropped, in_stage = _stage_counts(merged)
    if not segments or not stages:  # no rows
        return pd.DataFrame(columns=["segment", "n"] + FUNNEL_COLUMNS)
    frame = _funnel_frame(stages, reached, dropped, in_stage)  # every segment's rows at once
    frame.insert(0, "n", np.repeat(reached[:, 0], len(stages)))
    frame.insert(0, "segment", [segment for segment in segments for _ in stages])
    return frame


def _counts(classified: pd.DataFrame, n_stages: int, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    """The pilots counted by group (`groups`: each pilot's, None: one group), stage (0: unknown, then
    1 + stage index) and flags (neither, in flight, cancelled, both), from one bincount: no per-stage or
    per-segment frames (this runs on every rerun)."""
    key = np.maximum(classified["stage_index"].to_numpy(), -1).astype(np.int64, copy=False)  # in place: at 1M
    key += 1  # pilots each new array is 8 MB of memory touched for the first time
    if groups is not None:
        key += groups * (n_stages + 1)
    key *= 4
    cancelled = classified["cancelled"].to_numpy(dtype=bool)
    key += cancelled
    key += cancelled
    key += classified["in_flight"].to_numpy(dtype=bool)
    return np.bincount(key, minlength=n_groups * (n_stages + 1) * 4).reshape(n_groups, n_stages + 1, 4)


def _stage_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reached, dropped, in_stage) as group x stage arrays from _counts (the pilots with a known stage)."""
    known = counts[:, 1:, :]
    reached = reached_by_stage(known.sum(axis=2))
    return reached, known[:, :, 2] + known[:, :, 3], known[:, :, 1] + known[:, :, 3]


def _funnel_frame(stages: list[str], reached: np.ndarray, dropped: np.ndarray,
                  in_stage: np.ndarray) -> pd.DataFrame:
    """The FUNNEL_COLUMNS frame of groups' counts per stage (group x stage arrays), one group's stages after
    another: one frame for every segment (a frame per segment and joining them cost 10 ms a run)."""
    groups = reached.size // len(stages) if len(stages) else 1
    reached, dropped, in_stage = (a.astype("int64").reshape(groups, len(stages)) for a in (reached, dropped, in_stage))
    moved_on = np.concatenate([reached[:, 1:], np.zeros((len(reached), min(len(stages), 1)), dtype="int64")], axis=1)
    previous = np.concatenate([np.full((len(reached), 1), np.nan), reached[:, :-1]], axis=1)[:, :len(stages)]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(previous > 0, reached / previous, np.nan)
        overall = np.where(reached[:, :1] > 0, reached / reached[:, :1], np.nan)
    return pd.DataFrame({"stage": list(stages) * len(reached), "reached": reached.ravel(), "dropped": dropped.ravel(),
                         "in_stage": in_stage.ravel(), "moved_on": moved_on.ravel(), "step_conversion": step.ravel(),
                         "overall_conversion": overall.ravel()})


def step_positions(classified: pd.DataFrame, stage_index: int, kind: str = "reached") -> np.ndarray:
    """The positions in the frame of pilots_at_step's pilots, without cutting the frame (at 1M pilots a cut
    copies every id behind a step: 20 ms)."""
    at = classified["stage_index"].to_numpy()
    if kind not in ("reached", "dropped", "in_stage", "moved_on"):
        raise KeyError(kind)
    if kind in ("reached", "moved_on"):
        return np.flatnonzero(at >= stage_index if kind == "reached" else at > stage_index)
    flag = classified["cancelled" if kind == "dropped" else "in_flight"].to_numpy(dtype=bool)
    return np.flatnonzero((at == stage_index) & flag)


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
