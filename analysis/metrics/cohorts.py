"""Are we getting better? Time from start to production, with cancellation as a competing event
and in-flight pilots censored at the as-of date; start cohorts side by side.

Time is counted in months of DAYS_PER_MONTH days from the start date, so that a month means the
same length everywhere (the summary, the curves and the triangle).

The cohort triangle (``cohort_matrix``): rows are start cohorts (quarters or years), columns are
months since start, a cell is the share of the cohort that reached production (or was cancelled)
within that many months. A pilot has been *followed* m months when start + m months <= as-of. A cell
(cohort, m) is
- ``full`` when every pilot of the cohort has been followed m months: its share is final;
- ``partial`` when some but not all have: the share so far, a lower bound that can still rise
  (the pilots not yet m months old may still reach production within m months);
- ``none`` when no pilot has: the cohort is too young, the cell is blank (NaN), never zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# The numpy-only arithmetic lives in kernels (the summary's first run imports no pandas). EVENT_BLOCK and
# COUNTED_CELLS_MAX are read from this module at each call (tests set them here); the other names are kept
# importable from here.
from analysis.metrics.kernels import (
    COUNTED,
    COUNTED_CELLS_MAX,
    CURVE_VALUES,
    DAY_US,
    DAYS_PER_MONTH,
    EVENT_BLOCK,
    EVENT_CODES,
    KINDS,
    MAX_DAYS,
    NAT,
    _block_days,
    _counted_median,
    _curve_arrays,
    _outcomes,
    _reaching,
    _value_at,
    day_counts,
    event_arrays,
    production_summary,
    time_counts,
)
from analysis.metrics.stats import (
    format_p_value,
    segment_difference,
    wilson_interval,
)
from analysis.schema import BLANK

# Leaders ask about the first year: "how many reached production within 12 months?"
COMPARE_MONTHS = 12
# A cohort is compared with the same period one year earlier (the same quarter last year), so that
# seasonal patterns (budget cycles, year-end freezes) do not pass for progress.
PERIODS = {"quarter": ("Q", 4), "year": ("Y", 1)}
# Numbers at risk are shown every half year: often enough to see the risk set shrink, few enough
# columns to read.
AT_RISK_EVERY = 6
# Curves stop where fewer pilots than this remain at risk: past it one pilot moves the curve by ten
# points or more, and a late jump reads as a trend (Pocock, Clayton & Altman, Lancet 2002, advise
# curtailing survival plots where few remain at risk).
MIN_AT_RISK = 10
START_YEAR = "start_year"  # a pseudo-dimension: segment pilots by the year they started
OVERALL = "All pilots"

TIMES_COLUMNS = ["pilot_id", "start_date", "months", "event", "follow_up"]
# The columns of stats.cumulative_incidence, in its order.
CURVE_COLUMNS = ["time", "at_risk", "events", "competing", "censored", *CURVE_VALUES]
MATRIX_COLUMNS = ["cohort", "cohort_start", "month", "n", "followed", "production", "cancelled",
                  "production_share", "cancelled_share", "production_low", "production_high", "cancelled_low",
                  "cancelled_high", "observed"]


def cohort_columns(stages: list[str], dimensions: list[str]) -> list[str]:
    """Every column event_times reads, with the breakdown dimensions (segment_labels): what a page of
    cohorts needs of the pilots. A date column left out would read as all missing (_dates), so
    tests/test_views_fast.py pins the answers to the whole frame's."""
    return list(dict.fromkeys(["pilot_id", "start_date", "end_date", f"{stages[-1]}_date", "last_progress",
                               "reached_production", "cancelled", *dimensions]))


def _stamps(classified: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as int64 microseconds, datetime64[us]'s own numbers (NAT where missing; all NAT when the
    column is absent): compared and subtracted as integers, no NaT checks per operation."""
    if column not in classified:
        return np.full(len(classified), NAT, dtype=np.int64)
    return classified[column].to_numpy(dtype="datetime64[us]").view(np.int64)


def event_times(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """Months from start to production (production date), to cancellation (end date, else last
    progress), or to the as-of date for pilots still in flight (censored). An event dated after the
    as-of date had not happened on it: the pilot is censored at the as-of date. Whole days, floored as
    pandas' Timedelta.days counts them, divided by DAYS_PER_MONTH.

    Columns: pilot_id, start_date, months, event (1 production, 2 cancelled, 0 censored), follow_up
    (months from start to the as-of date). Pilots without a start date, started after the as-of date,
    or whose event has no date, are left out. When none is, pilot_id and start_date are the input's own
    arrays (copy-on-write), not copies.

    Worked out EVENT_BLOCK pilots at a time: the dozen temporaries stay in the CPU cache and are reused, where
    at 1M pilots each was a fresh 8 MB array (a third less time: 13-23 ms a call instead of 19-35 ms).
    """
    if as_of is None or "start_date" not in classified:
        return pd.DataFrame({"pilot_id": pd.Series(dtype=str), "start_date": pd.Series(dtype="datetime64[us]"),
                             **{c: pd.Series(dtype=float) for c in TIMES_COLUMNS[2:]}})
    day = np.datetime64(pd.Timestamp(as_of).as_unit("us")).astype(np.int64)
    inputs = [_stamps(classified, c) for c in (f"{stages[-1]}_date", "end_date", "last_progress", "start_date")]
    inputs += [classified[c].to_numpy(dtype=bool) for c in ("reached_production", "cancelled")]
    months, event, follow_up, kept = event_arrays(inputs, day, EVENT_BLOCK)
    columns = {"pilot_id": classified["pilot_id"].array, "start_date": classified["start_date"].array}
    if not kept.all():
        months, event, follow_up = months[kept], event[kept], follow_up[kept]
        columns = {c: v[kept] for c, v in columns.items()}
    return pd.DataFrame({**columns, "months": months, "event": event, "follow_up": follow_up}, copy=False)


def _time_counts(times: pd.DataFrame, codes: np.ndarray | None = None,
                 segments: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The distinct months of ``times``, sorted, and how many pilots of each segment left the risk set at each:
    an array [segment, outcome (censored, production, cancelled, any other code), month]. ``codes`` gives each
    row's segment (0 .. segments - 1; -1: not counted); None puts every row in one. No sort of the pilots: a
    few thousand distinct days however many pilots, so this costs a pass or two over the rows (by day when the
    months are whole days, _day_counts; else ranked, in place on one array: at 1M pilots each fresh array costs
    as much again in page faults as the pass that fills it)."""
    return time_counts(times["months"].to_numpy(dtype=float), times["event"].to_numpy(), codes, segments,
                       _ranked_months, EVENT_BLOCK, COUNTED_CELLS_MAX)


def _day_counts(months: np.ndarray, event: np.ndarray, codes: np.ndarray | None,
                segments: int) -> tuple[np.ndarray, np.ndarray] | None:
    """kernels.day_counts with this module's EVENT_BLOCK and COUNTED_CELLS_MAX."""
    return day_counts(months, event, codes, segments, EVENT_BLOCK, COUNTED_CELLS_MAX)


@dataclass(frozen=True, eq=False)
class SegmentCounts:
    """The distinct months, sorted, and how many pilots of each segment (in order) left the risk set at each:
    counts[segment, outcome (censored, production, cancelled, any other code), month]."""

    months: np.ndarray
    counts: np.ndarray


def segment_counts(times: pd.DataFrame, labels: pd.Series, order: list[str]) -> SegmentCounts:
    """What segment_curves and at_risk_table are made from, counted once for both when passed to them as
    ``counts`` (one pass over the pilots instead of two). ``labels`` and ``order`` as they take them."""
    return SegmentCounts(*_time_counts(times, _segment_codes(labels, order), len(order)))


def _ranked_months(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``months``, sorted, and the position of each value among them (hashed: for
    months that are not whole days, which _day_counts counts)."""
    found, distinct = pd.factorize(months)
    order = np.argsort(distinct)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return distinct[order], rank[found]


def incidence_curves(times: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence of production and of cancellation (competing events): for each,
    the frame stats.cumulative_incidence(times["months"], times["event"], code) gives, computed once for
    both."""
    months, counts = _time_counts(times)
    arrays = _curve_arrays(months, counts[0])
    return {kind: pd.DataFrame({c: arrays[kind][c] for c in CURVE_COLUMNS}) for kind in KINDS}


def production_medians(times: pd.DataFrame) -> tuple[float | None, float | None]:
    """Median months to production, two ways, from one count of the distinct months: where the cumulative
    incidence of production first reaches one half (stats.median_time of incidence_curves' production curve;
    None when it never does), and the median months of the pilots that reached production (as np.median of
    their months; None when none did)."""
    if times.empty:
        return None, None
    months, counts = _time_counts(times)
    curve = _curve_arrays(months, counts[0])["production"]
    reaching = _reaching(curve["time"], curve["cif"])
    return None if np.isnan(reaching) else reaching, _counted_median(months, counts[0, COUNTED.index("production")])


def time_to_production(times: pd.DataFrame) -> dict:
    """The summary's time_to_production block: incidence at 6, 12, 24 months and the median (the values
    stats.curve_value_at and stats.median_time give on incidence_curves' curves; kernels.production_summary)."""
    if times.empty:
        return production_summary(None, None)
    months, counts = _time_counts(times)
    return production_summary(months, counts[0])


# ------------------------------------------------------------------ the triangle


def cohort_periods(start_dates: pd.Series, period: str = "quarter") -> pd.Series:
    """The start cohort (a pandas Period, quarterly or yearly) of each start date."""
    return start_dates.dt.to_period(PERIODS[period][0])


def cohort_label(cohort: pd.Period) -> str:
    """'2025 Q1' for a quarter, '2025' for a year."""
    return f"{cohort.year} Q{cohort.quarter}" if cohort.freqstr.startswith("Q") else str(cohort.year)


def cohort_labels(start_dates: pd.Series, period: str = "quarter") -> pd.Series:
    """cohort_label of each start date's cohort: the labels of ``cohort_periods(...).map(cohort_label)``, as a
    categorical (each distinct cohort labelled once rather than every pilot; NaN without a start date)."""
    codes, cohorts = _cohort_codes(start_dates, period)
    labels = pd.Categorical.from_codes(codes, categories=[cohort_label(c) for c in cohorts])
    return pd.Series(labels, index=start_dates.index, name=start_dates.name)


def _cohort_codes(start_dates: pd.Series, period: str) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Each pilot's position in the sorted start cohorts (-1 without a start date), and those cohorts. Dates
    are turned into periods once per distinct day."""
    day_codes, days = _day_codes(start_dates)
    cohort_of_day, cohorts = pd.factorize(pd.DatetimeIndex(days).to_period(PERIODS[period][0]), sort=True)
    return np.append(cohort_of_day, -1)[day_codes], cohorts


def _day_codes(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each date's position among the distinct days the dates fall on (-1 for a missing date), and those days
    (datetime64[s], sorted). Counted per day over the range of the dates (a few thousand days however many
    pilots) rather than hashed: a third of the time of pd.factorize at 1M pilots."""
    stamps = dates.to_numpy(dtype="datetime64[us]").view(np.int64)
    present = stamps != NAT
    every = bool(present.all())
    days = (stamps if every else stamps[present]) // DAY_US
    if not days.size:
        return np.full(stamps.size, -1, dtype=np.intp), np.array([], dtype="datetime64[s]")
    first = days.min()
    if days.max() - first >= MAX_DAYS:  # dates centuries apart: sort them instead
        distinct, position = np.unique(days, return_inverse=True)
    else:
        days -= first
        seen = np.bincount(days) > 0
        distinct, position = np.flatnonzero(seen) + first, (np.cumsum(seen) - 1)[days]
    if every:
        return position, distinct.astype("datetime64[D]").astype("datetime64[s]")
    codes = np.full(stamps.size, -1, dtype=np.intp)
    codes[present] = position
    return codes, distinct.astype("datetime64[D]").astype("datetime64[s]")


def _grid_rank(values: np.ndarray, months: np.ndarray, step: int, side: str) -> np.ndarray:
    """np.searchsorted(months, values, side) on the grid months = step, 2 step, ...: for "right" how many months
    are <= each value, for "left" how many are < it. Computed by division (a binary search per pilot was the
    slow part at 100k pilots), then corrected by one where rounding put a value on the wrong side of a grid
    month, so every comparison is the exact one. A NaN value compares false with every month: rank 0 for
    "right" (followed no month), len(months) for "left" (within no month)."""
    right = side == "right"
    with np.errstate(invalid="ignore"):
        estimate = np.floor(values / step) if right else np.ceil(values / step) - 1
    rank = np.fmax(np.fmin(estimate, months.size), 0).astype(np.intp)  # NaN -> len(months), set below
    fits = np.less_equal if right else np.less  # a grid month counts when it is <= (< for "left") the value
    rank += fits(np.append(months, np.inf)[rank], values)
    rank -= ~fits(np.append(-np.inf, months)[rank], values)
    rank[np.isnan(values)] = 0 if right else months.size
    return rank


def _day_table(values: np.ndarray, grid: np.ndarray, side: str) -> np.ndarray | None:
    """np.searchsorted(grid, d / DAYS_PER_MONTH, side) for each whole day d from 0 to the largest of ``values``:
    the grid rank of every value that is such a day, looked up instead of compared (_grid_rank) pilot by pilot.
    None when the values do not all lie from 0 to under MAX_DAYS days (NaN among them, too)."""
    if not values.size or not (values.min() >= 0 and values.max() * DAYS_PER_MONTH < MAX_DAYS):
        return None
    return np.searchsorted(grid, np.arange(int(np.rint(values.max() * DAYS_PER_MONTH)) + 1) / DAYS_PER_MONTH,
                           side=side)


def _cell_keys(codes: np.ndarray, follow_up: np.ndarray, months: np.ndarray, event: np.ndarray, grid: np.ndarray,
               step: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pilot's keys among _cohort_cells' counters: cohort x how many grid months its follow-up reaches, and
    cohort x how many grid months lie before its months x outcome (the first grid month >= them)."""
    keys = _day_cell_keys(codes, follow_up, months, event, grid)
    if keys is not None:
        return keys
    row = codes * (grid.size + 1)
    reach = _grid_rank(follow_up, grid, step, "right")
    reach += row
    first = _grid_rank(months, grid, step, "left")
    first += row
    first *= len(COUNTED) + 1
    first += _outcomes(event)
    return reach, first


def _day_cell_keys(codes: np.ndarray, follow_up: np.ndarray, months: np.ndarray, event: np.ndarray,
                   grid: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """_cell_keys for follow-ups and months that are whole days (as event_times makes them, checked exactly):
    ranked by table (_day_table), EVENT_BLOCK pilots at a time so that the temporaries stay in the CPU cache.
    None when a value is not such a day."""
    tables = _day_table(follow_up, grid, "right"), _day_table(months, grid, "left")
    if tables[0] is None or tables[1] is None:
        return None
    width, outcomes = grid.size + 1, len(COUNTED) + 1
    reach, first = np.empty(codes.size, dtype=np.intp), np.empty(codes.size, dtype=np.intp)
    for start in range(0, codes.size, EVENT_BLOCK):
        rows = slice(start, start + EVENT_BLOCK)
        follow_days, days = _block_days(follow_up[rows]), _block_days(months[rows])
        if follow_days is None or days is None:
            return None
        row = codes[rows] * width
        np.add(tables[0][follow_days], row, out=reach[rows])
        key = tables[1][days]
        key += row
        key *= outcomes
        key += _outcomes(event[rows])
        first[rows] = key
    return reach, first


def _cohort_cells(codes: np.ndarray, cohorts: int, times: pd.DataFrame, months: np.ndarray,
                  step: int) -> dict[str, np.ndarray]:
    """Counts per cohort (rows) at each month (columns): pilots followed that long, and those that reached
    production / were cancelled within that many months. Each pilot is counted once, at the first column
    it qualifies for (followed: the last), then summed along the row: exact integer counts."""
    seen = codes >= 0
    every = seen.all()
    follow_up, months_, event = (times[c].to_numpy() for c in ("follow_up", "months", "event"))
    if not every:
        codes, follow_up, months_, event = codes[seen], follow_up[seen], months_[seen], event[seen]
    width, outcomes = months.size + 1, len(COUNTED) + 1
    reach, first = _cell_keys(codes, follow_up.astype(float, copy=False), months_.astype(float, copy=False), event,
                              months, step)
    reach = np.bincount(reach, minlength=cohorts * width).reshape(cohorts, width)
    first = np.bincount(first, minlength=cohorts * width * outcomes).reshape(cohorts, width, outcomes)
    return {"n": reach.sum(axis=1),  # each pilot of a cohort counted once
            "followed": reach[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:],  # follow-up reaches the month
            **{kind: first[:, :, COUNTED.index(kind)].cumsum(axis=1)[:, :-1] for kind in KINDS}}  # event by then


def cohort_matrix(times: pd.DataFrame, period: str = "quarter", step: int = 1) -> pd.DataFrame:
    """The cohort triangle, long: one row per (start cohort, month since start), months step, 2*step,
    ... up to the longest follow-up. See the module docstring for full / partial / none.

    Columns: cohort (label), cohort_start (first day), month, n (pilots in the cohort), followed
    (pilots followed that many months), production, cancelled (pilots that reached production / were
    cancelled within that many months, as far as is known on the as-of date), production_share,
    cancelled_share (count / n; NaN in blank cells), production_low, production_high, cancelled_low,
    cancelled_high (95% Wilson interval of the share in full cells, where it is an exact proportion;
    NaN elsewhere), observed ("full", "partial", "none").
    """
    if times.empty:
        return pd.DataFrame({c: [] for c in MATRIX_COLUMNS})
    months = np.arange(step, int(times["follow_up"].max() // step) * step + 1, step)
    codes, cohorts = _cohort_codes(times["start_date"], period)
    if cohorts.empty:
        return pd.DataFrame({c: [] for c in MATRIX_COLUMNS})
    cells = _cohort_cells(codes, len(cohorts), times, months, step)
    row = np.repeat(np.arange(len(cohorts)), months.size)  # the cohort of each cell, row by row
    columns = {"cohort": pd.Series([cohort_label(c) for c in cohorts]).array.take(row),
               "cohort_start": cohorts.start_time.as_unit("us")[row], "month": np.tile(months, len(cohorts)),
               "n": cells.pop("n")[row], **{k: v.ravel() for k, v in cells.items()}}
    n = columns["n"]
    seen, full = columns["followed"] > 0, columns["followed"] == n
    for kind in KINDS:
        columns[f"{kind}_share"] = np.where(seen, columns[kind] / n, np.nan)
        low, high = wilson_interval(columns[kind], n)
        columns[f"{kind}_low"], columns[f"{kind}_high"] = np.where(full, low, np.nan), np.where(full, high, np.nan)
    columns["observed"] = np.select([full, seen], ["full", "partial"], "none")
    return pd.DataFrame({c: columns[c] for c in MATRIX_COLUMNS})


def cohort_trend(matrix: pd.DataFrame, kind: str = "production", month: int = COMPARE_MONTHS) -> pd.DataFrame:
    """The triangle's column at ``month``, pooled by start year over the years whose every cohort has been
    followed that long in full: the plain share, and the very number the curves by start year give for
    those years (no pilot of them is censored before ``month``), so the triangle's title and the curves'
    cannot disagree. A year with a cohort still young is left out (the curves speak for it).

    Columns: year, cohorts (how many pooled), n, count (pilots with the event within ``month``), share.
    """
    cohorts = matrix.drop_duplicates("cohort_start")
    cells = matrix[(matrix["month"] == month) & (matrix["observed"] == "full")]
    all_years = cohorts["cohort_start"].dt.year.to_numpy()
    full_years = cells["cohort_start"].dt.year.to_numpy()
    years, every = np.unique(all_years, return_counts=True)
    whole = years[every == np.array([np.count_nonzero(full_years == y) for y in years], dtype=np.int64)]
    cells = cells[np.isin(full_years, whole)]
    if cells.empty:
        return pd.DataFrame({c: [] for c in ["year", "cohorts", "n", "count", "share"]})
    years, year = np.unique(cells["cohort_start"].dt.year.to_numpy(), return_inverse=True)
    n, count = (np.bincount(year, cells[c].to_numpy(), minlength=years.size).astype(np.int64) for c in ("n", kind))
    return pd.DataFrame({"year": years, "cohorts": np.bincount(year, minlength=years.size), "n": n, "count": count,
                         "share": count / n})


def _step(matrix: pd.DataFrame) -> int:
    """The step of a cohort_matrix's months (its first month); 0 for an empty matrix, which divides nothing."""
    return int(matrix["month"].iloc[0]) if len(matrix) else 0


def cohort_pilots(pilots: pd.DataFrame, times: pd.DataFrame, labels: pd.Series, cohort: str) -> pd.DataFrame:
    """The rows of ``pilots`` whose pilot is in ``times`` with the cohort label ``cohort`` (``labels`` from
    cohort_labels, aligned with times)."""
    return pilots[_cohort_members(pilots, times, labels, cohort)]


def cohort_index(pilots: pd.DataFrame, times: pd.DataFrame, labels: pd.Series, cohort: str) -> np.ndarray:
    """The index of cohort_pilots(pilots, times, labels, cohort) (a pilots_for frame's index holds the view's
    positions, which is all a pilot table needs), without cutting every column of the pilots."""
    return pilots.index.to_numpy()[_cohort_members(pilots, times, labels, cohort)]


def _cohort_members(pilots: pd.DataFrame, times: pd.DataFrame, labels: pd.Series, cohort: str) -> np.ndarray:
    """Which rows of ``pilots`` cohort_pilots keeps. When times holds every pilot with the very ids of ``pilots``
    (event_times left nobody out and shares the id array), its rows are the pilots' rows and are taken as they
    are: pilot ids are unique in a dataset (validate rejects a repeat), so these are the pilots the ids match.
    Otherwise the ids are matched with pyarrow's hash lookup (pandas' isin on Arrow-backed strings converts
    every id to a Python string first: 10 ms at 100k pilots, against 1; the lookup still takes 17 ms at 1M)."""
    chosen = (labels == cohort).to_numpy()
    if len(times) == len(pilots) and times["pilot_id"].array is pilots["pilot_id"].array:
        return chosen
    ids = times.loc[chosen, "pilot_id"]
    member = pc.is_in(pa.array(pilots["pilot_id"], type=pa.large_string()),
                      value_set=pa.array(ids, type=pa.large_string()))
    return member.to_numpy(zero_copy_only=False)


# ------------------------------------------------------- comparing two cohorts


MIN_GAP = 0.05  # a gap under 5 points of share is not called clear, however sure the test is


@dataclass(frozen=True)
class CohortComparison:
    """The latest cohort followed ``month`` months in full, against the same period a year earlier.

    earlier is None when no pilot started in that period; p_value (Fisher's exact or chi-square test
    of the two shares, see stats.segment_difference) is None then too.
    """

    month: int
    cohort: str
    n: int
    reached: int
    earlier: str | None = None
    earlier_n: int = 0
    earlier_reached: int = 0
    p_value: float | None = None
    significant: bool = False

    @property
    def share(self) -> float:
        return self.reached / self.n

    @property
    def earlier_share(self) -> float:
        return self.earlier_reached / self.earlier_n if self.earlier_n else float("nan")

    @property
    def sentence(self) -> str:
        """'Of the 41 pilots started in 2025 Q3, 15% (6) reached production within 12 months, against
        9% (4 of 45) of those started in 2024 Q3 (...).'"""
        text = (f"Of the {self.n:,} pilots started in {self.cohort}, {self.share:.0%} ({self.reached:,}) "
                f"reached production within {self.month} months")
        if self.earlier is None:
            return text + "; no pilots started a year earlier to compare with."
        text += (f", against {self.earlier_share:.0%} ({self.earlier_reached:,} of {self.earlier_n:,}) of "
                 f"those started in {self.earlier}")
        if self.p_value is None:
            return text + "."
        if not self.significant:  # "p = 1" says nothing to a leader; what it means does
            return text + ": no clear difference (a gap this size could be chance)."
        if abs(self.share - self.earlier_share) < MIN_GAP:
            return text + f": a real but small difference ({format_p_value(self.p_value)})."
        direction = "better" if self.share > self.earlier_share else "worse"
        return text + f": clearly {direction}, unlikely to be chance ({format_p_value(self.p_value)})."


def cohort_comparison(times: pd.DataFrame, month: int = COMPARE_MONTHS, period: str = "quarter",
                      matrix: pd.DataFrame | None = None) -> CohortComparison | None:
    """Compare the latest cohort whose every pilot has been followed ``month`` months with the same
    period one year earlier. Both shares are then exact proportions (no censoring), so they are
    compared with an ordinary two-sample test. None when no cohort has been followed that long.

    ``matrix``: cohort_matrix(times, period, step) already made with a step dividing ``month`` (the page's
    triangle): its cells at ``month`` are those this needs, so they are not counted again."""
    if matrix is None or month % _step(matrix):
        full = _full_cells(times, period, month)
    else:
        full = matrix[(matrix["month"] == month) & (matrix["observed"] == "full")]
    if full.empty:
        return None
    latest = full.iloc[-1]
    lag = PERIODS[period][1]
    year_before = (pd.Period(latest["cohort_start"], PERIODS[period][0]) - lag).start_time
    earlier = full[full["cohort_start"] == year_before]
    base = CohortComparison(month, latest["cohort"], int(latest["n"]), int(latest["production"]))
    if earlier.empty:
        return base
    row = earlier.iloc[0]
    test = segment_difference(pd.DataFrame({"segment": [base.cohort, row["cohort"]],
                                            "failures": [base.reached, int(row["production"])],
                                            "decided": [base.n, int(row["n"])]}))
    return CohortComparison(month, base.cohort, base.n, base.reached, row["cohort"], int(row["n"]),
                            int(row["production"]), test.p_value, test.significant)


def _full_cells(times: pd.DataFrame, period: str, month: int) -> pd.DataFrame:
    """The full cells of the triangle's column at ``month`` (cohort_matrix(times, period, step) for any step
    dividing it: its columns cohort, cohort_start, n, production, in cohort order), counted directly: a cohort
    is full there when every pilot's follow-up reaches ``month``, and counts the pilots that reached production
    within it. Three comparisons per pilot instead of ranking every pilot on the whole grid of months."""
    codes, cohorts = _cohort_codes(times["start_date"], period)
    key = codes * 4  # each pilot's cohort, whether followed that long (+1), whether it reached production (+2)
    key += times["follow_up"].to_numpy(dtype=float) >= month
    key += ((times["event"].to_numpy() == EVENT_CODES["production"]) &
            (times["months"].to_numpy(dtype=float) <= month)).view(np.int8) * np.int8(2)
    seen = codes >= 0
    counts = np.bincount(key if seen.all() else key[seen], minlength=4 * len(cohorts)).reshape(len(cohorts), 4)
    n, followed, reached = counts.sum(axis=1), counts[:, 1] + counts[:, 3], counts[:, 2] + counts[:, 3]
    cells = pd.DataFrame({"cohort": [cohort_label(c) for c in cohorts],
                          "cohort_start": cohorts.start_time.as_unit("us"), "n": n, "production": reached})
    return cells[(followed == n) & (n > 0)]


def comparison_sentence(times: pd.DataFrame, month: int = COMPARE_MONTHS,
                        matrix: pd.DataFrame | None = None) -> str | None:
    """The Overview's sentence on cohorts; None when there are no dated pilots to speak of. ``matrix``: a
    quarterly cohort_matrix of ``times`` already made (see cohort_comparison)."""
    if times.empty:
        return None
    comparison = cohort_comparison(times, month, matrix=matrix)
    if comparison is None:
        return (f"No start quarter has been followed for {month} months yet, so cohorts cannot be "
                "compared.")
    return comparison.sentence


# ------------------------------------------------------------------ by segment


def segment_labels(classified: pd.DataFrame, times: pd.DataFrame, by: str | None) -> pd.Series:
    """The segment of each row of ``times``: the start year, the value of a dimension of the pilot
    (blank values as BLANK), or OVERALL when ``by`` is None. Start years and OVERALL come as a categorical
    (one label per year, not per pilot: cheap to make and to group by)."""
    if by is None:
        return pd.Series(pd.Categorical.from_codes(np.zeros(len(times), dtype=int), [OVERALL]), index=times.index)
    if by == START_YEAR:
        codes, years = _year_codes(times["start_date"])
        return pd.Series(pd.Categorical.from_codes(codes, [str(y) for y in years]), index=times.index,
                         name="start_date")
    values = classified.set_index("pilot_id")[by].astype("string")
    return times["pilot_id"].map(values).fillna(BLANK).replace("", BLANK).astype(str)


def _year_codes(start_dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize(start_dates.dt.year, sort=True), each distinct day's year taken once (_day_codes) rather
    than every pilot's. Missing dates (not in event_times' frame) take the pandas way, whose years are floats."""
    day_codes, days = _day_codes(start_dates)
    if (day_codes < 0).any():
        return pd.factorize(start_dates.dt.year, sort=True)
    year_of_day, years = pd.factorize(pd.DatetimeIndex(days).year, sort=True)
    return year_of_day[day_codes], years


def segment_order(labels: pd.Series, by: str | None) -> list[str]:
    """Start years in time order; other segments largest first (ties by name)."""
    counts = labels.value_counts()
    if by == START_YEAR:
        return sorted(counts.index)
    return sorted(counts.index, key=lambda s: (-counts[s], s))


def segment_curves(times: pd.DataFrame, labels: pd.Series, order: list[str], min_at_risk: int = MIN_AT_RISK,
                   counts: SegmentCounts | None = None) -> pd.DataFrame:
    """Cumulative incidence of production and of cancellation per segment (competing events), each
    curve cut where fewer than ``min_at_risk`` pilots remain at risk (a segment smaller than that
    keeps only its origin row: too few pilots for a curve). ``counts``: segment_counts(times, labels, order),
    when the caller has them.

    Columns: segment, n, kind ("production" or "cancelled"), then the columns of
    stats.cumulative_incidence: time, at_risk, events, competing, censored, cif, se, ci_low, ci_high.
    """
    counts = segment_counts(times, labels, order) if counts is None else counts
    months, counts = counts.months, counts.counts
    columns: dict[str, list] = {c: [] for c in ["segment", "n", "kind", *CURVE_COLUMNS]}
    for i in range(len(order)):
        for j, curve in enumerate(_curve_arrays(months, counts[i]).values()):
            kept = curve["at_risk"] >= min_at_risk
            kept[0] = True  # the origin row
            for c in CURVE_COLUMNS:
                columns[c].append(curve[c][kept])
            for c, value in (("segment", i), ("n", curve["at_risk"][0]), ("kind", j)):
                columns[c].append(np.full(int(kept.sum()), value))
    columns = {c: np.concatenate(v) for c, v in columns.items()}
    # Labels taken from one array each: the dtype assign(segment=..., kind=...) would give, far cheaper.
    columns["segment"], columns["kind"] = (pd.Series(names).array.take(columns[c])
                                           for c, names in (("segment", order), ("kind", KINDS)))
    return pd.DataFrame(columns)


def _segment_codes(labels: pd.Series, order: list[str]) -> np.ndarray:
    """Each row's position in ``order`` (-1 when its segment is not there), ``labels`` being aligned with the
    rows of times (as segment_labels gives them): integers to count by, far cheaper than comparing every
    label with every segment."""
    if isinstance(labels.dtype, pd.CategoricalDtype):  # start years, OVERALL: the codes it has (-1 for NaN)
        codes, uniques = labels.cat.codes.to_numpy(), labels.cat.categories
    else:
        codes, uniques = pd.factorize(labels)
    position = {s: i for i, s in enumerate(order)}
    return np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.intp)[codes]


def segment_summary(curves: pd.DataFrame, month: int = COMPARE_MONTHS) -> pd.DataFrame:
    """Per segment: cumulative incidence of each event at ``month`` with its 95% bounds (NaN when the
    segment has not been followed that long), and the median months to production (NaN when the
    production curve never reaches one half).

    Columns: segment, n, production, production_low, production_high, cancelled, cancelled_low,
    cancelled_high, median_months.
    """
    segments, first, blocks = curve_rows(curves)
    time, n = curves["time"].to_numpy(dtype=float), curves["n"].to_numpy()
    values = {c: curves[c].to_numpy(dtype=float) for c in ("cif", "ci_low", "ci_high")}
    rows = []
    for i, segment in enumerate(segments):
        row = {"segment": segment, "n": int(n[first[i]])}
        for kind in KINDS:
            at = blocks[kind][i]
            for suffix, col in (("", "cif"), ("_low", "ci_low"), ("_high", "ci_high")):
                row[kind + suffix] = _value_at(time[at], values[col][at], month)
        at = blocks["production"][i]
        rows.append({**row, "median_months": _reaching(time[at], values["cif"][at])})
    return pd.DataFrame(rows)


def curve_rows(curves: pd.DataFrame) -> tuple[pd.Index, np.ndarray, dict[str, list[np.ndarray]]]:
    """Where each curve of segment_curves' frame lies: the segments in order of appearance (as
    groupby(sort=False) gives them), the position of each one's first row, and for each kind the positions
    of each segment's rows, in order. One pass over the labels instead of a string comparison per segment
    and kind (a tenth of the cost at 100k pilots)."""
    codes, segments = pd.factorize(curves["segment"])
    present, first = np.unique(codes, return_index=True)
    kind = curves["kind"].to_numpy()
    blocks = {}
    for k in KINDS:
        rows = np.flatnonzero(kind == k)
        rows = rows[np.argsort(codes[rows], kind="stable")]
        bounds = np.searchsorted(codes[rows], np.arange(len(segments) + 1))
        blocks[k] = [rows[bounds[i]:bounds[i + 1]] for i in range(len(segments))]
    return segments, first[present >= 0], blocks


def at_risk_table(times: pd.DataFrame, labels: pd.Series, order: list[str], every: int = AT_RISK_EVERY,
                  counts: SegmentCounts | None = None) -> pd.DataFrame:
    """Pilots still at risk (neither in production, cancelled nor censored before) at 0, 6, 12, ...
    months, one row per segment. Index: segment; columns: the months (int). ``counts``:
    segment_counts(times, labels, order), when the caller has them."""
    longest = float(times["months"].max()) if len(times) else 0.0
    grid = np.arange(0, longest + 1e-9, every)
    counts = segment_counts(times, labels, order) if counts is None else counts
    months, counts = counts.months, counts.counts
    later = np.cumsum(counts.sum(axis=1)[:, ::-1], axis=1)[:, ::-1]  # pilots with months >= each distinct month
    later = np.concatenate([later, np.zeros((len(order), 1), dtype=later.dtype)], axis=1)
    at_risk = later[:, np.searchsorted(months, grid, side="left")]  # = stats.numbers_at_risk of each segment
    rows = {s: at_risk[i] for i, s in enumerate(order)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[int(m) for m in grid])
