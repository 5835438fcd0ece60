"""Funnel figures: the stage funnel, its steps, and the funnel by segment."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    REACHED_COLOUR,
    SEGMENT_COLOURS,
    Drill,
    empty_figure,
    layout_properties,
    plotly_text,
    unchecked_figure,
    with_drill,
)
from analysis.schema import stage_label


def funnel_title(funnel: pd.DataFrame) -> str:
    """A title that states the finding: how many of those that started reached the last stage."""
    first, last = int(funnel["reached"].iloc[0]), int(funnel["reached"].iloc[-1])
    share = last / first if first else 0
    drops = funnel["reached"].diff().fillna(0).to_numpy()
    worst = int(drops[1:].argmin()) + 1 if len(funnel) > 1 else 0
    return (f"{last:,} of {first:,} pilots ({share:.0%}) reached {stage_label(funnel['stage'].iloc[-1]).lower()}; "
            f"the biggest drop is into {stage_label(funnel['stage'].iloc[worst]).lower()}")


def funnel_figure(funnel: pd.DataFrame, ids: Drill | None = None, height: int = 380) -> go.Figure:
    """Horizontal funnel: pilots that reached each stage, with step and overall conversion on the bar.
    With `ids` (the pilots that reached each stage, by stage id: funnel.ReachedIds), each bar carries its
    stage id as the drill-down key."""
    if funnel.empty or int(funnel["reached"].iloc[0]) == 0:
        return empty_figure("No pilots with a known stage in this selection.")
    labels = [stage_label(s) for s in funnel["stage"]]
    text = [f"{r:,} ({o:.0%} of all)" if i else f"{r:,}" for i, (r, o) in
            enumerate(zip(funnel["reached"], funnel["overall_conversion"].fillna(0)))]
    hover = [f"<b>{lab}</b><br>reached: {r:,}<br>dropped here: {d:,}<br>still here: {s:,}<br>"
             f"step conversion: {'—' if pd.isna(c) else f'{c:.0%}'}<extra></extra>"
             for lab, r, d, s, c in zip(labels, funnel["reached"], funnel["dropped"], funnel["in_stage"],
                                        funnel["step_conversion"])]
    bars = dict(type="bar", x=funnel["reached"].tolist(), y=labels, orientation="h", text=text, textposition="auto",
                marker=dict(color=REACHED_COLOUR), hovertemplate=hover, name="reached")
    if ids is not None:
        bars["customdata"] = funnel["stage"].tolist()
    fig = unchecked_figure([bars], dict(yaxis=dict(autorange="reversed"), xaxis=dict(title=dict(text="pilots (count)"))),
                           layout_properties(funnel_title(funnel), height))
    return fig if ids is None else with_drill(fig, ids)


def funnel_steps_figure(funnel: pd.DataFrame) -> go.Figure:
    """Stacked bars per stage: dropped (cancelled) here, still here (in flight), moved on."""
    if funnel.empty or int(funnel["reached"].iloc[0]) == 0:
        return empty_figure("No pilots with a known stage in this selection.")
    labels = [stage_label(s) for s in funnel["stage"]]
    parts = [("moved_on", "moved on", OUTCOME_COLOURS["production"]),
             ("in_stage", "still in stage", OUTCOME_COLOURS["active"]),
             ("dropped", "cancelled here", OUTCOME_COLOURS["cancelled"])]
    bars = [dict(type="bar", y=labels, x=funnel[col].tolist(), name=name, orientation="h", marker=dict(color=colour),
                 text=[f"{v:,}" if v else "" for v in funnel[col].tolist()], textposition="inside", textangle=0,
                 hovertemplate=f"%{{y}}: %{{x:,}} {name}<extra></extra>") for col, name, colour in parts]
    if funnel["dropped"].sum() == 0:
        title = f"No pilot here was cancelled; {int(funnel['in_stage'].sum()):,} are still in flight"
    else:
        worst = funnel.loc[funnel["dropped"].idxmax()]
        title = (f"Most cancellations happen in {stage_label(worst['stage']).lower()} "
                 f"({int(worst['dropped']):,} of {int(funnel['dropped'].sum()):,} cancelled pilots)")
    return unchecked_figure(bars, dict(barmode="stack", yaxis=dict(autorange="reversed"),
                                       xaxis=dict(title=dict(text="pilots (count)"))), layout_properties(title))


def funnel_by_figure(by: pd.DataFrame, dimension_label: str, max_segments: int = 8) -> go.Figure:
    """Grouped bars: share of each segment's pilots that reached each stage (n in the legend)."""
    if by.empty or by["n"].max() == 0:
        return empty_figure("No pilots with a known stage in this selection.")
    top = by.drop_duplicates("segment").nlargest(max_segments, "n")["segment"].tolist()
    bars = []
    for i, seg in enumerate(top):
        part = by[by["segment"] == seg]
        bars.append(dict(type="bar", x=[stage_label(s) for s in part["stage"]], y=part["overall_conversion"].tolist(),
                         name=f"{plotly_text(seg)} (n={int(part['n'].iloc[0])})",
                         marker=dict(color=SEGMENT_COLOURS[i % 8]), customdata=part["reached"].tolist(),
                         hovertemplate="%{x}: %{y:.0%} (%{customdata} pilots)"
                         "<extra>" + str(seg).replace("<", "&lt;") + "</extra>"))
    last = by[by["stage"] == by["stage"].iloc[-1]].set_index("segment").loc[top]
    best = last["overall_conversion"].idxmax()
    title = f"By {plotly_text(dimension_label.lower())}: {plotly_text(best)} takes the largest share to the last stage " \
            f"({last.loc[best, 'overall_conversion']:.0%})"
    if by["segment"].nunique() > max_segments:
        title += f" — largest {max_segments} of {by['segment'].nunique()} shown"
    return unchecked_figure(bars, dict(yaxis=dict(title=dict(text="share of the segment's pilots (%)"), tickformat=".0%",
                                                  range=[0, 1.05]), barmode="group"), layout_properties(title, height=420))
