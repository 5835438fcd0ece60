"""Why pilots fail: causes among cancelled pilots (Pareto, by stage, by start cohort, spend lost) and
failure rates by segment with Wilson intervals and a test of whether segments really differ.

Every frame that feeds a chart carries `pilot_ids` (a list per row) so a click can list the pilots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.kernels import decided_counts, merged_by_name
from analysis.metrics.stats import SegmentTest, pairwise_fisher_holm, segment_difference, wilson_interval
from analysis.schema import BLANK, UNKNOWN_STAGE

NOT_RECORDED = "not recorded"  # a cancelled pilot whose export gives no cause
MIN_SEGMENT_N = 5  # below 5 decided pilots a rate's 95% interval spans most of 0-100%: shown, not ranked
TOP_CAUSES_IN_MIX = 6  # more causes than this in one stacked bar cannot be told apart by colour
OTHER_CAUSES = "all other causes"  # the causes beyond the top ones, grouped in the cohort mix


class PilotIds(Sequence):
    """The ids of one group's pilots, in frame order, listed when first read: a page run groups the
    cancelled (and decided) pilots several ways and reads the ids of at most the one mark clicked, so
    building every group's list each run (a million Python strings at 1M pilots) was its largest cost.
    Reads, iterates and compares as the list it stands for."""

    __slots__ = ("_ids", "_codes", "_group", "_list")

    def __init__(self, ids: Sequence[str], codes: np.ndarray | LazyCodes, group: int) -> None:
        self._ids, self._codes, self._group, self._list = ids, codes, group, None

    def _listed(self) -> list[str]:
        if self._list is None:
            codes = self._codes() if isinstance(self._codes, LazyCodes) else self._codes
            self._list = list(self._ids.take(np.flatnonzero(codes == self._group)).tolist())
        return self._list

    def __getitem__(self, i):
        return self._listed()[i]

    def __len__(self) -> int:
        return len(self._listed())

    def __iter__(self):
        return iter(self._listed())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PilotIds):
            other = other._listed()
        return self._listed() == other if isinstance(other, list) else NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._listed())


class LazyCodes:
    """Each row's group code, worked out the first time a group's ids are listed (a click or a choice)
    and then kept for every group: a page run that lists none never makes it."""

    def __init__(self, make: Callable[[], np.ndarray]) -> None:
        self._make, self._codes = make, None

    def __call__(self) -> np.ndarray:
        if self._codes is None:
            self._codes = self._make()
        return self._codes


class TakenIds(Sequence):
    """The pilot ids at some positions of a column of ids, taken only when asked for: the cancelled pilots'
    ids are read for the one mark clicked, where cutting them as text each run cost 5-50 ms at 1M pilots."""

    def __init__(self, ids: Sequence[str], positions: np.ndarray) -> None:
        self._ids, self._positions = ids, positions

    def __getitem__(self, i):
        return self.take(np.arange(len(self))[i]).tolist() if isinstance(i, slice) else self._ids[int(self._positions[i])]

    def __len__(self) -> int:
        return len(self._positions)

    def take(self, positions: np.ndarray):
        """The ids at these positions (of this sequence), as the ids' own take gives them."""
        return self._ids.take(self._positions[positions])


def lazy_ids(ids: pd.DataFrame | Sequence[str], codes: np.ndarray | LazyCodes,
             groups: list[int] | np.ndarray) -> np.ndarray:
    """The PilotIds of each of these groups (`ids`: the rows' pilot ids, or a frame with them; `codes`:
    each row's group, -1 for none), as an object column (filled one by one: numpy would read a sequence as
    a row of a 2-D array)."""
    ids = ids["pilot_id"].array if isinstance(ids, pd.DataFrame) else ids
    column = np.empty(len(groups), dtype=object)
    for i, group in enumerate(groups):
        column[i] = PilotIds(ids, codes, int(group))
    return column


CANCELLED_COLUMNS = ["failure_cause", "stage", "start_date", "spend"]  # what the analyses read, with the ids


def read_columns(dimensions: list[str]) -> list[str]:
    """Every column the analyses here read, with the breakdown dimensions offered (a page can ask for
    only these)."""
    return list(dict.fromkeys(["pilot_id", "cancelled", "decided", *CANCELLED_COLUMNS, *dimensions]))


def grouped_columns(dimensions: list[str]) -> list[str]:
    """The columns of read_columns that the analyses here only group and compare (never change): they may
    come dictionary-coded (pandas Categorical) and give the same answers. Not the pilot ids: coding a
    million distinct ids hashes each of them twice, more than cutting them as text costs."""
    return list(dict.fromkeys(["failure_cause", "stage", *dimensions]))


@dataclass(frozen=True)
class Cancelled:
    """The cancelled pilots of a frame with each one's cause coded once, shared by every cause analysis
    of a page run (each used to filter, fill and group the same text column again: at 100k pilots half of
    the Failure causes page's work).

    frame: the cancelled rows (CANCELLED_COLUMNS present), in frame order; positions: their positions in
    the classified frame; codes: each row's cause as a position in `causes`, the cause names (str,
    NOT_RECORDED for a missing cause, each name once); ids: the rows' pilot ids (TakenIds)."""

    frame: pd.DataFrame
    positions: np.ndarray
    codes: np.ndarray
    causes: np.ndarray
    ids: Sequence[str]

    def code(self, cause: str) -> int:
        """The code of a cause name (-1 when no cancelled pilot has it)."""
        found = np.flatnonzero(self.causes == cause)
        return int(found[0]) if len(found) else -1


def cancellations(classified: pd.DataFrame) -> Cancelled:
    """The cancelled pilots with their causes coded (see Cancelled)."""
    positions = np.flatnonzero(classified["cancelled"].to_numpy(dtype=bool))
    frame = classified[[c for c in CANCELLED_COLUMNS if c in classified]].take(positions)
    codes, causes = coded(frame["failure_cause"], NOT_RECORDED)
    return Cancelled(frame, positions, codes, causes, TakenIds(classified["pilot_id"].array, positions))


def coded(values: pd.Series, missing: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a code into the names, as `values.fillna(missing).astype("str")` names them (each
    name once, in order of first appearance); without `missing`, a missing value is coded -1."""
    codes, uniques = _category_codes(values) if isinstance(values.dtype, pd.CategoricalDtype) else pd.factorize(values)
    names = pd.Series(uniques).astype("str").tolist()
    if missing is not None and (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes)
        names.append(missing)
    merged, distinct = pd.factorize(np.array(names, dtype=object))  # two values may name alike ("1", 1)
    codes = np.append(merged, -1)[codes]  # -1 stays -1
    return codes.astype(np.int64), np.asarray(distinct, dtype=object)


def _group_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """coded(values) for a grouping whose order does not matter (it is sorted by name afterwards): a
    Categorical's own codes into all its categories, used or not, where they name apart (no value
    recoded: 5 ms at 1M pilots); else coded's."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = pd.Series(values.cat.categories).astype("str").tolist()
        if len(set(names)) == len(names):
            return values.cat.codes.to_numpy(), np.asarray(names, dtype=object)
    return coded(values)


def _category_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A Categorical's codes and the categories in use (a filtered view keeps every category of the
    dataset, used or not), without hashing a value."""
    raw = values.cat.codes.to_numpy()
    categories = values.cat.categories
    used = np.flatnonzero(np.bincount(raw[raw >= 0], minlength=len(categories)))
    renumber = np.full(len(categories) + 1, -1)
    renumber[used] = np.arange(len(used))
    return renumber[raw], categories[used]  # a missing value's -1 picks the last entry, -1


def _shared(classified: pd.DataFrame, cancelled: Cancelled | None) -> Cancelled:
    return cancellations(classified) if cancelled is None else cancelled


def _names(names: np.ndarray | list) -> pd.Series:
    """Names as a text column, as a groupby on a text column gives its keys."""
    return pd.Series(np.asarray(names, dtype=object), dtype="str")


def cause_counts(classified: pd.DataFrame, cancelled: Cancelled | None = None) -> pd.DataFrame:
    """Causes of the cancelled pilots, commonest first (ties by name), unmapped ones kept as
    `other (<text>)`. Columns: cause, count, share (of cancelled), cumulative_share, pilot_ids.
    `cancelled`: the page run's cancellations(classified), when it has them."""
    c = _shared(classified, cancelled)
    counts = _ranked(c.causes, np.bincount(c.codes, minlength=len(c.causes)))
    counts["share"] = counts["count"] / max(len(c.codes), 1)
    counts["cumulative_share"] = counts["share"].cumsum()
    counts["pilot_ids"] = pd.Series(lazy_ids(c.ids, c.codes, counts.pop("_code").to_numpy()), dtype="object")
    return counts


def _ranked(names: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """The named groups with a count, commonest first, ties by name. Columns: cause, count, _code (the
    group's position in `names`)."""
    used = np.flatnonzero(counts)
    frame = pd.DataFrame({"cause": _names(names[used]), "count": counts[used].astype("int64"), "_code": used})
    return frame.sort_values(["count", "cause"], ascending=[False, True], ignore_index=True)


def _pairs(first: np.ndarray, second: np.ndarray, sizes: tuple[int, int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts of the (first, second) code pairs that occur (a code -1 is in no pair), ordered by pair.
    Returns the frame (columns _first, _second, count) and each row's pair code (-1: none)."""
    valid = (first >= 0) & (second >= 0)
    pair = np.where(valid, first * sizes[1] + second, -1)
    counts = np.bincount(pair[valid], minlength=sizes[0] * sizes[1])
    used = np.flatnonzero(counts)
    return pd.DataFrame({"_first": used // sizes[1], "_second": used % sizes[1],
                         "count": counts[used].astype("int64")}), pair


def _cell_ids(ids: Sequence[str], pair: np.ndarray, cells: pd.DataFrame, sizes: tuple[int, int]) -> list:
    """The pilot ids (`ids`: each row's) of each row of `cells` (its _first, _second codes), in frame order."""
    lookup = np.full(sizes[0] * sizes[1] + 1, -1)
    lookup[(cells["_first"] * sizes[1] + cells["_second"]).to_numpy()] = np.arange(len(cells))
    ids = lazy_ids(ids, lookup[pair], np.arange(len(cells)))
    return ids if len(ids) else []  # as a list comprehension gave it: an empty float column


def cause_stage_counts(classified: pd.DataFrame, stages: list[str], cancelled: Cancelled | None = None) -> pd.DataFrame:
    """Which cause stops pilots at which stage: one row per (cause, stage) with at least one cancelled
    pilot; the stage is the one the pilot was in when cancelled (its furthest stage).

    Causes in cause_counts order, stages in the dataset's order (then `unknown`). Columns: cause, stage,
    count, row_share (of the cause's cancellations), column_share (of the stage's cancellations),
    pilot_ids.
    """
    c = _shared(classified, cancelled)
    stage_codes, stage_names = _group_codes(c.frame["stage"])
    sizes = (len(c.causes), len(stage_names))
    cells, pair = _pairs(c.codes, stage_codes, sizes)
    cells.insert(0, "cause", _names(c.causes[cells["_first"]]))
    cells.insert(1, "stage", _names(stage_names[cells["_second"]]))
    cells = cells.sort_values(["cause", "stage"], ignore_index=True)  # as a groupby orders its keys
    cells["row_share"] = cells["count"] / cells.groupby("cause")["count"].transform("sum")
    cells["column_share"] = cells["count"] / cells.groupby("stage")["count"].transform("sum")
    cells["pilot_ids"] = _cell_ids(c.ids, pair, cells, sizes)
    ranked = _ranked(c.causes, np.bincount(c.codes, minlength=len(c.causes)))
    cause_order = {cause: i for i, cause in enumerate(ranked["cause"])}
    stage_order = {s: i for i, s in enumerate([*stages, UNKNOWN_STAGE])}
    order = cells["cause"].map(cause_order) * len(stage_order) + cells["stage"].map(stage_order)
    cells = cells.drop(columns=["_first", "_second"])
    return cells.loc[order.sort_values(kind="stable").index].reset_index(drop=True)


DAYS_LOOKED_UP = 200_000  # start dates spanning more days than this (550 years) are turned into months one by one
QUARTERS_NAMED = 4_000  # up to this many quarters (1,000 years) every one in the range is named, used or not


def start_quarter(start: pd.Series) -> pd.Series:
    """'2024 Q1' for each start date (missing for missing dates)."""
    codes, quarters = pd.factorize(start.dt.to_period("Q"))  # each distinct quarter named once
    names = np.array([f"{q.year} Q{q.quarter}" for q in quarters] + [None], dtype="object")  # -1: no date
    return pd.Series(names[codes], index=start.index, name=start.name).astype("str")


def quarter_codes(start: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (present) start date's quarter as a code into the names ('2024 Q1', as start_quarter names
    them; every quarter from the first to the last, used or not, where they are few), by arithmetic on the
    dates instead of a Period per row: each date's day, and the quarter of each day in their range looked
    up (turning 400k dates into months costs 12 ms, their days 1 ms, and hashing the quarters 8 ms)."""
    days = np.asarray(start, dtype="datetime64[D]").astype(np.int64)
    first = int(days.min()) if len(days) else 0
    if len(days) and int(days.max()) - first <= DAYS_LOOKED_UP:
        quarter_of = np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[M]")
        quarters = (quarter_of.astype(np.int64) // 3)[days - first]  # quarters since 1970 Q1
    else:
        quarters = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) // 3
    low, high = (int(quarters.min()), int(quarters.max())) if len(quarters) else (0, -1)
    if high - low < QUARTERS_NAMED:
        codes, named = quarters - low, np.arange(low, high + 1)
    else:
        codes, named = pd.factorize(quarters)
    return codes, np.array([f"{q // 4 + 1970} Q{q % 4 + 1}" for q in named.tolist()], dtype=object)


def cause_mix_by_cohort(classified: pd.DataFrame, top: int = TOP_CAUSES_IN_MIX,
                        cancelled: Cancelled | None = None) -> pd.DataFrame:
    """Causes of the cancelled pilots of each start-quarter cohort: the `top` commonest causes
    overall, the rest grouped as OTHER_CAUSES. Cancelled pilots without a start date are left out.

    Columns: cohort ('2024 Q1', in time order), cause, count, cohort_cancelled (the cohort's cancelled
    pilots), share (count / cohort_cancelled), pilot_ids.
    """
    c = _shared(classified, cancelled)
    columns = ["cohort", "cause", "count", "cohort_cancelled", "share", "pilot_ids"]
    start = c.frame["start_date"].to_numpy(dtype="datetime64[us]")
    dated = np.flatnonzero(~np.isnat(start))
    if not len(dated):
        return pd.DataFrame(columns=columns)
    codes = c.codes[dated]
    leading = _ranked(c.causes, np.bincount(codes, minlength=len(c.causes)))["cause"].head(top).tolist()
    grouped = np.where(np.isin(c.causes, leading), c.causes, OTHER_CAUSES)
    cause_codes, cause_names = pd.factorize(grouped)
    quarters, quarter_names = quarter_codes(start[dated])
    sizes = (len(quarter_names), len(cause_names))
    mix, pair = _pairs(quarters, cause_codes[codes], sizes)
    mix.insert(0, "cohort", _names(quarter_names[mix["_first"]]))
    mix.insert(1, "cause", _names(cause_names[mix["_second"]]))
    mix["cohort_cancelled"] = mix.groupby("cohort")["count"].transform("sum")
    mix["share"] = mix["count"] / mix["cohort_cancelled"]
    mix["pilot_ids"] = _cell_ids(TakenIds(c.ids, dated), pair, mix, sizes)
    rank = {cause: i for i, cause in enumerate([*leading, OTHER_CAUSES])}
    mix = mix.assign(_rank=mix["cause"].map(rank)).sort_values(["cohort", "_rank"], ignore_index=True)
    return mix[columns]


def spend_by_cause(classified: pd.DataFrame, cancelled: Cancelled | None = None) -> pd.DataFrame:
    """Spend lost on cancelled pilots, by cause, largest first; empty when no cancelled pilot has a
    spend. Columns: cause, pilots (cancelled), with_spend (of them with a spend recorded), spend (sum of
    the recorded spends), share (of all spend lost), pilot_ids."""
    columns = ["cause", "pilots", "with_spend", "spend", "share", "pilot_ids"]
    if "spend" not in classified:
        return pd.DataFrame(columns=columns)
    c = _shared(classified, cancelled)
    spend = c.frame["spend"]
    if spend.notna().sum() == 0:
        return pd.DataFrame(columns=columns)
    lost = spend.groupby(c.codes).agg(["size", "count", "sum"])  # grouped by code: no text hashed
    lost = lost.set_axis(["pilots", "with_spend", "spend"], axis=1).rename_axis("_code").reset_index()
    lost.insert(0, "cause", _names(c.causes[lost["_code"]]))
    lost["share"] = lost["spend"] / lost["spend"].sum()
    lost["pilot_ids"] = pd.Series(lazy_ids(c.ids, c.codes, lost["_code"].to_numpy()), dtype="object")
    return lost.sort_values(["spend", "cause"], ascending=[False, True], ignore_index=True)[columns]


def failed(classified: pd.DataFrame, cause: str | None = None, cancelled: Cancelled | None = None) -> pd.Series:
    """Cancelled pilots; with `cause`, only those cancelled for that cause (a cause_counts cause)."""
    if cause is None:
        return classified["cancelled"]
    c = _shared(classified, cancelled)
    mask = np.zeros(len(classified), dtype=bool)
    mask[c.positions[c.codes == c.code(cause)]] = True
    return pd.Series(mask, index=classified.index)


def overall_rate(classified: pd.DataFrame, cause: str | None = None, cancelled: Cancelled | None = None) -> float | None:
    """Failed / decided over all the pilots (the line the segment rates are read against); None when
    nothing is decided yet."""
    decided = int(classified["decided"].sum())
    return int(failed(classified, cause, cancelled).sum()) / decided if decided else None


def value_groups(values: pd.Series, missing: str) -> tuple[np.ndarray, list[str]]:
    """Each value's group (int64, a missing value's the last) and the groups' names as text, `missing`
    last: a Categorical's codes and categories (no value hashed; unused categories are named too), or the
    factorized values. Groups may name alike ("1" and 1, a `missing` value and a missing one): merge them
    by name."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        raw, uniques = pd.factorize(values)
    names = [*pd.Series(uniques).astype("str").tolist(), missing]
    groups = raw.astype(np.int64)
    if len(groups) and groups.min() < 0:
        groups[groups < 0] = len(names) - 1
    return groups, names


def _segments(classified: pd.DataFrame, dimension: str, cause: str | None,
              cancelled: Cancelled | None) -> tuple[pd.DataFrame, LazyCodes]:
    """failure_rates with each segment's code (column _code), and each pilot's segment code (made when
    read): the pilots, failures and decided pilots of every value_groups group from one bincount, then the
    groups merged by name (at 1M pilots coding each pilot and three bincounts cost 20 ms)."""
    groups, names = value_groups(classified[dimension], BLANK)
    fails = failed(classified, cause, cancelled).to_numpy(dtype=bool)
    counts = decided_counts(groups, len(names), fails, classified["decided"].to_numpy(dtype=bool))
    distinct, totals, lookup = merged_by_name(names, counts)
    grouped = pd.DataFrame({"segment": _names(distinct), "pilots": totals.sum(axis=1),
                            "cancelled": totals[:, 2] + totals[:, 3], "decided": totals[:, 1] + totals[:, 3],
                            "_code": np.arange(len(distinct))})
    low, high = wilson_interval(grouped["cancelled"].to_numpy(), grouped["decided"].to_numpy())
    grouped["rate"] = grouped["cancelled"] / grouped["decided"].where(grouped["decided"] > 0)
    grouped["ci_low"], grouped["ci_high"] = low, high
    grouped = grouped.sort_values(["decided", "segment"], ascending=[False, True], ignore_index=True)
    return grouped, LazyCodes(lambda: lookup[groups])


def failure_rates(classified: pd.DataFrame, dimension: str, cause: str | None = None,
                  cancelled: Cancelled | None = None) -> pd.DataFrame:
    """Cancelled / decided per segment, with 95% Wilson intervals; in-flight pilots are censored. With
    `cause`, only cancellations for that cause count as failures (the cause's share of decided pilots).

    Columns: segment, pilots, cancelled, decided, rate (NaN when nothing is decided), ci_low, ci_high.
    """
    return _segments(classified, dimension, cause, cancelled)[0].drop(columns="_code")


def segment_rates(classified: pd.DataFrame, dimension: str, min_n: int = MIN_SEGMENT_N,
                  cause: str | None = None, cancelled: Cancelled | None = None) -> pd.DataFrame:
    """failure_rates (for one cause, if given) ranked: segments with at least `min_n` decided pilots
    first, highest rate first; then the smaller segments (shown, not ranked), largest first.

    Columns: those of failure_rates, then ranked (decided >= min_n), pilot_ids (the decided pilots).
    """
    rates, codes = _segments(classified, dimension, cause, cancelled)
    rates["ranked"] = rates["decided"] >= min_n
    decided = classified["decided"].to_numpy(dtype=bool)
    ids = lazy_ids(classified, LazyCodes(lambda: np.where(decided, codes(), -1)), rates.pop("_code").to_numpy())
    rates["pilot_ids"] = ids if len(ids) else []  # [] as a list of lists gave: an empty float column
    # ranked: the rate (0..1); the others after them (-2..-1), the more decided pilots the sooner
    rates["_order"] = rates["rate"].where(rates["ranked"], -2.0 + rates["decided"] / (1 + rates["decided"].max()))
    rates = rates.sort_values(["_order", "segment"], ascending=[False, True], ignore_index=True)
    return rates.drop(columns="_order")


def segment_test(rates: pd.DataFrame) -> SegmentTest:
    """Do the ranked segments' failure rates really differ? (stats.segment_difference on the segments
    of segment_rates with ranked True: Fisher, chi-square, or pairwise Fisher with Holm correction)."""
    ranked = rates[rates["ranked"]].rename(columns={"cancelled": "failures"})
    return segment_difference(ranked[["segment", "failures", "decided"]])


def segment_pairs(rates: pd.DataFrame) -> pd.DataFrame:
    """Which pairs of ranked segments differ: two-sided Fisher's exact test per pair, Holm-adjusted over
    all pairs. Columns: segment_a, segment_b, p_value, p_holm, significant (p_holm < 0.05)."""
    ranked = rates[rates["ranked"]].rename(columns={"cancelled": "failures"})
    return pairwise_fisher_holm(ranked[["segment", "failures", "decided"]])
