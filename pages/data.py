"""Data: upload an export, correct how it is mapped, and see every row accepted or rejected."""

import logging

import pandas as pd
import streamlit as st

from analysis.cli.export import safe_csv
from analysis.ingest import editor
from analysis.ingest.mapping import Mapping, allowed_values
from analysis.ingest.reading import MAX_UPLOAD_BYTES, IngestError
from analysis.ingest.validate import cleaned
from analysis.metrics.scope import verdict_gaps
from analysis.schema import FIELD_LABELS, STATUS_LABELS, cause_label, stage_label
from analysis.store import datasets as store
from analysis.store import queries
from pages.common import current_view, dataset_list, number_columns, plain, select_dataset

LOG = logging.getLogger(__name__)
NONE = "(none)"
EDITOR_PREFIXES = ("map_", "values_", "stages_text", "shape_choice", "sheet_choice")
SHAPES = {"wide": "a pilot (one row per pilot)", "events": "a stage change (an event log)"}
VALUE_TABS = {"stage": "Stage values", "status": "Status values", "failure_cause": "Cause values",
              "sourcing": "Sourcing values"}
VALUE_LABELS = {"status": STATUS_LABELS.get, "failure_cause": cause_label, "stage": stage_label,
                "sourcing": str.capitalize}


@st.cache_data(show_spinner="Reading the stored upload…", max_entries=16)
def upload_columns(ds: str) -> tuple[list[str], dict[str, pd.Series]] | None:
    """The headers of a dataset's upload and each column's value counts (datasets are immutable, so
    cached by id; counts, not cells, so a million-row upload costs little to keep)."""
    with store.connect() as con:
        raw = store.raw_table(con, ds)
    if raw is None:
        return None
    cells = cleaned(raw).cells
    return list(cells.columns), editor.column_counts(cells)


def store_upload() -> None:
    """The uploader: a new file is stored, mapped (the saved mapping of its headers, or guesses) and selected."""
    upload = st.file_uploader("Portfolio export", type=["csv", "tsv", "txt", "xlsx"], key="upload")
    st.caption(f"Up to {MAX_UPLOAD_BYTES // 1024 ** 2} MB (a larger file is refused by the browser before it "
               "is sent). One row per pilot, or one row per stage change (an event log); title rows above "
               "the header and total rows below the table are recognised.")
    if upload is None or st.session_state.get("_stored") == upload.file_id:
        return
    with st.status(f"Reading {upload.name}…", expanded=True) as status:
        st.write(f"{upload.size:,} bytes received; reading, mapping and validating…")
        new_id, problem = ingest_upload(upload.getvalue(), upload.name)
        status.update(label=f"{upload.name} could not be read" if problem else f"{upload.name} is stored and "
                      "selected.", state="error" if problem else "complete", expanded=False)
    if problem:
        st.error(problem)  # outside the status box, so the reason is in plain sight
        return
    st.session_state["_stored"] = upload.file_id
    select_dataset(new_id)
    st.rerun()


def ingest_upload(data: bytes, name: str) -> tuple[str | None, str | None]:
    """(dataset id, None) for a stored upload, or (None, the plain reason it could not be read)."""
    try:
        with store.connect() as con:
            return store.ingest(con, data, name), None
    except IngestError as exc:
        return None, plain(exc)
    except Exception:  # the boundary with a user's file: a plain sentence, the traceback to the log
        LOG.exception("reading upload %s", name)
        return None, (f"{plain(name)} could not be read because of a problem in this app, not in your file. "
                      "The details are in the server log; export it as CSV and try again.")


def counts(report: dict) -> None:
    """Rows read = accepted + rejected, as metrics (events and the pilots built from them for a log)."""
    rows = report["rows"]
    unit = "Events" if report.get("shape") == "events" else "Rows"
    cols = st.columns(4 if unit == "Events" else 3)
    cols[0].metric(f"{unit} read", f"{rows['read']:,}")
    cols[1].metric("Accepted", f"{rows['accepted']:,}")
    cols[2].metric("Rejected", f"{rows['rejected']:,}")
    if unit == "Events":
        cols[3].metric("Pilots built", f"{report.get('pilots', 0):,}")


def how_read(info: store.DatasetInfo) -> None:
    """How the file was read, and every note about it."""
    report = info.report
    how = f"Read as {report['encoding']}" + (f", delimiter {report['delimiter']!r}" if report["delimiter"] else "") \
        + f", header on line {report['header_line']}" + (f", sheet '{report['sheet']}'" if report.get("sheet") else "")
    st.caption(plain(how) + f". Dataset id {info.id}.")
    for note in report["notes"]:
        st.info(plain(note))
    applied = st.session_state.pop("_applied", None)
    if applied:
        st.success(f"Mapping applied ({len(applied)} change(s)); every page now uses it.")


def sheet_choice(info: store.DatasetInfo) -> None:
    """For a workbook of several sheets: read another sheet of the stored workbook."""
    sheets = info.report.get("sheets") or []
    if len(sheets) < 2:
        return
    chosen = st.selectbox("Sheet", sheets, key=seeded("sheet_choice", info.report["sheet"]),
                          help="The workbook has several sheets; choose the one that holds the pilots.")
    if chosen == info.report["sheet"]:
        return
    try:
        with store.connect() as con:
            data = store.upload_bytes(con, info.upload_sha)
            if data is None:
                st.error(f"The file behind '{plain(info.name)}' is no longer in the store (its upload file was "
                         "removed or changed), so another sheet cannot be read from it. Upload the file again.")
                return
            new_id = store.ingest(con, data, info.name, sheet=chosen)
    except IngestError as exc:
        st.error(f"Sheet '{plain(chosen)}' could not be read: {plain(exc)}")
        return
    select_dataset(new_id)
    st.rerun()


def seeded(key: str, value: object) -> str:
    """A widget key whose state starts at `value` for the shown dataset. Set through session state, so
    the browser shows it even where the same key showed another dataset's value before."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def reset_editor(ds: str) -> None:
    """Editor widgets start from the shown dataset's mapping whenever another dataset is shown."""
    shown = st.session_state.get("_editor_for")
    if shown is not None and shown != ds:
        for key in [k for k in st.session_state if str(k).startswith(EDITOR_PREFIXES)]:
            del st.session_state[key]
    st.session_state["_editor_for"] = ds


def shape_choice(base: Mapping) -> str:
    current = base.shape or "wide"
    return st.radio("Each row of the file is", list(SHAPES), format_func=SHAPES.get, horizontal=True,
                    key=seeded("shape_choice", current))


def column_choices(base: Mapping, headers: list[str], shape: str) -> dict[str, str | None]:
    """A selectbox per canonical field (guessed column preselected, its confidence below it)."""
    shown = base.copy()
    shown.shape = shape
    table = editor.column_table(shown)
    dated = table["field"].str.endswith("_date") & ~table["field"].isin(list(FIELD_LABELS))
    chosen: dict[str, str | None] = {}
    main = st.columns(3)
    for i, row in enumerate(table[~dated].itertuples()):
        with main[i % 3]:
            chosen[row.field] = column_select(row, headers)
    if dated.any():
        with st.expander("Stage entry dates (the date a pilot entered each stage)"):
            extra = st.columns(3)
            for i, row in enumerate(table[dated].itertuples()):
                with extra[i % 3]:
                    chosen[row.field] = column_select(row, headers)
    return chosen


def column_select(row, headers: list[str]) -> str | None:
    options = [NONE] + headers
    default = row.source if row.source in options else NONE
    value = st.selectbox(f"{row.label} · {row.how}", options, key=seeded(f"map_{row.field}", default),
                         help="The source column this field is read from; (none) leaves it empty.")
    if row.evidence and value == row.source:  # why the guess took that column, in words
        st.caption(plain(row.evidence[0].upper() + row.evidence[1:]))
    return None if value == NONE else value


def stage_list(base: Mapping) -> list[str]:
    """The ordered stage list, one per line; an unusable list says why and keeps the current one."""
    text = st.text_area("Stages, in order (one per line)", key=seeded("stages_text", editor.stages_text(base.stages)),
                        height=150, help="A dataset may have its own stages, e.g. Initiated, Acquisition "
                                         "and/or Development, Implementation and Assessment, Operation and "
                                         "Maintenance. The last stage is production.")
    try:
        return editor.parse_stages(text, base.stages)
    except ValueError as exc:
        st.error(str(exc))
        return list(base.stages)


def value_tables(counts: dict[str, pd.Series], base: Mapping, stages: list[str]) -> dict[str, dict[str, str | None]]:
    """For stage, status, cause and sourcing: each source value, its count and the id it maps to."""
    fields = [f for f in VALUE_TABS if not editor.value_table(counts, base, f).empty]
    if not fields:
        st.caption("No stage, status, cause or sourcing column is mapped, so there are no values to map.")
        return {}
    edited = {}
    for fld, tab in zip(fields, st.tabs([VALUE_TABS[f] for f in fields])):
        with tab:
            table = editor.value_table(counts, base, fld)
            options = allowed_values(fld, stages)
            result = st.data_editor(
                table, key=f"values_{fld}", hide_index=True, width="stretch", disabled=["source value", "rows"],
                column_config={"source value": "Source value", "rows": st.column_config.NumberColumn("Rows"),
                               "maps to": st.column_config.SelectboxColumn(
                                   "Maps to", options=options, format_func=VALUE_LABELS[fld],
                                   help="Empty: not mapped (kept, and listed as unmapped)")})
            edited[fld] = {str(v): (m if isinstance(m, str) and m else None)
                           for v, m in zip(result["source value"], result["maps to"])}
    return edited


def apply_changes(info: store.DatasetInfo, pending: Mapping) -> None:
    """What the edits change, and the button that re-derives the dataset from the stored upload."""
    diff = editor.changes(info.mapping, pending)
    if diff:
        st.markdown("**Not applied yet:**\n" + "\n".join(f"- {plain(line)}" for line in diff[:30])
                    + (f"\n- … and {len(diff) - 30} more" if len(diff) > 30 else ""))
    remember = st.checkbox("Use this mapping again for the next upload of this export (same headers)",
                           value=True, key="remember")
    if st.button("Apply mapping", type="primary", disabled=not diff, key="apply_mapping"):
        rederive(info, pending, remember, diff)


def rederive(info: store.DatasetInfo, mapping: Mapping, remember: bool, diff: list[str]) -> None:
    """A new dataset from the stored bytes under the mapping; selected, and remembered if asked."""
    try:
        with store.connect() as con:
            new_id = store.rederive(con, info.id, mapping)
            if remember:
                store.remember_mapping(con, new_id)
    except (IngestError, ValueError) as exc:
        st.error(f"The mapping could not be applied: {plain(exc)}")
        return
    except Exception:  # the boundary with a user's mapping: a plain sentence, the traceback to the log
        LOG.exception("applying a mapping to %s", info.id)
        st.error("The mapping could not be applied because of a problem in this app; the details are in the "
                 "server log. The dataset shown is unchanged.")
        return
    st.session_state["_applied"] = diff or ["mapping file"]
    select_dataset(new_id)
    st.rerun()


def mapping_file(info: store.DatasetInfo) -> None:
    """Download the mapping as the JSON file the command line takes; upload one to apply it."""
    left, right = st.columns(2)
    stem = info.name.rsplit(".", 1)[0]
    left.download_button("Download this mapping (JSON)", info.mapping.to_json(), file_name=f"{stem}.mapping.json",
                         mime="application/json", key="dl_mapping", on_click="ignore",
                         help="Keep it next to the export; `python -m analysis summary FILE --mapping` takes it too.")
    upload = right.file_uploader("Apply a mapping file (JSON)", type=["json"], key="mapping_file")
    if upload is None or st.session_state.get("_mapping_file") == upload.file_id:
        return
    st.session_state["_mapping_file"] = upload.file_id
    try:
        mapping = Mapping.from_json(upload.getvalue().decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        st.error(f"{upload.name} is not a mapping file: {exc}")
        return
    rederive(info, mapping, st.session_state.get("remember", True), [])


def mapping_source(info: store.DatasetInfo) -> str:
    """saved (this dataset's mapping is the one saved for its headers), user or guessed."""
    with store.connect() as con:
        saved = store.saved_mapping(con, info.id)
    if saved is not None and saved.to_json() == info.mapping.to_json():
        return "saved"
    return info.report.get("mapping_source", "guessed")


def mapping_editor(info: store.DatasetInfo) -> None:
    """Columns, stages and values as guessed (or saved), editable; applied by re-deriving."""
    st.subheader("Mapping")
    upload = upload_columns(info.id)
    if upload is None:
        st.info("The original upload of this dataset is not stored, so its mapping cannot be changed here.")
        return
    source = {"saved": "the mapping saved for this export's headers", "user": "your mapping",
              "guessed": "guesses from the headers and values"}[mapping_source(info)]
    st.caption(f"Mapped with {source}. Change any column or value below, then apply: the dataset is derived "
               "again from the stored upload, nothing is uploaded again.")
    base = info.mapping
    shape = shape_choice(base)
    headers, counts = upload
    columns = column_choices(base, headers, shape)
    st.markdown("**Stages and values**")
    staged = editor.with_stages(base, stage_list(base), counts)
    values = value_tables(counts, staged, staged.stages)
    pending = editor.edited_mapping(staged, columns, values, staged.stages, shape)
    apply_changes(info, pending)
    mapping_file(info)
    if info.extras:
        st.caption("Kept as extra breakdown dimensions: " + ", ".join(plain(h) for h in info.extras.values()))


def unmapped(report: dict) -> None:
    left = {k: v for k, v in report["unmapped_values"].items() if v}
    if left:
        st.warning("Values no rule could map (kept, shown as they are; map them above): " + "; ".join(
            f"{FIELD_LABELS[k].lower()}: {', '.join(plain(repr(x)) for x in v[:12])}{' …' if len(v) > 12 else ''}"
            for k, v in left.items()))


def validation(info: store.DatasetInfo) -> None:
    """Every problem with its line, and the rejected rows to download."""
    st.subheader("Validation report")
    rows = info.report["rows"]
    problems = pd.DataFrame(info.report["problems"], columns=["row", "column", "problem"])
    with store.connect() as con:
        missing = queries.missing_counts(con, info.id)
    gaps = verdict_gaps(missing, int(rows["accepted"]))
    if gaps:
        st.warning(gaps)
    if problems.empty and not gaps and not rows["rejected"]:
        st.success("No problems: every row was accepted and every field read.")
    elif not problems.empty:
        st.dataframe(problems.rename(columns={"row": "Line", "column": "Column", "problem": "Problem"}),
                     hide_index=True, width="stretch")
    if rows["rejected"]:
        with store.connect() as con:
            rejected = store.rejected_rows(con, info.id)
        st.download_button(f"Download the {rows['rejected']:,} rejected rows (CSV)", safe_csv(rejected),
                           file_name=f"rejected_{info.id}.csv", mime="text/csv", key="dl_rejected",
                           on_click="ignore")


st.title("Data")
st.markdown("Upload the portfolio export of your tracker (Jira, ServiceNow, Azure DevOps, Planview, Smartsheet "
            "or a spreadsheet): CSV, TSV, semicolon CSV or XLSX. Headers and values are matched to the "
            "canonical fields; check the mapping below, and every row is accepted or rejected with a reason.")
store_upload()
view = current_view()
reset_editor(view.info.id)
st.subheader(view.info.name)
counts(view.info.report)
sheet_choice(view.info)
how_read(view.info)
unmapped(view.info.report)
mapping_editor(view.info)
validation(view.info)
st.subheader("Stored datasets")
datasets = dataset_list()
st.dataframe(datasets, hide_index=True, width="stretch", column_config=number_columns(datasets))
