"""Overview: KPI tiles, one plain sentence, a mini funnel and the top causes."""

import streamlit as st

from analysis.figures.causes import causes_figure, money
from analysis.figures.funnel import funnel_figure
from analysis.metrics.causes import cause_counts
from analysis.metrics.cohorts import comparison_sentence, event_times
from analysis.metrics.funnel import stage_funnel
from analysis.metrics.overview import headline, kpis, read_columns, tiles
from pages.common import current_view, definitions, empty_state, pilots_for, plain, scope_note

view = current_view()
# only what the numbers read; causes and stages dictionary-coded (cut as small integers)
pilots = pilots_for(view, read_columns(view.info.stages), coded=["failure_cause", "stage"])
st.title("Overview")
st.caption(f"{plain(view.info.name)} · " + (f"as of {view.as_of}" if view.as_of else "no dates in this dataset"))
scope_note(view, len(pilots))
if pilots.empty:
    empty_state("No pilots match the filters in the sidebar. Clear a filter to see the portfolio.")
    st.stop()
times = event_times(pilots, view.info.stages, view.as_of)  # once for the tiles and the cohort sentence
k = kpis(pilots, view.info.stages, view.as_of, times)
st.markdown(f"#### {headline(k, view.stall_days)}")
cohort_sentence = comparison_sentence(times)
if cohort_sentence:
    st.markdown(cohort_sentence)
for column, tile in zip([*st.columns(3), *st.columns(3)], tiles(k, money)):
    column.metric(tile.label, tile.value, tile.detail, delta_color="off", delta_arrow="off", help=tile.help)
if k.unknown_stage:
    st.caption(f"{k.unknown_stage:,} pilots have no readable stage and are left out of the funnel.")
definitions(view)
left, right = st.columns(2)
left.plotly_chart(funnel_figure(stage_funnel(pilots, view.info.stages), height=320), key="mini_funnel")
right.plotly_chart(causes_figure(cause_counts(pilots), top=5), key="top_causes")
