"""A frozen copy of analysis/metrics/stalls.py's row-frame code for the time in stage (before it worked on
arrays): tests/test_stalls_fast.py pins the array code to it; and the time-in-stage chart's boxes as every
row of each (every_box), before big boxes were drawn from counts. Never import this from the app."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.metrics.stalls import (
    CANCELLED,
    DECIDED,
    DURATION_COLUMNS,
    IN_FLIGHT,
    MOVED_ON,
    stage_date_columns,
)


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


# ---- Frozen copies (main at a3def32) of the page's other analyses, before they worked on compact spells
# (analysis.stalls.Spells, position_counts, stalled_order): tests/test_stalls_spells.py pins the new code to
# them. They read a stage_durations frame and the classified frame.

def _km_row(days: np.ndarray, observed: np.ndarray) -> dict:
    from analysis.metrics.stalls import P90_SURVIVAL
    from analysis.metrics.stats import kaplan_meier, median_time

    curve = kaplan_meier(days, observed)
    return {"median_days": median_time(curve), "median_ci_low": median_time(curve, "ci_low"),
            "median_ci_high": median_time(curve, "ci_high"),
            "p90_days": median_time(curve, level=P90_SURVIVAL), "longest_days": float(days.max())}


def stage_time_summary(durations: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    usable = durations[durations["days"] >= 0]
    days, observed = usable["days"].to_numpy(dtype=float), usable["observed"].to_numpy(dtype=bool)
    at = usable["stage_index"].to_numpy()
    rows = []
    for i, stage in enumerate(stages[:-1]):
        here = at == i
        left = int(np.count_nonzero(observed & here))
        row = {"stage": stage, "entered": int(np.count_nonzero(here)), "left": left,
               "still_there": int(np.count_nonzero(here)) - left}
        empty = {"median_days": None, "median_ci_low": None, "median_ci_high": None, "p90_days": None,
                 "longest_days": None}
        rows.append(row | (_km_row(days[here], observed[here]) if here.any() else empty))
    return pd.DataFrame(rows, columns=["stage", "entered", "left", "still_there", "median_days",
                                       "median_ci_low", "median_ci_high", "p90_days", "longest_days"])


def current_positions(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    from analysis.metrics.pilots import ids_by_group
    from analysis.metrics.stalls import POSITION_COLUMNS

    last = max(len(stages) - 1, 0)
    index = classified["stage_index"].to_numpy()
    flying = classified["in_flight"].to_numpy(dtype=bool) & (index >= 0) & (index < last)
    codes = np.where(flying, index, -1)
    stalled = classified["stalled"].to_numpy(dtype=bool)
    days = _days_there(classified, stages, codes, as_of)
    by_stage = pd.Series(days[flying]).groupby(codes[flying])
    frame = pd.DataFrame({
        "stage": stages[:last], "in_flight": np.bincount(codes[flying], minlength=last),
        "stalled": np.bincount(codes[flying & stalled], minlength=last),
        "dated": np.bincount(codes[flying & ~np.isnan(days)], minlength=last),
        "median_days_there": by_stage.median().reindex(range(last)).to_numpy(dtype="float64"),
        "longest_days_there": by_stage.max().reindex(range(last)).to_numpy(dtype="float64"),
        "pilot_ids": ids_by_group(classified, codes, last),
        "stalled_ids": ids_by_group(classified, np.where(stalled, codes, -1), last),
        "progressing_ids": ids_by_group(classified, np.where(stalled, -1, codes), last)})
    return frame[POSITION_COLUMNS]


def _days_there(classified: pd.DataFrame, stages: list[str], codes: np.ndarray, as_of: dt.date | None) -> np.ndarray:
    days = np.full(len(classified), np.nan)
    if as_of is None:
        return days
    for i, stage in enumerate(stages):
        here = codes == i
        if f"{stage}_date" in classified and here.any():
            days[here] = (pd.Timestamp(as_of) - classified[f"{stage}_date"][here]).dt.days.astype("float64").to_numpy()
    return days


def stalled_pilots(classified: pd.DataFrame) -> pd.DataFrame:
    from analysis.metrics.stalls import STALLED_COLUMNS

    stalled = classified[classified["stalled"]]
    first = [c for c in STALLED_COLUMNS if c in stalled]
    ordered = stalled.sort_values(["days_without_progress", "pilot_id"], ascending=[False, True])
    return ordered[first + [c for c in stalled.columns if c not in first]].reset_index(drop=True)


def stage_time_choices(durations: pd.DataFrame) -> dict[str, list[str]]:
    """analysis/figures/stalls.py's choices as the groupby made them (label -> ids in spell order)."""
    from analysis.schema import stage_label

    grouped = durations.groupby(["stage_index", "stage", "exit"], sort=True)["pilot_id"]
    return {f"{stage_label(s)}: {kind} ({len(ids)})": list(ids) for (_, s, kind), ids in grouped}


def outliers_only(durations: pd.DataFrame) -> bool:
    from analysis.figures.stalls import POINTS_PER_BOX

    return bool(len(durations)) and int(durations.groupby(["stage", "observed"]).size().max()) > POINTS_PER_BOX


def stage_time_boxes(durations: pd.DataFrame, stages: list[str]) -> list[dict]:
    """The boxes of analysis/figures/stalls.py's stage_time_figure as it built them from the frame: y0,
    name, x (months), customdata (rows), boxpoints and hover text, in trace order."""
    from analysis.figures.stalls import POINTS_PER_BOX, SPELL_KINDS
    from analysis.metrics.cohorts import DAYS_PER_MONTH
    from analysis.schema import stage_label

    months = (durations["days"].astype("float64") / DAYS_PER_MONTH).to_numpy()
    observed, at = durations["observed"].to_numpy(dtype=bool), durations["stage_index"].to_numpy()
    boxes = []
    for kept, name, _ in SPELL_KINDS:
        for i, stage in enumerate(stages[:-1]):
            rows = np.flatnonzero((observed == kept) & (at == i))
            if len(rows):
                hover = None if len(rows) > POINTS_PER_BOX else [
                    f"{p}: {m:.1f} months, {e}" for p, m, e in zip(durations["pilot_id"].iloc[rows].tolist(),
                                                                    months[rows].tolist(),
                                                                    durations["exit"].iloc[rows].tolist())]
                boxes.append({"y0": stage_label(stage), "name": name, "x": months[rows], "customdata": rows,
                              "boxpoints": "outliers" if len(rows) > POINTS_PER_BOX else "all", "hovertext": hover})
    return boxes


def every_box(spells, stages: int) -> list[tuple[tuple, int, np.ndarray]]:
    """(kind, stage index, spell rows) of each non-empty box of the time-in-stage chart, kinds in
    SPELL_KINDS order, stages in order, rows ascending: each stage's spells split by whether they left (the
    chart's boxes before big ones were drawn from counts per day)."""
    from analysis.figures.stalls import SPELL_KINDS

    parts = []
    for part in spells.by_stage[:stages]:
        rows, left = spells.positions(part), spells.observed[part]
        parts.append((rows[left], rows[~left]))
    return [(kind, i, parts[i][k]) for k, kind in enumerate(SPELL_KINDS) for i in range(len(parts)) if len(parts[i][k])]
