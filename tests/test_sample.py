"""The bundled sample portfolio (data/sample_portfolio.csv) has the shape and the story it promises.

Checked with pandas alone, straight from the CSV, so the sample stays honest whatever the app does.
"""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_portfolio.csv"
SCRIPT = ROOT / "data" / "make_sample.py"
AS_OF = pd.Timestamp("2026-10-31")
HEADER = ("Pilot ID,Pilot Name,Business Unit,Use Case,Sourcing,Sponsor,Start Date,Stage,Status,"
          "Failure Cause,End Date,Last Update,Budget,Spend,Intake Date,Scoping Date,PoC Date,"
          "Pilot Date,Production Date")
STAGE_DATES = ["Intake Date", "Scoping Date", "PoC Date", "Pilot Date", "Production Date"]
DATE_COLUMNS = ["Start Date", "End Date", "Last Update", *STAGE_DATES]
REACHED = ["In production", "Retired"]
IN_FLIGHT = ["Active", "On hold"]
# Cause families by substring of the tracker text (lower-cased); anything else is its own family.
CAUSE_FAMILIES = {
    "data": ["data"], "value": ["value", "roi"], "integration": ["integrat"],
    "infrastructure": ["infrastructure", "mlops", "platform"], "model": ["model", "accuracy", "hallucin"],
    "cost": ["expensive", "cost", "budget"], "skills": ["skill", "talent"],
    "governance": ["compliance", "privacy", "security"], "sponsorship": ["sponsor"],
    "adoption": ["adopt", "change management"], "vendor": ["vendor"],
    "reprioritised": ["prioritis", "supersed", "merged"],
}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    """The sample as text, empty cells kept as empty strings."""
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def dates(df: pd.DataFrame) -> pd.DataFrame:
    """The date columns parsed strictly as ISO dates (empty -> NaT)."""
    return pd.DataFrame({c: pd.to_datetime(df[c].replace("", None), format="%Y-%m-%d") for c in DATE_COLUMNS})


def cause_family(text: str) -> str:
    """The family of a free-text failure cause, by substring."""
    low = text.lower()
    for family, needles in CAUSE_FAMILIES.items():
        if any(n in low for n in needles):
            return family
    return f"other ({text})"


def test_600_pilots_with_unique_ids(df: pd.DataFrame) -> None:
    assert len(df) == 600
    assert df["Pilot ID"].is_unique
    assert df["Pilot ID"].str.fullmatch(r"AI-\d{4}").all()


def test_exact_header(df: pd.DataFrame) -> None:
    first_line = SAMPLE.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first_line == HEADER
    assert list(df.columns) == HEADER.split(",")


def test_dates_end_on_the_as_of_date(dates: pd.DataFrame) -> None:
    latest = dates.max().max()
    assert latest == AS_OF
    all_dates = dates.stack().dropna()
    assert len(all_dates) > 3 * 600
    assert (all_dates <= AS_OF).all()
    assert dates["Start Date"].min() >= pd.Timestamp("2023-01-01")
    assert dates["Start Date"].max() <= pd.Timestamp("2026-09-30")


def test_stage_dates_increase_and_match_stage(df: pd.DataFrame, dates: pd.DataFrame) -> None:
    assert (dates["Start Date"] == dates["Intake Date"]).all()
    for earlier, later in pairwise(STAGE_DATES):
        has_later = dates[later].notna()
        assert dates.loc[has_later, earlier].notna().all(), f"{later} without {earlier}"
        assert (dates.loc[has_later, later] > dates.loc[has_later, earlier]).all(), f"{later} <= {earlier}"
    reached = dates[STAGE_DATES].notna().sum(axis=1)
    expected = df["Stage"].map({"Intake": 1, "Scoping": 2, "PoC": 3, "Pilot": 4, "Production": 5})
    assert (reached == expected).all()
    assert (dates["Last Update"] >= dates[STAGE_DATES].max(axis=1)).all()


def test_outcome_mix(df: pd.DataFrame) -> None:
    assert set(df["Status"]) == {"Active", "On hold", "Cancelled", "In production", "Retired"}
    reached = df["Status"].isin(REACHED).mean()
    cancelled = (df["Status"] == "Cancelled").mean()
    assert 0.22 <= reached <= 0.33, reached
    assert 0.40 <= cancelled <= 0.52, cancelled
    assert (df["Failure Cause"][df["Status"] != "Cancelled"] == "").all()
    assert df["Business Unit"].value_counts().min() <= 6  # a small-n unit for the statistics


def test_buy_reaches_production_far_more_often_than_build(df: pd.DataFrame) -> None:
    def decided_rate(sourcing: str) -> float:
        rows = df[df["Sourcing"] == sourcing]
        reached = rows["Status"].isin(REACHED).sum()
        decided = reached + (rows["Status"] == "Cancelled").sum()
        return reached / decided

    build, buy = decided_rate("Build"), decided_rate("Buy")
    assert 0.1 < build < buy
    assert buy >= 1.6 * build, (buy, build)


def test_data_and_value_are_the_commonest_cause_families(df: pd.DataFrame) -> None:
    causes = df.loc[(df["Status"] == "Cancelled") & (df["Failure Cause"] != ""), "Failure Cause"]
    families = causes.map(cause_family).value_counts()
    assert set(families.index[:2]) == {"data", "value"}, families.head(4).to_dict()
    assert families.iloc[1] > families.iloc[2]
    assert 0.35 <= (families["data"] + families["value"]) / len(causes) <= 0.55


def test_about_a_fifth_of_in_flight_pilots_are_stalled(df: pd.DataFrame, dates: pd.DataFrame) -> None:
    in_flight = df["Status"].isin(IN_FLIGHT)
    latest_stage = dates.loc[in_flight, STAGE_DATES].max(axis=1)
    last_update = dates.loc[in_flight, "Last Update"]
    stalled = ((AS_OF - latest_stage).dt.days > 90) & ((AS_OF - last_update).dt.days > 90)
    assert in_flight.sum() >= 100
    assert 0.15 <= stalled.mean() <= 0.25, stalled.mean()
    fresh = last_update[~stalled]
    assert ((AS_OF - fresh).dt.days <= 90).all()


def test_script_rewrites_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "again.csv"
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == SAMPLE.read_bytes()
