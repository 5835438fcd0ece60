"""The HTML report: one self-contained file (plotly.js inline, so it opens offline) with the numbers
of a view, made by the same analysis and figure functions as the pages and the summary.

The report is a list of section builders (`SECTIONS`), each `ReportContext -> HTML text`; a new view
adds its section by appending a builder. Every text that came from an upload, a URL or a user goes
through `esc` (html.escape); the numbers the report shows are also embedded as JSON
(`<script type="application/json" id="report-numbers">`) so a reader or a test can check them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from analysis.cli.summary import Analysed
from analysis.figures.aging import aging_figure
from analysis.figures.benchmarks import benchmarks_figure
from analysis.figures.causes import (
    cause_stage_figure,
    dimension_plural,
    money,
    pareto_figure,
    segment_figure,
    spend_figure,
)
from analysis.figures.changes import funnel_change_figure
from analysis.figures.cohorts import incidence_figure, triangle_figure
from analysis.figures.forecast import forecast_figure
from analysis.figures.funnel import funnel_by_figure, funnel_figure, funnel_steps_figure
from analysis.figures.stalls import stage_time_figure, stage_time_table
from analysis.metrics.aging import aging_points, aging_summary, percentile_lines
from analysis.metrics.benchmarks import WHY_NOT_THE_SAME, buy_build_ratio, portfolio_rates, published_rates
from analysis.metrics.benchmarks import comparison_sentence as benchmarks_sentence
from analysis.metrics.causes import (
    MIN_SEGMENT_N,
    cause_counts,
    cause_stage_counts,
    overall_rate,
    segment_rates,
    segment_test,
    spend_by_cause,
)
from analysis.metrics.changes import (
    GROUPS,
    ID_CHANGE_DEFINITION,
    OVERLAP_NOTE,
    REPEAT_DEFINITION,
    Changes,
    cancelled_causes,
    funnel_then_now,
    rate_sentence,
    rates_then_now,
)
from analysis.metrics.cohorts import (
    COMPARE_MONTHS,
    START_YEAR,
    cohort_matrix,
    comparison_sentence,
    event_times,
    segment_curves,
    segment_labels,
    segment_order,
    segment_summary,
    time_to_production,
)
from analysis.metrics.forecast import forecast
from analysis.metrics.funnel import funnel_by, stage_funnel
from analysis.metrics.outcomes import DEFINITIONS, outcome_counts
from analysis.metrics.overview import headline, kpis
from analysis.metrics.stalls import (
    bottleneck,
    current_positions,
    date_coverage,
    stage_durations,
    stage_spells,
    stage_time_summary,
    stalled_pilots,
    usable_durations,
)
from analysis.metrics.stats import describe_difference
from analysis.schema import DIMENSIONS, FIELD_LABELS, cause_label, stage_label
from analysis.store.datasets import DatasetInfo
from analysis.store.queries import Filters
from analysis.store.snapshots import Snapshot, ViewState

FIGURE_CONFIG = {"displaylogo": False, "responsive": True}
TOP_CAUSES = 10  # the report has room for more causes than the Overview's five


@dataclass(frozen=True)
class Source:
    """Where the data came from: the upload and how it was read."""

    name: str
    dataset_id: str | None = None
    uploaded: dt.datetime | None = None
    rows: dict[str, int] = field(default_factory=dict)  # read, accepted, rejected
    mapping: dict[str, str] = field(default_factory=dict)  # canonical field -> source column
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContext:
    """Everything a report section needs: the classified (filtered) pilots and how they were chosen."""

    classified: pd.DataFrame
    stages: list[str]
    state: ViewState
    source: Source
    extras: dict[str, str] = field(default_factory=dict)  # x_ column -> source header
    snapshot: Snapshot | None = None
    changes: Changes | None = None  # the comparison with an earlier upload, for the What changed section
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))


def source_of_dataset(info: DatasetInfo) -> Source:
    """The Source of a stored dataset."""
    return Source(info.name, info.id, info.created, dict(info.report.get("rows", {})), dict(info.mapping.columns),
                  list(info.report.get("notes", [])))


def context_of_file(analysed: Analysed, filename: str, breakdown: str | None = None) -> ReportContext:
    """The report context of a file analysed from the command line (every pilot, no filters)."""
    d = analysed.derived
    rows = {"read": d.rows_read, "accepted": len(d.pilots), "rejected": len(d.rejected)}
    source = Source(filename, rows=rows, mapping=dict(d.mapping.columns), notes=list(d.notes))
    state = ViewState(Filters(), analysed.as_of, analysed.stall_days, breakdown)
    return ReportContext(analysed.classified, d.stages, state, source, d.extras)


# ------------------------------------------------------------------ rendering helpers

def esc(value: object) -> str:
    """Any value as escaped HTML text."""
    return html.escape("" if value is None else str(value), quote=True)


def pct(value: float | None) -> str:
    """A fraction as a whole percent; an em dash when undefined."""
    return "—" if value is None or pd.isna(value) else f"{value:.0%}"


def when(value: dt.datetime | dt.date | None) -> str:
    """A time or date as text (times in UTC, to the minute)."""
    if value is None or pd.isna(value):
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, dt.datetime) else value.isoformat()


def table(headers: list[str], rows: Iterable[Iterable[object]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; every cell escaped; columns in `numeric` right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(fig: go.Figure, div_id: str) -> str:
    """A chart as a div and its script; plotly.js itself is inlined once, in the page head."""
    return f'<div class="chart">{fig.to_html(include_plotlyjs=False, full_html=False, div_id=div_id, config=FIGURE_CONFIG)}</div>'


def section(anchor: str, title: str, *parts: str) -> str:
    """One titled section of the report."""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'


def filters_text(state: ViewState) -> str:
    """The filters in words: 'Business unit: HR, Finance; started from 2024-01-01', or 'none'."""
    parts = [f"{FIELD_LABELS.get(d, d)}: {', '.join(v)}" for d, v in sorted(state.filters.values.items()) if v]
    if state.filters.start_from:
        parts.append(f"started on or after {state.filters.start_from.isoformat()}")
    if state.filters.start_to:
        parts.append(f"started on or before {state.filters.start_to.isoformat()}")
    return "; ".join(parts) or "none (every pilot)"


# ------------------------------------------------------------------ the numbers

def report_numbers(ctx: ReportContext) -> dict:
    """The report's headline numbers, from the functions the pages and the summary use."""
    c = ctx.classified
    k = kpis(c, ctx.stages, ctx.state.as_of)
    return {"pilots": k.pilots, "reached_production": k.reached_production, "cancelled": k.cancelled,
            "in_flight": k.in_flight, "stalled": k.stalled, "decided": k.decided,
            "outcomes": outcome_counts(c),
            "funnel": [{"stage": s, "reached": int(r)} for s, r in
                       stage_funnel(c, ctx.stages)[["stage", "reached"]].itertuples(index=False)],
            "failure_causes": [{"cause": cause, "count": int(n)} for cause, n in
                               cause_counts(c)[["cause", "count"]].itertuples(index=False)],
            "time_to_production": time_to_production(event_times(c, ctx.stages, ctx.state.as_of)),
            "as_of": ctx.state.as_of.isoformat() if ctx.state.as_of else None,
            "stall_days": ctx.state.stall_days} | causes_numbers(ctx) | stalls_numbers(ctx) | cohorts_numbers(ctx)


def causes_numbers(ctx: ReportContext) -> dict:
    """The numbers of the causes and failure-rate sections."""
    c = ctx.classified
    cells = cause_stage_counts(c, ctx.stages)
    spend = spend_by_cause(c)
    dim = ctx.state.breakdown if ctx.state.breakdown in _dimensions(ctx) and c["cancelled"].any() else None
    test = None
    if dim:
        found = segment_test(segment_rates(c, dim, MIN_SEGMENT_N))
        label = FIELD_LABELS.get(dim) or ctx.extras.get(dim, dim)
        test = {"dimension": dim, "method": found.method, "p_value": found.p_value, "significant": found.significant,
                "sentence": describe_difference(found, dimension_plural(dim, label))}
    return {"cause_by_stage": [{"cause": a, "stage": b, "count": int(n)} for a, b, n in
                               cells[["cause", "stage", "count"]].itertuples(index=False)],
            "spend_by_cause": [{"cause": a, "spend": float(v), "pilots": int(n)} for a, v, n in
                               spend[["cause", "spend", "pilots"]].itertuples(index=False)],
            "failure_rate_test": test}


def stalls_numbers(ctx: ReportContext) -> dict:
    """The numbers of the stalls section (None where the dates do not allow them)."""
    if ctx.classified.empty:
        return {"bottleneck": None, "stalled_pilots": [], "stalls_need_dates": []}
    n = _stalls_numbers(ctx)
    return {"bottleneck": n["bottleneck"].sentence if n["bottleneck"] else None,
            "stalled_pilots": [{"pilot_id": r.pilot_id, "days_without_progress": int(r.days_without_progress)}
                               for r in n["stalled"].itertuples(index=False)],
            "stalls_need_dates": n["coverage"].missing()}


def cohorts_numbers(ctx: ReportContext) -> dict:
    """The cohort comparison sentence (None without dated pilots)."""
    times = event_times(ctx.classified, ctx.stages, ctx.state.as_of)
    return {"cohort_sentence": comparison_sentence(times), "pilots_with_dates": len(times)}


def numbers_block(ctx: ReportContext) -> str:
    """The numbers as JSON inside the page ('<' escaped, so no text can close the script element)."""
    text = json.dumps(report_numbers(ctx), default=str).replace("<", "\\u003c")
    return f'<script type="application/json" id="report-numbers">{text}</script>'


# ------------------------------------------------------------------ sections

def header_section(ctx: ReportContext) -> str:
    """Title, the snapshot (if any), the filters and settings, when the report was made."""
    snap = ctx.snapshot
    banner = "" if snap is None else (
        f'<div class="banner"><strong>Snapshot: {esc(snap.title)}</strong> · taken {esc(when(snap.created))}'
        + (f"<p>{esc(snap.note)}</p>" if snap.note else "") + "</div>")
    as_of = ctx.state.as_of.isoformat() if ctx.state.as_of else "no dates in this dataset"
    facts = [("Data", ctx.source.name), ("Filters", filters_text(ctx.state)), ("As of", as_of),
             ("Stalled after", f"{ctx.state.stall_days} days without progress"),
             ("Report made", when(ctx.generated))]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return f"<header><h1>Pilot Outcomes report</h1>{banner}<dl>{rows}</dl></header>"


def _tile(key: str, label: str, value: str, detail: str = "") -> str:
    return (f'<div class="tile"><div class="label">{esc(label)}</div><div class="value" data-kpi="{esc(key)}">'
            f'{esc(value)}</div><div class="detail">{esc(detail)}</div></div>')


def overview_section(ctx: ReportContext) -> str:
    """The Overview: one plain sentence and the KPI tiles."""
    k = kpis(ctx.classified, ctx.stages, ctx.state.as_of)
    if k.pilots == 0:
        return section("overview", "Overview", "<p>No pilots match these filters.</p>")
    median = k.median_months_to_production
    tiles = [_tile("pilots", "Pilots", f"{k.pilots:,}"),
             _tile("reached_production", "Reached production", f"{k.reached_production:,}",
                   f"{pct(k.decided_rate)} of decided" if k.decided else ""),
             _tile("cancelled", "Cancelled", f"{k.cancelled:,}", f"{pct(k.cancelled / k.pilots)} of all"),
             _tile("stalled", "Stalled", f"{k.stalled:,}", f"of {k.in_flight:,} in flight"),
             _tile("median_months", "Median months to production", "—" if median is None else f"{median:.1f}"),
             _tile("spend_on_cancelled", "Spend on cancelled pilots",
                   "—" if k.spend_on_cancelled is None else f"{k.spend_on_cancelled:,.0f}")]
    return section("overview", "Overview", f'<p class="headline">{esc(headline(k, ctx.state.stall_days))}</p>',
                   f'<div class="tiles">{"".join(tiles)}</div>')


def funnel_section(ctx: ReportContext) -> str:
    """The stage funnel: chart, table of every step, and where pilots drop out."""
    funnel = stage_funnel(ctx.classified, ctx.stages)
    rows = [(stage_label(r.stage), f"{r.reached:,}", f"{r.dropped:,}", f"{r.in_stage:,}", f"{r.moved_on:,}",
             pct(r.step_conversion), pct(r.overall_conversion)) for r in funnel.itertuples(index=False)]
    unknown = int((ctx.classified["stage_index"] < 0).sum())
    note = f"<p>{unknown:,} pilots without a readable stage are left out of the funnel.</p>" if unknown else ""
    return section("funnel", "Funnel", figure(funnel_figure(funnel), "fig-funnel"),
                   table(["Stage", "Reached", "Cancelled here", "Still here (in flight)", "Moved on",
                          "Step conversion", "Overall conversion"], rows, {1, 2, 3, 4, 5, 6}),
                   note, figure(funnel_steps_figure(funnel), "fig-funnel-steps"))


def breakdown_section(ctx: ReportContext) -> str:
    """The funnel by the chosen breakdown dimension (if it is in the data)."""
    dim = ctx.state.breakdown
    if not dim or dim not in ctx.classified or ctx.classified[dim].isna().all():
        return ""
    label = FIELD_LABELS.get(dim) or ctx.extras.get(dim, dim)
    by = funnel_by(ctx.classified, ctx.stages, dim)
    last = by[by["stage"] == ctx.stages[-1]].sort_values(["n", "segment"], ascending=[False, True])
    rows = [(r.segment, f"{r.n:,}", f"{r.reached:,}", pct(r.overall_conversion)) for r in last.itertuples()]
    return section("breakdown", f"Funnel by {label.lower()}", figure(funnel_by_figure(by, label), "fig-funnel-by"),
                   table([label, "Pilots with a known stage", f"Reached {stage_label(ctx.stages[-1]).lower()}",
                          "Share"], rows, {1, 2, 3}))


def causes_section(ctx: ReportContext) -> str:
    """Why pilots are cancelled: the Pareto of causes, the cause x stage heatmap, spend lost by cause
    (the figures and functions of the Failure causes page)."""
    if not ctx.classified["cancelled"].any():
        return section("causes", "Why pilots are cancelled",
                       "<p>No cancelled pilots in this selection, so there are no failure causes to show.</p>")
    counts = cause_counts(ctx.classified)
    rows = [(cause_label(r.cause), f"{r.count:,}", pct(r.share)) for r in counts.itertuples(index=False)]
    cells = cause_stage_counts(ctx.classified, ctx.stages)
    return section("causes", "Why pilots are cancelled", "<h3>Which cause kills most pilots</h3>",
                   figure(pareto_figure(counts), "fig-causes"),
                   table(["Cause", "Cancelled pilots", "Share of cancellations"], rows, {1, 2}),
                   "<h3>At which stage each cause stops pilots</h3>",
                   figure(cause_stage_figure(cells, ctx.stages), "fig-cause-stage"),
                   "<p>Each cell: the cancelled pilots with that cause that were stopped at that stage, and "
                   "their share of the cause's cancellations (row share).</p>", spend_part(ctx.classified))


def spend_part(classified: pd.DataFrame) -> str:
    """Spend lost on cancelled pilots, by cause: chart and table, or a sentence when none is recorded."""
    spend = spend_by_cause(classified)
    if spend.empty:
        return ("<h3>Spend lost on cancelled pilots, by cause</h3><p>No spend is recorded for the cancelled "
                "pilots here, so spend lost by cause is not shown.</p>")
    rows = [(cause_label(r.cause), money(r.spend), pct(r.share), f"{r.pilots:,}", f"{r.with_spend:,}")
            for r in spend.itertuples(index=False)]
    return ("<h3>Spend lost on cancelled pilots, by cause</h3>" + figure(spend_figure(spend), "fig-spend")
            + table(["Cause", "Spend lost", "Share of spend lost", "Cancelled pilots", "With spend recorded"],
                    rows, {1, 2, 3, 4}))


def _dimensions(ctx: ReportContext) -> list[str]:
    """The breakdown dimensions present in the data."""
    return [d for d in DIMENSIONS if d in ctx.classified and ctx.classified[d].notna().any()]


def _rates_part(ctx: ReportContext, dim: str, chart: bool) -> str:
    """One dimension's failure rates: the test sentence, the chart (for the breakdown), the table."""
    rates = segment_rates(ctx.classified, dim, MIN_SEGMENT_N)
    test = segment_test(rates)
    label = FIELD_LABELS.get(dim) or ctx.extras.get(dim, dim)
    rows = [(r.segment, f"{r.pilots:,}", f"{r.cancelled:,}", f"{r.decided:,}", pct(r.rate),
             f"{pct(r.ci_low)} – {pct(r.ci_high)}" if r.decided else "—") for r in rates.itertuples()]
    overall = overall_rate(ctx.classified)
    drawn = figure(segment_figure(rates, test, label, overall, MIN_SEGMENT_N, None), "fig-failure-rates") if chart else ""
    return (f"<h3>By {esc(label.lower())}</h3><p>{esc(describe_difference(test, dimension_plural(dim, label)))}</p>"
            + drawn + table([label, "Pilots", "Cancelled", "Decided", "Failure rate", "95% interval"], rows,
                            {1, 2, 3, 4, 5}))


def failure_rates_section(ctx: ReportContext) -> str:
    """Cancelled / decided by each breakdown dimension, with 95% Wilson intervals and the test of the
    Failure causes page (segments with fewer than MIN_SEGMENT_N decided pilots are shown, not tested);
    the report's breakdown first, with its chart. Left out, as on that page, when nothing is cancelled
    (the causes section says so)."""
    if not ctx.classified["cancelled"].any():
        return ""
    chosen = ctx.state.breakdown if ctx.state.breakdown in _dimensions(ctx) else None
    dims = ([chosen] if chosen else []) + [d for d in _dimensions(ctx) if d != chosen]
    parts = [_rates_part(ctx, d, d == chosen) for d in dims]
    intro = ("<p>Failure rate = cancelled / decided (reached production + cancelled); in-flight pilots are "
             f"censored, not failures. Intervals are 95% Wilson intervals. Segments with fewer than {MIN_SEGMENT_N} "
             "decided pilots are listed but not tested.</p>")
    return section("failure-rates", "Failure rates by segment", intro, *parts) if parts else ""


STALLED_HEADERS = {"pilot_id": "Pilot", "name": "Name", "stage": "Stage",
                   "days_without_progress": "Days without progress", "business_unit": "Business unit",
                   "sponsor": "Sponsor"}


def _stalls_numbers(ctx: ReportContext) -> dict:
    """The Stalls page's numbers: date coverage, the bottleneck, the stalled pilots."""
    c, as_of = ctx.classified, ctx.state.as_of
    coverage = date_coverage(c, ctx.stages, as_of)
    durations = stage_durations(c, ctx.stages, as_of)
    usable = usable_durations(durations)
    summary = stage_time_summary(durations, ctx.stages)
    found = bottleneck(summary, current_positions(c, ctx.stages, as_of)) if len(usable) else None
    return {"coverage": coverage, "durations": durations, "usable": usable, "summary": summary,
            "bottleneck": found, "stalled": stalled_pilots(c) if coverage.stalls else stalled_pilots(c.iloc[0:0])}


def aging_part(ctx: ReportContext) -> str:
    """How old the work in flight is: the sentence and the aging chart (the Stalls page's section)."""
    c = ctx.classified
    spells = stage_spells(c, ctx.stages, ctx.state.as_of)
    lines = percentile_lines(spells, ctx.stages)
    points = aging_points(spells, lines, c["stalled"].to_numpy(dtype=bool))
    found = aging_summary(points, lines, int(c["in_flight"].sum()))
    title = "Time in the current stage, against how long the pilots that left it took"
    return ("<h3>How old the work in flight is</h3>" + f'<p class="headline">{esc(found.sentence)}</p>'
            + figure(aging_figure(points, lines, spells.ids, title), "fig-aging")
            + "<p>Each point is an in-flight pilot at its time in its current stage; the lines are the 50th, 85th "
              "and 95th percentiles of time in that stage (Kaplan–Meier, pilots still there censored).</p>")


def _stalled_table(stalled: pd.DataFrame) -> str:
    rows = [(r.pilot_id, r.name, stage_label(r.stage), f"{int(r.days_without_progress):,}", r.business_unit,
             r.sponsor) for r in stalled[list(STALLED_HEADERS)].itertuples(index=False)]
    return table(list(STALLED_HEADERS.values()), rows, {3})


def stalls_section(ctx: ReportContext) -> str:
    """Where pilots stall: the bottleneck sentence, time in each stage, the stalled pilots; or which
    dates the dataset lacks."""
    if ctx.classified.empty:
        return ""
    n = _stalls_numbers(ctx)
    days = ctx.state.stall_days
    parts = [f'<p class="headline">{esc(n["bottleneck"].sentence)}</p>' if n["bottleneck"] else ""]
    parts += [f"<p>{esc(note)}</p>" for note in n["coverage"].missing()]
    if n["coverage"].time_in_stage and len(n["usable"]):
        parts.append("<h3>Time in each stage</h3>"
                     + figure(stage_time_figure(n["usable"], n["summary"], ctx.stages), "fig-stage-time")
                     + "<p>Medians and 90th percentiles are Kaplan–Meier estimates: a pilot still in a stage "
                     "counts as censored at the as-of date, not as finished.</p>")
        frame = stage_time_table(n["summary"])
        parts.append(table(list(frame.columns), frame.itertuples(index=False), set(range(1, len(frame.columns)))))
        parts.append(aging_part(ctx))
    if n["coverage"].stalls:
        stalled = n["stalled"]
        parts.append(f"<h3>Stalled pilots: no progress for more than {days:,} days ({len(stalled):,})</h3>"
                     + (_stalled_table(stalled) if len(stalled) else
                        f"<p>No in-flight pilot has gone more than {days:,} days without progress.</p>"))
    return section("stalls", "Where pilots stall", *parts)


NEEDS_DATES = ("The cohort triangle and the time-to-production curves need dates: a start date for each pilot "
               "(or stage dates to derive it from), and the date it reached production or was cancelled. This "
               "dataset has none, so they are not drawn.")
TRIANGLE_STEP = 3  # columns in quarters, rows by start quarter: the Cohorts page's defaults


def cohorts_section(ctx: ReportContext) -> str:
    """Are we getting better? The cohort comparison sentence, the cohort triangle and the
    time-to-production curves by start year (the Cohorts page's defaults)."""
    if ctx.classified.empty:
        return ""
    times = event_times(ctx.classified, ctx.stages, ctx.state.as_of)
    if times.empty:
        return section("cohorts", "Cohorts", f"<p>{esc(NEEDS_DATES)}</p>")
    left_out = len(ctx.classified) - len(times)
    matrix = cohort_matrix(times, "quarter", TRIANGLE_STEP)
    segments = segment_labels(ctx.classified, times, START_YEAR)
    curves = segment_curves(times, segments, segment_order(segments, START_YEAR))
    return section("cohorts", "Cohorts", f'<p class="headline">{esc(comparison_sentence(times))}</p>',
                   f"<p>{len(times):,} pilots with dates"
                   + (f"; {left_out:,} without a start date or an event date are left out" if left_out else "")
                   + ".</p>",
                   figure(triangle_figure(matrix, "production", TRIANGLE_STEP), "fig-cohort-triangle"),
                   "<p>Each cell is the share of the cohort that reached production within that many quarters of "
                   "starting. Faded cells marked ≥ are partly observed: some pilots are younger, so the share can "
                   "still rise.</p>",
                   figure(incidence_figure(curves, segment_summary(curves), "Start year", True), "fig-incidence"),
                   "<p>Cumulative incidence (Aalen–Johansen): production and cancellation compete; pilots still in "
                   f"flight count until the as-of date. The dotted line marks {COMPARE_MONTHS} months.</p>")


NEEDS_TIME_DATES = ("Time to production needs a start date for each pilot (or stage dates to derive it from) and "
                    "the date it reached production or was cancelled; this dataset has none, so it is not shown.")


def time_section(ctx: ReportContext) -> str:
    """Cumulative incidence of production and of cancellation at 6, 12 and 24 months, and the median."""
    times = event_times(ctx.classified, ctx.stages, ctx.state.as_of)
    if times.empty and len(ctx.classified):
        return section("time-to-production", "Time to production", f"<p>{esc(NEEDS_TIME_DATES)}</p>")
    ttp = time_to_production(times)
    rows = [(f"{m} months", pct(p), pct(c)) for m, p, c in zip(ttp["at_months"], ttp["production"], ttp["cancelled"])]
    median = ttp["median_months"]
    said = ("Half of the pilots reached production by month " + f"{median:.1f}." if median is not None
            else "Fewer than half of the pilots have reached production (or the data has no dates).")
    return section("time-to-production", "Time to production",
                   "<p>Share of pilots that reached production, or were cancelled, within so many months of their "
                   "start (cancellation competes with production; in-flight pilots are censored at the as-of "
                   f"date).</p><p>{esc(said)}</p>",
                   table(["Since start", "Reached production", "Cancelled"], rows, {1, 2}))


def changes_section(ctx: ReportContext) -> str:
    """What changed since the earlier upload (only when the report was given one): each group's count and
    definition, the causes of the newly cancelled, the funnel and the rates then and now with the test, and
    the IDs reported rather than matched."""
    c = ctx.changes
    if c is None:
        return ""
    intro = (f"<p>Compared with {esc(c.before.label or 'the earlier upload')}: {len(c.before.pilots):,} pilots then, "
             f"{len(c.after.pilots):,} now, {len(c.matched):,} matched by ID.</p>")
    groups = table(["Group", "Pilots", "Definition"], [(label, f"{c.count(g):,}", text)
                                                       for g, (label, text) in GROUPS.items()], {1})
    causes = cancelled_causes(c)
    cause_part = "" if causes.empty else "<h3>Why the newly cancelled stopped</h3>" + table(
        ["Cause", "Pilots"], [(cause_label(r.cause), f"{r.count:,}") for r in causes.itertuples()], {1})
    rates = "".join(f"<li>{esc(rate_sentence(r))}</li>" for r in rates_then_now(c).to_dict("records"))
    reported = [(", ".join(r.before_ids), ", ".join(r.after_ids)) for r in c.id_changes.itertuples()]
    ids = "" if not reported else (f"<h3>IDs written differently ({len(reported):,})</h3><p>{esc(ID_CHANGE_DEFINITION)}</p>"
                                   + table(["Earlier", "Later"], reported))
    repeats = "" if c.repeats.empty else (f"<h3>Repeated IDs ({len(c.repeats):,})</h3><p>{esc(REPEAT_DEFINITION)}</p>"
                                          + table(["Upload", "IDs", "Problem"], [(r.upload, ", ".join(r.pilot_ids),
                                                  r.problem) for r in c.repeats.itertuples()]))
    return section("changes", "What changed", intro, groups, cause_part,
                   figure(funnel_change_figure(funnel_then_now(c)), "fig-changes-funnel"),
                   f"<ul>{rates}</ul><p>{esc(OVERLAP_NOTE)}</p>", ids, repeats)


def definitions_section(ctx: ReportContext) -> str:
    """The outcome definitions the numbers use."""
    as_of = ctx.state.as_of.isoformat() if ctx.state.as_of else "(no dates)"
    items = "".join(f"<dt>{esc(k.capitalize())}</dt><dd>{esc(v.format(days=ctx.state.stall_days, as_of=as_of))}</dd>"
                    for k, v in DEFINITIONS.items())
    return section("definitions", "Definitions", f"<dl>{items}</dl>")


def source_section(ctx: ReportContext) -> str:
    """Where the data came from: the upload, the rows read, the column mapping, reading notes."""
    s = ctx.source
    facts = [("File", s.name), ("Dataset id", s.dataset_id or "—"), ("Uploaded", when(s.uploaded))]
    facts += [(f"Rows {k}", f"{v:,}") for k, v in s.rows.items()]
    mapping = table(["Field", "Source column"], [(FIELD_LABELS.get(f, f), c) for f, c in s.mapping.items()])
    notes = "".join(f"<li>{esc(n)}</li>" for n in s.notes)
    return section("source", "Where the data came from",
                   "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts) + "</dl>",
                   "<h3>Columns used</h3>" + mapping, f"<ul>{notes}</ul>" if notes else "")


def forecast_section(ctx: ReportContext) -> str:
    """What will land: the forecast sentence, chart and totals, and the pilots most likely to land."""
    if ctx.classified.empty:
        return ""
    found = forecast(ctx.classified, ctx.stages, ctx.state.as_of)
    if found.reason:
        return section("forecast", "What will land", f"<p>{esc(found.reason)}</p>")
    totals = table(["Within", "Production (expected)", "80% interval", "Cancelled (expected)", "80% interval"],
                   [(f"{t.horizon} months", f"{t.production:,.0f}", f"{t.production_low:,.0f}–{t.production_high:,.0f}",
                     f"{t.cancelled:,.0f}", f"{t.cancelled_low:,.0f}–{t.cancelled_high:,.0f}")
                    for t in found.totals.itertuples(index=False)], {1, 2, 3, 4})
    top = found.pilots.head(FORECAST_ROWS)
    likely = table(["Pilot ID", "Months running", "Production within 12 months", "Cancelled within 12 months"],
                   [(p.pilot_id, f"{p.months_running:.1f}", pct(p.production_12), pct(p.cancelled_12))
                    for p in top.itertuples(index=False)], {1, 2, 3})
    return section("forecast", "What will land", f'<p class="headline">{esc(found.sentence)}</p>',
                   figure(forecast_figure(found), "fig-forecast"), totals,
                   f"<h3>The {len(top):,} pilots most likely to reach production within 12 months</h3>", likely)


FORECAST_ROWS = 20  # the report lists the pilots most likely to land; the app and the command line list all


def benchmarks_section(ctx: ReportContext) -> str:
    """The portfolio's production rate beside the published figures, each with its source."""
    if ctx.classified.empty:
        return ""
    rates, published = portfolio_rates(ctx.classified), published_rates()
    items = "".join(
        f"<li><strong>{esc(p.publisher)}, {p.year}</strong>: {esc(p.shown_as)}. <em>Counts:</em> {esc(p.measures)} "
        f"<em>Who:</em> {esc(p.population)} <em>Not your measure because:</em> {esc(p.caveat)} <em>Source:</em> "
        f'{esc(p.title if p.source else f"{p.title}, as reported by {p.reported_by[0]}")}, {esc(p.link)}</li>'  # the
        # address as text: the report links and loads nothing (it opens offline, tests/test_report_sections.py)
        for p in published)
    return section("published-rates", "How we compare with the published rates",
                   f"<p>{esc(benchmarks_sentence(rates))} {esc(buy_build_ratio(ctx.classified).sentence)}</p>",
                   figure(benchmarks_figure(rates, published), "fig-published-rates"),
                   f"<p>{esc(WHY_NOT_THE_SAME)}</p>", f"<ul>{items}</ul>")


SECTIONS: list[Callable[[ReportContext], str]] = [
    header_section, overview_section, changes_section, funnel_section, breakdown_section, causes_section, failure_rates_section,
    stalls_section, time_section, cohorts_section, forecast_section, benchmarks_section, definitions_section, source_section,
]

STYLE = """
body{font-family:Inter,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2430;max-width:1100px;margin:2rem auto;
padding:0 1rem;line-height:1.45}
h1{margin-bottom:.3rem}h2{border-bottom:2px solid #e3e6ec;padding-bottom:.2rem;margin-top:2.2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}th,td{padding:.3rem .6rem;border-bottom:1px solid #e3e6ec;
text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.8rem}
.tile{border:1px solid #e3e6ec;border-radius:8px;padding:.6rem .8rem}.tile .label{font-size:.85rem;color:#5b6270}
.tile .value{font-size:1.7rem;font-weight:600}.tile .detail{font-size:.8rem;color:#5b6270}
.headline{font-size:1.15rem;font-weight:600}.banner{background:#eef5fb;border-left:4px solid #0072B2;
padding:.6rem .9rem;margin:1rem 0}.chart{margin:.6rem 0}
@media print{.chart{break-inside:avoid}section{break-inside:avoid-page}}
"""


def report_html(ctx: ReportContext, sections: list[Callable[[ReportContext], str]] | None = None) -> str:
    """The whole report as one HTML document (plotly.js inline: it opens offline)."""
    body = "".join(build(ctx) for build in (sections or SECTIONS))
    title = f"Pilot Outcomes report — {ctx.source.name}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>'
            f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
            f"<body>{body}{numbers_block(ctx)}</body></html>")
