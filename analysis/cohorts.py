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

from analysis.queries import BLANK
from analysis.stats import (
    aalen_johansen,
    curve_value_at,
    format_p_value,
    median_time,
    numbers_at_risk,
    segment_difference,
    wilson_interval,
)

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
SUMMARY_MONTHS = [6, 12, 24]
EVENT_CODES = {"production": 1, "cancelled": 2, "censored": 0}
KINDS = ("production", "cancelled")
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
CURVE_VALUES = ["cif", "se", "ci_low", "ci_high"]
# The columns of stats.cumulative_incidence, in its order.
CURVE_COLUMNS = ["time", "at_risk", "events", "competing", "censored", *CURVE_VALUES]
MATRIX_COLUMNS = ["cohort", "cohort_start", "month", "n", "followed", "production", "cancelled",
                  "production_share", "cancelled_share", "production_low", "production_high", "cancelled_low",
                  "cancelled_high", "observed"]


def _event_dates(classified: pd.DataFrame, stages: list[str], as_of: dt.date) -> pd.Series:
    """The date each pilot left the risk set: production date (else end date) for pilots that reached
    production, end date (else last progress) for cancelled ones, the as-of date for the others."""
    prod_col = f"{stages[-1]}_date"
    production = classified[prod_col] if prod_col in classified else pd.Series(pd.NaT, index=classified.index)
    production = production.fillna(classified["end_date"].where(classified["reached_production"]))
    cancelled = classified["end_date"].fillna(classified["last_progress"])
    end = pd.Series(pd.Timestamp(as_of), index=classified.index, dtype="datetime64[us]")
    return end.mask(classified["reached_production"], production).mask(classified["cancelled"], cancelled)


def event_times(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """Months from start to production (production date), to cancellation (end date, else last
    progress), or to the as-of date for pilots still in flight (censored). An event dated after the
    as-of date had not happened on it: the pilot is censored at the as-of date.

    Columns: pilot_id, start_date, months, event (1 production, 2 cancelled, 0 censored), follow_up
    (months from start to the as-of date). Pilots without a start date, started after the as-of date,
    or whose event has no date, are left out.
    """
    if as_of is None or "start_date" not in classified:
        return pd.DataFrame({"pilot_id": pd.Series(dtype=str), "start_date": pd.Series(dtype="datetime64[us]"),
                             **{c: pd.Series(dtype=float) for c in TIMES_COLUMNS[2:]}})
    end = _event_dates(classified, stages, as_of)
    event = np.select([classified["reached_production"], classified["cancelled"]], [1, 2], 0)
    late = (end > pd.Timestamp(as_of)).to_numpy()
    end = end.mask(late, pd.Timestamp(as_of))
    start = classified["start_date"]
    frame = pd.DataFrame({"pilot_id": classified["pilot_id"], "start_date": start,
                          "months": (end - start).dt.days / DAYS_PER_MONTH, "event": np.where(late, 0, event),
                          "follow_up": (pd.Timestamp(as_of) - start).dt.days / DAYS_PER_MONTH})
    return frame[frame["months"].notna() & (frame["months"] >= 0)].reset_index(drop=True)


def _durations(times: pd.DataFrame) -> np.ndarray:
    """The months column, checked as stats.cumulative_incidence checks durations."""
    months = times["months"].to_numpy(dtype=float)
    if not np.all(np.isfinite(months)) or np.any(months < 0):
        raise ValueError("durations must be finite and >= 0")
    return months


def _curve_arrays(months: np.ndarray, event: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Both Aalen-Johansen curves of pilots sorted by months, as arrays keyed by the columns of
    stats.cumulative_incidence (origin row first). The counts per distinct time are those of
    stats.cumulative_incidence and the arithmetic is its own (stats.aalen_johansen), so the numbers are
    the same; only the per-curve sorting and DataFrames are saved (one sort serves every segment)."""
    new = np.ones(months.size, dtype=bool)
    new[1:] = months[1:] != months[:-1]
    group = np.cumsum(new) - 1
    size = np.bincount(group, minlength=int(new.sum()))
    censored = np.bincount(group[event == EVENT_CODES["censored"]], minlength=size.size)
    at_risk = months.size - (np.cumsum(size) - size)
    head = {"time": np.concatenate(([0.0], months[new])), "at_risk": np.concatenate(([months.size], at_risk)),
            "censored": np.concatenate(([0], censored))}
    curves = {}
    for kind in KINDS:
        events = np.bincount(group[event == EVENT_CODES[kind]], minlength=size.size)
        competing = size - events - censored
        values = aalen_johansen(at_risk, events, competing)
        curves[kind] = {**head, "events": np.concatenate(([0], events)), "competing": np.concatenate(([0], competing)),
                        **{c: np.concatenate(([0.0], v)) for c, v in zip(CURVE_VALUES, values)}}
    return curves


def incidence_curves(times: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence of production and of cancellation (competing events): for each,
    the frame stats.cumulative_incidence(times["months"], times["event"], code) gives, computed once for
    both."""
    months = _durations(times)
    order = np.argsort(months, kind="stable")
    arrays = _curve_arrays(months[order], times["event"].to_numpy()[order])
    return {kind: pd.DataFrame({c: arrays[kind][c] for c in CURVE_COLUMNS}) for kind in KINDS}


def time_to_production(times: pd.DataFrame) -> dict:
    """The summary's time_to_production block: incidence at 6, 12, 24 months and the median."""
    if times.empty:
        return {"at_months": SUMMARY_MONTHS, "production": [None] * 3, "cancelled": [None] * 3,
                "median_months": None}
    curves = incidence_curves(times)
    at = {k: [None if np.isnan(v) else float(v) for v in curve_value_at(c, SUMMARY_MONTHS, "cif")]
          for k, c in curves.items()}
    return {"at_months": SUMMARY_MONTHS, "production": at["production"], "cancelled": at["cancelled"],
            "median_months": median_time(curves["production"], "cif")}


# ------------------------------------------------------------------ the triangle


def cohort_periods(start_dates: pd.Series, period: str = "quarter") -> pd.Series:
    """The start cohort (a pandas Period, quarterly or yearly) of each start date."""
    return start_dates.dt.to_period(PERIODS[period][0])


def cohort_label(cohort: pd.Period) -> str:
    """'2025 Q1' for a quarter, '2025' for a year."""
    return f"{cohort.year} Q{cohort.quarter}" if cohort.freqstr.startswith("Q") else str(cohort.year)


def cohort_labels(start_dates: pd.Series, period: str = "quarter") -> pd.Series:
    """cohort_label of each start date's cohort (the same as ``cohort_periods(...).map(cohort_label)``,
    labelling each distinct cohort once rather than every pilot)."""
    codes, cohorts = _cohort_codes(start_dates, period)
    labels = np.array([cohort_label(c) for c in cohorts] + [np.nan], dtype=object)
    return pd.Series(labels[codes], index=start_dates.index, name=start_dates.name, dtype="str")


def _cohort_codes(start_dates: pd.Series, period: str) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Each pilot's position in the sorted start cohorts (-1 without a start date), and those cohorts. Dates
    are turned into periods once per distinct date."""
    date_codes, dates = pd.factorize(start_dates)
    cohort_of_date, cohorts = pd.factorize(pd.DatetimeIndex(dates).to_period(PERIODS[period][0]), sort=True)
    return np.append(cohort_of_date, -1)[date_codes], cohorts


def _cohort_cells(codes: np.ndarray, cohorts: int, times: pd.DataFrame, months: np.ndarray) -> dict[str, np.ndarray]:
    """Counts per cohort (rows) at each month (columns): pilots followed that long, and those that reached
    production / were cancelled within that many months. Each pilot is counted once, at the first column
    it qualifies for (followed: the last), then summed along the row: exact integer counts."""
    width = months.size + 1
    followed = np.searchsorted(months, times["follow_up"].to_numpy(dtype=float), side="right")  # months <= follow-up
    within = np.searchsorted(months, times["months"].to_numpy(dtype=float), side="left")  # first month >= months

    def histogram(column: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return np.bincount(codes[keep] * width + column[keep], minlength=cohorts * width).reshape(cohorts, width)

    seen = codes >= 0
    follow = histogram(followed, seen)[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]  # follow-up reaches the month
    event = times["event"].to_numpy()
    return {"followed": follow, **{kind: histogram(within, seen & (event == EVENT_CODES[kind])).cumsum(axis=1)[:, :-1]
                                   for kind in KINDS}}


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
    cells = _cohort_cells(codes, len(cohorts), times, months)
    repeat = months.size
    matrix = pd.DataFrame({"cohort": np.repeat(np.array([cohort_label(c) for c in cohorts], dtype=object), repeat),
                           "cohort_start": np.repeat(cohorts.start_time.as_unit("us"), repeat),
                           "month": np.tile(months, len(cohorts)),
                           "n": np.repeat(np.bincount(codes[codes >= 0], minlength=len(cohorts)), repeat),
                           **{k: v.ravel() for k, v in cells.items()}})
    seen, full = matrix["followed"] > 0, matrix["followed"] == matrix["n"]
    for kind in KINDS:
        matrix[f"{kind}_share"] = (matrix[kind] / matrix["n"]).where(seen)
        low, high = wilson_interval(matrix[kind], matrix["n"])
        matrix[f"{kind}_low"], matrix[f"{kind}_high"] = np.where(full, low, np.nan), np.where(full, high, np.nan)
    matrix["observed"] = np.select([full, seen], ["full", "partial"], "none")
    return matrix[MATRIX_COLUMNS]


def cohort_trend(matrix: pd.DataFrame, kind: str = "production", month: int = COMPARE_MONTHS) -> pd.DataFrame:
    """The triangle's column at ``month``, pooled by start year over the cohorts followed that long in
    full (exact shares only, so a young year counts only its fully followed cohorts).

    Columns: year, cohorts (how many pooled), n, count (pilots with the event within ``month``), share.
    """
    cells = matrix[(matrix["month"] == month) & (matrix["observed"] == "full")]
    if cells.empty:
        return pd.DataFrame({c: [] for c in ["year", "cohorts", "n", "count", "share"]})
    pooled = cells.groupby(cells["cohort_start"].dt.year).agg(cohorts=("cohort", "size"), n=("n", "sum"),
                                                               count=(kind, "sum"))
    return pooled.assign(share=pooled["count"] / pooled["n"]).rename_axis("year").reset_index()


# ------------------------------------------------------- comparing two cohorts


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
        verdict = "a statistically significant difference" if self.significant else \
            "a difference that could be chance"
        return text + f" ({verdict}, {format_p_value(self.p_value)})."


def cohort_comparison(times: pd.DataFrame, month: int = COMPARE_MONTHS,
                      period: str = "quarter") -> CohortComparison | None:
    """Compare the latest cohort whose every pilot has been followed ``month`` months with the same
    period one year earlier. Both shares are then exact proportions (no censoring), so they are
    compared with an ordinary two-sample test. None when no cohort has been followed that long."""
    matrix = cohort_matrix(times, period, step=month)
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


def comparison_sentence(times: pd.DataFrame, month: int = COMPARE_MONTHS) -> str | None:
    """The Overview's sentence on cohorts; None when there are no dated pilots to speak of."""
    if times.empty:
        return None
    comparison = cohort_comparison(times, month)
    if comparison is None:
        return (f"No start quarter has been followed for {month} months yet, so cohorts cannot be "
                "compared.")
    return comparison.sentence


# ------------------------------------------------------------------ by segment


def segment_labels(classified: pd.DataFrame, times: pd.DataFrame, by: str | None) -> pd.Series:
    """The segment of each row of ``times``: the start year, the value of a dimension of the pilot
    (blank values as BLANK), or OVERALL when ``by`` is None."""
    if by is None:
        return pd.Series(OVERALL, index=times.index)
    if by == START_YEAR:
        return times["start_date"].dt.year.astype(str)
    values = classified.set_index("pilot_id")[by].astype("string")
    return times["pilot_id"].map(values).fillna(BLANK).replace("", BLANK).astype(str)


def segment_order(labels: pd.Series, by: str | None) -> list[str]:
    """Start years in time order; other segments largest first (ties by name)."""
    counts = labels.value_counts()
    if by == START_YEAR:
        return sorted(counts.index)
    return sorted(counts.index, key=lambda s: (-counts[s], s))


def segment_curves(times: pd.DataFrame, labels: pd.Series, order: list[str],
                   min_at_risk: int = MIN_AT_RISK) -> pd.DataFrame:
    """Cumulative incidence of production and of cancellation per segment (competing events), each
    curve cut where fewer than ``min_at_risk`` pilots remain at risk (a segment smaller than that
    keeps only its origin row: too few pilots for a curve).

    Columns: segment, n, kind ("production" or "cancelled"), then the columns of
    stats.cumulative_incidence: time, at_risk, events, competing, censored, cif, se, ci_low, ci_high.
    """
    months, event, bounds = _by_segment(times, labels, order)
    columns: dict[str, list] = {c: [] for c in ["segment", "n", "kind", *CURVE_COLUMNS]}
    for i, segment in enumerate(order):
        lo, hi = bounds[i], bounds[i + 1]
        for kind, curve in _curve_arrays(months[lo:hi], event[lo:hi]).items():
            kept = curve["at_risk"] >= min_at_risk
            kept[0] = True  # the origin row
            for c in CURVE_COLUMNS:
                columns[c].append(curve[c][kept])
            for c, value in (("segment", segment), ("n", hi - lo), ("kind", kind)):
                columns[c].append(np.full(int(kept.sum()), value, dtype=object if isinstance(value, str) else None))
    return pd.DataFrame({c: np.concatenate(v) for c, v in columns.items()})


def _segment_codes(labels: pd.Series, order: list[str]) -> np.ndarray:
    """Each row's position in ``order`` (-1 when its segment is not there): integers to select rows by,
    far cheaper than comparing every label with every segment."""
    codes, uniques = pd.factorize(labels)
    position = {s: i for i, s in enumerate(order)}
    return np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.intp)[codes]


def _by_segment(times: pd.DataFrame, labels: pd.Series, order: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Months and event codes of the rows of ``times`` in the segments of ``order``, grouped by segment (in that
    order) and sorted by months within each, and where each segment's rows start (len(order) + 1 bounds).
    ``labels`` is aligned with ``times`` row by row (as segment_labels gives it)."""
    months = _durations(times)
    codes = _segment_codes(labels, order)
    rank = np.argsort(months, kind="stable")
    rank = rank[np.argsort(codes[rank], kind="stable")]
    sorted_codes = codes[rank]
    bounds = np.searchsorted(sorted_codes, np.arange(len(order) + 1))
    rank = rank[bounds[0]:]  # rows outside every segment (-1) sort first
    return months[rank], times["event"].to_numpy()[rank], bounds - bounds[0]


def segment_summary(curves: pd.DataFrame, month: int = COMPARE_MONTHS) -> pd.DataFrame:
    """Per segment: cumulative incidence of each event at ``month`` with its 95% bounds (NaN when the
    segment has not been followed that long), and the median months to production (NaN when the
    production curve never reaches one half).

    Columns: segment, n, production, production_low, production_high, cancelled, cancelled_low,
    cancelled_high, median_months.
    """
    rows = []
    for segment, part in curves.groupby("segment", sort=False):
        row = {"segment": segment, "n": int(part["n"].iloc[0])}
        for kind in KINDS:
            curve = part[part["kind"] == kind]
            for suffix, col in (("", "cif"), ("_low", "ci_low"), ("_high", "ci_high")):
                row[kind + suffix] = float(curve_value_at(curve, month, col))
        median = median_time(part[part["kind"] == "production"], "cif")
        rows.append({**row, "median_months": np.nan if median is None else median})
    return pd.DataFrame(rows)


def at_risk_table(times: pd.DataFrame, labels: pd.Series, order: list[str],
                  every: int = AT_RISK_EVERY) -> pd.DataFrame:
    """Pilots still at risk (neither in production, cancelled nor censored before) at 0, 6, 12, ...
    months, one row per segment. Index: segment; columns: the months (int)."""
    longest = float(times["months"].max()) if len(times) else 0.0
    grid = np.arange(0, longest + 1e-9, every)
    months, _, bounds = _by_segment(times, labels, order)
    rows = {s: numbers_at_risk(months[bounds[i]:bounds[i + 1]], grid) for i, s in enumerate(order)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[int(m) for m in grid])
