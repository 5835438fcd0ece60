"""Cohorts: are we getting better? The start-cohort triangle and time to production (competing risks)."""

import pandas as pd
import streamlit as st

from analysis.figures.cohorts import MAX_SEGMENTS, incidence_figure, triangle_figure
from analysis.metrics.cohorts import (
    COMPARE_MONTHS,
    DAYS_PER_MONTH,
    MIN_AT_RISK,
    START_YEAR,
    at_risk_table,
    cohort_columns,
    cohort_index,
    cohort_labels,
    cohort_matrix,
    comparison_sentence,
    event_times,
    segment_counts,
    segment_curves,
    segment_labels,
    segment_order,
    segment_summary,
)
from analysis.schema import FIELD_LABELS
from analysis.store.queries import dimensions
from pages.common import (
    current_view,
    definitions,
    empty_state,
    number_columns,
    pilots_for,
    scope_note,
    view_table,
)

NEEDS_DATES = ("The cohort triangle and the time-to-production curves need dates: a start date for each pilot "
               "(or stage dates to derive it from), and the date it reached production or was cancelled. ")
KINDS = {"production": "reached production", "cancelled": "were cancelled"}
STEPS = {"1": "months", "3": "quarters"}
OVERALL_CHOICE = "all"


def _share(value: float, low: float, high: float) -> str:
    return f"not followed {COMPARE_MONTHS} months yet" if pd.isna(value) else f"{value:.0%} ({low:.0%}–{high:.0%})"


def _summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The per-segment summary, formatted for reading."""
    return pd.DataFrame({
        "Segment": summary["segment"], "Pilots": summary["n"],
        f"Reached production within {COMPARE_MONTHS} months (95% CI)": [
            _share(*r) for r in summary[["production", "production_low", "production_high"]].to_numpy()],
        f"Cancelled within {COMPARE_MONTHS} months (95% CI)": [
            _share(*r) for r in summary[["cancelled", "cancelled_low", "cancelled_high"]].to_numpy()],
        "Median months to production": ["not reached" if pd.isna(m) else f"{m:.1f}" for m in summary["median_months"]],
    })


view = current_view()
# what event_times and the breakdowns read (the dimensions dictionary-coded: cut as small integers); the table
# of a cohort is cut from the view (view_table)
offered = dimensions(view.info.extras)
pilots = pilots_for(view, cohort_columns(view.info.stages, offered), coded=offered)
st.title("Cohorts")
scope_note(view, len(pilots))
if pilots.empty:
    empty_state("No pilots match the filters in the sidebar. Clear a filter to see the cohorts.")
    st.stop()
times = event_times(pilots, view.info.stages, view.as_of)
if times.empty:
    empty_state(NEEDS_DATES + "This selection has no pilot with a usable start date, so there is nothing to "
                "draw. Map a start date or stage date column on the Data page to see the cohorts.")
    st.stop()
left_out = len(pilots) - len(times)
st.caption(f"{view.info.name} · as of {view.as_of} · {len(times):,} pilots with dates"
           + (f" ({left_out:,} without a start date or an event date are left out)" if left_out else ""))
headline = st.empty()  # the sentence, written once the triangle's cells (which it reuses) are counted

st.subheader("Cohort triangle")
kind_col, step_col, period_col = st.columns(3)
kind = kind_col.radio("Share that", list(KINDS), format_func=KINDS.get, horizontal=True, key="tri",
                      bind="query-params")
step = int(step_col.radio("Columns", list(STEPS), index=1, format_func=STEPS.get, horizontal=True, key="cols",
                          bind="query-params"))
period = period_col.radio("Rows: pilots started in the same", ["quarter", "year"], horizontal=True, key="rows",
                          bind="query-params")
matrix = cohort_matrix(times, period, step)
headline.markdown(f"#### {comparison_sentence(times, matrix=matrix if period == 'quarter' else None)}")
st.plotly_chart(triangle_figure(matrix, kind, step), key="triangle")
st.caption(f"Each cell is the share of the cohort that {KINDS[kind]} within that many {STEPS[str(step)]} of "
           "starting. Solid cells are final: every pilot of the cohort has been followed that long by the as-of "
           "date. Faded cells marked ≥ are partly observed: some pilots are younger, so the share can still "
           "rise. Blank cells: the cohort is too young for them. Hover for counts and 95% intervals.")
with st.expander("The triangle as a table"):
    st.dataframe(matrix.drop(columns="cohort_start"), hide_index=True, width="stretch")

st.subheader("Time to production")
dims = [d for d in offered if d in pilots and pilots[d].notna().any()]
labels = {OVERALL_CHOICE: "All pilots", START_YEAR: "Start year",
          **{d: FIELD_LABELS.get(d) or view.info.extras.get(d, d) for d in dims}}
choice = st.selectbox("Break down by", list(labels), index=1, format_func=labels.get, key="seg",
                      bind="query-params")
by = None if choice == OVERALL_CHOICE else choice
segments = segment_labels(pilots, times, by)
order = segment_order(segments, by)
counts = segment_counts(times, segments, order)  # for the curves and the numbers at risk
curves = segment_curves(times, segments, order, counts=counts)
summary = segment_summary(curves)
st.plotly_chart(incidence_figure(curves, summary, None if by is None else labels[by], by == START_YEAR),
                key="incidence")
st.caption("The share of pilots that reached production (or were cancelled) by each month since they started; "
           "a cancelled pilot can no longer reach production, and a pilot still in flight counts until the as-of "
           f"date and no further. Shaded: the 95% range the share is likely in. Curves stop where fewer than "
           f"{MIN_AT_RISK} pilots are still undecided; the dotted line marks {COMPARE_MONTHS} months.")
with st.expander("How this is computed"):
    st.markdown("Cumulative incidence with competing risks (Aalen–Johansen): production and cancellation compete, "
                "pilots in flight are censored at the as-of date, and the 95% bands are pointwise (delta-method variance, "
                f"log-log transformed). Months are whole days since the start date divided by {DAYS_PER_MONTH} (an average "
                "month); cohorts are the calendar quarter or year of the start date.")
too_few = [f"{s} ({n})" for s, n in summary[summary["n"] < MIN_AT_RISK][["segment", "n"]].to_numpy()]
if too_few:
    st.caption(f"Too few pilots for a curve (under {MIN_AT_RISK}): " + ", ".join(too_few) + ".")
if len(order) > MAX_SEGMENTS:
    st.caption(f"The chart shows the largest {MAX_SEGMENTS} of {len(order)} segments; the tables list all.")
st.markdown("**Pilots still at risk** (not yet in production, cancelled or past the as-of date), by months "
            "since start")
at_risk = at_risk_table(times, segments, order, counts=counts).rename(columns=str)
st.dataframe(at_risk, width="stretch", column_config=number_columns(at_risk))
st.dataframe(_summary_table(summary), hide_index=True, width="stretch")
if summary["median_months"].isna().all():
    st.caption("Median months to production: not reached. No curve climbs to one half: fewer than half of the "
               "pilots reach production within the time they have been followed (cancellation competes).")
definitions(view, ["reached production", "cancelled", "in flight"])

st.subheader("Pilots of a cohort")
cohorts = cohort_labels(times["start_date"], period)
chosen = st.selectbox("Started in", sorted(cohorts.unique(), reverse=True), key="cohort")
view_table(view, cohort_index(pilots, times, cohorts, chosen), key=f"cohort_{chosen}")
