"""Drill-down by key on the Overview, Funnel, Failure causes and Stalls pages: each clickable mark
carries a short key, and a click on it lists exactly the pilots of the row it was drawn from (the
analysis's own id lists), on the bundled sample portfolio (600 pilots, every outcome, every stage,
blanks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli.summary import analyse_file
from analysis.figures.base import RowKeys, drill, mark_key
from analysis.figures.causes import (
    cause_stage_figure,
    cohort_mix_figure,
    pareto_figure,
    segment_figure,
    spend_figure,
)
from analysis.figures.funnel import funnel_figure
from analysis.figures.stalls import positions_figure, stage_time_figure
from analysis.metrics import causes, stalls
from analysis.metrics.funnel import ReachedIds, pilots_at_step, stage_funnel
from analysis.schema import stage_label
from pages.common import selected_ids

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


# ------------------------------------------------------------------ drill-down by key

def click(fig, *marks) -> list[str]:
    """The ids a click on these customdata values lists, as the page finds them."""
    event = {"selection": {"points": [{"customdata": list(m) if isinstance(m, tuple) else m} for m in marks]}}
    return selected_ids(event, drill(fig))


def test_every_clickable_mark_lists_the_pilots_of_its_row(sample):
    classified, stages, as_of = sample
    counts = causes.cause_counts(classified)
    fig = pareto_figure(counts)
    assert all(isinstance(k, str) and len(k) < 80 for k in fig.data[0].customdata)  # keys, not id lists
    assert [click(fig, k) for k in fig.data[0].customdata] == counts["pilot_ids"].tolist()
    assert len(click(fig, "data_quality")) == 68  # COMMON.md / the causes page test
    cells = causes.cause_stage_counts(classified, stages)
    heat = cause_stage_figure(cells, stages)
    assert [click(heat, tuple(k)) for k in heat.data[1].customdata] == cells["pilot_ids"].tolist()
    rates = causes.segment_rates(classified, "business_unit")
    seg = segment_figure(rates, causes.segment_test(rates), "Business unit", 0.5, causes.MIN_SEGMENT_N)
    assert click(seg, "HR") == rates.set_index("segment").loc["HR", "pilot_ids"]
    mix = causes.cause_mix_by_cohort(classified)
    mixed = cohort_mix_figure(mix)
    got = [click(mixed, tuple(k)) for trace in mixed.data for k in trace.customdata]
    assert sorted(map(sorted, got)) == sorted(map(sorted, mix["pilot_ids"]))
    spend = causes.spend_by_cause(classified)
    assert [click(spend_figure(spend), c) for c in spend["cause"]] == spend["pilot_ids"].tolist()


def test_funnel_and_stall_marks_list_their_pilots(sample):
    classified, stages, as_of = sample
    fig = funnel_figure(stage_funnel(classified, stages), ReachedIds(classified, stages))
    assert list(fig.data[0].customdata) == stages
    assert len(click(fig, "poc")) == 497  # the browser drill-down test: 497 reached proof of concept
    assert click(fig, "poc") == pilots_at_step(classified, 2)["pilot_id"].tolist()
    assert click(fig, "intake", "poc") == pilots_at_step(classified, 0)["pilot_id"].tolist()  # union, no repeats
    assert click(fig, "no such stage") == []
    positions = stalls.current_positions(classified, stages, as_of)
    pos = positions_figure(positions, 90)
    assert sorted(click(pos, ("stalled", "poc"))) == sorted(positions.set_index("stage").loc["poc", "stalled_ids"])
    durations = stalls.usable_durations(stalls.stage_durations(classified, stages, as_of))
    times = stage_time_figure(durations, stalls.stage_time_summary(durations, stages), stages)
    assert isinstance(drill(times), RowKeys)
    boxes = [t for t in times.data if t.type == "box"]
    keys = [int(k) for t in boxes for k in t.customdata]
    assert sorted(keys) == list(range(len(durations)))  # every spell a point, once
    for box in boxes:  # each point's key lists its own pilot, whose spell the point and its hover show
        for k, months, hover in zip(box.customdata[:50], box.x[:50], box.hovertext[:50]):
            row = durations.iloc[int(k)]
            assert click(times, int(k)) == [row["pilot_id"]]
            assert hover == f"{row['pilot_id']}: {months:.1f} months, {row['exit']}"
            assert box.y0 == stage_label(row["stage"]) and months == pytest.approx(row["days"] / 30.4375)
    assert click(times, len(durations)) == [] and click(times, "P001") == []
    assert mark_key(["a", "b"]) == ("a", "b") and mark_key("a") == "a"


def test_a_figure_without_drill_down_lists_nobody():
    fig = pareto_figure(causes.cause_counts(pd.DataFrame(
        {"cancelled": [True], "failure_cause": ["cost"], "pilot_id": ["P1"]})).drop(columns="pilot_ids"))
    assert drill(fig) == {}
    assert click(fig, "cost") == []
