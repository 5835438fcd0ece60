"""Headers and values to canonical fields, case- and punctuation-insensitively; nothing unknown dropped."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest.mapping import Mapping, complete_mapping, guess_columns, value_match
from analysis.schema import CAUSE_SYNONYMS, DEFAULT_STAGES, STAGE_SYNONYMS, STATUS_SYNONYMS


def _cells(headers, rows=()):
    return pd.DataFrame(list(rows) or [[""] * len(headers)], columns=headers, dtype="str")


def test_tracker_headers_map_to_canonical_fields():
    headers = ["Issue key", "Summary", "Division", "Category", "Build/Buy", "Executive Sponsor", "Created",
               "Phase", "Status", "Cancellation reason", "Resolved", "Updated", "Budget (USD k)", "Actual cost",
               "PoC date", "Date entered production"]
    columns, confidence = guess_columns(headers, _cells(headers), DEFAULT_STAGES)
    assert columns == {
        "pilot_id": "Issue key", "name": "Summary", "business_unit": "Division", "use_case": "Category",
        "sourcing": "Build/Buy", "sponsor": "Executive Sponsor", "start_date": "Created", "stage": "Phase",
        "status": "Status", "failure_cause": "Cancellation reason", "end_date": "Resolved",
        "last_update": "Updated", "budget": "Budget (USD k)", "spend": "Actual cost",
        "poc_date": "PoC date", "production_date": "Date entered production"}
    # Empty cells: the headers alone decide, an exact name more surely than a phrase in a longer header
    assert confidence["budget"] < confidence["pilot_id"] and confidence["budget"] >= 0.3


def test_partial_header_for_a_coded_field_needs_values_that_agree():
    headers = ["ID", "Source Code"]
    rows = [["1", "https://github.com/x"], ["2", "none"]]
    columns, _ = guess_columns(headers, _cells(headers, rows), DEFAULT_STAGES)
    assert "sourcing" not in columns  # 'source' in the header, but the values are not build/buy/partner


@pytest.mark.parametrize("value, stage", [
    ("PoC", "poc"), ("Proof-of-Concept", "poc"), ("proof of concept", "poc"), ("  POC ", "poc"),
    ("Live", "production"), ("Deployed", "production"), ("In production: more than 1 year", "production"),
    ("Operation and Maintenance", "production"), ("Initiation", "intake"), ("Trial", "pilot"),
    ("Planned (not in production)", "intake"), ("Successfully tested but not in production.", None),
    ("In mission", "production"), ("a) Pre-deployment – The use case is in a development or acquisition status.", "scoping"),
    ("c) Deployed – The use case is being actively authorized or utilized", "production"), ("Retired", "production"),
])
def test_stage_values(value, stage):
    assert value_match(value, STAGE_SYNONYMS)[0] == stage


@pytest.mark.parametrize("value, status", [
    ("Killed", "cancelled"), ("Stopped", "cancelled"), ("Abandoned", "cancelled"), ("On-Hold", "on_hold"),
    ("In Progress", "active"), ("Decommissioned", "retired"), ("Live", "production"),
])
def test_status_values(value, status):
    assert value_match(value, STATUS_SYNONYMS)[0] == status


@pytest.mark.parametrize("value, cause", [
    ("Data quality issues", "data_quality"), ("No clear ROI", "unclear_value"),
    ("Compliance / privacy concerns", "governance"), ("Lost executive sponsor", "sponsorship"),
    ("Reorg - team disbanded", "skills"), ("Vendor went out of business", "vendor"), ("Cut", "reprioritised"),
])
def test_cause_values(value, cause):
    assert value_match(value, CAUSE_SYNONYMS)[0] == cause


def test_user_mapping_wins_and_gaps_are_guessed():
    headers = ["Key", "Phase", "State"]
    cells = _cells(headers, [["1", "Idea", "Open"], ["2", "Exploration", "Closed"]])
    given = Mapping(columns={"status": "State"}, values={"stage": {"Exploration": "poc"}})
    full = complete_mapping(given, cells)
    assert full.columns == {"status": "State", "pilot_id": "Key", "stage": "Phase"}
    assert full.values["stage"] == {"Exploration": "poc", "Idea": "intake"}
    assert full.values["status"] == {"Closed": "cancelled", "Open": "active"}


def test_mapping_file_round_trip():
    m = Mapping(columns={"pilot_id": "Key"}, values={"stage": {"Idea": "intake"}}, stages=["a", "b"],
                date_formats={"Created": "mdy"})
    assert Mapping.from_json(m.to_json()) == m
