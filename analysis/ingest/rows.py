"""Which rows of an upload stand for pilots, worked out on its cleaned columns with numpy and Arrow alone.

The one implementation of the row rules, for the app's ingest (analysis/ingest/validate.py wraps it) and for the
summary command's pandas-free path (analysis/cli/summary_fast.py calls it):
- a row whose every cell is empty is rejected (EMPTY);
- a row whose first filled cell says total or sum (`reading.is_total_row`) is rejected (TOTAL);
- a row with content but an empty or placeholder ID (`evidence.is_missing`: N/A, TBD, None, -) is kept, named
  by its line (`row-17`, or `row-17-no-id` when a kept row has that ID);
- a row whose ID an earlier row neither rejected nor without an ID has is rejected, saying which line it repeats
  and whether it is an exact copy of it.

A column is given as its distinct values and each row's position among them (`Column.codes`), or, for a column
of mostly distinct values (IDs, names) not worth hashing, as its values themselves. Each test is made once per
distinct value and taken back to the rows. No pandas and no pyarrow.compute here (arrowtext.call says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyarrow._compute import MatchSubstringOptions, SetLookupOptions

from analysis.ingest.arrowtext import call, column_bytes, flags, integers, mask, matches, positions
from analysis.ingest.evidence import NO_ID_ROWS_NOTE, PLACEHOLDER_CHARS, is_missing
from analysis.ingest.reading import TOTAL_HINT, TOTAL_WORDS, spells_total
from analysis.schema import normalise

EMPTY = "the row is empty"
TOTAL = "a total line, not a pilot"
COPY = " (an exact copy)"
OTHER_DATA = " with different data; keep one of the two rows"
NAME_PREFIX = "row-"  # a row without an ID is named by its line: row-17
CLASH_SUFFIX = "-no-id"  # added to that name when a kept row has it as its ID
MAYBE_PLACEHOLDER = f"^[^0-9]{{0,{PLACEHOLDER_CHARS}}}$"  # only a short value without a digit can be one


@dataclass
class Column:
    """A column of cleaned cells (Arrow text without missing values): each row's position (`codes`) among
    `values`, which are then distinct; or, when `codes` is None, each row's value itself."""

    values: pa.Array | pa.ChunkedArray
    codes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values) if self.codes is None else len(self.codes)

    def on_rows(self, test, rows: np.ndarray | None) -> np.ndarray:
        """`test` (Arrow text -> a numpy result per value) of the values of `rows` (positions; None: every
        row): made once per distinct value, or on the rows' own values when they are few."""
        if self.codes is not None:
            found = test(self.values)
            return found[self.codes] if rows is None else found[self.codes[rows]]
        return test(self.values if rows is None else self.at(rows))

    def at(self, rows: np.ndarray) -> pa.Array | pa.ChunkedArray:
        """The values of `rows` (positions), as Arrow text."""
        return call("take", self.values, positions(rows if self.codes is None else self.codes[rows]))

    def equal(self, rows: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Whether the value of each of `rows` is that of the row in `others` at the same place."""
        if self.codes is not None:  # distinct values: equal positions
            return self.codes[rows] == self.codes[others]
        return flags(call("equal", self.at(rows), self.at(others)))

    def keys(self, rows: np.ndarray) -> np.ndarray | None:
        """A number for each of `rows` (positions, in file order) that is equal for equal values, numbered in the
        order they first appear among them; None when the values sort strictly ascending (none repeats: an export
        sorted by its IDs is told in a millisecond, where hashing a million IDs takes 0.1-0.2 s)."""
        if self.codes is None:
            text = self.values if len(rows) == len(self) else self.at(rows)
            if ascending(text):
                return None
        else:  # the positions hashed (numbers, not texts), to number them in the order they first appear
            text = positions(self.codes[rows])
        parts = [integers(c.indices) for c in _chunks(call("dictionary_encode", text))]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


@dataclass
class Rows:
    """What the rules make of an upload's rows: `keep`, the rows kept (a mask); `rejected`, (line, column,
    reason) of each row rejected, in file order (the column is the ID column's, "" without one); `unnamed`, the
    kept rows without an ID (positions, in file order), and `names`, the pilot names they get."""

    keep: np.ndarray
    rejected: list[tuple[int, str, str]]
    unnamed: np.ndarray
    names: list[str]

    def unnamed_report(self, lines: np.ndarray, column: str) -> tuple[list[dict], str | None]:
        """The problem of each kept row without an ID (in file order), and the note that counts them (None: no
        such row)."""
        if not self.names:
            return [], None
        problems = [{"row": int(line), "column": column, "problem": f"no pilot ID; kept as pilot '{name}'"}
                    for line, name in zip(lines[self.unnamed], self.names)]
        return problems, NO_ID_ROWS_NOTE.format(count=len(self.names), column=column, first=self.names[0])


def checked_rows(columns: Mapping[str, Column], lines: np.ndarray, id_column: str | None) -> Rows:
    """The rules of this module on an upload's columns (in the file's order, each a `Column`), `lines` the file
    line of each row (the header is line 1), `id_column` the column of pilot IDs (None: the file has none)."""
    count = len(lines)
    empty, total = empty_and_total(columns.values(), count)
    bad, repeats = empty | total, {}
    unnamed, names = np.zeros(0, dtype=np.intp), []
    if id_column:
        ids = columns[id_column]
        missing = ids.on_rows(missing_values, None) & ~bad
        repeats = dict(_repeats(ids, np.flatnonzero(~(bad | missing)), columns, lines))
        bad[list(repeats)] = True
        unnamed = np.flatnonzero(missing)  # never rejected: a row without an ID repeats nothing
        names = _names(ids, lines, unnamed, ~(bad | missing))
    rejected = [(int(lines[i]), id_column or "", EMPTY if empty[i] else TOTAL if total[i] else repeats[int(i)])
                for i in np.flatnonzero(bad)]
    return Rows(~bad, rejected, unnamed, names)


def empty_and_total(columns: Iterable[Column], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the rows whose every cell is empty, and of those whose first filled cell says total or sum. Each
    row's first filled cell is looked for a column at a time, among the rows whose cells so far were all empty
    (after the first column, usually none)."""
    total = np.zeros(count, dtype=bool)
    pending = None  # every row
    for column in columns:
        filled = column.on_rows(_filled, pending)
        here = np.flatnonzero(filled) if pending is None else pending[filled]
        if len(here):  # the first column's values tested at once, a later one's on its few rows
            total[here] = column.on_rows(total_values, None)[here] if pending is None else \
                column.on_rows(total_values, here)
        pending = np.flatnonzero(~filled) if pending is None else pending[~filled]
        if not len(pending):
            break
    empty = np.zeros(count, dtype=bool)
    empty[np.arange(count) if pending is None else pending] = True
    return empty, total


def _filled(values) -> np.ndarray:
    """Which values of a text column are not empty."""
    parts = [integers(c) for c in _chunks(call("binary_length", values))]
    return np.concatenate(parts) > 0 if parts else np.zeros(0, dtype=bool)


def _chunks(values) -> list[pa.Array]:
    """The arrays of an Arrow array or chunked array."""
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


def total_values(values) -> np.ndarray:
    """Which values of a text column say total or sum (`reading.is_total_row`). Only a value holding a
    TOTAL_HINT word in any case, or a letter outside ASCII (which `normalise` folds), can: those few are
    normalised one at a time, each distinct one once. A column of ASCII text none of whose bytes spell such a
    word holds none (1M IDs: 5 ms)."""
    out = np.zeros(len(values), dtype=bool)
    data = column_bytes(values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values]))
    if data is not None and data.isascii() and not spells_total(data):
        return out
    hint = flags(call("or", matches(values, TOTAL_HINT, ignore_case=True),
                      call("invert", call("string_is_ascii", values))))
    at = np.flatnonzero(hint)
    said: dict[str, bool] = {}
    for i, value in zip(at, call("take", values, positions(at)).to_pylist()):
        if value not in said:
            said[value] = normalise(value) in TOTAL_WORDS
        out[i] = said[value]
    return out


def missing_values(values) -> np.ndarray:
    """Which values of a text column say there is no ID: empty, or a placeholder such as N/A, TBD, None or -
    (`evidence.is_missing`). Only a short value without a digit can be one, so a column of IDs such as
    AI-0000001 is cleared in one pass of Arrow; the few others are tried one at a time, each distinct one once."""
    maybe = matches(values, MAYBE_PLACEHOLDER)
    if not call("any", maybe).as_py():
        return np.zeros(len(values), dtype=bool)
    short = call("unique", call("filter", values, maybe))
    said = call("filter", short, mask(np.array([is_missing(v) for v in short.to_pylist()], dtype=bool)))
    return flags(call("is_in", values, options=SetLookupOptions(said)))  # no value is missing: no null to fill


def _repeats(ids: Column, eligible: np.ndarray, columns: Mapping[str, Column], lines: np.ndarray
             ) -> list[tuple[int, str]]:
    """(row, reason) of each of the `eligible` rows (positions, in file order) whose ID an earlier one has:
    which line it repeats (the first with that ID), and whether it is an exact copy of it."""
    keys = ids.keys(eligible)
    if keys is None or len(keys) < 2:
        return []
    again = np.zeros(len(keys), dtype=bool)  # keys number the IDs as they first appear: a repeat's is not above
    again[1:] = keys[1:] <= np.maximum.accumulate(keys)[:-1]
    if not again.any():
        return []
    first_of = np.empty(int(keys.max()) + 1, dtype=np.intp)
    first_of[keys[~again]] = eligible[~again]
    rows, others = eligible[again], first_of[keys[again]]
    same = np.logical_and.reduce([c.equal(rows, others) for c in columns.values()])
    return [(row, f"pilot ID '{pid}' repeats line {lines[other]}{COPY if copy else OTHER_DATA}")
            for row, other, copy, pid in zip(rows.tolist(), others, same, ids.at(rows).to_pylist())]


def _names(ids: Column, lines: np.ndarray, unnamed: np.ndarray, named: np.ndarray) -> list[str]:
    """The pilot names of the `unnamed` rows (positions): row-<line>, or row-<line>-no-id when a kept row with
    an ID (`named`, a mask) has that name as its ID."""
    names = [f"{NAME_PREFIX}{line}" for line in lines[unnamed]]
    if not names:
        return names
    prefixed = ids.on_rows(lambda v: flags(call("starts_with", v, options=MatchSubstringOptions(NAME_PREFIX))), None)
    taken = np.flatnonzero(prefixed & named)
    if len(taken):
        known = set(ids.at(taken).to_pylist())
        names = [name + CLASH_SUFFIX if name in known else name for name in names]
    return names


def ascending(text) -> bool:
    """Whether each value of a text column sorts strictly after the one before it, so that none repeats (False
    for fewer than two values, or any missing)."""
    return len(text) >= 2 and text.null_count == 0 and call("all", call("less", text[:-1], text[1:])).as_py() is True
