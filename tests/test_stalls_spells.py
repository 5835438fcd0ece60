"""The Stalls page's fast paths give what the code they replaced gave (tests/reference_stalls.py, frozen
copies of main at a3def32): compact spells (Spells) == the stage_durations frame, the Kaplan-Meier summary
counted per day == sorted, position counts and their lazily made ids == the id lists, the stalled pilots
sorted on days and id ranks == sorted as a frame, the choices and the time-in-stage boxes == the groupby
and per-box scans. On the sample and on random portfolios (skipped stages, missing and out-of-order
dates, ties and repeated pilot ids, boxes above POINTS_PER_BOX)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures import stalls as figures
from analysis.figures.base import drill
from analysis.figures.stalls import POINTS_PER_BOX
from analysis.metrics import stalls
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.outcomes import classify
from analysis.metrics.stats import MAX_WHOLE_DURATION, kaplan_meier, kaplan_meier_whole
from tests import reference_stalls as ref
from tests.conftest import SAMPLE
from tests.test_stalls_fast import STAGES, random_portfolio

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


CASES = [("sample", None)] + [("random", seed) for seed in range(6)] + [("repeated", 7), ("big", 8)]


@pytest.fixture(params=CASES, ids=[f"{k}-{s}" for k, s in CASES])
def case(request, sample):
    kind, seed = request.param
    if kind == "sample":
        return sample
    return portfolio(seed, n=9000 if kind == "big" else 400, repeated_ids=kind == "repeated")


def test_spells_are_the_durations_frame(case):
    classified, stages, as_of = case
    frame = ref.stage_durations(classified, stages, as_of)
    spells = stalls.stage_spells(classified, stages, as_of)
    assert len(spells) == len(frame) > 0
    assert spells.pilot_ids.take(np.arange(len(spells))) == frame["pilot_id"].tolist()
    assert spells.stage_index.tolist() == frame["stage_index"].tolist()
    assert spells.days.tolist() == frame["days"].tolist()
    assert [stalls.EXITS[e] for e in spells.exit.tolist()] == frame["exit"].tolist()
    assert spells.observed.tolist() == frame["observed"].tolist()
    usable = spells.usable()
    assert usable.days.tolist() == frame.loc[frame["days"] >= 0, "days"].tolist()
    assert spells.rows.dtype == np.int32 and spells.days.dtype == np.int32 and spells.exit.dtype == np.int8


def test_summary_counted_per_day_is_the_sorted_one(case):
    classified, stages, as_of = case
    frame = ref.stage_durations(classified, stages, as_of)
    expected = ref.stage_time_summary(frame, stages)
    spells = stalls.stage_spells(classified, stages, as_of)
    pd.testing.assert_frame_equal(stalls.stage_time_summary(spells.usable(), stages), expected)
    pd.testing.assert_frame_equal(stalls.stage_time_summary(spells, stages), expected)  # filters itself
    pd.testing.assert_frame_equal(stalls.stage_time_summary(frame, stages), expected)  # the frame API


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


def test_position_counts_and_lazy_ids_are_the_id_lists(case):
    classified, stages, as_of = case
    expected = ref.current_positions(classified, stages, as_of)
    counts, ids = stalls.position_counts(classified, stages, as_of)
    pd.testing.assert_frame_equal(counts, expected[counts.columns.tolist()])
    pd.testing.assert_frame_equal(stalls.current_positions(classified, stages, as_of), expected)
    for column, part in (("pilot_ids", "in_flight"), ("stalled_ids", "stalled"), ("progressing_ids", "progressing")):
        for stage, listed in zip(expected["stage"], expected[column]):
            assert ids[(part, stage)] == listed
    assert sum(1 for _ in ids) == len(ids) == 3 * len(counts)
    for wrong in [("stalled", "production"), ("nobody", stages[0]), "poc", ["stalled", "poc"], None]:
        with pytest.raises(KeyError):
            ids[wrong]


def test_positions_figure_and_choices_with_lazy_ids_are_the_listed_ones(case):
    classified, stages, as_of = case
    expected = ref.current_positions(classified, stages, as_of)
    counts, ids = stalls.position_counts(classified, stages, as_of)
    lazy, listed = figures.positions_figure(counts, 90, ids), figures.positions_figure(expected, 90)
    assert lazy.to_json() == listed.to_json()
    for trace in listed.data:
        for key in trace.customdata:
            assert drill(lazy)[tuple(key)] == drill(listed)[tuple(key)]
    old = {f"{stage_label}: {label} ({len(i)})": i for stage_label, every, stalled_ids in
           zip(expected["stage"].map(figures.stage_label), expected["pilot_ids"], expected["stalled_ids"])
           for label, i in (("all in flight", every), ("stalled", stalled_ids)) if i}
    choices = figures.positions_choices(counts, ids)
    assert list(choices) == list(old) and {k: choices[k] for k in choices} == old
    assert figures.positions_choices(expected) == old  # from the id columns


def test_stalled_pilots_sorted_on_ranks_are_the_frame_sort(case):
    classified, _, _ = case
    expected = ref.stalled_pilots(classified)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(stalls.stalled_pilots(classified), expected)
    shown = ["pilot_id", "name", "days_without_progress", "stage", "outcome", "no such column"]
    pd.testing.assert_frame_equal(stalls.stalled_pilots(classified, shown),
                                  expected[[c for c in shown if c in expected]])


def test_choices_and_boxes_of_spells_are_the_frame_ones(case):
    classified, stages, as_of = case
    frame = ref.stage_durations(classified, stages, as_of)
    frame = frame[frame["days"] >= 0].reset_index(drop=True)
    usable = stalls.stage_spells(classified, stages, as_of).usable()
    expected = ref.stage_time_choices(frame)
    for durations in (usable, frame):
        choices = figures.stage_time_choices(durations)
        assert list(choices) == list(expected) and {k: choices[k] for k in choices} == expected
        assert figures.outliers_only(durations) == ref.outliers_only(frame)
    summary = stalls.stage_time_summary(usable, stages)
    fig = figures.stage_time_figure(usable, summary, stages)
    boxes = [t for t in fig.data if t.type == "box"]
    old = ref.stage_time_boxes(frame, stages)
    assert len(boxes) == len(old)
    for box, want in zip(boxes, old):
        assert (box.y0, box.name, box.boxpoints) == (want["y0"], want["name"], want["boxpoints"])
        assert (None if box.hovertext is None else list(box.hovertext)) == want["hovertext"]
        if box.boxpoints == "all":  # every spell a point, in spell order, keyed by its row
            assert np.array_equal(box.x, want["x"]) and np.array_equal(box.customdata, want["customdata"])
            continue
        # a big box: the box plotly draws from every value, and only the outliers, keyed by their rows
        stats, out = plotly_box(want["x"])
        assert [box[k][0] for k in stats] == pytest.approx(list(stats.values()), rel=1e-12)
        assert np.array_equal(out, figures.box_stats(want["x"])[1])
        assert np.array_equal(box.customdata[0], want["customdata"][out])
        assert np.array_equal(box.x[0], want["x"][out])
    keys = drill(fig)
    picks = np.unique(np.r_[0, len(frame) - 1, np.random.default_rng(0).integers(0, len(frame), 50)])
    assert [keys[int(k)] for k in picks] == [[frame["pilot_id"][int(k)]] for k in picks]
    assert fig.to_json() == figures.stage_time_figure(frame, summary, stages).to_json()


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
