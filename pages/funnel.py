"""Funnel: reached / dropped / still in stage per step, conversions, and a breakdown by any dimension."""

import numpy as np
import streamlit as st

from analysis.figures.funnel import funnel_by_figure, funnel_figure, funnel_steps_figure
from analysis.metrics.funnel import ReachedIds, funnel_by, stage_funnel, step_positions
from analysis.schema import stage_label
from pages.common import (
    clickable_chart,
    current_view,
    definitions,
    dimension_label,
    empty_state,
    number_columns,
    pilots_for,
    plain,
    plural,
    scope_note,
    view_table,
)

view = current_view()
# what the funnel counts, and the breakdown (dictionary-coded: it is only grouped, and the Failure causes and
# Cohorts pages group it coded too); pilot tables are cut from the view (view_table)
breakdown = list(filter(None, [view.breakdown]))
pilots = pilots_for(view, ["pilot_id", "stage_index", "cancelled", "in_flight", *breakdown], coded=breakdown)
stages = view.info.stages
st.title("Funnel")
scope_note(view, len(pilots))
known = int((pilots["stage_index"] >= 0).sum())  # counted, not cut: a cut copies every pilot's id
if not known:
    empty_state("No pilots with a known stage match this selection. Clear a filter, or map the stage "
                "column on the Data page.")
    st.stop()
funnel = stage_funnel(pilots, stages)
clicked = clickable_chart(funnel_figure(funnel, ReachedIds(pilots, stages)), key="funnel")
if clicked:
    st.caption(f"{plural(len(clicked), 'pilot')} behind the step you clicked (double-click the chart to clear)")
    view_table(view, np.flatnonzero(pilots["pilot_id"].isin(clicked)), key="funnel_clicked")
if known < len(pilots):
    st.caption(f"{len(pilots) - known:,} pilots without a readable stage are left out of the funnel.")
PERCENT = "%.1f%%"  # one number format per column: 94.5%, 87.7%, 26.0% (Streamlit's "percent" mixes decimals)
table = funnel.assign(stage=funnel["stage"].map(stage_label), step_conversion=funnel["step_conversion"] * 100,
                      overall_conversion=funnel["overall_conversion"] * 100)
st.dataframe(table, hide_index=True, width="stretch", column_config=number_columns(table, {
    "stage": "Stage", "reached": "Reached", "dropped": "Cancelled here", "in_stage": "Still here (in flight)",
    "moved_on": "Moved on", "step_conversion": st.column_config.NumberColumn("Step conversion", format=PERCENT),
    "overall_conversion": st.column_config.NumberColumn("Overall conversion", format=PERCENT)}))
st.plotly_chart(funnel_steps_figure(funnel), key="steps")
definitions(view)

st.subheader("Pilots behind a step")
st.caption("Click a bar of the funnel above, or choose a step here.")
step_col, kind_col = st.columns(2)
step = step_col.selectbox("Stage", range(len(stages)), format_func=lambda i: stage_label(stages[i]), key="step")
kinds = {"reached": "reached it", "dropped": "were cancelled there", "in_stage": "are still there",
         "moved_on": "moved on"}
kind = kind_col.selectbox("Pilots that", list(kinds), format_func=kinds.get, key="kind")
view_table(view, step_positions(pilots, step, kind), key=f"funnel_{stages[step]}_{kind}")

st.subheader("Breakdown")
by = view.breakdown
if by is None:
    empty_state("This dataset has no column to break the funnel down by.")
    st.stop()
if by not in pilots or pilots[by].isna().all():
    empty_state(f"No pilot in this selection has a value for {plain(dimension_label(view.info, by).lower())}.")
    st.stop()
st.caption("Change the dimension with “Break down by” in the sidebar.")
by_funnel = funnel_by(pilots, stages, by)
st.plotly_chart(funnel_by_figure(by_funnel, dimension_label(view.info, by)), key="funnel_by")
with st.expander("Every segment's funnel as a table"):
    st.dataframe(by_funnel.assign(stage=by_funnel["stage"].map(stage_label),
                                  step_conversion=by_funnel["step_conversion"] * 100,
                                  overall_conversion=by_funnel["overall_conversion"] * 100), hide_index=True,
                 width="stretch", column_config=number_columns(by_funnel, {
                     "step_conversion": st.column_config.NumberColumn(format=PERCENT),
                     "overall_conversion": st.column_config.NumberColumn(format=PERCENT)}))
