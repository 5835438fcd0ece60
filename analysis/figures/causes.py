"""Failure-cause figures: the Pareto of causes, cause x stage, failure rate by segment, cause mix by
start cohort, spend lost by cause. Every clickable mark carries a key in customdata (the cause, the
[cause, stage] cell, the segment, the [quarter, cause] part) and the figure keeps the pilot ids behind
each key on the server (base.with_drill)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    SEGMENT_COLOURS,
    empty_figure,
    layout_properties,
    plotly_text,
    unchecked_figure,
    with_drill,
)
from analysis.metrics.causes import NOT_RECORDED, OTHER_CAUSES
from analysis.metrics.stats import SegmentTest, format_p_value
from analysis.schema import UNKNOWN_STAGE, cause_label, stage_label

SMALL_SEGMENT_COLOUR = "#BBBBBB"  # grey: a segment too small to rank
CUMULATIVE_COLOUR = "#444444"
OTHER_CAUSES_COLOUR = "#999999"
HEATMAP_SCALE = [[0, "#FFF5EB"], [1, OUTCOME_COLOURS["cancelled"]]]  # white to the cancelled colour
BAR_HEIGHT = 28  # pixels per bar of a horizontal bar chart
MAX_SEGMENT_BARS = 25  # more bars than this are unreadable; the table beside the chart lists them all


def _drill(fig: go.Figure, frame: pd.DataFrame, keys: list) -> go.Figure:
    """The figure with the pilot ids of each row of `frame` kept under the row's key (if it has them)."""
    return with_drill(fig, dict(zip(keys, frame["pilot_ids"]))) if "pilot_ids" in frame else fig


def _cells(*columns: pd.Series) -> list[list[str]]:
    """Keys of several parts, one [a, b] list per row (plotly hands a list back for a click)."""
    return [list(row) for row in zip(*columns)]


def _key_array(keys: list[list[str]]) -> np.ndarray:
    """_cells keys as one 2-D array of text: plotly copies an array whole where it checks a list of lists
    element by element; it sends the same [a, b] lists."""
    return np.array(keys, dtype=object).reshape(len(keys), -1)


def rate_text(cancelled: int, decided: int, low: float, high: float) -> str:
    """'3 of 4 (75%, 95% CI 30–95%)'; '0 decided' when nothing is decided yet."""
    if not decided:
        return "0 decided"
    return f"{cancelled:,} of {decided:,} ({cancelled / decided:.0%}, 95% CI {100 * low:.0f}–{high:.0%})"


def money(value: float) -> str:
    """Compact amount: 12.3M, 450k, 900 (currency-agnostic)."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:,.0f}"


def causes_figure(counts: pd.DataFrame, top: int = 8) -> go.Figure:
    """Horizontal bars of the commonest causes among cancelled pilots, count and share on each bar."""
    if counts.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes to show.")
    part = counts.head(top)
    labels = [plotly_text(cause_label(c)) for c in part["cause"]]
    keys = part["cause"].tolist()
    bars = dict(type="bar", x=part["count"].tolist(), y=labels, orientation="h",
                marker=dict(color=OUTCOME_COLOURS["cancelled"]),
                text=[f"{n:,} ({s:.0%})" for n, s in zip(part["count"], part["share"])],
                textposition="auto", hovertemplate="%{y}: %{x} cancelled pilots<extra></extra>")
    if "pilot_ids" in part:
        bars["customdata"] = keys
    fig = unchecked_figure([bars], dict(yaxis=dict(autorange="reversed"),
                                        xaxis=dict(title=dict(text="cancelled pilots (count)"))), layout_properties(
        causes_title(counts), height=max(260, 40 * len(part) + 100)))
    return _drill(fig, part, keys)


def causes_title(counts: pd.DataFrame) -> str:
    """The commonest cause and its share of the cancellations; when most often no cause is recorded, that is
    said first, and the commonest recorded cause after it (a missing cause is not a cause)."""
    lead = counts.iloc[0]
    if lead["cause"] != NOT_RECORDED:
        return f"{plotly_text(cause_label(lead['cause']))} is the commonest cause ({lead['share']:.0%} of cancellations)"
    recorded = counts[counts["cause"] != NOT_RECORDED]
    if recorded.empty:
        return f"No cause is recorded for any of the {int(lead['count']):,} cancellations"
    best = recorded.iloc[0]
    return (f"No cause is recorded for {lead['share']:.0%} of cancellations; of the rest, "
            f"{lower_first(plotly_text(cause_label(best['cause'])))} is the commonest ({best['share']:.0%})")


def pareto_title(counts: pd.DataFrame) -> str:
    """How few causes account for half of the cancellations, and which leads."""
    total = int(counts["count"].sum())
    few = int(np.searchsorted(counts["cumulative_share"].to_numpy(), 0.5 - 1e-12)) + 1
    share = counts["cumulative_share"].iloc[few - 1]
    lead = cause_label(counts["cause"].iloc[0])
    if counts["cause"].iloc[0] == NOT_RECORDED:
        return causes_title(counts).replace(" of cancellations", f" of the {total:,} cancellations", 1)
    if few == 1:
        return f"{lead} alone caused {share:.0%} of the {total:,} cancellations"
    return (f"{few} of {len(counts)} causes account for {share:.0%} of the {total:,} cancellations; "
            f"{lower_first(lead)} leads ({int(counts['count'].iloc[0]):,})")


def pareto_figure(counts: pd.DataFrame) -> go.Figure:
    """Pareto of causes: bars sorted by count (n and share on each), the cumulative share as a line on
    a second axis (top). Unmapped causes appear as `other (<text>)`."""
    if counts.empty:
        return empty_figure("No cancelled pilots in this selection, so no causes to show.")
    labels = [plotly_text(cause_label(c)) for c in counts["cause"]]
    keys = counts["cause"].tolist()
    bars = dict(
        type="bar", x=counts["count"].tolist(), y=labels, orientation="h", marker=dict(color=OUTCOME_COLOURS["cancelled"]),
        name="cancelled pilots", customdata=keys, textposition="auto",
        text=[f"{n:,} ({s:.0%})" for n, s in zip(counts["count"], counts["share"])],
        hovertext=[f"{lab}: {n:,} cancelled pilots ({s:.0%}); click to list them"
                   for lab, n, s in zip(labels, counts["count"], counts["share"])], hoverinfo="text")
    line = dict(type="scatter", x=counts["cumulative_share"].tolist(), y=labels, xaxis="x2", mode="lines+markers",
                name="cumulative share of cancellations (%, top axis)", line=dict(color=CUMULATIVE_COLOUR),
                marker=dict(size=6), hovertemplate="%{y}: cumulative %{x:.0%}<extra></extra>")
    look = layout_properties(pareto_title(counts), height=max(320, BAR_HEIGHT * len(counts) + 160))
    fig = unchecked_figure([bars, line], dict(
        xaxis2=dict(overlaying="x", side="top", range=[0, 1.02], tickformat=".0%", showgrid=False,
                    tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1]),
        yaxis=dict(autorange="reversed"), xaxis=dict(title=dict(text="cancelled pilots (count)"))),
        look, dict(margin=dict(t=look["margin"]["t"] + 30)))  # room for the top axis
    return _drill(fig, counts, keys)


def lower_first(label: str) -> str:
    """A label inside a sentence: 'Unclear business value or ROI' -> 'unclear business value or ROI'."""
    return label[:1].lower() + label[1:]


def _columns(cells: pd.DataFrame, stages: list[str]) -> list[str]:
    """Every stage a pilot can be cancelled in (all but the last), then the last and `unknown` if used."""
    used = set(cells["stage"])
    return stages[:-1] + [s for s in (stages[-1:] + [UNKNOWN_STAGE]) if s in used]


def cause_stage_title(cells: pd.DataFrame) -> str:
    """The largest cell: which cause stops most pilots at which stage."""
    top = cells.loc[cells["count"].idxmax()]
    return (f"{cause_label(top['cause'])} at {stage_label(top['stage']).lower()} stops the most pilots "
            f"({int(top['count']):,}, {top['row_share']:.0%} of that cause's cancellations)")


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
    heat = dict(type="heatmap", z=counts.to_numpy(dtype=float), x=x, y=y, text=text, texttemplate="%{text}",
                colorscale=HEATMAP_SCALE, zmin=0, hoverinfo="skip", xgap=2, ygap=2,
                colorbar=dict(title=dict(text="cancelled<br>pilots")))
    hover = [f"{plotly_text(cause_label(c))} at {stage_label(s).lower()}: {n} cancelled ({r:.0%} of the cause, "
             f"{k:.0%} of the stage); click to list them"
             for c, s, n, r, k in zip(cells["cause"], cells["stage"], cells["count"], cells["row_share"],
                                      cells["column_share"])]
    keys = _cells(cells["cause"], cells["stage"])
    marks = dict(type="scatter", x=[stage_label(s) for s in cells["stage"]],
                 y=[plotly_text(cause_label(c)) for c in cells["cause"]], mode="markers",
                 marker=dict(size=30, symbol="square", opacity=0), customdata=_key_array(keys), hovertext=hover,
                 hoverinfo="text", showlegend=False, name="cells")
    look = layout_properties(cause_stage_title(cells), height=max(340, 36 * len(y) + 200))
    # the stages name themselves (on top), with no axis titles: a title there would hit the chart title
    fig = unchecked_figure([heat, marks], dict(yaxis=dict(autorange="reversed"), xaxis=dict(side="top")),
                           look, dict(margin=dict(t=look["margin"]["t"] + 25)))  # room for the stage names on top
    return _drill(fig, cells, [tuple(k) for k in keys])


def segment_title(rates: pd.DataFrame, test: SegmentTest, dimension_label: str, cause: str | None = None) -> str:
    """The highest and lowest ranked failure rate, and whether the difference is real."""
    ranked = rates[rates["ranked"] & rates["rate"].notna()]
    what = f"{cause_label(cause)}: " if cause else ""
    if len(ranked) < 2:
        text = f"{what}too few {dimension_label.lower()} segments with enough decided pilots to compare"
    else:
        high, low = ranked.iloc[0], ranked.iloc[-1]
        spread = f"from {plotly_text(low['segment'])} ({low['rate']:.0%}) to {plotly_text(high['segment'])} ({high['rate']:.0%})"
        text = (f"{what}failure rates really differ by {dimension_label.lower()}: {spread}" if test.significant
                else f"{what}no clear difference by {dimension_label.lower()}: {spread} could be chance")
    return text[:1].upper() + text[1:]


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
    bars = dict(
        type="bar", x=shown["rate"].tolist(), y=labels, orientation="h", customdata=shown["segment"].tolist(),
        hovertext=hover, hoverinfo="text",
        marker=dict(color=[OUTCOME_COLOURS["cancelled"] if r else SMALL_SEGMENT_COLOUR for r in shown["ranked"]]),
        error_x=dict(type="data", array=(shown["ci_high"] - shown["rate"]).tolist(),
                     arrayminus=(shown["rate"] - shown["ci_low"]).tolist(),
                     color=CUMULATIVE_COLOUR, thickness=1.5, width=4),
        text=[f"{c:,} of {d:,} ({c / d:.0%})" for c, d in zip(shown["cancelled"], shown["decided"])],
        textposition="inside", insidetextanchor="start", name="failure rate")
    failures = "cancelled for this cause" if cause else "cancelled"
    fig = unchecked_figure([bars], dict(yaxis=dict(autorange="reversed"), **_overall_line(overall), xaxis=dict(
        title=dict(text=f"failure rate: {failures} / decided (%), with 95% Wilson interval"), tickformat=".0%",
        range=[0, 1.02])), layout_properties(segment_title(rates, test, dimension_label, cause),
                                             height=max(300, 34 * len(shown) + 150)))
    return _drill(fig, shown, shown["segment"].tolist())


def _overall_line(overall: float | None) -> dict:
    """The overall rate as a dotted vertical line labelled on top (what fig.add_vline draws, written out:
    add_vline works out the axes anew on each call, a quarter of the chart's time)."""
    if overall is None:
        return {}
    return dict(shapes=[dict(type="line", x0=overall, x1=overall, xref="x", y0=0, y1=1, yref="y domain",
                             line=dict(color=CUMULATIVE_COLOUR, dash="dot"))],
                annotations=[dict(text=f"all: {overall:.0%}", x=overall, xref="x", xanchor="center", y=1,
                                  yref="y domain", yanchor="bottom", showarrow=False)])


def cohort_title(mix: pd.DataFrame) -> str:
    """How often the overall leading cause led each start quarter's cancellations."""
    named = mix[mix["cause"] != OTHER_CAUSES]
    leaders = named.sort_values("count", ascending=False, kind="stable").drop_duplicates("cohort")["cause"]
    lead = leaders.value_counts().index[0]
    quarters = mix["cohort"].nunique()
    return f"{cause_label(lead)} was the commonest cause in {int((leaders == lead).sum())} of {quarters} start quarters"


def cohort_mix_figure(mix: pd.DataFrame) -> go.Figure:
    """Stacked bars: the cause mix of each start quarter's cancelled pilots (share, n under each bar)."""
    if mix.empty:
        return empty_figure("No cancelled pilots with a start date, so no cause mix by start quarter.")
    totals = mix.drop_duplicates("cohort").set_index("cohort")["cohort_cancelled"]
    x_labels = {q: f"{q}<br>n={int(n):,}" for q, n in totals.items()}
    traces, drill = [], {}
    for i, cause in enumerate(dict.fromkeys(mix["cause"])):
        part = mix[mix["cause"] == cause]
        colour = OTHER_CAUSES_COLOUR if cause == OTHER_CAUSES else SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)]
        label = plotly_text(cause_label(cause))
        keys = _cells(part["cohort"], part["cause"])
        drill |= dict(zip(map(tuple, keys), part["pilot_ids"]))
        traces.append(dict(type="bar", x=[x_labels[q] for q in part["cohort"]], y=part["share"].tolist(), name=label,
                           marker=dict(color=colour), customdata=_key_array(keys), hoverinfo="text",
                           hovertext=[f"{q}: {label} {n:,} of {t:,} cancelled ({s:.0%})" for q, n, t, s in
                                      zip(part["cohort"], part["count"], part["cohort_cancelled"], part["share"])]))
    return with_drill(unchecked_figure(traces, dict(
        barmode="stack", xaxis=dict(categoryorder="array", categoryarray=list(x_labels.values()),
                                    title=dict(text="start quarter (n = cancelled pilots)")),
        yaxis=dict(title=dict(text="share of the quarter's cancelled pilots (%)"), tickformat=".0%", range=[0, 1])),
        layout_properties(cohort_title(mix), height=520),
        # two-line quarter labels and the axis title need the legend further down
        dict(legend=dict(y=-0.28, yanchor="top"), margin=dict(b=110))), drill)


def spend_figure(spend: pd.DataFrame) -> go.Figure:
    """Horizontal bars of spend lost on cancelled pilots, by cause (amount, share and pilots on each)."""
    if spend.empty or spend["spend"].sum() == 0:
        return empty_figure("No spend recorded on cancelled pilots in this selection.")
    labels = [plotly_text(cause_label(c)) for c in spend["cause"]]
    total = spend["spend"].sum()
    bars = dict(
        type="bar", x=spend["spend"].tolist(), y=labels, orientation="h", marker=dict(color=OUTCOME_COLOURS["cancelled"]),
        customdata=spend["cause"].tolist(), textposition="auto", hoverinfo="text",
        text=[f"{money(v)} ({s:.0%}, {p:,} pilots)" for v, s, p in zip(spend["spend"], spend["share"], spend["pilots"])],
        hovertext=[f"{lab}: {v:,.0f} lost on {p:,} cancelled pilots (spend recorded for {w:,})"
                   for lab, v, p, w in zip(labels, spend["spend"], spend["pilots"], spend["with_spend"])])
    top = spend.iloc[0]
    title = (f"{money(total)} spent on cancelled pilots; {lower_first(cause_label(top['cause']))} lost the most "
             f"({money(top['spend'])}, {top['share']:.0%})")
    fig = unchecked_figure([bars], dict(yaxis=dict(autorange="reversed"), xaxis=dict(
        title=dict(text="spend on cancelled pilots (currency of the export)"))),
        layout_properties(title, height=max(300, BAR_HEIGHT * len(spend) + 120)))
    return _drill(fig, spend, spend["cause"].tolist())


PLURALS = {"business_unit": "business units", "use_case": "use cases", "sourcing": "sourcing models",
           "sponsor": "sponsors"}


def dimension_plural(dimension: str, label: str) -> str:
    """The segments of a dimension in words: 'business units', or "values of 'Agency'" for extras."""
    return PLURALS.get(dimension, f"values of '{label}'")


def segment_table(rates: pd.DataFrame, dimension_label: str, min_n: int) -> pd.DataFrame:
    """segment_rates for display: the rate as '3 of 4 (75%, 95% CI 30–95%)', pilots, in flight, ranked."""
    return pd.DataFrame({
        dimension_label: rates["segment"],
        "Cancelled of decided (rate, 95% interval)": [rate_text(c, d, lo, hi) for c, d, lo, hi in zip(
            rates["cancelled"], rates["decided"], rates["ci_low"], rates["ci_high"])],
        "Pilots": rates["pilots"],
        "In flight (not yet decided)": rates["pilots"] - rates["decided"],
        f"Ranked (n ≥ {min_n})": rates["ranked"],
    })


def small_segments_note(rates: pd.DataFrame, min_n: int) -> str:
    """Which segments are too small to rank, with their rates; '' when none is."""
    small = rates[~rates["ranked"]]
    if small.empty:
        return ""
    listed = "; ".join(f"{s} ({rate_text(c, d, lo, hi)})" for s, c, d, lo, hi in
                       zip(small["segment"], small["cancelled"], small["decided"], small["ci_low"], small["ci_high"]))
    return f"Shown greyed and not ranked or tested, with fewer than {min_n} decided pilots: {listed}."


def pairs_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """pairwise_fisher_holm for display."""
    return pd.DataFrame({"Segment": pairs["segment_a"], "versus": pairs["segment_b"],
                         "Raw p": pairs["p_value"].map(format_p_value),
                         "Holm-adjusted p": pairs["p_holm"].map(format_p_value),
                         "Differ?": pairs["significant"].map({True: "yes", False: "could be chance"})})


# The marks of each figure by name, with their pilot ids: the pages' "Show the pilots behind…" choices.

def pareto_choices(counts: pd.DataFrame) -> dict[str, list[str]]:
    return {f"{cause_label(c)} ({n})": ids for c, n, ids in zip(counts["cause"], counts["count"], counts["pilot_ids"])}


def cause_stage_choices(cells: pd.DataFrame) -> dict[str, list[str]]:
    return {f"{cause_label(c)} at {stage_label(s).lower()} ({n})": ids
            for c, s, n, ids in zip(cells["cause"], cells["stage"], cells["count"], cells["pilot_ids"])}


def segment_choices(rates: pd.DataFrame) -> dict[str, list[str]]:
    return {f"{s}: {rate_text(c, d, lo, hi)}": ids for s, c, d, lo, hi, ids in
            zip(rates["segment"], rates["cancelled"], rates["decided"], rates["ci_low"], rates["ci_high"],
                rates["pilot_ids"]) if d}


def cohort_choices(mix: pd.DataFrame) -> dict[str, list[str]]:
    return {f"{q}: {cause_label(c)} ({n})": ids
            for q, c, n, ids in zip(mix["cohort"], mix["cause"], mix["count"], mix["pilot_ids"])}


def spend_choices(spend: pd.DataFrame) -> dict[str, list[str]]:
    return {f"{cause_label(c)} ({money(v)})": ids for c, v, ids in zip(spend["cause"], spend["spend"], spend["pilot_ids"])}
