"""A corpus of generated exports written as the trackers write them, each with its known answer.

Each profile is one tool's export: its real header names (Jira's `Issue key` and `Custom field (...)`,
ServiceNow's `number`, `u_` fields and `sys_updated_on`, Azure DevOps' `State` with New/Active/Closed/
Removed, Smartsheet's RAG `Health` and `Not Started`, a Planview report with title rows, a European tool's
semicolon CSV in Windows-1252 with day.month.year dates and decimal commas, a U.S. federal inventory of the
2025 format), its own value spellings and date writings. Each variant changes what real files vary in: the
number of rows, survey questions with sentence answers beside the fields, an empty column, IDs left as
placeholders (N/A, TBD), a byte order mark. The answer (funnel, outcomes, causes) is counted from the
canonical facts each row was generated from, never from the product's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field

STAGES = ["intake", "scoping", "poc", "pilot", "production"]
QUESTIONS = [
    ("What are the key risks of this use case and how were they identified?",
     ["Bias and privacy, found in a review by the team.", "Found through testing with users.", ""]),
    ("Is there an established appeal process for people affected by the AI's decisions?", ["Yes", "No", "N/A"]),
    ("Describe the expected benefits of the use case in a few sentences.",
     ["Faster handling of requests and fewer errors in the data entered by hand.", ""]),
]
DATE_WRITINGS = {
    "jira": lambda d: d.strftime("%d/%b/%y ") + "10:22 AM",
    "iso_time": lambda d: d.strftime("%Y-%m-%d 09:12:44"),
    "us_time": lambda d: f"{d.month}/{d.day}/{d.year} 9:30:00 AM",
    "us_short": lambda d: f"{d.month:02d}/{d.day:02d}/{d.strftime('%y')}",
    "dotted": lambda d: d.strftime("%d.%m.%Y"),
    "day_mon_year": lambda d: d.strftime("%d-%b-%Y"),
}


@dataclass
class Profile:
    tool: str
    headers: dict[str, str]  # canonical fact -> the tool's header
    stage_words: dict[str, list[str]]
    status_words: dict[str, list[str]]  # outcome -> how the tool says it
    cause_words: dict[str, list[str]]
    dates: str
    id_format: str
    delimiter: str = ","
    encoding: str = "utf-8"
    title_rows: list[str] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)  # columns no field reads, and their values

CAUSES = {"data_quality": ["Poor data quality", "Data not available"], "unclear_value": ["No clear ROI",
          "No business case"], "vendor": ["Vendor went out of business"], "sponsorship": ["Lost executive sponsor"],
          "governance": ["Compliance / privacy concerns"]}

PROFILES = [
    Profile("jira", {"id": "Issue key", "name": "Summary", "status": "Status", "stage": "Custom field (AI Stage)",
                     "cause": "Custom field (Cancellation Reason)", "unit": "Custom field (Business Unit)",
                     "start": "Created", "updated": "Updated"},
            {"intake": ["Idea"], "scoping": ["Scoping"], "poc": ["Proof of Concept", "PoC"], "pilot": ["Pilot"],
             "production": ["Production"]},
            {"active": ["In Progress", "To Do"], "on_hold": ["Blocked", "On Hold"], "cancelled": ["Cancelled"],
             "production": ["Done"]}, CAUSES, "jira", "AI-{n}", extra={"Issue Type": ["Epic"], "Labels": ["genai", "ml", ""]}),
    Profile("servicenow", {"id": "number", "name": "short_description", "status": "state", "stage": "phase",
                           "cause": "close_notes", "unit": "u_business_unit", "start": "opened_at",
                           "updated": "sys_updated_on"},
            {"intake": ["Screening"], "scoping": ["Qualification"], "poc": ["Proof of concept"], "pilot": ["Pilot"],
             "production": ["Deployment"]},
            {"active": ["Work in Progress", "Open"], "on_hold": ["On Hold"], "cancelled": ["Closed Incomplete"],
             "production": ["Closed Complete"]}, CAUSES, "iso_time", "DMND{n:07d}",
            extra={"assigned_to": ["Ng, Alex", "Oh, Sam"], "sys_class_name": ["dmn_demand"]}),
    Profile("azure_devops", {"id": "ID", "name": "Title", "status": "State", "stage": "AI Stage",
                             "cause": "Cancellation Reason", "unit": "Area Path", "start": "Created Date",
                             "updated": "Changed Date"},
            {"intake": ["Intake"], "scoping": ["Scoping"], "poc": ["Proof of Concept"], "pilot": ["Pilot"],
             "production": ["Production"]},
            {"active": ["Active", "New"], "on_hold": ["On Hold"], "cancelled": ["Removed"], "production": ["Closed"]},
            CAUSES, "us_time", "{n}", extra={"Work Item Type": ["Feature"], "Tags": ["genai; pilot", "ml", ""]}),
    Profile("smartsheet", {"id": "Project ID", "name": "Project Name", "status": "Status", "stage": "Stage",
                           "cause": "Reason for cancellation", "unit": "Department", "start": "Start Date",
                           "updated": "Modified"},
            {"intake": ["Intake"], "scoping": ["Scoping"], "poc": ["POC"], "pilot": ["Pilot"],
             "production": ["Live"]},
            {"active": ["In Progress", "Not Started"], "on_hold": ["On Hold"], "cancelled": ["Cancelled"],
             "production": ["Complete"]}, CAUSES, "us_short", "PRJ-{n:04d}",
            extra={"Health": ["Green", "Yellow", "Red"], "% Complete": ["10%", "50%", "100%"]}),
    Profile("planview", {"id": "Project ID", "name": "Project Name", "status": "Project Status",
                         "stage": "Lifecycle Stage", "cause": "Closure Reason", "unit": "Department",
                         "start": "Start Date", "updated": "Last Updated"},
            {"intake": ["Idea"], "scoping": ["Scoping"], "poc": ["Proof of Concept"], "pilot": ["Pilot"],
             "production": ["Deployed"]},
            {"active": ["On Track", "At Risk"], "on_hold": ["On Hold"], "cancelled": ["Cancelled"],
             "production": ["Complete"]}, CAUSES, "day_mon_year", "PRJ-{n:04d}",
            title_rows=["Planview Enterprise One - Portfolio Report", "AI Innovation Portfolio", ""],
            extra={"Project Manager": ["J. Ortiz", "A. Stone"]}),
    Profile("european", {"id": "Project ID", "name": "Project name", "status": "Status", "stage": "Phase",
                         "cause": "Reason for stopping", "unit": "Business unit", "start": "Start date",
                         "updated": "Last update"},
            {"intake": ["Idea"], "scoping": ["Scoping"], "poc": ["Proof of concept"], "pilot": ["Pilot"],
             "production": ["Production"]},
            {"active": ["Active"], "on_hold": ["Paused"], "cancelled": ["Stopped"], "production": ["Live"]},
            CAUSES, "dotted", "P{n:03d}", delimiter=";", encoding="cp1252",
            extra={"Budget (€)": ["1.234,50 €", "12.000,00 €", ""], "Owner": ["Zoë Müller", "René Dupré"]}),
]
UNITS = ["Finance", "Operations", "HR", "Sales"]
LATEST = dt.date(2024, 6, 28)  # every pilot's last update: none has stalled at the as-of date (the latest date)


@dataclass
class Case:
    name: str
    data: bytes
    filename: str
    funnel: list[int]
    outcomes: dict[str, int]
    causes: dict[str, int]


def case(profile: Profile, variant: int) -> Case:
    """One export of a profile; `variant` (0..7) picks its size and defects."""
    rng = random.Random(f"{profile.tool}-{variant}")
    n = rng.randint(20, 80)
    questions = QUESTIONS[: variant % 3] if variant % 2 else []
    placeholders = variant % 4 == 3
    rows, facts = [], []
    for i in range(1, n + 1):
        outcome = rng.choices(["active", "on_hold", "cancelled", "production"], [4, 1, 3, 2])[0]
        stage = 4 if outcome == "production" else rng.randint(0, 3)
        cause_id = rng.choice(list(CAUSES) + ["not recorded"]) if outcome == "cancelled" else None
        start = LATEST - dt.timedelta(days=rng.randint(30, 700))
        row = {
            profile.headers["id"]: ("N/A" if placeholders and i % 10 == 0 else profile.id_format.format(n=1000 + i)),
            profile.headers["name"]: f"{rng.choice(['Invoice', 'Claims', 'Churn', 'Search'])} model {i}",
            profile.headers["status"]: rng.choice(profile.status_words[outcome]),
            profile.headers["stage"]: rng.choice(profile.stage_words[STAGES[stage]]),
            profile.headers["cause"]: rng.choice(profile.cause_words[cause_id]) if cause_id in CAUSES else "",
            profile.headers["unit"]: rng.choice(UNITS),
            profile.headers["start"]: DATE_WRITINGS[profile.dates](start),
            profile.headers["updated"]: DATE_WRITINGS[profile.dates](LATEST),
        }
        row.update({h: rng.choice(v) for h, v in profile.extra.items()})
        row.update({q: rng.choice(a) for q, a in questions})
        if variant % 4 == 1:
            row["Notes (unused)"] = ""  # an empty column
        rows.append(row)
        facts.append((stage, outcome, cause_id))
    headers = list(rows[0])
    out = io.StringIO()
    for title in profile.title_rows:
        out.write(title + profile.delimiter * (len(headers) - 1) + "\n")
    writer = csv.DictWriter(out, fieldnames=headers, delimiter=profile.delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode(profile.encoding)
    if variant % 4 == 2 and profile.encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    outcomes = {o: sum(1 for _, x, _ in facts if x == o) for o in ("production", "cancelled", "active", "on_hold")}
    causes: dict[str, int] = {}
    for _, x, c in facts:
        if x == "cancelled":
            causes[c] = causes.get(c, 0) + 1
    return Case(f"{profile.tool}-{variant}", data, f"{profile.tool}-{variant}.csv",
                [sum(1 for s, _, _ in facts if s >= k) for k in range(len(STAGES))], outcomes, causes)


def federal_2025(variant: int) -> Case:
    """A U.S. federal AI use case inventory of the 2025 format (tests/test_evidence.inventory_2025)."""
    from tests.test_evidence import STAGES_2025, inventory_2025

    data, counts = inventory_2025(60 + 40 * variant, seed=variant)
    reached = [sum(n for s, n in counts.items() if STAGES_2025[s] >= k) for k in range(3)]
    outcomes = {"production": counts["Deployed"], "cancelled": 0,
                "active": counts["Pre-deployment"] + counts["Pilot"], "on_hold": 0, "retired": counts["Retired"]}
    return Case(f"federal-2025-{variant}", data, f"inventory-2025-{variant}.csv", reached, outcomes, {})


def corpus() -> list[Case]:
    return [case(p, v) for p in PROFILES for v in range(8)] + [federal_2025(v) for v in range(4)]
