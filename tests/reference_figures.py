"""Frozen copies of the figure builders as they were before they were made in one go without plotly's
validation (analysis/figures/base.unchecked_figure): tests/test_figures_unchecked.py pins the figures to
them. Never import this from the app."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    REACHED_COLOUR,
    SEGMENT_COLOURS,
    Drill,
    RowKeys,
    empty_figure,
    layout,
    plotly_text,
    with_drill,
)
from analysis.figures.causes import (
    BAR_HEIGHT,
    CUMULATIVE_COLOUR,
    HEATMAP_SCALE,
    MAX_SEGMENT_BARS,
    OTHER_CAUSES_COLOUR,
    SMALL_SEGMENT_COLOUR,
    _cells,
    _columns,
    _drill,
    _key_array,
    _overall_line,
    cause_stage_title,
    cohort_title,
    lower_first,
    money,
    pareto_title,
    rate_text,
    segment_title,
)
from analysis.figures.funnel import funnel_title
from analysis.figures.stalls import (
    DAYS_PER_MONTH,
    MEDIAN_COLOUR,
    P90_COLOUR,
    _box_points,
    _drawn_boxes,
    _months,
    _position_ids,
    _position_parts,
    _spells,
    positions_title,
    stage_time_title,
)
from analysis.metrics.causes import OTHER_CAUSES
from analysis.metrics.stalls import Spells
from analysis.metrics.stats import SegmentTest
from analysis.schema import cause_label, stage_label


def causes_figure(counts: pd.DataFrame, top: int = 8) -> go.Figure:
    """Horizontal bars of the commonest causes among cancelled pilots, count and share on each bar."""
    if counts.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes to show.")
    part = counts.head(top)
    labels = [plotly_text(cause_label(c)) for c in part["cause"]]
    keys = part["cause"].tolist()
    fig = go.Figure(go.Bar(x=part["count"].tolist(), y=labels, orientation="h", marker_color=OUTCOME_COLOURS["cancelled"],
                           text=[f"{n:,} ({s:.0%})" for n, s in zip(part["count"], part["share"])],
                           customdata=keys if "pilot_ids" in part else None,
                           textposition="auto", hovertemplate="%{y}: %{x} cancelled pilots<extra></extra>"))
    _drill(fig, part, keys)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="cancelled pilots (count)")
    return layout(fig, f"{labels[0]} is the commonest cause ({part['share'].iloc[0]:.0%} of cancellations)",
                  height=max(260, 40 * len(part) + 100))


def pareto_figure(counts: pd.DataFrame) -> go.Figure:
    """Pareto of causes: bars sorted by count (n and share on each), the cumulative share as a line on
    a second axis (top). Unmapped causes appear as `other (<text>)`."""
    if counts.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes to show.")
    labels = [plotly_text(cause_label(c)) for c in counts["cause"]]
    keys = counts["cause"].tolist()
    bars = go.Bar(
        x=counts["count"].tolist(), y=labels, orientation="h", marker_color=OUTCOME_COLOURS["cancelled"],
        name="cancelled pilots", customdata=keys, textposition="auto",
        text=[f"{n:,} ({s:.0%})" for n, s in zip(counts["count"], counts["share"])],
        hovertext=[f"{lab}: {n:,} cancelled pilots ({s:.0%}); click to list them"
                   for lab, n, s in zip(labels, counts["count"], counts["share"])], hoverinfo="text")
    line = go.Scatter(x=counts["cumulative_share"].tolist(), y=labels, xaxis="x2", mode="lines+markers",
                      name="cumulative share of cancellations (%, top axis)", line=dict(color=CUMULATIVE_COLOUR),
                      marker=dict(size=6), hovertemplate="%{y}: cumulative %{x:.0%}<extra></extra>")
    fig = go.Figure([bars, line], dict(  # traces and axes at once: plotly checks a figure again on each change
        xaxis2=dict(overlaying="x", side="top", range=[0, 1.02], tickformat=".0%", showgrid=False,
                    tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1]),
        yaxis=dict(autorange="reversed"), xaxis=dict(title="cancelled pilots (count)")))
    _drill(fig, counts, keys)
    fig = layout(fig, pareto_title(counts), height=max(320, BAR_HEIGHT * len(counts) + 160))
    return fig.update_layout(margin=dict(t=fig.layout.margin.t + 30))  # room for the top axis


def cause_stage_figure(cells: pd.DataFrame, stages: list[str]) -> go.Figure:
    """Heatmap of cancelled pilots by cause (rows) and the stage they were stopped at (columns): each cell
    shows its count and its share of the cause's cancellations (row share), coloured by count. An
    invisible marker on each non-empty cell carries its pilot ids, so a click lists them."""
    if cells.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes by stage to show.")
    causes, columns = list(dict.fromkeys(cells["cause"])), _columns(cells, stages)
    counts, shares = (cells.pivot(index="cause", columns="stage", values=v).reindex(index=causes, columns=columns)
                      .fillna(0) for v in ("count", "row_share"))
    x = [stage_label(s) for s in counts.columns]
    y = [plotly_text(cause_label(c)) for c in causes]
    text = [[f"{int(n):,}<br>{r:.0%}" if n else "" for n, r in zip(nrow, rrow)]
            for nrow, rrow in zip(counts.to_numpy(), shares.to_numpy())]
    heat = go.Heatmap(z=counts.to_numpy(dtype=float), x=x, y=y, text=text, texttemplate="%{text}",
                      colorscale=HEATMAP_SCALE, zmin=0, hoverinfo="skip", xgap=2, ygap=2,
                      colorbar=dict(title="cancelled<br>pilots"))
    hover = [f"{plotly_text(cause_label(c))} at {stage_label(s).lower()}: {n} cancelled ({r:.0%} of the cause, "
             f"{k:.0%} of the stage); click to list them"
             for c, s, n, r, k in zip(cells["cause"], cells["stage"], cells["count"], cells["row_share"],
                                      cells["column_share"])]
    keys = _cells(cells["cause"], cells["stage"])
    marks = go.Scatter(x=[stage_label(s) for s in cells["stage"]], y=[plotly_text(cause_label(c)) for c in cells["cause"]],
                       mode="markers", marker=dict(size=30, symbol="square", opacity=0), customdata=_key_array(keys),
                       hovertext=hover, hoverinfo="text", showlegend=False, name="cells")
    # the stages name themselves (on top); a title there would hit the chart title
    fig = go.Figure([heat, marks], dict(yaxis=dict(autorange="reversed", title={}), xaxis=dict(title={}, side="top")))
    _drill(fig, cells, [tuple(k) for k in keys])
    fig = layout(fig, cause_stage_title(cells), height=max(340, 36 * len(y) + 200))
    return fig.update_layout(margin=dict(t=fig.layout.margin.t + 25))  # room for the stage names on top


def segment_figure(rates: pd.DataFrame, test: SegmentTest, dimension_label: str, overall: float | None,
                   min_n: int, cause: str | None = None) -> go.Figure:
    """Failure rate (cancelled, for `cause` if given, / decided) per segment with 95% Wilson intervals as
    error bars; segments with fewer than `min_n` decided pilots greyed at the bottom, not ranked; the
    overall rate as a line."""
    shown = rates[rates["decided"] > 0].head(MAX_SEGMENT_BARS)
    if shown.empty:
        return empty_figure("No decided pilots (reached production or cancelled) in this selection yet.")
    labels = [plotly_text(s) + ("" if r else f" (n<{min_n})") for s, r in zip(shown["segment"], shown["ranked"])]
    hover = [f"{lab}: {rate_text(c, d, lo, hi)}" + ("" if r else f"; fewer than {min_n} decided, not ranked")
             for lab, c, d, lo, hi, r in zip(labels, shown["cancelled"], shown["decided"], shown["ci_low"],
                                             shown["ci_high"], shown["ranked"])]
    bars = go.Bar(
        x=shown["rate"].tolist(), y=labels, orientation="h", customdata=shown["segment"].tolist(), hovertext=hover,
        hoverinfo="text",
        marker_color=[OUTCOME_COLOURS["cancelled"] if r else SMALL_SEGMENT_COLOUR for r in shown["ranked"]],
        error_x=dict(type="data", array=(shown["ci_high"] - shown["rate"]).tolist(),
                     arrayminus=(shown["rate"] - shown["ci_low"]).tolist(),
                     color=CUMULATIVE_COLOUR, thickness=1.5, width=4),
        text=[f"{c:,} of {d:,} ({c / d:.0%})" for c, d in zip(shown["cancelled"], shown["decided"])],
        textposition="inside", insidetextanchor="start", name="failure rate")
    failures = "cancelled for this cause" if cause else "cancelled"
    fig = go.Figure(bars, dict(yaxis=dict(autorange="reversed"), **_overall_line(overall), xaxis=dict(
        title=f"failure rate: {failures} / decided (%), with 95% Wilson interval", tickformat=".0%", range=[0, 1.02])))
    _drill(fig, shown, shown["segment"].tolist())
    return layout(fig, segment_title(rates, test, dimension_label, cause), height=max(300, 34 * len(shown) + 150))


def cohort_mix_figure(mix: pd.DataFrame) -> go.Figure:
    """Stacked bars: the cause mix of each start quarter's cancelled pilots (share, n under each bar)."""
    if mix.empty:
        return empty_figure("No cancelled pilots with a start date, so no cause mix by start quarter.")
    totals = mix.drop_duplicates("cohort").set_index("cohort")["cohort_cancelled"]
    x_labels = {q: f"{q}<br>n={int(n)}" for q, n in totals.items()}
    traces, drill = [], {}
    for i, cause in enumerate(dict.fromkeys(mix["cause"])):
        part = mix[mix["cause"] == cause]
        colour = OTHER_CAUSES_COLOUR if cause == OTHER_CAUSES else SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)]
        label = plotly_text(cause_label(cause))
        keys = _cells(part["cohort"], part["cause"])
        drill |= dict(zip(map(tuple, keys), part["pilot_ids"]))
        traces.append(go.Bar(x=[x_labels[q] for q in part["cohort"]], y=part["share"].tolist(), name=label,
                             marker_color=colour, customdata=_key_array(keys), hoverinfo="text",
                             hovertext=[f"{q}: {label} {n:,} of {t:,} cancelled ({s:.0%})" for q, n, t, s in
                                        zip(part["cohort"], part["count"], part["cohort_cancelled"], part["share"])]))
    # one figure of every trace and its axes at once: plotly checks a figure again on each addition
    fig = with_drill(go.Figure(traces, dict(
        barmode="stack", xaxis=dict(categoryorder="array", categoryarray=list(x_labels.values()),
                                    title="start quarter (n = cancelled pilots)"),
        yaxis=dict(title="share of the quarter's cancelled pilots (%)", tickformat=".0%", range=[0, 1]))), drill)
    fig = layout(fig, cohort_title(mix), height=520)
    # two-line quarter labels and the axis title need the legend further down
    return fig.update_layout(legend=dict(y=-0.28, yanchor="top"), margin=dict(b=110))


def spend_figure(spend: pd.DataFrame) -> go.Figure:
    """Horizontal bars of spend lost on cancelled pilots, by cause (amount, share and pilots on each)."""
    if spend.empty or spend["spend"].sum() == 0:
        return empty_figure("No spend recorded on cancelled pilots in this selection.")
    labels = [plotly_text(cause_label(c)) for c in spend["cause"]]
    total = spend["spend"].sum()
    fig = go.Figure(go.Bar(
        x=spend["spend"].tolist(), y=labels, orientation="h", marker_color=OUTCOME_COLOURS["cancelled"],
        customdata=spend["cause"].tolist(), textposition="auto", hoverinfo="text",
        text=[f"{money(v)} ({s:.0%}, {p:,} pilots)" for v, s, p in zip(spend["spend"], spend["share"], spend["pilots"])],
        hovertext=[f"{lab}: {v:,.0f} lost on {p:,} cancelled pilots (spend recorded for {w:,})"
                   for lab, v, p, w in zip(labels, spend["spend"], spend["pilots"], spend["with_spend"])]))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="spend on cancelled pilots (currency of the export)")
    _drill(fig, spend, spend["cause"].tolist())
    top = spend.iloc[0]
    title = (f"{money(total)} spent on cancelled pilots; {lower_first(cause_label(top['cause']))} lost the most "
             f"({money(top['spend'])}, {top['share']:.0%})")
    return layout(fig, title, height=max(300, BAR_HEIGHT * len(spend) + 120))


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
    fig = go.Figure(go.Bar(x=funnel["reached"].tolist(), y=labels, orientation="h", text=text, textposition="auto",
                           marker_color=REACHED_COLOUR, hovertemplate=hover,
                           customdata=None if ids is None else funnel["stage"].tolist(), name="reached"))
    if ids is not None:
        with_drill(fig, ids)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title="pilots (count)")
    return layout(fig, funnel_title(funnel), height)


def funnel_steps_figure(funnel: pd.DataFrame) -> go.Figure:
    """Stacked bars per stage: dropped (cancelled) here, still here (in flight), moved on."""
    if funnel.empty or int(funnel["reached"].iloc[0]) == 0:
        return empty_figure("No pilots with a known stage in this selection.")
    labels = [stage_label(s) for s in funnel["stage"]]
    fig = go.Figure()
    parts = [("moved_on", "moved on", OUTCOME_COLOURS["production"]),
             ("in_stage", "still in stage", OUTCOME_COLOURS["active"]),
             ("dropped", "cancelled here", OUTCOME_COLOURS["cancelled"])]
    for col, name, colour in parts:
        fig.add_bar(y=labels, x=funnel[col].tolist(), name=name, orientation="h", marker_color=colour,
                    text=[f"{v:,}" if v else "" for v in funnel[col].tolist()], textposition="inside", textangle=0,
                    hovertemplate=f"%{{y}}: %{{x:,}} {name}<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="pilots (count)")
    if funnel["dropped"].sum() == 0:
        return layout(fig, f"No pilot here was cancelled; {int(funnel['in_stage'].sum()):,} are still in flight")
    worst = funnel.loc[funnel["dropped"].idxmax()]
    return layout(fig, f"Most cancellations happen in {stage_label(worst['stage']).lower()} "
                       f"({int(worst['dropped']):,} of {int(funnel['dropped'].sum()):,} cancelled pilots)")


def funnel_by_figure(by: pd.DataFrame, dimension_label: str, max_segments: int = 8) -> go.Figure:
    """Grouped bars: share of each segment's pilots that reached each stage (n in the legend)."""
    if by.empty or by["n"].max() == 0:
        return empty_figure("No pilots with a known stage in this selection.")
    top = by.drop_duplicates("segment").nlargest(max_segments, "n")["segment"].tolist()
    fig = go.Figure()
    for i, seg in enumerate(top):
        part = by[by["segment"] == seg]
        fig.add_bar(x=[stage_label(s) for s in part["stage"]], y=part["overall_conversion"].tolist(),
                    name=f"{plotly_text(seg)} (n={int(part['n'].iloc[0])})", marker_color=SEGMENT_COLOURS[i % 8],
                    customdata=part["reached"].tolist(), hovertemplate="%{x}: %{y:.0%} (%{customdata} pilots)"
                    "<extra>" + str(seg).replace("<", "&lt;") + "</extra>")
    last = by[by["stage"] == by["stage"].iloc[-1]].set_index("segment").loc[top]
    best = last["overall_conversion"].idxmax()
    fig.update_yaxes(title="share of the segment's pilots (%)", tickformat=".0%", range=[0, 1.05])
    fig.update_layout(barmode="group")
    title = f"By {plotly_text(dimension_label.lower())}: {plotly_text(best)} takes the largest share to the last stage " \
            f"({last.loc[best, 'overall_conversion']:.0%})"
    if by["segment"].nunique() > max_segments:
        title += f" — largest {max_segments} of {by['segment'].nunique()} shown"
    return layout(fig, title, height=420)


def stage_time_figure(durations: pd.DataFrame | Spells, summary: pd.DataFrame, stages: list[str]) -> go.Figure:
    """Per stage, a box of the months spent there by pilots that left it (moved on or cancelled) and one
    of the months so far of pilots still there (censored at the as-of date), every pilot a point;
    the Kaplan-Meier median (diamond) and 90th percentile (cross) over both. Of usable spells: a
    stage_durations frame whose dates are in order, or Spells.usable().

    One point per pilot and stage (300k at 100k pilots), so each point costs: a box per stage and kind
    placed by `y0` (no label per point), side by side by `offsetgroup`, and as its key the point's row
    in `durations` (a number, sent as a typed array; base.RowKeys maps it back to the pilot id).
    A box of more than POINTS_PER_BOX spells is sent as its statistics and its outliers (box_stats), each
    keyed by its row and hovering without the pilot's name: at 1M pilots every value was 3M numbers,
    0.2-0.4 s and 150 MB to send, and seconds for a browser to draw."""
    spells = _spells(durations)
    if not len(spells):
        return empty_figure("No stage entry dates, so no time in stage to show.")
    order = [stage_label(s) for s in stages[:-1]]
    boxes = []
    for (_, name, colour), i, rows, per_day in _drawn_boxes(spells, len(stages) - 1):
        boxes.append(dict(
            type="box", y0=order[i], name=name, legendgroup=name,
            showlegend=not any(b["legendgroup"] == name for b in boxes), offsetgroup=name,
            orientation="h", jitter=0.5, pointpos=0, marker=dict(size=3, opacity=0.5),
            line=dict(color=colour), fillcolor="rgba(0,0,0,0)",
            **_box_points(spells, rows, spells.days[rows] / DAYS_PER_MONTH, name, per_day)))
    fig = with_drill(go.Figure(data=boxes), RowKeys(spells.pilot_ids))
    _km_markers(fig, summary)
    # traceorder normal: the legend groups (one entry per kind for its boxes) without a gap between groups
    fig.update_layout(boxmode="group", yaxis=dict(categoryorder="array", categoryarray=order[::-1]),
                      legend=dict(traceorder="normal"))
    fig.update_xaxes(title="months in stage", rangemode="tozero")
    return layout(fig, stage_time_title(summary), height=max(380, 110 * len(order) + 120))


def _km_markers(fig: go.Figure, summary: pd.DataFrame) -> None:
    """Kaplan-Meier median and 90th percentile of each stage where the curve gets that far."""
    for column, name, symbol, colour in (("median_days", "median (Kaplan-Meier)", "diamond", MEDIAN_COLOUR),
                                         ("p90_days", "90th percentile (Kaplan-Meier)", "x", P90_COLOUR)):
        known = summary[summary[column].notna()]
        fig.add_scatter(x=_months(known[column]), y=[stage_label(s) for s in known["stage"]], mode="markers",
                        name=name, marker=dict(symbol=symbol, size=12, color=colour, line=dict(width=1)),
                        hovertemplate=f"%{{y}}: {name} %{{x:.1f}} months<extra></extra>")


def positions_figure(positions: pd.DataFrame, stall_days: int | None, ids: Drill | None = None) -> go.Figure:
    """Stacked bars per stage: in-flight pilots there now, stalled and progressing (just in flight when
    `stall_days` is None: no dates to tell), with the median time there so far. `ids`: the pilots behind
    each (part, stage) key (analysis.stalls.PositionIds; by default the positions' id columns)."""
    if positions.empty or positions["in_flight"].sum() == 0:
        return empty_figure("No pilots in flight in this selection.")
    labels = [stage_label(s) + ("" if pd.isna(d) else f"<br>median {d / DAYS_PER_MONTH:.1f} mo there")
              for s, d in zip(positions["stage"], positions["median_days_there"])]
    fig = go.Figure()
    for part, name, counts, colour in _position_parts(positions, stall_days):
        keys = [[part, s] for s in positions["stage"]]
        fig.add_bar(y=labels, x=counts.tolist(), name=name, orientation="h", marker_color=colour, customdata=keys,
                    text=[f"{n:,}" if n else "" for n in counts.tolist()], textposition="inside", textangle=0,
                    hoverinfo="text", hovertext=[f"{lab}: {n:,} {name}" for lab, n in zip(labels, counts.tolist())])
    with_drill(fig, _position_ids(positions) if ids is None else ids)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="in-flight pilots now (count)")
    fig = layout(fig, positions_title(positions), height=max(300, 60 * len(labels) + 160))
    return fig.update_layout(barmode="stack", legend=dict(y=-0.3, traceorder="normal"))
