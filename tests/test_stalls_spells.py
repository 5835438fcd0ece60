"""Known answers for the Stalls page's fast paths on the hand-built portfolio of tests/test_stalls_fast.py:
the Kaplan-Meier summary counted per day and sorted, position counts and their lazily made ids, the stalled
pilots sorted on days and id ranks, the choices and the time-in-stage boxes. The figure's big boxes are held
to plotly.js's own box (plotly_box, its calc.js written out). On the sample and on random portfolios (skipped
stages, missing and out-of-order dates, ties and repeated pilot ids, boxes above POINTS_PER_BOX) the paths
that must agree do (spells and frame, counted and sorted, lazy and listed ids) and the stalled pilots come
longest without progress first."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures import stalls as figures
from analysis.figures.base import drill
from analysis.figures.stalls import POINTS_PER_BOX, SPELL_KINDS
from analysis.metrics import stalls
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.outcomes import classify
from analysis.metrics.stats import MAX_WHOLE_DURATION, kaplan_meier, kaplan_meier_whole
from analysis.schema import stage_label
from tests.conftest import SAMPLE
from tests.test_stalls_fast import KNOWN_AS_OF, STAGES, known_portfolio, random_portfolio

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


def portfolio(seed: int, n: int = 400, repeated_ids: bool = False):
    classified = classify(random_portfolio(seed, n), STAGES, AS_OF, 90)
    if repeated_ids:  # the same id on several rows (and so ties of id and days among the stalled)
        classified["pilot_id"] = pd.array([f"P{i % 37}" for i in range(len(classified))], dtype="str")
    return classified, STAGES, AS_OF


CASES = [("sample", None)] + [("random", seed) for seed in range(3)] + [("repeated", 7), ("big", 8)]


@pytest.fixture(params=CASES, ids=[f"{k}-{s}" for k, s in CASES])
def case(request, sample):
    kind, seed = request.param
    if kind == "sample":
        return sample
    return portfolio(seed, n=9000 if kind == "big" else 400, repeated_ids=kind == "repeated")


def plain(values) -> list:
    """Values with NaN and None alike (None), to compare with the answers written below."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values]


# The usable spells of the known portfolio per stage (days, still there = censored), and their Kaplan-Meier
# curves (Greenwood variance, log-log bounds as R's survfit(conf.type = "log-log")), worked out by hand:
# intake: 1, 5, 10, 20, 60, all left -> S = .8, .6, .4, .2, 0: median 10, 90th percentile 60; the lower
#   bound at day 1 is exp(-exp(log(-log .8) + 1.96 * sqrt(1/20) / -log .8)) = 0.204 <= .5 -> 1; the upper
#   bound stays above .5 (0.58 at day 20, undefined at S = 0) -> none.
# scoping: 3, 20, 30 left, 80 censored -> S = 3/4, 1/2, 1/4: median 20, never 0.1; lower bound 0.128 at 3.
# PoC: 0 and 10 left, 10 and 60 censored (at day 10 the one leaving counts before the one censored)
#   -> S(0) = 3/4, S(10) = 3/4 * 2/3 = 1/2: median 10, never 0.1; lower bound 0.128 at day 0.
# pilot: 30 and 30 left -> S(30) = 0: median and 90th percentile 30, bounds undefined.
KNOWN_SUMMARY = [  # stage, entered, left, still_there, median, ci_low, ci_high, p90, longest
    ("intake", 5, 5, 0, 10.0, 1.0, None, 60.0, 60.0),
    ("scoping", 4, 3, 1, 20.0, 3.0, None, None, 80.0),
    ("poc", 4, 2, 2, 10.0, 0.0, None, None, 60.0),
    ("pilot", 2, 2, 0, 30.0, None, None, 30.0, 30.0),
]


def test_known_summary_counted_per_day_and_sorted():
    classified = known_portfolio()
    spells = stalls.stage_spells(classified, STAGES, KNOWN_AS_OF)
    frame = stalls.stage_durations(classified, STAGES, KNOWN_AS_OF)
    assert spells.usable().day_counts is not None  # counted per day; the frame's float days are sorted
    for durations in (spells, spells.usable(), frame, stalls.usable_durations(frame)):  # E's -10 days left out
        summary = stalls.stage_time_summary(durations, STAGES)
        assert list(summary.columns) == stalls.SUMMARY_COLUMNS
        assert [tuple(plain(row)) for row in summary.itertuples(index=False)] == KNOWN_SUMMARY


def test_summary_counted_per_day_is_the_sorted_one(case):
    classified, stages, as_of = case
    spells = stalls.stage_spells(classified, stages, as_of)
    sorted_ = stalls.stage_time_summary(stalls.stage_durations(classified, stages, as_of), stages)  # float days
    assert spells.usable().day_counts is not None and sorted_["entered"].sum() > 0
    pd.testing.assert_frame_equal(stalls.stage_time_summary(spells.usable(), stages), sorted_)
    pd.testing.assert_frame_equal(stalls.stage_time_summary(spells, stages), sorted_)  # filters itself


@pytest.mark.parametrize("seed", range(5))
def test_kaplan_meier_whole_is_kaplan_meier(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    days = rng.integers(0, int(rng.choice([3, 40, 2000])), n).astype(np.int32)  # many ties, zeros
    observed = rng.random(n) > rng.choice([0.0, 0.3, 1.0])  # all observed, some, none
    pd.testing.assert_frame_equal(kaplan_meier_whole(days, observed), kaplan_meier(days, observed))
    far = days.copy()
    far[0] = MAX_WHOLE_DURATION + 1  # beyond counting: sorted, same curve
    pd.testing.assert_frame_equal(kaplan_meier_whole(far, observed), kaplan_meier(far, observed))


# In flight now in a known stage: E in scoping (80 days there, stalled: 70 without progress), A and J in PoC
# (60 and 10 days; A stalled), H in the pilot stage without a pilot date (stalled: 100 days). I's stage is
# unknown: it is in no stage. Nobody is in intake.
KNOWN_POSITIONS = {"stage": ["intake", "scoping", "poc", "pilot"], "in_flight": [0, 1, 2, 1], "stalled": [0, 1, 1, 1],
                   "dated": [0, 1, 2, 0], "median_days_there": [None, 80.0, 35.0, None],
                   "longest_days_there": [None, 80.0, 60.0, None]}
KNOWN_POSITION_IDS = {"in_flight": [[], ["E"], ["A", "J"], ["H"]], "stalled": [[], ["E"], ["A"], ["H"]],
                      "progressing": [[], [], ["J"], []]}


def test_known_position_counts_and_lazy_ids():
    classified = known_portfolio()
    spells = stalls.stage_spells(classified, STAGES, KNOWN_AS_OF)
    for given in (None, spells):  # days there worked out from the dates, or read from the censored spells
        counts, ids = stalls.position_counts(classified, STAGES, KNOWN_AS_OF, given)
        assert {c: plain(counts[c].tolist()) for c in counts.columns} == KNOWN_POSITIONS
        for part, lists in KNOWN_POSITION_IDS.items():
            assert [ids[(part, stage)] for stage in KNOWN_POSITIONS["stage"]] == lists
        assert sum(1 for _ in ids) == len(ids) == 12
        for wrong in [("stalled", "production"), ("nobody", "poc"), "poc", ["stalled", "poc"], None]:
            with pytest.raises(KeyError):
                ids[wrong]
    positions = stalls.current_positions(classified, STAGES, KNOWN_AS_OF)
    assert positions["pilot_ids"].tolist() == KNOWN_POSITION_IDS["in_flight"]
    assert positions["stalled_ids"].tolist() == KNOWN_POSITION_IDS["stalled"]
    assert positions["progressing_ids"].tolist() == KNOWN_POSITION_IDS["progressing"]
    undated = stalls.position_counts(classified, STAGES, None)[0]  # no as-of date: counts, no days there
    assert undated["in_flight"].tolist() == [0, 1, 2, 1] and undated["dated"].sum() == 0


def test_position_counts_and_lazy_ids_are_the_id_lists(case):
    classified, stages, as_of = case
    listed = stalls.current_positions(classified, stages, as_of)
    counts, ids = stalls.position_counts(classified, stages, as_of)
    pd.testing.assert_frame_equal(counts, listed[counts.columns.tolist()])
    assert listed["in_flight"].sum() > 0
    for column, part in (("pilot_ids", "in_flight"), ("stalled_ids", "stalled"), ("progressing_ids", "progressing")):
        for stage, lists in zip(listed["stage"], listed[column]):
            assert ids[(part, stage)] == lists
    for every, stalled_, progressing in zip(listed["pilot_ids"], listed["stalled_ids"], listed["progressing_ids"]):
        assert len(every) == len(stalled_) + len(progressing) and set(every) == set(stalled_) | set(progressing)


def test_positions_figure_and_choices_with_lazy_ids_are_the_listed_ones(case):
    classified, stages, as_of = case
    listed = stalls.current_positions(classified, stages, as_of)
    counts, ids = stalls.position_counts(classified, stages, as_of)
    lazy, from_lists = figures.positions_figure(counts, 90, ids), figures.positions_figure(listed, 90)
    assert lazy.to_json() == from_lists.to_json()
    for trace in from_lists.data:
        for key in trace.customdata:
            assert drill(lazy)[tuple(key)] == drill(from_lists)[tuple(key)]
    choices = figures.positions_choices(counts, ids)
    assert list(choices) == list(figures.positions_choices(listed))
    assert {k: choices[k] for k in choices} == dict(figures.positions_choices(listed).items())


def test_known_positions_figure_and_choices():
    classified = known_portfolio()
    counts, ids = stalls.position_counts(classified, STAGES, KNOWN_AS_OF)
    fig = figures.positions_figure(counts, 50, ids)
    progressing, stalled_ = fig.data
    assert list(progressing.x) == [0, 0, 1, 0] and list(stalled_.x) == [0, 1, 1, 1]
    assert drill(fig)[("stalled", "poc")] == ["A"] and drill(fig)[("progressing", "poc")] == ["J"]
    choices = figures.positions_choices(counts, ids)
    assert {k: choices[k] for k in choices} == {
        "Scoping: all in flight (1)": ["E"], "Scoping: stalled (1)": ["E"],
        "Proof of concept: all in flight (2)": ["A", "J"], "Proof of concept: stalled (1)": ["A"],
        "Pilot: all in flight (1)": ["H"], "Pilot: stalled (1)": ["H"]}


def test_known_stalled_pilots_longest_first_then_by_id():
    classified = known_portfolio()
    # days without progress: H and I 100 (a tie: by id), E 70, A 60; J (10) is not stalled
    expected = [("H", 100.0), ("I", 100.0), ("E", 70.0), ("A", 60.0)]
    stalled = stalls.stalled_pilots(classified)
    assert list(zip(stalled["pilot_id"], stalled["days_without_progress"])) == expected
    reversed_ = stalls.stalled_pilots(classified.iloc[::-1].reset_index(drop=True))  # I before H in the frame
    assert list(zip(reversed_["pilot_id"], reversed_["days_without_progress"])) == expected
    first = [c for c in stalls.STALLED_COLUMNS if c in classified]  # no sponsor or business unit here
    assert list(stalled.columns[:len(first)]) == first == ["pilot_id", "name", "stage", "days_without_progress",
                                                           "last_progress", "outcome"]
    assert set(stalled.columns) == set(classified.columns)  # then every other column
    assert plain(stalled["stage"].tolist()) == ["pilot", None, "scoping", "poc"]  # I's stage is unknown
    shown = stalls.stalled_pilots(classified, ["pilot_id", "days_without_progress", "no such column"])
    assert list(shown.columns) == ["pilot_id", "days_without_progress"] and shown["pilot_id"].tolist() == ["H", "I", "E", "A"]
    assert stalls.stalled_pilots(classified.assign(stalled=False)).empty


def test_stalled_pilots_come_longest_without_progress_first_then_by_id(case):
    classified, _, _ = case
    stalled = stalls.stalled_pilots(classified)
    assert len(stalled) == int(classified["stalled"].sum()) > 0
    assert sorted(stalled["pilot_id"]) == sorted(classified.loc[classified["stalled"], "pilot_id"])
    keys = list(zip(-stalled["days_without_progress"], stalled["pilot_id"]))
    assert keys == sorted(keys)
    shown = ["pilot_id", "name", "days_without_progress", "stage", "outcome", "no such column"]
    pd.testing.assert_frame_equal(stalls.stalled_pilots(classified, shown), stalled[[c for c in shown if c in stalled]])


# The usable spells of the known portfolio in order (E's -10 days left out): their positions are the keys of
# the time-in-stage points. Intake 0-4: A B C D F; scoping 5-8: A B C E; PoC 9-12: A C G J; pilot 13-14: D F.
KNOWN_CHOICES = {  # stages in order, ways of leaving alphabetically
    "Intake: moved on (5)": ["A", "B", "C", "D", "F"],
    "Scoping: cancelled (1)": ["B"], "Scoping: moved on (2)": ["A", "C"], "Scoping: still there (1)": ["E"],
    "Proof of concept: cancelled (1)": ["G"], "Proof of concept: moved on (1)": ["C"],
    "Proof of concept: still there (2)": ["A", "J"],
    "Pilot: moved on (1)": ["D"], "Pilot: reached production (1)": ["F"],
}
LEFT, STILL = SPELL_KINDS[0][1], SPELL_KINDS[1][1]
KNOWN_BOXES = [  # (stage, kind, keys): the boxes that left first, stage by stage, then those still there
    ("Intake", LEFT, [0, 1, 2, 3, 4]), ("Scoping", LEFT, [5, 6, 7]), ("Proof of concept", LEFT, [10, 11]),
    ("Pilot", LEFT, [13, 14]), ("Scoping", STILL, [8]), ("Proof of concept", STILL, [9, 12]),
]


def test_known_choices_and_boxes():
    classified = known_portfolio()
    usable = stalls.stage_spells(classified, STAGES, KNOWN_AS_OF).usable()
    frame = stalls.usable_durations(stalls.stage_durations(classified, STAGES, KNOWN_AS_OF)).reset_index(drop=True)
    for durations in (usable, frame):
        choices = figures.stage_time_choices(durations)
        assert list(choices) == list(KNOWN_CHOICES) and {k: choices[k] for k in choices} == KNOWN_CHOICES
        assert not figures.outliers_only(durations)
        fig = figures.stage_time_figure(durations, stalls.stage_time_summary(durations, STAGES), STAGES)
        boxes = [t for t in fig.data if t.type == "box"]
        assert [(b.y0, b.name, list(b.customdata)) for b in boxes] == KNOWN_BOXES
        assert all(b.boxpoints == "all" for b in boxes)
        scoping = boxes[1]  # A 30 days moved on, B 20 cancelled, C 3 moved on; 30.4375 days a month
        assert list(scoping.x) == pytest.approx([30 / DAYS_PER_MONTH, 20 / DAYS_PER_MONTH, 3 / DAYS_PER_MONTH])
        assert list(scoping.hovertext) == ["A: 1.0 months, moved on", "B: 0.7 months, cancelled", "C: 0.1 months, moved on"]
        assert list(boxes[5].hovertext) == ["A: 2.0 months, still there", "J: 0.3 months, still there"]
        keys = drill(fig)
        assert [keys[k] for k in range(15)] == [[p] for p in "ABCDF" "ABCE" "ACGJ" "DF"]


@pytest.mark.parametrize("extra", [0, 1])
def test_a_box_is_drawn_from_its_outliers_only_above_points_per_box(extra):
    n = POINTS_PER_BOX + extra  # every spell still there in one stage: one box of n points
    spells = stalls.Spells(pd.array([f"P{i}" for i in range(n)], dtype="str"), np.arange(n, dtype=np.int32),
                           np.zeros(n, dtype=np.int8), np.full(n, 10, dtype=np.int32),
                           np.full(n, stalls.STILL_THERE, dtype=np.int8), ["a", "b"])
    assert figures.outliers_only(spells) == bool(extra)


def test_the_figure_of_spells_is_the_figure_of_the_frame_and_big_boxes_are_plotlys(case):
    classified, stages, as_of = case
    usable = stalls.stage_spells(classified, stages, as_of).usable()
    frame = stalls.usable_durations(stalls.stage_durations(classified, stages, as_of)).reset_index(drop=True)
    choices = figures.stage_time_choices(usable)
    assert list(choices) == list(figures.stage_time_choices(frame))
    assert all(choices[k] == figures.stage_time_choices(frame)[k] for k in choices)
    assert figures.outliers_only(usable) == figures.outliers_only(frame)
    summary = stalls.stage_time_summary(usable, stages)
    fig = figures.stage_time_figure(usable, summary, stages)
    assert fig.to_json() == figures.stage_time_figure(frame, summary, stages).to_json()
    order, big = [stage_label(s) for s in stages[:-1]], 0
    for box in (t for t in fig.data if t.type == "box"):
        # the box's spells by definition: its stage, and left (observed) or still there
        rows = np.flatnonzero((usable.stage_index == order.index(box.y0)) & (usable.observed == (box.name == LEFT)))
        months = usable.days[rows] / DAYS_PER_MONTH
        if box.boxpoints == "all":  # every spell a point, in spell order, keyed by its row
            assert len(rows) <= POINTS_PER_BOX
            assert np.array_equal(box.x, months) and np.array_equal(box.customdata, rows)
            continue
        # a big box: the box plotly draws from every value, and only the outliers, keyed by their rows
        assert len(rows) > POINTS_PER_BOX
        big += 1
        stats, out = plotly_box(months)
        assert [box[k][0] for k in stats] == pytest.approx(list(stats.values()), rel=1e-12)
        assert np.array_equal(box.customdata[0], rows[out]) and np.array_equal(box.x[0], months[out])
    assert (big > 0) == figures.outliers_only(usable)
    keys = drill(fig)
    picks = np.unique(np.r_[0, len(usable) - 1, np.random.default_rng(0).integers(0, len(usable), 50)])
    assert [keys[int(k)] for k in picks] == [[frame["pilot_id"][int(k)]] for k in picks]


def test_a_big_random_portfolio_has_boxes_of_outliers_only():
    classified, stages, as_of = portfolio(8, n=9000)
    assert figures.outliers_only(stalls.stage_spells(classified, stages, as_of).usable())


def plotly_box(values: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """The box plotly.js draws from these values and its outliers (src/traces/box/calc.js with src/lib: sort,
    interp quartiles, fences by findBin with its 1e-9 rounding allowance), written out on sorted values."""
    z = np.sort(values)
    n = len(z)

    def interp(p):
        at = p * n - 0.5
        if at < 0:
            return z[0]
        if at > n - 1:
            return z[-1]
        frac = at % 1
        return frac * z[int(np.ceil(at))] + (1 - frac) * z[int(np.floor(at))]

    q1, med, q3 = interp(0.25), interp(0.5), interp(0.75)
    size = (z[-1] - z[0]) / (n - 1) if n > 1 else 1
    below = int(np.count_nonzero(z < 2.5 * q1 - 1.5 * q3 - size * 1e-9))  # findBin(..., linelow) + 1
    upto = int(np.count_nonzero(z <= 2.5 * q3 - 1.5 * q1 + size * 1e-9)) - 1  # findBin(...)
    lf, uf = min(q1, z[min(below, n - 1)]), max(q3, z[max(upto, 0)])
    stats = {"q1": q1, "median": med, "q3": q3, "lowerfence": lf, "upperfence": uf}
    return stats, (values < lf) | (values > uf)


@pytest.mark.parametrize("seed", range(8))
def test_box_stats_are_plotlys(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(POINTS_PER_BOX, 20_000))
    days = np.rint(rng.lognormal(3.0, float(rng.uniform(0.2, 1.5)), n)).astype(np.int32)
    months = days / DAYS_PER_MONTH
    (want, exact), (got, ours) = plotly_box(months), figures.box_stats(months)
    assert exact.any() and np.array_equal(exact, ours)
    assert list(got.values()) == pytest.approx(list(want.values()), rel=1e-12)
    by_days = figures.box_stats(months, days)  # ranked by counting days: the same
    assert by_days[0] == got and np.array_equal(by_days[1], ours)


def test_spells_in_any_order_give_the_same_summary_choices_and_counts(sample):
    classified, stages, as_of = sample
    spells = stalls.stage_spells(classified, stages, as_of)
    shuffled = spells.where(np.random.default_rng(0).permutation(len(spells)))  # not stage by stage
    assert not isinstance(shuffled.by_stage[0], slice)  # grouped by a sort, not by slices
    pd.testing.assert_frame_equal(stalls.stage_time_summary(shuffled, stages), stalls.stage_time_summary(spells, stages))
    assert np.array_equal(shuffled.counts, spells.counts)
    ordered, mixed = figures.stage_time_choices(spells), figures.stage_time_choices(shuffled)
    assert list(ordered) == list(mixed)
    assert all(sorted(ordered[k]) == sorted(mixed[k]) for k in ordered)
