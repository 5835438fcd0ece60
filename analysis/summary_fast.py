"""The summary command's first run on a clean wide CSV, without pandas.

`import pandas` alone takes 0.25-0.3 s, about what pandas takes to read a 100k-row export and group it, so
a summary made with it can never be as quick as that (issue 7's budget). This path reads the columns with
Arrow, derives the pilots the way analysis/validate.derive does, from each column's distinct values, and hands
them to analysis/summary_numbers as numpy arrays. It reads only what it can read exactly as the pandas path
does: a UTF-8 table Arrow reads a record a line (ingest.clean_arrow_columns), every cell already clean
(nothing to trim, no markup or formula), a named header on every column, the guessed mapping (no mapping
file), a row per pilot with a unique ID in every row and no total line, dates written year first
(2024-03-15) and amounts of digits alone. Any other file is declined (`summary_of` gives None) and
analysis/summary.py reads it. tests/test_summary_fast.py pins the two paths' JSON to each other.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis import ingest
from analysis.arrowtext import clean_as_is, cleaned_alike, column_bytes
from analysis.mapping import complete_mapping, header_match
from analysis.schema import (
    ABSURD_AMOUNT,
    DATE_FIELDS,
    EVENT_ID_SYNONYMS,
    EVENT_SAMPLE_ROWS,
    HEADER_SYNONYMS,
    MAX_EVENT_COLUMNS,
    NUMBER_FIELDS,
    PLAUSIBLE_YEARS,
    PRODUCTION_STATUSES,
    UNKNOWN_STAGE,
    normalise,
)
from analysis.summary_numbers import PilotArrays, summary_numbers

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # 2024-03-15: the one way of writing a date this path reads
PLAIN_NUMBER = re.compile(r"[0-9]{1,15}")  # parse.PLAIN_NUMBER: digits alone, exact as a float
NAT = np.datetime64("NaT", "us")
TOTAL_HINT = "total|sum|overall"  # every word of ingest.TOTAL_WORDS holds one of these, in any case
CODED = ("stage", "status", "failure_cause", "sourcing")
TEXT_DIMENSIONS = ("business_unit", "use_case", "sponsor")


class Declined(Exception):
    """The file holds something this path does not read exactly as analysis/summary.py does."""


def summary_of(data: bytes, as_of: dt.date | None, stall_days: int) -> dict | None:
    """The summary dict of analysis/summary.summary (its keys in its order) of an upload, or None when the
    upload is not one this path reads (then the pandas path must)."""
    try:
        return _summary(data, as_of, stall_days)
    except Declined:
        return None


def _summary(data: bytes, as_of: dt.date | None, stall_days: int) -> dict:
    columns = _columns(data)
    headers = list(columns)
    rows = len(columns[headers[0]])
    _not_an_event_log(columns)
    mapping = complete_mapping(None, DistinctColumns(columns))
    _one_row_per_pilot(columns, mapping.columns.get("pilot_id"))
    read = [f for f in mapping.columns if f not in ("pilot_id", "name")]  # IDs are checked, names not read
    values = {h: Coded.of(columns[h]) for h in dict.fromkeys(mapping.columns[f] for f in read) if h}
    problems: list[dict] = []
    dates = _dates(values, rows, mapping, problems, dt.date.today(), as_of)
    _numbers(values, mapping, problems)
    notes: list[str] = []
    unmapped, arrays = _coded(values, rows, mapping, dates, notes)
    problems.sort(key=lambda p: p["row"])
    numbers = summary_numbers(arrays, as_of, stall_days)
    return {
        "rows": {"read": rows, "accepted": rows, "rejected": 0},
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


def _columns(data: bytes) -> dict[str, pa.ChunkedArray]:
    """The upload's columns by header, as ingest.read_upload's fast path reads them, every cell clean."""
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
    if any(not h.strip() for h in raw_header):  # a column without a header may be dropped, or named `column N`
        raise Declined
    columns = dict(zip(ingest.unique_headers(raw_header), read))
    for column in columns.values():
        if column.null_count or not (clean_as_is(column, column_bytes(column)) or cleaned_alike(column)):
            raise Declined
    return columns


def _not_an_event_log(columns: dict[str, pa.ChunkedArray]) -> None:
    """Decline a file events.is_event_log might take for an event log: at most MAX_EVENT_COLUMNS columns and a
    column an event log's ID could be in whose first rows repeat a filled value. Where none repeats, the ID
    column it names (if any) has one event per pilot, fewer than an event log has, so it says no."""
    headers = list(columns)
    if len(headers) > MAX_EVENT_COLUMNS or len(columns[headers[0]]) < 2:
        return
    synonyms = HEADER_SYNONYMS["pilot_id"] + EVENT_ID_SYNONYMS
    for header in headers:
        if header_match(header, synonyms):
            filled = [v for v in columns[header].slice(0, EVENT_SAMPLE_ROWS).to_pylist() if v]
            if len(set(filled)) != len(filled):
                raise Declined


class DistinctColumns:
    """The columns as mapping.complete_mapping reads them (`cells`): `columns`, the headers, and for a header
    the column's distinct values in the order they first appear (a list, made when first asked for)."""

    def __init__(self, columns: dict[str, pa.ChunkedArray]) -> None:
        self._columns, self._distinct = columns, {}
        self.columns = list(columns)

    def __getitem__(self, header: str) -> list[str]:
        if header not in self._distinct:
            values = pc.unique(self._columns[header]).to_pylist()
            if any(v != v.strip() for v in values):  # Python trims more kinds of space than Arrow does
                raise Declined
            self._distinct[header] = values
        return self._distinct[header]


def _one_row_per_pilot(columns: dict[str, pa.ChunkedArray], id_column: str | None) -> None:
    """Decline a file with a row validate.derive would reject or name by its line: no ID column, a row without
    an ID (an empty row is one), a repeated ID, or a total line (its first filled cell says total or sum)."""
    if not id_column:
        raise Declined
    ids = columns[id_column]
    if pc.min_max(pc.binary_length(ids))["min"].as_py() == 0 or pc.count_distinct(ids).as_py() != len(ids):
        raise Declined
    first = None
    for header, column in columns.items():  # each row's first filled cell: the ID's at the latest
        first = column if first is None else pc.if_else(_filled(first), first, column)
        if header == id_column:
            break
    maybe = pc.or_(pc.match_substring_regex(first, TOTAL_HINT, ignore_case=True), pc.invert(pc.string_is_ascii(first)))
    if any(normalise(v) in ingest.TOTAL_WORDS for v in pc.unique(pc.filter(first, maybe)).to_pylist()):
        raise Declined


def _filled(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Whether each cell holds text (compared without a Python value: pyarrow imports pandas to convert one)."""
    return pc.cast(pc.binary_length(column), pa.bool_())


def _numbers_of(array: pa.Array) -> np.ndarray:
    """An Arrow array of integers without missing values as numpy, read from its buffer (`to_numpy` imports
    pandas)."""
    width = array.type.bit_width // 8
    return np.frombuffer(array.buffers()[1], dtype=f"int{width * 8}", count=len(array), offset=array.offset * width)


class Coded:
    """A column as its distinct values (`uniques`, a list in the order they first appear) and each row's
    position among them (`codes`)."""

    def __init__(self, codes: np.ndarray, uniques: list[str]) -> None:
        self.codes, self.uniques = codes, uniques

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> Coded:
        encoded = column.dictionary_encode()  # one dictionary for every chunk
        if not encoded.num_chunks:
            return cls(np.zeros(0, dtype=np.int32), [])
        codes = np.concatenate([_numbers_of(c.indices) for c in encoded.chunks])
        return cls(codes, encoded.chunk(0).dictionary.to_pylist())

    @classmethod
    def empty(cls, rows: int) -> Coded:
        """A field no column holds: every cell empty."""
        return cls(np.zeros(rows, dtype=np.int32), [""])

    def problems(self, bad: list[bool] | np.ndarray, column: str, what: str, problems: list[dict]) -> None:
        """validate._warn: a problem for each row whose value `bad` (one per distinct value) picks, in row
        order (a row's line is its position + 2: the header is line 1)."""
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        for row in np.flatnonzero(bad[self.codes]):
            value = self.uniques[self.codes[row]]
            problems.append({"row": int(row) + 2, "column": column, "problem": f"'{value[:60]}' {what}"})


# ----------------------------------------------------------------------------------------------- deriving


def _field(values: dict[str, Coded], rows: int, mapping, fld: str) -> Coded:
    column = mapping.columns.get(fld)
    return values[column] if column else Coded.empty(rows)


def _dates(values: dict[str, Coded], rows: int, mapping, problems: list[dict], today: dt.date,
           as_of: dt.date | None) -> dict[str, np.ndarray]:
    """validate._dates of columns of year-first dates: each date field on every row (datetime64[us]), a future
    date left empty, and a problem for each date that cannot be read, lies in the future or after `as_of`."""
    out = {}
    for fld in DATE_FIELDS + [f"{s}_date" for s in mapping.stages]:
        column = mapping.columns.get(fld)
        if not column:
            out[fld] = np.full(rows, NAT)
            continue
        coded = values[column]
        text = np.array(coded.uniques, dtype=object)
        days = _iso_dates(coded.uniques)
        coded.problems(np.isnat(days) & (text != ""), column, "is not a date that can be read; left empty", problems)
        future = days > np.datetime64(today)
        coded.problems(future, column, "is in the future; left empty", problems)
        if as_of is not None:
            coded.problems(~future & (days > np.datetime64(as_of)), column,
                           f"is after the as-of date {as_of}; counted as not yet happened", problems)
        days[future] = np.datetime64("NaT")
        out[fld] = days.astype("datetime64[us]")[coded.codes]
    return out


def _iso_dates(texts: list[str]) -> np.ndarray:
    """parse.distinct_dates of year-first dates (datetime64[D]; NaT for an empty cell, or a date that does not
    exist or lies outside PLAUSIBLE_YEARS); any other writing declines the file."""
    if not all(ISO_DATE.fullmatch(t) for t in texts if t):
        raise Declined
    try:  # numpy reads ISO dates in C and refuses one that does not exist (2023-02-30)
        days = np.array(texts, dtype="datetime64[D]")
    except ValueError:
        days = np.array([_iso_date(t) for t in texts], dtype="datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    days[(years < PLAUSIBLE_YEARS[0]) | (years > PLAUSIBLE_YEARS[1])] = np.datetime64("NaT")
    return days


def _iso_date(text: str) -> np.datetime64:
    """A year-first date, NaT for an empty cell or a date that does not exist."""
    try:
        return np.datetime64(text, "D") if text else np.datetime64("NaT")
    except ValueError:
        return np.datetime64("NaT")


def _numbers(values: dict[str, Coded], mapping, problems: list[dict]) -> None:
    """validate._numbers' problems for amounts of digits alone (the summary shows no amount)."""
    for fld in NUMBER_FIELDS:
        column = mapping.columns.get(fld)
        if not column:
            continue
        coded = values[column]
        if not all(v == "" or PLAIN_NUMBER.fullmatch(v) for v in coded.uniques):
            raise Declined
        coded.problems([v != "" and float(v) > ABSURD_AMOUNT for v in coded.uniques], column,
                       "is negative or implausibly large; left empty", problems)


def _coded(values: dict[str, Coded], rows: int, mapping, dates: dict[str, np.ndarray],
           notes: list[str]) -> tuple[dict, PilotArrays]:
    """validate._coded, _stage and _status: the unmapped values and the pilots' arrays, the start date filled
    from the earliest stage date (in `dates`, in place)."""
    source = {f: _field(values, rows, mapping, f) for f in CODED}
    coded = {f: [mapping.values.get(f, {}).get(v) if v else None for v in source[f].uniques] for f in CODED}
    unmapped = {f: sorted({v for v, c in zip(source[f].uniques, coded[f]) if v and c is None})
                for f in ("stage", "status", "failure_cause")}
    stages = list(mapping.stages)
    position, names = _positions(source["stage"], coded["stage"], list(stages))
    dated = np.full(rows, -1, dtype=np.intp)
    for i, s in enumerate(stages):
        dated[~np.isnat(dates[f"{s}_date"])] = i
    position = np.where(position >= 0, position, dated)
    missing = int((position < 0).sum()) + sum(int((position == i).sum()) for i, n in enumerate(names)
                                              if n == UNKNOWN_STAGE)
    if missing:
        notes.append(f"{missing} pilot(s) have no stage that could be read; they are kept as 'unknown' "
                     "and left out of the funnel.")
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
    dimensions = {f: _labelled(_field(values, rows, mapping, f), [v or None for v in
                                                                   _field(values, rows, mapping, f).uniques])
                  for f in TEXT_DIMENSIONS}
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

