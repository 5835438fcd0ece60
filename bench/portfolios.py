"""Synthetic portfolios and event logs for the benchmark, made with vectorised numpy.

The portfolio has the headers of data/sample_portfolio.csv and values its mapping recognises (stages,
statuses and causes spelled as trackers spell them), so every column is read, parsed and analysed as
an upload would be. The event log has one row per stage change: pilot id, stage, timestamp, status, cause.
Both are deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261126
AS_OF = np.datetime64("2026-10-31")
FIRST_START, LAST_START = np.datetime64("2019-01-01"), np.datetime64("2026-09-30")
STAGES = ["Intake", "Scoping", "PoC", "Pilot", "Production"]
ADVANCE = [0.94, 0.85, 0.6, 0.6]  # chance of reaching the next stage, as in the sample's funnel
UNITS = ["Operations", "Customer Service", "Finance", "IT", "Marketing", "HR", "Legal", "Procurement",
         "Supply Chain", "Research", "Sales", "Risk"]
USE_CASES = ["Document processing", "Customer support chatbot", "Knowledge search", "Code assistant",
             "Forecasting", "Marketing content", "Fraud detection"]
SOURCING = ["Build", "Buy", "Partner"]
SPONSORS = [f"Sponsor {i:02d}" for i in range(40)]
CAUSES = ["Data quality issues", "Unclear business value", "Poor data availability", "No clear ROI",
          "Model accuracy too low", "Integration with legacy systems", "Compliance / privacy concerns",
          "Infrastructure / MLOps", "Lost executive sponsor", "Low user adoption", "Lack of skills",
          "Cost overrun", "Deprioritised", "Vendor issues"]
NAMES = [f"{a} {b}" for a in ["Invoice", "Claims", "Policy", "Demand", "Email", "Fraud", "SQL", "Contract"]
         for b in ["assistant", "classifier", "forecast", "copilot", "search", "chatbot"]]
PORTFOLIO_HEADER = ["Pilot ID", "Pilot Name", "Business Unit", "Use Case", "Sourcing", "Sponsor", "Start Date",
                    "Stage", "Status", "Failure Cause", "End Date", "Last Update", "Budget", "Spend",
                    "Intake Date", "Scoping Date", "PoC Date", "Pilot Date", "Production Date"]
EVENT_HEADER = ["Pilot ID", "Stage", "Timestamp", "Status", "Failure Cause"]


def _days(values: np.ndarray) -> np.ndarray:
    """ISO dates as text, '' where the date is missing (NaT)."""
    text = np.datetime_as_string(values, unit="D")
    return np.where(np.isnat(values), "", text)


def _pilots(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The pilots' furthest stage, outcome and stage entry dates."""
    start = FIRST_START + rng.integers(0, (LAST_START - FIRST_START).astype(int), n).astype("timedelta64[D]")
    furthest = np.zeros(n, dtype=int)
    for gate, chance in enumerate(ADVANCE):
        furthest += (furthest == gate) & (rng.random(n) < chance)
    gaps = rng.integers(20, 200, (n, len(STAGES))).astype("timedelta64[D]")
    gaps[:, 0] = 0
    dates = start[:, None] + np.cumsum(gaps, axis=1)
    reached = np.arange(len(STAGES))[None, :] <= furthest[:, None]
    dates = np.where(reached & (dates <= AS_OF), dates, np.datetime64("NaT"))
    furthest = np.minimum(furthest, (~np.isnat(dates)).sum(axis=1) - 1)
    last = dates[np.arange(n), furthest]
    return {"start": start, "furthest": furthest, "dates": dates, "last": last}


def _statuses(furthest: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Production (5% of them later retired) at the last stage; else cancelled, active or on hold."""
    open_ = np.array(["Cancelled", "Active", "On hold"])[rng.choice(3, furthest.size, p=[0.55, 0.33, 0.12])]
    done = np.where(rng.random(furthest.size) < 0.05, "Retired", "In production")
    return np.where(furthest == len(STAGES) - 1, done, open_)


def portfolio_frame(n: int, seed: int = SEED) -> pd.DataFrame:
    """n pilots as a tracker export: text cells under PORTFOLIO_HEADER."""
    rng = np.random.default_rng(seed)
    p = _pilots(n, rng)
    status = _statuses(p["furthest"], rng)
    cancelled = status == "Cancelled"
    end = np.where(cancelled | (status == "Retired"),
                   np.minimum(p["last"] + rng.integers(5, 90, n).astype("timedelta64[D]"), AS_OF),
                   np.datetime64("NaT"))
    update = np.minimum(p["last"] + rng.integers(0, 400, n).astype("timedelta64[D]"), AS_OF)
    budget = rng.integers(10, 800, n) * 1000
    columns = {
        "Pilot ID": np.char.add("AI-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "Pilot Name": np.array(NAMES)[rng.integers(0, len(NAMES), n)],
        "Business Unit": np.array(UNITS)[rng.integers(0, len(UNITS), n)],
        "Use Case": np.array(USE_CASES)[rng.integers(0, len(USE_CASES), n)],
        "Sourcing": np.array(SOURCING)[rng.integers(0, len(SOURCING), n)],
        "Sponsor": np.array(SPONSORS)[rng.integers(0, len(SPONSORS), n)],
        "Start Date": _days(p["start"]),
        "Stage": np.array(STAGES)[p["furthest"]],
        "Status": status,
        "Failure Cause": np.where(cancelled, np.array(CAUSES)[rng.integers(0, len(CAUSES), n)], ""),
        "End Date": _days(end),
        "Last Update": _days(update),
        "Budget": budget.astype(str),
        "Spend": (budget * rng.uniform(0.2, 1.3, n)).round(-2).astype(int).astype(str),
    }
    for i, stage in enumerate(STAGES):
        columns[f"{stage} Date"] = _days(p["dates"][:, i])
    return pd.DataFrame(columns)[PORTFOLIO_HEADER]


def event_log_frame(events: int, seed: int = SEED) -> pd.DataFrame:
    """About `events` stage changes: one row per stage a pilot entered; the last row of a cancelled or
    finished pilot carries its status (and cause)."""
    rng = np.random.default_rng(seed + 1)
    n = int(events / 3.3)  # pilots reach 3.3 stages on average under ADVANCE
    p = _pilots(n, rng)
    status = _statuses(p["furthest"], rng)
    pilot, stage = np.nonzero(~np.isnat(p["dates"]))
    last = stage == p["furthest"][pilot]
    hour = rng.integers(8 * 3600, 18 * 3600, pilot.size).astype("timedelta64[s]")
    stamp = p["dates"][pilot, stage].astype("datetime64[s]") + hour
    row_status = np.where(last, status[pilot], "Active")
    cause = np.where(last & (row_status == "Cancelled"), np.array(CAUSES)[rng.integers(0, len(CAUSES), pilot.size)],
                     "")
    return pd.DataFrame({
        "Pilot ID": np.char.add("AI-", np.char.zfill((pilot + 1).astype(str), 7)),
        "Stage": np.array(STAGES)[stage],
        "Timestamp": np.datetime_as_string(stamp, unit="s"),
        "Status": row_status,
        "Failure Cause": cause,
    })[EVENT_HEADER]


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The frame as UTF-8 CSV (empty cells for missing values), written once per path."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        frame.to_csv(tmp, index=False, lineterminator="\n")
        tmp.rename(path)
    return path
