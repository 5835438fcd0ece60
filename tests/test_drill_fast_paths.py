"""The speed work on the Overview, Funnel, Failure causes and Stalls pages changed how numbers are
computed, never which: each fast path against the slow code it replaced (kept here as the reference),
on the bundled sample portfolio (600 pilots, every outcome, every stage, blanks). And drill-down by
key: each clickable mark carries a key, and the key lists exactly the pilots the old id lists did."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
from analysis.figures.stalls import positions_figure, stage_time_choices, stage_time_figure
from analysis.metrics import causes, stalls
from analysis.metrics.cohorts import event_times, incidence_curves
from analysis.metrics.funnel import ReachedIds, pilots_at_step, stage_funnel
from analysis.metrics.outcomes import classify
from analysis.metrics.overview import kpis
from analysis.metrics.pilots import SEARCH_COLUMNS, ids_by_group, search_mask
from analysis.metrics.stats import median_time
from analysis.schema import stage_label
from pages.common import DISPLAY, pilot_table_frame, selected_ids

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_portfolio.csv"


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result.classified, result.derived.stages, result.as_of


# ------------------------------------------------------------------ the slow code, as it was

def old_ids(frame: pd.DataFrame, keys) -> pd.Series:
    return frame["pilot_id"].groupby(keys, sort=False).agg(list)


def old_positions(classified: pd.DataFrame, stages: list[str], as_of) -> pd.DataFrame:
    flying = classified[classified["in_flight"] & (classified["stage_index"] >= 0)]
    rows = []
    for i, stage in enumerate(stages[:-1]):
        here = flying[flying["stage_index"] == i]
        column = f"{stage}_date"
        days = (pd.Timestamp(as_of) - here[column]).dt.days.astype("float64")
        rows.append({"stage": stage, "in_flight": len(here), "stalled": int(here["stalled"].sum()),
                     "dated": int(days.notna().sum()), "median_days_there": days.median(),
                     "longest_days_there": days.max(), "pilot_ids": here["pilot_id"].tolist(),
                     "stalled_ids": here.loc[here["stalled"], "pilot_id"].tolist()})
    return pd.DataFrame(rows)


def old_search(pilots: pd.DataFrame, text: str) -> pd.Series:
    cols = [c for c in SEARCH_COLUMNS if c in pilots]
    haystack = pilots[cols].astype("str").fillna("").agg(" | ".join, axis=1).str.casefold()
    mask = pd.Series(True, index=pilots.index)
    for word in text.casefold().split():
        mask &= haystack.str.contains(word, regex=False)
    return mask


# ------------------------------------------------------------------ fast == slow

def test_id_lists_by_sort_and_split_are_each_groups_ids_in_frame_order():
    frame = pd.DataFrame({"pilot_id": list("abcdef")}, index=[10, 3, 7, 0, 5, 1])  # positions, not labels
    codes = np.array([2, -1, 0, 2, 0, 3])  # b in no group, group 1 empty
    assert ids_by_group(frame, codes, 4) == [["c", "e"], [], ["a", "d"], ["f"]]
    assert ids_by_group(frame, codes, 3) == [["c", "e"], [], ["a", "d"]]  # group 3 not asked for
    assert ids_by_group(frame, np.full(6, -1), 2) == [[], []]
    assert ids_by_group(frame, codes, 0) == []
    assert ids_by_group(frame.iloc[:0], np.zeros(0, dtype=int), 2) == [[], []]


def test_id_lists_by_sort_and_split_equal_the_groupby(sample):
    classified, _, _ = sample
    cancelled = classified[classified["cancelled"]]
    keys = [cancelled["failure_cause"].fillna("not recorded").astype("str"), cancelled["stage"].astype("str")]
    slow = old_ids(cancelled, keys)
    codes = cancelled.groupby(keys, sort=False).ngroup().to_numpy()  # groups in order of first appearance
    assert ids_by_group(cancelled, codes, len(slow)) == slow.tolist()
    assert sum(map(len, slow)) == len(cancelled) > 0  # every cancelled pilot in exactly one group


def test_current_positions_equal_the_per_stage_loop(sample):
    classified, stages, as_of = sample
    fast, slow = stalls.current_positions(classified, stages, as_of), old_positions(classified, stages, as_of)
    pd.testing.assert_frame_equal(fast[slow.columns], slow, check_dtype=False)
    assert fast["in_flight"].sum() == 157  # 119 active + 38 on hold (COMMON.md), none in production
    for every, stalled_, progressing in zip(fast["pilot_ids"], fast["stalled_ids"], fast["progressing_ids"]):
        assert sorted(progressing) == sorted(set(every) - set(stalled_))


def test_search_equals_the_row_by_row_join(sample):
    classified, _, _ = sample
    for text in ["", "hr", "finance  bot", "P00", "zzz-nothing", "|"]:
        assert search_mask(classified, text).tolist() == old_search(classified, text).tolist(), text
    assert int(search_mask(classified, "").sum()) == 600


def test_start_quarter_names_equal_the_period_by_period_names(sample):
    classified, _, _ = sample
    start = pd.concat([classified["start_date"], pd.Series([pd.NaT], name="start_date")], ignore_index=True)
    slow = start.dt.to_period("Q").map(lambda q: f"{q.year} Q{q.quarter}" if pd.notna(q) else None)
    pd.testing.assert_series_equal(causes.start_quarter(start), slow)


def test_next_entry_equals_the_row_wise_bfill(sample):
    classified, stages, _ = sample
    for i in range(len(stages) - 1):
        later = [f"{s}_date" for s in stages[i + 1:]]
        slow = classified[later].bfill(axis=1).iloc[:, 0].fillna(
            classified["end_date"].where(classified["reached_production"]))
        dates = {j: classified[f"{s}_date"].to_numpy(dtype="datetime64[us]") for j, s in enumerate(stages)}
        production = stalls._duration_arrays(classified)["production"]
        fast = pd.Series(stalls._first_later(dates, i, production), index=classified.index)
        pd.testing.assert_series_equal(fast, slow.astype("datetime64[us]"), check_names=False)


def test_stage_time_choices_equal_the_groupby_lists(sample):
    classified, stages, as_of = sample
    durations = stalls.usable_durations(stalls.stage_durations(classified, stages, as_of))
    groups = durations.groupby(["stage_index", "stage", "exit"], sort=True)["pilot_id"]
    slow = {f"{stage_label(s)}: {kind} ({len(ids)})": ids.tolist() for (_, s, kind), ids in groups}
    assert stage_time_choices(durations) == slow
    assert list(stage_time_choices(durations)) == list(slow)  # same order in the select box


def test_classify_leaves_its_input_alone(sample):
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    pilots, before = result.derived.pilots, result.derived.pilots.copy()
    classify(pilots, result.derived.stages, result.as_of)
    pd.testing.assert_frame_equal(pilots, before)


def test_kpi_median_equals_the_incidence_curve(sample):
    classified, stages, as_of = sample
    times = event_times(classified, stages, as_of)
    assert kpis(classified, stages, as_of).median_months_to_production == \
        median_time(incidence_curves(times)["production"], "cif")


def test_table_labels_equal_the_value_by_value_labels(sample):
    classified, _, _ = sample
    for col, label in DISPLAY.items():
        if col not in classified:  # then/now labels belong to the Changes page's frames
            assert col in ("stage_then", "stage_now", "outcome_then", "outcome_now"), col
            continue
        slow = classified[col].map(lambda v, f=label: f(v) if isinstance(v, str) else v)
        shown = pilot_table_frame(classified, [col]).iloc[:, 0]
        assert (shown == "").tolist() == slow.isna().tolist(), col  # a missing value is a blank cell, never None
        assert shown[shown != ""].tolist() == slow.dropna().tolist(), col
    assert "Proof of concept" in set(pilot_table_frame(classified, ["stage"]).iloc[:, 0])
    headers = pilot_table_frame(classified, ["sponsor", "stage"], {"sponsor": "Owner (sponsor)"}).columns
    assert list(headers) == ["Owner (sponsor)", "Stage"]  # the caller's headers beside labelled columns


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
