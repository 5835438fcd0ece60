"""The mapping file: round trips, plain errors, and a user mapping that gives a known funnel."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.__main__ import main
from analysis.cli.summary import analyse_file, summary
from analysis.ingest import mapping as mapping_module
from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload

ROOT = Path(__file__).resolve().parent.parent
FEDERAL_MAPPING = ROOT / "data" / "mappings" / "federal_ai_inventory_2023.json"
# The federal inventory's Development_Stage counts (pandas: read_csv(...).Development_Stage
# .value_counts(dropna=False)), grouped by data/mappings/federal_ai_inventory_2023.json by hand:
#   initiation 74 + 7 + 1 = 82; development_and_acquisition 81 + 6 + 2 + 1 + 1 + 1 = 92;
#   implementation 50 + 1 + 1 + 1 + 1 + 1 + 1 = 56; operation_and_maintenance 91 + 27 + 26 + 6 + 3 + 2
#   + 1 + 1 + 1 + 1 = 159; blank 321. Reached = that stage or a later one.
FEDERAL_FUNNEL = [389, 307, 215, 159]

names = st.text(alphabet=string.ascii_letters + string.digits + " _-/()'é", min_size=1, max_size=20)
ids = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,2}", fullmatch=True)  # stage and value ids
mappings = st.builds(
    Mapping,
    columns=st.dictionaries(st.sampled_from(["pilot_id", "name", "stage", "status", "start_date", "timestamp"]),
                            st.none() | names, max_size=6),
    values=st.dictionaries(st.sampled_from(["stage", "status", "failure_cause", "sourcing"]),
                           st.dictionaries(names, st.none() | ids, max_size=5), max_size=4),
    stages=st.lists(ids, min_size=2, max_size=6, unique=True),
    date_formats=st.dictionaries(names, st.sampled_from(["ymd", "dmy", "mdy"]), max_size=3),
    shape=st.sampled_from([None, "wide", "events"]),
)


@given(mappings)
@settings(max_examples=200, deadline=None)
def test_a_mapping_written_and_read_back_is_the_same_mapping(mapping: Mapping) -> None:
    again = Mapping.from_json(mapping.to_json())
    assert (again.columns, again.values, again.stages, again.date_formats, again.shape) == \
        (mapping.columns, mapping.values, mapping.stages, mapping.date_formats, mapping.shape)
    assert again.to_json() == mapping.to_json()


def test_the_design_mapping_file_reads_with_the_default_stages() -> None:
    text = '{"columns": {"pilot_id": "Key"}, "values": {"stage": {"Idea": "intake"}, "status": {"Killed": null}}}'
    mapping = Mapping.from_json(text)
    assert mapping.columns == {"pilot_id": "Key"}
    assert mapping.values == {"stage": {"Idea": "intake"}, "status": {"Killed": None}}
    assert mapping.stages == ["intake", "scoping", "poc", "pilot", "production"] and mapping.shape is None


def test_stage_names_written_as_words_become_stage_ids() -> None:
    text = json.dumps({"stages": ["Initiated", "Acquisition and/or Development", "Operation and Maintenance"],
                       "values": {"stage": {"O&M": "Operation and Maintenance", "Idea": "initiated"}},
                       "columns": {"Operation and Maintenance_date": "Went live"}})
    mapping = Mapping.from_json(text)
    assert mapping.stages == ["initiated", "acquisition_and_or_development", "operation_and_maintenance"]
    assert mapping.values["stage"] == {"O&M": "operation_and_maintenance", "Idea": "initiated"}
    assert mapping.columns == {"operation_and_maintenance_date": "Went live"}


@pytest.mark.parametrize("text, message", [
    ("{not json", "The mapping file is not valid JSON"),
    ("[1, 2]", "A mapping file is a JSON object"),
    ('{"columns": ["pilot_id"]}', "'columns' in a mapping file is an object"),
    ('{"columns": {"pilot_id": 3}}', "maps 'pilot_id' to 3; a name is expected"),
    ('{"stages": "intake, poc"}', "'stages' in a mapping file is a list of stage names"),
    ('{"stages": []}', "'stages' in a mapping file is a list of stage names"),
    ('{"stages": ["Pilot", " - "]}', "'stages' in a mapping file is a list of stage names"),
    ('{"stages": ["PoC", "poc", "Pilot"]}', "'stages' in a mapping file names poc more than once"),
    ('{"date_formats": {"Start": "yyyy-mm-dd"}}', "A date format is ymd, dmy or mdy, not yyyy-mm-dd"),
    ('{"shape": "long"}', "'shape' in a mapping file is \"wide\" or \"events\""),
])
def test_a_broken_mapping_file_gets_a_plain_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace('"', '"')):
        Mapping.from_json(text)


def test_the_federal_inventory_under_its_mapping_file_gives_the_hand_counted_funnel(federal_bytes) -> None:
    mapping = Mapping.from_json(FEDERAL_MAPPING.read_text())
    result = summary(analyse_file(federal_bytes, "federal.csv", mapping))
    assert result["stages"] == ["initiation", "development_and_acquisition", "implementation",
                                "operation_and_maintenance"]
    assert [f["reached"] for f in result["funnel"]] == FEDERAL_FUNNEL
    assert result["rows"] == {"read": 710, "accepted": 710, "rejected": 0}
    assert result["unmapped_values"]["stage"] == []
    assert result["outcomes"]["production"] == 159  # the last stage is production
    assert "321 pilot(s) have no stage" in " ".join(result["notes"])


def test_without_a_mapping_the_federal_inventory_gets_its_own_stages_in_order(federal_bytes, monkeypatch,
                                                                               tmp_path) -> None:
    monkeypatch.setattr(mapping_module, "KNOWN_FORMATS", tmp_path)  # its shipped profile removed: the guess alone
    result = summary(analyse_file(federal_bytes, "federal.csv"))
    assert result["mapping"]["stage"] == "Development_Stage" and result["mapping"]["pilot_id"] == "Use_Case_ID"
    assert result["stages"] == ["initiation", "development_and_acquisition", "implementation",
                                "operation_and_maintenance"]
    assert result["rows"] == {"read": 710, "accepted": 710, "rejected": 0} and result["pilots"] == 710
    assert result["unmapped_values"]["stage"] == []
    # 389 use cases have a stage (321 blank); the shipped mapping, a person's reading, gives 389 307 215 159
    assert [f["reached"] for f in result["funnel"]] == [389, 305, 213, 159]


def test_the_command_line_takes_the_same_mapping_file(federal_bytes, tmp_path, capsys) -> None:
    export = tmp_path / "federal.csv"
    export.write_bytes(federal_bytes)
    assert main(["summary", str(export), "--mapping", str(FEDERAL_MAPPING)]) == 0
    assert [f["reached"] for f in json.loads(capsys.readouterr().out)["funnel"]] == FEDERAL_FUNNEL


def test_the_command_line_says_plainly_when_the_mapping_file_is_broken(tmp_path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text("{oops")
    export = tmp_path / "e.csv"
    export.write_text("Pilot ID,Stage\nP1,PoC\n")
    run = subprocess.run([sys.executable, "-m", "analysis", "summary", str(export), "--mapping", str(bad)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2
    assert "The mapping file is not valid JSON" in run.stderr and "Traceback" not in run.stderr


def test_a_mapping_naming_columns_the_file_lacks_is_used_for_the_rest() -> None:
    raw = read_upload(b"Key,Phase,Outcome\nK1,Pilot,Stopped\nK2,Idea,Active\n", "e.csv")
    mapping = Mapping(columns={"pilot_id": "Key", "stage": "Lifecycle"},
                      values={"status": {"Stopped": "cancelled", "Active": "bogus"}})
    d = derive_upload(raw, mapping)
    assert d.mapping.columns["pilot_id"] == "Key" and d.mapping.columns["stage"] == "Phase"
    assert d.pilots["status"].tolist() == ["cancelled", "active"]
    notes = " ".join(d.notes)
    assert "this file does not have, so they were guessed instead: stage -> 'Lifecycle'" in notes
    assert "maps status value(s) to ids that do not exist ('Active' -> 'bogus')" in notes


def test_a_dataset_with_its_own_stages_maps_its_values_onto_them() -> None:
    text = ("ID,Phase\n1,Initiated\n2,Acquisition and/or Development\n3,Implementation and Assessment\n"
            "4,Operation and Maintenance\n5,Operation and Maintenance\n")
    stages = ["initiated", "acquisition_and_or_development", "implementation_and_assessment",
              "operation_and_maintenance"]
    d = derive_upload(read_upload(text.encode(), "e.csv"), Mapping(stages=stages))
    assert d.pilots["stage"].tolist() == stages + ["operation_and_maintenance"]
    assert d.pilots["status"].tolist() == ["active"] * 3 + ["production"] * 2
