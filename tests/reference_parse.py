"""REFERENCE ONLY (tests): analysis/ingest/parse.py as of commit f1c84e2, before its distinct-value fast paths
(prefiltered date cleaning, year-first detection, plain-digit amounts). tests/test_derive_distinct.py
checks that the code in analysis/ gives exactly what this gives. Do not edit.

Text cells -> dates and numbers, one column at a time, with every unreadable cell reported.

A date column is read in the one order its values allow: ISO (year first), day-first or month-first.
When every value fits both day-first and month-first (no day above 12), the column is ambiguous:
it is read day-first and the user is told, and the mapping's `date_formats` can say otherwise.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

DATE_ORDERS = {"ymd": "%Y-%m-%d", "dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"}
_SEP = re.compile(r"[./\s]+")
_TIME = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMERIC_DATE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,4}$")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (with its 1900 leap-year bug)
PLAUSIBLE_YEARS = (1900, 2200)  # a date outside these years in a portfolio is a typing error, not a date
EXCEL_SERIALS = (20_000, 80_000)  # 1954..2119: a bare number in this range in a date column is a serial


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """(codes, uniques, counts): each value's position among the column's distinct values (missing
    values are one of them), and how often each occurs. A column of 100k dates holds a few thousand
    distinct ones, so each is parsed once and mapped back (`spread`)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Series(uniques, dtype=values.dtype), np.bincount(codes, minlength=len(uniques))


def spread(result: pd.Series, codes: np.ndarray, values: pd.Series) -> pd.Series:
    """A result computed per distinct value, back on every row of `values` (same index)."""
    return result.take(codes).set_axis(values.index)


def _clean_dates(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip().str.replace("\u00a0", " ", regex=False)
    text = text.str.replace(_TIME, "", regex=True)
    return text.str.replace(_SEP, "-", regex=True).str.strip("-")


def _parse_order(text: pd.Series, order: str) -> pd.Series:
    fmt = DATE_ORDERS[order].replace("/", "-")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def detect_date_order(values: pd.Series, counts: np.ndarray | None = None) -> tuple[str, bool]:
    """(order, ambiguous): the order that reads the most numeric dates; ambiguous when every numeric
    date reads both day-first and month-first (no day above 12). With `counts`, `values` are distinct
    values and each counts that many times."""
    if counts is None:
        _, values, counts = distinct(values)
    text = _clean_dates(values)
    is_numeric = text.str.match(_NUMERIC_DATE).to_numpy(dtype=bool)
    numeric, weight = text[is_numeric], counts[is_numeric]
    if numeric.empty:
        return "ymd", False
    read = {o: _parse_order(numeric, o).notna().to_numpy() for o in DATE_ORDERS}
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
    ambiguous = False
    if order is None:
        order, ambiguous = detect_date_order(uniques, counts)
    parsed, other = _read_distinct(uniques, counts, order)
    return spread(parsed, codes, values), spread(other, codes, values), order, ambiguous


def _read_distinct(values: pd.Series, counts: np.ndarray, order: str) -> tuple[pd.Series, pd.Series]:
    """`read_dates` of distinct values, each counting `counts` times where the column's mix matters."""
    text = _clean_dates(values)
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
        parsed[rest] = _parse_words_or_serial(text[rest], dayfirst=order == "dmy")
    parsed = parsed.where(parsed.dt.year.between(*PLAUSIBLE_YEARS))
    return parsed.dt.normalize(), other


def _fallback_orders(text: pd.Series, counts: np.ndarray, order: str) -> list[str]:
    """The orders tried, in turn, on cells the column's own order cannot read."""
    if order != "ymd":
        return ["ymd", "mdy" if order == "dmy" else "dmy"]
    slashed = (text.str.match(_NUMERIC_DATE) & ~text.str.match(r"^\d{4}-")).to_numpy(dtype=bool)
    if not slashed.any():
        return []
    best, _ = detect_date_order(text[slashed], counts[slashed])
    return [best, "mdy" if best == "dmy" else "dmy"]


def _parse_words_or_serial(text: pd.Series, dayfirst: bool) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    serial = number.between(*EXCEL_SERIALS)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[serial] = EXCEL_EPOCH + pd.to_timedelta(number[serial].round(), unit="D")
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


_NUM_JUNK = re.compile(r"[^\d,.\-()]")
_CURRENCY = re.compile(r"(?i)\b(?:USD|EUR|GBP|CHF|CAD|AUD|NZD|JPY|CNY|INR|SEK|NOK|DKK|PLN|BRL|ZAR)\b|[$€£¥₹]")
_SCALE = re.compile(r"(?i)(?<=\d)\s*(k|m|mm|mn|bn|b)$")
SCALES = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}  # 500k, 1.2M, 2bn in hand-kept sheets


def parse_numbers(values: pd.Series) -> pd.Series:
    """Amounts as floats: currency signs and codes dropped, `1,234.5` / `1.234,5` / `(500)` / `1.2M`
    read; a column whose commas are followed by one or two digits uses the decimal comma. A cell with
    other letters (`lots`, `=SUM(A1:A3)`) is not a number. Each distinct value is read once."""
    codes, uniques, _ = distinct(values)
    return spread(_numbers_of(uniques), codes, values)


def _numbers_of(values: pd.Series) -> pd.Series:
    """`parse_numbers` of distinct values (the decimal-comma choice depends on which values occur, not
    on how often)."""
    text = values.fillna("").astype(str).str.strip().str.replace(_CURRENCY, "", regex=True).str.strip()
    scale = text.str.extract(_SCALE)[0].str.lower().map(SCALES).fillna(1.0).astype("float64")
    text = text.str.replace(_SCALE, "", regex=True)
    words = text.str.contains(r"[^\W\d_]", regex=True)
    negative = text.str.startswith("(") & text.str.endswith(")") | text.str.startswith("-")
    digits = text.str.replace(_NUM_JUNK, "", regex=True).str.strip("()-")
    decimal_comma = digits.str.contains(r",\d{1,2}$", regex=True).any() and \
        not digits.str.contains(r"\.\d{1,2}$", regex=True).any()
    both = digits.str.contains(",") & digits.str.contains(r"\.")
    comma_last = digits.str.rfind(",") > digits.str.rfind(".")
    as_comma = (both & comma_last) | (~both & decimal_comma)
    normal = digits.where(as_comma, digits.str.replace(",", "", regex=False))
    normal = normal.where(~as_comma, normal.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    number = pd.to_numeric(normal.replace("", np.nan), errors="coerce").where(~words) * scale
    return number.where(~negative, -number)
