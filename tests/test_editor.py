"""The mapping editor's tables and edits (analysis/ingest/editor.py), on small frames with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest import editor
from analysis.ingest.mapping import Mapping, complete_mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import cleaned

FEDERAL_STAGES = ["initiation", "development_and_acquisition", "implementation", "operation_and_maintenance"]


def cells_of(text: str) -> pd.DataFrame:
    return cleaned(read_upload(text.encode(), "e.csv")).cells


EXPORT = cells_of("Key,Phase,Outcome\nK1,Idea,Killed\nK2,Gate 3,Active\nK3,Gate 3,Active\nK4,Live,\n")
COUNTS = editor.column_counts(EXPORT)


def test_value_table_lists_each_value_with_its_count_and_guess() -> None:
    mapping = complete_mapping(None, EXPORT)
    table = editor.value_table(COUNTS, mapping, "stage")
    assert table.values.tolist() == [["Gate 3", 2, None], ["Idea", 1, "intake"], ["Live", 1, "production"]]
    assert editor.value_table(COUNTS, mapping, "status").values.tolist() == [["Active", 2, "active"],
                                                                            ["Killed", 1, "cancelled"]]
    assert editor.value_table(COUNTS, mapping, "failure_cause").empty  # no cause column


def test_column_table_shows_each_field_with_its_source_and_confidence() -> None:
    table = editor.column_table(complete_mapping(None, EXPORT)).set_index("field")
    assert table.loc["pilot_id", "source"] == "Key" and table.loc["pilot_id", "confidence"] == 1.0
    assert table.loc["stage", "source"] == "Phase"
    assert table.loc["budget", "source"] is None and pd.isna(table.loc["budget", "confidence"])
    assert table.loc["poc_date", "label"] == "Date entered Proof of concept"


@pytest.mark.parametrize("text, stages", [
    ("Intake\nProof of concept\nPilot\nProduction", ["intake", "poc", "pilot", "production"]),
    ("Initiated\nAcquisition and/or Development\n\nImplementation and Assessment\nOperation and Maintenance\n",
     ["initiated", "acquisition_and_or_development", "implementation_and_assessment", "operation_and_maintenance"]),
    ("poc\nPoC\nPilot", ["poc", "pilot"]),
])
def test_the_stage_list_is_read_one_per_line(text: str, stages: list[str]) -> None:
    assert editor.parse_stages(text, ["intake", "scoping", "poc", "pilot", "production"]) == stages


@pytest.mark.parametrize("text, message", [("Only one", "at least two stages"), ("", "at least two stages"),
                                           ("\n".join(f"s{i}" for i in range(13)), "at most 12 stages")])
def test_an_unusable_stage_list_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        editor.parse_stages(text)


def test_an_edit_overrides_columns_and_values_and_is_listed_before_it_is_applied() -> None:
    base = complete_mapping(None, EXPORT)
    edited = editor.edited_mapping(base, {"stage": "Phase", "status": None}, {"stage": {"Gate 3": "pilot"}},
                                   base.stages)
    assert edited.columns["status"] is None  # cleared by the user: not guessed again
    assert edited.values["stage"]["Gate 3"] == "pilot"
    assert editor.changes(base, edited) == ["Status: Outcome -> (none)",
                                            "Stage value 'Gate 3': (not mapped) -> pilot"]
    assert base.values["stage"]["Gate 3"] is None  # the base mapping is left as it was
    d = derive_upload(read_upload(b"Key,Phase,Outcome\nK1,Idea,Killed\nK2,Gate 3,Active\n", "e.csv"), edited)
    assert d.pilots["stage"].tolist() == ["intake", "pilot"] and d.pilots["status"].tolist() == ["active"] * 2


def test_a_new_stage_list_guesses_its_values_again(federal_bytes) -> None:
    cells = cleaned(read_upload(federal_bytes, "federal.csv")).cells
    base = complete_mapping(Mapping(), cells)  # a mapping with the default stages (none is taken from the values)
    staged = editor.with_stages(base, FEDERAL_STAGES, editor.column_counts(cells))
    values = staged.values["stage"]
    # Named like the default stages they stand for, the dataset's own stages take over their names:
    assert values["Operation and Maintenance"] == "operation_and_maintenance"
    assert values["In-use"] == "operation_and_maintenance"  # "in use" is a name of production
    assert values["Development and Acquisition"] == "development_and_acquisition"
    assert values["Initiation"] == "initiation"
    assert values["This is a pilot initiative"] == "implementation"  # "pilot" -> the implementation stage
    assert values["In mission"] == "operation_and_maintenance"
    assert editor.changes(base, staged)[-1] == ("Stages: Initiation -> Development and acquisition -> "
                                                "Implementation -> Operation and maintenance")


def test_switching_to_an_event_log_keeps_only_the_fields_a_log_has() -> None:
    base = Mapping(columns={"pilot_id": "Key", "start_date": "Opened", "poc_date": "PoC Date", "stage": "Phase"})
    edited = editor.edited_mapping(base, {"timestamp": "Opened"}, {}, base.stages, shape="events")
    assert edited.shape == "events"
    assert edited.columns == {"pilot_id": "Key", "stage": "Phase", "timestamp": "Opened"}
    assert "Each row is a stage change (event log)" in editor.changes(base, edited)


def test_restaging_keeps_values_the_user_left_unmapped() -> None:
    mapping = Mapping(values={"stage": {"A": "poc", "B": None, "C": "production"}},
                      columns={"poc_date": "PoC", "production_date": "Live"})
    restaged = editor.restaged(mapping, ["idea", "poc", "done"])
    assert restaged.values["stage"] == {"A": "poc", "B": None}
    assert restaged.columns == {"poc_date": "PoC"}


def test_column_counts_keep_what_the_editor_needs_and_leave_out_id_columns() -> None:
    ids = [f"P{i}" for i in range(editor.MAX_DISTINCT + 1)]
    cells = pd.DataFrame({"ID": ids, "Stage": ["PoC", "Pilot", ""] * (len(ids) // 3)})
    counts = editor.column_counts(cells)
    assert list(counts) == ["Stage"]
    assert counts["Stage"].to_dict() == {"PoC": len(ids) // 3, "Pilot": len(ids) // 3}
