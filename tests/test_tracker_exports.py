"""Exports shaped as Jira, ServiceNow, Azure DevOps, Planview and Smartsheet write them, each with
its own headers, spellings, date formats and defects, reach a correct funnel (known answers by hand).

Where no rule can know a tracker's meaning (Azure DevOps' "Closed" is done, not cancelled; Planview's
own lifecycle), the test gives the small mapping a user would set in the editor.
"""

from __future__ import annotations

import datetime as dt
import io

from analysis.cli.summary import analyse_file, summary
from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived

AS_OF = dt.date(2024, 6, 30)

JIRA = """Summary,Issue key,Issue id,Issue Type,Status,Resolution,Assignee,Created,Updated,Resolved,Labels,Labels,Custom field (Business Unit),Custom field (Stage),Custom field (Cancellation Reason)
Invoice OCR,AI-101,10001,Epic,Done,Done,Ana Silva,02/Jan/24 9:15 AM,15/Jun/24 4:00 PM,15/Jun/24 4:00 PM,ocr,finance,Finance,Production,
Churn model,AI-102,10002,Epic,Cancelled,Won't Do,Bo Chen,10/Jan/24 10:00 AM,01/Mar/24 11:00 AM,01/Mar/24 11:00 AM,ml,,Sales,PoC,Poor data quality
Support bot,AI-103,10003,Epic,In Progress,,Cy Diaz,05/Feb/24 8:00 AM,20/Jun/24 9:30 AM,,genai,,Support,Pilot,
Contract review,AI-104,10004,Epic,Idea,,Dee Park,20/Mar/24 1:00 PM,20/Mar/24 1:00 PM,,genai,legal,Legal,Intake,
Forecasting,AI-105,10005,Epic,Cancelled,Won't Do,Ana Silva,01/Apr/24 9:00 AM,30/May/24 5:00 PM,30/May/24 5:00 PM,ml,,Finance,Scoping,No clear ROI
"""

SERVICENOW = """number,short_description,state,phase,u_business_unit,opened_at,sys_updated_on,closed_at,close_notes,assigned_to
DMND0001001,Claims triage model,Work in Progress,Pilot,Insurance,2024-01-08 09:12:44,2024-06-01 10:00:00,,,"Ng, Alex"
DMND0001002,HR chatbot,Closed Complete,Deployment,HR,2024-01-15 11:00:00,2024-05-20 16:00:00,2024-05-20 16:00:00,Rolled out,"Ng, Alex"
DMND0001003,Fraud scoring,Closed Incomplete,Proof of concept,Risk,2024-02-01 08:30:00,2024-03-30 12:00:00,2024-03-30 12:00:00,Vendor went out of business,"Oh, Sam"
DMND0001004,Doc search,Open,Screening,IT,2024-04-02 14:00:00,2024-04-02 14:00:00,,,"Oh, Sam"
DMND0001005,Voice analytics,On Hold,Qualification,Contact Centre,2024-03-10 09:00:00,2024-04-15 09:00:00,,,"Ng, Alex"
"""

AZURE_DEVOPS = """ID,Work Item Type,Title,State,Area Path,Assigned To,Created Date,Changed Date,Closed Date,Tags,AI Stage
4101,Feature,Email triage,Active,AI\\Operations,Kim Lee <kim@example.com>,3/4/2024 9:30:00 AM,6/28/2024 2:15:00 PM,,genai; pilot,Pilot
4102,Feature,Demand forecast,Closed,AI\\Supply Chain,Raj Patel <raj@example.com>,1/15/2024 8:00:00 AM,5/2/2024 10:00:00 AM,5/2/2024 10:00:00 AM,ml,Production
4103,Feature,Resume screening,Removed,AI\\HR,Kim Lee <kim@example.com>,2/1/2024 8:00:00 AM,3/15/2024 8:00:00 AM,3/15/2024 8:00:00 AM,ml; risk,Proof of Concept
4104,Feature,Code assistant,New,AI\\Engineering,Raj Patel <raj@example.com>,4/20/2024 8:00:00 AM,4/20/2024 8:00:00 AM,,genai,Intake
"""

PLANVIEW = """Planview Enterprise One - Portfolio Report,,,,,,,,,
AI Innovation Portfolio,,,,,,,,,
Run date: 30 Jun 2024,,,,,,,,,
,,,,,,,,,
Project ID,Project Name,Lifecycle Stage,Project Status,Department,Project Manager,Start Date,Finish Date,Approved Budget,Actual Cost
PRJ-0042,Predictive maintenance,Execution,On Track,Manufacturing,J. Ortiz,01-Feb-2024,,"$450,000.00","$210,500.00"
PRJ-0043,Invoice matching,Deployed,Complete,Finance,A. Stone,15-Jan-2023,30-Nov-2023,"$300,000.00","$280,000.00"
PRJ-0044,Demand sensing,Planning,Cancelled,Supply Chain,J. Ortiz,01-Mar-2024,15-May-2024,"$250,000.00","$40,000.00"
PRJ-0045,Visual inspection,Concept,On Hold,Manufacturing,M. Chu,10-Apr-2024,,"$250,000.00",$0.00
Total,,,,,,,,"$1,250,000.00","$530,500.00"
"""


def derived(text: str, mapping: Mapping | None = None) -> Derived:
    return derive_upload(read_upload(text.encode(), "export.csv"), mapping, today=AS_OF)


def funnel(data: bytes, mapping: Mapping | None = None, name: str = "export.csv") -> dict:
    return summary(analyse_file(data, name, mapping, as_of=AS_OF))


def test_jira_issue_export() -> None:
    d = derived(JIRA)
    assert {f: d.mapping.columns.get(f) for f in ("pilot_id", "name", "stage", "status", "failure_cause",
                                                 "business_unit", "start_date", "end_date")} == {
        "pilot_id": "Issue key", "name": "Summary", "stage": "Custom field (Stage)", "status": "Status",
        "failure_cause": "Custom field (Cancellation Reason)", "business_unit": "Custom field (Business Unit)",
        "start_date": "Created", "end_date": "Resolved"}
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-02", "2024-01-10", "2024-02-05", "2024-03-20", "2024-04-01"]
    assert d.pilots["status"].tolist() == ["production", "cancelled", "active", "active", "cancelled"]
    assert d.pilots["failure_cause"].fillna("").tolist() == ["", "data_quality", "", "", "unclear_value"]
    assert d.unmapped["status"] == ["Idea"]  # kept, listed, and the pilot counted as active meanwhile
    result = funnel(JIRA.encode())
    assert [f["reached"] for f in result["funnel"]] == [5, 4, 3, 2, 1]
    assert (result["outcomes"]["production"], result["outcomes"]["cancelled"]) == (1, 2)


def test_servicenow_demand_export() -> None:
    d = derived(SERVICENOW)
    assert d.mapping.columns["stage"] == "phase" and d.mapping.columns["status"] == "state"
    assert d.mapping.columns["last_update"] == "sys_updated_on"
    assert d.pilots["status"].tolist() == ["active", "production", "cancelled", "active", "on_hold"]
    assert d.unmapped["stage"] == []  # ServiceNow demand's Screening is an intake step
    assert [f["reached"] for f in funnel(SERVICENOW.encode())["funnel"]] == [5, 4, 3, 2, 1]
    assert d.pilots["sponsor"].tolist()[0] == "Ng, Alex"
    user = Mapping(values={"stage": {"Screening": "intake"}})
    assert [f["reached"] for f in funnel(SERVICENOW.encode(), user)["funnel"]] == [5, 4, 3, 2, 1]


def test_azure_devops_query_export() -> None:
    d = derived(AZURE_DEVOPS)
    assert d.mapping.columns["status"] == "State" and d.mapping.columns["stage"] == "AI Stage"
    assert d.mapping.columns["business_unit"] == "Area Path"
    # US dates with AM/PM times: month first, because 1/15 and 4/20 cannot be day first.
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-04", "2024-01-15", "2024-02-01", "2024-04-20"]
    assert d.pilots["sponsor"].tolist() == ["Kim Lee <kim@example.com>", "Raj Patel <raj@example.com>"] * 2
    assert d.unmapped["status"] == []
    # In Azure DevOps a Closed feature is done and a Removed one was dropped: Removed says it is that dialect.
    assert d.mapping.values["status"]["Closed"] == "production" and d.mapping.values["status"]["Removed"] == "cancelled"
    result = funnel(AZURE_DEVOPS.encode())
    assert [f["reached"] for f in result["funnel"]] == [4, 3, 3, 2, 1]
    assert (result["outcomes"]["production"], result["outcomes"]["cancelled"]) == (1, 1)


def test_planview_report_with_title_rows_totals_currency_and_its_own_lifecycle() -> None:
    own = Mapping(stages=["concept", "planning", "execution", "deployed"])
    d = derived(PLANVIEW, own)
    assert d.pilots["pilot_id"].tolist() == ["PRJ-0042", "PRJ-0043", "PRJ-0044", "PRJ-0045"]
    assert d.pilots["stage"].tolist() == ["execution", "deployed", "planning", "concept"]
    assert d.pilots["status"].tolist() == ["active", "production", "cancelled", "on_hold"]
    assert d.pilots["budget"].tolist() == [450_000.0, 300_000.0, 250_000.0, 250_000.0]
    assert d.pilots["spend"].tolist() == [210_500.0, 280_000.0, 40_000.0, 0.0]
    assert d.pilots["end_date"].dt.strftime("%Y-%m-%d").fillna("").tolist() == ["", "2023-11-30", "2024-05-15", ""]
    assert d.row_counts() == {"read": 5, "accepted": 4, "rejected": 1}
    assert d.rejected["reason"].tolist() == ["a total line, not a pilot"]
    assert "The header is on line 5; the 4 line(s) above it were read as a title." in d.notes
    assert [f["reached"] for f in funnel(PLANVIEW.encode(), own)["funnel"]] == [4, 3, 2, 1]


def smartsheet_workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AI Pilots"
    rows = [["AI Pilot Tracker"], [],
            ["Row ID", "Initiative", "Phase", "Health", "Status", "Owner", "Start", "End", "Budget"],
            [101, "Chatbot for IT", "Pilot", "Green", "In Progress", "Ann", dt.datetime(2024, 2, 1), None, 50000],
            [102, "Invoice OCR", "Scale", "Green", "Complete", "Ben", dt.datetime(2023, 6, 1),
             dt.datetime(2024, 1, 15), 120000],
            [103, "Churn model", "PoC", "Red", "Cancelled", "Ann", dt.datetime(2023, 9, 1),
             dt.datetime(2024, 2, 28), 30000.5],
            [104, "Meeting notes", "Ideation", "Yellow", "Not Started", "Cid", dt.datetime(2024, 5, 1), None, 0]]
    for row in rows:
        sheet.append(row)
    book.create_sheet("Lookups").append(["Phase", "Ideation"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_smartsheet_workbook_with_a_title_and_a_health_column() -> None:
    d = derive_upload(read_upload(smartsheet_workbook(), "tracker.xlsx"), today=AS_OF)
    assert d.mapping.columns["status"] == "Status"  # "Health" is a status too, but Status is the usual name
    assert d.pilots["pilot_id"].tolist() == ["101", "102", "103", "104"]
    assert d.pilots["stage"].tolist() == ["pilot", "production", "poc", "intake"]
    assert d.pilots["status"].tolist() == ["active", "production", "cancelled", "active"]
    assert d.pilots["budget"].tolist() == [50000.0, 120000.0, 30000.5, 0.0]
    assert d.unmapped["status"] == [] and d.mapping.values["status"]["Not Started"] == "active"
    assert [f["reached"] for f in funnel(smartsheet_workbook(), name="tracker.xlsx")["funnel"]] == [4, 3, 3, 2, 1]
