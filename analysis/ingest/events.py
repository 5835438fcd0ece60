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
accepted events are counted apart. Each column is factorized once and the checks, the sort and the
per-pilot values work on integer codes in numpy (text is looked at once per distinct value), with no
per-pilot Python loop: a log of 1.6 million events is turned into pilots in about a second.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.ingest.mapping import EXACT, Mapping, complete_values, guess_columns
from analysis.ingest.parse import detect_date_order, parse_dates
from analysis.ingest.reading import RawTable
from analysis.ingest.validate import Derived, clean_cells, derive, empty_rows, rejected_frame, total_rows
from analysis.schema import (
    DATE_FIELDS,
    EVENT_SAMPLE_ROWS,
    EVENT_SYNONYMS,
    HEADER_SYNONYMS,
    MAX_EVENT_COLUMNS,
    MIN_EVENTS_PER_PILOT,
    PREVIOUS,
    TIMESTAMP,
    TIMESTAMP_SYNONYMS,
    normalise,
)

SAMPLE_ROWS = EVENT_SAMPLE_ROWS
EVENT_FIELD_LABELS = {TIMESTAMP: "Event time", "stage": "Stage or activity", PREVIOUS: "Moved from (ignored)"}
DATED_SHARE = 0.8  # a timestamp column reads as dates in at least this share of its filled cells
MOVING_SHARE = 0.5  # at least half the repeated IDs have events at more than one time
ENDING_STATUSES = ("cancelled", "retired")  # a pilot that ended so ends at its last event
TOTAL_HINT = r"tot|sum|overall"  # every word of ingest.TOTAL_WORDS holds one, whatever its case and spacing
HASH_MULTIPLIER = 0x9E3779B97F4A7C15  # odd 64-bit constant (golden ratio): mixes codes into a row key
DATE_ORDER_SAMPLE = 50_000  # distinct timestamps enough to tell day-first from month-first
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # no zone: one fast parse
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*([AaPp])?")

# A pilot's own start or end date ("Start Date", "Kick-off") is a column of a row per pilot, never the
# time of an event: a file whose only date is one is read as one row per pilot.
RECORD_DATES = set(HEADER_SYNONYMS["start_date"] + HEADER_SYNONYMS["end_date"]) - set(TIMESTAMP_SYNONYMS)


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
    wide, wide_mapping, rejected, (accepted, unmapped) = _wide_table(cells, lines, mapping, today or dt.date.today())
    derived = derive(RawTable(wide.drop(columns="_line"), wide["_line"].tolist(), raw.encoding, raw.delimiter,
                              raw.header_line, cleaned=True), wide_mapping, today)
    rej = rejected_frame(cells, lines, rejected)
    derived.problems = sorted(list(raw.problems) + derived.problems + [
        {"row": line, "column": column, "problem": reason} for line, column, reason in rejected],
        key=lambda p: p["row"])
    derived.rejected = pd.concat([rej, derived.rejected], ignore_index=True) if len(derived.rejected) else rej
    derived.rows_read, derived.mapping, derived.shape = len(cells), mapping, "events"
    derived.notes = notes + [n for n in derived.notes if n not in notes] + [_summary_note(accepted, derived)]
    derived.unmapped["stage"] = unmapped
    return derived


def _wide_table(cells: pd.DataFrame, lines: pd.Series, mapping: Mapping, today: dt.date) -> tuple:
    """(the wide table of the accepted events, its mapping, the rejected rows, (events accepted, unmapped
    activities)); the events' arrays are freed on return, before the wide table is derived."""
    log, rejected = _accepted_events(cells, lines, mapping, today)
    return *_wide(log, cells.columns, mapping), rejected, (len(log.line), _unmapped_activities(log, mapping))


def _summary_note(events: int, derived: Derived) -> str:
    return (f"Read as an event log: {events:,} events accepted, {len(derived.rejected):,} rejected, "
            f"{len(derived.pilots):,} pilots built (furthest stage, first entry into each stage, status "
            "and cause of the last event).")


def parse_timestamps(values: pd.Series, order: str | None = None) -> pd.Series:
    """Date and time of each event (NaT where unreadable); the time of day orders events of one day.
    ISO timestamps (most logs) take a fast path; the rest are read as `parse.parse_dates` reads dates,
    in `order` or, without one, the order `detect_date_order` finds in the first distinct values."""
    text = values.fillna("").astype("str").str.strip()
    iso = text.str.match(_ISO)
    if iso.all():  # the usual log: one parse of the whole column, no masked assignment, no order to find
        return pd.to_datetime(text, format="ISO8601", errors="coerce").astype("datetime64[us]")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")
    rest = ~iso & (text != "")
    if rest.any():
        day = parse_dates(text[rest], order or detect_date_order(_first_distinct(text, DATE_ORDER_SAMPLE))[0])
        out[rest] = day + pd.to_timedelta(_clock_seconds(text[rest]).where(day.notna(), 0.0), unit="s")
    return out


def _clock_seconds(text: pd.Series) -> pd.Series:
    """Seconds since midnight of the time in each text (0 without one); `2:15 PM` is 14:15."""
    clock = text.str.extract(_CLOCK)
    hour, minute, second = (clock[i].astype("float64").fillna(0.0) for i in range(3))
    hour = hour.where(clock[3].isna(), hour % 12 + 12 * clock[3].str.lower().eq("p"))
    return hour * 3600 + minute * 60 + second


@dataclass
class _Coded:
    """A column of events as integer codes into `values` (-1 where the event has no value)."""

    codes: np.ndarray
    values: np.ndarray  # object


@dataclass
class _Log:
    """The accepted events in (pilot, time, line) order: `pilot` codes into `ids` (0, 1, ...), the file
    `line`, the time `when`, and the `columns` of `_event_columns`."""

    ids: pd.Index
    pilot: np.ndarray
    line: np.ndarray
    when: np.ndarray  # datetime64[us]
    columns: dict[str, _Coded]


def _accepted_events(cells: pd.DataFrame, lines: pd.Series, mapping: Mapping, today: dt.date) -> tuple[_Log, list]:
    """The accepted events (a `_Log`) and (line, column, reason) for each rejected row. Each source column
    but the time is factorized once; the checks, the sort and the per-pilot values work on the codes."""
    tcol, id_col = mapping.columns.get(TIMESTAMP), mapping.columns.get("pilot_id")
    text = _column(cells, tcol)
    when = parse_timestamps(text, mapping.date_formats.get(tcol))
    factors = {h: _factorize(cells[h]) for h in cells.columns if h != tcol}
    order = _event_order(_factor(factors, id_col, len(cells))[0], when.to_numpy().view("int64"), lines.to_numpy())
    copies = _copies(cells, lines, order, when, factors, id_col)
    total = _total_rows(cells, factors)
    reason, where = _reasons(cells, _column(cells, id_col), text, when, today, (total, *copies))
    accepted = order[~cells.index[order].isin(reason.index)]
    log = _events(factors, accepted, lines.to_numpy(), when.to_numpy(), mapping)
    columns = {"id": id_col or "", "time": tcol or "", "": ""}
    return log, [(int(lines[i]), columns[where[i]], r) for i, r in reason.items()]


def _first_distinct(text: pd.Series, n: int) -> pd.Series:
    """`text.drop_duplicates().head(n)`, found on a growing head of the column: a log of a million
    distinct timestamps is not hashed whole to find the first 50,000."""
    size = n
    while True:
        head = text.iloc[:size].drop_duplicates()
        if len(head) >= n or size >= len(text):
            return head.head(n)
        size *= 4


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(codes, distinct values); 32-bit codes halve the memory of every per-event array made from them."""
    codes, values = pd.factorize(column)
    return codes.astype(np.int32), values


def _factor(factors: dict, header: str | None, rows: int) -> tuple[np.ndarray, pd.Index]:
    """A column's (codes, distinct values); a column of empty cells where the mapping names none."""
    return factors.get(header) or (np.zeros(rows, np.int32), pd.Index([""], dtype="str"))


def _event_order(pilot: np.ndarray, when: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The row positions sorted by pilot, time and line. A log grouped by pilot and in time order (as
    most exports are) is already sorted: checked in a few milliseconds, not sorted again."""
    step = pilot[1:] - pilot[:-1]
    if np.all(line[1:] > line[:-1]) and np.all((step > 0) | ((step == 0) & (when[1:] >= when[:-1]))):
        return np.arange(len(pilot))
    return np.lexsort((line, when, pilot))


def _column(cells: pd.DataFrame, header: str | None) -> pd.Series:
    return cells[header] if header else pd.Series("", index=cells.index, dtype="str")


def _events(factors: dict, accepted: np.ndarray, lines: np.ndarray, when: np.ndarray, mapping: Mapping) -> _Log:
    """The accepted rows (positions in pilot, time and line order) as a `_Log`."""
    id_codes, id_values = _factor(factors, mapping.columns.get("pilot_id"), len(lines))
    pilot, first = pd.factorize(id_codes[accepted])  # in pilot order already: codes count up
    events = {header: (codes[accepted], values) for header, (codes, values) in factors.items()}
    return _Log(id_values.take(first), pilot.astype(np.int32), lines[accepted], when[accepted],
                _event_columns(events, mapping, len(accepted)))


def _event_columns(factors: dict, mapping: Mapping, rows: int) -> dict[str, _Coded]:
    """Per row: _activity (text), _stage (id), _status (text counted as a status), _status_code (id), then
    every other source column (empty cells have no value), each worked out once per distinct value."""
    stage_col, status_col = mapping.columns.get("stage"), value_column(mapping, "status")
    activity, status = _factor(factors, stage_col, rows), _factor(factors, status_col, rows)
    status_text = _filled(status[1])
    status_ids = _mapped(status_text, mapping.values.get("status", {}))
    if status_col == stage_col:  # an activity counts as a status when it names one
        status_text = np.where(pd.notna(status_ids), status_text, None)
    columns = {"_activity": _Coded(activity[0], np.asarray(activity[1], dtype=object)),
               "_stage": _coded(activity[0], _mapped(_filled(activity[1]), mapping.values.get("stage", {}))),
               "_status": _coded(status[0], status_text),
               "_status_code": _coded(status[0], status_ids)}
    consumed = {mapping.columns.get(f) for f in ("pilot_id", "stage", TIMESTAMP, PREVIOUS)} | {status_col}
    for header, (codes, values) in factors.items():
        if header not in consumed and not header.startswith("_") and header != "pilot_id":
            columns[header] = _coded(codes, _filled(values))
    return columns


def _filled(values: pd.Index) -> np.ndarray:
    """Distinct text values as objects, None for the empty one."""
    out = np.asarray(values, dtype=object)
    out[np.asarray(values == "", dtype=bool)] = None
    return out


def _mapped(values: np.ndarray, table: dict) -> np.ndarray:
    """Each distinct value's id under a value table (None where empty or unknown)."""
    return np.array([None if v is None else table.get(v) for v in values], dtype=object)


def _coded(codes: np.ndarray, values: np.ndarray) -> _Coded:
    """Codes into `values`, -1 where the value is missing."""
    missing = np.append(pd.isna(values), True)
    return _Coded(np.where(missing[codes], np.int32(-1), codes), values)


def _reasons(cells, pid, text, when, today: dt.date, found: tuple) -> tuple[pd.Series, pd.Series]:
    """Why each rejected row cannot be an event, checked in this order, and which column the reason is
    about ("id", "time" or "" for the whole row); both indexed by the rejected rows only. `found`: the
    total lines, the copies and the line each copy repeats."""
    empty, (total, copy, first_line) = empty_rows(cells), found
    copy = copy & ~empty
    unread, future = when.isna(), when > pd.Timestamp(today) + pd.Timedelta(days=1)
    bad = empty | total | (pid == "") | (text == "") | unread | future | copy
    reason = pd.Series(None, index=cells.index[bad], dtype="object")
    where = pd.Series("", index=reason.index, dtype="object")
    # messages naming a cell are made for the rows concerned only (aligned on the index below)
    checks = [(empty, "", "the row is empty"),
              (total, "", "a total line, not an event"),
              (pid == "", "id", "no pilot ID; give the event its pilot's ID or remove the row"),
              (text == "", "time", "no timestamp; an event needs the time it happened"),
              (unread, "time", "'" + text[unread].str[:40] + "' is not a date that can be read, so the event "
                               "cannot be placed"),
              (future, "time", "'" + text[future].str[:40] + "' is in the future, so the event cannot be placed"),
              (copy, "", "an exact copy of the event on line " + first_line.astype("str"))]
    for mask, column, why in checks:
        new = reason.isna() & mask[bad]
        reason, where = reason.where(~new, why), where.where(~new, column)
    return reason, where


def _total_rows(cells: pd.DataFrame, factors: dict) -> pd.Series:
    """`validate.total_rows`, run on the rows that may be total lines only: those with a cell that holds
    one of TOTAL_HINT's words or a letter outside ASCII (which `normalise` folds), tested once per
    distinct value of each factorized column."""
    maybe = np.zeros(len(cells), dtype=bool)
    for header in cells.columns:
        codes, values = factors.get(header, (None, cells[header]))
        hint = np.asarray(values.str.contains(TOTAL_HINT, case=False, regex=True) | ~values.str.isascii())
        maybe |= hint if codes is None else hint[codes]
    total = pd.Series(False, index=cells.index)
    total[maybe] = total_rows(cells[maybe])
    return total


def _copies(cells: pd.DataFrame, lines: pd.Series, order: np.ndarray, when: pd.Series, factors: dict,
            id_col: str | None) -> tuple[pd.Series, pd.Series]:
    """Which rows repeat an earlier row exactly, and, for the rows that may, the line of the first row
    like them. Rows that may: those whose pilot and time (next to each other in `order`) and whose other
    cells (a hash of their codes) another row shares; equal text reads as an equal time, so they are a
    superset of the copies. Only those rows are compared cell by cell."""
    pilot, time = _factor(factors, id_col, len(cells))[0][order], when.to_numpy().view("int64")[order]
    same = np.r_[False, (pilot[1:] == pilot[:-1]) & (time[1:] == time[:-1])]
    run = order[same | np.r_[same[1:], False]]
    key = np.zeros(len(run), dtype=np.uint64)
    for codes, _ in factors.values():  # equal cells, equal key (a collision only widens the superset)
        key = key * np.uint64(HASH_MULTIPLIER) + codes[run].astype(np.uint64)
    candidate = np.zeros(len(cells), dtype=bool)
    candidate[run[pd.Series(key).duplicated(keep=False).to_numpy()]] = True
    maybe = cells[candidate]
    copies = pd.Series(False, index=cells.index)
    copies[candidate] = maybe.duplicated(keep="first")
    first_line = lines[candidate].groupby([maybe[c] for c in maybe.columns], sort=False).transform("first")
    return copies, first_line


def _wide(log: _Log, headers, mapping: Mapping) -> tuple[pd.DataFrame, Mapping]:
    """One row of text cells per pilot (ISO dates), and the wide mapping that reads them."""
    n = len(log.ids)
    starts = np.flatnonzero(np.r_[True, log.pilot[1:] != log.pilot[:-1]]) if n else np.zeros(0, "intp")
    last = np.r_[starts[1:], len(log.pilot)][:n] - 1
    wide = {"pilot id": log.ids, "_line": np.minimum.reduceat(log.line, starts) if n else np.zeros(0, "int64"),
            "first event": _iso(log.when[starts]), "last event": _iso(log.when[last])}
    status = log.columns["_status_code"]
    ended = np.isin(np.append(status.values, None)[_last_codes(log, "_status_code")], ENDING_STATUSES)
    wide["ended"] = wide["last event"].where(ended, "")
    stage_headers = {s: f"entered {s}" for s in mapping.stages}
    stage = log.columns["_stage"]
    for s, header in stage_headers.items():
        entered = _first_position(log.pilot, np.append(stage.values == s, False)[stage.codes], n)
        wide[header] = _iso(np.where(entered >= 0, log.when[entered], np.datetime64("NaT")))
    carried = [c for c in log.columns if not c.startswith("_")]
    for column in carried + ["_status"]:
        wide["status text" if column == "_status" else column] = _text(log.columns[column].values,
                                                                       _last_codes(log, column))
    frame = pd.DataFrame(wide).sort_values("_line", kind="stable").reset_index(drop=True)
    return _unique_headers(frame, headers, mapping, stage_headers)


def _last_codes(log: _Log, column: str) -> np.ndarray:
    """Each pilot's code of a column in its last event that has a value (-1 where none has)."""
    coded = log.columns[column]
    filled = np.flatnonzero(coded.codes >= 0)
    pilot = log.pilot[filled]
    last = filled[np.r_[pilot[1:] != pilot[:-1], True]] if len(filled) else filled
    codes = np.full(len(log.ids), -1)
    codes[log.pilot[last]] = coded.codes[last]
    return codes


def _first_position(pilot: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per pilot, the position of its first event where `mask` holds (-1 where none does)."""
    where = np.flatnonzero(mask)
    group = pilot[where]
    first = where[np.r_[True, group[1:] != group[:-1]]] if len(where) else where
    out = np.full(n, -1)
    out[pilot[first]] = first
    return out


def _text(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Text cells of the values at codes (empty where the code is -1 or the value None)."""
    text = pd.array([("" if v is None else v) for v in values] + [""], dtype="str")
    return pd.Series(text.take(codes))


def _iso(when: np.ndarray) -> pd.Series:
    """ISO dates of times (empty where NaT), formatted once per distinct day."""
    codes, days = pd.factorize(when.astype("datetime64[D]"))
    return _text(pd.Series(days).dt.strftime("%Y-%m-%d").to_numpy(dtype=object), codes)


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


def _unmapped_activities(log: _Log, mapping: Mapping) -> list[str]:
    """Activities of accepted events that map to no stage and (when they stand for statuses too) to no
    status."""
    activity = log.columns["_activity"]
    none = (activity.values != "") & pd.isna(log.columns["_stage"].values)
    if mapping.columns.get("status") is None:
        none &= pd.isna(log.columns["_status_code"].values)
    present = np.zeros(len(activity.values), dtype=bool)
    present[activity.codes] = True
    return sorted(activity.values[none & present].tolist())


def event_fields() -> list[str]:
    """The canonical fields an event log's columns can map to, in the editor's order."""
    first = ["pilot_id", "stage", TIMESTAMP, "status", "failure_cause"]
    return first + [f for f in HEADER_SYNONYMS if f not in DATE_FIELDS and f not in first] + [PREVIOUS]

