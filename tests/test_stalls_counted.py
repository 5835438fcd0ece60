"""The Stalls page's work from spells counted per day (Spells.day_counts): the big boxes' statistics and
outliers (counted_box_stats, _outlier_rows) == box_stats on every value, the days in the current stage from
the censored spells == _days_there from the dates (and the known answer of the hand-built portfolio), and
the first rows of the stalled pilots sorted among the longest-stalled only == the first rows of the whole
order. On the sample, random portfolios (out-of-order dates, so negative days and no counts per day,
repeated ids) and spells made to have outliers below and above their boxes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures import stalls as figures
from analysis.figures.stalls import POINTS_PER_BOX
from analysis.metrics import stalls
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.outcomes import classify
from tests.conftest import SAMPLE
from tests.test_stalls_fast import KNOWN_AS_OF, STAGES, day, known_portfolio, random_portfolio
from tests.test_stalls_spells import KNOWN_POSITION_IDS, KNOWN_POSITIONS, plain

AS_OF = dt.date(2026, 6, 30)


def portfolio(seed: int, n: int, repeated_ids: bool = False, in_order: bool = False) -> pd.DataFrame:
    frame = random_portfolio(seed, n)
    if in_order:  # every date after the one before and before the as-of date: no negative days, so the
        dates = [f"{s}_date" for s in STAGES]  # spells are counted per day
        frame[dates] = frame[dates].apply(lambda row: row.sort_values().to_numpy(), axis=1, result_type="expand")
        frame["end_date"] = frame["end_date"].where(frame["end_date"] >= frame[dates].max(axis=1))
        late = [*dates, "end_date", "last_update"]
        frame[late] = frame[late].where(frame[late] <= pd.Timestamp(AS_OF))
    classified = classify(frame, STAGES, AS_OF, 90)
    if repeated_ids:  # ties of id and days among the stalled
        classified["pilot_id"] = pd.array([f"P{i % 37}" for i in range(len(classified))], dtype="str")
    return classified


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


CASES = [("sample", 0, False, False), ("random", 1, False, False), ("repeated", 2, True, False),
         ("in order", 3, False, True), ("big in order", 4, False, True)]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def case(request, sample):
    kind, seed, repeated, in_order = request.param
    if kind == "sample":
        return sample
    return portfolio(seed, 9000 if kind.startswith("big") else 600, repeated, in_order), STAGES, AS_OF


def test_counted_spells_are_the_cases_wanted(case):
    spells = stalls.stage_spells(*case)
    assert len(spells) > 0
    assert (spells.day_counts is None) == bool((spells.days < 0).any())  # both kinds of spells are tested


def test_positions_from_spells_are_the_days_there(case):
    classified, stages, as_of = case
    spells = stalls.stage_spells(classified, stages, as_of)
    expected, _ = stalls.position_counts(classified, stages, as_of)
    counts, ids = stalls.position_counts(classified, stages, as_of, spells)
    pd.testing.assert_frame_equal(counts, expected)
    assert expected["dated"].sum() > 0
    listed = stalls.current_positions(classified, stages, as_of).set_index("stage")
    for stage in counts["stage"]:
        assert ids[("stalled", stage)] == listed.loc[stage, "stalled_ids"]


def test_known_positions_from_spells_counted_per_day():
    # E's intake date moved from day 30 to day 10 (before its scoping entry on day 20): no negative days, so
    # the spells are counted per day; E's days there (80) and without progress (100 - 20 = 80) are unchanged
    classified = known_portfolio()
    classified.loc[classified["pilot_id"] == "E", "intake_date"] = day(10)
    spells = stalls.stage_spells(classified, STAGES, KNOWN_AS_OF)
    assert spells.day_counts is not None
    counts, ids = stalls.position_counts(classified, STAGES, KNOWN_AS_OF, spells)
    assert {c: plain(counts[c].tolist()) for c in counts.columns} == KNOWN_POSITIONS
    for part, lists in KNOWN_POSITION_IDS.items():
        assert [ids[(part, stage)] for stage in KNOWN_POSITIONS["stage"]] == lists


def test_positions_without_dates_or_as_of_from_spells(sample):
    classified, stages, _ = sample
    for as_of in (None, dt.date(2026, 10, 31)):
        undated = classified.assign(**{f"{s}_date": pd.NaT for s in stages}) if as_of else classified
        spells = stalls.stage_spells(undated, stages, as_of)
        pd.testing.assert_frame_equal(stalls.position_counts(undated, stages, as_of, spells)[0],
                                      stalls.position_counts(undated, stages, as_of)[0])


def test_first_stalled_rows_are_those_of_the_whole_order(case):
    classified = case[0]
    whole = stalls.stalled_order(classified)
    assert len(whole) > 3
    for first in (0, 1, 2, 3, len(whole) // 2, len(whole) - 1, len(whole), len(whole) + 5):
        assert stalls.stalled_order(classified, first).tolist() == whole[:first].tolist()


def test_first_stalled_rows_with_tied_days_and_missing_days():
    days = [200.0, 150.0, 150.0, 150.0, np.nan, 300.0, 150.0, np.nan, 120.0]
    classified = pd.DataFrame({"pilot_id": pd.array(["b", "c", "a", "c", "z", "y", "a", None, "x"], dtype="str"),
                               "stalled": [True] * len(days), "days_without_progress": days})
    whole = stalls.stalled_order(classified)
    assert whole.tolist() == [5, 0, 2, 6, 1, 3, 8, 4, 7]  # days down; ties by id, then frame order; NaN last
    for first in range(len(days) + 1):
        assert stalls.stalled_order(classified, first).tolist() == whole[:first].tolist()


@pytest.mark.parametrize("seed", range(8))
def test_counted_box_stats_are_box_stats(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(POINTS_PER_BOX, 20_000))
    days = np.rint(rng.lognormal(3.0, float(rng.uniform(0.2, 1.5)), n)).astype(np.int32)
    days[: int(rng.integers(0, 30))] = rng.integers(400, 600)  # far above
    if seed % 2:  # and far below: outliers in both tails
        days = np.where(days < 5, days, days + 200)
    months = days / DAYS_PER_MONTH
    stats, out = figures.box_stats(months, days)
    counted, out_days = figures.counted_box_stats(np.bincount(days))
    assert counted == stats
    assert np.array_equal(out_days[days], out) and out.any()
    assert not out_days[np.setdiff1d(np.arange(len(out_days)), days)].any()  # days with no value: not outliers


def spells_with_outliers(seed: int) -> stalls.Spells:
    """Two stages of big boxes (left and still there) with outliers below and above, and a small box."""
    rng = np.random.default_rng(seed)
    parts, exits = [], []
    for size, censored_share in ((6000, 0.4), (3000, 0.02)):
        days = 300 + rng.integers(-30, 30, size)
        days[rng.random(size) < 0.01] = rng.integers(0, 40)
        days[rng.random(size) < 0.01] = rng.integers(900, 1200)
        parts.append(days)
        exits.append(np.where(rng.random(size) < censored_share, stalls.STILL_THERE, rng.choice([0, 1, 3], size)))
    days = np.concatenate(parts).astype(np.int32)
    index = np.repeat([0, 1], [len(p) for p in parts]).astype(np.int8)
    ids = pd.array([f"P{i}" for i in range(len(days))], dtype="str")
    return stalls.Spells(ids, np.arange(len(days), dtype=np.int32), index, days,
                         np.concatenate(exits).astype(np.int8), ["a", "b", "c"])


@pytest.mark.parametrize("seed", range(3))
def test_boxes_from_counts_are_the_boxes_of_every_value(seed):
    spells = spells_with_outliers(seed)
    assert spells.day_counts is not None
    scanned = stalls.Spells(spells.ids, spells.rows, spells.stage_index, spells.days.astype("float64"), spells.exit,
                            spells.stages)  # not whole days: no counts, every box scanned (the code replaced)
    assert scanned.day_counts is None
    summary = stalls.stage_time_summary(spells, ["a", "b", "c"])
    pd.testing.assert_frame_equal(summary, stalls.stage_time_summary(scanned, ["a", "b", "c"]))
    fig = figures.stage_time_figure(spells, summary, ["a", "b", "c"])
    boxes = [t for t in fig.data if t.type == "box"]
    assert [b.boxpoints for b in boxes] == ["outliers", "outliers", "outliers", "all"]
    low_and_high = [np.asarray(b.x[0]) for b in boxes[:3]]
    assert all((x < 100 / DAYS_PER_MONTH).any() and (x > 800 / DAYS_PER_MONTH).any() for x in low_and_high)
    assert fig.to_json() == figures.stage_time_figure(scanned, summary, ["a", "b", "c"]).to_json()


@pytest.mark.parametrize("seed", range(3))
def test_drawn_boxes_are_the_boxes_with_only_big_boxes_outliers(seed):
    spells = spells_with_outliers(seed)
    drawn = figures._drawn_boxes(spells, 2)
    # spells_with_outliers' boxes by construction: stage 0 (6,000 spells) and stage 1 (3,000), each split into
    # those that left and those still there, left first; every one is non-empty
    left = spells.exit != stalls.STILL_THERE
    every = [(kind, i, np.flatnonzero((spells.stage_index == i) & (left == kind[0])))
             for kind in figures.SPELL_KINDS for i in (0, 1)]
    assert [(k, i) for k, i, _, _ in drawn] == [(k, i) for k, i, _ in every] and all(len(r) for _, _, r in every)
    for (_, _, rows), (_, _, shown, per_day) in zip(every, drawn):
        if per_day is None:  # a small box: every spell
            assert len(rows) <= POINTS_PER_BOX and np.array_equal(shown, rows)
            continue
        out = figures.box_stats(spells.days[rows] / DAYS_PER_MONTH, spells.days[rows])[1]
        assert np.array_equal(shown, rows[out]) and out.any()
        assert np.array_equal(per_day[: spells.days[rows].max() + 1], np.bincount(spells.days[rows]))
