"""The one palette and layout every figure shares, and the empty-state figure.

Colours are Okabe & Ito's colour-blind-safe set; each outcome keeps its colour on every chart.

Drill-down by key. Each clickable mark carries a short key in `customdata` (a stage id, a cause, a
[cause, stage] pair, a segment; a row number where a chart has one mark per pilot), never the ids of the
pilots behind it: plotly validates every element of customdata when a figure is built, and every
element travels to the browser (and into the HTML report), megabytes per chart at 100k pilots. The
ids stay on the server, in the figure's private `_drill` attribute ({key: pilot ids}; plotly lets
attributes that start with "_" through and never serialises them). `drill(fig)` reads it; `mark_key`
turns a clicked point's customdata back into its key (plotly hands a list back for a list).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

OUTCOME_COLOURS = {
    "production": "#009E73",  # bluish green
    "retired": "#56B4E9",  # sky blue
    "cancelled": "#D55E00",  # vermillion
    "active": "#0072B2",  # blue: in flight
    "on_hold": "#E69F00",  # orange
    "stalled": "#CC79A7",  # reddish purple
}
REACHED_COLOUR = "#0072B2"
SEGMENT_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)


TITLE_CHARS = 46  # longer titles wrap instead of running off a half-width chart (1280 px: ~390 px, 16 px type)


def wrap_title(title: str, width: int = TITLE_CHARS) -> str:
    """The title broken into lines of at most `width` characters (plotly does not wrap)."""
    lines, current = [], ""
    for word in title.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return "<br>".join(lines + [current])


def layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    """The shared look: the finding as a wrapped title, transparent background, legend below."""
    fig.update_layout(**layout_properties(title, height))
    return fig


def layout_properties(title: str, height: int = 380) -> dict:
    """What layout() sets, as plotly's normal form (for figures made in one go: unchecked_figure)."""
    top = 40 + 22 * (wrap_title(title).count("<br>") + 1) if title else 20
    return dict(title=dict(text=wrap_title(title), x=0, xanchor="left", font=dict(size=16)), height=height,
                margin=dict(l=10, r=10, t=top, b=40), font=FONT, legend=dict(orientation="h", y=-0.2),
                plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")


def unchecked_figure(traces: list[dict], *layouts: dict) -> go.Figure:
    """A figure made in one go from trace dicts and layouts merged in order (a later one's settings win,
    nested ones merged: as successive update_layout calls), without plotly's property-by-property
    validation (the `_validate` switch its own templates use). Everything must
    be written in the form validation gives (title=dict(text=...), marker=dict(color=...), arrays as
    lists or numpy arrays): tests/test_figures_unchecked.py checks each such figure against what validation
    makes of its spec. Validating and updating a figure cost 4-10 ms each, a tenth of a page at 1M pilots."""
    return go.Figure(data=traces, layout=_merged(*layouts), _validate=False)


def _merged(*layouts: dict) -> dict:
    """The layouts merged into a new dict (nested dicts merged and copied, later values winning)."""
    merged: dict = {}
    for part in layouts:
        for key, value in part.items():
            if isinstance(value, dict):
                merged[key] = _merged(merged[key] if isinstance(merged.get(key), dict) else {}, value)
            else:
                merged[key] = value
    return merged


def empty_figure(message: str) -> go.Figure:
    """A figure with no axes that says why it is empty."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=15), x=0.5, y=0.5, xref="paper",
                       yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, "", height=200)


def plotly_text(text: object) -> str:
    """Text from an upload as plotly shows it literally: plotly reads <b>, <br>, <a href=...> in titles,
    labels and legends as markup, so `&`, `<` and `>` become entities (which it shows as the characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


Drill = Mapping[Hashable, Sequence[str]]  # the pilot ids behind each mark's key


def with_drill(fig: go.Figure, ids: Drill) -> go.Figure:
    """The figure with the pilot ids behind each mark's key kept on the server (see the module doc)."""
    fig._drill = ids
    return fig


def drill(fig: go.Figure) -> Drill:
    """The pilot ids behind each mark's key ({} for a figure without drill-down)."""
    return getattr(fig, "_drill", {})


def mark_key(customdata: object) -> Hashable:
    """The key a clicked mark carries: its customdata, a list (a [cause, stage] cell) as a tuple."""
    return tuple(customdata) if isinstance(customdata, list) else customdata


class RowKeys(Mapping):
    """The drill-down of a chart with one mark per pilot: the key is the mark's row number in the pilot
    ids given (a number travels as a typed array, where 300k id strings would be megabytes), so nothing
    is built per pilot. The chart and its selection come from the same run: Streamlit gives a changed
    figure a new element, and with it an empty selection."""

    def __init__(self, ids: Sequence[str]) -> None:
        self._ids = ids

    def __getitem__(self, key: Hashable) -> list[str]:
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= key < len(self._ids):
            raise KeyError(key)
        return [self._ids[key]]

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._ids)))

    def __len__(self) -> int:
        return len(self._ids)
