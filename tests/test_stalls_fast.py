"""Known answers for the time in stage worked on arrays (analysis/metrics/stalls.py: the stage_durations frame
and the compact stage_spells), on a hand-built portfolio with every way a spell starts and ends: skipped
stages, a stage left for the nearest later dated one, production without a production date, cancelled with
and without an end date, still in flight (censored), reached production in a stage before the last, dates
out of order, an entry date missing, an unknown stage. Also the random portfolios other stall tests use."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.metrics.outcomes import classify
from analysis.metrics.stalls import (
    CANCELLED,
    DECIDED,
    DURATION_COLUMNS,
    IN_FLIGHT,
    MOVED_ON,
    stage_durations,
    stage_spells,
)

STAGES = ["intake", "scoping", "poc", "pilot", "production"]
DAY0 = pd.Timestamp("2024-01-01")
KNOWN_AS_OF = (DAY0 + pd.Timedelta(days=100)).date()  # day 100
KNOWN_STALL_DAYS = 50


def day(n: int | None) -> pd.Timestamp:
    """Day n after 2024-01-01 (NaT for None): every date below is a day number, so each spell's days are a
    subtraction."""
    return pd.NaT if n is None else DAY0 + pd.Timedelta(days=n)


# id, stage index, status, {stage: entry day}, end day (days counted from DAY0)
KNOWN = [
    ("A", 2, "active", {"intake": 0, "scoping": 10, "poc": 40}, None),  # in flight in PoC since day 40
    ("B", 1, "cancelled", {"intake": 0, "scoping": 5}, 25),  # cancelled in scoping on day 25
    ("C", 4, "production", {"intake": 0, "scoping": 1, "poc": 4, "production": 14}, None),  # skipped pilot
    ("D", 4, "production", {"intake": 0, "pilot": 20}, 50),  # no production date: its end date is
    ("E", 1, "active", {"intake": 30, "scoping": 20}, None),  # dates out of order
    ("F", 3, "retired", {"intake": 0, "pilot": 60}, 90),  # reached production (retired) at the pilot stage
    ("G", 2, "cancelled", {"poc": 50}, None),  # cancelled without an end date: leaves at its last progress
    ("H", 3, "active", {"intake": 0}, None),  # in the pilot stage, no later date known: no spell at all
    ("I", -1, "active", {"intake": 0}, None),  # unknown stage: no spell, not in any stage now
    ("J", 2, "on_hold", {"poc": 90}, None),  # on hold in PoC since day 90
]


def known_portfolio() -> pd.DataFrame:
    """KNOWN classified at day 100 with a 50-day stall rule (stalled: A 60 days without progress, E 70,
    H and I 100; J only 10)."""
    frame = pd.DataFrame({
        "pilot_id": pd.array([k[0] for k in KNOWN], dtype="str"),
        "name": [f"Pilot {k[0]}" for k in KNOWN],
        "stage_index": [k[1] for k in KNOWN],
        "stage": pd.array([STAGES[k[1]] if k[1] >= 0 else None for k in KNOWN], dtype="str"),
        "status": pd.array([k[2] for k in KNOWN], dtype="str"),
        **{f"{s}_date": pd.Series([day(k[3].get(s)) for k in KNOWN], dtype="datetime64[us]") for s in STAGES},
        "end_date": pd.Series([day(k[4]) for k in KNOWN], dtype="datetime64[us]"),
        "last_update": pd.Series([pd.NaT] * len(KNOWN), dtype="datetime64[us]"),
    })
    return classify(frame, STAGES, KNOWN_AS_OF, KNOWN_STALL_DAYS)


# Every spell of KNOWN, stage by stage, pilots in frame order: (pilot, stage index, days, exit).
KNOWN_SPELLS = [
    # intake: each left for its nearest later dated stage (C: scoping on day 1, not PoC on day 4; D: pilot on
    # day 20, scoping and PoC skipped; F: pilot on day 60); E entered scoping before intake: -10 days.
    # G and J have no intake date; H moved on with no later date and no production: when it left is unknown.
    ("A", 0, 10, MOVED_ON), ("B", 0, 5, MOVED_ON), ("C", 0, 1, MOVED_ON), ("D", 0, 20, MOVED_ON),
    ("E", 0, -10, MOVED_ON), ("F", 0, 60, MOVED_ON),
    # scoping: B cancelled there (day 5 -> its end, day 25); E still there at day 100 (censored)
    ("A", 1, 30, MOVED_ON), ("B", 1, 20, CANCELLED), ("C", 1, 3, MOVED_ON), ("E", 1, 80, IN_FLIGHT),
    # PoC: A still there (40 -> 100); C left for production (pilot skipped, day 14); G cancelled with no end
    # date: its last progress is its PoC entry, so 0 days; J on hold since day 90: in flight, censored
    ("A", 2, 60, IN_FLIGHT), ("C", 2, 10, MOVED_ON), ("G", 2, 0, CANCELLED), ("J", 2, 10, IN_FLIGHT),
    # pilot: D moved on to production at its end date (day 50); F reached production (retired) there
    ("D", 3, 30, MOVED_ON), ("F", 3, 30, DECIDED),
]


def test_known_spells_as_a_frame():
    durations = stage_durations(known_portfolio(), STAGES, KNOWN_AS_OF)
    assert list(durations.columns) == DURATION_COLUMNS
    got = list(zip(durations["pilot_id"], durations["stage_index"], durations["days"], durations["exit"]))
    assert got == KNOWN_SPELLS
    assert durations["stage"].tolist() == [STAGES[s[1]] for s in KNOWN_SPELLS]
    assert durations["observed"].tolist() == [s[3] != IN_FLIGHT for s in KNOWN_SPELLS]
    assert durations["days"].dtype == "float64" and durations["stage_index"].dtype == "int64"
    # left: the next stage's entry, the end date or the as-of date; days = left - entered
    assert (durations["left"] - durations["entered"]).dt.days.tolist() == [s[2] for s in KNOWN_SPELLS]
    assert durations.loc[durations["exit"] == IN_FLIGHT, "left"].tolist() == [pd.Timestamp(KNOWN_AS_OF)] * 3


def test_known_spells_as_compact_arrays():
    spells = stage_spells(known_portfolio(), STAGES, KNOWN_AS_OF)
    assert len(spells) == len(KNOWN_SPELLS)
    assert spells.pilot_ids.take(np.arange(len(spells))) == [s[0] for s in KNOWN_SPELLS]
    assert spells.rows.tolist() == ["ABCDEFGHIJ".index(s[0]) for s in KNOWN_SPELLS]  # the pilot's row
    assert spells.stage_index.tolist() == [s[1] for s in KNOWN_SPELLS]
    assert spells.days.tolist() == [s[2] for s in KNOWN_SPELLS]
    assert spells.exit.tolist() == [[MOVED_ON, CANCELLED, IN_FLIGHT, DECIDED].index(s[3]) for s in KNOWN_SPELLS]
    assert spells.observed.tolist() == [s[3] != IN_FLIGHT for s in KNOWN_SPELLS]
    assert (spells.rows.dtype, spells.days.dtype, spells.exit.dtype, spells.stage_index.dtype) == \
        (np.int32, np.int32, np.int8, np.int8)
    # by stage: 6 intake, 4 scoping, 4 PoC, 2 pilot spells, none in production
    assert [len(spells.positions(p)) for p in spells.by_stage] == [6, 4, 4, 2, 0]
    usable = spells.usable()  # E's -10 days left out, nothing else
    assert usable.days.tolist() == [s[2] for s in KNOWN_SPELLS if s[2] >= 0]
    assert usable.pilot_ids.take(np.arange(len(usable)))[:5] == ["A", "B", "C", "D", "F"]
    assert spells.day_counts is None and usable.day_counts is not None  # negative days cannot be counted per day
    assert usable.counts.tolist() == [[5, 0, 0, 0], [2, 1, 1, 0], [1, 1, 2, 0], [1, 0, 0, 1], [0, 0, 0, 0]]


@pytest.mark.parametrize("spells_of", [stage_durations, stage_spells], ids=["frame", "spells"])
def test_no_spells_without_an_as_of_date_or_stage_dates(spells_of):
    classified = known_portfolio()
    assert len(spells_of(classified, STAGES, None)) == 0
    undated = classified.assign(**{f"{s}_date": pd.NaT for s in STAGES}).astype(
        {f"{s}_date": "datetime64[us]" for s in STAGES})
    assert len(spells_of(undated, STAGES, KNOWN_AS_OF)) == 0
    # only production is dated: production is where pilots arrive, nobody waited anywhere on record
    only_production = classified.drop(columns=[f"{s}_date" for s in STAGES[:-1]])
    assert len(spells_of(only_production, STAGES, KNOWN_AS_OF)) == 0
    assert list(stage_durations(undated, STAGES, KNOWN_AS_OF).columns) == DURATION_COLUMNS


def test_a_stage_without_a_date_column_has_no_spells_and_the_next_dated_one_is_used():
    # without the scoping column, A and C leave intake for PoC (days 40 and 4); B and E are in scoping and
    # have no later date: they moved on at an unknown date (and did not reach production), so no spell
    spells = stage_durations(known_portfolio().drop(columns="scoping_date"), STAGES, KNOWN_AS_OF)
    intake = spells[spells["stage_index"] == 0]
    assert list(zip(intake["pilot_id"], intake["days"])) == [("A", 40), ("C", 4), ("D", 20), ("F", 60)]
    assert 1 not in set(spells["stage_index"])


def random_portfolio(seed: int, n: int = 400) -> pd.DataFrame:
    """A canonical pilots frame with skipped and undated stages, dates sometimes out of order, every status
    and unknown stages: the stall tests' random portfolios (classify it first)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    index = rng.integers(-1, len(STAGES), n)
    frame = pd.DataFrame({"pilot_id": [f"P{seed}-{i}" for i in range(n)], "stage_index": index,
                          "stage": [STAGES[i] if i >= 0 else None for i in index]})
    day = start
    for j, stage in enumerate(STAGES):
        day = day + pd.to_timedelta(rng.integers(-20, 200, n), unit="D")  # sometimes out of order
        known = (index >= j) & (rng.random(n) > 0.2)  # skipped or undated stages
        frame[f"{stage}_date"] = day.where(known)
    frame["start_date"] = start
    status = rng.choice(["active", "cancelled", "on_hold", "retired"], n)
    frame["status"] = np.where(index == len(STAGES) - 1, "production", status)
    frame["end_date"] = (day + pd.to_timedelta(rng.integers(0, 60, n), unit="D")).where(
        (frame["status"] != "active") & (rng.random(n) > 0.3))
    frame["last_update"] = day.where(rng.random(n) > 0.5)
    frame["failure_cause"] = None
    return frame


@pytest.mark.parametrize("seed", range(3))
def test_random_portfolios_give_the_same_spells_as_arrays_and_as_a_frame(seed):
    as_of = dt.date(2026, 6, 30)
    classified = classify(random_portfolio(seed), STAGES, as_of, 90)
    frame, spells = stage_durations(classified, STAGES, as_of), stage_spells(classified, STAGES, as_of)
    assert set(frame["exit"]) == {MOVED_ON, CANCELLED, IN_FLIGHT, DECIDED} and (frame["days"] < 0).any()
    assert spells.pilot_ids.take(np.arange(len(spells))) == frame["pilot_id"].tolist()
    assert spells.days.tolist() == frame["days"].tolist()
    assert spells.stage_index.tolist() == frame["stage_index"].tolist()
    assert [[MOVED_ON, CANCELLED, IN_FLIGHT, DECIDED][e] for e in spells.exit.tolist()] == frame["exit"].tolist()
