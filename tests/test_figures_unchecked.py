"""The Funnel, Failure causes, Stalls and Changes figures made in one go without plotly's validation
(figures.base.unchecked_figure) are what plotly's validation makes of the same spec: every property
exists and is written in plotly's normal form. On the bundled sample and on random frames with blanks,
unmapped causes, unknown stages, undated and spendless pilots, and on empty selections. (What the
figures say is checked against known answers in the tests of each view.)"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures import causes as cause_figures
from analysis.figures import funnel as funnel_figures
from analysis.figures import stalls as stall_figures
from analysis.figures.base import drill
from analysis.metrics import causes, funnel, stalls
from analysis.metrics.outcomes import classify
from analysis.metrics.stats import SegmentTest
from tests.conftest import SAMPLE
from tests.test_causes_fast import STAGES, random_classified
from tests.test_stalls_fast import random_portfolio


def spec(fig: go.Figure) -> dict:
    return json.loads(plotly.io.to_json(fig, validate=False))


def assert_valid(fig: go.Figure) -> None:
    """The figure made without validation is the figure plotly's validation makes of the same spec: every
    property exists and is written in plotly's normal form (a misspelt or shorthand one raises or differs)."""
    validated = go.Figure(json.loads(plotly.io.to_json(fig, validate=False)))
    assert spec(fig) == spec(validated)
    assert spec(fig)["layout"]["template"]  # plotly's default look is still applied
    assert all(len(list(ids)) >= 0 for ids in drill(fig).values())  # the drill-down's lists can be read


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


def cause_frames():
    frames = [random_classified(seed, n) for seed, n in ((1, 60), (2, 400), (3, 3000))]
    return frames + [frames[1].assign(cancelled=False), frames[1].assign(spend=np.nan, start_date=np.nan)]


def check_cause_figures(classified, stages) -> None:
    counts = causes.cause_counts(classified)
    assert_valid(cause_figures.causes_figure(counts, top=5))
    assert_valid(cause_figures.causes_figure(counts.drop(columns="pilot_ids")))
    assert_valid(cause_figures.pareto_figure(counts))
    cells = causes.cause_stage_counts(classified, stages)
    assert_valid(cause_figures.cause_stage_figure(cells, stages))
    for cause in (None, *counts["cause"].head(1)):
        for min_n in (1, 5):
            rates = causes.segment_rates(classified, "business_unit", min_n, cause)
            test = causes.segment_test(rates)
            overall = causes.overall_rate(classified, cause)
            assert_valid(cause_figures.segment_figure(rates, test, "Business unit", overall, min_n, cause))
    mix = causes.cause_mix_by_cohort(classified)
    assert_valid(cause_figures.cohort_mix_figure(mix))
    spend = causes.spend_by_cause(classified)
    assert_valid(cause_figures.spend_figure(spend))


def test_cause_figures_of_the_sample(sample):
    classified, stages, _ = sample
    check_cause_figures(classified, stages)


@pytest.mark.parametrize("case", range(5))
def test_cause_figures_of_random_frames(case):
    check_cause_figures(cause_frames()[case], STAGES)


def test_a_segment_figure_without_an_overall_rate(sample):
    rates = causes.segment_rates(sample[0], "sourcing")
    test = SegmentTest("none", None, 0, None, None)
    assert_valid(cause_figures.segment_figure(rates, test, "Sourcing", None, 5))


def check_funnel_figures(classified, stages) -> None:
    table = funnel.stage_funnel(classified, stages)
    ids = funnel.ReachedIds(classified, stages)
    assert_valid(funnel_figures.funnel_figure(table, ids))
    assert_valid(funnel_figures.funnel_figure(table, height=320))
    assert_valid(funnel_figures.funnel_steps_figure(table))
    for dimension, most in (("business_unit", 8), ("business_unit", 2), ("stage", 8)):
        by = funnel.funnel_by(classified, stages, dimension)
        assert_valid(funnel_figures.funnel_by_figure(by, "Business <unit>", most))


def test_funnel_figures_of_the_sample(sample):
    classified, stages, _ = sample
    check_funnel_figures(classified, stages)
    check_funnel_figures(classified.assign(cancelled=False), stages)  # nobody cancelled: another title
    check_funnel_figures(classified.iloc[:0], stages)  # empty


def check_stall_figures(classified, stages, as_of) -> None:
    spells = stalls.stage_spells(classified, stages, as_of)
    usable = spells.usable()
    summary = stalls.stage_time_summary(usable, stages)
    assert_valid(stall_figures.stage_time_figure(usable, summary, stages))
    positions, ids = stalls.position_counts(classified, stages, as_of, spells)
    for stall_days in (90, None):
        assert_valid(stall_figures.positions_figure(positions, stall_days, ids))
    listed = stalls.current_positions(classified, stages, as_of)
    assert_valid(stall_figures.positions_figure(listed, 90))


def test_stall_figures_of_the_sample(sample):
    check_stall_figures(*sample)
    classified, stages, as_of = sample
    check_stall_figures(classified.iloc[:0], stages, as_of)  # empty


@pytest.mark.parametrize("seed,n", [(0, 300), (1, 9000)])
def test_stall_figures_of_random_portfolios(seed, n):
    frame = random_portfolio(seed, n)
    as_of = dt.date(2026, 6, 30)
    check_stall_figures(classify(frame, STAGES, as_of, 90), STAGES, as_of)


def test_the_changes_funnel_figure():
    import pandas as pd

    from analysis.figures.changes import funnel_change_figure

    funnel = pd.DataFrame({"stage": STAGES, "then": [100, 80, 50, 30, 10], "now": [120, 90, 60, 33, 12]})
    for side in ("then", "now"):
        funnel[f"{side}_share"] = funnel[side] / funnel[side].iloc[0]
    fig = funnel_change_figure(funnel)
    assert_valid(fig)
    assert [list(t.x) for t in fig.data] == [[100, 80, 50, 30, 10], [120, 90, 60, 33, 12]]
    assert fig.layout.xaxis.range == (0, 144.0)  # room for the counts beside the widest bar
    assert_valid(funnel_change_figure(funnel.assign(then=0, now=0)))  # neither upload has a known stage
