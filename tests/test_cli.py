"""`python -m analysis summary` prints the summary JSON of DESIGN.md; unreadable files exit 2 plainly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.builders import make_portfolio, pilot
from tests.conftest import FEDERAL, ROOT, SAMPLE

KEYS = {"rows", "pilots", "stages", "funnel", "outcomes", "failure_causes", "mapping", "unmapped_values",
        "problems", "failure_rates", "time_to_production"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_summary_of_the_sample():
    result = run("summary", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout)
    assert KEYS <= set(s)
    assert s["rows"] == {"read": 600, "accepted": 600, "rejected": 0}
    assert s["outcomes"] == {"production": 148, "retired": 8, "cancelled": 287, "active": 119, "on_hold": 38,
                             "stalled": 31}
    assert [f["reached"] for f in s["funnel"]] == [600, 567, 497, 280, 156]
    assert s["failure_causes"][:2] == [{"cause": "data_quality", "count": 68},
                                       {"cause": "unclear_value", "count": 67}]
    build = next(r for r in s["failure_rates"]["sourcing"] if r["segment"] == "build")
    assert (build["cancelled"], build["decided"]) == (168, 222)
    assert build["ci_low"] < 168 / 222 < build["ci_high"]
    assert s["time_to_production"]["at_months"] == [6, 12, 24]


def test_summary_with_as_of_and_stall_days(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(make_portfolio([pilot(1, Last_Update="2024-03-01"), pilot(2, Last_Update="2024-05-20")]))
    s = json.loads(run("summary", str(path), "--as-of", "2024-06-01", "--stall-days", "30").stdout)
    assert s["outcomes"]["stalled"] == 1  # P001: 92 days without progress; P002: 12
    s = json.loads(run("summary", str(path), "--as-of", "2024-06-01", "--stall-days", "100").stdout)
    assert s["outcomes"]["stalled"] == 0


def test_summary_with_a_mapping_file(tmp_path):
    data = tmp_path / "p.csv"
    data.write_bytes(b"Ref,Where\nA,Hatching\nB,Hatching\nC,Live\n")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"pilot_id": "Ref", "stage": "Where"},
                                   "values": {"stage": {"Hatching": "poc"}}}))
    s = json.loads(run("summary", str(data), "--mapping", str(mapping)).stdout)
    assert s["mapping"] == {"pilot_id": "Ref", "stage": "Where"}
    assert [f["reached"] for f in s["funnel"]] == [3, 3, 3, 1, 1]
    assert s["unmapped_values"]["stage"] == []


def test_federal_inventory_summary():
    s = json.loads(run("summary", str(FEDERAL)).stdout)
    assert s["rows"] == {"read": 710, "accepted": 710, "rejected": 0}
    assert s["mapping"]["stage"] == "Development_Stage"
    assert "Recognised as the U.S. federal AI use case inventory, 2023 format" in s["notes"][0]
    assert s["unmapped_values"]["stage"] == [] and [f["reached"] for f in s["funnel"]] == [389, 307, 215, 159]
    assert s["time_to_production"]["median_months"] is None  # no dates in this export


@pytest.mark.parametrize("content, message", [(None, "No such file"), (b"", "is empty"),
                                              (b"%PDF-1.4 ...", "is a PDF")])
def test_unreadable_file_exits_2_with_one_plain_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    result = run("summary", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert "Traceback" not in result.stderr
