"""Failure causes: which cause kills most pilots, at which stage, in which segment, and is it real."""

import streamlit as st

from analysis.causes import (
    MIN_SEGMENT_N,
    NOT_RECORDED,
    cause_counts,
    cause_mix_by_cohort,
    cause_stage_counts,
    segment_pairs,
    segment_rates,
    segment_test,
    spend_by_cause,
)
from analysis.figures.causes import (
    cause_stage_figure,
    cohort_mix_figure,
    dimension_plural,
    money,
    pareto_figure,
    rate_text,
    segment_figure,
    spend_figure,
)
from analysis.queries import dimensions
from analysis.schema import FIELD_LABELS, cause_label, stage_label
from analysis.stats import describe_difference, format_p_value
from pages.common import current_view, definitions, empty_state, pilots_behind, pilots_for

view = current_view()
pilots = pilots_for(view)
stages = view.info.stages
st.title("Failure causes")
cancelled = int(pilots["cancelled"].sum())
st.caption(f"{view.info.name} · {cancelled:,} cancelled of {len(pilots):,} pilots · as of "
           f"{view.as_of or 'no dates in this dataset'}")
if not cancelled:
    empty_state("No cancelled pilots in this selection, so there are no failure causes to analyse. Clear a "
                "filter, or check on the Data page that the status column is mapped.")
    st.stop()
definitions(view, ["cancelled", "in flight"])

st.subheader("Which cause kills most pilots")
counts = cause_counts(pilots)
pilots_behind(pareto_figure(counts), "pareto", pilots,
              {f"{cause_label(c)} ({n})": ids for c, n, ids in zip(counts["cause"], counts["count"], counts["pilot_ids"])})
unmapped = [c for c in counts["cause"] if c.startswith("other (")]
if unmapped:
    st.caption(f"{len(unmapped)} cause text(s) match no canonical cause and are shown as 'other (<text>)'; "
               "map them on the Data page to group them.")
if NOT_RECORDED in set(counts["cause"]):
    st.caption(f"'{NOT_RECORDED}': cancelled pilots whose export gives no cause.")

st.subheader("At which stage each cause stops pilots")
cells = cause_stage_counts(pilots, stages)
pilots_behind(cause_stage_figure(cells, stages), "cause_stage", pilots,
              {f"{cause_label(c)} at {stage_label(s).lower()} ({n})": ids
               for c, s, n, ids in zip(cells["cause"], cells["stage"], cells["count"], cells["pilot_ids"])})
st.caption("Each cell: the cancelled pilots with that cause that were stopped at that stage, and their share of "
           "the cause's cancellations (row share).")

st.subheader("Failure rate by segment")
dims = [d for d in dimensions(view.info.extras) if d in pilots and pilots[d].notna().any()]
labels = {d: FIELD_LABELS.get(d) or view.info.extras.get(d, d) for d in dims}
if not dims:
    empty_state("This dataset has no column to break the failure rate down by.")
else:
    left, right = st.columns([3, 1])
    by = left.selectbox("Segment by", dims, format_func=labels.get, key="fail_by", bind="query-params")
    min_n = int(right.number_input("Minimum decided pilots to rank a segment", min_value=1, max_value=100,
                                   value=MIN_SEGMENT_N, key="min_n"))
    rates = segment_rates(pilots, by, min_n)
    test = segment_test(rates)
    overall = pilots["cancelled"].sum() / pilots["decided"].sum() if pilots["decided"].any() else None
    pilots_behind(segment_figure(rates, test, labels[by], overall, min_n), "segments", pilots,
                  {f"{s}: {rate_text(c, d, lo, hi)}": ids for s, c, d, lo, hi, ids in
                   zip(rates["segment"], rates["cancelled"], rates["decided"], rates["ci_low"], rates["ci_high"],
                       rates["pilot_ids"]) if d})
    st.markdown(describe_difference(test, dimension_plural(by, labels[by])))
    small = rates[~rates["ranked"]]
    if len(small):
        st.caption(f"Shown greyed and not ranked or tested, with fewer than {min_n} decided pilots: "
                   + "; ".join(f"{s} ({rate_text(c, d, lo, hi)})" for s, c, d, lo, hi in
                               zip(small["segment"], small["cancelled"], small["decided"], small["ci_low"],
                                   small["ci_high"])) + ".")
    if test.significant and test.segments_compared > 2:
        pairs = test.pairwise if test.pairwise is not None else segment_pairs(rates)
        with st.expander("Which pairs differ (Fisher's exact test per pair, Holm correction)"):
            st.dataframe(pairs.assign(p_value=pairs["p_value"].map(format_p_value),
                                      p_holm=pairs["p_holm"].map(lambda p: format_p_value(p, "p (Holm)"))),
                         hide_index=True, width="stretch", column_config={
                             "segment_a": "Segment", "segment_b": "versus", "p_value": "Raw p",
                             "p_holm": "Adjusted p", "significant": "Differ?"})
    st.dataframe(rates.assign(failure_rate=[rate_text(c, d, lo, hi) for c, d, lo, hi in
                                            zip(rates["cancelled"], rates["decided"], rates["ci_low"], rates["ci_high"])],
                              in_flight=rates["pilots"] - rates["decided"])
                 [["segment", "failure_rate", "pilots", "in_flight", "ranked"]],
                 hide_index=True, width="stretch", column_config={
                     "segment": labels[by], "failure_rate": "Cancelled of decided (rate, 95% Wilson CI)",
                     "pilots": "Pilots", "in_flight": "In flight (censored)", "ranked": f"Ranked (n ≥ {min_n})"})

st.subheader("Are the same causes still killing pilots?")
mix = cause_mix_by_cohort(pilots)
pilots_behind(cohort_mix_figure(mix), "cohort_mix", pilots,
              {f"{q}: {cause_label(c)} ({n})": ids for q, c, n, ids in
               zip(mix["cohort"], mix["cause"], mix["count"], mix["pilot_ids"])})
if len(mix):
    st.caption("Recent quarters have had less time to fail: their cancellations are the early ones, so compare "
               "their mix with care.")
undated = int((pilots["cancelled"] & pilots["start_date"].isna()).sum())
if undated:
    st.caption(f"{undated:,} cancelled pilots have no start date and are left out of the cohorts.")

st.subheader("Spend lost on cancelled pilots, by cause")
spend = spend_by_cause(pilots)
pilots_behind(spend_figure(spend), "spend", pilots,
              {f"{cause_label(c)} ({money(v)})": ids for c, v, ids in
               zip(spend["cause"], spend["spend"], spend["pilot_ids"])})
if len(spend) and spend["with_spend"].sum() < spend["pilots"].sum():
    st.caption(f"Spend is recorded for {int(spend['with_spend'].sum()):,} of {int(spend['pilots'].sum()):,} "
               "cancelled pilots; the others count as nothing here.")
