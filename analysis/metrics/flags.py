"""The outcome of each pilot, defined once, on arrays: what "reached production", "cancelled", "in flight",
"decided" and "stalled" mean (DESIGN.md; shown next to every number as outcomes.DEFINITIONS words them).

outcomes.classify (the pages, the report, the command line's pandas path) and the summary's first run on a
file (analysis/cli/summary_numbers.py, which must not import pandas) both call `outcome_flags`, so a change
to a definition here is a change everywhere. numpy only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.metrics.kernels import DAY_US, NAT

IN_FLIGHT = ("active", "on_hold")  # statuses of pilots not yet decided: censored, never failures
REACHED = ("production", "retired")  # statuses that mean the pilot reached production (retired: and later off)
NOT_REACHED_AT_LAST_STAGE = ("retired", "cancelled")  # at the last stage but not counted as "production"


@dataclass(frozen=True)
class Flags:
    """Each pilot's outcome as arrays, one entry per pilot: reached (at the last stage, neither retired nor
    cancelled: its outcome is production), reached_production, cancelled, in_flight, decided, stalled
    (bool); last_progress (int64 microsecond stamps, NAT without any date); days_without_progress (float,
    whole days from the last progress to the as-of date, NaN without either)."""

    reached: np.ndarray
    reached_production: np.ndarray
    cancelled: np.ndarray
    in_flight: np.ndarray
    decided: np.ndarray
    last_progress: np.ndarray
    days_without_progress: np.ndarray
    stalled: np.ndarray


def status_in(codes: np.ndarray, names: Sequence[str], values: Sequence[str]) -> np.ndarray:
    """Each pilot's status (codes into names, -1 = missing) is one of `values`; a missing one is in nothing.
    Each name is tested once, not each pilot."""
    return np.append(np.isin(np.asarray(names, dtype=object), list(values)), False)[codes]


def progress_fields(stages: Sequence[str]) -> list[str]:
    """The dates that count as progress (a pilot's last progress, from which it stalls): its last update and the
    date it entered each stage."""
    return ["last_update", *(f"{s}_date" for s in stages)]


def stamps(dates: np.ndarray) -> np.ndarray:
    """Dates as int64 microseconds (NAT, the smallest int64, where missing)."""
    return np.asarray(dates, dtype="datetime64[us]").view(np.int64)


def last_progress(dates: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """Each pilot's last progress: the latest of its `progress_fields` dates (those a dataset has, as int64
    stamps), NAT without any. NAT is the smallest int64, so a maximum skips it as fmax skips NaT."""
    latest = np.full(rows, NAT, dtype=np.int64)
    for column in dates:  # pairwise in place (a reduce stacks every column first)
        np.maximum(latest, column, out=latest)
    return latest


def latest_day(dates: Sequence[np.ndarray]) -> dt.date | None:
    """The latest date among these columns (int64 stamps): the default as-of date, the latest date anywhere in a
    dataset; None when there is none."""
    latest = max((int(column.max()) for column in dates if len(column)), default=NAT)
    return None if latest == NAT else np.datetime64(latest, "us").astype("datetime64[D]").item()


def days_since(progress: np.ndarray, as_of: dt.date | None) -> np.ndarray:
    """Whole days (floored) from each date stamp (int64 microseconds, NAT = missing) to the as-of date, as
    float; NaN where the stamp is missing or there is no as-of date."""
    days = np.full(len(progress), np.nan)
    if as_of is not None:
        dated = progress != NAT
        days[dated] = (np.datetime64(as_of, "us").astype(np.int64) - progress[dated]) // DAY_US
    return days


def outcome_flags(stage_index: np.ndarray, status: tuple[np.ndarray, Sequence[str]], stages: int,
                  progress: np.ndarray, as_of: dt.date | None, stall_days: int) -> Flags:
    """The outcome flags of pilots at `stage_index` (int, -1 = unknown) of `stages` stages, with `status`
    coded (codes, names) and their last progress as int64 microsecond stamps (NAT without any).

    reached production: status production or retired, or the last stage reached (and not retired or
    cancelled); cancelled: status cancelled; in flight: active or on hold and not at the last stage;
    stalled: in flight with more than `stall_days` whole days from the last progress to the as-of date."""
    codes, names = status
    reached = (stage_index == stages - 1) & ~status_in(codes, names, NOT_REACHED_AT_LAST_STAGE)
    reached_production = reached | status_in(codes, names, REACHED)
    cancelled = status_in(codes, names, ("cancelled",))
    in_flight = status_in(codes, names, IN_FLIGHT) & ~reached
    days = days_since(progress, as_of)
    stalled = in_flight & (days > stall_days)  # NaN compares False: never stalled without dates
    return Flags(reached, reached_production, cancelled, in_flight, reached_production | cancelled, progress, days,
                 stalled)
