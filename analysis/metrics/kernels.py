"""The numpy-only arithmetic of the analyses, in a module that imports neither pandas nor scipy: the Wilson
interval, the Aalen-Johansen curves counted per distinct time, and the months from start to production or
cancellation worked out on date stamps. stats.py and cohorts.py import these back under their old names (one
copy each); summary_numbers.py uses them for the summary's first run on a file, which must not pay for
importing pandas (0.25-0.30 s).
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

# Two-sided confidence level of every interval here (the usual 95% bands).
CONFIDENCE = 0.95
# Slack when asking whether a curve has reached a level, so that a curve equal to
# the level up to floating-point error (e.g. 1 - 1/2 computed as a product) counts.
LEVEL_TOLERANCE = 1e-12

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
DAY_US = 86_400_000_000  # microseconds in a day: dates are compared as datetime64[us]
NAT = np.iinfo(np.int64).min  # NaT among datetime64's int64 numbers
# event_times works on this many pilots at a time: its temporaries (int64, 512 KB each) stay in the CPU cache
EVENT_BLOCK = 1 << 16
MAX_DAYS = 1_000_000  # durations counted by day up to this (2,700 years): one counter per day
# _day_counts' counters (segments x outcomes x days) at most: 128 MB; beyond, the months are ranked first
COUNTED_CELLS_MAX = 1 << 24
SUMMARY_MONTHS = [6, 12, 24]
EVENT_CODES = {"production": 1, "cancelled": 2, "censored": 0}
KINDS = ("production", "cancelled")
COUNTED = ("censored", *KINDS)  # the outcomes counted per month (any other event code competes)
CURVE_VALUES = ["cif", "se", "ci_low", "ci_high"]


# ---------------------------------------------------------------- proportions


def _z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile for a confidence level in (0, 1)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    # the standard library's quantile agrees with scipy's ndtri to 1e-15; importing scipy.special for it took
    # 0.18 s of every summary command
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (no continuity correction).

    Vectorised: ``successes`` and ``n`` broadcast against each other; scalars
    give 0-d arrays. Bounds are exactly 0 when successes == 0 and exactly 1
    when successes == n; n == 0 gives NaN bounds. Returns (lower, upper).
    """
    x = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    if np.any(x < 0) or np.any(x > total):
        raise ValueError("need 0 <= successes <= n")
    z2 = _z_value(confidence) ** 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = x / total
        denominator = 1 + z2 / total
        centre = (p + z2 / (2 * total)) / denominator
        half = np.sqrt(z2 * p * (1 - p) / total + z2**2 / (4 * total**2)) / denominator
    lower = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper = np.where(x == total, 1.0, np.clip(centre + half, 0.0, 1.0))
    empty = total == 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


# ------------------------------------------------------------ cumulative incidence


def _cif_variance(
    cif: np.ndarray, s_prev: np.ndarray, n: np.ndarray, d_all: np.ndarray, d_k: np.ndarray
) -> np.ndarray:
    """Delta-method ("Greenwood-type") variance of the Aalen-Johansen CIF.

    Var F(t) = sum_{tj<=t} [F(t)-F(tj)]^2 d_j/(n_j(n_j-d_j))
             + sum S(tj-)^2 d_kj (n_j-d_kj)/n_j^3
             - 2 sum [F(t)-F(tj)] S(tj-) d_kj/n_j^2
    (Marubini & Valsecchi 1995; Pintilie 2006, eq. 4.4), expanded into running
    sums. A time where everyone at risk has an event is the last time, where
    F(t)-F(tj) = 0, so its first-sum term is 0 (not 0 * inf).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.where(n > d_all, d_all / (n * (n - d_all)), 0.0)
    b = s_prev * d_k / n**2
    spread = cif**2 * np.cumsum(a) - 2 * cif * np.cumsum(cif * a) + np.cumsum(cif**2 * a)
    own = np.cumsum(s_prev**2 * d_k * (n - d_k) / n**3)
    cross = cif * np.cumsum(b) - np.cumsum(cif * b)
    return np.maximum(spread + own - 2 * cross, 0.0)


def _cif_bounds(cif: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds from log(-log F): F ** exp(+/- z * se / |F log F|), inside [0, 1].

    (0, 0) while F == 0; NaN where F == 1.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        spread = np.exp(z * se / np.abs(cif * np.log(cif)))
        lower, upper = cif**spread, cif ** (1 / spread)
    inside = (cif > 0) & (cif < 1)
    lower = np.where(cif == 0, 0.0, np.where(inside, lower, np.nan))
    upper = np.where(cif == 0, 0.0, np.where(inside, upper, np.nan))
    return lower, upper


def cif_steps(at_risk: np.ndarray, events: np.ndarray, leaving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Aalen-Johansen point estimate on counts per distinct time (along the last axis: one curve, or one
    per row): the event-free survival just before each time and the cumulative incidence of `events`
    (`leaving`: every event, this kind and the competing ones). A time with nobody at risk (a bootstrap
    sample can empty the tail) changes nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.cumprod(1 - np.where(at_risk > 0, leaving / at_risk, 0.0), axis=-1)[..., :-1]
        s_prev = np.concatenate([np.ones((*before.shape[:-1], 1)), before], axis=-1)
        return s_prev, np.cumsum(np.where(at_risk > 0, s_prev * events / at_risk, 0.0), axis=-1)


def aalen_johansen(
    at_risk: ArrayLike, events: ArrayLike, competing: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arithmetic of ``stats.cumulative_incidence`` on counts per distinct time, in time order: pilots
    at risk, events of interest and competing events at each time (no origin row).

    For callers that count many curves at once (one per segment) and want the same numbers without a
    DataFrame per curve. Returns arrays cif, se, ci_low, ci_high (see ``stats.cumulative_incidence``).
    """
    n = np.asarray(at_risk, dtype=float)
    d_k = np.asarray(events, dtype=float)
    d_all = d_k + np.asarray(competing, dtype=float)
    s_prev, cif = cif_steps(n, d_k, d_all)
    se = np.sqrt(_cif_variance(cif, s_prev, n, d_all, d_k))
    lower, upper = _cif_bounds(cif, se, _z_value(confidence))
    return cif, se, lower, upper


# ------------------------------------------------------------ months to an event


def _choose(mask: np.ndarray, chosen: np.ndarray, other: np.ndarray | np.int64,
            out: np.ndarray | None = None) -> np.ndarray:
    """np.where(mask, chosen, other) on int64 by arithmetic, (chosen - other) * mask + other: exact (int64
    arithmetic wraps around, so even NAT minus a date comes back), and at 1M pilots a third quicker than
    np.where's branch per element on a mask that mixes True and False. ``out`` (which may be ``chosen``):
    where to write it instead of a fresh array."""
    out = np.subtract(chosen, other, out=out)
    out *= mask
    out += other
    return out


def _event_dates(production: np.ndarray, end_date: np.ndarray, last_progress: np.ndarray, reached: np.ndarray,
                 cancelled: np.ndarray, as_of: np.int64) -> np.ndarray:
    """The date each pilot left the risk set (as stamps): production date (else end date) for pilots that
    reached production, end date (else last progress) for cancelled ones, the as-of date for the others."""
    end = _choose(production == NAT, end_date, production)  # two fresh arrays, the rest in place
    cancelled_on = _choose(end_date == NAT, last_progress, end_date)
    end = _choose(reached, end, as_of, out=end)
    return _choose(cancelled, cancelled_on, end, out=cancelled_on)


def _event_codes(reached: np.ndarray, cancelled: np.ndarray, late: np.ndarray) -> np.ndarray:
    """EVENT_CODES of each pilot as np.select([reached, cancelled], [1, 2], 0) gives them, 0 (censored) where the
    event came after the as-of date; counted in bytes."""
    code = (cancelled & ~reached).view(np.int8) * np.int8(2)
    code += reached.view(np.int8)
    code *= ~late
    return code


def _block_times(block: list[np.ndarray], day: np.int64, months: np.ndarray, event: np.ndarray,
                 follow_up: np.ndarray) -> np.ndarray:
    """event_arrays of one block of pilots (production, end, last-progress and start stamps, reached_production,
    cancelled: its inputs cut to the block), written into ``months``, ``event`` and ``follow_up`` (the
    block's part of each); which of its pilots are kept."""
    production, end_date, last_progress, start, reached, cancelled = block
    days = _event_dates(production, end_date, last_progress, reached, cancelled, day)
    late = days > day  # an event after the as-of date had not happened on it (NAT is below every date)
    kept = (days != NAT) & (start != NAT)
    np.minimum(days, day, out=days)  # censored at the as-of date
    days -= start
    days //= DAY_US
    kept &= days >= 0
    np.divide(days, DAYS_PER_MONTH, out=months)
    event[:] = _event_codes(reached, cancelled, late)
    days = np.subtract(day, start, out=days)
    days //= DAY_US
    np.divide(days, DAYS_PER_MONTH, out=follow_up)
    return kept


def event_arrays(inputs: list[np.ndarray], day: np.int64,
                 block: int = EVENT_BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """cohorts.event_times on arrays, for every pilot: ``inputs`` are the stamps (int64 microseconds, NAT where
    missing) of the last stage's date, the end date, the last progress and the start date, then the
    reached_production and cancelled flags; ``day`` the as-of date's stamp. Returns months, event (int64),
    follow_up and kept (the pilots event_times keeps), worked out ``block`` pilots at a time so that the dozen
    temporaries stay in the CPU cache and are reused."""
    size = len(inputs[0])
    months, event, follow_up = np.empty(size), np.empty(size, dtype=np.int64), np.empty(size)
    kept = np.empty(size, dtype=bool)
    for first in range(0, size, block):
        rows = slice(first, first + block)
        kept[rows] = _block_times([x[rows] for x in inputs], day, months[rows], event[rows], follow_up[rows])
    return months, event, follow_up, kept


# ------------------------------------------------------ counted per distinct month


def _durations(months: np.ndarray) -> np.ndarray:
    """The months, checked as stats.cumulative_incidence checks durations."""
    if not np.all(np.isfinite(months)) or np.any(months < 0):
        raise ValueError("durations must be finite and >= 0")
    return months


def _outcomes(event: np.ndarray) -> np.ndarray:
    """The position of each event code in COUNTED, len(COUNTED) for any other code."""
    codes = np.array([EVENT_CODES[k] for k in COUNTED])
    if event.dtype.kind in "iu" and event.size and event.min() >= 0:  # the usual codes: one lookup per pilot
        table = np.full(max(int(event.max()), int(codes.max())) + 1, len(COUNTED))
        table[codes] = np.arange(len(COUNTED))
        return table[event]
    outcome = np.full(event.shape, len(COUNTED))
    for i, code in enumerate(codes):
        outcome[event == code] = i
    return outcome


def ranked_months(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``months``, sorted, and the position of each value among them (by a sort;
    cohorts.py hashes them with pandas instead, quicker where pandas is imported anyway)."""
    distinct, rank = np.unique(months, return_inverse=True)
    return distinct, rank.reshape(-1)


def time_counts(months: np.ndarray, event: np.ndarray, codes: np.ndarray | None = None, segments: int = 1,
                ranked: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] = ranked_months,
                block: int = EVENT_BLOCK, cells_max: int = COUNTED_CELLS_MAX) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``months``, sorted, and how many pilots of each segment left the risk set at each:
    an array [segment, outcome (censored, production, cancelled, any other code), month]. ``codes`` gives each
    row's segment (0 .. segments - 1; -1: not counted); None puts every row in one. No sort of the pilots: a
    few thousand distinct days however many pilots, so this costs a pass or two over the rows (by day when the
    months are whole days, day_counts; else ranked by ``ranked``, in place on one array: at 1M pilots each fresh
    array costs as much again in page faults as the pass that fills it)."""
    counted = day_counts(months, event, codes, segments, block, cells_max)
    if counted is not None:
        return counted
    distinct, rank = ranked(_durations(months))
    cells = len(COUNTED) + 1
    key = _outcomes(event)
    if codes is not None:
        key += codes * cells
    key *= distinct.size
    key += rank
    if codes is not None and (codes < 0).any():
        key = key[codes >= 0]
    counts = np.bincount(key, minlength=segments * cells * distinct.size)
    return distinct, counts.reshape(segments, cells, distinct.size)


def day_counts(months: np.ndarray, event: np.ndarray, codes: np.ndarray | None, segments: int,
               block: int = EVENT_BLOCK, cells_max: int = COUNTED_CELLS_MAX) -> tuple[np.ndarray, np.ndarray] | None:
    """time_counts for months that are whole days from 0 (as event_arrays makes them: days / DAYS_PER_MONTH,
    checked exactly): each pilot counted by its segment, outcome and day at once, the days without a pilot
    dropped after (no ranking of the months first); the keys made ``block`` pilots at a time, so their
    temporaries stay in the CPU cache. None when a month is not such a day, or the days span too long (more
    than ``cells_max`` counters)."""
    if not months.size or not (months.min() >= 0 and months.max() * DAYS_PER_MONTH < MAX_DAYS):  # NaN fails
        return None
    width, cells = int(np.rint(months.max() * DAYS_PER_MONTH)) + 1, len(COUNTED) + 1
    groups = segments + 1  # the last: rows of no segment, counted only for the distinct months, then dropped
    if groups * cells * width > cells_max:
        return None
    key = np.empty(months.size, dtype=np.intp)
    for first in range(0, months.size, block):
        rows = slice(first, first + block)
        if not _day_keys(months[rows], event[rows], None if codes is None else codes[rows], segments, width,
                         key[rows]):
            return None
    counts = np.bincount(key, minlength=groups * cells * width).reshape(groups, cells, width)
    seen = counts.any(axis=(0, 1))
    return np.flatnonzero(seen) / DAYS_PER_MONTH, counts[:segments, :, seen]


def _day_keys(months: np.ndarray, event: np.ndarray, codes: np.ndarray | None, segments: int, width: int,
              out: np.ndarray) -> bool:
    """day_counts' key of each pilot of a block ((segment, or ``segments`` for none) x outcome x day), written
    into ``out``; False when a month is not a whole number of days."""
    whole = _block_days(months)
    if whole is None:
        return False
    key = _outcomes(event)
    if codes is not None:
        key += np.where(codes < 0, segments, codes) * (len(COUNTED) + 1)
    key *= width
    key += whole
    out[:] = key
    return True


def _block_days(months: np.ndarray) -> np.ndarray | None:
    """The whole days (intp) of months known to lie from 0 to under MAX_DAYS days, when each is exactly
    days / DAYS_PER_MONTH; None when one is not."""
    days = np.multiply(months, DAYS_PER_MONTH)
    np.rint(days, out=days)
    whole = days.astype(np.intp)
    np.divide(whole, DAYS_PER_MONTH, out=days)
    return whole if np.array_equal(days, months) else None


# ------------------------------------------------------------------ the curves


def _curve_arrays(months: np.ndarray, counts: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Both Aalen-Johansen curves of one segment from its counts per month (see time_counts), as arrays keyed
    by the columns of stats.cumulative_incidence (origin row first). The counts per distinct time are those
    stats.cumulative_incidence makes and the arithmetic is its own (aalen_johansen): the same numbers,
    without a sort and a DataFrame per curve."""
    size = counts.sum(axis=0)
    seen = size > 0
    size, (censored, *events) = size[seen], counts[: len(COUNTED), seen]
    at_risk = size.sum() - (np.cumsum(size) - size)
    head = {"time": np.concatenate(([0.0], months[seen])), "at_risk": np.concatenate(([size.sum()], at_risk)),
            "censored": np.concatenate(([0], censored))}
    curves = {}
    for kind, count in zip(COUNTED[1:], events):
        competing = size - count - censored
        values = aalen_johansen(at_risk, count, competing)
        curves[kind] = {**head, "events": np.concatenate(([0], count)), "competing": np.concatenate(([0], competing)),
                        **{c: np.concatenate(([0.0], v)) for c, v in zip(CURVE_VALUES, values)}}
    return curves


def _value_at(time: np.ndarray, values: np.ndarray, month: float) -> float:
    """stats.curve_value_at on one curve's arrays: the value of the last row at or before ``month``, NaN past
    the last row (the longest follow-up) or before the first; NaN too for a missing curve."""
    index = np.searchsorted(time, month, side="right") - 1
    return float("nan") if index < 0 or month > time[-1] or np.isnan(month) else float(values[index])


def _reaching(time: np.ndarray, cif: np.ndarray, level: float = 0.5) -> float:
    """stats.median_time of a cumulative incidence curve's arrays, NaN where it is None."""
    hits = np.flatnonzero(cif >= level - LEVEL_TOLERANCE)
    return float(time[hits[0]]) if hits.size else float("nan")


def _counted_median(values: np.ndarray, counts: np.ndarray) -> float | None:
    """np.median of the sample holding each of the sorted ``values`` ``counts`` times (the mean of the middle
    two for an even count, as np.median takes it); None for an empty sample."""
    n = int(counts.sum())
    if not n:
        return None
    cumulative = np.cumsum(counts)
    low, high = values[np.searchsorted(cumulative, [(n - 1) // 2, n // 2], side="right")]
    return float(low) if n % 2 else float((low + high) / 2)


def _none_for_nan(value: float) -> float | None:
    return None if np.isnan(value) else value


def production_summary(months: np.ndarray | None, counts: np.ndarray | None) -> dict:
    """The summary's time_to_production block from one segment's counts per distinct month (time_counts'
    months and counts[0]; None for no pilots): the cumulative incidence of production and of cancellation at
    SUMMARY_MONTHS (None past the longest follow-up) and the months until production's reaches one half
    (None when it never does)."""
    if months is None or counts is None:
        return {"at_months": list(SUMMARY_MONTHS), "production": [None] * 3, "cancelled": [None] * 3,
                "median_months": None}
    curves = _curve_arrays(months, counts)
    at = {k: [_none_for_nan(_value_at(c["time"], c["cif"], m)) for m in SUMMARY_MONTHS] for k, c in curves.items()}
    production = curves["production"]
    return {"at_months": list(SUMMARY_MONTHS), "production": at["production"], "cancelled": at["cancelled"],
            "median_months": _none_for_nan(_reaching(production["time"], production["cif"]))}


# ------------------------------------------------------------------ segments of pilots


def reached_by_stage(at_stage: np.ndarray) -> np.ndarray:
    """The funnel's definition of reaching a stage: the pilots whose furthest stage is this one or a later
    one, from the pilots at each stage (along the last axis, stages in order; unknown stages left out)."""
    return at_stage[..., ::-1].cumsum(axis=-1)[..., ::-1]


def decided_counts(groups: np.ndarray, n_groups: int, failed: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """The pilots of each group (`groups`: int64, 0 .. n_groups - 1) by whether they failed and whether they
    were decided, from one bincount: [group, (neither, decided, failed, both)]. A failure rate per segment
    is (failed) / (decided): columns 2 + 3 over columns 1 + 3."""
    key = groups * 4  # then in place (each new array at 1M pilots is 8 MB touched for the first time)
    key += failed
    key += failed
    key += decided
    return np.bincount(key, minlength=n_groups * 4).reshape(-1, 4)


def merged_by_name(names: list[str], counts: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The groups that hold any pilot (counts: one row per group), merged by name ("1" and 1, a value named
    as the missing one and a missing one), in order of first appearance: the names, their summed counts, and
    each group's row among them (-1: an empty group)."""
    used = np.flatnonzero(counts.reshape(len(names), -1).sum(axis=1))
    order: dict[str, int] = {}
    lookup = np.full(len(names), -1, dtype=np.int64)
    for g in used.tolist():
        lookup[g] = order.setdefault(names[g], len(order))
    totals = np.zeros((len(order), *counts.shape[1:]), dtype=np.int64)
    np.add.at(totals, lookup[used], counts[used])
    return list(order), totals, lookup
