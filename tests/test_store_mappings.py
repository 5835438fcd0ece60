"""Mappings in the store: re-deriving from the kept bytes, and the mapping saved per header signature."""

from __future__ import annotations

import pytest

from analysis.ingest.mapping import Mapping
from analysis.store import datasets as store

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL

EXPORT = (b"Key,Phase,Outcome,Opened\n"
          b"K1,Idea,Active,2024-01-01\nK2,Gate 3,Active,2024-02-01\nK3,Gate 3,Stopped,2024-03-01\n")
SAME_HEADERS_REORDERED = (b"phase,KEY,opened,Outcome\n"
                          b"Gate 3,K9,2024-05-01,Active\nIdea,K8,2024-06-01,Active\n")


@pytest.fixture
def con(tmp_path, monkeypatch):
    """A store of its own: saved mappings must not leak into other tests' uploads."""
    monkeypatch.setenv("PILOTS_DATA_DIR", str(tmp_path))
    with store.connect() as connection:
        yield connection


def stages_of(con, ds: str) -> list[str]:
    return con.execute(f"SELECT stage FROM {store.table_name(ds)} ORDER BY row").df()["stage"].tolist()  # noqa: S608


def test_rederive_uses_the_kept_bytes_and_leaves_the_first_dataset_as_it_was(con) -> None:
    first = store.ingest(con, EXPORT, "export.csv")
    assert stages_of(con, first) == ["intake", "unknown", "unknown"]
    info = store.dataset_info(con, first)
    edited = info.mapping.copy()
    edited.values["stage"]["Gate 3"] = "pilot"
    second = store.rederive(con, first, edited)
    assert second != first
    assert stages_of(con, second) == ["intake", "pilot", "pilot"]
    assert stages_of(con, first) == ["intake", "unknown", "unknown"]
    again = store.dataset_info(con, second)
    assert again.upload_sha == info.upload_sha and again.report["mapping_source"] == "user"
    assert again.report["unmapped_values"]["stage"] == []


def test_a_remembered_mapping_is_used_for_the_next_upload_with_the_same_headers(con) -> None:
    first = store.ingest(con, EXPORT, "export.csv")
    edited = store.dataset_info(con, first).mapping.copy()
    edited.values["stage"]["Gate 3"] = "pilot"
    store.remember_mapping(con, store.rederive(con, first, edited))
    # The next export of the same tracker: other rows, headers in another order and case.
    later = store.ingest(con, SAME_HEADERS_REORDERED, "export-june.csv")
    info = store.dataset_info(con, later)
    assert stages_of(con, later) == ["pilot", "intake"]
    assert info.report["mapping_source"] == "saved"
    assert info.report["notes"][0].startswith("The mapping saved on ")
    assert "(from export.csv) was used" in info.report["notes"][0]
    # The same bytes uploaded again are mapped the saved way, not by the first guess.
    assert stages_of(con, store.ingest(con, EXPORT, "export.csv")) == ["intake", "pilot", "pilot"]


def test_an_export_with_other_headers_is_guessed_afresh(con) -> None:
    first = store.ingest(con, EXPORT, "export.csv")
    store.remember_mapping(con, first)
    other = store.ingest(con, b"Key,Phase,Outcome\nK1,Gate 3,Active\n", "other.csv")
    assert store.dataset_info(con, other).report["mapping_source"] == "guessed"
    assert store.saved_mapping(con, other) is None
    assert store.saved_mapping(con, first) is not None


def test_the_signature_ignores_order_case_and_punctuation() -> None:
    assert store.header_signature(["Pilot ID", "Stage"]) == store.header_signature(["stage", "pilot_id"])
    assert store.header_signature(["Pilot ID", "Stage"]) != store.header_signature(["Pilot ID", "Phase"])


def test_raw_table_gives_the_upload_cells_back(con) -> None:
    ds = store.ingest(con, EXPORT, "export.csv")
    raw = store.raw_table(con, ds)
    assert list(raw.cells.columns) == ["Key", "Phase", "Outcome", "Opened"]
    assert raw.cells["Phase"].tolist() == ["Idea", "Gate 3", "Gate 3"]


def test_an_event_log_is_stored_with_its_event_counts_and_pilots(con) -> None:
    log = (b"Case ID,Activity,Timestamp\nP1,Intake,2024-01-01\nP1,Pilot,2024-02-01\n"
           b"P2,Intake,2024-01-05\nP2,PoC,2024-03-01\n,Intake,2024-01-01\n")
    info = store.dataset_info(con, store.ingest(con, log, "log.csv"))
    assert info.report["shape"] == "events"
    assert info.report["rows"] == {"read": 5, "accepted": 4, "rejected": 1}
    assert info.report["pilots"] == 2
    assert info.mapping.shape == "events" and info.mapping.columns["timestamp"] == "Timestamp"
    assert store.rejected_rows(con, info.id)["reason"].tolist() == [
        "no pilot ID; give the event its pilot's ID or remove the row"]


def test_a_user_mapping_can_turn_a_file_into_an_event_log(con) -> None:
    # Too few repeats to be recognised as a log by its shape; the user says it is one.
    data = b"Ref,Milestone,When\nX1,Idea,2024-01-01\nX1,Pilot,2024-03-01\nX2,Idea,2024-02-01\nX3,Idea,2024-02-05\n"
    first = store.ingest(con, data, "m.csv")
    assert store.dataset_info(con, first).report["shape"] == "wide"
    events = store.rederive(con, first, Mapping(columns={"pilot_id": "Ref", "stage": "Milestone",
                                                         "timestamp": "When"}, shape="events"))
    assert stages_of(con, events) == ["pilot", "intake", "intake"]


def test_a_report_lists_a_bounded_number_of_problems_and_says_how_many_there_were(con, monkeypatch) -> None:
    monkeypatch.setattr(store, "MAX_REPORTED_PROBLEMS", 3)
    data = b"Pilot ID,Stage,Budget\n" + b"".join(b"P%d,PoC,lots\n" % i for i in range(5))
    report = store.dataset_info(con, store.ingest(con, data, "bad.csv")).report
    assert report["problems_total"] == 5 and [p["row"] for p in report["problems"]] == [2, 3, 4]
    assert "5 problems were found; the first 3 are listed." in report["notes"][-1]
    assert report["rows"] == {"read": 5, "accepted": 5, "rejected": 0}
