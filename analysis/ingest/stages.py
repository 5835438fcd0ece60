"""The stage rule shared by both derivations (validate._stage and cli/summary_fast): a row's stage is its coded
value, else the last stage it has a date for, else unknown. numpy only (the summary command imports no pandas)."""

from __future__ import annotations

import numpy as np

UNKNOWN_STAGE_NOTE = ("{} pilot(s) have no stage that could be read; they are kept as 'unknown' and left out of "
                      "the funnel.")


def stage_positions(coded: np.ndarray, has_date: list[np.ndarray], names: list[str],
                    unknown: str) -> tuple[np.ndarray, int]:
    """Each row's stage as a position in `names`: its coded position (-1: its value has none), else the last
    stage it has a date for (`has_date`: a mask per stage, in order), else -1; and how many rows have no stage
    that could be read (-1, or the stage named `unknown`)."""
    dated = np.full(len(coded), -1, dtype=np.intp)
    for i, has in enumerate(has_date):
        dated[has] = i
    position = np.where(coded >= 0, coded, dated)
    missing = int((position < 0).sum()) + sum(int((position == i).sum()) for i, n in enumerate(names) if n == unknown)
    return position, missing
