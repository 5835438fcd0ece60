"""What the server computes when a page is shown: the sidebar's cached data access (pages/common.py,
called as the app calls it, so its caches behave as in the app), then each page's analyses, figures
and tables, serialised as Streamlit serialises them (plotly JSON, Arrow).

PAGE_WORK mirrors the pages: when a page is added to app.py, add its work here (the benchmark says
which pages it does not cover).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.io
from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes

from analysis.figures.causes import causes_figure
from analysis.figures.funnel import funnel_by_figure, funnel_figure, funnel_steps_figure
from analysis.metrics.causes import cause_counts
from analysis.metrics.funnel import ReachedIds, funnel_by, stage_funnel, step_positions
from analysis.metrics.overview import headline, kpis
from analysis.store import datasets as store
from analysis.store.queries import Filters, dimensions
from pages import common


def figures(*figs) -> int:
    """Serialise figures as st.plotly_chart does; the bytes sent."""
    return sum(len(plotly.io.to_json(f, validate=False)) for f in figs)


def tables(*frames: pd.DataFrame) -> int:
    """Serialise frames as st.dataframe does; the bytes sent."""
    return sum(len(convert_pandas_df_to_arrow_bytes(f)) for f in frames)


def sidebar(ds: str, filters: Filters) -> common.View:
    """The sidebar's data access: dataset list and info, filter options, date range, the breakdowns offered
    and the default one, default as-of."""
    common.release_memory()  # as common.sidebar does first
    common.dataset_list()
    info = common.dataset_info(ds)
    common.filter_options(ds)
    breakdown = common._default_breakdown(ds, None)  # common._breakdown's default (breakdown_options)
    _, _, as_of = common.dataset_dates(ds)
    return common.View(ds, info, filters, as_of, common.STALL_DAYS, breakdown)


def overview(view: common.View) -> int:
    """pages/overview.py."""
    from analysis.metrics.overview import read_columns

    pilots = common.pilots_for(view, read_columns(view.info.stages), coded=["failure_cause", "stage", "sourcing"])
    from analysis.figures.benchmarks import benchmarks_figure, published_lines
    from analysis.metrics.benchmarks import buy_build_ratio, portfolio_rates, published_rates
    from analysis.metrics.cohorts import comparison_sentence, event_times
    from analysis.metrics.overview import tiles

    times = event_times(pilots, view.info.stages, view.as_of)
    k = kpis(pilots, view.info.stages, view.as_of, times)
    headline(k, view.stall_days)
    tiles(k, str)
    comparison_sentence(times)
    rates, published = portfolio_rates(pilots), published_rates()
    buy_build_ratio(pilots)
    published_lines(published)
    return figures(funnel_figure(stage_funnel(pilots, view.info.stages), height=320),
                   causes_figure(cause_counts(pilots), top=5), benchmarks_figure(rates, published))


def funnel(view: common.View) -> int:
    """pages/funnel.py: the funnel, its table and steps, the pilots behind the first step, the breakdown by
    the sidebar's "Break down by" (view.breakdown)."""
    breakdown = list(filter(None, [view.breakdown]))
    pilots = common.pilots_for(view, ["pilot_id", "stage_index", "cancelled", "in_flight", *breakdown], coded=breakdown)
    stages = view.info.stages
    int((pilots["stage_index"] >= 0).sum())
    table = stage_funnel(pilots, stages)
    sent = figures(funnel_figure(table, ReachedIds(pilots, stages)), funnel_steps_figure(table))
    first = step_positions(pilots, 0, "reached")[:common.TABLE_ROWS]  # common.view_table
    sent += tables(table, common.pilot_table_frame(common.view_rows(view, first)))
    by = view.breakdown
    if by is not None and by in pilots and pilots[by].notna().any():
        by_funnel = funnel_by(pilots, stages, by)
        sent += figures(funnel_by_figure(by_funnel, common.dimension_label(view.info, by))) + tables(by_funnel)
    return sent


def data(view: common.View) -> int:
    """pages/data.py: the report, the mapping and the stored datasets (rejected rows on request)."""
    report = view.info.report
    problems = pd.DataFrame(report["problems"], columns=["row", "column", "problem"])
    if report["rows"]["rejected"]:
        with store.connect() as con:
            store.rejected_rows(con, view.dataset_id)
    return tables(problems, common.dataset_list()) + len(json.dumps(report))


def cohorts(view: common.View) -> int:
    """pages/cohorts.py at its defaults, step by step as the page runs: the triangle by quarter in quarters
    and the sentence (from the triangle's cells), the breakdowns offered, curves by start year with their
    summary and numbers at risk, then the pilots of the newest cohort (the first in the select box).
    (Imported here: the page and its analyses arrive with issue 4.)"""
    from analysis.figures import cohorts as f
    from analysis.metrics import cohorts as c

    offered = dimensions(view.info.extras)
    pilots = common.pilots_for(view, c.cohort_columns(view.info.stages, offered), coded=offered)
    times = c.event_times(pilots, view.info.stages, view.as_of)
    if times.empty:
        return 0
    matrix = c.cohort_matrix(times, "quarter", 3)
    c.comparison_sentence(times, matrix=matrix)
    sent = figures(f.triangle_figure(matrix, "production", 3)) + tables(matrix.drop(columns="cohort_start"))
    _offered = [d for d in dimensions(view.info.extras) if d in pilots and pilots[d].notna().any()]  # "Break down by"
    segments = c.segment_labels(pilots, times, c.START_YEAR)
    order = c.segment_order(segments, c.START_YEAR)
    counts = c.segment_counts(times, segments, order)
    curves = c.segment_curves(times, segments, order, counts=counts)
    summary = c.segment_summary(curves)
    sent += figures(f.incidence_figure(curves, summary, "Start year", True))
    sent += tables(c.at_risk_table(times, segments, order, counts=counts).rename(columns=str), summary)  # the page formats summary
    labels = c.cohort_labels(times["start_date"], "quarter")
    newest = sorted(labels.unique(), reverse=True)[0]
    cohort = c.cohort_index(pilots, times, labels, newest)[:common.TABLE_ROWS]  # view_table
    return sent + tables(common.pilot_table_frame(common.view_rows(view, cohort)))


def causes(view: common.View) -> int:
    """pages/causes.py at its defaults: the Pareto, cause x stage, failure rate by the first dimension (every
    cancellation, MIN_SEGMENT_N), the cause mix by start quarter and spend lost, each with its choices."""
    from analysis.figures import causes as f
    from analysis.metrics import causes as c
    from analysis.metrics.stats import describe_difference

    offered = dimensions(view.info.extras)
    pilots = common.pilots_for(view, c.read_columns(offered), coded=c.grouped_columns(offered))
    shared = c.cancellations(pilots)
    if not len(shared.codes):
        return 0
    counts = c.cause_counts(pilots, shared)
    cells = c.cause_stage_counts(pilots, view.info.stages, shared)
    sent = figures(f.pareto_figure(counts), f.cause_stage_figure(cells, view.info.stages))
    f.pareto_choices(counts), f.cause_stage_choices(cells)
    dims = [d for d in dimensions(view.info.extras) if d in pilots and pilots[d].notna().any()]
    if dims:
        rates = c.segment_rates(pilots, dims[0], c.MIN_SEGMENT_N, None, shared)
        test = c.segment_test(rates)
        overall = c.overall_rate(pilots, None, shared)
        label = common.dimension_label(view.info, dims[0])
        describe_difference(test, f.dimension_plural(dims[0], label))
        sent += figures(f.segment_figure(rates, test, label, overall, c.MIN_SEGMENT_N, None))
        f.segment_choices(rates), f.small_segments_note(rates, c.MIN_SEGMENT_N)
        if test.significant and test.segments_compared > 2:
            sent += tables(f.pairs_table(test.pairwise if test.pairwise is not None else c.segment_pairs(rates)))
        sent += tables(f.segment_table(rates, label, c.MIN_SEGMENT_N))
    mix = c.cause_mix_by_cohort(pilots, cancelled=shared)
    if not mix.empty:
        sent += figures(f.cohort_mix_figure(mix))
        f.cohort_choices(mix)
    spend = c.spend_by_cause(pilots, shared)
    if not spend.empty:
        sent += figures(f.spend_figure(spend))
        f.spend_choices(spend)
    return sent


def stalls(view: common.View) -> int:
    """pages/stalls.py: one set of spells and one grouping of the in-flight pilots, the bottleneck, time in
    stage (figure, choices, table), positions, the stalled pilots."""
    from analysis.figures import stalls as f
    from analysis.metrics import stalls as s

    stages = view.info.stages
    pilots = common.pilots_for(view, s.read_columns(stages, []))
    if pilots.empty:
        return 0
    coverage = s.date_coverage(pilots, stages, view.as_of)
    spells = s.stage_spells(pilots, stages, view.as_of)
    usable = spells.usable()
    summary = s.stage_time_summary(usable, stages)
    positions, position_ids = s.position_counts(pilots, stages, view.as_of, spells)
    if len(usable):
        s.bottleneck(summary, positions)
    sent = 0
    if coverage.time_in_stage and len(usable):
        sent += figures(f.stage_time_figure(usable, summary, stages)) + tables(f.stage_time_table(summary))
        f.stage_time_choices(usable), f.outliers_only(usable)
    sent += figures(f.positions_figure(positions, view.stall_days if coverage.stalls else None, position_ids))
    list(f.positions_choices(positions, position_ids))
    if coverage.time_in_stage:  # how old the work in flight is
        from analysis.figures.aging import aging_figure
        from analysis.metrics import aging as a

        lines = a.percentile_lines(spells, stages)
        points = a.aging_points(spells, lines, pilots["stalled"].to_numpy(dtype=bool))
        a.aging_summary(points, lines, int(pilots["in_flight"].sum()))
        sent += figures(aging_figure(points, lines, spells.ids, "aging"))
        a.aging_choices(points, spells.ids)
    if coverage.stalls:
        if int(pilots["stalled"].sum()):  # the rows shown (every stalled pilot only for the download)
            columns = ["pilot_id", "name", "days_without_progress", "stage", "sponsor", "business_unit",
                       "last_progress", "outcome"]  # pages/stalls.py STALLED_TABLE
            shown = common.view_rows(view, s.stalled_order(pilots, common.TABLE_ROWS))
            sent += tables(common.pilot_table_frame(shown, columns, {"sponsor": "Owner (sponsor)"}))
    return sent


def pilots(view: common.View) -> int:
    """pages/pilots.py with no search, outcome or stalled filter: the first TABLE_ROWS pilots."""
    from analysis.metrics.pilots import search_mask

    frame = common.pilots_for(view, ["outcome", "stalled"])  # the search's columns only with a search
    if frame.empty:
        return 0
    set(frame["outcome"].unique())
    shown = np.flatnonzero(search_mask(frame, "").to_numpy())[:common.TABLE_ROWS]  # common.view_table
    columns = common.PILOT_COLUMNS + ["status", "end_date", "budget", *view.info.extras]
    return tables(common.pilot_table_frame(common.view_rows(view, shown), columns, view.info.extras))


def changes(view: common.View) -> int:
    """pages/changes.py with the earlier upload the same dataset half a year before (classified at an as-of
    180 days earlier: a second classification, every pilot matched, stalls and stages differing): the
    comparison, the tiles, the first group's table, the funnel then and now, the rates and their test."""
    from analysis.figures.changes import funnel_change_figure
    from analysis.metrics import changes as ch

    common.dataset_list()
    common.snapshot_list()
    earlier_as_of = view.as_of - dt.timedelta(days=180) if view.as_of else None
    before = common.compared_pilots(view, view.dataset_id, earlier_as_of, CHANGES_COLUMNS, coded=CHANGES_CODED)
    after = common.pilots_for(view, CHANGES_COLUMNS, coded=CHANGES_CODED)
    found = ch.compare(ch.Upload(before, view.info.stages, repeats=common.repeats_of(view.dataset_id)),
                       ch.Upload(after, view.info.stages, repeats=common.repeats_of(view.dataset_id)))
    [found.count(g) for g in ch.GROUPS]
    rows = ch.group_pilots(found, "newly_stalled")
    shown = common.pilot_table_frame(rows.head(common.TABLE_ROWS), ch.GROUP_COLUMNS)
    [ch.rate_sentence(r) for r in ch.rates_then_now(found).to_dict("records")]
    return figures(funnel_change_figure(ch.funnel_then_now(found))) + tables(shown, ch.cancelled_causes(found))


CHANGES_COLUMNS = ["pilot_id", "name", "stage", "stage_index", "outcome", "reached_production", "cancelled",
                   "in_flight", "decided", "stalled", "failure_cause", "days_without_progress"]  # pages/changes.py
CHANGES_CODED = ["stage", "failure_cause"]  # pages/changes.py


def snapshots(view: common.View) -> int:
    """pages/snapshots.py: the list of snapshots as a table (links made as the page makes them)."""
    snaps = common.snapshot_list()
    if snaps.empty:
        return 0
    return tables(snaps.assign(link=[f"/{p}?{common.SNAPSHOT_PARAM}={t}" for p, t in zip(snaps["page"], snaps["token"])]))


def forecast(view: common.View) -> int:
    """pages/forecast.py: the forecast (fits, Monte Carlo), its figure and the table of every in-flight pilot."""
    from analysis.figures.forecast import chances_table, forecast_figure
    from analysis.metrics.forecast import forecast as forecast_of
    from analysis.metrics.forecast import likely_ids

    stages = view.info.stages
    pilots = common.pilots_for(view, ["pilot_id", "name", "start_date", "end_date", f"{stages[-1]}_date",
                                      "last_progress", "reached_production", "cancelled", "in_flight", "stage_index"])
    if pilots.empty:
        return 0
    found = forecast_of(pilots, stages, view.as_of)
    if found.reason:
        return 0
    likely_ids(found)
    return figures(forecast_figure(found)) + tables(chances_table(found, pilots, stages).head(common.TABLE_ROWS))


PAGE_WORK: dict[str, Callable[[common.View], int]] = {
    "pages/overview.py": overview,
    "pages/funnel.py": funnel,
    "pages/causes.py": causes,
    "pages/stalls.py": stalls,
    "pages/cohorts.py": cohorts,
    "pages/forecast.py": forecast,
    "pages/changes.py": changes,
    "pages/pilots.py": pilots,
    "pages/data.py": data,
    "pages/snapshots.py": snapshots,
}


def show(page: str, ds: str, filters: Filters) -> int:
    """One run of the app on a page: the sidebar, then the page's work (its data through common.py)."""
    return PAGE_WORK[page](sidebar(ds, filters))
