"""The portfolio's production rate beside the published figures: one row per rate, a dot with its 95%
interval for the portfolio's own, a hollow diamond for each published figure that can be read as a share
reaching production, labelled with its source and year."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    empty_figure,
    layout_properties,
    plotly_text,
    unchecked_figure,
    with_drill,
)
from analysis.metrics.benchmarks import ALL, Published

PUBLISHED_COLOUR = "#6B6B6B"  # grey: context, not the portfolio


def _portfolio_rows(rates: pd.DataFrame) -> list[tuple[str, float, float, float, str]]:
    """(label, rate, low, high, key) of each portfolio rate that can be stated."""
    rows = []
    for r in rates.itertuples(index=False):
        name = "This portfolio" if r.segment == ALL else f"Sourcing: {plotly_text(r.segment).capitalize()}"
        if r.pilots:
            rows.append((f"{name}, of all ({r.pilots:,})", r.rate_all, r.all_low, r.all_high, r.segment))
        if r.decided > r.reached:  # with no cancellation recorded, "of decided" is 100% and says nothing
            rows.append((f"{name}, of decided ({r.decided:,})", r.rate_decided, r.decided_low, r.decided_high,
                         r.segment))
    return rows


def benchmarks_figure(rates: pd.DataFrame, published: list[Published]) -> go.Figure:
    """Share reaching production: the portfolio's rates (dots, 95% intervals; clickable: the pilots that
    reached production) and the comparable published figures (diamonds, labelled by source and year)."""
    own = _portfolio_rows(rates)
    if not own:
        return empty_figure("No pilots in this selection, so there is no rate to compare.")
    quoted = [p for p in published if p.reach_production is not None]
    traces = [dict(type="scatter", mode="markers", name="this portfolio (95% interval)",
                   x=[r[1] for r in own], y=[r[0] for r in own], customdata=[r[4] for r in own],
                   marker=dict(size=12, color=OUTCOME_COLOURS["production"]),
                   error_x=dict(type="data", symmetric=False, array=[r[3] - r[1] for r in own],
                                arrayminus=[r[1] - r[2] for r in own], color=OUTCOME_COLOURS["production"]),
                   hovertemplate="%{y}: %{x:.0%}<extra></extra>")]
    if quoted:
        traces.append(dict(type="scatter", mode="markers", name="published (as a share reaching production)",
                           x=[p.reach_production for p in quoted],
                           y=[f"{plotly_text(p.publisher.split(' (')[0])} {p.year}" for p in quoted],
                           marker=dict(size=12, symbol="diamond-open", color=PUBLISHED_COLOUR, line=dict(width=2)),
                           hovertext=[plotly_text(p.shown_as) for p in quoted],
                           hovertemplate="%{y}: %{x:.0%}<br>%{hovertext}<extra></extra>"))
    rows = len(own) + len(quoted)
    title = f"{own[0][1]:.0%} of this portfolio's pilots reached production; the published figures range " \
            f"from {min(p.reach_production for p in quoted):.0%} to {max(p.reach_production for p in quoted):.0%}" \
        if quoted else f"{own[0][1]:.0%} of this portfolio's pilots reached production"
    fig = unchecked_figure(traces, dict(xaxis=dict(title=dict(text="share reaching production"), tickformat=".0%",
                                                   range=[0, 1.02]),
                                        yaxis=dict(autorange="reversed", automargin=True)),
                           layout_properties(title, height=max(320, 34 * rows + 170)))
    ids = {r.segment: r.pilot_ids for r in rates.itertuples(index=False)}  # listed when a mark is clicked
    return with_drill(fig, ids)



def published_lines(published: list[Published]) -> list[str]:
    """Each published figure as a line of Markdown, never without its source: who, when, what it says, what
    it counts, who was counted, why it is not the portfolio's measure, and the link to follow."""
    lines = []
    for p in published:
        cited = p.title if p.source else f"{p.title}, as reported by {p.reported_by[0]}"
        lines.append(f"**{p.publisher}, {p.year}**: {p.shown_as}. *Counts:* {p.measures} *Who:* {p.population} "
                     f"*Not your measure because:* {p.caveat} *Source:* [{cited}]({p.link})")
    return lines
