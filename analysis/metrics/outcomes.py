"""Outcome of each pilot under the definitions of DESIGN.md, shown in the app next to every number.

- reached production: status production or retired, or stage = the last stage.
- cancelled: stopped before production (status cancelled).
- in flight: active or on hold.
- stalled: in flight and no progress (latest stage entry or last update) for more than N days before
  the as-of date (default: the latest date in the dataset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.metrics.flags import IN_FLIGHT, latest_day, outcome_flags, progress_fields, stamps
from analysis.metrics.flags import last_progress as flags_last_progress
from analysis.metrics.kernels import NAT
from analysis.schema import STALL_DAYS

__all__ = ["IN_FLIGHT"]  # re-exported: pages and metrics import it from here

DEFINITIONS = {
    "reached production": "status production or retired, or the pilot reached the last stage.",
    "cancelled": "stopped before production (status cancelled).",
    "in flight": "active or on hold: not yet decided, so censored, never counted as a failure.",
    "stalled": "in flight with no progress (stage entry or last update) for more than {days} days "
               "before the as-of date {as_of}.",
    "production rate": "reached production / all pilots, and / decided pilots (reached production + "
                       "cancelled).",
}


def date_fields(stages: list[str]) -> list[str]:
    """Every canonical date field of a dataset with these stages."""
    return ["start_date", "end_date", "last_update"] + [f"{s}_date" for s in stages]


def date_columns(pilots: pd.DataFrame, stages: list[str]) -> list[str]:
    """The date columns of a canonical pilots frame."""
    return [c for c in date_fields(stages) if c in pilots.columns]


def default_as_of(pilots: pd.DataFrame, stages: list[str]) -> dt.date | None:
    """The latest date anywhere in the dataset, or None when it has no dates (flags.latest_day)."""
    return latest_day([_stamps(pilots[c]) for c in date_columns(pilots, stages)])


def _stamps(dates: pd.Series) -> np.ndarray:
    """A date column as int64 microsecond stamps (flags.stamps): a datetime64[us] column's own numbers, not copied."""
    if dates.dtype == "datetime64[us]":
        return stamps(dates.to_numpy())
    return stamps(dates.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT")))


# The columns classify adds, in its order.
OUTCOME_COLUMNS = ["outcome", "reached_production", "cancelled", "in_flight", "decided", "last_progress",
                   "days_without_progress", "stalled"]


def classify_inputs(stages: list[str]) -> list[str]:
    """Every column classify reads (those of them a frame has): the status, the stage index and the
    dates of progress (last_progress)."""
    return ["status", "stage_index", *progress_fields(stages)]


def classify(pilots: pd.DataFrame, stages: list[str], as_of: dt.date | None,
             stall_days: int = STALL_DAYS, status: tuple[np.ndarray, Sequence[str]] | None = None) -> pd.DataFrame:
    """The pilots with outcome columns added: outcome, reached_production, cancelled, in_flight,
    decided, last_progress (date), days_without_progress (float, NaN without dates), stalled (bool).

    The flags come from the status coded once (each test on a status name made once, not once per
    pilot) and the outcome (flags.outcome_flags' `reached`): production where the pilot reached the last stage and was
    neither retired nor cancelled, else its status; 0.2 s less at 1M pilots. `status`: the status column
    already coded (codes, names: as pd.factorize gives them for a text column) for a frame without it, and
    the outcome is made from the codes as text (pages/common.py's outcome_columns: the text is never read)."""
    out = pilots.copy(deep=False)  # copy-on-write: the new columns never touch the caller's frame
    codes, names = pd.factorize(out["status"]) if status is None else status
    names = np.asarray(names, dtype=object)
    stage_index = out["stage_index"].to_numpy(dtype=np.int64, na_value=-1)
    progress = last_progress(out, stages)
    progressed = np.full(len(out), NAT) if progress is pd.NaT else \
        progress.to_numpy(dtype="datetime64[us]").view(np.int64)
    f = outcome_flags(stage_index, (codes, names), len(stages), progressed, as_of, stall_days)
    out["outcome"] = out["status"].where(~f.reached, "production") if status is None else \
        coded_outcome(codes, names, f.reached, out.index)
    out["reached_production"] = f.reached_production
    out["cancelled"] = f.cancelled
    out["in_flight"] = f.in_flight
    out["decided"] = f.decided
    out["last_progress"] = progress
    out["days_without_progress"] = f.days_without_progress
    out["stalled"] = f.stalled
    return out


def coded_outcome(codes: np.ndarray, names: np.ndarray, reached: np.ndarray, index: pd.Index) -> pd.Series:
    """`status.where(~reached, "production")` for a text status coded as `codes` into `names`: the
    outcome's codes (the status's, or one more for production) taken from its few names by pyarrow, text
    as the store's text columns come (a 1M-pilot `where` on text took 20 ms, this takes a few)."""
    outcome = np.where(reached, len(names), codes)
    labels = pa.array([*names, "production"], type=pa.large_string())
    taken = labels.take(pa.array(outcome, mask=outcome < 0))
    return pd.Series(taken.to_pandas(), index=index, copy=False)


def last_progress(pilots: pd.DataFrame, stages: list[str]) -> pd.Series | pd.api.typing.NaTType:
    """Each pilot's last progress (flags.last_progress: the latest of its last update and stage entry dates;
    NaT without any), or NaT when the frame has none of those columns."""
    progress = [c for c in progress_fields(stages) if c in pilots.columns]
    if not progress:
        return pd.NaT
    latest = flags_last_progress([_stamps(pilots[c]) for c in progress], len(pilots))
    return pd.Series(latest.view("datetime64[us]"), index=pilots.index, copy=False)


def outcome_counts(classified: pd.DataFrame) -> dict[str, int]:
    """Counts by outcome, plus stalled (those of active and on hold that stalled)."""
    counts = classified["outcome"].value_counts()
    result = {k: int(counts.get(k, 0)) for k in ["production", "retired", "cancelled", "active", "on_hold"]}
    result["stalled"] = int(classified["stalled"].sum())
    return result
