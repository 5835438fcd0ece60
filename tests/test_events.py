"""Event logs (one row per stage change) -> pilots with stage entry dates; known answers by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.cli.summary import analyse_file, summary
from analysis.ingest.events import is_event_log, parse_timestamps
from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived

# A process-mining export (XES attribute names), activities in the tracker's own words.
PROCESS_LOG = """case:concept:name,concept:name,time:timestamp,Team
A1,Submitted,2024-01-03T09:00:00,Support
A1,Proof of concept,2024-02-10T10:00:00,Support
A1,Pilot,2024-04-01T08:00:00,Support
A1,Go live,2024-07-01T08:00:00,Operations
A2,Submitted,2024-01-05T09:00:00,Finance
A2,Business case,2024-02-01T09:00:00,Finance
A2,Cancelled,2024-03-15T16:30:00,Finance
A3,Submitted,2024-03-01T09:00:00,HR
A3,Proof of concept,2024-03-20T09:00:00,
"""

# A Jira status history: the workflow status is both the stage and the outcome.
JIRA_HISTORY = """Issue key,Summary,From Status,To Status,Changed,Team
AI-1,Chatbot,,Idea,02/01/2024 09:00,Support
AI-1,Chatbot,Idea,Discovery,20/01/2024 09:00,Support
AI-1,Chatbot,Discovery,In Pilot,01/03/2024 09:00,Support
AI-1,Chatbot,In Pilot,Won't Do,01/05/2024 09:00,Support
AI-2,Forecast,,Idea,01/02/2024 09:00,Finance
AI-2,Forecast,Idea,Live,01/06/2024 09:00,Finance
AI-2,Forecast,Live,Retired,01/01/2025 09:00,Finance
"""

# A ServiceNow-style audit with its own status and cause columns, and every kind of bad event row.
AUDIT_LOG = """Number,Stage,Updated,State,Close reason
P1,Intake,2024-01-02 09:00,Active,
P1,Scoping,2024-02-01 10:00,Active,
P1,PoC,2024-03-01 10:00,Active,
P1,PoC,2024-03-01 17:45,Cancelled,Data quality
P2,Intake,2024-01-05,Active,
P2,Pilot,2024-04-01,Active,
P2,Production,2024-06-01,Live,
P3,Intake,2024-02-01,,
,Scoping,2024-02-10,,
P3,Scoping,not a date,,
P3,Scoping,2999-01-01,,
P2,Intake,2024-01-05,Active,
,,,,
Total,,,,
"""
TODAY = dt.date(2026, 11, 1)


def derived(text: str, mapping: Mapping | None = None) -> Derived:
    return derive_upload(read_upload(text.encode(), "log.csv"), mapping, today=TODAY)


def iso(frame: pd.DataFrame, column: str) -> list[str]:
    return frame[column].dt.strftime("%Y-%m-%d").fillna("").tolist()


def test_a_process_mining_log_becomes_pilots_with_stage_entry_dates() -> None:
    d = derived(PROCESS_LOG)
    assert d.shape == "events"
    p = d.pilots
    assert p["pilot_id"].tolist() == ["A1", "A2", "A3"]
    assert p["stage"].tolist() == ["production", "scoping", "poc"]
    assert p["status"].tolist() == ["production", "cancelled", "active"]
    assert iso(p, "start_date") == ["2024-01-03", "2024-01-05", "2024-03-01"]
    assert iso(p, "last_update") == ["2024-07-01", "2024-03-15", "2024-03-20"]
    assert iso(p, "end_date") == ["", "2024-03-15", ""]
    assert iso(p, "intake_date") == ["2024-01-03", "2024-01-05", "2024-03-01"]
    assert iso(p, "scoping_date") == ["", "2024-02-01", ""]
    assert iso(p, "poc_date") == ["2024-02-10", "", "2024-03-20"]
    assert iso(p, "pilot_date") == ["2024-04-01", "", ""]
    assert iso(p, "production_date") == ["2024-07-01", "", ""]
    assert p["business_unit"].tolist() == ["Operations", "Finance", "HR"]  # the last value each carried
    assert p["row"].tolist() == [2, 6, 9]  # the line of each pilot's first event
    assert d.row_counts() == {"read": 9, "accepted": 9, "rejected": 0}
    assert d.unmapped["stage"] == []


def test_a_jira_status_history_reads_stage_and_outcome_from_one_column() -> None:
    d = derived(JIRA_HISTORY)
    assert d.mapping.columns["stage"] == "To Status"
    assert d.mapping.columns["previous"] == "From Status"
    assert d.mapping.columns["timestamp"] == "Changed"
    p = d.pilots
    assert p[["pilot_id", "name", "stage", "status"]].values.tolist() == [
        ["AI-1", "Chatbot", "pilot", "cancelled"], ["AI-2", "Forecast", "production", "retired"]]
    assert iso(p, "pilot_date") == ["2024-03-01", ""]  # day-first dates: 20/01 settles the order
    assert iso(p, "production_date") == ["", "2024-06-01"]
    assert iso(p, "end_date") == ["2024-05-01", "2025-01-01"]
    assert "x_from_status" not in p.columns
    result = summary(analyse_file(JIRA_HISTORY.encode(), "jira.csv", as_of=dt.date(2025, 6, 30)))
    assert [f["reached"] for f in result["funnel"]] == [2, 2, 2, 2, 1]
    assert result["outcomes"]["retired"] == 1 and result["outcomes"]["cancelled"] == 1
    assert result["shape"] == "events"


def test_bad_events_are_rejected_with_reasons_and_every_row_is_counted() -> None:
    d = derived(AUDIT_LOG)
    assert d.shape == "events"
    assert d.rejected[["row", "reason"]].values.tolist() == [
        [10, "no pilot ID; give the event its pilot's ID or remove the row"],
        [11, "'not a date' is not a date that can be read, so the event cannot be placed"],
        [12, "'2999-01-01' is in the future, so the event cannot be placed"],
        [13, "an exact copy of the event on line 6"],
        [14, "the row is empty"],
        [15, "a total line, not an event"]]
    # Rows read = accepted events + rejected events; the pilots built are counted apart.
    assert d.row_counts() == {"read": 14, "accepted": 8, "rejected": 6}
    assert len(d.pilots) == 3
    p = d.pilots
    assert p[["pilot_id", "stage", "status"]].values.tolist() == [
        ["P1", "poc", "cancelled"], ["P2", "production", "production"], ["P3", "intake", "active"]]
    assert p["failure_cause"].fillna("").tolist() == ["data_quality", "", ""]
    assert iso(p, "end_date") == ["2024-03-01", "", ""]
    assert {(q["row"], q["column"]) for q in d.problems} >= {(10, "Number"), (11, "Updated"), (14, "")}


def test_the_time_of_day_orders_events_of_one_day() -> None:
    log = ("Case ID,Activity,Timestamp,Status\n"
           "P1,Pilot,2024-05-01 17:00,Cancelled\n"
           "P1,Pilot,2024-05-01 09:00,Active\n"
           "P1,Intake,2024-04-01 09:00,Active\n")
    p = derived(log).pilots
    assert p["status"].tolist() == ["cancelled"]  # the 17:00 event is the last, whatever the file order
    assert iso(p, "start_date") == ["2024-04-01"]


def test_timestamps_in_any_common_format() -> None:
    values = pd.Series(["2024-01-02", "2024-01-02T10:30:00", "2024-01-02 10:30:00+02:00", "03/04/2024 10:07",
                        "12 Mar 2024", "45366", "x", ""])
    got = parse_timestamps(values, "dmy").dt.strftime("%Y-%m-%d %H:%M").fillna("").tolist()
    # 45366 is Excel's serial number of 2024-03-15.
    assert got == ["2024-01-02 00:00", "2024-01-02 10:30", "2024-01-02 10:30", "2024-04-03 10:07",
                   "2024-03-12 00:00", "2024-03-15 00:00", "", ""]


def test_a_mapping_file_can_name_the_event_columns_of_an_odd_export() -> None:
    log = ("Ref,Milestone reached,When,Notes\n"
           "X1,Gate 1,2024-01-01,\nX1,Gate 2,2024-02-01,\nX1,Gate 3,2024-03-01,\n"
           "X2,Gate 1,2024-01-15,\nX2,Gate 4,2024-05-01,shipped\n")
    mapping = Mapping(columns={"pilot_id": "Ref", "stage": "Milestone reached", "timestamp": "When"},
                      values={"stage": {"Gate 1": "idea", "Gate 2": "build", "Gate 3": "trial",
                                        "Gate 4": "live"}},
                      stages=["idea", "build", "trial", "live"], shape="events")
    d = derived(log, mapping)
    p = d.pilots
    assert p[["pilot_id", "stage", "status"]].values.tolist() == [["X1", "trial", "active"],
                                                                  ["X2", "live", "production"]]
    assert iso(p, "build_date") == ["2024-02-01", ""]
    assert p["x_notes"].tolist()[1] == "shipped"
    assert d.mapping.shape == "events" and d.mapping.columns["timestamp"] == "When"


def test_unmapped_activities_are_listed_and_their_pilots_kept() -> None:
    log = ("Case ID,Activity,Timestamp\nP1,Intake,2024-01-01\nP1,Legal review,2024-02-01\n"
           "P2,Legal review,2024-01-01\nP2,Legal review,2024-03-01\n")
    d = derived(log)
    assert d.unmapped["stage"] == ["Legal review"]
    assert d.pilots["stage"].tolist() == ["intake", "unknown"]
    assert iso(d.pilots, "last_update") == ["2024-02-01", "2024-03-01"]


@pytest.mark.parametrize("path", ["data/sample_portfolio.csv", "federal"])
def test_wide_exports_are_not_taken_for_event_logs(path, federal_bytes) -> None:
    from tests.conftest import ROOT

    data = federal_bytes if path == "federal" else (ROOT / path).read_bytes()
    assert not is_event_log(read_upload(data, "x.csv").cells)


def test_a_wide_export_with_repeated_ids_stays_wide() -> None:
    text = "Pilot ID,Stage,Start Date\nP1,PoC,2024-01-01\nP1,PoC,2024-01-01\nP2,Pilot,2024-02-01\nP2,Pilot,2024-02-01\n"
    d = derived(text)
    assert d.shape == "wide"
    assert d.rejected["reason"].tolist() == ["pilot ID 'P1' repeats line 2 (an exact copy)",
                                             "pilot ID 'P2' repeats line 4 (an exact copy)"]


def test_a_large_log_is_derived_without_a_per_pilot_loop() -> None:
    # 20,000 pilots x 5 events; the furthest stage of pilot i is i % 5 (hand-built, so known).
    stages = ["Intake", "Scoping", "PoC", "Pilot", "Production"]
    rows = [f"P{i},{stages[j]},2024-{j + 1:02d}-{(i % 28) + 1:02d}" for i in range(20_000) for j in range(i % 5 + 1)]
    d = derived("Case ID,Activity,Timestamp\n" + "\n".join(rows) + "\n")
    assert d.row_counts() == {"read": len(rows), "accepted": len(rows), "rejected": 0}
    assert d.pilots["stage_index"].value_counts().sort_index().tolist() == [4_000] * 5


def test_a_start_date_is_not_an_event_time() -> None:
    # Pilots that share a programme ID and have their own start dates: a wide export with repeated IDs.
    text = ("Project ID,Stage,Start Date\nPR1,PoC,2024-01-01\nPR1,Pilot,2024-02-01\nPR1,Idea,2024-03-01\n"
            "PR2,PoC,2024-01-05\nPR2,Live,2024-02-05\n")
    d = derived(text)
    assert d.shape == "wide"
    assert d.row_counts() == {"read": 5, "accepted": 2, "rejected": 3}
