"""Overview: KPI tiles, one plain sentence, a mini funnel and the top causes."""

import streamlit as st

from analysis.figures.benchmarks import benchmarks_figure, published_lines
from analysis.figures.causes import causes_figure, money
from analysis.figures.funnel import funnel_figure
from analysis.metrics.benchmarks import WHY_NOT_THE_SAME, buy_build_ratio, portfolio_rates, published_rates
from analysis.metrics.benchmarks import comparison_sentence as rates_sentence
from analysis.metrics.causes import cause_counts
from analysis.metrics.cohorts import comparison_sentence, event_times
from analysis.metrics.funnel import stage_funnel
from analysis.metrics.overview import headline, kpis, read_columns, tiles
from pages.common import current_view, definitions, page_head, pilots_behind, pilots_for

view = current_view()
# only what the numbers read; causes and stages dictionary-coded (cut as small integers)
pilots = pilots_for(view, read_columns(view.info.stages), coded=["failure_cause", "stage", "sourcing"])
page_head(view, "Overview", len(pilots), "the portfolio")
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

st.subheader("How we compare with the published rates")
rates, published = portfolio_rates(pilots), published_rates()
st.markdown(rates_sentence(rates) + " " + buy_build_ratio(pilots).sentence)
pilots_behind(benchmarks_figure(rates, published), "benchmarks", view,
              {f"Reached production: {r.segment}": r.pilot_ids for r in rates.itertuples(index=False) if r.reached})
st.caption(WHY_NOT_THE_SAME)
st.markdown("\n".join(f"- {line}" for line in published_lines(published)))
