"""Where pilots stall: time in each stage (Kaplan-Meier, in-flight pilots censored at the as-of date),
where the in-flight pilots sit now, the bottleneck stage, and the stalled pilots.

Time in stage s = (entry date of the next stage reached, or the end date of a pilot that was
cancelled in s, or the as-of date for a pilot still in flight in s [censored]) - entry date of s.
The last stage (production) is where pilots arrive, not where they wait, so it has no time in stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.pilots import ids_by_group
from analysis.metrics.stats import (
    MAX_WHOLE_DURATION,
    kaplan_meier,
    kaplan_meier_counts,
    kaplan_meier_whole,
    median_time,
)
from analysis.schema import stage_label

MIN_STAGE_N = 5  # a stage entered by fewer pilots than this is not named the bottleneck
P90_SURVIVAL = 0.1  # 90% of the pilots have left the stage when the survival curve falls to 0.1
MOVED_ON, CANCELLED, DECIDED, IN_FLIGHT = "moved on", "cancelled", "reached production", "still there"
EXITS = [MOVED_ON, CANCELLED, IN_FLIGHT, DECIDED]
DURATION_COLUMNS = ["pilot_id", "stage", "stage_index", "entered", "left", "days", "observed", "exit"]
STALLED_COLUMNS = ["pilot_id", "name", "stage", "days_without_progress", "last_progress", "sponsor",
                   "business_unit", "outcome"]


def read_columns(stages: list[str], shown: list[str] = STALLED_COLUMNS) -> list[str]:
    """Every column the analyses here read (spells, positions, the stalled pilots), with the stalled table's
    `shown` columns: a page can ask for only these. A column left out would read as missing (an absent
    stage date as no date), so tests/test_views_fast.py pins the page's numbers to the whole frame's."""
    return list(dict.fromkeys(["pilot_id", "stage_index", "in_flight", "cancelled", "reached_production", "end_date",
                               "last_progress", "stalled", "days_without_progress",
                               *(f"{s}_date" for s in stages), *shown]))


def stage_date_columns(classified: pd.DataFrame, stages: list[str]) -> list[str]:
    """The `<stage>_date` columns that hold at least one date."""
    return [f"{s}_date" for s in stages if f"{s}_date" in classified and classified[f"{s}_date"].notna().any()]


def _first_later(dates: dict[int, np.ndarray], i: int, production: np.ndarray) -> np.ndarray:
    """The entry date of the first later stage with a date (stages may be skipped); for a pilot that
    reached production with no later stage date, its end date (its production date, as in cohorts)."""
    first = production
    for j in sorted((j for j in dates if j > i), reverse=True):  # the nearest later date wins
        first = np.where(np.isnat(dates[j]), first, dates[j])
    return first


def _stage_spells(arrays: dict[str, np.ndarray], dates: dict[int, np.ndarray], i: int,
                  as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time in stage i of every pilot that entered it on a known date: their rows, entry and leaving
    dates and exits."""
    at, flying = arrays["stage_index"], arrays["in_flight"]
    moved = at > i
    left = np.where(moved, _first_later(dates, i, arrays["production"]),
                    np.where(at == i, arrays["ended"], np.datetime64("NaT")))
    left = np.where((at == i) & flying, as_of, left)
    exit_ = np.select([moved, arrays["cancelled"], flying], [0, 1, 2], 3)  # codes of EXITS
    rows = np.flatnonzero(~np.isnat(dates[i]) & (at >= i) & ~np.isnat(left))
    return rows, dates[i][rows], left[rows], exit_[rows]


def _duration_arrays(classified: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns the time in stage needs, as numpy arrays (dates as datetime64[us])."""
    end = classified["end_date"].to_numpy(dtype="datetime64[us]")
    last = classified["last_progress"].to_numpy(dtype="datetime64[us]")
    return {"stage_index": classified["stage_index"].to_numpy(), "in_flight": classified["in_flight"].to_numpy(bool),
            "cancelled": classified["cancelled"].to_numpy(bool), "ended": np.where(np.isnat(end), last, end),
            "production": np.where(classified["reached_production"].to_numpy(bool), end, np.datetime64("NaT"))}


def _spell_parts(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> list[tuple]:
    """(stage index, rows, entered, left, exit codes) of each stage but the last that has a date column;
    [] without an as-of date or any stage date."""
    if as_of is None or not stage_date_columns(classified, stages):
        return []
    arrays = _duration_arrays(classified)
    dates = {j: classified[f"{s}_date"].to_numpy(dtype="datetime64[us]") for j, s in enumerate(stages)
             if f"{s}_date" in classified}
    moment = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "us")
    return [(i, *_stage_spells(arrays, dates, i, moment)) for i in range(len(stages) - 1) if i in dates]


def stage_durations(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """One row per pilot and stage it entered on a known date (all stages but the last).

    Columns: pilot_id, stage, stage_index, entered, left (the next stage's entry, the end date, or the
    as-of date), days (float; negative when the dates are out of order: see usable_durations),
    observed (False: still in the stage at the as-of date, censored), exit (MOVED_ON, CANCELLED,
    IN_FLIGHT or DECIDED). Worked on numpy arrays, one frame built at the end (300k rows at 100k pilots);
    the page uses the compact `stage_spells` instead.
    """
    parts = _spell_parts(classified, stages, as_of)
    if not parts:  # no dates, or only the last stage (production) has dates: nobody waited anywhere on record
        return pd.DataFrame(columns=DURATION_COLUMNS)
    rows = np.concatenate([p[1] for p in parts])
    entered, left = np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts])
    exit_ = np.concatenate([p[4] for p in parts])
    index = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    return pd.DataFrame({
        "pilot_id": classified["pilot_id"].array.take(rows),
        "stage": pd.array(stages, dtype="str").take(index), "stage_index": index.astype("int64"),
        "entered": entered, "left": left,
        "days": ((left - entered) // np.timedelta64(1, "D")).astype("float64"),
        "observed": exit_ != EXITS.index(IN_FLIGHT), "exit": pd.array(EXITS, dtype="str").take(exit_)})


class SpellIds(Sequence):
    """The pilot id of each spell, looked up in the pilots' ids only when asked for (a click, a chosen
    group): a spell keeps its pilot's row, so 3M spells at 1M pilots hold no strings."""

    def __init__(self, ids: Sequence[str], rows: np.ndarray) -> None:
        self._ids, self._rows = ids, rows

    def __getitem__(self, k):  # an int (a clicked point's key) or a slice
        if isinstance(k, slice):
            return self.take(np.arange(len(self))[k])
        return self._ids[int(self._rows[k])]

    def __len__(self) -> int:
        return len(self._rows)

    def take(self, positions: np.ndarray) -> list[str]:
        """The ids of the spells at `positions`."""
        return list(self._ids.take(self._rows[positions]))


STILL_THERE = EXITS.index(IN_FLIGHT)  # the exit code of a censored spell
MICROSECONDS_PER_DAY = 86_400_000_000  # the dates are datetime64[us]; whole days between two of them


@dataclass(frozen=True)
class Spells:
    """Every stage spell as compact arrays, in stage_durations' row order (stage by stage, pilots in frame
    order): what the Stalls page works on (at 1M pilots 3M spells in ~40 MB, no strings, no dates).

    `ids` are the pilot ids the `rows` point into; `days` whole days (negative: dates out of order);
    `exit` codes of EXITS."""

    ids: Sequence[str]
    rows: np.ndarray
    stage_index: np.ndarray
    days: np.ndarray
    exit: np.ndarray
    stages: Sequence[str]  # the stage ids, by stage_index

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def observed(self) -> np.ndarray:
        """False where the pilot is still in the stage at the as-of date (censored)."""
        return self.exit != STILL_THERE

    @property
    def pilot_ids(self) -> SpellIds:
        """The pilot id of each spell (looked up lazily)."""
        return SpellIds(self.ids, self.rows)

    def where(self, keep: np.ndarray) -> Spells:
        """The spells where `keep` is True."""
        return Spells(self.ids, self.rows[keep], self.stage_index[keep], self.days[keep], self.exit[keep], self.stages)

    def usable(self) -> Spells:
        """The spells whose dates are in order (days >= 0), as usable_durations (these spells themselves
        when all are: no copy); the same object on every call, so its curves are worked out once."""
        return self._usable

    @cached_property
    def _usable(self) -> Spells:
        return self if self.days.min(initial=0) >= 0 else self.where(self.days >= 0)

    @cached_property
    def curves(self) -> dict[int, pd.DataFrame]:
        """Each stage's Kaplan-Meier curve of time in it, by stage index, as stage_curve works them out (once:
        the time-in-stage summary and the aging chart read the same curves)."""
        return {}

    @cached_property
    def by_stage(self) -> list[slice | np.ndarray]:
        """The spells of each stage (0..len(stages)-1), in spell order: slices, as stage_spells orders them
        stage by stage, or positions where the spells are in another order."""
        index, n = self.stage_index, len(self.stages)
        if np.all(index[1:] >= index[:-1]):
            bounds = np.searchsorted(index, np.arange(n + 1)).tolist()
            return [slice(bounds[i], bounds[i + 1]) for i in range(n)]
        order = np.argsort(index, kind="stable")
        bounds = np.searchsorted(index[order], np.arange(n + 1)).tolist()
        return [order[bounds[i]:bounds[i + 1]] for i in range(n)]

    @cached_property
    def counts(self) -> np.ndarray:
        """Spells per stage (rows, by stage_index) and exit (columns, codes of EXITS)."""
        if self.day_counts is not None:
            return np.array([c.sum(axis=0) for c in self.day_counts], dtype=np.int64).reshape(len(self.stages),
                                                                                              len(EXITS))
        return np.array([np.bincount(self.exit[part], minlength=len(EXITS)) for part in self.by_stage],
                        dtype=np.int64).reshape(len(self.stages), len(EXITS))

    @cached_property
    def day_counts(self) -> list[np.ndarray] | None:
        """Each stage's spells counted per whole day (rows: day 0, 1, ...; as many for every stage) and
        exit (columns, codes of EXITS), from one bincount a stage: what the summary's Kaplan-Meier curves,
        the counts and the big boxes' statistics read, instead of a scan of the spells each. None where
        some days are negative or beyond MAX_WHOLE_DURATION (not countable per day)."""
        days = self.days
        if not np.issubdtype(days.dtype, np.integer) or (len(days) and (days.min() < 0 or days.max() > MAX_WHOLE_DURATION)):
            return None
        size = (int(days.max(initial=-1)) + 1) * len(EXITS)
        return [np.bincount(days[part] * len(EXITS) + self.exit[part], minlength=size).reshape(-1, len(EXITS))
                for part in self.by_stage]

    def positions(self, part: slice | np.ndarray) -> np.ndarray:
        """The spell positions of a part of by_stage."""
        return np.arange(part.start, part.stop) if isinstance(part, slice) else part

    @classmethod
    def from_frame(cls, durations: pd.DataFrame) -> Spells:
        """The spells of a stage_durations frame (each row its own pilot row)."""
        exit_ = pd.Categorical(durations["exit"], categories=EXITS).codes if len(durations) else np.zeros(0, np.int8)
        index = durations["stage_index"].to_numpy(dtype="int64")
        names = dict(zip(index.tolist(), durations["stage"].tolist()))
        return cls(durations["pilot_id"].array, np.arange(len(durations)), index,
                   durations["days"].to_numpy(dtype="float64"), np.asarray(exit_, dtype=np.int8),
                   [names.get(i, "") for i in range(max(names, default=-1) + 1)])


def stage_spells(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> Spells:
    """The spells of stage_durations as compact arrays (int32 rows and days, int8 stage and exit codes),
    without a frame, dates or strings: each stage works only on the pilots that entered it on a known
    date, and the next stage's date comes from one backward pass over the stages."""
    ids = classified["pilot_id"].array
    none = Spells(ids, *(np.zeros(0, t) for t in (np.int32, np.int8, np.int32, np.int8)), list(stages))
    if as_of is None or not stage_date_columns(classified, stages):
        return none
    arrays = _duration_arrays(classified)
    # a pilot's exit code from the stage it is in, as _stage_spells' np.select: cancelled, still there, decided
    arrays["exit_there"] = np.where(arrays["cancelled"], np.int8(1), np.int8(3) - arrays["in_flight"].view(np.int8))
    moment = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "us")
    arrays["there_left"] = np.where(arrays["in_flight"], moment, arrays["ended"])  # leaving the stage a pilot is in
    dates = {j: classified[f"{s}_date"].to_numpy(dtype="datetime64[us]") for j, s in enumerate(stages)
             if f"{s}_date" in classified}
    later = _later_dates(dates, arrays["production"])
    parts = {i: _stage_days(arrays, dates[i], later[i], i) for i in range(len(stages) - 1) if i in dates}
    if not parts:  # only the last stage (production) has dates
        return none
    rows, index, days, exit_ = (np.concatenate(arrays) for arrays in zip(*parts.values()))
    spells = Spells(ids, rows, index, days, exit_, list(stages))
    bounds = np.cumsum([0, *(len(parts[i][0]) if i in parts else 0 for i in range(len(stages)))]).tolist()
    spells.__dict__["by_stage"] = [slice(bounds[i], bounds[i + 1]) for i in range(len(stages))]  # known: no scan
    return spells


def _later_dates(dates: dict[int, np.ndarray], production: np.ndarray) -> dict[int, np.ndarray]:
    """_first_later of every stage with a date column, in one pass from the last stage back."""
    later, first = {}, production
    for j in sorted(dates, reverse=True):
        later[j] = first
        if j > min(dates):  # the first stage's date is no stage's later date
            first = np.where(np.isnat(dates[j]), first, dates[j])
    return later


def _stage_days(arrays: dict[str, np.ndarray], entered: np.ndarray, later: np.ndarray, i: int) -> tuple[np.ndarray, ...]:
    """_stage_spells of stage i as (rows, stage index, days, exit codes), worked out only on the pilots
    that entered stage i on a known date and got at least that far."""
    rows = np.flatnonzero(~np.isnat(entered) & (arrays["stage_index"] >= i))
    moved = arrays["stage_index"][rows] > i
    left = np.where(moved, later[rows], arrays["there_left"][rows])  # as_of for a pilot in flight there
    known = ~np.isnat(left)
    if not known.all():
        rows, moved, left = rows[known], moved[known], left[known]
    exit_ = np.where(moved, np.int8(0), arrays["exit_there"][rows])  # codes of EXITS, as _stage_spells
    days = (left.view("i8") - entered[rows].view("i8")) // MICROSECONDS_PER_DAY  # floor, as // timedelta64(1, "D")
    return rows.astype(np.int32), np.full(len(rows), i, dtype=np.int8), days.astype(np.int32), exit_


def usable_durations(durations: pd.DataFrame) -> pd.DataFrame:
    """The durations whose dates are in order (days >= 0)."""
    return durations[durations["days"] >= 0]


SUMMARY_COLUMNS = ["stage", "entered", "left", "still_there", "median_days", "median_ci_low", "median_ci_high",
                   "p90_days", "longest_days"]


def stage_time_summary(durations: pd.DataFrame | Spells, stages: list[str]) -> pd.DataFrame:
    """Time in each stage but the last: Kaplan-Meier median and 90th percentile, in-flight pilots
    censored at the as-of date (None where the curve never falls that far: more than half, or more
    than a tenth, are still there). Of a stage_durations frame or of Spells (their usable ones).

    Columns: stage, entered (pilots with a usable spell), left (observed), still_there (censored),
    median_days, median_ci_low, median_ci_high, p90_days, longest_days.
    """
    spells = durations if isinstance(durations, Spells) else Spells.from_frame(durations)
    usable = spells.usable()
    rows = []
    for i, stage in enumerate(stages[:-1]):
        entered = int(usable.counts[i].sum()) if i < len(usable.stages) else 0  # the spell's stage: its place
        left = entered - (int(usable.counts[i, STILL_THERE]) if entered else 0)
        row = {"stage": stage, "entered": entered, "left": left, "still_there": entered - left}
        empty = {"median_days": None, "median_ci_low": None, "median_ci_high": None, "p90_days": None,
                 "longest_days": None}
        rows.append(row | (_stage_km(usable, i) if entered else empty))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def stage_curve(spells: Spells, i: int) -> pd.DataFrame:
    """The Kaplan-Meier curve of time in stage i (spells still there censored), from the spells' counts per
    day where they have them: the one curve the time-in-stage summary and the aging chart both read, worked
    out once per spells (Spells.curves)."""
    if i not in spells.curves:
        spells.curves[i] = _stage_curve(spells, i)
    return spells.curves[i]


def _stage_curve(spells: Spells, i: int) -> pd.DataFrame:
    if spells.day_counts is None:
        here = spells.by_stage[i]
        days, observed = spells.days[here], spells.observed[here]
        return kaplan_meier_whole(days, observed) if np.issubdtype(days.dtype, np.integer) else \
            kaplan_meier(days, observed)
    counts = spells.day_counts[i]
    censored = counts[:, STILL_THERE]
    return kaplan_meier_counts(counts.sum(axis=1) - censored, censored)


def _stage_km(spells: Spells, i: int) -> dict[str, float | int | None]:
    """Stage i's Kaplan-Meier median (with its 95% interval), 90th percentile and longest time, from stage_curve."""
    curve = stage_curve(spells, i)
    if spells.day_counts is None:
        longest = float(spells.days[spells.by_stage[i]].max())
    else:
        longest = float(np.flatnonzero(spells.day_counts[i].any(axis=1))[-1])
    return {"median_days": median_time(curve), "median_ci_low": median_time(curve, "ci_low"),
            "median_ci_high": median_time(curve, "ci_high"),
            "p90_days": median_time(curve, level=P90_SURVIVAL), "longest_days": longest}


POSITION_COLUMNS = ["stage", "in_flight", "stalled", "dated", "median_days_there", "longest_days_there",
                    "pilot_ids", "stalled_ids", "progressing_ids"]


def current_positions(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """Where each in-flight pilot with a known stage sits now. Columns: stage, in_flight, stalled,
    dated (of them with an entry date for the stage), median_days_there (NaN without dates),
    longest_days_there, pilot_ids, stalled_ids, progressing_ids (in flight, not stalled; ids in frame
    order). One row per stage but the last, in order. (The page uses position_counts, whose ids are
    made only for the group asked for.)"""
    counts, groups = position_counts(classified, stages, as_of)
    last = len(counts)
    codes, stalled = groups.codes, groups.stalled
    frame = counts.assign(pilot_ids=ids_by_group(classified, codes, last),
                          stalled_ids=ids_by_group(classified, np.where(stalled, codes, -1), last),
                          progressing_ids=ids_by_group(classified, np.where(stalled, -1, codes), last))
    return frame[POSITION_COLUMNS]


def position_counts(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None,
                    spells: Spells | None = None) -> tuple[pd.DataFrame, PositionIds]:
    """current_positions without its id columns (stage, in_flight, stalled, dated, median_days_there,
    longest_days_there), and the ids of each stage's in-flight, stalled and progressing pilots, each
    list made when asked for. `spells`: the frame's stage_spells (all of them, not only the usable ones),
    when the caller has them: the days there are those of their censored spells, not worked out again."""
    last = max(len(stages) - 1, 0)
    index = classified["stage_index"].to_numpy()
    flying = classified["in_flight"].to_numpy(dtype=bool) & (index >= 0) & (index < last)
    codes = np.where(flying, index, -1)
    stalled = classified["stalled"].to_numpy(dtype=bool)
    rows = np.flatnonzero(flying)  # only the in-flight pilots are worked on
    at = index[rows]
    counts = {"stage": stages[:last], "in_flight": np.bincount(at, minlength=last),
              "stalled": np.bincount(at[stalled[rows]], minlength=last)}
    if spells is None:
        days = _days_there(classified, stages, rows, at, as_of)
        known = ~np.isnan(days)
        there = {"dated": np.bincount(at[known], minlength=last), **_median_and_longest(days[known], at[known], last)}
    else:
        there = _there_from_spells(spells, last)
    return pd.DataFrame(counts | there), PositionIds(classified["pilot_id"].array, codes, stalled, stages[:last])


def _there_from_spells(spells: Spells, last: int) -> dict[str, np.ndarray]:
    """dated, median_days_there and longest_days_there of the stages 0..last-1 from the spells: a pilot in
    flight in stage i with an entry date for it is a spell of stage i still there (censored at the as-of
    date), its days those so far (as _days_there, floored); counted per day where the spells are."""
    dated, median, longest = np.zeros(last, dtype=np.int64), np.full(last, np.nan), np.full(last, np.nan)
    for i in range(min(last, len(spells.stages))):
        if spells.day_counts is not None:
            per_day = spells.day_counts[i][:, STILL_THERE]
            dated[i] = n = int(per_day.sum())
            if n:
                ends = np.cumsum(per_day)  # the day of the k-th smallest (0-based): searchsorted(ends, k, right)
                middle = np.searchsorted(ends, [(n - 1) // 2, n // 2], side="right")
                median[i], longest[i] = (middle[0] + middle[1]) / 2, np.flatnonzero(per_day)[-1]
            continue
        part = spells.by_stage[i]
        days = spells.days[part][spells.exit[part] == STILL_THERE]
        dated[i] = len(days)
        if len(days):
            median[i], longest[i] = np.median(days), days.max()
    return {"dated": dated, "median_days_there": median, "longest_days_there": longest}


def _median_and_longest(days: np.ndarray, groups_of: np.ndarray, groups: int) -> dict[str, np.ndarray]:
    """The median and the largest `days` of each group 0..groups-1 (`groups_of`: each day's; NaN where none)."""
    median, longest = np.full(groups, np.nan), np.full(groups, np.nan)
    for g in range(groups):
        there = days[groups_of == g]
        if there.size:
            median[g], longest[g] = np.median(there), there.max()
    return {"median_days_there": median, "longest_days_there": longest}


class PositionIds(Mapping):
    """(part, stage) -> the ids of the in-flight pilots in that stage now, in frame order; part is
    "in_flight" (all of them), "stalled" or "progressing". Each list is made when looked up: a page run
    reads at most the one clicked or chosen, where building them all costs 0.1 s at 1M pilots."""

    PARTS = ("in_flight", "stalled", "progressing")

    def __init__(self, ids: Sequence[str], codes: np.ndarray, stalled: np.ndarray, stages: list[str]) -> None:
        self._ids, self.codes, self.stalled = ids, codes, stalled
        self._stage = {s: i for i, s in enumerate(stages)}

    def __getitem__(self, key: object) -> list[str]:
        part, stage = key if isinstance(key, tuple) and len(key) == 2 else (None, None)
        if part not in self.PARTS or stage not in self._stage:
            raise KeyError(key)
        here = self.codes == self._stage[stage]
        if part != "in_flight":
            here &= self.stalled if part == "stalled" else ~self.stalled
        return list(self._ids.take(np.flatnonzero(here)))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(part, stage) for part in self.PARTS for stage in self._stage])

    def __len__(self) -> int:
        return len(self.PARTS) * len(self._stage)


def _days_there(classified: pd.DataFrame, stages: list[str], rows: np.ndarray, at: np.ndarray,
                as_of: dt.date | None) -> np.ndarray:
    """Days from entering the current stage (`at`: its index) to the as-of date, of the pilots at `rows`
    (NaN without a date)."""
    days = np.full(len(rows), np.nan)
    if as_of is None:
        return days
    moment = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "us")
    for i, stage in enumerate(stages):
        here = np.flatnonzero(at == i)
        if f"{stage}_date" in classified and here.size:
            entered = classified[f"{stage}_date"].to_numpy(dtype="datetime64[us]")[rows[here]]
            known = ~np.isnat(entered)  # floor division, as Timedelta.days
            days[here[known]] = (moment - entered[known]) // np.timedelta64(1, "D")
    return days


@dataclass(frozen=True)
class Bottleneck:
    """The stage where pilots wait longest (by Kaplan-Meier median time in stage)."""

    stage: str
    median_days: float | None  # None: more than half are still there after `longest_days`
    longest_days: float
    waiting_now: int
    entered: int

    @property
    def sentence(self) -> str:
        """'Pilots wait longest in proof of concept: median 4.2 months, 31 waiting now.'"""
        where = f"the {stage_label(self.stage).lower()} stage"
        now = f"{self.waiting_now:,} waiting now"
        if self.median_days is None:
            return (f"Pilots wait longest in {where}: more than half of the {self.entered:,} that entered "
                    f"are still there after {self.longest_days / DAYS_PER_MONTH:.1f} months; {now}.")
        return f"Pilots wait longest in {where}: median {self.median_days / DAYS_PER_MONTH:.1f} months, {now}."


def bottleneck(summary: pd.DataFrame, positions: pd.DataFrame, min_n: int = MIN_STAGE_N) -> Bottleneck | None:
    """The stage with the longest median time in stage among those entered by at least `min_n`
    pilots (a median not reached counts as longer than the stage's longest follow-up); None if none."""
    candidates = summary[summary["entered"] >= min_n]
    if candidates.empty:
        return None
    median = candidates["median_days"].astype("float64")
    score = median.fillna(candidates["longest_days"].astype("float64") + 1e9)  # not reached: longest
    best = candidates.loc[score.idxmax()]
    waiting = positions.set_index("stage")["in_flight"]
    return Bottleneck(best["stage"], None if pd.isna(best["median_days"]) else float(best["median_days"]),
                      float(best["longest_days"]), int(waiting.get(best["stage"], 0)), int(best["entered"]))


def stalled_pilots(classified: pd.DataFrame, columns: list[str] | None = None,
                   order: np.ndarray | None = None) -> pd.DataFrame:
    """The stalled pilots (classify's stalled flag), longest without progress first: STALLED_COLUMNS
    (those the frame has) first, then the frame's other columns; or only `columns` (those it has).
    `order`: the stalled_order to take them in (or a part of it, e.g. the first rows shown)."""
    first = [c for c in (columns or STALLED_COLUMNS) if c in classified]
    columns = first if columns else first + [c for c in classified.columns if c not in first]
    return classified[columns].take(stalled_order(classified) if order is None else order).reset_index(drop=True)


def stalled_order(classified: pd.DataFrame, first: int | None = None) -> np.ndarray:
    """The positions of the stalled pilots, longest without progress first, then by pilot id (ties in
    frame order, as a stable sort of the stalled rows by both): sorts only the stalled rows' days and
    id ranks, where sorting the frame moves every column (0.3 s at 1M pilots). With `first`, only the
    first that many of that order (the rows a table shows): only the pilots with at least as many days
    as the last of them have their ids ranked (ranking the ids of 100k stalled pilots was most of it)."""
    rows = np.flatnonzero(classified["stalled"].to_numpy(dtype=bool))
    days = classified["days_without_progress"].to_numpy(dtype="float64")[rows]
    if first is not None and 0 < first < len(rows):
        key = np.where(np.isnan(days), np.inf, -days)  # the order's first key, NaN last
        keep = key <= np.partition(key, first - 1)[first - 1]  # ties with the last shown are ranked too
        rows, days = rows[keep], days[keep]
    ids = classified["pilot_id"].array.take(rows)
    arrow = ids.__arrow_array__() if hasattr(ids, "__arrow_array__") else pa.array(ids, type=pa.string())
    rank = pc.rank(arrow, sort_keys="ascending", tiebreaker="dense").to_numpy()  # missing ids rank last
    order = rows[np.lexsort((rank, -days))]  # NaN days last
    return order if first is None else order[:first]


NEEDS_STAGE_DATES = ("Time in each stage, and how long in-flight pilots have been in their stage, need the date "
                     "each pilot entered each stage (columns such as 'PoC date', or an event log with one row "
                     "per stage change); this dataset has none, so they are not drawn.")
NEEDS_PROGRESS_DATES = ("Stalled pilots need a date of last progress (stage entry dates or a 'last update' "
                        "column); this dataset has none, so no pilot can be called stalled.")


@dataclass(frozen=True)
class DateCoverage:
    """Which stall views the dataset's dates allow."""

    stage_dates: bool  # some `<stage>_date` holds a date: time in stage, days in the current stage
    progress_dates: bool  # stage dates or last updates: days without progress, stalls
    as_of: bool

    @property
    def time_in_stage(self) -> bool:
        return self.stage_dates and self.as_of

    @property
    def stalls(self) -> bool:
        return self.progress_dates and self.as_of

    def missing(self) -> list[str]:
        """One sentence per view that cannot be drawn, saying which dates it needs."""
        notes = []
        if not self.time_in_stage:
            notes.append(NEEDS_STAGE_DATES)
        if not self.stalls:
            notes.append(NEEDS_PROGRESS_DATES)
        return notes


def date_coverage(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> DateCoverage:
    """What the dataset's dates allow (see DateCoverage)."""
    return DateCoverage(bool(stage_date_columns(classified, stages)),
                        bool(classified["last_progress"].notna().any()), as_of is not None)
