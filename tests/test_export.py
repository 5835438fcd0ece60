"""CSV downloads: cells a spreadsheet would run as a formula are neutralised (OWASP "CSV injection":
a leading =, +, -, @, tab or carriage return), everything else is left exactly as it was."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from analysis.cli.export import neutralise, safe_csv


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so a spreadsheet detects the encoding
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Fraud model = good", "Fraud model = good"),  # only a leading character counts
    ("e-mail triage", "e-mail triage"),
    ("", ""),
])
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_safe_csv_neutralises_text_cells_and_headers_but_not_numbers():
    frame = pd.DataFrame({"Name": ["=cmd|' /C calc'!A0", "Chatbot", "@risk"], "Spend": [-1200.5, 0.0, 3.0],
                          "=Header": ["+x", "ok", None]})
    rows = read_back(safe_csv(frame))
    assert rows[0] == ["Name", "Spend", "'=Header"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-1200.5", "'+x"]  # a negative number is a number, not a formula
    assert rows[2] == ["Chatbot", "0.0", "ok"]
    assert rows[3] == ["'@risk", "3.0", ""]


def test_safe_csv_on_pandas_string_dtype():
    frame = pd.DataFrame({"Sponsor": pd.Series(["-Ada", "Grace"], dtype="string")})
    assert read_back(safe_csv(frame))[1:] == [["'-Ada"], ["Grace"]]
