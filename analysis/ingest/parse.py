"""Text cells -> dates and numbers, one column at a time, with every unreadable cell reported.

A date column is read in the one order its values allow: ISO (year first), day-first or month-first.
When every value fits both day-first and month-first (no day above 12), the column is ambiguous:
it is read day-first and the user is told, and the mapping's `date_formats` can say otherwise.

Portfolios often give only a period: a month and year (`01/2024`, `2024-01`, `Jan 2024`), a quarter
(`Q3 2024`, `2024-Q3`) or a year alone (`2025`). Such a value is read as the first day of its period and
is approximate (`approximate`): the derivation says, per column, how many dates are.

The reading of dates written with numbers (orders, times, periods, Excel serials) and of amounts is
analysis/ingest/values.py's, which the pandas-free summary uses too: this module turns a column's distinct
values into the Arrow text it reads and its results back into Series, and reads the dates it leaves unread
because they hold words (`12 Mar 2024`, `March 12, 2024`), which only pandas reads (`_named_date`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest.arrowtext import call, mask
from analysis.ingest.values import amounts, cleaned_dates, date_order
from analysis.ingest.values import read_dates as read_value_dates
from analysis.schema import PLAUSIBLE_YEARS


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """(codes, uniques, counts): each value's position among the column's distinct values (missing
    values are one of them), and how often each occurs. A column of 100k dates holds a few thousand
    distinct ones, so each is parsed once and mapped back (`spread`)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Series(uniques, dtype=values.dtype), np.bincount(codes, minlength=len(uniques))


SAMPLE_ROWS = 10_000  # enough rows to tell an ID-like column (mostly distinct values) from a coded one
MOSTLY_DISTINCT = 0.5  # above this share of distinct values in the sample, a column is not factorised


@dataclass
class Distinct:
    """A column held as its distinct values: `uniques` (index 0..k-1, the column's dtype) and each row's
    position among them (`codes`). Work on a column's values is done once per distinct value and taken
    back to the rows (`rows`): a million rows hold a few thousand distinct dates and five stages.

    A column of mostly distinct values (IDs, names) is not worth hashing: it is held as itself (`exact`
    False: `codes` number the rows and `uniques` may repeat a value); every use here only needs each
    row's value, except telling equal values apart (see `keys`)."""

    codes: np.ndarray
    uniques: pd.Series
    exact: bool = True

    @classmethod
    def of(cls, values: pd.Series) -> Distinct:
        """The distinct values of a column, in the order they first appear (missing values are one)."""
        head = values.iloc[:SAMPLE_ROWS]
        if len(values) > SAMPLE_ROWS and head.nunique(dropna=False) > MOSTLY_DISTINCT * len(head):
            return cls(np.arange(len(values), dtype=np.int32), values.reset_index(drop=True), exact=False)
        if isinstance(values.array, pd.arrays.ArrowStringArray) and len(values) < 2 ** 31:
            return cls(*_arrow_factorized(values))
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return cls(codes, pd.Series(uniques, dtype=values.dtype))

    def exactly(self) -> Distinct:
        """These rows as truly distinct values (hashed when they were held as themselves): for work that
        is costly per value (dates, numbers)."""
        if self.exact:
            return self
        codes, uniques = pd.factorize(self.uniques, use_na_sentinel=False)
        return Distinct(codes[self.codes], pd.Series(uniques, dtype=self.uniques.dtype))

    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.uniques))

    def rows(self, per_value: pd.Series | np.ndarray) -> np.ndarray:
        """A result computed per distinct value (a mask, numbers, dates), on every row."""
        return np.asarray(per_value)[self.codes]

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """A number per row of `rows` (positions) that is equal for equal values; when not `exact`, the
        values are numbered in the order they first appear among those rows."""
        if self.exact:
            return self.codes[rows]
        values = self.uniques if len(rows) == len(self.codes) else self.uniques.take(self.codes[rows])
        if isinstance(values.array, pd.arrays.ArrowStringArray):
            return _arrow_codes(values)  # half the memory of pandas' codes
        return pd.factorize(values, use_na_sentinel=False)[0]

    def subset(self, keep: np.ndarray) -> Distinct:
        """The distinct values of the rows `keep` (a mask) picks, in the order they first appear there:
        the same as `Distinct.of` those rows' values."""
        if not self.exact:
            kept = self.uniques.take(self.codes[keep]).reset_index(drop=True)
            return Distinct(np.arange(len(kept)), kept, exact=False)
        codes, which = pd.factorize(self.codes[keep])
        return Distinct(codes, self.uniques.take(which).reset_index(drop=True))

    def remapped(self, values: pd.Series) -> Distinct:
        """These rows with each distinct value replaced by `values` (one per distinct value; equal
        replacements become one distinct value)."""
        if not self.exact or values.equals(self.uniques):
            return Distinct(self.codes, values, exact=self.exact)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return Distinct(codes[self.codes], pd.Series(uniques, dtype=values.dtype))


def _arrow_factorized(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """`pd.factorize(values, use_na_sentinel=False)` of a str column by Arrow, with codes of 1, 2 or 4 bytes
    instead of 8 (`_indices`). Arrow's dictionary is shared by every chunk and in
    the order values first appear, as pandas' is."""
    encoded = _encoded(values)
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), pd.Series([], dtype=values.dtype)
    dictionary = encoded.chunk(0).dictionary
    return _indices(encoded, len(dictionary)), pd.Series(dictionary.to_pandas(), dtype=values.dtype)


def _arrow_codes(values: pd.Series) -> np.ndarray:
    """The codes of `_arrow_factorized` alone: telling a million IDs apart needs no Series of them."""
    encoded = _encoded(values)
    return _indices(encoded) if encoded.num_chunks else np.zeros(0, dtype=np.int32)


def _encoded(values: pd.Series) -> pa.ChunkedArray:
    return pa.chunked_array(values.array._pa_array).dictionary_encode(null_encoding="encode")


def _indices(encoded: pa.ChunkedArray, distinct: int = 2 ** 31) -> np.ndarray:
    """The dictionary indices of every chunk as one array of the smallest integers that number `distinct`
    values: a column of five stages needs one byte a row, of 3,000 dates two (1M rows of 19 columns: 45 MB
    less than four)."""
    small = next(t for t in (np.int8, np.int16, np.int32) if distinct <= np.iinfo(t).max + 1)
    parts = [chunk.indices.to_numpy(zero_copy_only=False).astype(small, copy=False) for chunk in encoded.chunks]
    return np.concatenate(parts)  # a copy: Arrow's own indices are read-only


def spread(result: pd.Series, codes: np.ndarray, values: pd.Series) -> pd.Series:
    """A result computed per distinct value, back on every row of `values` (same index)."""
    return result.take(codes).set_axis(values.index)




def arrow_text(values: pd.Series) -> pa.Array:
    """A column's values as one Arrow text array, missing ones empty: what analysis/ingest/values and rows read
    (an Arrow str column of one chunk without a missing value is not copied)."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray) or values.array._pa_array.null_count:
        values = values.fillna("").astype("str")
    text = pa.chunked_array(values.array._pa_array)
    return text.chunk(0) if text.num_chunks == 1 else text.combine_chunks()


def detect_date_order(values: pd.Series, counts: np.ndarray | None = None) -> tuple[str, bool]:
    """(order, ambiguous): the order that reads the most numeric dates; ambiguous when every numeric
    date reads both day-first and month-first (no day above 12). With `counts`, `values` are distinct
    values and each counts that many times (values.date_order)."""
    if counts is None:
        _, values, counts = distinct(values)
    return date_order(cleaned_dates(arrow_text(values)), np.asarray(counts))


def parse_dates(values: pd.Series, order: str) -> pd.Series:
    """Dates (datetime64, NaT where unreadable); numeric dates read in `order`, named months any way."""
    return read_dates(values, order)[0]


def read_dates(values: pd.Series, order: str) -> tuple[pd.Series, pd.Series]:
    """Dates as `parse_dates` reads them, and a mask of the cells that only another order could read
    (a column of mixed formats: `03/15/2024` among day-first dates is read month-first, and said so).
    Each distinct value is read once."""
    codes, uniques, counts = distinct(values)
    parsed, other, _, _ = distinct_dates(uniques, counts, order)
    return spread(parsed, codes, values), spread(other, codes, values)


def read_column_dates(values: pd.Series, order: str | None = None) -> tuple[pd.Series, pd.Series, str, bool]:
    """`read_dates` in `order`, or in the order `detect_date_order` finds when it is None: (dates,
    other-order mask, order, ambiguous). The distinct values are found once for both."""
    codes, uniques, counts = distinct(values)
    parsed, other, order, ambiguous = distinct_dates(uniques, counts, order)
    return spread(parsed, codes, values), spread(other, codes, values), order, ambiguous


def distinct_dates(uniques: pd.Series, counts: np.ndarray, order: str | None = None
                   ) -> tuple[pd.Series, pd.Series, str, bool]:
    """`read_column_dates` of a column's distinct values, each occurring `counts` times: one result per
    distinct value (index as `uniques`)."""
    return approximate_dates(uniques, counts, order)[:4]


def approximate_dates(uniques: pd.Series, counts: np.ndarray, order: str | None = None
                      ) -> tuple[pd.Series, pd.Series, str, bool, pd.Series]:
    """`distinct_dates`, and which of the values were read as the first day of a period (a month, a quarter,
    a year), not as a day. Read by analysis/ingest/values.read_dates; the values with words it leaves unread
    (`12 Mar 2024`, `March 12, 2024`) read here by pandas."""
    read = read_value_dates(arrow_text(uniques), np.asarray(counts), order)
    days = read.days
    if read.worded.any():
        words = call("filter", read.cleaned, mask(read.worded)).to_pylist()
        named = pd.Series([_named_date(t, dayfirst=read.order == "dmy") for t in words], dtype=object)
        days[read.worded] = named.astype("datetime64[ns]").dt.normalize().to_numpy().astype("datetime64[D]")
    index = uniques.index
    parsed = pd.Series(days.astype("datetime64[us]"), index=index)
    approximate = pd.Series(read.period & ~np.isnat(days), index=index)
    return parsed, pd.Series(read.other, index=index), read.order, read.ambiguous, approximate


def _named_date(text: str, dayfirst: bool) -> pd.Timestamp:
    try:
        value = pd.to_datetime(text.replace("-", " "), errors="coerce", dayfirst=dayfirst)
    except (ValueError, OverflowError):
        return pd.NaT
    return value if pd.notna(value) and PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1] else pd.NaT


def parse_numbers(values: pd.Series) -> pd.Series:
    """Amounts as floats: currency signs and codes dropped, `1,234.5` / `1.234,5` / `(500)` / `1.2M`
    read; a column whose commas are followed by one or two digits uses the decimal comma. A cell with
    other letters (`lots`, `=SUM(A1:A3)`) is not a number. Each distinct value is read once."""
    codes, uniques, _ = distinct(values)
    return spread(numbers_of(uniques), codes, values)




def numbers_of(values: pd.Series) -> pd.Series:
    """`parse_numbers` of distinct values (the decimal-comma choice depends on which values occur, not
    on how often): analysis/ingest/values.amounts."""
    return pd.Series(amounts(arrow_text(values)), index=values.index, dtype="float64")
