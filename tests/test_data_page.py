"""The Data page's mapping editor (AppTest): change a column and a value, apply, see the funnel change."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.store import datasets as store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
FEDERAL_MAPPING = Path(__file__).resolve().parent.parent / "data" / "mappings" / "federal_ai_inventory_2023.json"
# The federal inventory is recognised as the 2023 format: its four official stages, 'In mission' (6 rows)
# read as operation and maintenance.
GUESSED_FUNNEL = [389, 307, 215, 159]
# With 'In mission' mapped to implementation, those 6 pilots stop one stage short of the last.
EDITED_FUNNEL = [389, 307, 215, 153]


@pytest.fixture(autouse=True)
def own_store(tmp_path, monkeypatch):
    """A store of its own per test: mappings saved here must not reach other tests' uploads."""
    monkeypatch.setenv("PILOTS_DATA_DIR", str(tmp_path))


def run_page(page: str, ds: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if ds:
        at.query_params["ds"] = ds
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def shown_ds(at: AppTest) -> str:
    value = at.query_params["ds"]
    return value[0] if isinstance(value, list) else value


def funnel_reached(ds: str) -> list[int]:
    """The Reached column of the Funnel page's table for a dataset."""
    at = run_page("pages/funnel.py", ds)
    return at.dataframe[0].value["reached"].tolist()


def stored_federal(federal_bytes: bytes) -> str:
    with store.connect() as con:
        return store.ingest(con, federal_bytes, "federal.csv")


def test_changing_a_column_and_a_value_mapping_changes_the_funnel(federal_bytes) -> None:
    ds = stored_federal(federal_bytes)
    assert funnel_reached(ds) == GUESSED_FUNNEL
    at = run_page("pages/data.py", ds)
    assert at.selectbox(key="map_stage").value == "Development_Stage"
    assert at.selectbox(key="map_business_unit").value == "Agency"
    table = at.data_editor(key="values_stage").value
    row = int(table.index[table["source value"] == "In mission"][0])
    assert table.loc[row, "rows"] == 6
    at.session_state["values_stage"] = {"edited_rows": {row: {"maps to": "implementation"}}, "added_rows": [],
                                        "deleted_rows": []}
    at.selectbox(key="map_business_unit").set_value("Department_Code").run()
    pending = next(m.value for m in at.markdown if "Not applied yet" in m.value).replace("\\", "")
    assert "Business unit: Agency" in pending and "In mission" in pending
    at.button(key="apply_mapping").click().run()
    assert not at.exception, at.exception
    new = shown_ds(at)
    assert new != ds
    assert funnel_reached(new) == EDITED_FUNNEL
    funnel = run_page("pages/funnel.py", new)
    segments = set(funnel.dataframe[-1].value["segment"])
    assert {"DOE", "HHS", "DHS"} <= segments  # the breakdown now reads the department codes
    assert funnel_reached(ds) == GUESSED_FUNNEL  # the first dataset is unchanged


def test_the_applied_mapping_is_offered_again_on_the_next_upload(federal_bytes) -> None:
    at = run_page("pages/data.py", stored_federal(federal_bytes))
    table = at.data_editor(key="values_stage").value
    row = int(table.index[table["source value"] == "In mission"][0])
    at.session_state["values_stage"] = {"edited_rows": {row: {"maps to": "implementation"}}, "added_rows": [],
                                        "deleted_rows": []}
    at.run()
    assert at.checkbox(key="remember").value is True
    at.button(key="apply_mapping").click().run()
    # Another session uploads next month's export: the same headers, one use case more, 'In mission'.
    later = federal_bytes + b"NEW-0001-2024,DOE,Office of Science,,New model,A summary,In mission,,,Energy\n"
    again = run_page("pages/data.py")
    again.get("file_uploader")[0].set_value(("federal-next-month.csv", later, "text/csv")).run()
    assert not again.exception, again.exception
    ds = shown_ds(again)
    view = run_page("pages/data.py", ds)
    infos = [i.value.replace("\\", "") for i in view.info]  # the page escapes markdown in upload text
    assert any("The mapping saved on" in i and "(from federal.csv) was used" in i for i in infos)
    assert any("Mapped with the mapping saved for this export's headers" in c.value for c in view.caption)
    assert funnel_reached(ds) == [n + 1 for n in EDITED_FUNNEL[:-1]] + EDITED_FUNNEL[-1:]


def test_a_mapping_file_with_the_datasets_own_stages_applies_from_the_page(federal_bytes) -> None:
    at = run_page("pages/data.py", stored_federal(federal_bytes))
    assert at.get("download_button")  # the mapping can be downloaded as JSON
    uploader = next(u for u in at.get("file_uploader") if u.proto.id.endswith("mapping_file"))
    uploader.set_value(("federal.mapping.json", FEDERAL_MAPPING.read_bytes(), "application/json")).run()
    assert not at.exception, at.exception
    ds = shown_ds(at)
    with store.connect() as con:
        assert store.dataset_info(con, ds).stages == ["initiation", "development_and_acquisition",
                                                      "implementation", "operation_and_maintenance"]
    assert funnel_reached(ds) == [389, 307, 215, 159]


def test_the_stage_list_is_edited_as_text(federal_bytes) -> None:
    at = run_page("pages/data.py", stored_federal(federal_bytes))
    at.text_area(key="stages_text").set_value("Intake\nProof of concept\nPilot\nProduction").run()
    assert "Stages: Intake -> Proof of concept -> Pilot -> Production" in \
        next(m.value for m in at.markdown if "Not applied yet" in m.value).replace("\\", "")
    at.button(key="apply_mapping").click().run()
    with store.connect() as con:
        assert store.dataset_info(con, shown_ds(at)).stages == ["intake", "poc", "pilot", "production"]


def test_a_broken_mapping_file_says_why_and_changes_nothing(federal_bytes) -> None:
    ds = stored_federal(federal_bytes)
    at = run_page("pages/data.py", ds)
    uploader = next(u for u in at.get("file_uploader") if u.proto.id.endswith("mapping_file"))
    uploader.set_value(("m.json", b'{"stages": "intake"}', "application/json")).run()
    assert not at.exception
    assert "is not a mapping file: 'stages' in a mapping file is a list" in at.error[0].value
    assert shown_ds(at) == ds


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", b"", "empty.csv is empty"),
    ("header.csv", b"Pilot ID,Stage,Status\n", "has a header (Pilot ID, Stage, Status) but no rows"),
    ("scan.csv", b"%PDF-1.4\n%binary", "is a PDF, not a table"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "does not look like a text table"),
])
def test_bad_uploads_get_a_plain_message_and_no_traceback(name, data, message) -> None:
    at = run_page("pages/data.py")
    at.get("file_uploader")[0].set_value((name, data, "text/csv")).run()
    assert not at.exception
    assert message in at.error[0].value.replace("\\", "")


def test_an_event_log_upload_shows_events_and_pilots_built() -> None:
    log = (b"Case ID,Activity,Timestamp\nP1,Intake,2024-01-01\nP1,Pilot,2024-02-01\n"
           b"P2,Intake,2024-01-05\nP2,PoC,2024-03-01\n,Intake,2024-01-01\n")
    at = run_page("pages/data.py")
    at.get("file_uploader")[0].set_value(("history.csv", log, "text/csv")).run()
    view = run_page("pages/data.py", shown_ds(at))
    assert {m.label: m.value for m in view.metric} == {"Events read": "5", "Accepted": "4", "Rejected": "1",
                                                       "Pilots built": "2"}
    assert view.radio(key="shape_choice").value == "events"
    assert view.selectbox(key="map_timestamp").value == "Timestamp"


def test_a_workbook_sheet_is_chosen_on_the_page() -> None:
    from tests.test_tracker_exports import smartsheet_workbook

    at = run_page("pages/data.py")
    at.get("file_uploader")[0].set_value(("tracker.xlsx", smartsheet_workbook(), "application/vnd.ms-excel")).run()
    view = run_page("pages/data.py", shown_ds(at))
    assert view.selectbox(key="sheet_choice").options == ["AI Pilots", "Lookups"]
    assert {m.label: m.value for m in view.metric}["Accepted"] == "4"
    view.selectbox(key="sheet_choice").set_value("Lookups").run()
    assert not view.exception
    assert "Sheet 'Lookups' could not be read: The file has a header (Phase, Ideation) but no rows" in view.error[0].value.replace("\\", "")


def test_each_guess_is_explained_in_words_under_its_column() -> None:
    from tests.test_evidence import inventory_2025

    data, _ = inventory_2025()
    with store.connect() as con:
        ds = store.ingest(con, data, "inventory.csv")
    at = run_page("pages/data.py", ds)
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any(c.startswith("The header 'id' is a usual name for it; 80% of rows filled, 100% of the values "
                            "distinct, short codes") for c in captions), captions
    assert any("of values read as dates" in c for c in captions)
    infos = " ".join(i.value.replace("\\", "") for i in at.info)
    assert "80 row(s) have no pilot ID in column 'id'" in infos and "2025 format" in infos
    assert not at.warning or "status:" not in at.warning[0].value  # stage words are not unmapped statuses
