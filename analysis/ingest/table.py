"""The raw table an upload is read into, the error that says a file cannot be read, and the line numbers of
its rows. The types that reading (CSV and text) and workbooks share; pandas only for type hints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class IngestError(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


class LineRange(Sequence[int]):
    """The lines `first`, `first` + 1, ... of `count` rows read a record a line (`read_clean_text`), held as a
    range: as a list, a million lines are a million Python ints (36 MB, 20 ms to make and 10 ms each time they
    become an array; `np.asarray` makes this one from the range). Equal to the list of the same numbers; `clear`
    empties it, as a list's does."""

    def __init__(self, first: int, count: int):
        self._range = range(first, first + count)

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, i):
        return list(self._range[i]) if isinstance(i, slice) else self._range[i]

    def __iter__(self) -> Iterator[int]:
        return iter(self._range)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineRange):
            return self._range == other._range
        return list(self._range) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # mutable (`clear`), as a list

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.arange(self._range.start, self._range.stop, dtype=dtype or np.int64)

    def __repr__(self) -> str:
        return f"LineRange({self._range.start}, {len(self._range)})"

    def clear(self) -> None:
        self._range = range(0)


@dataclass
class RawTable:
    """Text cells of an upload: `cells` has one str column per source header, `lines` the file line
    of each row (header = its own line), `notes` what was noticed while reading."""

    cells: pd.DataFrame
    lines: list[int] | LineRange
    encoding: str
    delimiter: str
    header_line: int
    notes: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"row", "column", "problem"}
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    cleaned: bool = False  # cells already trimmed and stripped of markup (validate.clean_cells)
    # (cells, {header: parse.Distinct}): the cleaned columns' distinct values, kept by validate.cleaned for
    # derive; valid only while `cells` is that same frame
    distinct: tuple | None = field(default=None, repr=False, compare=False)
