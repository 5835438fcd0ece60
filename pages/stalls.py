"""Stalls: time in each stage, where in-flight pilots sit now, the bottleneck, the stalled pilots.

One run works on one set of stage spells (compact arrays: analysis.stalls.Spells) and one grouping of the
in-flight pilots (position_counts), shared by the sentence, the charts, their choices and the table; the
ids behind a mark are looked up only when it is clicked or chosen."""

import streamlit as st

from analysis.figures.aging import aging_figure
from analysis.figures.stalls import (
    POINTS_PER_BOX,
    outliers_only,
    positions_choices,
    positions_figure,
    stage_time_choices,
    stage_time_figure,
    stage_time_table,
)
from analysis.metrics.aging import aging_choices, aging_points, aging_summary, percentile_lines
from analysis.metrics.stalls import (
    NEEDS_PROGRESS_DATES,
    NEEDS_STAGE_DATES,
    bottleneck,
    date_coverage,
    position_counts,
    read_columns,
    stage_spells,
    stage_time_summary,
    stalled_order,
)
from pages.common import (
    TABLE_ROWS,
    current_view,
    definitions,
    empty_state,
    number_columns,
    pilot_table,
    pilots_behind,
    pilots_for,
    scope_note,
    view_rows,
)

STALLED_TABLE = ["pilot_id", "name", "days_without_progress", "stage", "sponsor", "business_unit", "last_progress",
                 "outcome"]


view = current_view()
stages = view.info.stages
pilots = pilots_for(view, read_columns(stages, []))  # the rows of a table and behind a mark: read from the view
st.title("Stalls")
st.caption(f"{view.info.name} · " + (f"as of {view.as_of}" if view.as_of else "no dates in this dataset")
           + f" · stalled = no progress for more than {view.stall_days} days (change it under Settings in the sidebar)")
scope_note(view, len(pilots))
if pilots.empty:
    empty_state("No pilots match the filters in the sidebar. Clear a filter to see the portfolio.")
    st.stop()
coverage = date_coverage(pilots, stages, view.as_of)
definitions(view, ["in flight", "stalled"])

spells = stage_spells(pilots, stages, view.as_of)
usable = spells.usable()
summary = stage_time_summary(usable, stages)
positions, position_ids = position_counts(pilots, stages, view.as_of, spells)
found = bottleneck(summary, positions) if len(usable) else None
if found:
    st.markdown(f"#### {found.sentence}")

st.subheader("Time in each stage")
if not coverage.time_in_stage:
    empty_state(NEEDS_STAGE_DATES)
elif not len(usable):
    empty_state("No pilot here has stage entry dates in order, so there is no time in stage to show.")
else:
    pilots_behind(stage_time_figure(usable, summary, stages), "stage_time", view, stage_time_choices(usable))
    st.caption("Time in stage counts the pilots still there too: each has been there at least until the as-of "
               "date, never counted as finished. Leaving a stage means moving on or being cancelled there." + (
                   f" A box of more than {POINTS_PER_BOX:,} pilots shows only its outliers as points; the list "
                   "under the chart has every group." if outliers_only(usable) else ""))
    with st.expander("How the medians are computed"):
        st.markdown("Medians and 90th percentiles are Kaplan–Meier estimates: a pilot still in a stage is censored "
                    "at the as-of date (it has been there at least that long), so a stage whose pilots are still "
                    "waiting is not made to look fast by the ones that already left.")
    table = stage_time_table(summary)
    st.dataframe(table, hide_index=True, width="stretch", column_config=number_columns(table))
    if len(usable) < len(spells):
        st.caption(f"{len(spells) - len(usable):,} stage spells whose next date comes before the entry date "
                   "are left out.")

st.subheader("Where in-flight pilots sit now")
pilots_behind(positions_figure(positions, view.stall_days if coverage.stalls else None, position_ids), "positions",
              view, positions_choices(positions, position_ids))
unplaced = int(pilots["in_flight"].sum()) - int(positions["in_flight"].sum())
if unplaced > 0:  # in flight, but at no readable stage (or at the last one): the bars cannot place them
    st.caption(f"{unplaced:,} more in-flight pilots have no readable stage and are not in these bars.")

st.subheader("How old the work in flight is")
if not coverage.time_in_stage:
    empty_state(NEEDS_STAGE_DATES)
else:
    lines = percentile_lines(spells, stages)
    points = aging_points(spells, lines, pilots["stalled"].to_numpy(dtype=bool))
    found_age = aging_summary(points, lines, int(pilots["in_flight"].sum()))
    st.markdown(found_age.sentence)
    pilots_behind(aging_figure(points, lines, spells.ids, "Time in the current stage, against how long the pilots "
                               "that left it took"), "aging", view, aging_choices(points, spells.ids))
    if found_age.unplaced:
        st.caption(f"{found_age.unplaced:,} in-flight pilots have no dated current stage and are not shown.")
    with st.expander("How this is computed"):
        st.markdown("Each point is an in-flight pilot, at the time since it entered the stage it is in now (up to "
                    "the as-of date). The lines are the 50th, 85th and 95th percentiles of the time pilots spent in "
                    "that stage: Kaplan–Meier estimates over every pilot that entered it, those still there counted "
                    "as censored (there at least that long, not finished). Above the 85th line, a pilot has taken longer than 85% "
                    "of the pilots that went through; a stage with no line has too few that left to tell. Stalled "
                    f"(the stall rule: no progress for more than {view.stall_days} days) is shown over the age.")

st.subheader(f"Stalled pilots: no progress for more than {view.stall_days} days")
stalled = int(pilots["stalled"].sum()) if coverage.stalls else 0
if not coverage.stalls:
    empty_state(NEEDS_PROGRESS_DATES)
elif not stalled:
    empty_state(f"No in-flight pilot has gone more than {view.stall_days} days without progress.")
else:  # the rows shown now (only they are sorted in full), every stalled pilot only for the download
    pilot_table(view_rows(view, stalled_order(pilots, TABLE_ROWS)), "stalled", "stalled pilots",
                columns=STALLED_TABLE, labels={"sponsor": "Owner (sponsor)"},
                everything=lambda: view_rows(view, stalled_order(pilots)), total=stalled)
