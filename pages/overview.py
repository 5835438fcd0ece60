"""Overview: KPI tiles, one plain sentence, a mini funnel and the top causes."""

import streamlit as st

from analysis.figures.causes import causes_figure, money
from analysis.figures.funnel import funnel_figure
from analysis.metrics.causes import cause_counts
from analysis.metrics.cohorts import comparison_sentence, event_times
from analysis.metrics.funnel import stage_funnel
from analysis.metrics.overview import headline, kpis, read_columns
from pages.common import current_view, definitions, empty_state, pilots_for, plain, scope_note


def _months(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


view = current_view()
# only what the numbers read; causes and stages dictionary-coded (cut as small integers)
pilots = pilots_for(view, read_columns(view.info.stages), coded=["failure_cause", "stage"])
st.title("Overview")
st.caption(f"{plain(view.info.name)} · as of {view.as_of or 'no dates in this dataset'}")
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
tiles = st.columns(6)
tiles[0].metric("Pilots", f"{k.pilots:,}")
tiles[1].metric("Reached production", f"{k.reached_production:,}", f"{k.decided_rate:.0%} of decided"
                if k.decided else None, delta_color="off", delta_arrow="off")
tiles[2].metric("Cancelled", f"{k.cancelled:,}", f"{k.cancelled / k.pilots:.0%} of all", delta_color="off",
                delta_arrow="off")
tiles[3].metric("Stalled", f"{k.stalled:,}", f"of {k.in_flight:,} in flight", delta_color="off",
                delta_arrow="off")
half = "not reached" if k.median_months_to_production is None else f"{k.median_months_to_production:.1f} months"
tiles[4].metric("Months to production", _months(k.median_months_when_reached), "median, of those that made it",
                delta_color="off", delta_arrow="off",
                help="Median months from start to production among the pilots that reached it. Half of all "
                     f"pilots (in-flight censored, cancellation competing): {half}.")
tiles[5].metric("Spend on cancelled", "—" if k.spend_on_cancelled is None else money(k.spend_on_cancelled), "sunk in pilots that stopped"
                if k.spend_on_cancelled else None, delta_color="off", delta_arrow="off",
                help="Sum of the spend column over cancelled pilots, in the export's currency.")
if k.unknown_stage:
    st.caption(f"{k.unknown_stage:,} pilots have no readable stage and are left out of the funnel.")
definitions(view)
left, right = st.columns(2)
left.plotly_chart(funnel_figure(stage_funnel(pilots, view.info.stages), height=320), key="mini_funnel")
right.plotly_chart(causes_figure(cause_counts(pilots), top=5), key="top_causes")
