"""Statistics behind the Pilot Outcomes dashboard.

Pure functions on numpy arrays / pandas DataFrames: no I/O, no plotting and no
rounding (the pages format numbers for display). Three groups:

* proportions: ``wilson_interval``;
* segment comparisons: ``segment_difference``, ``pairwise_fisher_holm``,
  ``holm_adjust``, ``describe_difference``;
* time to production: ``kaplan_meier``, ``cumulative_incidence`` (competing
  risks; ``aalen_johansen`` is its arithmetic on counts), ``curve_value_at``,
  ``median_time``, ``numbers_at_risk``.

Survival conventions: durations are non-negative numbers, and an event and a
censoring at the same time count the event first (the censored pilot is still
at risk at that time). Every curve has one row per distinct observed time
(event or censoring time), preceded by an origin row at time 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

# The numpy-only parts live in kernels (the summary's first run imports no pandas); imported back here
from analysis.metrics.kernels import CONFIDENCE, LEVEL_TOLERANCE, _z_value, aalen_johansen
from analysis.metrics.kernels import wilson_interval as wilson_interval  # re-exported: proportions

# Conventional 5% significance level; "significant" in the dashboard means p < ALPHA.
ALPHA = 0.05
# Cochran's rule of thumb: below 5 expected counts in a cell the chi-square
# approximation is unreliable, so exact (Fisher) tests are used instead.
MIN_EXPECTED_COUNT = 5.0
# p-values below this are shown as "p < 0.001": more digits suggest false precision.
P_DISPLAY_FLOOR = 0.001
# kaplan_meier_whole counts durations per value up to this (~270 years in days); beyond it, sorting is cheaper
MAX_WHOLE_DURATION = 100_000

METHOD_FISHER = "Fisher's exact test"
METHOD_CHI_SQUARE = "chi-square test"
METHOD_PAIRWISE = "pairwise Fisher's exact tests with Holm correction"
METHOD_NONE = "no test"

SEGMENT_COLUMNS = ["segment", "failures", "decided"]
PAIRWISE_COLUMNS = ["segment_a", "segment_b", "p_value", "p_holm", "significant"]
# Event-kind codes used internally by the survival helpers.
_CENSORED, _EVENT, _COMPETING = 0, 1, 2


def _scipy_stats():
    """scipy.stats, imported on first use: importing it takes ~0.4 s, which a command that never tests
    a difference (the summary) should not pay."""
    from scipy import stats

    return stats


# -------------------------------------------------------- segment comparisons


@dataclass(frozen=True, eq=False)
class SegmentTest:
    """Overall test of whether the failure rate differs between segments.

    method: METHOD_FISHER, METHOD_CHI_SQUARE, METHOD_PAIRWISE or METHOD_NONE.
    statistic: chi-square statistic; for Fisher the sample odds ratio (odds of
        failure in the first segment over the second); None otherwise.
    p_value: None when no test was possible (fewer than 2 usable segments).
    pairwise: only for the small-count fallback with > 2 segments; a DataFrame
        with columns segment_a, segment_b, p_value, p_holm, significant.
    """

    method: str
    statistic: float | None
    p_value: float | None
    significant: bool
    segments_compared: int
    pairwise: pd.DataFrame | None = None

    @property
    def sentence(self) -> str:
        """Plain-words verdict; see ``describe_difference``."""
        return describe_difference(self)


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values, in the input order.

    The i-th smallest p is multiplied by (m - i + 1), running maxima make the
    adjusted values monotone in the raw order, and they are capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p_values must be a 1-d array of numbers in [0, 1]")
    order = np.argsort(p, kind="stable")
    multipliers = p.size - np.arange(p.size)
    stepped = np.minimum(np.maximum.accumulate(multipliers * p[order]), 1.0)
    adjusted = np.empty_like(p)
    adjusted[order] = stepped
    return adjusted


def _usable_segments(table: pd.DataFrame) -> pd.DataFrame:
    """Validated segment table without segments that have decided == 0.

    Columns: segment, failures, decided (failures and decided as int).
    """
    missing = set(SEGMENT_COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(f"table is missing columns {sorted(missing)}")
    counts = table[["failures", "decided"]].to_numpy(dtype=float)
    bad = np.isnan(counts).any() or (counts < 0).any() or (counts % 1 != 0).any()
    if bad or (counts[:, 0] > counts[:, 1]).any():
        raise ValueError("need whole numbers with 0 <= failures <= decided")
    segments = table["segment"].tolist()
    if len(set(segments)) < len(segments):
        raise ValueError("each segment must appear once")
    keep = counts[:, 1] > 0  # made from arrays: a few segments, where pandas' cut and cast cost a millisecond
    return pd.DataFrame({"segment": table["segment"].to_numpy()[keep], "failures": counts[keep, 0].astype(int),
                         "decided": counts[keep, 1].astype(int)}, columns=SEGMENT_COLUMNS)


def _contingency(usable: pd.DataFrame) -> np.ndarray:
    """k x 2 table of [failures, non-failures] per segment."""
    failures = usable["failures"].to_numpy()
    return np.column_stack([failures, usable["decided"].to_numpy() - failures])


def pairwise_fisher_holm(table: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Fisher's exact test (two-sided) for every pair of segments, Holm-adjusted.

    ``table`` has columns segment, failures, decided; segments with decided == 0
    are left out. Pairs follow the table order. Returns a DataFrame with columns
    segment_a, segment_b, p_value (raw), p_holm (Holm-adjusted over all pairs),
    significant (p_holm < alpha); empty with those columns if < 2 segments.
    """
    usable = _usable_segments(table)
    counts = _contingency(usable)
    pairs = list(combinations(range(len(usable)), 2))
    raw = [float(_scipy_stats().fisher_exact(counts[[i, j]]).pvalue) for i, j in pairs]
    adjusted = holm_adjust(raw)
    names = usable["segment"].to_numpy()
    return pd.DataFrame(
        {
            "segment_a": [names[i] for i, _ in pairs],
            "segment_b": [names[j] for _, j in pairs],
            "p_value": np.asarray(raw, dtype=float),
            "p_holm": adjusted,
            "significant": adjusted < alpha,
        },
        columns=PAIRWISE_COLUMNS,
    )


def segment_difference(table: pd.DataFrame, alpha: float = ALPHA) -> SegmentTest:
    """Test whether the failure rate (failures / decided) differs between segments.

    ``table`` has columns segment, failures, decided; segments with decided == 0
    are excluded, and fewer than 2 usable segments give METHOD_NONE with
    p_value None. "Small" means some expected count < MIN_EXPECTED_COUNT.
    * 2 segments, small: Fisher's exact test (two-sided).
    * 2 segments otherwise: Pearson chi-square without Yates' correction (the
      exact test already covers the small-count cases Yates was meant for).
    * > 2 segments otherwise: Pearson chi-square on the k x 2 table.
    * > 2 segments, small: pairwise Fisher with Holm correction (``pairwise``);
      p_value is the smallest Holm-adjusted p (a Bonferroni min-p global test),
      so "significant" means at least one pair differs after correction.
    """
    usable = _usable_segments(table)
    k = len(usable)
    if k < 2:
        return SegmentTest(METHOD_NONE, None, None, False, k)
    counts = _contingency(usable)
    small = bool((_scipy_stats().contingency.expected_freq(counts) < MIN_EXPECTED_COUNT).any())
    if small and k == 2:
        result = _scipy_stats().fisher_exact(counts)
        p = float(result.pvalue)
        return SegmentTest(METHOD_FISHER, float(result.statistic), p, p < alpha, k)
    if small:
        pairwise = pairwise_fisher_holm(usable, alpha)
        p = float(pairwise["p_holm"].min())
        return SegmentTest(METHOD_PAIRWISE, None, p, p < alpha, k, pairwise)
    result = _scipy_stats().chi2_contingency(counts, correction=False)
    p = float(result.pvalue)
    return SegmentTest(METHOD_CHI_SQUARE, float(result.statistic), p, p < alpha, k)


def format_p_value(p: float, label: str = "p") -> str:
    """'p = 0.41' (2 significant digits), 'p < 0.001', or 'p < 0.05' when
    rounding would push a significant p up to ALPHA."""
    if p < P_DISPLAY_FLOOR:
        return f"{label} < {P_DISPLAY_FLOOR:g}"
    text = f"{p:.2g}"
    if p < ALPHA <= float(text):
        return f"{label} < {ALPHA:g}"
    return f"{label} = {text}"


def describe_difference(test: SegmentTest, segment_label: str = "segments") -> str:
    """One plain-words sentence saying whether the segments really differ.

    ``segment_label`` is the plural noun for the segments, e.g. "business units".
    """
    if test.p_value is None:
        return (
            f"There are too few {segment_label} with decided pilots to test "
            "whether their failure rates differ."
        )
    label = "smallest adjusted p" if test.method == METHOD_PAIRWISE else "p"
    detail = f"({test.method}, {format_p_value(test.p_value, label)})"
    if test.significant:
        return f"The difference between {segment_label} is statistically significant {detail}."
    return f"The difference between {segment_label} could be chance {detail}."


# -------------------------------------------------------------------- survival


def _as_durations(durations: ArrayLike) -> np.ndarray:
    """1-d float array of finite, non-negative durations."""
    t = np.asarray(durations, dtype=float)
    if t.ndim != 1:
        raise ValueError("durations must be 1-dimensional")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("durations must be finite and >= 0")
    return t


def _as_observed(observed: ArrayLike, size: int) -> np.ndarray:
    """Boolean event indicator (True = event, False = censored)."""
    flags = np.asarray(observed)
    if flags.shape != (size,):
        raise ValueError("observed must have the same length as durations")
    if flags.dtype != bool and not np.isin(flags, [0, 1]).all():
        raise ValueError("observed must be boolean or 0/1")
    return flags.astype(bool)


def _event_kinds(
    event: ArrayLike, event_of_interest: object, censored_value: object, size: int
) -> np.ndarray:
    """Codes _CENSORED / _EVENT / _COMPETING for each subject."""
    codes = np.asarray(event, dtype=object)
    if codes.shape != (size,):
        raise ValueError("event must have the same length as durations")
    missing = pd.isna(codes)
    if pd.isna(censored_value):
        censored = missing
    elif missing.any():
        raise ValueError("event has missing values; pass censored_value=None")
    else:
        censored = codes == censored_value
    interest = (codes == event_of_interest) & ~censored
    return np.where(censored, _CENSORED, np.where(interest, _EVENT, _COMPETING))


def _event_counts(durations: np.ndarray, kinds: np.ndarray) -> pd.DataFrame:
    """Counts per distinct time; at risk = duration >= time (events before censorings).

    Columns: time, at_risk, events, competing, censored.
    """
    times, index = np.unique(durations, return_inverse=True)
    events, competing, censored = (
        np.bincount(index[kinds == code], minlength=times.size) for code in (_EVENT, _COMPETING, _CENSORED)
    )
    leaving = events + competing + censored
    at_risk = durations.size - (np.cumsum(leaving) - leaving)
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk.astype(int),
            "events": events,
            "competing": competing,
            "censored": censored,
        }
    )


def _with_origin(curve: pd.DataFrame, n: int, start: dict[str, float]) -> pd.DataFrame:
    """Prepend the time-0 row (n at risk, no events, ``start`` values)."""
    counts = {"at_risk": n, "events": 0, "competing": 0, "censored": 0}
    values = {"time": 0.0, **counts, **start}
    origin = pd.DataFrame({col: [values[col]] for col in curve.columns})
    if curve.empty:
        return origin.astype(curve.dtypes.to_dict())
    return pd.concat([origin, curve], ignore_index=True)


def _greenwood_loglog(
    survival: np.ndarray, n: np.ndarray, d: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greenwood SE of S and log(-log S) bounds, as R survival conf.type="log-log".

    Where S == 1 the bounds are (1, 1); where S == 0 SE and bounds are NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        greenwood = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
        se = survival * np.sqrt(greenwood)
        spread = np.exp(z * np.sqrt(greenwood) / np.abs(np.log(survival)))
        lower, upper = survival**spread, survival ** (1 / spread)
    lower = np.where(survival == 1, 1.0, lower)
    upper = np.where(survival == 1, 1.0, upper)
    dead = survival == 0
    return np.where(dead, np.nan, se), np.where(dead, np.nan, lower), np.where(dead, np.nan, upper)


def kaplan_meier(durations: ArrayLike, observed: ArrayLike, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Kaplan-Meier estimate with Greenwood SE and log-log confidence bounds.

    ``observed`` is True/1 for an event, False/0 for censored. One row per
    distinct time (event or censoring) after a time-0 origin row with survival 1;
    if some durations are exactly 0 there are two rows at time 0 (origin first).
    Bounds: exp(-exp(log(-log S) +/- z*se)) with se = sqrt(sum d/(n(n-d))) / |log S|
    (R survfit conf.type="log-log", Stata sts list); (1, 1) while S == 1,
    NaN where S == 0 (se too).
    Columns: time, at_risk, events, censored, survival, se, ci_low, ci_high.
    """
    t = _as_durations(durations)
    kinds = np.where(_as_observed(observed, t.size), _EVENT, _CENSORED)
    return _km_curve(_event_counts(t, kinds).drop(columns="competing"), t.size, confidence)


def kaplan_meier_whole(days: np.ndarray, observed: np.ndarray, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """kaplan_meier of whole-number durations (an integer array, >= 0), the same curve counted per value
    with bincount instead of sorted: linear in the number of subjects (3M stage spells at 1M pilots)."""
    if days.size and (days.min() < 0 or days.max() > MAX_WHOLE_DURATION):
        return kaplan_meier(days, observed, confidence)
    flags = _as_observed(observed, days.size)
    events = np.bincount(days[flags], minlength=int(days.max(initial=-1)) + 1)
    censored = np.bincount(days[~flags], minlength=events.size)
    return kaplan_meier_counts(events, censored, confidence)


def kaplan_meier_counts(events: np.ndarray, censored: np.ndarray, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """kaplan_meier of whole-number durations given as counts per duration (events[d], censored[d]: the
    subjects with an event, or censored, at d = 0, 1, ...): for callers that counted them already (the
    Stalls page counts each stage's spells per day once for its summary and its boxes)."""
    times = np.flatnonzero(events + censored)
    events, censored = events[times], censored[times]
    leaving = events + censored
    size = int(leaving.sum())
    at_risk = size - (np.cumsum(leaving) - leaving)
    table = pd.DataFrame({"time": times.astype(float), "at_risk": at_risk.astype(int), "events": events,
                          "censored": censored})
    return _km_curve(table, size, confidence)


def _km_curve(table: pd.DataFrame, size: int, confidence: float) -> pd.DataFrame:
    """The Kaplan-Meier curve from counts per distinct time (columns time, at_risk, events, censored)."""
    n = table["at_risk"].to_numpy(dtype=float)
    d = table["events"].to_numpy(dtype=float)
    survival = np.cumprod(1 - d / n)
    se, lower, upper = _greenwood_loglog(survival, n, d, _z_value(confidence))
    curve = table.assign(survival=survival, se=se, ci_low=lower, ci_high=upper)
    start = {"survival": 1.0, "se": 0.0, "ci_low": 1.0, "ci_high": 1.0}
    return _with_origin(curve, size, start)


def cumulative_incidence(
    durations: ArrayLike,
    event: ArrayLike,
    event_of_interest: object,
    censored_value: object = 0,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of one event type under competing risks.

    ``event`` holds event types (ints or strings); entries equal to
    ``censored_value`` (default 0; pass None to treat missing values as
    censored) are censored, every other type competes with ``event_of_interest``.
    F(t) = sum_{tj<=t} S(tj-) d_kj / n_j, S = Kaplan-Meier of "any event".
    se: delta-method variance of Marubini & Valsecchi (1995) / Pintilie (2006)
    eq. 4.4, not the Aalen-type variance of R cmprsk::cuminc (close, not equal).
    With no competing events F == 1 - KM and se == Greenwood SE.
    Bounds: log(-log F) transform (Choudhury 2002), always within [0, 1].
    Rows as in ``kaplan_meier``; the origin row has cif 0.
    Columns: time, at_risk, events, competing, censored, cif, se, ci_low, ci_high.
    """
    t = _as_durations(durations)
    kinds = _event_kinds(event, event_of_interest, censored_value, t.size)
    if not pd.isna(censored_value) and event_of_interest == censored_value:
        raise ValueError("event_of_interest cannot be the censoring code")
    table = _event_counts(t, kinds)
    cif, se, lower, upper = aalen_johansen(table["at_risk"].to_numpy(), table["events"].to_numpy(),
                                           table["competing"].to_numpy(), confidence)
    curve = table.assign(cif=cif, se=se, ci_low=lower, ci_high=upper)
    start = {"cif": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    return _with_origin(curve, t.size, start)


def _value_column(curve: pd.DataFrame, column: str | None) -> str:
    """The requested column, or "cif" / "survival" (whichever the curve has)."""
    if column is None:
        column = "cif" if "cif" in curve.columns else "survival"
    if column not in curve.columns:
        raise ValueError(f"curve has no column {column!r}")
    return column


def curve_value_at(curve: pd.DataFrame, times: ArrayLike, column: str | None = None) -> np.ndarray:
    """Right-continuous step-function value of ``curve[column]`` at ``times``.

    ``column`` defaults to "cif" for cumulative-incidence curves and "survival"
    for Kaplan-Meier curves. The value at t is that of the last row with
    time <= t (so events at t are included). NaN for t < 0, NaN t, and t beyond
    the curve's last row: that row is the maximum follow-up (censoring times are
    rows too), and the curve is unknown after it. Same shape as ``times``.
    """
    column = _value_column(curve, column)
    grid = curve["time"].to_numpy(dtype=float)
    values = curve[column].to_numpy(dtype=float)
    t = np.asarray(times, dtype=float)
    index = np.searchsorted(grid, t, side="right") - 1
    found = values[np.clip(index, 0, None)]
    outside = (index < 0) | (t > grid[-1]) | np.isnan(t)
    return np.where(outside, np.nan, found)


def median_time(curve: pd.DataFrame, column: str | None = None, level: float = 0.5) -> float | None:
    """First time the curve reaches ``level``; None if it never does.

    "Reaches" means >= level for cumulative-incidence curves and <= level for
    Kaplan-Meier curves (any column of a curve that has a "survival" column), so
    on a KM curve the defaults give the median and column="ci_low"/"ci_high"
    give the bounds of its confidence interval, as R's print.survfit does.
    """
    column = _value_column(curve, column)
    values = curve[column].to_numpy(dtype=float)
    if "survival" in curve.columns:
        reached = values <= level + LEVEL_TOLERANCE
    else:
        reached = values >= level - LEVEL_TOLERANCE
    hits = np.flatnonzero(reached)
    return float(curve["time"].iloc[hits[0]]) if hits.size else None


def numbers_at_risk(durations: ArrayLike, times: ArrayLike) -> np.ndarray:
    """How many subjects are still at risk (duration >= t) at each t in ``times``.

    Integer array with the shape of ``times``.
    """
    ordered = np.sort(_as_durations(durations))
    t = np.asarray(times, dtype=float)
    return ordered.size - np.searchsorted(ordered, t, side="left")
