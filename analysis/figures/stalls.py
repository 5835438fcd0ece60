"""Stall figures: time in each stage (raw spells and the Kaplan-Meier median / 90th percentile), and
where the in-flight pilots sit now. The time-in-stage points carry their row number in customdata (one
point per pilot and stage), the position bars a [part, stage] key; the figure keeps the ids behind each
key on the server (base.with_drill)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.base import (
    OUTCOME_COLOURS,
    Drill,
    RowKeys,
    empty_figure,
    layout_properties,
    unchecked_figure,
    with_drill,
)
from analysis.metrics.cohorts import DAYS_PER_MONTH
from analysis.metrics.stalls import EXITS, IN_FLIGHT, STILL_THERE, Spells
from analysis.metrics.stats import MAX_WHOLE_DURATION
from analysis.schema import stage_label

MEDIAN_COLOUR = "#000000"
P90_COLOUR = "#000000"
LEFT_COLOUR = "#777777"  # neutral: leaving a stage may be moving on or being cancelled


def _months(days: pd.Series) -> pd.Series:
    return days.astype("float64") / DAYS_PER_MONTH


SPELL_KINDS = ((True, "left the stage (moved on or cancelled)", LEFT_COLOUR),
               (False, f"{IN_FLIGHT} (censored at the as-of date)", OUTCOME_COLOURS["active"]))


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
    # traceorder normal: the legend groups (one entry per kind for its boxes) without a gap between groups
    fig = unchecked_figure(boxes + _km_markers(summary), dict(
        boxmode="group", yaxis=dict(categoryorder="array", categoryarray=order[::-1]), legend=dict(traceorder="normal"),
        xaxis=dict(title=dict(text="months in stage"), rangemode="tozero")),
        layout_properties(stage_time_title(summary), height=max(380, 110 * len(order) + 120)))
    return with_drill(fig, RowKeys(spells.pilot_ids))


def _spells(durations: pd.DataFrame | Spells) -> Spells:
    return durations if isinstance(durations, Spells) else Spells.from_frame(durations)


def _drawn_boxes(spells: Spells, stages: int) -> list[tuple[tuple, int, np.ndarray, np.ndarray | None]]:
    """Each non-empty box as the chart draws it, kinds in SPELL_KINDS order, stages in order: (kind, stage
    index, spell rows, counts per day); a stage's spells (Spells.by_stage) split by whether they left. A box
    of more than POINTS_PER_BOX spells counted per day (Spells.day_counts) comes with its spells' counts
    per day and the rows of its outliers only (no rows split per box); any other with all its rows and
    None."""
    parts = [_stage_boxes(spells, i, part) for i, part in enumerate(spells.by_stage[:stages])]
    return [(kind, i, *parts[i][k]) for k, kind in enumerate(SPELL_KINDS) for i in range(len(parts))
            if len(parts[i][k][0]) or parts[i][k][1] is not None]


POINTS_PER_BOX = 2_000  # more points than this hide the box and cost seconds to label and send


def _stage_boxes(spells: Spells, i: int, part: slice | np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """(rows, counts per day) of stage i's two boxes (left, still there), rows ascending: a big box's
    statistics come from Spells.day_counts and one pass over the stage's days finds its outliers, where
    splitting the rows and scanning each box's months cost 30 ms at 1M pilots."""
    per_day, big = [None, None], [False, False]
    if spells.day_counts is not None:
        censored = spells.day_counts[i][:, STILL_THERE]
        per_day = [spells.day_counts[i].sum(axis=1) - censored, censored]
        big = [int(c.sum()) > POINTS_PER_BOX for c in per_day]
    boxes = [(np.zeros(0, dtype=np.int64), None)] * 2
    if not all(big):  # a box that shows every spell (or has no counts): all its rows
        rows, left = spells.positions(part), spells.exit[part] != STILL_THERE
        boxes = [(rows[left], None), (rows[~left], None)]
    if any(big):
        outliers = _outlier_rows(spells, part, [c if b else None for c, b in zip(per_day, big)])
        boxes = [(out, c) if b else box for out, c, b, box in zip(outliers, per_day, big, boxes)]
    return boxes


def _outlier_rows(spells: Spells, part: slice | np.ndarray, per_day: list[np.ndarray | None]) -> list[np.ndarray]:
    """The rows of the outliers of a stage's boxes (left, still there) counted per day (None: not wanted).
    An outlier's day lies below or above its box's inside days, so only the rows beyond the narrowest such
    bounds are looked at (all of them if a box's outlier days are not two tails)."""
    outs = [None if c is None else counted_box_stats(c)[1] for c in per_day]
    low, high, every = -1, np.iinfo(np.int64).max, False
    for counts, out in zip(per_day, outs):
        inside = np.flatnonzero((counts > 0) & ~out) if out is not None and out.any() else None
        if inside is None or not len(inside):
            every |= inside is not None
            continue
        first, last = int(inside[0]), int(inside[-1])
        every |= bool(out[first:last + 1].any())
        low = max(low, first) if out[:first].any() else low
        high = min(high, last) if out[last + 1:].any() else high
    if low < 0 and high == np.iinfo(np.int64).max and not every:  # no outliers
        return [np.zeros(0, dtype=np.int64)] * len(outs)
    days = spells.days[part]
    if every:
        look = np.ones(len(days), dtype=bool)
    elif low < 0 or high == np.iinfo(np.int64).max:  # outliers in one tail only
        look = days < low if low >= 0 else days > high
    else:
        look = (days < low) | (days > high)
    rows = np.flatnonzero(look) + part.start if isinstance(part, slice) else part[look]
    kept, censored = spells.days[rows], spells.exit[rows] == STILL_THERE
    return [np.zeros(0, dtype=np.int64) if out is None else rows[(censored if k else ~censored) & out[kept]]
            for k, out in enumerate(outs)]


def outliers_only(durations: pd.DataFrame | Spells) -> bool:
    """Whether some box of the time-in-stage chart shows only its outliers as points."""
    counts = _spells(durations).counts  # per stage and exit
    censored = counts[:, EXITS.index(IN_FLIGHT)]
    return bool(counts.size) and int(max((counts.sum(axis=1) - censored).max(), censored.max())) > POINTS_PER_BOX


def _box_points(spells: Spells, rows: np.ndarray, months: np.ndarray, name: str,
                per_day: np.ndarray | None = None) -> dict:
    """Every spell a point labelled with its pilot and keyed by its row; or for a big box, the box drawn
    from its statistics (box_stats, plotly's own) and only its outliers sent, as points keyed by their
    rows and labelled by value (plotly's precomputed-statistics form: one box, its samples a row of `x`).
    `per_day`: a big box's spells counted per day, `rows` and `months` then only its outliers'."""
    if per_day is not None or len(rows) > POINTS_PER_BOX:
        stats, out = (counted_box_stats(per_day)[0], np.ones(len(rows), dtype=bool)) if per_day is not None else \
            box_stats(months, spells.days[rows])
        points = dict(x=[months[out].tolist()], customdata=[rows[out].tolist()]) if out.any() else {}  # [[]] hides it
        return dict(**{k: [v] for k, v in stats.items()}, **points, boxpoints="outliers",
                    hovertemplate=f"%{{x:.1f}} months<extra>{name}</extra>")
    exits = [EXITS[e] for e in spells.exit[rows].tolist()]
    hover = [f"{p}: {m:.1f} months, {e}" for p, m, e in zip(spells.pilot_ids.take(rows), months.tolist(), exits)]
    return dict(x=months, customdata=rows, boxpoints="all", hovertext=hover, hoverinfo="text")


FINDBIN_SLACK = 1e-9  # plotly's Lib.findBin counts a value this close to a fence (relative to the spacing) as in


def box_stats(values: np.ndarray, days: np.ndarray | None = None) -> tuple[dict[str, float], np.ndarray]:
    """The box plotly.js draws from these values, and which of them it draws as outliers: quartiles
    interpolated at p * n - 0.5 of the sorted values (its default "linear" method, src/lib interp), fences
    the last values within 1.5 IQR (src/traces/box/calc.js, findBin with its allowance), outliers beyond
    them. `days`: whole days whose months the values are, ranked by counting them; else partial sorts."""
    stats = _box(values, len(values), lambda ranks: _order_statistics(values, days, ranks))
    return stats, (values < stats["lowerfence"]) | (values > stats["upperfence"])


def counted_box_stats(per_day: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """box_stats of whole days' months given as counts per day (per_day[d]: the values that are d /
    DAYS_PER_MONTH): the same box, worked out on the distinct days (the fences compare and take the
    least or greatest of values, which the distinct ones answer alike); and, per day, whether the
    values of that day are outliers."""
    present = np.flatnonzero(per_day)
    values = present / DAYS_PER_MONTH
    ends = np.cumsum(per_day)  # ends[d]: how many values are at most day d
    stats = _box(values, int(ends[-1]), lambda ranks: (np.searchsorted(ends, ranks, side="right")
                                                       / DAYS_PER_MONTH).tolist())
    out = np.zeros(len(per_day), dtype=bool)
    out[present] = (values < stats["lowerfence"]) | (values > stats["upperfence"])
    return stats, out


def _box(values: np.ndarray, n: int, order_statistics: Callable[[list[int]], list[float]]) -> dict[str, float]:
    """box_stats' box of n values (`values`: them, or only their distinct ones; `order_statistics`: the
    sorted values at given ranks)."""
    at = {p: p * n - 0.5 for p in (0.25, 0.5, 0.75)}
    ranks = sorted({min(max(int(np.floor(r)), 0), n - 1) for r in at.values()}
                   | {min(max(int(np.ceil(r)), 0), n - 1) for r in at.values()})
    ranked = dict(zip(ranks, order_statistics(ranks)))
    q1, med, q3 = (_interp(ranked, at[p], n) for p in (0.25, 0.5, 0.75))
    lo, hi = float(values.min()), float(values.max())
    slack = (hi - lo) / (n - 1) * FINDBIN_SLACK if n > 1 else FINDBIN_SLACK
    inside_low = values[values >= 2.5 * q1 - 1.5 * q3 - slack]
    inside_high = values[values <= 2.5 * q3 - 1.5 * q1 + slack]
    lf = min(q1, float(inside_low.min()) if len(inside_low) else hi)
    uf = max(q3, float(inside_high.max()) if len(inside_high) else lo)
    return {"q1": q1, "median": med, "q3": q3, "lowerfence": lf, "upperfence": uf}


def _order_statistics(values: np.ndarray, days: np.ndarray | None, ranks: list[int]) -> list[float]:
    """The values at these ranks (0: the smallest) of the sorted values; by counting whole days (the
    value of a day is day / DAYS_PER_MONTH, as the values were made) where given, else partial sorts."""
    if days is None or not np.issubdtype(days.dtype, np.integer) or days.min() < 0 or days.max() > MAX_WHOLE_DURATION:
        return np.partition(values, ranks)[ranks].tolist()
    ends = np.cumsum(np.bincount(days))  # ends[d]: how many values are at most day d
    return (np.searchsorted(ends, ranks, side="right") / DAYS_PER_MONTH).tolist()


def _interp(ranked: dict[int, float], position: float, n: int) -> float:
    """plotly.js Lib.interp at `position` (= p * n - 0.5) of sorted values known at the ranks it reads."""
    if position < 0:
        return ranked[0]
    if position > n - 1:
        return ranked[n - 1]
    frac = position % 1
    return frac * ranked[int(np.ceil(position))] + (1 - frac) * ranked[int(np.floor(position))]


def stage_time_title(summary: pd.DataFrame) -> str:
    """The Kaplan-Meier median months of each stage, in order."""
    parts = [f"{stage_label(s)} {'—' if pd.isna(m) else f'{m / DAYS_PER_MONTH:.1f}'}"
             for s, m, n in zip(summary["stage"], summary["median_days"], summary["entered"]) if n]
    return "Median months in stage (Kaplan–Meier): " + " · ".join(parts)


def _km_markers(summary: pd.DataFrame) -> list[dict]:
    """Kaplan-Meier median and 90th percentile of each stage where the curve gets that far (scatter traces)."""
    traces = []
    for column, name, symbol, colour in (("median_days", "median (Kaplan-Meier)", "diamond", MEDIAN_COLOUR),
                                         ("p90_days", "90th percentile (Kaplan-Meier)", "x", P90_COLOUR)):
        known = summary[summary[column].notna()]
        traces.append(dict(type="scatter", x=_months(known[column]).to_numpy(), y=[stage_label(s) for s in known["stage"]],
                           mode="markers", name=name, marker=dict(symbol=symbol, size=12, color=colour, line=dict(width=1)),
                           hovertemplate=f"%{{y}}: {name} %{{x:.1f}} months<extra></extra>"))
    return traces


def positions_figure(positions: pd.DataFrame, stall_days: int | None, ids: Drill | None = None) -> go.Figure:
    """Stacked bars per stage: in-flight pilots there now, stalled and progressing (just in flight when
    `stall_days` is None: no dates to tell), with the median time there so far. `ids`: the pilots behind
    each (part, stage) key (analysis.stalls.PositionIds; by default the positions' id columns)."""
    if positions.empty or positions["in_flight"].sum() == 0:
        return empty_figure("No pilots in flight in this selection.")
    labels = [stage_label(s) + ("" if pd.isna(d) else f"<br>median {d / DAYS_PER_MONTH:.1f} mo there")
              for s, d in zip(positions["stage"], positions["median_days_there"])]
    bars = [dict(type="bar", y=labels, x=counts.tolist(), name=name, orientation="h", marker=dict(color=colour),
                 customdata=[[part, s] for s in positions["stage"]], text=[f"{n:,}" if n else "" for n in counts.tolist()],
                 textposition="inside", textangle=0, hoverinfo="text",
                 hovertext=[f"{lab}: {n:,} {name}" for lab, n in zip(labels, counts.tolist())])
            for part, name, counts, colour in _position_parts(positions, stall_days)]
    fig = unchecked_figure(bars, dict(yaxis=dict(autorange="reversed"),
                                      xaxis=dict(title=dict(text="in-flight pilots now (count)"))),
                           layout_properties(positions_title(positions), height=max(300, 60 * len(labels) + 160)),
                           dict(barmode="stack", legend=dict(y=-0.3, traceorder="normal")))
    return with_drill(fig, _position_ids(positions) if ids is None else ids)


def _position_parts(positions: pd.DataFrame, stall_days: int | None) -> list[tuple]:
    """(key, name, counts, colour) of each stacked part."""
    if stall_days is None:
        return [("in_flight", "in flight (no dates to tell stalled ones)", positions["in_flight"],
                 OUTCOME_COLOURS["active"])]
    return [("progressing", "progressing", positions["in_flight"] - positions["stalled"], OUTCOME_COLOURS["active"]),
            ("stalled", f"stalled (no progress for more than {stall_days} days)", positions["stalled"],
             OUTCOME_COLOURS["stalled"])]


def positions_title(positions: pd.DataFrame) -> str:
    """Where most in-flight pilots sit, and how long they have been there."""
    top = positions.loc[positions["in_flight"].idxmax()]
    where = stage_label(top["stage"]).lower()
    text = f"{int(top['in_flight']):,} of {int(positions['in_flight'].sum()):,} in-flight pilots are in {where}"
    if pd.notna(top["median_days_there"]):
        text += f", there for a median {top['median_days_there'] / DAYS_PER_MONTH:.1f} months"
    if top["stalled"]:
        text += f"; {int(top['stalled']):,} of them stalled"
    return text


def months_text(days: float | None) -> str:
    """Days as months with one decimal; 'not reached' where a Kaplan-Meier quantile is undefined."""
    return "not reached" if days is None or pd.isna(days) else f"{days / DAYS_PER_MONTH:.1f}"


def stage_time_table(summary: pd.DataFrame) -> pd.DataFrame:
    """stage_time_summary for display: friendly headers, months with one decimal."""
    return pd.DataFrame({
        "Stage": summary["stage"].map(stage_label),
        "Entered (dated)": summary["entered"],
        "Left": summary["left"],
        "Still there": summary["still_there"],
        "Median months": summary["median_days"].map(months_text),
        "95% CI of the median": [f"{months_text(lo)}–{months_text(hi)}"
                                 for lo, hi in zip(summary["median_ci_low"], summary["median_ci_high"])],
        "90th percentile, months": summary["p90_days"].map(months_text),
    })


# The marks of each figure by name, with their pilot ids: the page's "Show the pilots behind…" choices.

def stage_time_choices(durations: pd.DataFrame | Spells) -> Mapping[str, list[str]]:
    """One choice per stage and way of leaving it (moved on, cancelled, still there), stages in order,
    ways alphabetically (as a groupby of stage and exit sorts them); each list made when chosen."""
    spells = _spells(durations)
    keys = {f"{stage_label(spells.stages[i])}: {EXITS[e]} ({n})": (i, e)
            for i, row in enumerate(spells.counts.tolist()) for e in np.argsort(EXITS).tolist() if (n := row[e])}
    return Chosen(keys, SpellGroups(spells))


class SpellGroups(Mapping):
    """(stage index, exit code) -> the pilot ids of those spells, in spell order, made when looked up."""

    def __init__(self, spells: Spells) -> None:
        self._spells = spells

    def __getitem__(self, key: tuple[int, int]) -> list[str]:
        stage, exit_ = key
        part = self._spells.by_stage[stage]
        rows = self._spells.positions(part)[self._spells.exit[part] == exit_]
        return self._spells.pilot_ids.take(rows)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter([(i, e) for i in range(len(self._spells.stages)) for e in range(len(EXITS))])

    def __len__(self) -> int:
        return len(self._spells.stages) * len(EXITS)


def positions_choices(positions: pd.DataFrame, ids: Drill | None = None) -> Mapping[str, list[str]]:
    """Per stage: all its in-flight pilots, and its stalled ones (`ids`: analysis.stalls.PositionIds,
    each list made when chosen; by default the positions' id columns)."""
    keys = {f"{stage_label(s)}: {label} ({n})": (part, s)
            for s, every, stalled in zip(positions["stage"], positions["in_flight"].tolist(), positions["stalled"].tolist())
            for part, label, n in (("in_flight", "all in flight", every), ("stalled", "stalled", stalled)) if n}
    return Chosen(keys, _position_ids(positions) if ids is None else ids)


def _position_ids(positions: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """The ids behind each (part, stage) key from current_positions' id columns."""
    return {(part, s): ids for column, part in (("pilot_ids", "in_flight"), ("stalled_ids", "stalled"),
                                                ("progressing_ids", "progressing"))
            for s, ids in zip(positions["stage"], positions[column])}


class Chosen(Mapping):
    """Label -> the pilot ids behind it, looked up by the label's key in a drill-down mapping."""

    def __init__(self, keys: dict[str, tuple], ids: Drill) -> None:
        self._keys, self._ids = keys, ids

    def __getitem__(self, label: str) -> list[str]:
        return list(self._ids[self._keys[label]])

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
