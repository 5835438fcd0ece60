"""The fast cohort figures: built without plotly's per-property validation, they must already be what
validation would make of them, and the step curves drawn through their change points only must be the
curves of segment_curves at every time."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io
import pytest
from conftest import SAMPLE

from analysis.cli.summary import analyse_file
from analysis.figures.cohorts import incidence_figure, triangle_figure
from analysis.metrics.cohorts import (
    START_YEAR,
    cohort_matrix,
    event_times,
    segment_curves,
    segment_labels,
    segment_order,
    segment_summary,
)


@pytest.fixture(scope="module")
def sample():
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    times = event_times(result.classified, result.derived.stages, result.as_of)
    return result.classified, times


def curves_by(sample, by):
    classified, times = sample
    labels = segment_labels(classified, times, by)
    return segment_curves(times, labels, segment_order(labels, by))


def figures(sample) -> list[go.Figure]:
    times = sample[1]
    out = [triangle_figure(cohort_matrix(times, period, step), kind, step)
           for period, step, kind in (("quarter", 3, "production"), ("year", 1, "cancelled"))]
    for by, label in ((None, None), (START_YEAR, "Start year"), ("business_unit", "Business unit")):
        curves = curves_by(sample, by)
        out.append(incidence_figure(curves, segment_summary(curves), label, by == START_YEAR))
    return out


def test_validating_the_figures_changes_nothing(sample) -> None:
    for fig in figures(sample):
        spec = json.loads(plotly.io.to_json(fig, validate=False))
        validated = json.loads(plotly.io.to_json(go.Figure(fig.to_dict()), validate=False))
        assert spec == validated
        assert spec["layout"]["template"]  # plotly's default look is still applied


def step_values(x, y, at: np.ndarray) -> np.ndarray:
    """A step line (shape "hv") through (x, y), read at ``at``: the value of the last point at or before."""
    return np.asarray(y, dtype=float)[np.searchsorted(np.asarray(x, dtype=float), at, side="right") - 1]


def test_step_lines_through_change_points_draw_the_whole_curve(sample) -> None:
    curves = curves_by(sample, START_YEAR)
    fig = incidence_figure(curves, segment_summary(curves), "Start year", True)
    assert len(fig.data) == 3 * 2 * 4  # three traces per curve, two kinds, four start years
    drawn = 0
    for i, trace in enumerate(fig.data):
        segment = trace.legendgroup
        kind = "production" if trace.xaxis in (None, "x") else "cancelled"
        curve = curves[(curves["segment"] == segment) & (curves["kind"] == kind)]
        column = ("ci_high", "ci_low", "cif")[i % 3]
        time = curve["time"].to_numpy()
        assert trace.x[0] == time[0] and trace.x[-1] == time[-1]  # from the origin to the last follow-up
        np.testing.assert_array_equal(step_values(trace.x, trace.y, time), curve[column].to_numpy())
        drawn += len(trace.x)
    assert drawn < 3 * len(curves)  # fewer points than rows: repeated values are left out
    # The hover of a curve lists the pilots at risk at each point drawn.
    line = fig.data[2]
    curve = curves[(curves["segment"] == "2023") & (curves["kind"] == "production")].set_index("time")
    np.testing.assert_array_equal(np.asarray(line.customdata)[:, 0], curve.loc[list(line.x), "at_risk"].to_numpy())


def test_triangle_hover_names_the_cohort_from_hovertext(sample) -> None:
    fig = triangle_figure(cohort_matrix(sample[1], "quarter", 3), "production", 3)
    full = fig.data[0]
    assert np.asarray(full.customdata).dtype == float  # numbers only: typed, cheap to send
    assert full.hovertext[0][0] == "2023 Q1 (n=30)" and full.hovertext[-1][0] == "2026 Q3 (n=38)"
    assert full.hovertemplate.startswith("<b>%{hovertext}</b>, within %{x} quarters of start")
