"""A frozen copy of analysis/stalls.py's row-frame code for the time in stage (before it worked on
arrays): tests/test_stalls_fast.py pins the array code to it. Never import this from the app."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.stalls import CANCELLED, DECIDED, DURATION_COLUMNS, IN_FLIGHT, MOVED_ON, stage_date_columns


def _next_entry(classified: pd.DataFrame, stages: list[str], i: int) -> pd.Series:
    """The entry date of the first later stage with a date (stages may be skipped); for a pilot that
    reached production with no later stage date, its end date (its production date, as in cohorts)."""
    later = [f"{s}_date" for s in stages[i + 1:] if f"{s}_date" in classified]
    production = classified["end_date"].where(classified["reached_production"])
    if not later:
        return production
    first = classified[later[0]]
    for column in later[1:]:  # the first date along the row, column by column (a row-wise bfill is slow)
        first = first.fillna(classified[column])
    return first.fillna(production)


def _stage_spells(classified: pd.DataFrame, stages: list[str], i: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """Time in stage i of every pilot that entered it on a known date (rows with DURATION_COLUMNS)."""
    entered = classified[f"{stages[i]}_date"]
    at = classified["stage_index"]
    moved = at > i
    ended = classified["end_date"].fillna(classified["last_progress"])
    left = _next_entry(classified, stages, i).where(moved, ended.where(at == i))
    left = left.mask((at == i) & classified["in_flight"], as_of)
    exit_ = np.select([moved, classified["cancelled"], classified["in_flight"]], [MOVED_ON, CANCELLED, IN_FLIGHT],
                      DECIDED)
    spells = pd.DataFrame({"pilot_id": classified["pilot_id"], "stage": stages[i], "stage_index": i,
                           "entered": entered, "left": left, "days": (left - entered).dt.days.astype("float64"),
                           "observed": exit_ != IN_FLIGHT, "exit": exit_})
    return spells[entered.notna() & (at >= i) & left.notna()]


def stage_durations(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """One row per pilot and stage it entered on a known date (all stages but the last).

    Columns: pilot_id, stage, stage_index, entered, left (the next stage's entry, the end date, or the
    as-of date), days (float; negative when the dates are out of order: see usable_durations),
    observed (False: still in the stage at the as-of date, censored), exit (MOVED_ON, CANCELLED,
    IN_FLIGHT or DECIDED).
    """
    if as_of is None or not stage_date_columns(classified, stages):
        return pd.DataFrame(columns=DURATION_COLUMNS)
    spells = [_stage_spells(classified, stages, i, pd.Timestamp(as_of)) for i in range(len(stages) - 1)
              if f"{stages[i]}_date" in classified]
    return pd.concat(spells, ignore_index=True) if spells else pd.DataFrame(columns=DURATION_COLUMNS)
