"""The summary command's first run on a CSV export, without pandas.

`import pandas` alone takes 0.25-0.3 s, about what pandas takes to read a 100k-row export and group it, so
a summary made with it can never be as quick as that (issue 7's budget). This path reads the columns with
Arrow, derives the pilots the way analysis/validate.derive does, from each column's distinct values, and hands
them to analysis/summary_numbers as numpy arrays.

It reads only what it reads exactly as the pandas path does: a UTF-8 table Arrow reads a record a line
(ingest.clean_arrow_columns), a row per pilot, the guessed mapping (no mapping file); cells trimmed as
validate.clean_cells trims them, but none holding markup or a formula (those are noted); empty rows, total
lines, rows without an ID and repeated IDs told by analysis/ingest/rows.py, whose rules validate.derive wraps;
dates and amounts read by analysis/ingest/values.py, the reading parse.py wraps for the pandas path: dates written
with numbers in any order, with or without a time (2024-03-15, 15/03/2024, 3/15/2024 10:30, Excel serials), periods
(2024, 01/2024, Q3 2024), and amounts. Anything else (a date written with a month's name, which only pandas reads, text it cannot
tell is read alike) declines the file: `summary_of` gives None and analysis/cli/summary.py reads it.
tests/test_summary_fast.py pins the two paths' JSON to each other.
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pyarrow as pa
from pyarrow._compute import (
    CountOptions,
    ReplaceSubstringOptions,
)

from analysis.cli.summary_numbers import PilotArrays, summary_numbers
from analysis.ingest import reading as ingest
from analysis.ingest.arrowtext import (
    call,
    clean_as_is,
    cleaned_alike,
    column_bytes,
    integers,
    mask,
    matches,
    positions,
    texts,
    trimmed,
)
from analysis.ingest.evidence import (
    PLACEHOLDER_CHARS,
    SAMPLE_ROWS,
    SAMPLE_VALUES,
    ColumnValues,
    is_missing,
    judged_by_first_rows,
)
from analysis.ingest.mapping import complete_mapping, guess_columns, mapping_notes, read_as_stages
from analysis.ingest.rows import Column, checked_rows
from analysis.ingest.stages import UNKNOWN_STAGE_NOTE, stage_positions
from analysis.ingest.values import APPROXIMATE_NOTE, Dates, amounts, read_dates
from analysis.ingest.written import ORDER_NAMES
from analysis.schema import (
    ABSURD_AMOUNT,
    DATE_FIELDS,
    DEFAULT_STAGES,
    EVENT_SAMPLE_ROWS,
    EVENT_SYNONYMS,
    MAX_EVENT_COLUMNS,
    MIN_EVENTS_PER_PILOT,
    NUMBER_FIELDS,
    PRODUCTION_STATUSES,
    UNKNOWN_STAGE,
)

NAT = np.datetime64("NaT", "us")
CODED = ("stage", "status", "failure_cause", "sourcing")
TEXT_DIMENSIONS = ("business_unit", "use_case", "sponsor")
NO_ID_NOTE = ("The file has no ID column, so pilots are named by their line number (row-2, row-3, ...). "
              "Map an ID column on the Data page if the export has one.")


class Declined(Exception):
    """The file holds something this path does not read exactly as analysis/cli/summary.py does."""


def summary_of(data: bytes, as_of: dt.date | None, stall_days: int) -> dict | None:
    """The summary dict of analysis/summary.summary (its keys in its order) of an upload, or None when the
    upload is not one this path reads (then the pandas path must)."""
    try:
        return _summary(data, as_of, stall_days)
    except Declined:
        return None


def _summary(data: bytes, as_of: dt.date | None, stall_days: int) -> dict:
    columns, notes = _columns(data)
    read = len(next(iter(columns.values())))
    _not_an_event_log(columns)
    distinct = DistinctColumns(columns)
    distinct.encode_counted()
    mapping = complete_mapping(None, distinct)
    notes[:0] = mapping_notes(mapping)
    id_column = mapping.columns.get("pilot_id")
    file_lines = np.arange(read) + 2  # the header is line 1
    checked = checked_rows(distinct.row_columns(), file_lines, id_column)
    keep, rejected = None if checked.keep.all() else checked.keep, checked.rejected
    lines = np.flatnonzero(checked.keep) + 2
    rows = len(lines)
    if not rows:
        raise Declined
    problems, note = checked.unnamed_report(file_lines, id_column) if id_column else ([], NO_ID_NOTE)
    notes += [note] if note else []
    fields = [f for f in mapping.columns if f not in ("pilot_id", "name")]  # IDs are checked, names not read
    values = {h: Coded.of(columns[h], keep, lines, distinct.encoded(h))
              for h in dict.fromkeys(mapping.columns[f] for f in fields) if h}
    dates = _dates(values, rows, mapping, problems, notes, dt.date.today(), as_of)
    _numbers(values, mapping, problems)
    unmapped, arrays = _coded(values, rows, mapping, dates, notes)
    problems += [{"row": line, "column": column, "problem": reason} for line, column, reason in rejected]
    problems.sort(key=lambda p: p["row"])
    numbers = summary_numbers(arrays, as_of, stall_days)
    return {
        "rows": {"read": read, "accepted": rows, "rejected": len(rejected)},
        "shape": "wide",
        "pilots": rows,
        "stages": list(mapping.stages),
        "funnel": numbers["funnel"],
        "outcomes": numbers["outcomes"],
        "failure_causes": numbers["failure_causes"],
        "mapping": {k: v for k, v in mapping.columns.items() if v},
        "unmapped_values": unmapped,
        "problems": problems,
        "failure_rates": numbers["failure_rates"],
        "time_to_production": numbers["time_to_production"],
        "as_of": numbers["as_of"],
        "stall_days": numbers["stall_days"],
        "notes": notes,
    }


# ----------------------------------------------------------------------------------------------- reading
# pyarrow imports pandas to turn a Python value into an Arrow one, or an array into numpy (to_numpy), and
# pyarrow.compute in its arrays' filter, take, unique and dictionary_encode (arrowtext.call says why not): this path
# compares columns with each other or by length, and reads numbers and flags from Arrow's buffers.


def _columns(data: bytes) -> tuple[dict[str, pa.ChunkedArray], list[str]]:
    """The upload's columns by header as ingest.read_upload's fast path reads them, cleaned as
    validate.clean_cells cleans them, and the notes of reading them."""
    raw_header, read = _read(data)
    columns, dropped = {}, []
    for raw, header, column in zip(raw_header, ingest.unique_headers(raw_header), read):
        if column.null_count:
            raise Declined
        if not raw.strip() and not _lengths(trimmed(column)).any():
            dropped.append(header)  # ingest._drop_empty_columns: no header and nothing in it
            continue
        if not clean_as_is(column, column_bytes(column)):
            column = trimmed(call("replace_substring", column, options=ReplaceSubstringOptions("\u00a0", " ")))
            if not cleaned_alike(column):  # markup or a formula: cleaning changes it and says so
                raise Declined
        columns[header] = column
    if not columns:
        raise Declined
    notes = [f"{len(dropped)} empty column(s) without a header were left out: {', '.join(dropped)}."] if dropped else []
    return columns, notes


def _read(data: bytes) -> tuple[list[str], list[pa.ChunkedArray]]:
    """The header as written and the columns below it, of an upload ingest.clean_arrow_columns reads."""
    if len(data) > ingest.MAX_UPLOAD_BYTES or data.startswith(b"PK\x03\x04"):
        raise Declined  # too large (the pandas path says so) or a workbook
    try:
        ingest.check_not_binary(data, "upload")
    except ingest.IngestError as exc:
        raise Declined from exc
    start = ingest.utf8_start(data)
    found = None if start is None else ingest.clean_arrow_columns(start[0], start[1], start[3])
    if found is None:
        raise Declined
    raw_header, read = found
    if not any(_lengths(c).any() for c in read):  # every cell empty: the csv-module path says what is wrong
        raise Declined
    return raw_header, read


def _lengths(column: pa.ChunkedArray) -> np.ndarray:
    """The byte length of each cell of a text column."""
    parts = [integers(c) for c in call("binary_length", column).chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _not_an_event_log(columns: dict[str, pa.ChunkedArray]) -> None:
    """Decline a file events.is_event_log might take for an event log. It says no to more than
    MAX_EVENT_COLUMNS columns, and to a sample of its first rows where the event log's names do not name an ID
    and a stage column, or the ID column holds fewer than MIN_EVENTS_PER_PILOT filled values per distinct one;
    past those, this path does not follow it."""
    headers = list(columns)
    if len(headers) > MAX_EVENT_COLUMNS or len(columns[headers[0]]) < 2:
        return
    sample = DistinctColumns({h: c.slice(0, EVENT_SAMPLE_ROWS) for h, c in columns.items()}, distinct=False)
    named, _ = guess_columns(headers, sample, list(DEFAULT_STAGES), synonyms=EVENT_SYNONYMS)
    if not {"pilot_id", "stage"} <= set(named):
        return
    filled = [v for v in sample[named["pilot_id"]] if v]
    if len(filled) >= 2 and len(filled) / max(len(set(filled)), 1) >= MIN_EVENTS_PER_PILOT:
        raise Declined


class DistinctColumns:
    """The columns as mapping.complete_mapping and guess_columns read them (`cells`): `columns`, the headers,
    and for a header the column's distinct values in the order they first appear (`distinct`; else every
    value), a list made when first asked for. A column is dictionary-encoded once (`encoded`), for the guess
    and for the summary (Coded.of) alike: hashing 100k cells is most of what either does with a column."""

    def __init__(self, columns: dict[str, pa.ChunkedArray], distinct: bool = True) -> None:
        self._columns, self._distinct, self._unique = columns, {}, distinct
        self._encoded: dict[str, tuple[np.ndarray, pa.Array | None]] = {}
        self._sampled: dict[str, bool] = {}
        self.columns = list(columns)

    def sampled(self, header: str) -> bool:
        """Whether the guess judges a column by its first rows (evidence.judged_by_first_rows)."""
        if header not in self._sampled:
            column = self._columns[header]
            first = call("count_distinct", column.slice(0, SAMPLE_ROWS), options=CountOptions("all")).as_py()
            self._sampled[header] = judged_by_first_rows(len(column), first)
        return self._sampled[header]

    def encode_counted(self) -> None:
        """Encode every column the guess counts in full (all but the mostly distinct ones), two at a time: Arrow
        lets go of the GIL as it hashes, and the machine has two cores."""
        _in_two(self._encode_each, [h for h in self.columns if not self.sampled(h)])

    def _encode_each(self, headers: list[str]) -> None:
        for header in headers:
            self._encoded[header] = _encoded(self._columns[header])

    def row_columns(self) -> dict[str, Column]:
        """Every column as analysis/ingest/rows.py takes it: its codes and distinct values where it is encoded,
        else its values (mostly distinct IDs and names are not hashed)."""
        out = {}
        for header, column in self._columns.items():
            codes, values = self._encoded.get(header, (None, None))
            out[header] = Column(column) if values is None else Column(values, codes)
        return out

    def encoded(self, header: str) -> tuple[np.ndarray, pa.Array | None]:
        """A column's `_encoded`, worked out when first asked for."""
        if header not in self._encoded:
            self._encoded[header] = _encoded(self._columns[header])
        return self._encoded[header]

    def column_values(self, header: str) -> ColumnValues:
        """A column as the guess reads it (mapping.Columns): its values counted, or its first rows when
        those are mostly distinct (evidence.judged_by_first_rows, as the pandas path decides). No column
        holds a missing value (`_columns` declines the file), so every distinct value is filled."""
        column = self._columns[header]
        first = column.slice(0, SAMPLE_ROWS)
        sampled = self.sampled(header)
        if sampled:  # thousands of IDs or names: counted in their first rows, not encoded
            counted = call("value_counts", first)
            values, counts = counted.field("values"), integers(counted.field("counts"))
        else:
            codes, values = self.encoded(header)
            counts = np.bincount(codes, minlength=0 if values is None else len(values))
        return _column_values(values, counts, len(first) if sampled else len(column), sampled)

    def __getitem__(self, header: str) -> list[str]:
        if header not in self._distinct:
            column = self._columns[header]
            known = self._encoded.get(header, (None, None))[1] if self._unique else None
            if known is None:
                known = call("unique", column) if self._unique else column
            values = known.to_pylist()
            if any(v != v.strip() for v in values):  # Python trims more kinds of space than Arrow does
                raise Declined
            self._distinct[header] = values
        return self._distinct[header]


def _in_two(work, items: list) -> None:
    """`work` of every other item in a thread of its own, and of the rest in this one (an error in either is
    raised here)."""
    failed: list[BaseException] = []

    def other() -> None:
        try:
            work(items[1::2])
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the calling thread
            failed.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        work(items[::2])
    finally:
        thread.join()
    if failed:
        raise failed[0]


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array | None]:
    """A text column dictionary-encoded: each row's position among the distinct values (int32), and those
    values in the order they first appear (one dictionary for every chunk; None for a column of no chunks)."""
    encoded = call("dictionary_encode", column)
    if not encoded.num_chunks:
        return np.zeros(0, dtype=np.int32), None
    return np.concatenate([integers(c.indices) for c in encoded.chunks]), encoded.chunk(0).dictionary


def _column_values(values: pa.Array, counts: np.ndarray, rows: int, sampled: bool) -> ColumnValues:
    """ColumnValues of a column's distinct values (Arrow text, none missing) and the rows holding each
    (numpy), as ColumnValues.of makes them: trimmed, placeholders left out, the commonest first (ties in the
    values' order)."""
    # Only a value that does not start and end with a letter or digit can need trimming, and only a short
    # one without digits can be a placeholder (evidence.is_missing): those few are looked at in Python,
    # the rest (thousands of IDs, dates, names) kept as Arrow gives them, as ColumnValues.of keeps them.
    # (No pa.array, fill_null, Python scalars or to_numpy of booleans here: each of them imports pandas.)
    kept = np.ones(len(counts), dtype=bool)
    if len(counts):
        odd = call("invert", matches(values, r"^[0-9A-Za-z](.*[0-9A-Za-z])?$"))
        short = matches(values, f"^[^0-9]{{0,{PLACEHOLDER_CHARS}}}$")
        looked = call("indices_nonzero", call("or", odd, short))
        for i, v in zip(looked.to_pylist(), call("take", values, looked).to_pylist()):
            if v != v.strip():  # Python trims more kinds of space than Arrow
                raise Declined
            kept[i] = not is_missing(v)
    index = np.flatnonzero(kept)
    top = index[np.argsort(-counts[index], kind="stable")[:SAMPLE_VALUES]]
    chosen = call("take", values, positions(top)).to_pylist() if len(top) else []
    return ColumnValues(chosen, counts[top].tolist(), rows, len(index), int(counts[index].sum()), sampled)


class Coded:
    """A column's accepted rows as their distinct values (`uniques`, a list) and each row's position among them
    (`codes`), with each row's line in the file (`lines`)."""

    def __init__(self, codes: np.ndarray, uniques: list[str], lines: np.ndarray | None,
                 arrow: pa.Array | None = None) -> None:
        self.codes, self.uniques, self.lines = codes, uniques, lines
        self.arrow = arrow  # the uniques as Arrow text, for reading them all at once (None: made from `uniques`)

    @classmethod
    def of(cls, column: pa.ChunkedArray, keep: np.ndarray | None, lines: np.ndarray | None,
           encoded: tuple[np.ndarray, pa.Array | None] | None = None) -> Coded:
        """The rows `keep` picks (None: all); a value none of them holds is not among the uniques. `encoded`:
        the column's `_encoded`, when known."""
        codes, arrow = _encoded(column) if encoded is None else encoded
        if arrow is None:
            return cls(codes, [], lines)
        uniques = arrow.to_pylist()
        if keep is not None:
            codes = codes[keep]
            used = np.bincount(codes, minlength=len(uniques)) > 0
            if not used.all():
                uniques, arrow = [u for u, k in zip(uniques, used) if k], call("filter", arrow, mask(used))
                codes = (np.cumsum(used) - 1)[codes]
        return cls(codes, uniques, lines, arrow)

    def text(self) -> pa.Array:
        """The uniques as Arrow text."""
        return texts(self.uniques) if self.arrow is None else self.arrow

    @classmethod
    def empty(cls, rows: int) -> Coded:
        """A field no column holds: every cell empty."""
        return cls(np.zeros(rows, dtype=np.int32), [""], None)

    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.uniques))

    def problems(self, bad: list[bool] | np.ndarray, column: str, what: str, problems: list[dict],
                 width: int = 60) -> None:
        """validate._warn: a problem for each row whose value `bad` (one per distinct value) picks, in row order."""
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        for row in np.flatnonzero(bad[self.codes]):
            value = self.uniques[self.codes[row]]
            problems.append({"row": int(self.lines[row]), "column": column, "problem": f"'{value[:width]}' {what}"})


# ----------------------------------------------------------------------------------------------- dates


def _dates(values: dict[str, Coded], rows: int, mapping, problems: list[dict], notes: list[str], today: dt.date,
           as_of: dt.date | None) -> dict[str, np.ndarray]:
    """validate._dates: each date field on every row (datetime64[us]), a future date left empty, and the
    problems of each column: read in both day/month orders, cells that cannot be read, read in another order
    than the column's, in the future, after `as_of`; and a note of the dates that give only a period."""
    out = {}
    for fld in DATE_FIELDS + [f"{s}_date" for s in mapping.stages]:
        column = mapping.columns.get(fld)
        if not column:
            out[fld] = np.full(rows, NAT)
            continue
        coded = values[column]
        text = np.array(coded.uniques, dtype=object)
        read = _read_dates(coded)
        days, other, order = read.days, read.other, read.order
        if read.ambiguous:
            problems.append({"row": 1, "column": column, "problem": "every date in this column could be "
                             "day-first or month-first (no day above 12); read as day-first. Set the "
                             "date format in the mapping if that is wrong"})
        coded.problems(np.isnat(days) & (text != ""), column, "is not a date that can be read; left empty", problems)
        for row in np.flatnonzero(other[coded.codes]) if other.any() else ():
            code = coded.codes[row]
            problems.append({"row": int(coded.lines[row]), "column": column, "problem": f"'{coded.uniques[code][:40]}' "
                             f"was read as {days[code]}, in another day/month order than the rest of the column "
                             f"({ORDER_NAMES[order]}); check it"})
        periods = int(coded.counts()[read.period & ~np.isnat(days)].sum())
        if periods:
            notes.append(APPROXIMATE_NOTE.format(count=periods, column=column))
        future = days > np.datetime64(today)
        coded.problems(future, column, "is in the future; left empty", problems)
        if as_of is not None:
            coded.problems(~future & (days > np.datetime64(as_of)), column,
                           f"is after the as-of date {as_of}; counted as not yet happened", problems)
        days[future] = np.datetime64("NaT")
        out[fld] = days.astype("datetime64[us]")[coded.codes]
    return out


def _read_dates(coded: Coded) -> Dates:
    """values.read_dates of a column's distinct texts, each weighed by its rows; a column with a date written in words
    (a month's name), which only parse reads (with pandas), declines the file."""
    read = read_dates(coded.text(), coded.counts())
    if read.worded.any() or np.isnat(read.days[read.other]).any():  # parse words such a date "NaT"
        raise Declined
    return read


# ----------------------------------------------------------------------------------------------- amounts


def _numbers(values: dict[str, Coded], mapping, problems: list[dict]) -> None:
    """validate._numbers' problems (the summary shows no amount)."""
    for fld in NUMBER_FIELDS:
        column = mapping.columns.get(fld)
        if not column:
            continue
        coded = values[column]
        number = amounts(coded.text())
        text = np.array(coded.uniques, dtype=object)
        coded.problems(np.isnan(number) & (text != ""), column, "is not a number that can be read; left empty",
                       problems)
        with np.errstate(invalid="ignore"):
            coded.problems((number < 0) | (np.abs(number) > ABSURD_AMOUNT), column,
                           "is negative or implausibly large; left empty", problems)


# ----------------------------------------------------------------------------------------------- codes


def _field(values: dict[str, Coded], rows: int, mapping, fld: str) -> Coded:
    column = mapping.columns.get(fld)
    return values[column] if column else Coded.empty(rows)


def _coded(values: dict[str, Coded], rows: int, mapping, dates: dict[str, np.ndarray],
           notes: list[str]) -> tuple[dict, PilotArrays]:
    """validate._coded, _stage and _status: the unmapped values and the pilots' arrays, the start date filled
    from the earliest stage date (in `dates`, in place)."""
    source = {f: _field(values, rows, mapping, f) for f in CODED}
    coded = {f: [mapping.values.get(f, {}).get(v) if v else None for v in source[f].uniques] for f in CODED}
    unmapped = {f: sorted({v for v, c in zip(source[f].uniques, coded[f]) if v and c is None})
                for f in ("stage", "status", "failure_cause")}
    unmapped["status"] = [v for v in unmapped["status"] if v not in read_as_stages(mapping)]
    stages = list(mapping.stages)
    position, names = _positions(source["stage"], coded["stage"], list(stages))
    position, missing = stage_positions(position, [~np.isnat(dates[f"{s}_date"]) for s in stages], names,
                                        UNKNOWN_STAGE)
    if missing:
        notes.append(UNKNOWN_STAGE_NOTE.format(missing))
    earliest = np.full(rows, NAT)
    for s in stages:
        earliest = np.fmin(earliest, dates[f"{s}_date"])
    start = dates["start_date"]
    dates["start_date"] = np.where(np.isnat(start), earliest, start)

    last = len(stages) - 1
    index = np.where(position < len(stages), position, -1)
    status, status_names = _positions(source["status"], coded["status"], ["production", "active"])
    status = np.where(status >= 0, status, np.where(index == last, 0, 1))
    behind = np.isin(np.array(status_names, dtype=object), PRODUCTION_STATUSES)[status] & (index < last)
    if behind.any():
        index = np.where(behind, last, index)
        notes.append(f"{int(behind.sum())} pilot(s) have a production status but an earlier stage; "
                     f"they are counted as having reached {stages[last]}.")
    cause = [c if c is not None else (f"other ({v})" if v else None)
             for v, c in zip(source["failure_cause"].uniques, coded["failure_cause"])]
    dimensions = {}
    for fld in TEXT_DIMENSIONS:
        text = _field(values, rows, mapping, fld)
        dimensions[fld] = _labelled(text, [v or None for v in text.uniques])
    dimensions["sourcing"] = _labelled(source["sourcing"], coded["sourcing"])
    arrays = PilotArrays(stages=stages, stage_index=index.astype(np.int64), status=(status, status_names),
                         failure_cause=_labelled(source["failure_cause"], cause),
                         dimensions={f: dimensions[f] for f in ("business_unit", "use_case", "sourcing", "sponsor")},
                         dates=dates)
    return unmapped, arrays


def _positions(source: Coded, coded: list[str | None], names: list[str]) -> tuple[np.ndarray, list[str]]:
    """validate._positions: each row's coded value as a position in `names` (extended with any other coded
    value, sorted), -1 where its value has none; and the names."""
    names += sorted({c for c in coded if c is not None and c not in names})
    where = {n: i for i, n in enumerate(names)}
    return np.array([where[c] if c is not None else -1 for c in coded], dtype=np.intp)[source.codes], names


def _labelled(source: Coded, labels: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Each row's label (one per distinct value, None: missing) as codes into the distinct labels, -1 where
    missing."""
    names = list(dict.fromkeys(label for label in labels if label is not None))
    where = {n: i for i, n in enumerate(names)}
    return np.array([where[x] if x is not None else -1 for x in labels], dtype=np.int64)[source.codes], names
