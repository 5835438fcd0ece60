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

from analysis.causes import cause_counts, failure_rates
from analysis.cohorts import event_times, time_to_production
from analysis.figures.causes import causes_figure
from analysis.figures.funnel import funnel_by_figure, funnel_figure, funnel_steps_figure
from analysis.funnel import funnel_by, stage_funnel
from analysis.outcomes import DEFINITIONS, outcome_counts
from analysis.overview import headline, kpis
from analysis.queries import Filters
from analysis.schema import DIMENSIONS, FIELD_LABELS, cause_label, stage_label
from analysis.snapshots import Snapshot, ViewState
from analysis.stats import describe_difference, segment_difference
from analysis.store import DatasetInfo
from analysis.summary import Analysed

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
            "stall_days": ctx.state.stall_days}


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
    """The commonest causes among cancelled pilots."""
    counts = cause_counts(ctx.classified)
    rows = [(cause_label(r.cause), f"{r.count:,}", pct(r.share)) for r in counts.itertuples(index=False)]
    body = table(["Cause", "Cancelled pilots", "Share of cancellations"], rows, {1, 2}) if rows else ""
    return section("causes", "Why pilots are cancelled", figure(causes_figure(counts, top=TOP_CAUSES), "fig-causes"),
                   body)


def failure_rates_section(ctx: ReportContext) -> str:
    """Cancelled / decided by each breakdown dimension, with 95% Wilson intervals and a test."""
    parts = []
    for dim in [d for d in DIMENSIONS if d in ctx.classified and ctx.classified[d].notna().any()]:
        rates = failure_rates(ctx.classified, dim)
        test = segment_difference(rates.rename(columns={"cancelled": "failures"}))
        rows = [(r.segment, f"{r.pilots:,}", f"{r.cancelled:,}", f"{r.decided:,}", pct(r.rate),
                 f"{pct(r.ci_low)} – {pct(r.ci_high)}" if r.decided else "—") for r in rates.itertuples()]
        label = FIELD_LABELS[dim]
        parts.append(f"<h3>By {esc(label.lower())}</h3><p>{esc(describe_difference(test, label.lower() + 's'))}</p>"
                     + table([label, "Pilots", "Cancelled", "Decided", "Failure rate", "95% interval"], rows,
                             {1, 2, 3, 4, 5}))
    intro = ("<p>Failure rate = cancelled / decided (reached production + cancelled); in-flight pilots are "
             "censored, not failures. Intervals are 95% Wilson intervals.</p>")
    return section("failure-rates", "Failure rates by segment", intro, *parts) if parts else ""


def time_section(ctx: ReportContext) -> str:
    """Cumulative incidence of production and of cancellation at 6, 12 and 24 months, and the median."""
    ttp = time_to_production(event_times(ctx.classified, ctx.stages, ctx.state.as_of))
    rows = [(f"{m} months", pct(p), pct(c)) for m, p, c in zip(ttp["at_months"], ttp["production"], ttp["cancelled"])]
    median = ttp["median_months"]
    said = ("Half of the pilots reached production by month " + f"{median:.1f}." if median is not None
            else "Fewer than half of the pilots have reached production (or the data has no dates).")
    return section("time-to-production", "Time to production",
                   "<p>Share of pilots that reached production, or were cancelled, within so many months of their "
                   "start (cancellation competes with production; in-flight pilots are censored at the as-of "
                   f"date).</p><p>{esc(said)}</p>",
                   table(["Since start", "Reached production", "Cancelled"], rows, {1, 2}))


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


SECTIONS: list[Callable[[ReportContext], str]] = [
    header_section, overview_section, funnel_section, breakdown_section, causes_section, failure_rates_section,
    time_section, definitions_section, source_section,
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
