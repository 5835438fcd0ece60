"""Failure-cause figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import OUTCOME_COLOURS, empty_figure, layout, plotly_text
from analysis.schema import cause_label


def causes_figure(counts: pd.DataFrame, top: int = 8) -> go.Figure:
    """Horizontal bars of the commonest causes among cancelled pilots, count and share on each bar."""
    if counts.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes to show.")
    part = counts.head(top)
    labels = [plotly_text(cause_label(c)) for c in part["cause"]]
    fig = go.Figure(go.Bar(x=part["count"], y=labels, orientation="h", marker_color=OUTCOME_COLOURS["cancelled"],
                           text=[f"{n} ({s:.0%})" for n, s in zip(part["count"], part["share"])],
                           textposition="auto", hovertemplate="%{y}: %{x} cancelled pilots<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="cancelled pilots (count)")
    return layout(fig, f"{labels[0]} is the commonest cause ({part['share'].iloc[0]:.0%} of cancellations)",
                   height=max(260, 40 * len(part) + 100))
