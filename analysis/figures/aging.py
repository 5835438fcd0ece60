"""The aging chart: each in-flight pilot as a point at its days in its current stage, one column per stage,
against the stage's 50th, 85th and 95th percentile lines of time in stage."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    empty_figure,
    layout_properties,
    unchecked_figure,
    with_drill,
)
from analysis.metrics.aging import FLAGS, PointIds, flag_codes
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.schema import stage_label

FLAG_COLOURS = dict(zip(FLAGS, ["#BBBBBB", "#9BBEDB", "#0072B2", "#E69F00", OUTCOME_COLOURS["cancelled"],
                               OUTCOME_COLOURS["stalled"]]))
FLAG_SYMBOLS = {"stalled": "x"}  # the stall rule's verdict, told apart from the ages by shape too
LINE_STYLES = {"p50_days": ("50th percentile", "dot"), "p85_days": ("85th percentile: at risk above", "solid"),
               "p95_days": ("95th percentile", "dash")}
JITTER = 0.32  # points spread this far either side of their stage's column, so they do not hide each other
GOLDEN = 0.6180339887  # a point's place in its column from its position: spread evenly, the same on every run
WEBGL_POINTS = 5_000  # beyond this many points, drawn by WebGL (an SVG point each would stall the browser)


def aging_figure(points: pd.DataFrame, lines: pd.DataFrame, ids: Sequence[str], title: str) -> go.Figure:
    """Points (clickable: the pilot behind each) by stage column and days in the stage, coloured by FLAGS,
    with each stage's percentile lines as short horizontal segments; y in months."""
    if points.empty:
        return empty_figure("No in-flight pilot has a dated current stage.")
    kind = "scattergl" if len(points) > WEBGL_POINTS else "scatter"
    position = np.arange(len(points))
    x = points["stage_index"].to_numpy() + ((position * GOLDEN) % 1 - 0.5) * 2 * JITTER
    months = points["days"].to_numpy(dtype=float) / DAYS_PER_MONTH
    traces, codes = [], flag_codes(points)
    for code, flag in enumerate(FLAGS):
        mask = codes == code
        if mask.any():
            traces.append(dict(type=kind, mode="markers", name=flag, x=x[mask], y=months[mask],
                               customdata=position[mask], marker=dict(size=7, color=FLAG_COLOURS[flag], opacity=0.8,
                                                                   symbol=FLAG_SYMBOLS.get(flag, "circle")),
                               hovertemplate=f"%{{y:.1f}} months in the stage · {flag}<extra></extra>"))
    for column, (name, dash) in LINE_STYLES.items():
        xs, ys = [], []
        for row in lines.itertuples(index=False):
            value = getattr(row, column)
            if value is not None and not pd.isna(value):
                xs += [row.stage_index - 0.45, row.stage_index + 0.45, None]
                ys += [value / DAYS_PER_MONTH] * 2 + [None]
        if xs:
            traces.append(dict(type="scatter", mode="lines", name=name, x=xs, y=ys, hoverinfo="skip",
                               line=dict(color="#444444", dash=dash, width=2)))
    shown = lines[lines["stage_index"].isin(np.unique(points["stage_index"]))]
    axis = dict(tickmode="array", tickvals=shown["stage_index"].tolist(),
                ticktext=[stage_label(s) for s in shown["stage"]], range=[-0.6, len(lines) - 0.4])
    fig = unchecked_figure(traces, dict(xaxis=axis, yaxis=dict(title=dict(text="months in the current stage"),
                                                               rangemode="tozero")),
                           layout_properties(title, height=460))
    return with_drill(fig, PointIds(ids, points["row"].to_numpy()))
