"""Changes: what changed between an earlier upload (or a snapshot's) and the one in the sidebar."""

import pandas as pd
import streamlit as st

from analysis.cli.export import safe_csv
from analysis.figures.changes import funnel_change_figure
from analysis.metrics import changes as ch
from analysis.schema import cause_label
from pages.common import (
    compared_pilots,
    current_view,
    dataset_dates,
    dataset_info,
    dataset_list,
    empty_state,
    frozen_compare,
    opened_snapshot,
    pilot_table,
    pilots_for,
    plain,
    plural,
    remember_compare,
    repeats_of,
    snapshot_list,
)

COLUMNS = ["pilot_id", "name", "stage", "stage_index", "outcome", "reached_production", "cancelled", "in_flight",
           "decided", "stalled", "failure_cause", "days_without_progress"]
CODED = ["stage", "failure_cause"]  # shown only for a group's rows: cutting a filtered view copies their codes

view = current_view()
st.title("Changes")
st.caption("What changed since the last review: the pilots of an earlier upload matched by ID to those of the "
           "dataset in the sidebar. The sidebar filters and stall threshold apply to both uploads.")
datasets = dataset_list()
snaps = snapshot_list()
snaps = snaps[(snaps["status"] == "active") & (snaps["page"] != "changes")]
mine = datasets["id"] == view.dataset_id
created = datasets.loc[mine, "created"].iloc[0] if mine.any() else None
others = datasets[~mine]
# the uploads stored before this one first, newest first: the last review is the likely earlier one
others = others.assign(_later=others["created"] > created if created is not None else False).sort_values(
    ["_later", "created"], ascending=[True, False])
names = {f"ds:{i}": str(n) for i, n in zip(others["id"], others["name"])}
choices = {f"ds:{i}": f"Upload · {n} · {i[:6]}" for i, n in zip(others["id"], others["name"])}
choices.update({f"snap:{t}": f"Snapshot · {title} · {made:%Y-%m-%d}" for t, title, made
                in zip(snaps["token"], snaps["title"], snaps["created"])})
frozen = frozen_compare(view)
if frozen is not None:  # a snapshot of this page: the earlier upload it was taken with, and no other
    if frozen not in choices:
        empty_state("The earlier upload this snapshot compared with is no longer available.")
        st.stop()
    pick = st.selectbox("Earlier upload", [frozen], format_func=choices.get, disabled=True, key="snap_changes_earlier",
                        help="The snapshot keeps the earlier upload it was taken with.")
else:
    if view.snapshot is not None:
        st.caption("This snapshot was taken on another page: the earlier upload is chosen here and is not part of it.")
    if not choices:
        empty_state("There is nothing to compare with yet: upload an earlier (or later) export of this portfolio "
                    "on the Data page, or take a snapshot, then come back.")
        st.stop()
    pick = st.selectbox("Earlier upload", list(choices), format_func=choices.get, key="changes_earlier",
                        help="An upload, or the upload and settings a snapshot froze. The later one is the "
                             "sidebar's. A snapshot taken here keeps this choice.")
    remember_compare(pick)
if pick.startswith("snap:"):
    snap = opened_snapshot(pick[5:])
    if snap is None:
        empty_state("This snapshot is no longer available (expired or revoked). Choose another.")
        st.stop()
    earlier_ds, earlier_as_of, earlier_name = snap.dataset_id, snap.state.as_of, f"the snapshot “{plain(snap.title)}”"
else:
    earlier_ds, earlier_name = pick[3:], plain(names[pick])
    earlier_as_of = dataset_dates(earlier_ds)[2]
before = compared_pilots(view, earlier_ds, earlier_as_of, COLUMNS, coded=CODED)
after = pilots_for(view, COLUMNS, coded=CODED)
st.caption(f"From {earlier_name} (as of {earlier_as_of or 'no dates'}) to {plain(view.info.name)} "
           f"(as of {view.as_of or 'no dates'}).")
if before.empty and after.empty:
    empty_state("No pilots match the filters in the sidebar in either upload. Clear a filter to compare.")
    st.stop()
found = ch.compare(ch.Upload(before, dataset_info(earlier_ds).stages, repeats=repeats_of(earlier_ds)),
                   ch.Upload(after, view.info.stages, repeats=repeats_of(view.dataset_id)))
st.markdown(f"#### {plural(len(found.matched), 'pilot')} in both uploads; "
            f"{found.count('new'):,} new, {found.count('gone'):,} gone")
if found.matched.empty:
    st.warning("No pilot ID of one upload is in the other: these look like different portfolios, or the IDs "
               "changed format (see below).")
tiles = [*st.columns(4), *st.columns(4)[:3]]  # two rows: seven labels in one row are cut short
for tile, (group, (label, text)) in zip(tiles, ch.GROUPS.items()):
    tile.metric(label, f"{found.count(group):,}", help=text.capitalize(), border=True)
with st.expander("Definitions"):
    st.markdown("\n".join(f"- **{label}**: {text}" for label, text in ch.GROUPS.values()))

st.subheader("The pilots of each group")
group = st.radio("Group", list(ch.GROUPS), format_func=lambda g: f"{ch.GROUPS[g][0]} ({found.count(g):,})",
                 horizontal=True, key="changes_group")
st.caption(f"{ch.GROUPS[group][0]}: {ch.GROUPS[group][1]}")
rows = ch.group_pilots(found, group)
if rows.empty:
    empty_state(f"No pilot is in the group “{ch.GROUPS[group][0]}”.")
else:
    pilot_table(rows, key=f"changes_{group}", columns=ch.GROUP_COLUMNS,
                labels={"stage_then": "Stage then", "stage_now": "Stage now", "outcome_then": "Outcome then",
                        "outcome_now": "Outcome now"})
causes = ch.cancelled_causes(found)
if not causes.empty:
    st.markdown("**Why the newly cancelled stopped**")
    st.dataframe(causes.assign(cause=causes["cause"].map(cause_label)), hide_index=True,
                 column_config={"cause": "Cause", "count": "Pilots"})

st.subheader("Then and now")
st.plotly_chart(funnel_change_figure(ch.funnel_then_now(found)), key="changes_funnel")
for row in ch.rates_then_now(found).to_dict("records"):
    st.markdown(f"- {ch.rate_sentence(row)}")
st.caption(ch.OVERLAP_NOTE)

st.subheader("IDs reported, not matched")
if found.id_changes.empty and found.repeats.empty:
    st.caption("Every ID is written the same way in both uploads and appears once in each.")
if not found.id_changes.empty:
    st.markdown(f"**{plural(len(found.id_changes), 'ID')} written differently**: {ch.ID_CHANGE_DEFINITION}")
    written = pd.DataFrame({"Earlier": [", ".join(i) for i in found.id_changes["before_ids"]],
                            "Later": [", ".join(i) for i in found.id_changes["after_ids"]]})
    st.dataframe(written, hide_index=True)
    st.download_button(f"Download the {plural(len(written), 'ID')} written differently (CSV)", lambda: safe_csv(written), file_name="id_changes.csv",
                       mime="text/csv", key="dl_id_changes", on_click="ignore")
if not found.repeats.empty:
    st.markdown(f"**{plural(len(found.repeats), 'repeated ID')}**: {ch.REPEAT_DEFINITION}")
    repeated = found.repeats.assign(pilot_ids=[", ".join(i) for i in found.repeats["pilot_ids"]])
    st.dataframe(repeated, hide_index=True, column_config={"upload": "Upload", "pilot_ids": "IDs", "problem": "Problem"})
    st.download_button(f"Download the {plural(len(repeated), 'repeated ID')} (CSV)", lambda: safe_csv(repeated),
                       file_name="repeated_ids.csv", mime="text/csv", key="dl_repeats", on_click="ignore")
