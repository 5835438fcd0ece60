"""The forecast of the pilots in flight: expected production and cancellation within 3, 6 and 12 months, with
the 80% interval as error bars; each bar clickable (the pilots with at least an even chance of it)."""

from __future__ import annotations

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
from analysis.metrics.forecast import HORIZONS, Forecast, likely_ids
from analysis.schema import stage_label

NAMES = {"production": "reach production", "cancelled": "be cancelled"}


def forecast_figure(found: Forecast) -> go.Figure:
    """Grouped bars per horizon: expected pilots reaching production and being cancelled, 80% intervals."""
    if found.reason:
        return empty_figure(found.reason)
    t = found.totals
    labels = [f"within {h} months" for h in t["horizon"]]
    bars = [dict(type="bar", name=f"expected to {NAMES[kind]}", x=labels, y=t[kind].tolist(),
                 marker=dict(color=OUTCOME_COLOURS[kind]), customdata=[[kind, int(h)] for h in t["horizon"]],
                 error_y=dict(type="data", symmetric=False, array=(t[f"{kind}_high"] - t[kind]).tolist(),
                              arrayminus=(t[kind] - t[f"{kind}_low"]).tolist(), color="#333333"),
                 text=[f"{v:,.0f}" for v in t[kind]], textposition="inside", insidetextanchor="start", textangle=0,
                 hovertemplate=[f"%{{x}}: about %{{y:.0f}} expected to {NAMES[kind]} (80% interval {lo:,.0f}–{hi:,.0f})<extra></extra>"
                                for lo, hi in zip(t[f"{kind}_low"], t[f"{kind}_high"])])
            for kind in ("production", "cancelled")]
    year = t.set_index("horizon").loc[12]
    title = (f"About {year['production']:,.0f} of {len(found.pilots):,} pilots in flight are expected to reach "
             f"production within 12 months, {year['cancelled']:,.0f} to be cancelled")
    fig = unchecked_figure(bars, dict(barmode="group", yaxis=dict(title=dict(text="pilots (expected; bars: 80% interval)"),
                                                                  rangemode="tozero")),
                           layout_properties(title, height=400))
    return with_drill(fig, {tuple(k): v for k, v in likely_ids(found).items()})


CHANCE_COLUMNS = [f"{k}_{h}" for k in ("production", "cancelled") for h in HORIZONS]


_CHANCES = {c: c.rsplit("_", 1) for c in CHANCE_COLUMNS}  # column -> (production | cancelled, months)
# what the table of pilots in flight can be ordered by, largest first: the forecast's own order first
CHANCE_ORDERS = {c: f"chance of {'production' if _CHANCES[c][0] == 'production' else 'cancellation'} within "
                    f"{_CHANCES[c][1]} months" for c in sorted(CHANCE_COLUMNS, key=lambda c: c != "production_12")}
CHANCE_ORDERS["months_running"] = "months running"
# the headers of that table (chances_table's columns)
TABLE_HEADERS = {"pilot_id": "Pilot ID", "name": "Name", "stage": "Stage now", "months_running": "Months running",
                 **{c: f"{kind.capitalize()} within {months} mo" for c, (kind, months) in _CHANCES.items()}}


def chances_table(found: Forecast, names: pd.DataFrame, stages: list[str], by: str = "production_12") -> pd.DataFrame:
    """Each in-flight pilot for display, largest `by` first (one of CHANCE_ORDERS; ties in the forecast's
    order, most likely to reach production first): pilot_id, name (from `names`, the frame the forecast was
    made of), stage (its label), months_running, and the chances (CHANCE_COLUMNS) in whole percents, numbers
    still, so the table sorts them."""
    labels = [*(stage_label(s) for s in stages), "—"]  # the last: no stage
    index = found.pilots["stage_index"].to_numpy(dtype=np.int64)
    # the names taken as they are held (no Python string each) and the stages as codes: tens of thousands of rows
    codes = np.where((index >= 0) & (index < len(stages)), index, len(stages))
    stage = pd.Categorical.from_codes(codes, labels) if len(set(labels)) == len(labels) else \
        np.asarray(labels, dtype=object)[codes]  # two stages of one label: as text
    shown = pd.DataFrame({"pilot_id": found.pilots["pilot_id"],
                          "name": names["name"].take(found.rows).reset_index(drop=True), "stage": stage,
                          "months_running": found.pilots["months_running"]})
    shown = shown.assign(**{c: found.pilots[c] * 100 for c in CHANCE_COLUMNS})
    if by == "production_12":  # the forecast's own order
        return shown
    order = np.argsort(-shown[by].to_numpy(dtype=float), kind="stable")
    return shown.take(order).reset_index(drop=True)
