"""Data: upload an export, see the mapping that was guessed and the validation report."""

import pandas as pd
import streamlit as st

from analysis import store
from analysis.export import safe_csv
from analysis.ingest import IngestError
from analysis.schema import FIELD_LABELS
from pages.common import current_view, dataset_list, plain, select_dataset

view = current_view()
st.title("Data")
st.markdown("Upload the portfolio export of your tracker: CSV, TSV, semicolon CSV or XLSX, one row per "
            "pilot. Headers and values are matched to the canonical fields; every row is accepted or "
            "rejected with a reason.")
upload = st.file_uploader("Portfolio export", type=["csv", "tsv", "txt", "xlsx"], key="upload")
if upload is not None and st.session_state.get("_stored") != upload.file_id:
    with st.status(f"Reading {upload.name}…", expanded=True) as status:
        try:
            st.write(f"{upload.size:,} bytes received; reading, mapping and validating…")
            with store.connect() as con:
                new_id = store.ingest(con, upload.getvalue(), upload.name)
            status.update(label=f"{upload.name} is stored and selected.", state="complete", expanded=False)
            st.session_state["_stored"] = upload.file_id
            select_dataset(new_id)
            st.rerun()
        except IngestError as exc:
            status.update(label=f"{upload.name} could not be read", state="error")
            st.error(str(exc))

info = view.info
report = info.report
rows = report["rows"]
st.subheader(plain(info.name))
cols = st.columns(3)
cols[0].metric("Rows read", f"{rows['read']:,}")
cols[1].metric("Accepted", f"{rows['accepted']:,}")
cols[2].metric("Rejected", f"{rows['rejected']:,}")
how = f"Read as {report['encoding']}" + (f", delimiter {report['delimiter']!r}" if report["delimiter"] else "") \
    + f", header on line {report['header_line']}" + (f", sheet '{report['sheet']}'" if report.get("sheet") else "")
st.caption(how + f". Dataset id {info.id}.")
for note in report["notes"]:
    st.info(note)

st.subheader("Mapping")
mapping = pd.DataFrame([{"Field": FIELD_LABELS.get(f, f.replace("_", " ")), "Source column": c,
                         "Confidence": report["confidence"].get(f, 1.0)} for f, c in info.mapping.columns.items()])
st.dataframe(mapping, hide_index=True, width="stretch",
             column_config={"Confidence": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent")})
if info.extras:
    st.caption("Kept as extra breakdown dimensions: " + ", ".join(map(plain, info.extras.values())))
stages = " → ".join(info.stages)
st.caption(f"Stages, in order: {stages}")
unmapped = {k: v for k, v in report["unmapped_values"].items() if v}
if unmapped:
    st.warning("Values no rule could map (kept, shown as they are): " + "; ".join(
        f"{FIELD_LABELS[k].lower()}: {', '.join(map(repr, v[:12]))}{' …' if len(v) > 12 else ''}"
        for k, v in unmapped.items()))

st.subheader("Validation report")
problems = pd.DataFrame(report["problems"], columns=["row", "column", "problem"])
if problems.empty:
    st.success("No problems: every row was accepted and every field read.")
else:
    st.dataframe(problems.rename(columns={"row": "Line", "column": "Column", "problem": "Problem"}),
                 hide_index=True, width="stretch")
if rows["rejected"]:
    with store.connect() as con:
        rejected = store.rejected_rows(con, info.id)
    st.download_button(f"Download the {rows['rejected']:,} rejected rows (CSV)", safe_csv(rejected),
                       file_name=f"rejected_{info.id}.csv", mime="text/csv", key="dl_rejected")

st.subheader("Stored datasets")
st.dataframe(dataset_list(), hide_index=True, width="stretch")
