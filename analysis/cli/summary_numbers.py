"""The summary's numbers from the derived pilots held as numpy arrays, without pandas.

The command line's first run on a file must cost no more than pandas reading it (issue 7), and importing
pandas alone is most of that, so this module imports only the standard library, numpy and the pandas-free
analysis modules (kernels, schema). Its answers are those of analysis/cli/summary.py's summary() for the keys
NUMBER_KEYS, to the last digit of the JSON text: the same definitions (outcomes.classify, funnel.stage_funnel,
causes.cause_counts / failure_rates, cohorts.event_times / time_to_production) and the same float arithmetic
in the same order (tests/test_summary_numbers.py compares the texts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from analysis.metrics.flags import Flags, latest_day, outcome_flags, progress_fields, stamps
from analysis.metrics.flags import last_progress as flags_last_progress
from analysis.metrics.kernels import (
    decided_counts,
    event_arrays,
    merged_by_name,
    production_summary,
    reached_by_stage,
    time_counts,
    wilson_interval,
)
from analysis.schema import BLANK, DIMENSIONS

NUMBER_KEYS = ["funnel", "outcomes", "failure_causes", "failure_rates", "time_to_production", "as_of", "stall_days"]
OUTCOMES = ["production", "retired", "cancelled", "active", "on_hold"]  # outcome_counts' keys, in its order
NOT_RECORDED = "not recorded"  # causes.NOT_RECORDED: a cancelled pilot whose export gives no cause

Coded = tuple[np.ndarray, list[str]]  # codes (int, -1 = missing) into distinct names


@dataclass
class PilotArrays:
    """The derived pilots as arrays, one entry per pilot in each.

    stages: the dataset's stages, in order; stage_index: int64, -1 = unknown stage; status: codes (never -1)
    into the status names; failure_cause: codes into distinct names (canonical id or "other (<text>)"),
    -1 = missing; dimensions: business_unit, use_case, sourcing, sponsor as codes (-1 = missing) into names;
    dates: start_date, end_date, last_update and f"{stage}_date" for each stage, datetime64[us], NaT where
    missing (every one present). Names lists hold distinct strings in any order."""

    stages: list[str]
    stage_index: np.ndarray
    status: Coded
    failure_cause: Coded
    dimensions: dict[str, Coded]
    dates: dict[str, np.ndarray]


def summary_numbers(p: PilotArrays, as_of: dt.date | None, stall_days: int) -> dict:
    """summary()'s NUMBER_KEYS for these pilots: as_of None means the latest date of any date column
    (outcomes.default_as_of), as analyse_file takes it."""
    day = as_of or default_as_of(p)
    flags = classify(p, day, stall_days)
    return {
        "funnel": funnel(p),
        "outcomes": outcome_counts(p, flags),
        "failure_causes": cause_counts(p, flags),
        "failure_rates": {dim: failure_rates(p.dimensions[dim], flags) for dim in breakdown_dimensions(p)},
        "time_to_production": time_to_production(p, flags, day),
        "as_of": day.isoformat() if day else None,
        "stall_days": stall_days,
    }


def _day_stamp(day: dt.date) -> np.int64:
    return np.datetime64(day, "us").astype(np.int64)


def default_as_of(p: PilotArrays) -> dt.date | None:
    """outcomes.default_as_of: the latest date anywhere in the dataset (flags.latest_day)."""
    return latest_day([stamps(d) for d in p.dates.values()])


def last_progress(p: PilotArrays) -> np.ndarray:
    """flags.last_progress of the dataset's progress dates (int64 stamps, NAT without any)."""
    return flags_last_progress([stamps(p.dates[f]) for f in progress_fields(p.stages) if f in p.dates],
                               len(p.stage_index))


def classify(p: PilotArrays, as_of: dt.date | None, stall_days: int) -> Flags:
    """outcomes.classify's flags, from the one definition (metrics/flags.outcome_flags)."""
    return outcome_flags(p.stage_index, p.status, len(p.stages), last_progress(p), as_of, stall_days)


def funnel(p: PilotArrays) -> list[dict]:
    """stage_funnel's stage and reached: pilots whose furthest stage is this one or later (unknown left out)."""
    known = p.stage_index[p.stage_index >= 0]
    at = np.bincount(known, minlength=len(p.stages))[: len(p.stages)]
    reached = reached_by_stage(at)
    return [{"stage": stage, "reached": int(n)} for stage, n in zip(p.stages, reached)]


def outcome_counts(p: PilotArrays, flags: Flags) -> dict[str, int]:
    """outcomes.outcome_counts: pilots by outcome (production where reached, else the status), and stalled."""
    codes, names = p.status
    outcome = np.where(flags.reached, len(names), codes)
    counts = np.bincount(outcome[outcome >= 0], minlength=len(names) + 1)
    by_name = dict.fromkeys(OUTCOMES, 0)
    for name, count in zip([*names, "production"], counts.tolist()):
        if name in by_name:
            by_name[name] += count
    return {**by_name, "stalled": int(flags.stalled.sum())}


def _named(codes: np.ndarray, names: list[str], missing: str) -> tuple[np.ndarray, list[str]]:
    """Codes into `names` with the missing value (-1) a group of its own named `missing`, last."""
    names = [*names, missing]
    return np.where(codes < 0, len(names) - 1, codes), names


def cause_counts(p: PilotArrays, flags: Flags) -> list[dict]:
    """causes.cause_counts' cause and count: the cancelled pilots' causes (missing: NOT_RECORDED), commonest
    first, ties by name."""
    groups, names = _named(p.failure_cause[0][flags.cancelled], p.failure_cause[1], NOT_RECORDED)
    causes, counts, _ = merged_by_name(names, np.bincount(groups, minlength=len(names)))
    ranked = sorted(zip(causes, counts.tolist()), key=lambda item: (-item[1], item[0]))
    return [{"cause": cause, "count": count} for cause, count in ranked]


def breakdown_dimensions(p: PilotArrays) -> list[str]:
    """summary.breakdown_dimensions: the canonical dimensions with at least one value."""
    return [d for d in DIMENSIONS if d in p.dimensions and bool((p.dimensions[d][0] >= 0).any())]


def failure_rates(dimension: Coded, flags: Flags) -> list[dict]:
    """causes.failure_rates without its pilots column, as summary() gives its records: per segment (missing
    as BLANK, merged by name) cancelled, decided, rate = cancelled / decided (None when nothing is decided)
    and the 95% Wilson interval; most decided first, ties by segment."""
    groups, names = _named(*dimension, BLANK)
    segments, totals, _ = merged_by_name(names, decided_counts(groups, len(names), flags.cancelled, flags.decided))
    cancelled, decided = totals[:, 2] + totals[:, 3], totals[:, 1] + totals[:, 3]
    rate = cancelled / np.where(decided > 0, decided, np.nan)
    low, high = wilson_interval(cancelled, decided)
    rows = [{"segment": s, "cancelled": int(c), "decided": int(d), "rate": _number(r), "ci_low": _number(lo),
             "ci_high": _number(hi)} for s, c, d, r, lo, hi in zip(segments, cancelled, decided, rate, low, high)]
    return sorted(rows, key=lambda row: (-row["decided"], row["segment"]))


def _number(value: np.floating) -> float | None:
    """A float as summary's _json_safe leaves it: None for NaN."""
    return None if value != value else float(value)


def time_to_production(p: PilotArrays, flags: Flags, as_of: dt.date | None) -> dict:
    """cohorts.time_to_production(cohorts.event_times(...)): incidence of production and cancellation at 6,
    12 and 24 months and the median months to production, from the pilots with a start date and an event
    date on or before the as-of date."""
    if as_of is None:
        return production_summary(None, None)
    inputs = [stamps(p.dates[c]) for c in (f"{p.stages[-1]}_date", "end_date")]
    inputs += [flags.last_progress, stamps(p.dates["start_date"]), flags.reached_production, flags.cancelled]
    months, event, _, kept = event_arrays(inputs, _day_stamp(as_of))
    if not kept.any():
        return production_summary(None, None)
    distinct, counts = time_counts(months[kept], event[kept])
    return production_summary(distinct, counts[0])
