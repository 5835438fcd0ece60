"""How old the work in flight is (aging work in progress): each in-flight pilot at its days in its current
stage, against how long the pilots that went through that stage took (the 50th, 85th and 95th percentiles
of the stage's Kaplan-Meier time in stage, pilots still there censored: the curve the Stalls page's
summary reads, stalls.stage_curve). A pilot above the 85th percentile is older than 85% of the pilots
that passed through the stage: at risk, before the stall rule (no progress for N days) says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.causes import lazy_ids
from analysis.metrics.stalls import STILL_THERE, Spells, stage_curve
from analysis.metrics.stats import median_time
from analysis.schema import stage_label

# Percentiles of time in stage drawn as lines, and the survival level each is read at (85th: 15% still there).
PERCENTILES = {"50th": 0.50, "85th": 0.15, "95th": 0.05}
# Each point's flag, from youngest to oldest; "stalled" (the stall rule) wins over its age; a stage that too few
# have left has no lines, so its pilots cannot be judged by age.
FLAGS = ["no line yet", "within the 50th", "above the 50th", "above the 85th (at risk)", "above the 95th", "stalled"]
LINE_COLUMNS = ["stage", "stage_index", "passed", "p50_days", "p85_days", "p95_days"]
POINT_COLUMNS = ["row", "stage", "stage_index", "days", "flag"]


def percentile_lines(spells: Spells, stages: list[str]) -> pd.DataFrame:
    """Per stage but the last: how many spells passed (left it) and the 50th/85th/95th percentile days of time
    in it (Kaplan-Meier, pilots still there censored; None where the curve never falls that far: too many
    are still there to tell). Columns: stage, stage_index, passed, p50_days, p85_days, p95_days."""
    usable = spells.usable()
    rows = []
    for i, stage in enumerate(stages[:-1]):
        entered = int(usable.counts[i].sum()) if i < len(usable.stages) and len(usable) else 0
        passed = entered - (int(usable.counts[i, STILL_THERE]) if entered else 0)
        curve = stage_curve(usable, i) if passed else None
        levels = [median_time(curve, level=level) if curve is not None else None for level in PERCENTILES.values()]
        rows.append([stage, i, passed, *levels])
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def aging_points(spells: Spells, lines: pd.DataFrame, stalled: np.ndarray) -> pd.DataFrame:
    """Every in-flight pilot with a dated current stage (its spell there is still open at the as-of date):
    row (the pilot's position in the classified frame), stage, stage_index, days (in the stage so far) and
    flag (FLAGS: the highest percentile line it is above, or stalled by the stall rule)."""
    usable = spells.usable()
    open_ = usable.exit == STILL_THERE
    rows, index, days = usable.rows[open_], usable.stage_index[open_].astype(np.int64), usable.days[open_]
    at = np.minimum(index, len(lines))  # the last stage has no row (nobody waits there): no line
    median = np.append(lines["p50_days"].to_numpy(dtype=float, na_value=np.nan), np.nan)[at]
    flag = np.where(np.isnan(median), 0, 1)
    for level, code in (("p50_days", 2), ("p85_days", 3), ("p95_days", 4)):
        limit = np.append(lines[level].to_numpy(dtype=float, na_value=np.nan), np.nan)[at]
        flag = np.where(days > limit, code, flag)  # NaN (no line) compares False: not above it
    flag = np.where(stalled[rows], len(FLAGS) - 1, flag)
    # stage and flag as categories (the codes are at hand): tens of thousands of points, a few names
    stage = pd.Categorical.from_codes(at, categories=list(lines["stage"]) + [""])
    return pd.DataFrame({"row": rows.astype(np.int64), "stage": stage, "stage_index": index, "days": days,
                         "flag": pd.Categorical.from_codes(flag, categories=FLAGS)}, columns=POINT_COLUMNS)


def flag_codes(points: pd.DataFrame) -> np.ndarray:
    """Each point's flag as its position in FLAGS."""
    return pd.Categorical(points["flag"], categories=FLAGS).codes.astype(np.int64)


@dataclass(frozen=True)
class Aging:
    """The aging chart's finding: in-flight pilots placed, of them above the at-risk line (in stages that
    have one), and in-flight pilots without a dated current stage (not placed)."""

    placed: int
    at_risk: int
    judged: int  # placed in a stage whose 85th percentile line is known
    unplaced: int

    @property
    def sentence(self) -> str:
        if not self.placed:
            return "No in-flight pilot has a dated current stage, so their ages cannot be shown."
        if not self.judged:
            return (f"{self.placed:,} in-flight pilots are shown; too few pilots have left their stages yet to "
                    "say how long is usually long.")
        text = (f"{self.at_risk:,} of {self.judged:,} in-flight pilots are older than 85% of the pilots that "
                "already left their stage")
        if self.judged < self.placed:
            text += f" ({self.placed - self.judged:,} more are in stages too few have left to tell)"
        return text + "."


def aging_summary(points: pd.DataFrame, lines: pd.DataFrame, in_flight: int) -> Aging:
    """The counts behind the sentence: at risk = above the 85th percentile line or stalled while above it."""
    known = lines["p85_days"].notna().to_numpy()
    judged = points["stage_index"].to_numpy() < len(known)
    judged &= np.append(known, False)[np.minimum(points["stage_index"].to_numpy(), len(known))]
    p85 = np.append(lines["p85_days"].to_numpy(dtype=float, na_value=np.nan), np.nan)
    above = points["days"].to_numpy(dtype=float) > p85[np.minimum(points["stage_index"].to_numpy(), len(known))]
    return Aging(len(points), int(np.count_nonzero(above & judged)), int(np.count_nonzero(judged)),
                 in_flight - len(points))


class PointIds(Mapping):
    """The pilot behind each point (key: its position in the points), looked up when a point is clicked."""

    def __init__(self, ids: Sequence[str], rows: np.ndarray) -> None:
        self._ids, self._rows = ids, rows

    def __getitem__(self, key: object) -> list[str]:
        if not isinstance(key, (int, np.integer)) or not 0 <= key < len(self._rows):
            raise KeyError(key)
        return [self._ids[int(self._rows[key])]]

    def __iter__(self):
        return iter(range(len(self._rows)))

    def __len__(self) -> int:
        return len(self._rows)


def aging_choices(points: pd.DataFrame, ids: Sequence[str]) -> dict[str, Sequence[str]]:
    """The select box's groups: the pilots of each stage above its at-risk line (by how far) and the stalled
    ones, counted at once and listed only when a group is chosen (PilotIds)."""
    stage_index = points["stage_index"].to_numpy()
    flag = flag_codes(points)
    shown = FLAGS[3:]
    stages = int(stage_index.max(initial=-1)) + 1
    group = np.where(flag >= 3, stage_index * len(shown) + flag - 3, -1)
    counts = np.bincount(group[group >= 0], minlength=stages * len(shown))
    present, first = np.unique(stage_index, return_index=True)  # each stage's name from its first point
    names = dict(zip(present.tolist(), points["stage"].take(first).tolist()))
    codes = np.full(len(ids), -1)
    codes[points["row"].to_numpy()] = group
    used = np.flatnonzero(counts)
    listed = lazy_ids(ids, codes, used)
    return {f"{stage_label(names[g // len(shown)])}: {shown[g % len(shown)]} ({counts[g]:,})": listed[i]
            for i, g in enumerate(used.tolist())}
