"""Text cells -> dates and numbers, one column at a time, with every unreadable cell reported.

A date column is read in the one order its values allow: ISO (year first), day-first or month-first.
When every value fits both day-first and month-first (no day above 12), the column is ambiguous:
it is read day-first and the user is told, and the mapping's `date_formats` can say otherwise.

Portfolios often give only a period: a month and year (`01/2024`, `2024-01`, `Jan 2024`), a quarter
(`Q3 2024`, `2024-Q3`) or a year alone (`2025`). Such a value is read as the first day of its period and
is approximate (`approximate`): the derivation says, per column, how many dates are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest.written import (
    CURRENCY,
    DATE_ORDERS,
    EXCEL_SERIALS,
    NUM_JUNK,
    NUMERIC_DATE,
    PLAIN_NUMBER,
    SCALE,
    SCALES,
    SEP,
    SEP_ASCII,
    SERIAL_WITH_TIME,
    TIME,
)
from analysis.schema import PLAUSIBLE_YEARS

EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (with its 1900 leap-year bug)
MONTHS = {m: i for i, names in enumerate([("jan", "january"), ("feb", "february"), ("mar", "march"),
                                          ("apr", "april"), ("may",), ("jun", "june"), ("jul", "july"),
                                          ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
                                          ("nov", "november"), ("dec", "december")], start=1) for m in names}
# Periods, as `_clean_dates` leaves them (separators turned to '-'): month-year, year-month, a named month
# and a four-digit year, a quarter either way round, a year alone.
PERIOD = re.compile(r"(?P<m1>\d{1,2})-(?P<y1>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{1,2})"
                    r"|(?P<name>[A-Za-z]{3,9})\.?,?-(?P<y3>\d{4})"
                    r"|[Qq](?P<q1>[1-4])-?(?P<y4>\d{4}|\d{2})|(?P<y5>\d{4})-?[Qq](?P<q2>[1-4])"
                    r"|(?P<y6>(?:19|20|21)\d{2})")


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




def _clean_dates(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip().str.replace("\u00a0", " ", regex=False)
    text = _replace_some(text, text.str.contains(":", regex=False), TIME, "")  # every time holds a colon
    separated = ~text.str.isascii() | text.str.contains(SEP_ASCII, regex=True)
    text = _replace_some(text, separated & ~text.str.fullmatch(SERIAL_WITH_TIME), SEP, "-")
    return text.str.strip("-")


def _replace_some(text: pd.Series, maybe: pd.Series, pattern: re.Pattern, repl: str) -> pd.Series:
    """`text.str.replace(pattern, repl)`, run only on the values `maybe` picks (the others hold no match)."""
    if not maybe.any():
        return text
    return text.where(~maybe, text[maybe].str.replace(pattern, repl, regex=True))


def _parse_order(text: pd.Series, order: str) -> pd.Series:
    fmt = DATE_ORDERS[order].replace("/", "-")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def detect_date_order(values: pd.Series, counts: np.ndarray | None = None) -> tuple[str, bool]:
    """(order, ambiguous): the order that reads the most numeric dates; ambiguous when every numeric
    date reads both day-first and month-first (no day above 12). With `counts`, `values` are distinct
    values and each counts that many times."""
    if counts is None:
        _, values, counts = distinct(values)
    return _detect_cleaned(_clean_dates(values), counts)


def _detect_cleaned(text: pd.Series, counts: np.ndarray) -> tuple[str, bool]:
    """`detect_date_order` of values already through `_clean_dates`."""
    is_numeric = text.str.match(NUMERIC_DATE).to_numpy(dtype=bool)
    numeric, weight = text[is_numeric], counts[is_numeric]
    if numeric.empty:
        return "ymd", False
    # A value starting with a four-digit year reads in no order but year first (%d and %m take two digits)
    year_first = bool(numeric.str.match(r"^\d{4}-").all())
    read = {o: _parse_order(numeric, o).notna().to_numpy() if o == "ymd" or not year_first
            else np.zeros(len(numeric), dtype=bool) for o in DATE_ORDERS}
    counts = {o: int(weight[r].sum()) for o, r in read.items()}
    best = max(counts, key=lambda o: (counts[o], o == "ymd", o == "dmy"))
    day_first_only = int(weight[read["dmy"] & ~read["mdy"]].sum())  # a tie with such dates is a mix, not doubt
    ambiguous = best != "ymd" and counts["dmy"] == counts["mdy"] > 0 and day_first_only == 0
    return best, ambiguous


def parse_dates(values: pd.Series, order: str) -> pd.Series:
    """Dates (datetime64, NaT where unreadable); numeric dates read in `order`, named months any way."""
    return read_dates(values, order)[0]


def read_dates(values: pd.Series, order: str) -> tuple[pd.Series, pd.Series]:
    """Dates as `parse_dates` reads them, and a mask of the cells that only another order could read
    (a column of mixed formats: `03/15/2024` among day-first dates is read month-first, and said so).
    Each distinct value is read once."""
    codes, uniques, counts = distinct(values)
    parsed, other = _read_distinct(uniques, counts, order)
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
    iso = _iso_days(uniques, order)
    if iso is not None:
        return iso, pd.Series(False, index=uniques.index), "ymd", False
    return _dates_cleaned(_clean_dates(uniques), counts, order)


ISO_DAY = "[0-9]{4}-[0-9]{2}-[0-9]{2}"  # 2024-03-15: how most trackers export a date


def _iso_days(uniques: pd.Series, order: str | None) -> pd.Series | None:
    """`_dates_cleaned`'s dates of a column whose every value is written YYYY-MM-DD (or is empty), read at once;
    None for any other column. Such values need no cleaning, read in no order but year first, need no other
    order and are no period (a month, a quarter, a year), so the rest of the reading has nothing to do."""
    if order not in (None, "ymd"):
        return None
    text = uniques.fillna("").astype("str")
    if not text.str.fullmatch(ISO_DAY + "|").all():
        return None
    parsed = _parse_order(text, "ymd")
    return parsed.where(parsed.dt.year.between(*PLAUSIBLE_YEARS)).dt.normalize()


def _dates_cleaned(text: pd.Series, counts: np.ndarray, order: str | None) -> tuple[pd.Series, pd.Series, str, bool]:
    """`distinct_dates` of values already through `_clean_dates`."""
    ambiguous = False
    if order is None:
        order, ambiguous = _detect_cleaned(text, counts)
    parsed, other = _read_cleaned(text, counts, order)
    return parsed, other, order, ambiguous


def _read_distinct(values: pd.Series, counts: np.ndarray, order: str) -> tuple[pd.Series, pd.Series]:
    """`read_dates` of distinct values, each counting `counts` times where the column's mix matters."""
    return _read_cleaned(_clean_dates(values), counts, order)


def _read_cleaned(text: pd.Series, counts: np.ndarray, order: str) -> tuple[pd.Series, pd.Series]:
    """`_read_distinct` of values already through `_clean_dates`."""
    parsed = _parse_order(text, order)
    other = pd.Series(False, index=text.index)
    for fallback in _fallback_orders(text, counts, order):
        rest = parsed.isna() & (text != "")
        if not rest.any():
            break
        again = _parse_order(text[rest], fallback)
        parsed[rest] = again
        if fallback != "ymd":
            other[again[again.notna()].index] = True
    rest = parsed.isna() & (text != "")
    if rest.any():
        parsed[rest] = _periods(text[rest])
    rest = parsed.isna() & (text != "")
    if rest.any():
        parsed[rest] = _parse_words_or_serial(text[rest], dayfirst=order == "dmy")
    parsed = parsed.where(parsed.dt.year.between(*PLAUSIBLE_YEARS))
    return parsed.dt.normalize(), other


def _fallback_orders(text: pd.Series, counts: np.ndarray, order: str) -> list[str]:
    """The orders tried, in turn, on cells the column's own order cannot read."""
    if order != "ymd":
        return ["ymd", "mdy" if order == "dmy" else "dmy"]
    slashed = (text.str.match(NUMERIC_DATE) & ~text.str.match(r"^\d{4}-")).to_numpy(dtype=bool)
    if not slashed.any():
        return []
    best, _ = detect_date_order(text[slashed], counts[slashed])
    return [best, "mdy" if best == "dmy" else "dmy"]


def _periods(text: pd.Series) -> pd.Series:
    """The first day of each value's period (`PERIOD`: a month, a quarter or a year), NaT for the others."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    maybe = text[text.str.len().le(15)]
    for i, value in maybe.items():
        found = PERIOD.fullmatch(value)
        if found is None:
            continue
        g = found.groupdict()
        year = next(int(g[k]) for k in ("y1", "y2", "y3", "y4", "y5", "y6") if g[k])
        year += 2000 if year < 100 else 0
        month = (int(g["m1"] or g["m2"]) if g["m1"] or g["m2"] else MONTHS.get(g["name"].lower()) if g["name"]
                 else 3 * int(g["q1"] or g["q2"]) - 2 if g["q1"] or g["q2"] else 1)
        if month and 1 <= month <= 12:
            out[i] = pd.Timestamp(year, month, 1)
    return out


def approximate_dates(uniques: pd.Series, counts: np.ndarray, order: str | None = None
                      ) -> tuple[pd.Series, pd.Series, str, bool, pd.Series]:
    """`distinct_dates`, and which of the values were read as the first day of a period (a month, a quarter,
    a year), not as a day: the distinct values cleaned once for both."""
    iso = _iso_days(uniques, order)
    if iso is not None:
        return iso, pd.Series(False, index=uniques.index), "ymd", False, pd.Series(False, index=uniques.index)
    text = _clean_dates(uniques)
    parsed, other, order, ambiguous = _dates_cleaned(text, counts, order)
    return parsed, other, order, ambiguous, _approximate_cleaned(text, parsed)


def _approximate_cleaned(text: pd.Series, parsed: pd.Series) -> pd.Series:
    return text.str.fullmatch(PERIOD) & parsed.notna()


def _parse_words_or_serial(text: pd.Series, dayfirst: bool) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    serial = number.between(*EXCEL_SERIALS)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[serial] = EXCEL_EPOCH + pd.to_timedelta(np.floor(number[serial]), unit="D")  # a fraction is the time
    words = ~serial & text.str.contains(r"[A-Za-z]", regex=True)
    if words.any():  # named months ("12 Mar 2024", "March 12, 2024"): each distinct text read once
        named = {t: _named_date(t, dayfirst) for t in text[words].unique()}
        out[words] = text[words].map(named).astype("datetime64[ns]")
    return out


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
    on how often). Values of digits alone are read directly: they are the same in every convention and
    have no say in the decimal-comma choice."""
    plain = values.fillna("").astype(str).str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool)
    if not plain.any():
        return _written_numbers(values)
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    out[plain] = pd.to_numeric(values[plain].astype(str)).astype("float64")
    if not plain.all():
        out[~plain] = _written_numbers(values[~plain])
    return out


def _written_numbers(values: pd.Series) -> pd.Series:
    """`numbers_of`, each value read as written (currency, separators, signs, scale)."""
    text = values.fillna("").astype(str).str.strip().str.replace(CURRENCY, "", regex=True).str.strip()
    scale = text.str.extract(SCALE)[0].str.lower().map(SCALES).fillna(1.0).astype("float64")
    text = text.str.replace(SCALE, "", regex=True)
    words = text.str.contains(r"[^\W\d_]", regex=True)
    negative = text.str.startswith("(") & text.str.endswith(")") | text.str.startswith("-")
    digits = text.str.replace(NUM_JUNK, "", regex=True).str.strip("()-")
    decimal_comma = digits.str.contains(r",\d{1,2}$", regex=True).any() and \
        not digits.str.contains(r"\.\d{1,2}$", regex=True).any()
    both = digits.str.contains(",") & digits.str.contains(r"\.")
    comma_last = digits.str.rfind(",") > digits.str.rfind(".")
    as_comma = (both & comma_last) | (~both & decimal_comma)
    normal = digits.where(as_comma, digits.str.replace(",", "", regex=False))
    normal = normal.where(~as_comma, normal.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    number = pd.to_numeric(normal.replace("", np.nan), errors="coerce").where(~words) * scale
    return number.where(~negative, -number)
