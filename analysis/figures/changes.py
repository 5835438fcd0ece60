"""Changes figures: the funnel then and now, side by side per stage."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import REACHED_COLOUR, empty_figure, layout_properties, unchecked_figure
from analysis.schema import stage_label

THEN_COLOUR = "#9AA3B2"  # the earlier upload in grey: the eye goes to now


def funnel_change_title(funnel: pd.DataFrame) -> str:
    """The finding: how many reached the last stage then and now."""
    last = funnel.iloc[-1]
    return (f"{int(last['now']):,} pilots have reached {stage_label(last['stage']).lower()} now, "
            f"{int(last['then']):,} then")


def funnel_change_figure(funnel: pd.DataFrame, height: int = 360) -> go.Figure:
    """Horizontal bars per stage: pilots that reached it in the earlier upload (grey) and now (blue), counts
    beside the bars. `funnel`: changes.funnel_then_now."""
    if funnel.empty or (funnel["then"].iloc[0] == 0 and funnel["now"].iloc[0] == 0):
        return empty_figure("Neither upload has pilots with a known stage.")
    labels = [stage_label(s) for s in funnel["stage"]]
    traces = []
    for side, name, colour in (("then", "Earlier upload", THEN_COLOUR), ("now", "Later upload", REACHED_COLOUR)):
        share = funnel[f"{side}_share"].fillna(0)
        traces.append(dict(type="bar", y=labels, x=funnel[side].to_numpy(), orientation="h", name=name,
                           marker=dict(color=colour), text=[f"{v:,} ({s:.0%})" for v, s in zip(funnel[side], share)],
                           textposition="outside",
                           hovertemplate="%{y}: %{x:,} pilots reached it (" + name.lower() + ")<extra></extra>"))
    widest = max(int(funnel["then"].max()), int(funnel["now"].max()))
    return unchecked_figure(traces, dict(barmode="group", yaxis=dict(autorange="reversed"),
                                         xaxis=dict(title=dict(text="pilots that reached the stage"),
                                                    range=[0, widest * 1.2])),  # room for the counts
                            layout_properties(funnel_change_title(funnel), height))
