"""Pilots: the filtered pilots as a searchable, sortable table with a safe CSV download."""

import numpy as np
import streamlit as st

from analysis.metrics.outcomes import IN_FLIGHT
from analysis.metrics.pilots import SEARCH_COLUMNS, search_mask
from analysis.schema import STATUS_LABELS
from pages.common import PILOT_COLUMNS, current_view, empty_state, pilots_for, scope_note, view_table

view = current_view()
# what the filters read; the searched text only when there is a search (at 1M pilots its five text columns
# are 50 MB), and the table's rows are read from the view (view_table)
pilots = pilots_for(view, ["outcome", "stalled"])
st.title("Pilots")
st.caption(f"{view.info.name} · {len(pilots):,} pilots match the sidebar filters · "
           + (f"as of {view.as_of}" if view.as_of else "no dates in this dataset"))
scope_note(view, len(pilots))
if pilots.empty:
    empty_state("No pilots match the filters in the sidebar. Clear a filter to see the portfolio.")
    st.stop()
search, outcome, stalled = st.columns([3, 2, 1], vertical_alignment="bottom")
text = search.text_input("Search", key="q", bind="query-params",
                         placeholder="id, name, business unit, use case or sponsor")
outcomes = [o for o in STATUS_LABELS if o in set(pilots["outcome"].unique())]
chosen = outcome.multiselect("Outcome", outcomes, format_func=STATUS_LABELS.get, key="outcome",
                             placeholder="All")
only_stalled = stalled.checkbox("Stalled only", key="stalled_only",
                                help=f"In flight ({' or '.join(IN_FLIGHT)}) with no progress for more than "
                                     f"{view.stall_days} days before the as-of date.")
mask = search_mask(pilots_for(view, SEARCH_COLUMNS) if (text or "").split() else pilots, text or "")
if chosen:
    mask &= pilots["outcome"].isin(chosen)
if only_stalled:
    mask &= pilots["stalled"]
shown = np.flatnonzero(mask.to_numpy())  # positions in the view: no column is cut
st.caption(f"{len(shown):,} of {len(pilots):,} pilots · click a column header to sort")
if not len(shown):
    empty_state("No pilot matches this search. Try fewer words, or clear the outcome filter.")
else:
    view_table(view, shown, "pilots", columns=PILOT_COLUMNS + ["status", "end_date", "budget", *view.info.extras],
               labels=view.info.extras)
