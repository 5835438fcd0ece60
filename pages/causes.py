"""Failure causes: which cause kills most pilots, at which stage, in which segment, and is it real."""

import streamlit as st

from analysis.figures import causes as charts
from analysis.metrics import causes
from analysis.metrics.stats import describe_difference
from analysis.schema import FIELD_LABELS, cause_label
from analysis.store.queries import dimensions
from pages.common import (
    current_view,
    definitions,
    empty_state,
    number_columns,
    pilots_behind,
    pilots_for,
    scope_note,
)

view = current_view()
# what the analyses read (every pilot table is filled from the view, pilots_with_ids)
offered = dimensions(view.info.extras)
pilots = pilots_for(view, causes.read_columns(offered), coded=causes.grouped_columns(offered))
stages = view.info.stages
st.title("Failure causes")
shared = causes.cancellations(pilots)  # the cancelled pilots and their causes, coded once for every chart
cancelled = len(shared.codes)
st.caption(f"{view.info.name} · {cancelled:,} cancelled of {len(pilots):,} pilots · "
           + (f"as of {view.as_of}" if view.as_of else "no dates in this dataset"))
scope_note(view, len(pilots))
if not cancelled:
    empty_state("No cancelled pilots in this selection, so there are no failure causes to analyse. Clear a "
                "filter, or check on the Data page that the status column is mapped.")
    st.stop()
definitions(view, ["cancelled", "in flight"])

st.subheader("Which cause kills most pilots")
counts = causes.cause_counts(pilots, shared)
pilots_behind(charts.pareto_figure(counts), "pareto", view, charts.pareto_choices(counts))
if unmapped := [c for c in counts["cause"] if c.startswith("other (")]:
    st.caption(f"{len(unmapped)} cause text(s) match no canonical cause and are shown as 'other (<text>)'; "
               "map them on the Data page to group them.")
if causes.NOT_RECORDED in set(counts["cause"]):
    st.caption(f"'{causes.NOT_RECORDED}': cancelled pilots whose export gives no cause.")

st.subheader("At which stage each cause stops pilots")
cells = causes.cause_stage_counts(pilots, stages, shared)
pilots_behind(charts.cause_stage_figure(cells, stages), "cause_stage", view, charts.cause_stage_choices(cells))
st.caption("Each cell: the cancelled pilots with that cause that were stopped at that stage, and their share of "
           "the cause's cancellations (row share).")

st.subheader("Failure rate by segment")
dims = [d for d in offered if d in pilots and pilots[d].notna().any()]
labels = {d: FIELD_LABELS.get(d) or view.info.extras.get(d, d) for d in dims}
if not dims:
    empty_state("This dataset has no column to break the failure rate down by.")
else:
    left, middle, right = st.columns([2, 2, 1])
    by = left.selectbox("Segment by", dims, format_func=labels.get, key="fail_by", bind="query-params")
    cause = middle.selectbox("Count as failures", [None, *counts["cause"]], key="fail_cause",
                             format_func=lambda c: "every cancellation" if c is None else
                             f"cancellations for {charts.lower_first(cause_label(c))}")
    min_n = int(right.number_input("Minimum n to rank", min_value=1, max_value=100,
                                   value=causes.MIN_SEGMENT_N, key="min_n",
                                   help="Segments with fewer decided pilots (production or cancelled) are shown "
                                        "greyed, and neither ranked nor tested."))
    rates = causes.segment_rates(pilots, by, min_n, cause, shared)
    test = causes.segment_test(rates)
    overall = causes.overall_rate(pilots, cause, shared)
    st.markdown(describe_difference(test, charts.dimension_plural(by, labels[by])))
    pilots_behind(charts.segment_figure(rates, test, labels[by], overall, min_n, cause), "segments", view,
                  charts.segment_choices(rates))
    if note := charts.small_segments_note(rates, min_n):
        st.caption(note)
    if test.significant and test.segments_compared > 2:
        with st.expander("Which pairs differ"):
            st.caption("Each pair of segments compared with Fisher's exact test; the p-values adjusted for making "
                       "many comparisons at once (Holm), so a pair is called different only when it clearly is.")
            pairs = test.pairwise if test.pairwise is not None else causes.segment_pairs(rates)
            st.dataframe(charts.pairs_table(pairs), hide_index=True, width="stretch")
    segments = charts.segment_table(rates, labels[by], min_n)
    st.dataframe(segments, hide_index=True, width="stretch", column_config=number_columns(segments))

st.subheader("Are the same causes still killing pilots?")
mix = causes.cause_mix_by_cohort(pilots, cancelled=shared)
undated = int(shared.frame["start_date"].isna().sum())  # the cancelled pilots without a start date
if mix.empty:
    empty_state("The cause mix by start quarter needs start dates (or stage entry dates); the cancelled pilots "
                "here have none, so it is not drawn.")
else:
    pilots_behind(charts.cohort_mix_figure(mix), "cohort_mix", view, charts.cohort_choices(mix))
    st.caption("Recent quarters have had less time to fail: their cancellations are the early ones, so compare "
               "their mix with care." + (f" {undated:,} cancelled pilots have no start date and are left out."
                                         if undated else ""))

st.subheader("Spend lost on cancelled pilots, by cause")
spend = causes.spend_by_cause(pilots, shared)
if spend.empty:
    empty_state("No spend is recorded for the cancelled pilots here (map a spend column on the Data page).")
else:
    pilots_behind(charts.spend_figure(spend), "spend", view, charts.spend_choices(spend))
    if spend["with_spend"].sum() < spend["pilots"].sum():
        st.caption(f"Spend is recorded for {int(spend['with_spend'].sum()):,} of {int(spend['pilots'].sum()):,} "
                   "cancelled pilots; the others count as nothing here.")
