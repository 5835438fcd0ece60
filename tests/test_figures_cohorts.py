"""Cohort figures: blank cells stay blank, the partly observed diagonal is marked, curves keep their colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_cohorts import LABELS, SEGMENTED, times  # noqa: F401 (times is a fixture)

from analysis.figures.base import OUTCOME_COLOURS, SEGMENT_COLOURS
from analysis.figures.cohorts import incidence_figure, triangle_figure
from analysis.metrics.cohorts import OVERALL, cohort_matrix, segment_curves, segment_summary


def test_triangle_blank_cells_partial_diagonal_and_frontier(times: pd.DataFrame) -> None:  # noqa: F811
    fig = triangle_figure(cohort_matrix(times, "quarter", step=3), "production", step=3)
    full, partial, frontier = fig.data
    assert list(full.x) == [1, 2, 3, 4, 5]  # quarters since start
    assert list(fig.layout.yaxis.ticktext) == ["2024 Q1 (n=3)", "2025 Q1 (n=2)", "2025 Q2 (n=1)"]
    z = np.array(full.z, dtype=float)
    # 2024 Q1 followed 15.01 months: every quarter final, 1 of 3 from the first quarter on.
    np.testing.assert_allclose(z[0], [1 / 3] * 5)
    # 2025 Q1 final for its first quarter only; the rest, and all of 2025 Q2, blank (not zero).
    assert z[1, 0] == 0.5 and np.isnan(z[1, 1:]).all() and np.isnan(z[2]).all()
    assert np.isnan(np.array(partial.z, dtype=float)).all()  # no partly observed cell at this step
    assert full.text[0][0] == "33%" and full.text[2][0] == ""
    # The staircase runs right of each row's last final quarter: 5, 1 and none.
    assert list(frontier.x) == [5.5, 5.5, 1.5, 1.5, 0.5, 0.5]


def test_triangle_marks_partly_observed_cells(times: pd.DataFrame) -> None:  # noqa: F811
    fig = triangle_figure(cohort_matrix(times, "quarter", step=1), "production", step=1)
    full, partial, _ = fig.data
    assert partial.opacity < full.opacity
    p = np.array(partial.z, dtype=float)
    # 2025 Q1 at 4 and 5 months (columns 3 and 4): one of its two pilots is that old.
    np.testing.assert_allclose(p[1, 3:5], [0.5, 0.5])
    assert partial.text[1][3] == "≥50%" and "can still rise" in partial.hovertemplate
    assert np.isnan(np.array(full.z, dtype=float)[1, 3:]).all()


def test_triangle_empty_state() -> None:
    fig = triangle_figure(cohort_matrix(SEGMENTED.iloc[0:0]))
    assert "No pilots with a start date" in fig.layout.annotations[0].text


def test_incidence_figure_overall_keeps_outcome_colours() -> None:
    labels = pd.Series(OVERALL, index=SEGMENTED.index)
    curves = segment_curves(SEGMENTED, labels, [OVERALL], min_at_risk=1)
    fig = incidence_figure(curves, segment_summary(curves, month=2), month=2)
    lines = [t for t in fig.data if t.showlegend is not False]
    assert [t.line.color for t in lines] == [OUTCOME_COLOURS["production"], OUTCOME_COLOURS["cancelled"]]
    assert len(fig.data) == 6  # a band (two traces) under each curve
    # By hand (5 pilots): t=1 n=5 F_prod=1/5; t=2 n=4, 1 production + 1 cancelled -> F_prod = 1/5 + 4/5*1/4.
    assert fig.layout.title.text.replace("<br>", " ").startswith("Within 2 months of start, 40% of pilots reached production")


def test_incidence_figure_by_segment() -> None:
    curves = segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=1)
    fig = incidence_figure(curves, segment_summary(curves, month=2), "Team", month=2)
    colours = {t.line.color for t in fig.data if t.mode == "lines" and t.line.width}
    assert colours == {SEGMENT_COLOURS[0], SEGMENT_COLOURS[1]}
    assert fig.layout.title.text.replace("<br>", " ") == "Within 2 months, B reaches production most often (100%, n=1) and A least (25%, n=4)"
    too_few = segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=10)
    assert "Too few pilots" in incidence_figure(too_few, segment_summary(too_few), "Team").layout.annotations[0].text


def test_incidence_figure_title_with_one_segment_followed_that_long() -> None:
    curves = segment_curves(SEGMENTED, LABELS, ["A", "B"], min_at_risk=2)  # B has no curve
    summary = segment_summary(curves, month=1)
    fig = incidence_figure(curves, summary, "Start year", chronological=True, month=1)
    assert fig.layout.title.text.replace("<br>", " ").startswith("Within 1 months of start, 25% of A pilots reached production (95% CI")


def test_newer_cohorts_are_said_to_do_better_only_when_their_bands_part_and_the_gap_matters() -> None:
    from analysis.figures.cohorts import _trend_verdict

    def row(share: float, low: float, high: float) -> pd.Series:
        return pd.Series({"production": share, "production_low": low, "production_high": high})

    assert _trend_verdict(row(0.04, 0.02, 0.08), row(0.15, 0.10, 0.21)) == "Newer cohorts reach production sooner"
    assert _trend_verdict(row(0.15, 0.10, 0.21), row(0.04, 0.02, 0.08)) == "Newer cohorts reach production later"
    assert _trend_verdict(row(0.15, 0.09, 0.23), row(0.16, 0.10, 0.24)) == "No clear change between cohorts"  # 16% vs 15%
    assert _trend_verdict(row(0.50, 0.49, 0.51), row(0.53, 0.52, 0.54)) == "No clear change between cohorts"  # 3 points
