"""The summary command's pandas-free path (analysis/cli/summary_fast.py) prints, for every file it takes, exactly the
JSON the pandas path (analysis/cli/summary.py) prints, and declines every file it cannot read as that path does
(which then reads it)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli.summary import analyse_file, summary
from analysis.cli.summary_fast import summary_of
from tests.builders import HEADERS, make_portfolio, pilot
from tests.conftest import ROOT, SAMPLE

sys.path.insert(0, str(ROOT / "bench"))
from portfolios import event_log_frame, portfolio_frame  # noqa: E402


def as_text(found: dict) -> str:
    return json.dumps(found, indent=2, default=str)


def reference(data: bytes, as_of: dt.date | None = None, stall_days: int = 90) -> str:
    return as_text(summary(analyse_file(data, "upload.csv", None, as_of, stall_days)))


def assert_taken(data: bytes, as_of: dt.date | None = None, stall_days: int = 90) -> dict:
    """The fast path reads the file, and says what the pandas path says."""
    fast = summary_of(data, as_of, stall_days)
    assert fast is not None, "declined"
    assert as_text(fast) == reference(data, as_of, stall_days)
    return fast


def csv_bytes(frame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue().encode()


@pytest.mark.parametrize("as_of, stall_days", [(None, 90), (dt.date(2025, 6, 30), 90), (None, 0), (None, 10_000),
                                               (dt.date(2019, 1, 1), 30)])
def test_the_sample_is_read_without_pandas_to_the_same_summary(as_of, stall_days):
    found = assert_taken(SAMPLE.read_bytes(), as_of, stall_days)
    if as_of is None and stall_days == 90:
        assert [f["reached"] for f in found["funnel"]] == [600, 567, 497, 280, 156]
        assert found["outcomes"] == {"production": 148, "retired": 8, "cancelled": 287, "active": 119,
                                     "on_hold": 38, "stalled": 31}
    if as_of == dt.date(2025, 6, 30):  # later dates are kept and reported
        assert any("after the as-of date 2025-06-30" in p["problem"] for p in found["problems"])


def test_a_generated_portfolio_as_the_benchmark_makes_them():
    found = assert_taken(csv_bytes(portfolio_frame(20_000, seed=7)))
    assert found["pilots"] == 20_000 and found["rows"] == {"read": 20_000, "accepted": 20_000, "rejected": 0}


def test_a_large_export_with_rows_to_reject():
    """Over parse.SAMPLE_ROWS rows the pandas path holds IDs as themselves (not hashed): repeats, a missing ID and
    a total line are found alike, and the cells to trim among them."""
    frame = portfolio_frame(12_000, seed=3)
    frame.iloc[11_000] = frame.iloc[5_000]  # an exact copy
    frame.loc[11_500, "Pilot ID"] = frame.loc[200, "Pilot ID"]  # the same ID, other data
    frame.loc[7_000, "Pilot ID"] = ""
    frame.loc[8_000, "Business Unit"] = " Finance  "
    frame.loc[9_000, "Start Date"] = "03/15/2021"
    data = csv_bytes(frame) + b"Total,,,,,,,,,,,,5000,,,,,,\n"
    found = assert_taken(data)
    assert found["rows"] == {"read": 12_001, "accepted": 11_998, "rejected": 3}  # the row without an ID is kept


def _large_messy_export() -> bytes:
    frame = portfolio_frame(12_000, seed=3)
    frame.loc[8_000, "Business Unit"] = " Finance  "
    frame.loc[9_000, "Sponsor"] = "N/A"
    frame.loc[9_500, "Stage"] = ""
    frame.loc[5_000:5_020, "Pilot Name"] = frame.loc[100, "Pilot Name"]  # names repeat: ties among the counts
    return csv_bytes(frame)


@pytest.mark.parametrize("data", [lambda: SAMPLE.read_bytes(), lambda: csv_bytes(portfolio_frame(20_000, seed=7)),
                                  _large_messy_export, lambda: make_portfolio(12, delimiter=";")],
                         ids=["sample", "20k generated", "12k messy", "small"])
def test_each_column_is_seen_by_the_guess_as_the_pandas_path_sees_it(data):
    """The guess reads the same evidence on both paths (not only the same columns chosen): every column's
    values counted (its first rows only, for mostly distinct IDs and names), trimmed, placeholders left out,
    the commonest first."""
    from analysis.cli.summary_fast import DistinctColumns, _columns
    from analysis.ingest.mapping import Columns
    from analysis.ingest.reading import read_upload
    from analysis.ingest.shapes import distinct_values
    from analysis.ingest.validate import cleaned

    data = data()
    raw = cleaned(read_upload(data, "upload.csv"))
    pandas_path, fast = Columns(raw.cells, distinct_values(raw)), DistinctColumns(_columns(data)[0])
    assert fast.columns == pandas_path.headers
    for header in fast.columns:
        assert fast.column_values(header) == pandas_path.values(header), header


def test_the_columns_encoded_two_at_a_time_are_each_encoded_once_and_an_error_in_the_thread_is_raised():
    from analysis.cli.summary_fast import _in_two

    done: list[int] = []
    _in_two(done.extend, [1, 2, 3, 4, 5])
    assert sorted(done) == [1, 2, 3, 4, 5]

    def work(part: list[int]) -> None:
        if 2 in part:
            raise ValueError("in the other thread")
        done.extend(part)

    done.clear()
    with pytest.raises(ValueError, match="in the other thread"):
        _in_two(work, [1, 2, 3])
    assert done == [1, 3]


def test_a_byte_order_mark_and_semicolons():
    data = make_portfolio(12, delimiter=";")
    assert_taken(b"\xef\xbb\xbf" + data)


TAKEN = {
    "defaults": [pilot(i) for i in range(1, 8)],
    "decided and not": [pilot(1, stage="Production", status="In production", production_date="2024-09-01"),
                        pilot(2, status="Cancelled", failure_cause="No business case", end_date="2024-05-01"),
                        pilot(3, status="Cancelled", failure_cause="Aliens took it", end_date="2024-06-01"),
                        pilot(4, status="Cancelled", failure_cause="", end_date=""),
                        pilot(5, status="On hold", last_update="2024-04-01"),
                        pilot(6, stage="Production", status="Retired", end_date="2025-01-01",
                              production_date="2024-02-01"),
                        pilot(7)],
    "unmapped values": [pilot(1, stage="Discovery", status="Weird", failure_cause="Cosmic rays"),
                        pilot(2, stage="Pilot", status="Paused", pilot_date="2024-05-01"), pilot(3)],
    "dates that cannot be read, the future, far past": [
        pilot(1, start_date="2023-02-30"), pilot(2, start_date="1850-01-01"), pilot(3, last_update="2150-01-01"),
        pilot(4, poc_date="2099-12-31"), pilot(5, end_date="2024-13-01")],
    "amounts": [pilot(1, budget="9999999999999", spend="0"), pilot(2, budget="120000", spend="")],
    "stage from dates, or none": [pilot(1, stage="", pilot_date="2024-06-01"),
                                  pilot(2, stage="", intake_date="", poc_date=""), pilot(3)],
    "production status at an earlier stage": [pilot(1, status="In production"), pilot(2)],
    "empty and '(blank)' segments": [pilot(1, business_unit="", sponsor=""), pilot(2, business_unit="(blank)"),
                                     pilot(3, business_unit="", use_case="", sourcing="")],
    "nothing decided": [pilot(i, status="Active") for i in range(1, 5)],
    "a single pilot": [pilot(1)],
    "unicode text": [pilot(1, name="Prévision des ventes", business_unit="Ventes & Marketing".replace("&", "et"),
                           sponsor="Zoë"), pilot(2, use_case="需要预测")],
}


@pytest.mark.parametrize("rows", TAKEN.values(), ids=TAKEN.keys())
def test_portfolios_it_takes(rows):
    assert_taken(make_portfolio(rows))
    assert_taken(make_portfolio(rows), as_of=dt.date(2024, 4, 15), stall_days=20)


def test_other_headers_and_orders():
    headers = ["Project Name", "Phase", "Project Key", "Health", "Department", "Kick-off", "Go-live"]
    rows = [{"Project Name": f"P {i}", "Phase": ["Ideation", "PoC", "Pilot", "Live"][i % 4], "Project Key": f"K-{i}",
             "Health": ["On track", "Cancelled", "Paused"][i % 3], "Department": ["Ops", "", "HR"][i % 3],
             "Kick-off": f"2023-0{1 + i % 9}-15", "Go-live": "2024-02-01" if i % 4 == 3 else ""} for i in range(30)]
    assert_taken(make_portfolio(rows, headers=headers))


def test_no_dates_at_all():
    headers = ["Pilot ID", "Stage", "Status", "Business Unit"]
    rows = [{"Pilot ID": f"A{i}", "Stage": ["Intake", "PoC", "Production"][i % 3],
             "Status": ["Active", "Cancelled", "Live"][i % 3], "Business Unit": "X"} for i in range(9)]
    found = assert_taken(make_portfolio(rows, headers=headers))
    assert found["as_of"] is None


WRITTEN = {
    "times in dates": [pilot(1, start_date="2024-01-01 10:30"), pilot(2, last_update="2024-02-03T09:15:00Z"),
                       pilot(3, poc_date="2024-03-01 9:05 PM")],
    "month-first dates": [pilot(i, start_date=f"{1 + i % 12}/{13 + i}/2023", intake_date="", poc_date="")
                          for i in range(1, 8)],
    "day-first dates with another order among them": [
        *[pilot(i, start_date=f"{13 + i}.0{1 + i % 9}.2023") for i in range(1, 8)], pilot(9, start_date="03/15/2023")],
    "dates that read both ways": [pilot(i, start_date=f"0{i}/0{i + 1}/2023") for i in range(1, 6)],
    "Excel serials and a dash": [pilot(1, start_date="45000"), pilot(2, start_date="45000.6"), pilot(3, end_date="-"),
                                 pilot(4, last_update="12")],
    "periods (once unreadable on this path)": [pilot(1, start_date="2024"), pilot(2, start_date="01/2024"),
                                               pilot(3, end_date="2024-03"), pilot(4, last_update="13/2024")],
    "a time in other digits": [pilot(1, start_date="2024-03-15 １０:３０")],
    "amounts as written": [pilot(1, budget="$1,200", spend="1.2M"), pilot(2, budget="(500)", spend="EUR 3.000,50"),
                           pilot(3, budget="2bn", spend="lots"), pilot(4, budget="-7", spend="1.2.3"),
                           pilot(5, budget="20000000000000000", spend="12,5")],
    "cells to trim": [pilot(1, business_unit=" Finance "), pilot(2, sponsor="Ada\u00a0Lovelace"),
                      pilot(3, stage=" Pilot", status="Cancelled ", failure_cause=" No business case")],
    "a repeated ID, the same row again and a different one": [pilot(1), pilot(2), pilot(1), pilot(2, name="Other")],
    "rows without an ID": [pilot(1), pilot(2, pilot_id=""), pilot(3)],
    "a total line and an empty row": [pilot(1), {"Pilot ID": "", "Name": ""}, {"Pilot ID": "Grand Total", "Budget": "5"}],
    "a total line without an ID": [pilot(1), {"Name": "Sum", "Budget": "5"}],
    # line 4 is named row-4-no-id: a kept row has row-4 as its ID (once declined: this path did not tell)
    "a name a row has as its ID": [pilot(1), pilot(2, pilot_id=""), pilot(3, pilot_id="row-4"), pilot(4, pilot_id="row-9")],
    "many repeated IDs": [pilot(i % 7) for i in range(3_000)],  # once declined, above 2,000 repeats
}


@pytest.mark.parametrize("rows", WRITTEN.values(), ids=WRITTEN.keys())
def test_written_dates_amounts_cells_and_rejected_rows(rows):
    found = assert_taken(make_portfolio([pilot(10), *rows, pilot(11)]))
    assert found["rows"]["read"] == len(rows) + 2


def test_what_the_written_cases_say():
    """A few of the numbers behind the cases above, so that both paths cannot be wrong alike."""
    found = summary_of(make_portfolio([pilot(10), *WRITTEN["a repeated ID, the same row again and a different one"],
                                       pilot(11)]), None, 90)
    assert found["rows"] == {"read": 6, "accepted": 4, "rejected": 2}
    assert [p["problem"] for p in found["problems"]] == [
        "pilot ID 'P001' repeats line 3 (an exact copy)",
        "pilot ID 'P002' repeats line 4 with different data; keep one of the two rows"]
    found = summary_of(make_portfolio([pilot(10), *WRITTEN["a name a row has as its ID"], pilot(11)]), None, 90)
    assert [p["problem"] for p in found["problems"] if p["row"] == 4] == ["no pilot ID; kept as pilot 'row-4-no-id'"]
    found = summary_of(make_portfolio(WRITTEN["dates that read both ways"]), None, 90)
    assert found["problems"][0]["row"] == 1 and "could be day-first or month-first" in found["problems"][0]["problem"]
    found = summary_of(make_portfolio(WRITTEN["amounts as written"]), None, 90)
    assert {(p["row"], p["problem"]) for p in found["problems"]} >= {
        (4, "'lots' is not a number that can be read; left empty"),
        (5, "'-7' is negative or implausibly large; left empty"),
        (6, "'20000000000000000' is negative or implausibly large; left empty")}


@pytest.mark.parametrize("data", [
    b"Pilot ID,,Stage\nA1,,PoC\nA2,,Pilot\n",  # a column without a header, and nothing in it: dropped
    b"Pilot ID,,Stage\nA1,x,PoC\nA2,,Pilot\n",  # a column without a header, named `column 2`
    b"Name,Stage,Status\nA,PoC,Active\nB,Pilot,Cancelled\n",  # no ID column: pilots are named by their line
], ids=["empty column without a header", "column without a header", "no ID column"])
def test_other_tables_it_takes(data):
    assert_taken(data)


DECLINED = {
    "markup": [pilot(1, name="<b>Bot</b>")],
    "a formula": [pilot(1, name="=SUM(A1:A2)")],
    "a month's name": [pilot(1, start_date="12 Mar 2024")],
    "words in a date": [pilot(1, start_date="TBD")],
}


@pytest.mark.parametrize("rows", DECLINED.values(), ids=DECLINED.keys())
def test_files_it_declines_are_left_to_the_pandas_path(rows):
    data = make_portfolio([pilot(10), *rows, pilot(11)])
    assert summary_of(data, None, 90) is None
    assert json.loads(reference(data))["pilots"] == 3


@pytest.mark.parametrize("data", [
    make_portfolio(5).decode().encode("utf-16"),
    make_portfolio([pilot(1, name="Prévision")]).decode().encode("latin-1"),
    csv_bytes(event_log_frame(400)),
    b"PK\x03\x04" + bytes(200),
    b"Pilot ID,Stage\n,\n,\n",
], ids=["utf-16", "latin-1", "event log", "workbook", "no cell filled"])
def test_other_shapes_are_declined(data):
    assert summary_of(data, None, 90) is None


def test_the_federal_inventory(federal_bytes):
    fast = summary_of(federal_bytes, None, 90)
    assert fast is None or as_text(fast) == reference(federal_bytes)


VALUES = {
    "id": ["A1", "A2", "A3", "B-7", "x", "", "Total"],
    "text": ["", "Finance", "HR", "(blank)", "Ops & Co", " HR", "Zoë", "R&D", "Q&A bot", "Sum of parts"],
    "stage": ["", "Intake", "PoC", "Pilot", "Production", "Live", "Scoping", "Discovery", " pilot "],
    "status": ["", "Active", "Cancelled", "On hold", "In production", "Retired", "Weird"],
    "cause": ["", "No business case", "Data quality", "Aliens"],
    "date": ["", "2023-01-15", "2024-02-29", "2023-02-29", "2024-07-01", "2100-01-01", "1850-05-05",
             "2024-07-01 09:00", "15/01/2024", "01/15/2024", "3/4/2024", "45000", "2024-1-5", "-", "7.8.2023"],
    "amount": ["", "1000", "250000", "9999999999999", "1,000", "$2.5k", "(300)", "1.234,5", "n/a"],
}
CELLS = {k: st.sampled_from(v) for k, v in VALUES.items()}
# Every cell the fast path reads: the same, with every row an ID of its own
CLEAN = {k: st.sampled_from([v for v in values if v not in ("", "Total")] if k == "id" else values)
         for k, values in VALUES.items()}
KINDS = {"Pilot ID": "id", "Name": "text", "Business Unit": "text", "Use Case": "text", "Sourcing": "text",
         "Sponsor": "text", "Start Date": "date", "Stage": "stage", "Status": "status", "Failure Cause": "cause",
         "End Date": "date", "Last Update": "date", "Budget": "amount", "Spend": "amount", "Intake Date": "date",
         "Scoping Date": "date", "PoC Date": "date", "Pilot Date": "date", "Production Date": "date"}


@st.composite
def portfolios(draw, cells=CELLS, repeats=True):
    n = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        row = {h: draw(cells[k]) for h, k in KINDS.items()}
        row["Pilot ID"] = f"P{i}" if not repeats or draw(st.booleans()) or i else row["Pilot ID"]
        rows.append(row)
    return make_portfolio(rows, headers=HEADERS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=portfolios(), as_of=st.sampled_from([None, dt.date(2024, 1, 31)]))
def test_any_portfolio_is_read_alike_or_declined(data, as_of):
    fast = summary_of(data, as_of, 90)
    if fast is not None:
        assert as_text(fast) == reference(data, as_of)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=portfolios(CLEAN, repeats=False), as_of=st.sampled_from([None, dt.date(2024, 1, 31)]),
       stall_days=st.sampled_from([0, 90]))
def test_any_clean_portfolio_is_read_alike(data, as_of, stall_days):
    assert_taken(data, as_of, stall_days)


PROBE = """
import contextlib, io, json, sys
from analysis.__main__ import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "pandas": "pandas" in sys.modules,
                  "compute": "pyarrow.compute" in sys.modules}))
"""


def _without_ids(data: bytes) -> bytes:
    """The sample with its second and third pilots' IDs gone: a placeholder (N/A) and an empty cell."""
    lines = data.split(b"\n")
    for at, placeholder in ((1, b"N/A"), (2, b"")):
        lines[at] = placeholder + lines[at][lines[at].index(b","):]
    return b"\n".join(lines)


@pytest.mark.parametrize("variant", [lambda data: data, _without_ids], ids=["sample", "rows without an ID"])
def test_the_command_summarises_a_clean_export_without_importing_pandas(tmp_path, variant):
    # nor pyarrow.compute, whose import alone is a tenth of the first run (analysis/ingest/arrowtext.call)
    data = variant(SAMPLE.read_bytes())
    (tmp_path / "export.csv").write_bytes(data)
    run = subprocess.run([sys.executable, "-c", PROBE, "summary", str(tmp_path / "export.csv")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={"PILOTS_DATA_DIR": str(tmp_path), "PATH": ""})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["code"] == 0 and not result["pandas"] and not result["compute"]
    assert result["out"] == reference(data) + "\n"


def test_a_failing_shortcut_leaves_the_file_to_the_pandas_path(tmp_path, monkeypatch, capsys):
    import analysis.cli.summary_fast

    def broken(*args):
        raise RuntimeError("a bug in the shortcut")

    monkeypatch.setenv("PILOTS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(analysis.cli.summary_fast, "summary_of", broken)
    from analysis.__main__ import main

    assert main(["summary", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == reference(SAMPLE.read_bytes()) + "\n"


# Exports as trackers write them: their own header names in any order, some fields missing, other delimiters
# and line ends, dates in one writing per column, and now and then a messy cell.
HEADER_NAMES = {
    "id": ["Pilot ID", "ID", "Project Key", "Use Case ID", "Initiative #", "Key"],
    "name": ["Name", "Title", "Project Name", "Summary"], "bu": ["Business Unit", "Department", "BU", "Division"],
    "uc": ["Use Case", "Category", "Use case type"], "src": ["Sourcing", "Build/Buy", "Vendor type"],
    "sp": ["Sponsor", "Owner", "Executive Sponsor"], "start": ["Start Date", "Created", "Kick-off", "Start"],
    "stage": ["Stage", "Phase", "Lifecycle Stage", "Development_Stage"], "status": ["Status", "Health", "State"],
    "cause": ["Failure Cause", "Reason", "Cancellation Reason", "Why stopped"],
    "end": ["End Date", "Closed", "Completed"], "upd": ["Last Update", "Updated", "Last Modified"],
    "bud": ["Budget", "Approved budget", "Cost"], "spend": ["Spend", "Actuals"], "poc": ["PoC Date", "POC start"],
    "pilot": ["Pilot Date"], "prod": ["Production Date", "Go-live", "Live date"], "extra": ["Notes", "Region", "Tier"],
}
CELL_VALUES = {
    "name": ["Bot", "Chat assistant", "Q&A, internal", 'He said "hi"', "Zoë's tool", "", " padded "],
    "bu": ["Finance", "HR", "", "(blank)", "R&D", "Ops"], "uc": ["Forecasting", "Summarisation", "Sum", ""],
    "src": ["Build", "Buy", "Partner", "Vendor", "In-house", "", "Mixed"], "sp": ["Ada", "Bob", "", "Dr. Who"],
    "stage": ["Intake", "Idea", "Scoping", "PoC", "Proof of concept", "Pilot", "Production", "Live", "In use", "",
              "Retired", "Discovery", "Operation and Maintenance"],
    "status": ["Active", "On track", "On hold", "Paused", "Cancelled", "Stopped", "Killed", "Done", "Closed", "Live",
               "In production", "Retired", "", "At risk", "Not in production"],
    "cause": ["", "", "No business case", "Data quality", "Vendor issues", "Cost", "Aliens", "not recorded"],
    "bud": ["1000", "25000", "", "$1,200", "1.5M", "(200)", "n/a", "12,5", "9999999999999"],
    "spend": ["1000", "", "300", "-5"], "extra": ["", "x", "EMEA", "y, z"],
}
DATE_FIELDS_OF = {"start", "end", "upd", "poc", "pilot", "prod"}
WRITINGS = ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%Y %I:%M %p"]


def tracker_export(seed: int) -> bytes:
    rng = random.Random(seed)
    fields = [f for f in HEADER_NAMES if f == "id" or rng.random() < 0.85]
    rng.shuffle(fields)
    headers = list(dict.fromkeys(rng.choice(HEADER_NAMES[f]) for f in fields))
    writing = {f: rng.choice(WRITINGS) for f in DATE_FIELDS_OF}

    def cell(f: str, i: int) -> str:
        if f == "id":
            return rng.choice([f"P{i}", f"P{max(i - 1, 0)}", "", "Total"]) if rng.random() < 0.05 else f"P{i}"
        if f in DATE_FIELDS_OF:
            if rng.random() < 0.03:
                return rng.choice(["", "2023-02-30", "45000", "-", "2100-01-01", "1/2/2024"])
            return (dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 3200))).strftime(writing[f])
        return rng.choice(CELL_VALUES[f])

    out = io.StringIO()
    writer = csv.writer(out, delimiter=rng.choice([",", ";", "\t"]), lineterminator=rng.choice(["\n", "\r\n"]))
    writer.writerow(headers)
    writer.writerows([[cell(f, i) for f in fields[:len(headers)]] for i in range(rng.randint(1, 60))])
    return out.getvalue().encode()


def test_exports_of_many_shapes_are_read_alike():
    taken = 0
    for seed in range(60):
        data = tracker_export(seed)
        for as_of in (None, dt.date(2023, 6, 1)):
            fast = summary_of(data, as_of, 90)
            if fast is not None:
                taken += 1
                assert as_text(fast) == reference(data, as_of), seed
    assert taken >= 100  # of 120: the fast path is the one that runs
