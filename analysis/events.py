"""Event logs (one row per stage change) -> the wide canonical pilot table, then the same validation.

An event log is recognised by its shape: an ID column whose values repeat (several events per pilot),
a stage or activity column, a timestamp column, and few other columns. Each pilot gets its furthest
stage, `<stage>_date` = the first time it entered each stage, start_date = its first event,
last_update = its last event, status = the last status its events carry (the status column, or,
without one, the last activity that names a status such as "Cancelled"), failure_cause = the last
non-empty cause, end_date = its last event when it ended cancelled or retired, and every other
column's last non-empty value.

Counting: rows read are the event rows; each is accepted (it contributes to a pilot) or rejected
with a reason (empty, a total line, no ID, no readable timestamp, a timestamp in the future, an exact
copy of an earlier event). Rows read = accepted events + rejected events; the pilots built from the
accepted events are counted apart. Everything is done with vectorised pandas (sort + groupby), no
per-pilot Python loop, so a log of a million events takes seconds.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from analysis.ingest import RawTable
from analysis.mapping import EXACT, Mapping, complete_values, guess_columns
from analysis.parse import detect_date_order, parse_dates
from analysis.schema import DATE_FIELDS, HEADER_SYNONYMS, normalise
from analysis.validate import Derived, clean_cells, derive, empty_rows, rejected_frame, total_rows

TIMESTAMP = "timestamp"  # the mapping's key for an event log's time column
TIMESTAMP_SYNONYMS = ["timestamp", "time stamp", "time", "date", "datetime", "date time", "event time",
                      "event date", "event timestamp", "changed", "changed at", "changed on", "change date",
                      "date changed", "transition date", "transition time", "occurred at", "occurred",
                      "when", "entered", "date entered", "entered at", "complete timestamp", "created",
                      "created at", "created date", "logged at", "recorded at", "updated", "updated at"]
ACTIVITY_SYNONYMS = ["activity", "activity name", "event", "event name", "event type", "to stage",
                     "new stage", "to", "to status", "new status", "new value", "to value", "transition",
                     "step", "milestone", "concept name", "stage entered", "moved to"]
EVENT_ID_SYNONYMS = ["case id", "case", "case concept name", "trace id", "issue id", "item"]
PREVIOUS = "previous"  # the stage or status an event moved from: read past, the event's own value counts
PREVIOUS_SYNONYMS = ["from", "from status", "from stage", "from value", "old value", "old status",
                     "previous status", "previous stage", "previous value", "prior status", "from state"]
EVENT_FIELD_LABELS = {TIMESTAMP: "Event time", "stage": "Stage or activity", PREVIOUS: "Moved from (ignored)"}
MIN_EVENTS_PER_PILOT = 1.5  # a wide export has one row per ID (a few repeats at most); a log has several
MAX_EVENT_COLUMNS = 15  # a history export has id, activity, time and a few attributes, not a full record
DATED_SHARE = 0.8  # a timestamp column reads as dates in at least this share of its filled cells
MOVING_SHARE = 0.5  # at least half the repeated IDs have events at more than one time
SAMPLE_ROWS = 5_000  # shape detection looks at the first rows only: a million-row log is recognised fast
ENDING_STATUSES = ("cancelled", "retired")  # a pilot that ended so ends at its last event
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # no zone: one fast parse
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*([AaPp])?")

# A pilot's own start or end date ("Start Date", "Kick-off") is a column of a row per pilot, never the
# time of an event: a file whose only date is one is read as one row per pilot.
RECORD_DATES = set(HEADER_SYNONYMS["start_date"] + HEADER_SYNONYMS["end_date"]) - set(TIMESTAMP_SYNONYMS)
# Headers an event log's fields go by (the time-of-record date fields are made from the events).
EVENT_SYNONYMS = {**{f: s for f, s in HEADER_SYNONYMS.items() if f not in DATE_FIELDS},
                  "pilot_id": HEADER_SYNONYMS["pilot_id"] + EVENT_ID_SYNONYMS,
                  "stage": ACTIVITY_SYNONYMS + HEADER_SYNONYMS["stage"], TIMESTAMP: TIMESTAMP_SYNONYMS,
                  PREVIOUS: PREVIOUS_SYNONYMS,
                  "status": HEADER_SYNONYMS["status"] + ["state"]}  # beside a stage column, a state is a status


def guess_event_columns(cells: pd.DataFrame, stages: list[str]) -> tuple[dict, dict]:
    """Canonical field -> header for an event log (TIMESTAMP among them), and confidence."""
    columns, confidence = guess_columns(list(cells.columns), cells, stages, synonyms=EVENT_SYNONYMS)
    if TIMESTAMP in columns and not _mostly_dates(cells[columns[TIMESTAMP]]):
        del columns[TIMESTAMP], confidence[TIMESTAMP]
    if TIMESTAMP not in columns:
        dated = [h for h in cells.columns if h not in columns.values() and _mostly_dates(cells[h])]
        if len(dated) == 1:  # the one date column of a log is its time, whatever it is called
            columns[TIMESTAMP], confidence[TIMESTAMP] = dated[0], 0.6
    return columns, confidence


def _mostly_dates(column: pd.Series) -> bool:
    sample = column.head(SAMPLE_ROWS)
    filled = sample[sample.str.strip() != ""]
    if filled.empty or filled.str.fullmatch(r"[\d.,\s-]+").all() and not filled.str.contains(r"[-/.]\d").any():
        return False
    order, _ = detect_date_order(filled)
    return parse_dates(filled, order).notna().mean() >= DATED_SHARE


def is_event_log(cells: pd.DataFrame, given: Mapping | None = None) -> bool:
    """True when the mapping says so, or when the cells have the shape of an event log: an ID that
    repeats, a stage or activity column, and a timestamp that differs between an ID's rows."""
    if given is not None and given.shape:
        return given.shape == "events"
    if len(cells.columns) > MAX_EVENT_COLUMNS or len(cells) < 2:
        return False
    sample = cells.head(SAMPLE_ROWS)
    named, _ = guess_columns(list(sample.columns), sample, (given or Mapping()).stages, synonyms=EVENT_SYNONYMS)
    if not {"pilot_id", "stage"} <= set(named):
        return False
    ids = sample[named["pilot_id"]].str.strip()
    filled = ids != ""
    if filled.sum() < 2 or filled.sum() / max(ids[filled].nunique(), 1) < MIN_EVENTS_PER_PILOT:
        return False
    columns, _ = guess_event_columns(sample, (given or Mapping()).stages)
    if TIMESTAMP not in columns or normalise(columns[TIMESTAMP]) in RECORD_DATES:
        return False
    # A wide export with repeated IDs repeats the same row; a log's repeats happen at different times.
    times = sample[columns[TIMESTAMP]].str.strip()[filled].groupby(ids[filled]).nunique()
    repeated = times[ids[filled].value_counts().reindex(times.index) > 1]
    return bool((repeated > 1).mean() >= MOVING_SHARE)


def complete_event_mapping(given: Mapping | None, cells: pd.DataFrame) -> Mapping:
    """The user's event mapping with its gaps guessed; without a status column, the activity values
    are also read as statuses (an activity "Cancelled" ends a pilot)."""
    mapping = given.copy() if given else Mapping()
    mapping.shape = "events"
    guessed, confidence = guess_event_columns(cells, mapping.stages)
    taken = set(mapping.columns.values())
    for fld, header in guessed.items():
        if fld not in mapping.columns and header not in taken:
            mapping.columns[fld], taken = header, taken | {header}
            mapping.confidence.setdefault(fld, confidence[fld])
    for fld in mapping.columns:
        mapping.confidence.setdefault(fld, EXACT)
    for fld in ("stage", "status", "failure_cause", "sourcing"):
        complete_values(mapping, fld, cells, value_column(mapping, fld))
    return mapping


def value_column(mapping: Mapping, fld: str) -> str | None:
    """The header whose values map to `fld`: its own column; for the status of an event log without a
    status column, the activity column."""
    if fld == "status" and mapping.shape == "events" and not mapping.columns.get("status"):
        return mapping.columns.get("stage")
    return mapping.columns.get(fld)


def derive_events(raw: RawTable, mapping: Mapping, today: dt.date | None = None) -> Derived:
    """Canonical pilots from an event log under a completed event mapping (see the module doc)."""
    lines = pd.Series(raw.lines, index=raw.cells.index, dtype="int64")
    notes = list(raw.notes)
    cells = raw.cells if raw.cleaned else clean_cells(raw.cells, lines, notes)
    events, rejected = _accepted_events(cells, lines, mapping, today or dt.date.today())
    wide, wide_mapping = _wide(events, cells.columns, mapping)
    derived = derive(RawTable(wide.drop(columns="_line"), wide["_line"].tolist(), raw.encoding, raw.delimiter,
                              raw.header_line, cleaned=True), wide_mapping, today)
    rej = rejected_frame(cells, lines, rejected)
    derived.problems = sorted(list(raw.problems) + derived.problems + [
        {"row": line, "column": column, "problem": reason} for line, column, reason in rejected],
        key=lambda p: p["row"])
    derived.rejected = pd.concat([rej, derived.rejected], ignore_index=True) if len(derived.rejected) else rej
    derived.rows_read, derived.mapping, derived.shape = len(cells), mapping, "events"
    derived.notes = notes + [n for n in derived.notes if n not in notes] + [_summary_note(events, derived)]
    derived.unmapped["stage"] = _unmapped_activities(events, mapping)
    return derived


def _summary_note(events: pd.DataFrame, derived: Derived) -> str:
    return (f"Read as an event log: {len(events):,} events accepted, {len(derived.rejected):,} rejected, "
            f"{len(derived.pilots):,} pilots built (furthest stage, first entry into each stage, status "
            "and cause of the last event).")


def parse_timestamps(values: pd.Series, order: str) -> pd.Series:
    """Date and time of each event (NaT where unreadable); the time of day orders events of one day.
    ISO timestamps (most logs) take a fast path; the rest are read as `parse.parse_dates` reads dates."""
    text = values.fillna("").astype("str").str.strip()
    iso = text.str.match(_ISO)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")
    rest = ~iso & (text != "")
    if rest.any():
        day = parse_dates(text[rest], order)
        out[rest] = day + pd.to_timedelta(_clock_seconds(text[rest]).where(day.notna(), 0.0), unit="s")
    return out


def _clock_seconds(text: pd.Series) -> pd.Series:
    """Seconds since midnight of the time in each text (0 without one); `2:15 PM` is 14:15."""
    clock = text.str.extract(_CLOCK)
    hour, minute, second = (clock[i].astype("float64").fillna(0.0) for i in range(3))
    hour = hour.where(clock[3].isna(), hour % 12 + 12 * clock[3].str.lower().eq("p"))
    return hour * 3600 + minute * 60 + second


def _accepted_events(cells: pd.DataFrame, lines: pd.Series, mapping: Mapping, today: dt.date):
    """The accepted events (see `_events`), sorted by pilot and time, and (line, column, reason) for each
    rejected row."""
    pid = _column(cells, mapping.columns.get("pilot_id"))
    tcol = mapping.columns.get(TIMESTAMP)
    text = _column(cells, tcol)
    order = mapping.date_formats.get(tcol) or detect_date_order(text.drop_duplicates().head(50_000))[0]
    when = parse_timestamps(text, order)
    reason, where = _reasons(cells, pid, text, when, lines, today)
    ok = reason.isna()
    events = _events(cells[ok], pid[ok], lines[ok], when[ok], mapping)
    columns = {"id": mapping.columns.get("pilot_id") or "", "time": tcol or "", "": ""}
    return events, [(int(lines[i]), columns[where[i]], r) for i, r in reason[~ok].items()]


def _column(cells: pd.DataFrame, header: str | None) -> pd.Series:
    return cells[header] if header else pd.Series("", index=cells.index, dtype="str")


def _events(cells: pd.DataFrame, pid: pd.Series, lines: pd.Series, when: pd.Series, mapping: Mapping):
    """Columns: pilot_id, _line, _when, _activity (text), _stage (id or NaN), _status (text counted as a
    status), _status_code (id or NaN), then every other source column (None where empty)."""
    stage_col, status_col = mapping.columns.get("stage"), value_column(mapping, "status")
    events = pd.DataFrame({"pilot_id": pid, "_line": lines, "_when": when, "_activity": _column(cells, stage_col)})
    events["_stage"] = events["_activity"].map(mapping.values.get("stage", {})).where(events["_activity"] != "")
    status = _column(cells, status_col)
    code = status.map(mapping.values.get("status", {})).where(status != "")
    counted = status != "" if status_col != stage_col else code.notna()  # an activity counts when it names one
    events["_status"], events["_status_code"] = status.where(counted), code
    consumed = {mapping.columns.get(f) for f in ("pilot_id", "stage", TIMESTAMP, PREVIOUS)} | {status_col}
    for header in cells.columns:
        if header not in consumed:
            events[header] = cells[header].replace("", None)
    return events.sort_values(["pilot_id", "_when", "_line"], kind="stable")


def _reasons(cells, pid, text, when, lines, today: dt.date) -> tuple[pd.Series, pd.Series]:
    """Why each row cannot be an event (None where it can), checked in this order, and which
    column the reason is about ("id", "time" or "" for the whole row)."""
    reason = pd.Series(None, index=cells.index, dtype="object")
    where = pd.Series("", index=cells.index, dtype="object")
    empty, total = empty_rows(cells), total_rows(cells)
    copies, first_line = _copies(cells, lines, empty)
    unread, future = when.isna(), when > pd.Timestamp(today) + pd.Timedelta(days=1)
    # messages naming a cell are made for the rows concerned only (aligned on the index below)
    checks = [(empty, "", "the row is empty"),
              (total, "", "a total line, not an event"),
              (pid == "", "id", "no pilot ID; give the event its pilot's ID or remove the row"),
              (text == "", "time", "no timestamp; an event needs the time it happened"),
              (unread, "time", "'" + text[unread].str[:40] + "' is not a date that can be read, so the event "
                               "cannot be placed"),
              (future, "time", "'" + text[future].str[:40] + "' is in the future, so the event cannot be placed"),
              (copies, "", "an exact copy of the event on line " + first_line.astype("str"))]
    for mask, column, why in checks:
        new = reason.isna() & mask
        reason, where = reason.where(~new, why), where.where(~new, column)
    return reason, where


def _copies(cells: pd.DataFrame, lines: pd.Series, empty: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Which filled rows repeat an earlier row exactly, and, for the rows that may (those whose hash
    another row shares, a superset of the copies), the line of the first row like them. Only those
    rows are compared cell by cell: 1.6M events take a second less."""
    candidate = pd.util.hash_pandas_object(cells, index=False).duplicated(keep=False)
    maybe = cells[candidate]
    copies = pd.Series(False, index=cells.index)
    copies[candidate] = maybe.duplicated(keep="first")
    first_line = lines[candidate].groupby([maybe[c] for c in maybe.columns], sort=False).transform("first")
    return copies & ~empty, first_line


def _wide(events: pd.DataFrame, headers, mapping: Mapping) -> tuple[pd.DataFrame, Mapping]:
    """One row of text cells per pilot (ISO dates), and the wide mapping that reads them."""
    group = events.groupby("pilot_id", sort=False)
    wide = pd.DataFrame({"_line": group["_line"].min()})
    wide["first event"] = _iso(group["_when"].min())
    wide["last event"] = _iso(group["_when"].max())
    last_code = group["_status_code"].last()
    wide["ended"] = wide["last event"].where(last_code.reindex(wide.index).isin(ENDING_STATUSES), "")
    entered = events.dropna(subset=["_stage"]).groupby(["pilot_id", "_stage"])["_when"].min().unstack()
    stage_headers = {s: f"entered {s}" for s in mapping.stages}
    for stage, header in stage_headers.items():
        wide[header] = _iso(entered[stage]).reindex(wide.index).fillna("") if stage in entered else ""
    carried = [c for c in events.columns if not c.startswith("_") and c != "pilot_id"]
    lasts = group[carried + ["_status"]].last()
    for column in carried:
        wide[column] = lasts[column].fillna("").astype("str")
    wide["status text"] = lasts["_status"].fillna("").astype("str")
    wide = wide.sort_values("_line").reset_index(names="pilot id")
    return _unique_headers(wide, headers, mapping, stage_headers)


def _unique_headers(wide: pd.DataFrame, headers, mapping: Mapping, stage_headers: dict) -> tuple:
    """The made columns renamed apart from every source header, and the mapping onto them."""
    made = {"pilot id": "pilot_id", "first event": "start_date", "last event": "last_update",
            "ended": "end_date", "status text": "status"} | {h: f"{s}_date" for s, h in stage_headers.items()}
    rename = {h: _free(f"({h})", headers) for h in made}
    wide = wide.rename(columns=rename)
    columns = {fld: h for fld, h in mapping.columns.items()
               if h in wide.columns and fld not in made.values() and fld not in ("stage", TIMESTAMP)}
    columns |= {fld: rename[h] for h, fld in made.items()}
    formats = dict.fromkeys((rename[h] for h in made if made[h].endswith("date") or h.endswith("event")), "ymd")
    wide_mapping = Mapping(columns=columns, values=mapping.values, stages=list(mapping.stages),
                           confidence=dict(mapping.confidence), date_formats=formats)
    return wide.astype({c: "str" for c in wide.columns if c != "_line"}), wide_mapping


def _free(name: str, headers) -> str:
    while name in headers:
        name += "_"
    return name


def _iso(when: pd.Series) -> pd.Series:
    return when.dt.strftime("%Y-%m-%d").fillna("")


def _unmapped_activities(events: pd.DataFrame, mapping: Mapping) -> list[str]:
    """Activities that map to no stage and (when they stand for statuses too) to no status."""
    none = events["_stage"].isna() & (events["_activity"] != "")
    if mapping.columns.get("status") is None:
        none &= events["_status_code"].isna()
    return sorted(events.loc[none, "_activity"].unique().tolist())


def event_fields() -> list[str]:
    """The canonical fields an event log's columns can map to, in the editor's order."""
    first = ["pilot_id", "stage", TIMESTAMP, "status", "failure_cause"]
    return first + [f for f in HEADER_SYNONYMS if f not in DATE_FIELDS and f not in first] + [PREVIOUS]

