"""One builder for test portfolios: rows with sensible defaults, overridden per test, as CSV bytes
or analysed exactly as an upload would be (ingest -> mapping -> validation -> outcomes)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from analysis.cli.summary import Analysed, analyse_file
from analysis.ingest.mapping import Mapping

HEADERS = ["Pilot ID", "Name", "Business Unit", "Use Case", "Sourcing", "Sponsor", "Start Date", "Stage",
           "Status", "Failure Cause", "End Date", "Last Update", "Budget", "Spend",
           "Intake Date", "Scoping Date", "PoC Date", "Pilot Date", "Production Date"]


def pilot(i: int, **fields: object) -> dict[str, object]:
    """One pilot row: an active pilot in PoC started 2024-01-01, unless fields say otherwise.
    Keys are the HEADERS (spaces as underscores, lower case also accepted: start_date=...)."""
    row: dict[str, object] = {"Pilot ID": f"P{i:03d}", "Name": f"Pilot {i}", "Business Unit": "Finance",
                              "Use Case": "Forecasting", "Sourcing": "Build", "Sponsor": "Ada",
                              "Start Date": "2024-01-01", "Stage": "PoC", "Status": "Active",
                              "Intake Date": "2024-01-01", "PoC Date": "2024-03-01"}
    for key, value in fields.items():
        header = next((h for h in HEADERS if h.lower().replace(" ", "_") == key.lower()), key)
        row[header] = value.isoformat() if isinstance(value, dt.date) else value
    return row


def make_portfolio(rows: list[dict[str, object]] | int = 3, headers: list[str] | None = None,
                   delimiter: str = ",", **overrides: object) -> bytes:
    """CSV bytes of the given rows (or of that many default pilots, each with `overrides`)."""
    if isinstance(rows, int):
        rows = [pilot(i, **overrides) for i in range(1, rows + 1)]
    columns = headers or HEADERS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def analysed(rows: list[dict[str, object]] | int = 3, as_of: dt.date | None = None, stall_days: int = 90,
             mapping: Mapping | None = None, **overrides: object) -> Analysed:
    """The rows analysed exactly as an upload is."""
    return analyse_file(make_portfolio(rows, **overrides), "test.csv", mapping, as_of, stall_days)
