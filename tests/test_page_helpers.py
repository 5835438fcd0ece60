"""Shared helpers for the AppTest page tests: the sample read independently with pandas, and an
upload stored the way the Data page stores it."""

from __future__ import annotations

import pandas as pd

from analysis.store import datasets as store
from tests.builders import HEADERS, make_portfolio, pilot
from tests.conftest import SAMPLE

AS_OF = pd.Timestamp("2026-10-31")
STAGE_DATES = ["Intake Date", "Scoping Date", "PoC Date", "Pilot Date", "Production Date"]


def sample() -> pd.DataFrame:
    """The sample as text, empty cells as empty strings, with the dates parsed alongside."""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    for col in STAGE_DATES + ["Last Update"]:
        frame[f"_{col}"] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
    return frame


def stalled_ids(frame: pd.DataFrame, days: int) -> set[str]:
    """In flight, and the latest stage date or last update more than `days` before the as-of date."""
    latest = frame[[f"_{c}" for c in STAGE_DATES + ["Last Update"]]].max(axis=1)
    mask = frame["Status"].isin(["Active", "On hold"]) & ((AS_OF - latest).dt.days > days)
    return set(frame.loc[mask, "Pilot ID"])


def store_undated_portfolio() -> str:
    """A portfolio with no date column at all, stored; returns its dataset id."""
    headers = [h for h in HEADERS if "Date" not in h and h != "Last Update"]
    rows = [pilot(i, business_unit=unit, status=status, failure_cause=cause, stage=stage)
            for i, (unit, status, cause, stage) in enumerate([
                ("Finance", "Cancelled", "Poor data", "PoC"), ("Finance", "Cancelled", "No ROI", "Scoping"),
                ("IT", "Active", "", "Pilot"), ("IT", "In production", "", "Production"),
                ("HR", "Cancelled", "Poor data", "PoC")], start=1)]
    with store.connect() as con:
        return store.ingest(con, make_portfolio(rows, headers=headers), "undated.csv")


def test_whole_number_columns_get_thousands_separators_and_keep_given_labels_and_formats():
    import streamlit as st

    from pages.common import number_columns

    frame = pd.DataFrame({"stage": ["poc"], "reached": [96129], "rate": [0.5], "left": [12]})
    config = number_columns(frame, {"reached": "Reached", "rate": st.column_config.NumberColumn(format="percent")})
    assert config["reached"]["label"] == "Reached" and config["reached"]["type_config"]["format"] == "localized"
    assert config["left"]["label"] is None and config["left"]["type_config"]["format"] == "localized"
    assert config["rate"]["type_config"]["format"] == "percent" and "stage" not in config
