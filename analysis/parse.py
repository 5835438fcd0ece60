"""Text cells -> dates and numbers, one column at a time, with every unreadable cell reported.

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
_TIME = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMERIC_DATE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,4}$")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (with its 1900 leap-year bug)
EXCEL_SERIALS = (20_000, 80_000)  # 1954..2119: a bare number in this range in a date column is a serial


def _clean_dates(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip().str.replace("\u00a0", " ", regex=False)
    text = text.str.replace(_TIME, "", regex=True)
    return text.str.replace(_SEP, "-", regex=True).str.strip("-")


def _parse_order(text: pd.Series, order: str) -> pd.Series:
    fmt = DATE_ORDERS[order].replace("/", "-")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def detect_date_order(values: pd.Series) -> tuple[str, bool]:
    """(order, ambiguous): the order that reads the most numeric dates; ambiguous when dmy and mdy tie."""
    text = _clean_dates(values)
    numeric = text[text.str.match(_NUMERIC_DATE)]
    if numeric.empty:
        return "ymd", False
    counts = {o: int(_parse_order(numeric, o).notna().sum()) for o in DATE_ORDERS}
    best = max(counts, key=lambda o: (counts[o], o == "ymd", o == "dmy"))
    ambiguous = best != "ymd" and counts["dmy"] == counts["mdy"] and counts["dmy"] > 0
    return best, ambiguous


def parse_dates(values: pd.Series, order: str) -> pd.Series:
    """Dates (datetime64, NaT where unreadable); numeric dates read in `order`, named months any way."""
    text = _clean_dates(values)
    parsed = _parse_order(text, order)
    if order != "ymd":
        parsed = parsed.fillna(_parse_order(text, "ymd"))
    rest = parsed.isna() & (text != "")
    if rest.any():
        parsed[rest] = _parse_words_or_serial(text[rest], dayfirst=order == "dmy")
    return parsed.dt.normalize()


def _parse_words_or_serial(text: pd.Series, dayfirst: bool) -> pd.Series:
    number = pd.to_numeric(text, errors="coerce")
    serial = number.between(*EXCEL_SERIALS)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[serial] = EXCEL_EPOCH + pd.to_timedelta(number[serial].round(), unit="D")
    words = ~serial & text.str.contains(r"[A-Za-z]", regex=True)
    for idx in text[words].index:  # named months ("12 Mar 2024", "March 12, 2024"): few, so one by one
        out[idx] = pd.to_datetime(text[idx].replace("-", " "), errors="coerce", dayfirst=dayfirst)
    return out


_NUM_JUNK = re.compile(r"[^\d,.\-()]")
_CURRENCY = r"(?:[A-Za-z]{3}|[$€£¥₹]|CHF|kr)?"
_AMOUNT = re.compile(rf"^\(?-?\s*{_CURRENCY}\s*-?[\d][\d.,\s'\u00a0\u202f]*\s*{_CURRENCY}\)?$")


def parse_numbers(values: pd.Series) -> pd.Series:
    """Amounts as floats: currency signs and spaces dropped, `1,234.5` / `1.234,5` / `(500)` read;
    a column whose commas are followed by one or two digits uses the decimal comma."""
    text = values.fillna("").astype(str).str.strip()
    negative = text.str.startswith("(") & text.str.endswith(")") | text.str.startswith("-")
    digits = text.str.replace(_NUM_JUNK, "", regex=True).str.strip("()-")
    decimal_comma = digits.str.contains(r",\d{1,2}$", regex=True).any() and \
        not digits.str.contains(r"\.\d{1,2}$", regex=True).any()
    both = digits.str.contains(",") & digits.str.contains(r"\.")
    comma_last = digits.str.rfind(",") > digits.str.rfind(".")
    as_comma = (both & comma_last) | (~both & decimal_comma)
    normal = digits.where(as_comma, digits.str.replace(",", "", regex=False))
    normal = normal.where(~as_comma, normal.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    number = pd.to_numeric(normal.replace("", np.nan), errors="coerce").where(text.str.match(_AMOUNT))
    return number.where(~negative, -number)
