"""summary_numbers (numpy arrays, no pandas) against the pandas summary (analysis/cli/summary.py), the reference:
the JSON text of the keys it computes must be identical, on the sample, the federal inventory, hand-made edge
cases and a generated 20k-pilot portfolio as the benchmark makes them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from builders import HEADERS, make_portfolio, pilot
from conftest import ROOT, SAMPLE

from analysis.cli.summary import analyse_file, summary
from analysis.cli.summary_numbers import NUMBER_KEYS, PilotArrays, summary_numbers
from analysis.metrics.outcomes import date_fields
from analysis.schema import DIMENSIONS
from bench.portfolios import portfolio_frame


def _coded(pilots: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    if column not in pilots:
        return np.full(len(pilots), -1, dtype=np.int64), []
    codes, uniques = pd.factorize(pilots[column])
    return codes.astype(np.int64), [str(u) for u in uniques]


def arrays_of(pilots: pd.DataFrame, stages: list[str]) -> PilotArrays:
    """The derived pilots as the lead's reader fills PilotArrays: text columns factorized, dates as
    datetime64[us] (all NaT for a date column the frame lacks)."""
    missing = np.full(len(pilots), np.datetime64("NaT"), dtype="datetime64[us]")
    dates = {c: pilots[c].to_numpy(dtype="datetime64[us]") if c in pilots else missing.copy()
             for c in date_fields(stages)}
    return PilotArrays(stages, pilots["stage_index"].to_numpy(dtype=np.int64), _coded(pilots, "status"),
                       _coded(pilots, "failure_cause"), {d: _coded(pilots, d) for d in DIMENSIONS}, dates)


def both(data: bytes, as_of: dt.date | None = None, stall_days: int = 90) -> tuple[str, str]:
    """The reference's JSON text of NUMBER_KEYS and summary_numbers' for the same file."""
    analysed = analyse_file(data, "test.csv", None, as_of, stall_days)
    ref = summary(analysed)
    got = summary_numbers(arrays_of(analysed.derived.pilots, analysed.derived.stages), as_of, stall_days)
    assert list(got) == NUMBER_KEYS
    return (json.dumps({k: ref[k] for k in NUMBER_KEYS}, indent=2, default=str),
            json.dumps(got, indent=2, default=str))


def assert_same(data: bytes, as_of: dt.date | None = None, stall_days: int = 90) -> dict:
    ref, got = both(data, as_of, stall_days)
    assert got == ref
    return json.loads(got)


def mixed_rows() -> list[dict[str, object]]:
    """Every outcome: production by status and by the last stage, retired, cancelled with a canonical, an
    unmapped and no cause, active and on hold, with progress dates spread around 2024."""
    return [
        pilot(1, stage="Production", status="In production", production_date="2024-05-01", end_date="2024-05-01"),
        pilot(2, stage="Production", status="Active", production_date="2024-09-15"),
        pilot(3, stage="Production", status="Retired", production_date="2024-02-01", end_date="2024-12-01"),
        pilot(4, status="Cancelled", failure_cause="Data quality issues", end_date="2024-04-10"),
        pilot(5, stage="Pilot", status="Cancelled", failure_cause="SteerCo said not now", pilot_date="2024-06-01"),
        pilot(6, stage="Scoping", status="Cancelled", business_unit="HR", scoping_date="2024-02-01"),
        pilot(7, status="On hold", business_unit="HR", last_update="2024-03-01"),
        pilot(8, status="Active", sourcing="Buy", start_date="2023-06-01", last_update="2024-10-30"),
        pilot(9, stage="Pilot", status="Active", sourcing="Partner", pilot_date="2024-07-01"),
        pilot(10, status="Cancelled", failure_cause="No clear ROI", sourcing="Buy", start_date="2023-11-20",
              end_date="2024-01-05"),
        pilot(11, stage="Intake", status="Active", start_date="2024-10-01", intake_date="2024-10-01", poc_date=""),
        pilot(12, status="Cancelled", failure_cause="Data quality issues", business_unit="", end_date="2024-08-08"),
    ]


def test_the_sample_and_the_federal_inventory(federal_bytes) -> None:
    sample = assert_same(SAMPLE.read_bytes())
    assert sample["outcomes"] == {"production": 148, "retired": 8, "cancelled": 287, "active": 119, "on_hold": 38,
                                  "stalled": 31}  # COMMON.md's counts of the bundled sample
    federal = assert_same(federal_bytes)
    assert federal["funnel"] and federal["failure_rates"]


def test_every_outcome_and_cause_kind() -> None:
    got = assert_same(make_portfolio(mixed_rows()))
    # hand count: production 1, 2 (last stage, active); retired 3; cancelled 4, 5, 6, 10, 12
    assert got["outcomes"] == {"production": 2, "retired": 1, "cancelled": 5, "active": 3, "on_hold": 1,
                               "stalled": 2}
    assert [c["count"] for c in got["failure_causes"]] == [2, 1, 1, 1]
    assert "(blank)" in [r["segment"] for r in got["failure_rates"]["business_unit"]]


@pytest.mark.parametrize("stall_days", [0, 90, 10_000])
@pytest.mark.parametrize("as_of", [None, dt.date(2024, 4, 1), dt.date(2030, 1, 1)])
def test_as_of_and_stall_days(as_of, stall_days) -> None:
    got = assert_same(make_portfolio(mixed_rows()), as_of, stall_days)
    if stall_days == 10_000:
        assert got["outcomes"]["stalled"] == 0


def test_no_dates_at_all() -> None:
    headers = [h for h in HEADERS if "Date" not in h and h != "Last Update"]
    data = make_portfolio(mixed_rows(), headers=headers)
    got = assert_same(data)
    assert got["as_of"] is None and got["time_to_production"]["median_months"] is None
    assert_same(data, as_of=dt.date(2024, 6, 1))


def test_every_stage_unknown() -> None:
    # no stage that reads and no stage dates to infer one from: only the production and retired statuses
    # (pilots 1 and 3) place a pilot, at the last stage
    stage_dates = [f"{s} Date" for s in ["Intake", "Scoping", "PoC", "Pilot", "Production"]]
    rows = [{**row, "Stage": value} for row, value in zip(mixed_rows(), ["???", "", "n/a"] * 4)]
    got = assert_same(make_portfolio(rows, headers=[h for h in HEADERS if h not in stage_dates]))
    assert [step["reached"] for step in got["funnel"]] == [2] * 5


def test_a_dimension_all_empty_and_a_value_named_blank() -> None:
    rows = [{**row, "Sponsor": ""} for row in mixed_rows()]
    rows[0]["Business Unit"] = rows[4]["Business Unit"] = "(blank)"  # merges with the missing value of row 12
    got = assert_same(make_portfolio(rows))
    assert "sponsor" not in got["failure_rates"]
    blank = next(r for r in got["failure_rates"]["business_unit"] if r["segment"] == "(blank)")
    assert (blank["cancelled"], blank["decided"]) == (2, 3)


def test_no_cancelled_and_nothing_decided() -> None:
    active = [{**row, "Status": "Active", "Failure Cause": ""} for row in mixed_rows() if row["Stage"] != "Production"]
    got = assert_same(make_portfolio(active))
    assert got["failure_causes"] == [] and all(r["rate"] is None for r in got["failure_rates"]["sourcing"])
    no_cancelled = [row for row in mixed_rows() if row["Status"] != "Cancelled"]
    assert assert_same(make_portfolio(no_cancelled))["outcomes"]["cancelled"] == 0


def test_a_few_pilots_and_one() -> None:
    assert_same(make_portfolio(3))
    assert_same(make_portfolio([pilot(1, status="Cancelled")]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_small_portfolios(seed) -> None:
    # small generated portfolios: many segments with few decided pilots, causes tied in count
    frame = portfolio_frame(300, seed=seed)
    assert_same(frame.to_csv(index=False).encode(), stall_days=seed * 30)


def test_a_generated_20k_portfolio() -> None:
    data = portfolio_frame(20_000).to_csv(index=False, lineterminator="\n").encode()
    got = assert_same(data)
    assert sum(got["outcomes"][k] for k in ["production", "retired", "cancelled", "active", "on_hold"]) == 20_000


def test_importing_it_imports_no_pandas() -> None:
    code = ("import sys, analysis.cli.summary_numbers; "
            "print(sorted(m for m in ('pandas', 'scipy', 'pyarrow', 'duckdb', 'plotly') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
