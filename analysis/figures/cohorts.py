"""Cohort figures: the start-cohort triangle and the cumulative incidence curves with their bands.

Speed: at 100k pilots the curves hold thousands of points and the page has a tenth of a second. The traces
are plain dicts of numpy arrays, written in plotly's normal form, and the figure is made in one go without
plotly's property-by-property validation (base.unchecked_figure); building go.Scatter objects from pandas Series and
adding them one by one to a make_subplots figure validated everything twice and took most of the page's time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    SEGMENT_COLOURS,
    empty_figure,
    layout_properties,
    unchecked_figure,
)
from analysis.metrics.cohorts import COMPARE_MONTHS, MIN_GAP, OVERALL, cohort_trend, curve_rows

VERBS = {"production": "reached production", "cancelled": "were cancelled"}
# Partly observed cells are drawn faded: their share can still rise, so they must not look final.
PARTIAL_OPACITY = 0.4
# Above this many columns the cell labels no longer fit; hovering still gives the numbers.
MAX_LABELLED_COLUMNS = 20
MAX_SEGMENTS = len(SEGMENT_COLOURS)  # one colour each, never reused on one chart
BAND_ALPHA = 0.16  # 95% bands are a tint of their curve's colour, light enough to see overlaps
# The two panels of the curves by segment, as make_subplots(rows=1, cols=2, horizontal_spacing=0.04) places
# them: (x axis, y axis) of each, the width of each, and their titles' style.
PANEL_AXES = [("x", "y"), ("x2", "y2")]
PANEL_GAP = 0.04
PANEL_WIDTH = (1 - PANEL_GAP) / 2
PANEL_TITLE = dict(font=dict(size=16), showarrow=False, xanchor="center", xref="paper", y=1.0, yanchor="bottom",
                   yref="paper")
Y_AXIS = dict(tickformat=".0%", rangemode="tozero")


def _tint(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _escape(text: object) -> str:
    return str(text).replace("<", "&lt;")


# ------------------------------------------------------------------ the triangle


def triangle_title(matrix: pd.DataFrame, kind: str, month: int = COMPARE_MONTHS) -> str:
    """The finding: the share with the event within ``month`` months, pooled by start year over the
    fully followed cohorts, e.g. 'Reached production within 12 months: 4% of 2023 starts, 10% of 2024,
    13% of 2025'."""
    trend = cohort_trend(matrix, kind, month)
    if trend.empty:
        return f"Share of each start cohort that {VERBS[kind]}, by time since start"
    parts = [f"{share:.0%} of {year} starts ({count:,} of {n:,})" if i == 0 else f"{share:.0%} of {year} ({count:,} of {n:,})"
             for i, (year, count, n, share) in
             enumerate(trend[["year", "count", "n", "share"]].itertuples(index=False))]
    return f"{VERBS[kind].capitalize()} within {month} months: " + ", ".join(parts)


def _grid(matrix: pd.DataFrame, kind: str, observed: str, rows: list[str]) -> tuple[np.ndarray, ...]:
    """Rows = cohorts (by start), columns = months: share (NaN outside ``observed`` cells and where the
    matrix has no cell), labels, hover data (count, n, followed, low, high) and the row label of each cell.
    The row label travels as hovertext, not in customdata: mixed with strings, customdata would be an
    object array, which plotly and Streamlit copy and encode number by number (most of the chart's cost).
    Labels and hover texts are numpy string arrays for the same reason: copied as one block, not one by one."""
    _, row = np.unique(matrix["cohort_start"].to_numpy(), return_inverse=True)
    months, column = np.unique(matrix["month"].to_numpy(), return_inverse=True)

    def wide(values: np.ndarray) -> np.ndarray:
        out = np.full((len(rows), months.size), np.nan)
        out[row, column] = values
        return out

    shown = (matrix["observed"] == observed).to_numpy()
    share = wide(np.where(shown, matrix[f"{kind}_share"].to_numpy(dtype=float), np.nan))
    prefix = "≥" if observed == "partial" else ""
    text = np.array(["" if np.isnan(v) else f"{prefix}{v:.0%}" for v in share.ravel()], dtype=str)
    fields = [kind, "n", "followed", f"{kind}_low", f"{kind}_high"]
    custom = np.stack([wide(matrix[f].to_numpy(dtype=float)) for f in fields], axis=-1)
    labels = np.repeat(np.array(rows, dtype=str)[:, None], months.size, axis=1)
    return share, text.reshape(share.shape), custom, labels


def _hover(kind: str, observed: str, unit: str) -> str:
    head = f"<b>%{{hovertext}}</b>, within %{{x}} {unit} of start<br>"
    if observed == "full":
        return (head + f"%{{customdata[0]:.0f}} of %{{customdata[1]:.0f}} pilots {VERBS[kind]} (%{{z:.0%}})"
                "<br>95% CI %{customdata[3]:.0%}–%{customdata[4]:.0%}<extra>every pilot followed this long</extra>")
    return (head + f"so far %{{customdata[0]:.0f}} of %{{customdata[1]:.0f}} pilots {VERBS[kind]} (%{{z:.0%}}, "
            "can still rise)<br>only %{customdata[2]:.0f} have been followed this long<extra>partly observed</extra>")


def _frontier(matrix: pd.DataFrame, step: int) -> dict:
    """A staircase along the right edge of each cohort's fully observed cells: left of it the shares are
    final, right of it (the partly observed diagonal) they can still rise."""
    full = matrix["month"].where(matrix["observed"] == "full", 0)
    last = full.groupby(matrix["cohort_start"]).max().sort_index().to_numpy() / step + 0.5
    x = np.repeat(last, 2)
    y = np.column_stack([np.arange(len(last)) - 0.5, np.arange(len(last)) + 0.5]).ravel()
    return dict(type="scatter", x=x, y=y, mode="lines", line=dict(color="#444444", width=1.5, dash="dot"),
                hoverinfo="skip", name="every pilot of the cohort followed this long (left of the line)",
                showlegend=True)


def _cells(matrix: pd.DataFrame, kind: str, observed: str, rows: list[str], columns: list[int], unit: str) -> dict:
    """One heatmap of the ``observed`` ("full" or "partial") cells."""
    z, text, custom, labels = _grid(matrix, kind, observed, rows)
    labelled = {"texttemplate": "%{text}"} if len(columns) <= MAX_LABELLED_COLUMNS else {}
    return dict(type="heatmap", z=z, x=columns, y=list(range(len(rows))), text=text, customdata=custom, hovertext=labels,
                coloraxis="coloraxis", opacity=1.0 if observed == "full" else PARTIAL_OPACITY, xgap=1, ygap=1,
                name=observed, hoverongaps=False, hovertemplate=_hover(kind, observed, unit), textfont=dict(size=11),
                **labelled)


def triangle_figure(matrix: pd.DataFrame, kind: str = "production", step: int = 1) -> go.Figure:
    """Heatmap: start cohorts (rows, n in the label) by months or quarters since start (columns), each
    cell the cumulative share of the cohort that reached production (or was cancelled). Cells the cohort
    is too young for are blank; partly observed cells (not every pilot followed that long) are faded,
    marked '≥' and lie right of a dotted staircase."""
    if matrix.empty:
        return empty_figure("No pilots with a start date in this selection, so no cohorts to show.")
    cohorts = matrix.drop_duplicates("cohort_start").sort_values("cohort_start")
    rows = [f"{c} (n={n:,})" for c, n in zip(cohorts["cohort"], cohorts["n"])]
    columns = [int(m) // step for m in sorted(matrix["month"].unique())]
    unit = "months" if step == 1 else "quarters" if step == 3 else f"× {step} months"
    top = float(np.nanmax(matrix[f"{kind}_share"].to_numpy(dtype=float), initial=0.0)) or 1.0
    shared = layout_properties(triangle_title(matrix, kind), height=max(340, 28 * len(rows) + 190))
    # The legend below the axis title whatever the height (the shared look places it at a fraction of the plot).
    shared["legend"].update(yref="container", y=0, yanchor="bottom")
    shared["margin"].update(b=90)
    return unchecked_figure([_cells(matrix, kind, "full", rows, columns, unit),
                    _cells(matrix, kind, "partial", rows, columns, unit), _frontier(matrix, step)], dict(
        shared, coloraxis=dict(colorscale=[[0, "#f4f4f4"], [1, OUTCOME_COLOURS[kind]]], cmin=0, cmax=top,
                       colorbar=dict(title=dict(text="share"), tickformat=".0%", thickness=12)),
        yaxis=dict(autorange="reversed", title=dict(text="start cohort (pilots)"), tickvals=list(range(len(rows))),
                   ticktext=rows,
                   showgrid=False, zeroline=False),
        xaxis=dict(title=dict(text=f"{unit} since start (faded ≥ cells: partly observed, can still rise; blank: "
                                   "cohort too young)"),
                   dtick=1 if len(columns) <= 24 else 3, showgrid=False, zeroline=False,
                   range=[min(columns) - 0.5, max(columns) + 0.5])))


# ------------------------------------------------------------------ the curves


def _step_points(values: np.ndarray) -> np.ndarray:
    """Which points a step line (shape "hv") needs: the first, the last, and each where the value changes.
    A point that repeats the value before it draws nothing (the line runs on flat through it), so the line
    through the kept points alone is the same line, with about half the points at 100k pilots."""
    keep = np.ones(values.size, dtype=bool)
    keep[1:-1] = values[1:-1] != values[:-2]  # NaN != NaN: gaps keep their points
    return keep


def _curve_traces(curve: dict[str, np.ndarray], name: str, colour: str, group: str, show_legend: bool,
                  axes: dict[str, str]) -> list[dict]:
    """A step curve (arrays of the columns of segment_curves) with its 95% band (upper bound, then lower bound
    filled up to it), each drawn through the points where it steps (the curve's hover then lists the times
    where it moves)."""
    x, cif, low, high = (curve[c] for c in ("time", "cif", "ci_low", "ci_high"))
    band = dict(type="scatter", mode="lines", line=dict(width=0, shape="hv"), hoverinfo="skip", showlegend=False,
                legendgroup=group, **axes)
    custom = np.column_stack([curve["at_risk"], low, high])
    up, down, line = _step_points(high), _step_points(low), _step_points(cif)
    return [
        dict(band, x=x[up], y=high[up]),
        dict(band, x=x[down], y=low[down], fill="tonexty", fillcolor=_tint(colour, BAND_ALPHA)),
        dict(type="scatter", x=x[line], y=cif[line], mode="lines", line=dict(color=colour, width=2.5, shape="hv"),
             name=name, legendgroup=group, showlegend=show_legend, customdata=custom[line],
             hovertemplate="%{x:.1f} months: %{y:.1%} (95% CI %{customdata[1]:.0%}–%{customdata[2]:.0%})"
                           "<br>%{customdata[0]:.0f} pilots still at risk<extra>" + _escape(name) + "</extra>", **axes),
    ]


def _curves(curves: pd.DataFrame) -> tuple[list, list[dict[str, dict[str, np.ndarray]]], np.ndarray]:
    """Each segment's curves as arrays: the segments in order, for each a dict kind -> column -> array, and
    whether each has a curve to draw (more than its origin rows)."""
    segments, _, rows = curve_rows(curves)
    columns = {c: curves[c].to_numpy(dtype=float) for c in ("time", "cif", "ci_low", "ci_high", "at_risk", "n")}
    arrays = [{kind: {c: v[rows[kind][i]] for c, v in columns.items()} for kind in rows} for i in range(len(segments))]
    drawable = np.array([sum(len(rows[kind][i]) for kind in rows) > 2 for i in range(len(segments))], dtype=bool)
    return list(segments), arrays, drawable


def _month_line(month: int, axes: list[str]) -> list[dict]:
    """The dotted vertical line at ``month`` on each panel (x axis id, y axis id), as add_vline draws it."""
    return [dict(type="line", x0=month, x1=month, xref=x, y0=0, y1=1, yref=f"{y} domain",
                 line=dict(dash="dot", width=1, color="#888888")) for x, y in axes]


def _overall(arrays: dict[str, dict[str, np.ndarray]], month: int) -> tuple[list[dict], dict]:
    """Both curves of all pilots on one chart, in their outcome colours: traces and layout."""
    traces = []
    for kind in ("production", "cancelled"):
        traces += _curve_traces(arrays[kind], VERBS[kind], OUTCOME_COLOURS[kind], kind, True, {})
    axis = dict(title=dict(text="months since start"), rangemode="tozero")
    return traces, dict(xaxis=axis, yaxis=dict(Y_AXIS, title=dict(text="cumulative share of pilots (%)")),
                        shapes=_month_line(month, [("x", "y")]))


def _panels(segments: list, arrays: list[dict[str, dict[str, np.ndarray]]], month: int) -> tuple[list[dict], dict]:
    """One panel per outcome (production left, cancellation right, sharing the y axis), a colour per segment
    (the first MAX_SEGMENTS drawable ones): traces and layout, as make_subplots(1, 2) lays them out."""
    traces = []
    for i, (segment, curves) in enumerate(zip(segments[:MAX_SEGMENTS], arrays)):
        name = f"{segment} (n={int(curves['production']['n'][0]):,})"
        for kind, axes in (("production", PANEL_AXES[0]), ("cancelled", PANEL_AXES[1])):
            traces += _curve_traces(curves[kind], name, SEGMENT_COLOURS[i], str(segment), kind == "production",
                                    dict(xaxis=axes[0], yaxis=axes[1]))
    x = dict(title=dict(text="months since start"), rangemode="tozero")
    layout = dict(xaxis=dict(x, anchor="y", domain=[0.0, PANEL_WIDTH]),
                  xaxis2=dict(x, anchor="y2", domain=[1 - PANEL_WIDTH, 1.0]),
                  yaxis=dict(Y_AXIS, anchor="x", domain=[0.0, 1.0], title=dict(text="cumulative share of pilots (%)")),
                  yaxis2=dict(Y_AXIS, anchor="x2", domain=[0.0, 1.0], matches="y", showticklabels=False),
                  annotations=[dict(text=text, x=x, **PANEL_TITLE) for text, x in
                               (("Reached production", PANEL_WIDTH / 2), ("Cancelled", 1 - PANEL_WIDTH / 2))],
                  shapes=_month_line(month, PANEL_AXES))
    return traces, layout


def _overall_title(summary: pd.DataFrame, month: int) -> str:
    row = summary.iloc[0]
    if np.isnan(row["production"]):
        return "Cumulative share of pilots that reached production or were cancelled, by months since start"
    return (f"Within {month} months of start, {row['production']:.0%} of pilots reached production "
            f"(95% CI {row['production_low']:.0%}–{row['production_high']:.0%}) and {row['cancelled']:.0%} "
            "were cancelled")


def _segment_title(summary: pd.DataFrame, dimension_label: str, chronological: bool, month: int) -> str:
    known = summary.dropna(subset=["production"])
    if known.empty:
        return f"Cumulative share that reached production or was cancelled, by {dimension_label.lower()}"
    if len(known) == 1:
        row = known.iloc[0]
        return (f"Within {month} months of start, {row['production']:.0%} of {_escape(row['segment'])} pilots "
                f"reached production (95% CI {row['production_low']:.0%}–{row['production_high']:.0%}, "
                f"n={row['n']:,})")
    if chronological:
        old, new = known.iloc[0], known.iloc[-1]
        verdict = _trend_verdict(old, new)
        return (f"{verdict}: {new['production']:.0%} of {new['segment']} starts within {month} months "
                f"(n={new['n']:,}), against {old['production']:.0%} of {old['segment']} starts (n={old['n']:,})")
    best = known.loc[known["production"].idxmax()]
    worst = known.loc[known["production"].idxmin()]
    return (f"Within {month} months, {_escape(best['segment'])} reaches production most often "
            f"({best['production']:.0%}, n={best['n']:,}) and {_escape(worst['segment'])} least "
            f"({worst['production']:.0%}, n={worst['n']:,})")


def _trend_verdict(old: pd.Series, new: pd.Series) -> str:
    """Says newer cohorts do better or worse only when the two 95% bands do not overlap and the shares are
    at least MIN_GAP apart (a conservative reading: the same claim the Overview's cohort sentence would
    allow); otherwise that there is no clear change."""
    gap = new["production"] - old["production"]
    if abs(gap) >= MIN_GAP and new["production_low"] > old["production_high"]:
        return "Newer cohorts reach production sooner"
    if abs(gap) >= MIN_GAP and new["production_high"] < old["production_low"]:
        return "Newer cohorts reach production later"
    return "No clear change between cohorts"


def incidence_figure(curves: pd.DataFrame, summary: pd.DataFrame, dimension_label: str | None = None,
                     chronological: bool = False, month: int = COMPARE_MONTHS) -> go.Figure:
    """Cumulative incidence of production and of cancellation (competing events) over months since
    start, with 95% bands. Overall: both curves on one chart in their outcome colours. By segment: one
    panel per outcome, a colour per segment (the first MAX_SEGMENTS with a curve)."""
    segments, arrays, drawable = _curves(curves)
    if not drawable.any():  # each segment has an origin row per kind: nothing to draw
        return empty_figure("Too few pilots with dates in this selection to draw a curve.")
    if dimension_label is None:
        traces, axes = _overall(arrays[segments.index(OVERALL)], month)
        title = _overall_title(summary, month)
    else:
        keep = np.flatnonzero(drawable)
        traces, axes = _panels([segments[i] for i in keep], [arrays[i] for i in keep], month)
        title = _segment_title(summary, dimension_label, chronological, month)
    return unchecked_figure(traces, {**axes, **layout_properties(title, height=440)})
