"""Every row accepted or rejected with its line number; bad fields are warnings; read = accepted + rejected."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.ingest.mapping import complete_mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.validate import derive
from tests.builders import make_portfolio, pilot

TODAY = dt.date(2026, 11, 26)


def _derive(data: bytes, **kwargs):
    raw = read_upload(data, "t.csv")
    return derive(raw, complete_mapping(None, raw.cells), today=TODAY, **kwargs)


def test_duplicate_ids_are_rejected_with_the_line_they_repeat():
    rows = [pilot(1), pilot(2), pilot(1), pilot(2, Name="Other")]
    d = _derive(make_portfolio(rows))
    assert (d.rows_read, len(d.pilots), len(d.rejected)) == (4, 2, 2)
    assert d.rejected["row"].tolist() == [4, 5]
    assert d.rejected["reason"].tolist() == ["pilot ID 'P001' repeats line 2 (an exact copy)",
                                             "pilot ID 'P002' repeats line 3 with different data; keep one "
                                             "of the two rows"]


def test_empty_rows_and_total_lines_are_rejected_rows_without_an_id_are_kept():
    text = ("Pilot ID,Name,Stage,Budget\nP1,A,PoC,100\n,,,\n,No id,Pilot,5\nTotal,,,105\nN/A,Other,PoC,1\n")
    d = _derive(text.encode())
    assert d.rows_read == 5 == len(d.pilots) + len(d.rejected)
    assert dict(zip(d.rejected["row"], d.rejected["reason"])) == {
        3: "the row is empty", 5: "a total line, not a pilot"}
    assert d.pilots["pilot_id"].tolist() == ["P1", "row-4", "row-6"]  # 'N/A' is a placeholder, not an ID
    assert any(n.startswith("2 row(s) have no pilot ID in column 'Pilot ID'") for n in d.notes)


def test_no_id_column_numbers_the_rows_and_says_so():
    d = _derive(b"Name,Stage\nA,PoC\nB,Live\n")
    assert d.pilots["pilot_id"].tolist() == ["row-2", "row-3"]
    assert any("no ID column" in n for n in d.notes)


def test_bad_fields_are_warnings_and_the_row_is_kept():
    rows = [pilot(1, Budget="12x", Start_Date="soon"), pilot(2, Spend="-5", Last_Update="2030-01-01")]
    d = _derive(make_portfolio(rows))
    assert len(d.pilots) == 2 and d.rejected.empty
    problems = {(p["row"], p["column"]): p["problem"] for p in d.problems}
    assert problems[(2, "Budget")] == "'12x' is not a number that can be read; left empty"
    assert problems[(2, "Start Date")] == "'soon' is not a date that can be read; left empty"
    assert problems[(3, "Spend")] == "'-5' is negative or implausibly large; left empty"
    assert problems[(3, "Last Update")] == "'2030-01-01' is in the future; left empty"
    assert d.pilots["budget"].isna().tolist() == [True, True]


def test_dates_after_an_explicit_as_of_are_reported():
    d = _derive(make_portfolio([pilot(1, Last_Update="2024-06-02")]), as_of=dt.date(2024, 6, 1))
    assert d.problems == [{"row": 2, "column": "Last Update",
                           "problem": "'2024-06-02' is after the as-of date 2024-06-01; counted as not yet happened"}]
    assert d.pilots["last_update"].iloc[0] == pd.Timestamp("2024-06-02")


def test_ambiguous_date_column_is_reported_not_silently_guessed():
    rows = [pilot(1, Start_Date="03/04/2024", Intake_Date="", PoC_Date=""), pilot(2, Start_Date="05/06/2024",
                                                                                Intake_Date="", PoC_Date="")]
    d = _derive(make_portfolio(rows))
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-03", "2024-06-05"]
    assert any(p["column"] == "Start Date" and "day-first or month-first" in p["problem"] for p in d.problems)


def test_unknown_values_are_kept_and_listed():
    rows = [pilot(1, Stage="Hatching"), pilot(2, Status="Cancelled", Failure_Cause="Reorg"),
            pilot(3, Status="Zombie")]
    d = _derive(make_portfolio(rows))
    assert d.unmapped == {"stage": ["Hatching"], "status": ["Zombie"], "failure_cause": ["Reorg"]}
    p = d.pilots.set_index("pilot_id")
    assert p.loc["P001", "stage"] == "poc"  # unknown stage text: the stage dates still tell
    assert p.loc["P002", "failure_cause"] == "other (Reorg)"
    assert p.loc["P003", "status"] == "active"


def test_stage_without_stage_column_or_dates_is_unknown_and_counted():
    d = _derive(b"ID,Name\nA,x\nB,y\n")
    assert d.pilots["stage"].tolist() == ["unknown", "unknown"]
    assert any("2 pilot(s) have no stage" in n for n in d.notes)


def test_production_status_with_an_earlier_stage_counts_as_production():
    d = _derive(make_portfolio([pilot(1, Stage="Pilot", Status="Live")]))
    assert d.pilots[["stage", "status"]].values.tolist() == [["production", "production"]]


def test_whitespace_and_non_breaking_spaces_are_trimmed():
    d = _derive("ID,Stage,Business Unit\n\u00a0P1 , PoC\u00a0,  Finance \n".encode())
    assert d.pilots[["pilot_id", "stage", "business_unit"]].values.tolist() == [["P1", "poc", "Finance"]]


def test_federal_inventory_nothing_lost(federal_bytes):
    raw = read_upload(federal_bytes, "federal.csv")
    d = derive(raw, complete_mapping(None, raw.cells), today=TODAY)
    assert (d.rows_read, len(d.pilots), len(d.rejected)) == (710, 710, 0)
    assert d.unmapped["stage"] == []  # every spelling read onto the inventory's own four stages
    assert (d.pilots["stage"] == "unknown").sum() == 321  # the blanks


def test_pilots_without_a_cause_have_none():
    d = _derive(make_portfolio([pilot(1), pilot(2, Status="Cancelled", Failure_Cause="Data quality issues")]))
    assert d.pilots["failure_cause"].isna().tolist() == [True, False]
    assert d.pilots["failure_cause"].iloc[1] == "data_quality"
