"""The event-log derivation on integer codes (analysis/ingest/events.py) gives the answers the definitions give:
a tricky log worked by hand, a plain per-pilot reference on random logs, and a log in file order against
the same log shuffled (the already-sorted shortcut against the sort)."""

from __future__ import annotations

import datetime as dt
import random
import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest.events import TOTAL_HINT
from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import TOTAL_WORDS, IngestError, read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived

TODAY = dt.date(2026, 11, 1)
HEADER = "Case ID,Activity,Timestamp,Status,Cause,Colour"
# Out of order in the file, a pilot going back a stage, an exact copy, events of one day at two times,
# ties in time, an unknown activity, bad and missing timestamps, no ID, an empty row, a total line.
TRICKY_LOG = f"""{HEADER}
B7,Pilot,2024-05-02 09:00,Active,,red
A1,PoC,2024-03-10,Active,,blue
A1,Intake,2024-01-05 08:00,Active,,
A1,Scoping,2024-02-01,Active,,green
B7,Intake,2024-01-15,Active,,
A1,Scoping,2024-04-01,Active,,
A1,PoC,2024-03-10,Active,,blue
B7,Legal review,2024-06-01,On hold,,
A1,Pilot,2024-05-20 17:30,Cancelled,Data quality,
A1,Pilot,2024-05-20 09:15,Active,,
C3,Intake,not a date,Active,,
C3,Scoping,2999-01-01,Active,,
,PoC,2024-02-02,Active,,
B7,Scoping,,Active,,
B7,PoC,2024-06-01,,,
,,,,,
Total,,,,,
D4,Intake,2024-02-10,Active,,
D4,Production,2024-02-10,Live,,
D4,Production,2024-09-01,Retired,,
"""
STAGES = ["intake", "scoping", "poc", "pilot", "production"]
DATE_COLUMNS = ["start_date", "last_update", "end_date"] + [f"{s}_date" for s in STAGES]


def derived(text: str, mapping: Mapping | None = None) -> Derived:
    return derive_upload(read_upload(text.encode(), "log.csv"), mapping, today=TODAY)


def iso(frame: pd.DataFrame, column: str) -> list[str]:
    return frame[column].dt.strftime("%Y-%m-%d").fillna("").tolist()


def test_a_tricky_log_worked_by_hand() -> None:
    d = derived(TRICKY_LOG)
    assert d.shape == "events"
    assert d.rejected[["row", "reason"]].values.tolist() == [
        [8, "an exact copy of the event on line 3"],
        [12, "'not a date' is not a date that can be read, so the event cannot be placed"],
        [13, "'2999-01-01' is in the future, so the event cannot be placed"],
        [14, "no pilot ID; give the event its pilot's ID or remove the row"],
        [15, "no timestamp; an event needs the time it happened"],
        [17, "the row is empty"],
        [18, "a total line, not an event"]]
    assert d.row_counts() == {"read": 20, "accepted": 13, "rejected": 7}
    p = d.pilots
    # Pilots in the order of their first accepted event's line; C3 has none, so no pilot.
    assert p["pilot_id"].tolist() == ["B7", "A1", "D4"]
    assert p["row"].tolist() == [2, 3, 19]
    # A1 went back to scoping in April: its scoping date is its first entry, in February. B7 entered PoC
    # after pilot: its stage is the furthest, pilot. D4 entered production twice: the first counts.
    assert iso(p, "intake_date") == ["2024-01-15", "2024-01-05", "2024-02-10"]
    assert iso(p, "scoping_date") == ["", "2024-02-01", ""]
    assert iso(p, "poc_date") == ["2024-06-01", "2024-03-10", ""]
    assert iso(p, "pilot_date") == ["2024-05-02", "2024-05-20", ""]
    assert iso(p, "production_date") == ["", "", "2024-02-10"]
    assert p["stage"].tolist() == ["pilot", "pilot", "production"]
    assert iso(p, "start_date") == ["2024-01-15", "2024-01-05", "2024-02-10"]
    assert iso(p, "last_update") == ["2024-06-01", "2024-05-20", "2024-09-01"]
    # A1's 17:30 cancellation is its last event although the file lists the 09:15 event after it; B7's
    # last event (a tie at midnight on 1 June, later in the file) has no status, so On hold stands.
    assert p["status"].tolist() == ["on_hold", "cancelled", "retired"]
    assert iso(p, "end_date") == ["", "2024-05-20", "2024-09-01"]
    assert p["failure_cause"].fillna("").tolist() == ["", "data_quality", ""]
    # The last colour in time: A1's blue (10 March) after its green (1 February), whatever the file order.
    assert p["x_colour"].fillna("").tolist() == ["red", "blue", ""]
    assert d.unmapped["stage"] == ["Legal review"]
    assert "13 events accepted, 7 rejected, 3 pilots built" in d.notes[-1]


def test_every_total_word_holds_a_hint() -> None:
    # Total lines are sought only among rows with a cell matching TOTAL_HINT (or a non-ASCII letter).
    assert all(re.search(TOTAL_HINT, word, re.IGNORECASE) for word in TOTAL_WORDS)


def test_a_total_line_whose_first_filled_cell_is_not_the_id() -> None:
    text = (f"{HEADER}\nA1,Intake,2024-01-01,Active,,\nA1,PoC,2024-02-01,Active,,\n"
            ",Grand-Total!,,,,\n,Intake,Sum,,,\n")
    d = derived(text, Mapping(columns=dict(MAPPING), shape="events"))
    assert d.rejected[["row", "reason"]].values.tolist() == [
        [4, "a total line, not an event"], [5, "no pilot ID; give the event its pilot's ID or remove the row"]]


def test_a_shuffled_log_gives_the_same_pilots_as_the_log_in_order() -> None:
    # Grouped by pilot and in time order, the log skips the sort; shuffled, it is sorted: same pilots.
    rng = random.Random(7)
    stages = ["Intake", "Scoping", "PoC", "Pilot", "Production"]
    rows = []
    for i in range(300):
        for j in range(i % 5 + 1):
            status = "Cancelled" if i % 7 == 0 and j == i % 5 else "Active"
            rows.append(f"P{i},{stages[j]},2024-{j + 1:02d}-{i % 28 + 1:02d} {i % 24:02d}:00,{status},"
                        f"{'Cost' if status == 'Cancelled' else ''},{rng.choice(['red', 'blue', ''])}")
    shuffled = rows[:]
    rng.shuffle(shuffled)
    in_order, mixed = (derived(f"{HEADER}\n" + "\n".join(r) + "\n").pilots for r in (rows, shuffled))
    columns = [c for c in in_order.columns if c != "row"]
    pd.testing.assert_frame_equal(in_order[columns].sort_values("pilot_id").reset_index(drop=True),
                                  mixed[columns].sort_values("pilot_id").reset_index(drop=True))
    assert in_order["stage_index"].value_counts().sort_index().tolist() == [60] * 5


# ----- a plain per-pilot reference on random logs -------------------------------------------------------

IDS = ["A1", "A2", "A3", "", "Total"]
ACTIVITIES = {"Intake": "intake", "Scoping": "scoping", "PoC": "poc", "Pilot": "pilot", "Production": "production",
              "Legal review": None, "": None}
STATUSES = {"Active": "active", "Cancelled": "cancelled", "Retired": "retired", "": None}
CAUSES = ["", "Cost", "Vendor issues"]
TIMES = st.one_of(st.builds(lambda d, h: f"2024-03-{d:02d}" + (f"T{h:02d}:00:00" if h is not None else ""),
                            st.integers(1, 4), st.one_of(st.none(), st.integers(8, 9))),
                  st.sampled_from(["", "soon", "2999-01-01"]))
EVENT = st.tuples(st.sampled_from(IDS), st.sampled_from(list(ACTIVITIES)), TIMES, st.sampled_from(list(STATUSES)),
                  st.sampled_from(CAUSES), st.sampled_from(["red", ""]))
MAPPING = {"pilot_id": "Case ID", "stage": "Activity", "timestamp": "Timestamp", "status": "Status",
           "failure_cause": "Cause"}


def reference_rejected(rows: list[tuple]) -> tuple[list[list], list[tuple[int, tuple]]]:
    """(row, reason) of each rejected row and (line, row) of each accepted one, by the module's rules."""
    rejected, accepted, first_seen = [], [], {}
    for line, row in enumerate(rows, start=2):
        pid, _, time = row[0], row[1], row[2]
        first = next((c for c in row if c), "")
        copy_of = first_seen.setdefault(row, line)
        reason = ("the row is empty" if not any(row) else
                  "a total line, not an event" if first == "Total" else
                  "no pilot ID; give the event its pilot's ID or remove the row" if not pid else
                  "no timestamp; an event needs the time it happened" if not time else
                  f"'{time}' is not a date that can be read, so the event cannot be placed" if time == "soon" else
                  f"'{time}' is in the future, so the event cannot be placed" if time.startswith("2999") else
                  f"an exact copy of the event on line {copy_of}" if copy_of != line else None)
        if reason:
            rejected.append([line, reason])
        else:
            accepted.append((line, row))
    return rejected, accepted


def reference_pilots(accepted: list[tuple[int, tuple]]) -> dict[str, dict]:
    """Per pilot, from its events in time order (ties in file order): first entry into each stage, first
    and last event, the last status and cause given, the end when the last status ended it."""
    out: dict[str, dict] = {}
    for line, (pid, activity, time, status, cause, colour) in sorted(accepted, key=lambda e: (e[1][2], e[0])):
        p = out.setdefault(pid, {"row": line, "start_date": time[:10], "status": None, "cause": "", "colour": ""})
        p["row"], p["last_update"] = min(p["row"], line), time[:10]
        if ACTIVITIES[activity]:
            p.setdefault(f"{ACTIVITIES[activity]}_date", time[:10])
        p["status"] = STATUSES[status] or p["status"]
        p["cause"], p["colour"] = cause or p["cause"], colour or p["colour"]
    for p in out.values():
        p["end_date"] = p["last_update"] if p["status"] in ("cancelled", "retired") else ""
        reached = [s for s in STAGES if f"{s}_date" in p]
        p["stage"] = "production" if p["status"] == "retired" else (reached[-1] if reached else "unknown")
        p["status"] = p["status"] or ("production" if p["stage"] == "production" else "active")
    return out


@given(st.lists(EVENT, min_size=2, max_size=40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_logs_match_a_plain_per_pilot_reference(events: list[tuple]) -> None:
    rows = [tuple(e) for e in events]
    log = HEADER + "\n" + "".join(",".join(r) + "\n" for r in rows)
    try:
        d = derived(log, Mapping(columns=dict(MAPPING), shape="events"))
    except IngestError:  # nothing filled: refused as a file, not derived
        assert not any(any(r) for r in rows)
        return
    rejected, accepted = reference_rejected(rows)
    assert d.rejected[["row", "reason"]].values.tolist() == rejected
    expected = reference_pilots(accepted)
    p = d.pilots.set_index("pilot_id")
    assert sorted(p.index) == sorted(expected)
    assert p["row"].tolist() == sorted(e["row"] for e in expected.values())
    for pid, want in expected.items():
        got = p.loc[pid]
        for column in DATE_COLUMNS:
            assert ("" if pd.isna(got[column]) else f"{got[column]:%Y-%m-%d}") == want.get(column, ""), (pid, column)
        assert (got["row"], got["stage"], got["status"]) == (want["row"], want["stage"], want["status"]), pid
        assert (text(got["failure_cause_source"]), text(got["x_colour"])) == (want["cause"], want["colour"]), pid


def text(value: object) -> str:
    return "" if pd.isna(value) else str(value)
