"""The guess on evidence (analysis/ingest/evidence.py, mapping.guess_evidence): one test per rule of
issue 13, each on a file whose right answer is known by construction, and a property: columns of
questions or free text added to an export never change what was guessed right."""

from __future__ import annotations

import csv
import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli.summary import analyse_file, summary
from analysis.ingest import mapping as mapping_module
from analysis.ingest.evidence import is_missing, is_question
from analysis.ingest.mapping import complete_mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload
from tests.builders import make_portfolio, pilot

QUESTIONS = [
    "What are the key risks from using the AI for this particular use case and how were they identified?",
    "Is there an established appeal process in the event that an individual would like to appeal an AI decision?",
    "Has the agency consulted the public on the end date of this use case?",
    "Does this AI use case involve personally identifiable information (PII) that is maintained by the agency?",
]
STAGES_2025 = {"Pre-deployment": 0, "Pilot": 1, "Deployed": 2, "Retired": 2}  # Retired: was deployed


def csv_text(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([headers, *rows])
    return out.getvalue().encode(encoding)


def inventory_2025(n: int = 400, seed: int = 1) -> tuple[bytes, dict[str, int]]:
    """A use case inventory written as agencies publish it: `id` empty on a fifth of the rows, the stage
    as the official long phrase or its head, dates as month/year or a year alone, long question columns
    whose answers are sentences. Also the stage counts it was built with."""
    rng = random.Random(seed)
    headers = ["Use Case Name", "id", "Agency", "Stage of Development", "Date Initiated",
               "Date Implemented", *QUESTIONS, "Use Case Summary"]
    spelled = {"Pre-deployment": "a) Pre-deployment – The use case is in a development or acquisition status.",
               "Pilot": "b) Pilot – The use case has been deployed in a limited test or pilot capacity.",
               "Deployed": "c) Deployed – The use case is being actively authorized or utilized to support "
                           "the functions or mission of an agency.",
               "Retired": "Retired"}
    rows, counts = [], dict.fromkeys(STAGES_2025, 0)
    for i in range(n):
        stage = rng.choice(list(STAGES_2025))
        counts[stage] += 1
        rows.append([
            f"Model {i} for {rng.choice(['claims', 'grants', 'mail', 'forecasts'])}",
            "" if i % 5 == 4 else f"{rng.choice(['DOE', 'HHS', 'DHS'])}-{i:04d}",
            rng.choice(["Department of Energy", "Department of Health and Human Services", "Department of State"]),
            spelled[stage] if rng.random() < 0.5 else stage,
            rng.choice([f"{rng.randint(1, 12):02d}/2024", "2023", f"2024-{rng.randint(1, 12):02d}"]),
            f"{rng.randint(1, 9):02d}/2025" if stage in ("Deployed", "Retired") else "",
            rng.choice(["The main risks are bias and privacy; they were identified in a review by the team.",
                        "Key risks were found through testing with the users and an external assessment."]),
            rng.choice(["Yes", "No", "N/A"]),
            rng.choice(["No, the public was not consulted on the end date of this use case.", ""]),
            rng.choice(["Yes", "No"]),
            "A model that reads the incoming documents and routes them to the right office for review.",
        ])
    return csv_text(headers, rows), counts


def test_a_question_header_is_never_taken_for_an_id_a_stage_or_a_date() -> None:
    assert is_question(QUESTIONS[0]) and is_question(QUESTIONS[1]) and not is_question("Key")
    data, _ = inventory_2025()
    columns = derive_upload(read_upload(data, "inventory.csv")).mapping.columns
    assert columns["pilot_id"] == "id" and columns["stage"] == "Stage of Development"
    assert columns["start_date"] == "Date Initiated"
    assert not set(QUESTIONS) & {h for f, h in columns.items() if h and f != "name"}


def test_rows_without_an_id_are_pilots_named_by_their_line() -> None:
    data, counts = inventory_2025()
    d = derive_upload(read_upload(data, "inventory.csv"))
    assert d.row_counts() == {"read": 400, "accepted": 400, "rejected": 0}
    assert d.pilots["pilot_id"].str.startswith("row-").sum() == 80  # every fifth row has no id
    assert d.pilots.loc[4, "pilot_id"] == "row-6"  # the fifth use case, on line 6
    assert any(n.startswith("80 row(s) have no pilot ID in column 'id'") for n in d.notes)


def test_placeholders_are_missing_ids_not_a_repeated_one() -> None:
    assert all(is_missing(v) for v in ["N/A", "n/a", "None", "TBD", "-", "", "  ", "—"])
    assert not any(is_missing(v) for v in ["NA-1", "P1", "Total", "0"])
    rows = [pilot(1), pilot(2, pilot_id="N/A"), pilot(3, pilot_id="TBD"), pilot(4, pilot_id="N/A"),
            pilot(5, pilot_id="-"), pilot(6, pilot_id="P001")]
    d = derive_upload(read_upload(make_portfolio(rows), "t.csv"))
    assert d.pilots["pilot_id"].tolist() == ["P001", "row-3", "row-4", "row-5", "row-6"]
    assert d.rejected["reason"].tolist() == ["pilot ID 'P001' repeats line 2 with different data; keep one of "
                                             "the two rows"]


def test_dates_of_a_month_a_quarter_or_a_year_are_read_as_its_first_day_and_flagged() -> None:
    rows = [pilot(1, start_date="01/2024"), pilot(2, start_date="2024-03"), pilot(3, start_date="Jan 2024"),
            pilot(4, start_date="2025"), pilot(5, start_date="Q3 2024"), pilot(6, start_date="2024-05-17")]
    d = derive_upload(read_upload(make_portfolio(rows), "t.csv"))
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01", "2024-03-01", "2024-01-01", "2025-01-01", "2024-07-01", "2024-05-17"]
    assert "5 date(s) in column 'Start Date' give only a month, a quarter or a year" in " ".join(d.notes)
    assert not any(p["column"] == "Start Date" for p in d.problems)


def test_a_2025_inventory_gets_its_official_stages_and_retired_counts_as_deployed() -> None:
    data, counts = inventory_2025()
    result = summary(analyse_file(data, "inventory.csv"))
    assert result["stages"] == ["pre_deployment", "pilot", "deployed"]
    assert result["unmapped_values"]["stage"] == []
    reached = [sum(n for s, n in counts.items() if STAGES_2025[s] >= k) for k in range(3)]
    assert [f["reached"] for f in result["funnel"]] == reached == [400, reached[1], counts["Deployed"] + counts["Retired"]]
    assert any("2025 format" in n for n in result["notes"])  # the lifecycle taken is said


def test_a_jira_resolution_column_is_the_cause_when_its_values_read_as_causes() -> None:
    headers = ["Issue key", "Summary", "Status", "Resolution", "Created", "Custom field (Business Unit)"]
    rows = [["AI-1", "Chatbot", "Done", "Won't Do", "15/Jan/24 10:22 AM", "Sales"],
            ["AI-2", "Forecast", "Done", "Done", "02/Feb/24 9:00 AM", "Finance"],
            ["AI-3", "OCR", "Cancelled", "No business case", "03/Mar/24 1:00 PM", "Ops"],
            ["AI-4", "Triage", "Cancelled", "Data not available", "04/Apr/24 2:00 PM", "Ops"],
            ["AI-5", "Search", "In Progress", "Unresolved", "05/May/24 3:00 PM", "HR"]]
    result = summary(analyse_file(csv_text(headers, rows), "jira.csv"))
    assert result["mapping"]["failure_cause"] == "Resolution"
    assert result["mapping"]["business_unit"] == "Custom field (Business Unit)"
    causes = {c["cause"]: c["count"] for c in result["failure_causes"]}
    assert causes == {"unclear_value": 1, "data_quality": 1}


def test_a_known_format_is_recognised_and_its_guess_holds_without_the_profile(federal_bytes, monkeypatch,
                                                                             tmp_path) -> None:
    shipped = summary(analyse_file(federal_bytes, "federal.csv"))
    assert shipped["notes"][0].startswith("Recognised as the U.S. federal AI use case inventory, 2023 format")
    monkeypatch.setattr(mapping_module, "KNOWN_FORMATS", tmp_path)
    guessed = summary(analyse_file(federal_bytes, "federal.csv"))
    assert not any(n.startswith("Recognised") for n in guessed["notes"])
    for field in ("pilot_id", "stage", "business_unit", "name"):
        assert guessed["mapping"][field] == shipped["mapping"][field], field
    assert guessed["stages"] == shipped["stages"]


def test_the_evidence_is_said_in_words() -> None:
    data, _ = inventory_2025()
    m = derive_upload(read_upload(data, "inventory.csv")).mapping
    assert "of rows filled" in m.evidence["pilot_id"] and "distinct" in m.evidence["pilot_id"]
    assert "read as dates" in m.evidence["start_date"]


FILLER = st.sampled_from(QUESTIONS + ["Notes", "Comments from the review board", "Description of the benefits"])
ANSWERS = st.sampled_from(["Yes", "No", "", "N/A", "We reviewed the data with the privacy office in 2024.",
                           "The team will assess this in the next quarter and report back to the board."])


@given(st.lists(st.tuples(FILLER, st.integers(0, 10)), min_size=1, max_size=4, unique_by=lambda t: t[0]),
       st.lists(ANSWERS, min_size=12, max_size=12), st.randoms())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_question_and_free_text_columns_never_change_a_right_guess(extra, answers, rng) -> None:
    base = [pilot(i, stage=s, status=t, failure_cause=c, start_date=f"2024-0{1 + i % 9}-01")
            for i, (s, t, c) in enumerate([("PoC", "Active", ""), ("Pilot", "Cancelled", "No budget"),
                                           ("Production", "Live", ""), ("Intake", "On hold", ""),
                                           ("Scoping", "Cancelled", "Data quality issues"),
                                           ("Pilot", "Active", "")] * 2, start=1)]
    raw = read_upload(make_portfolio(base), "t.csv")
    before = complete_mapping(None, raw.cells).columns
    headers = list(raw.cells.columns)
    for header, at in extra:
        headers.insert(min(at, len(headers)), header)
    rows = [{**row, **{h: rng.choice(answers) for h, _ in extra}} for row in base]
    widened = read_upload(make_portfolio(rows, headers=headers), "t.csv")
    after = complete_mapping(None, widened.cells).columns
    assert {f: after.get(f) for f, h in before.items() if h} == {f: h for f, h in before.items() if h}
