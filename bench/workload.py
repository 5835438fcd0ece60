"""What the server computes when a page is shown: the sidebar's cached data access (pages/common.py,
called as the app calls it, so its caches behave as in the app), then each page's analyses, figures
and tables, serialised as Streamlit serialises them (plotly JSON, Arrow).

PAGE_WORK mirrors the pages: when a page is added to app.py, add its work here (the benchmark says
which pages it does not cover).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import plotly.io
from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes

from analysis import store
from analysis.causes import cause_counts
from analysis.figures.causes import causes_figure
from analysis.figures.funnel import funnel_by_figure, funnel_figure, funnel_steps_figure
from analysis.funnel import funnel_by, pilots_at_step, stage_funnel
from analysis.overview import headline, kpis
from analysis.queries import Filters, dimensions
from pages import common


def figures(*figs) -> int:
    """Serialise figures as st.plotly_chart does; the bytes sent."""
    return sum(len(plotly.io.to_json(f, validate=False)) for f in figs)


def tables(*frames: pd.DataFrame) -> int:
    """Serialise frames as st.dataframe does; the bytes sent."""
    return sum(len(convert_pandas_df_to_arrow_bytes(f)) for f in frames)


def sidebar(ds: str, filters: Filters) -> common.View:
    """The sidebar's data access: dataset list and info, filter options, date range, default as-of."""
    common.dataset_list()
    info = common.dataset_info(ds)
    common.filter_options(ds)
    _, _, as_of = common.dataset_dates(ds)
    return common.View(ds, info, filters, as_of, common.STALL_DAYS)


def overview(view: common.View) -> int:
    """pages/overview.py."""
    pilots = common.pilots_for(view)
    k = kpis(pilots, view.info.stages, view.as_of)
    headline(k, view.stall_days)
    return figures(funnel_figure(stage_funnel(pilots, view.info.stages), height=320),
                   causes_figure(cause_counts(pilots), top=5))


def funnel(view: common.View) -> int:
    """pages/funnel.py: the funnel, its table and steps, the pilots behind the first step, a breakdown."""
    pilots = common.pilots_for(view)
    stages = view.info.stages
    table = stage_funnel(pilots, stages)
    dims = [d for d in dimensions(view.info.extras) if d in pilots and pilots[d].notna().any()]
    by = funnel_by(pilots, stages, dims[0]) if dims else None
    sent = figures(funnel_figure(table), funnel_steps_figure(table))
    sent += tables(table, common.pilot_table_frame(pilots_at_step(pilots, 0, "reached").head(common.TABLE_ROWS)))
    if by is not None:
        sent += figures(funnel_by_figure(by, dims[0])) + tables(by)
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
    from analysis import cohorts as c
    from analysis.figures import cohorts as f

    pilots = common.pilots_for(view)
    times = c.event_times(pilots, view.info.stages, view.as_of)
    if times.empty:
        return 0
    matrix = c.cohort_matrix(times, "quarter", 3)
    c.comparison_sentence(times, matrix=matrix)
    sent = figures(f.triangle_figure(matrix, "production", 3)) + tables(matrix.drop(columns="cohort_start"))
    _offered = [d for d in dimensions(view.info.extras) if d in pilots and pilots[d].notna().any()]  # "Break down by"
    segments = c.segment_labels(pilots, times, c.START_YEAR)
    order = c.segment_order(segments, c.START_YEAR)
    curves = c.segment_curves(times, segments, order)
    summary = c.segment_summary(curves)
    sent += figures(f.incidence_figure(curves, summary, "Start year", True))
    sent += tables(c.at_risk_table(times, segments, order).rename(columns=str), summary)  # the page formats summary
    labels = c.cohort_labels(times["start_date"], "quarter")
    newest = sorted(labels.unique(), reverse=True)[0]
    cohort = c.cohort_pilots(pilots, times, labels, newest)
    return sent + tables(common.pilot_table_frame(cohort.head(common.TABLE_ROWS)))


PAGE_WORK: dict[str, Callable[[common.View], int]] = {
    "pages/overview.py": overview,
    "pages/funnel.py": funnel,
    "pages/cohorts.py": cohorts,
    "pages/data.py": data,
}


def show(page: str, ds: str, filters: Filters) -> int:
    """One run of the app on a page: the sidebar, then the page's work (its data through common.py)."""
    return PAGE_WORK[page](sidebar(ds, filters))
