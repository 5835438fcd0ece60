"""The one reading of dates written with numbers and of amounts (analysis/ingest/values.py), without pandas: known
answers, and each rule held to pandas' own readers on many texts (`to_datetime(format=...)`, `to_numeric`)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest

from analysis.ingest import values
from analysis.ingest.arrowtext import texts
from analysis.ingest.written import DATE_ORDERS


def _days(found) -> list[str]:
    return [str(d) for d in found]


@pytest.mark.parametrize("text, order, day", [
    ("2024-03-15", "ymd", "2024-03-15"), ("2024/3/5", "ymd", "2024-03-05"), ("2024.12.31 14:05", "ymd", "2024-12-31"),
    ("2024-02-03T09:15:00Z", "ymd", "2024-02-03"), ("2024-03-01 9:05 PM", "ymd", "2024-03-01"),
    ("15/03/2024", "dmy", "2024-03-15"), ("15.03.2024 10:30", "dmy", "2024-03-15"), ("3/15/2024", "mdy", "2024-03-15"),
    ("45000", "ymd", "2023-03-15"), ("45000.99", "ymd", "2023-03-15"),  # Excel: day 0 is 1899-12-30; no rounding up
    ("2024", "ymd", "2024-01-01"), ("01/2024", "ymd", "2024-01-01"), ("2024-03", "ymd", "2024-03-01"),
    ("Q3 2024", "ymd", "2024-07-01"), ("2024-Q4", "ymd", "2024-10-01"), ("Mar 2024", "ymd", "2024-03-01"),
    ("٠١/٢٠٢٤", "ymd", "2024-01-01"),  # a period in other digits, as Python's re and int read them
    ("2023-02-29", "ymd", "NaT"), ("1850-01-01", "ymd", "NaT"), ("2024-13-01", "ymd", "NaT"), ("", "ymd", "NaT"),
    ("12 Mar 2024", "ymd", "NaT"), ("15-03-٢٠٢٤", "dmy", "NaT"), ("12", "ymd", "NaT"), ("-", "ymd", "NaT"),
])
def test_dates_read_in_an_order(text, order, day):
    assert _days(values.read_dates(texts([text]), np.array([1]), order).days) == [day]


def test_what_a_column_says_beside_its_dates():
    found = values.read_dates(texts(["31/01/2024", "01/02/2024", "03/15/2024", "Q3 2024", "12 Mar 2024", "13-2024"]),
                              np.array([3, 2, 1, 1, 1, 1]))
    assert (found.order, found.ambiguous) == ("dmy", False)
    assert _days(found.days) == ["2024-01-31", "2024-02-01", "2024-03-15", "2024-07-01", "NaT", "NaT"]
    assert found.other.tolist() == [False, False, True, False, False, False]  # month-first among day-first
    assert found.period.tolist() == [False, False, False, True, False, True]  # 13-2024 is written as one, unread
    assert found.worded.tolist() == [False, False, False, False, True, False]  # left to a reader of words
    assert found.cleaned.to_pylist()[4] == "12-Mar-2024"


@pytest.mark.parametrize("column, counts, order, ambiguous", [
    (["2024-03-01", "2024-12-31"], [1, 1], "ymd", False),
    (["31/01/2024", "01/02/2024"], [1, 1], "dmy", False),
    (["01/31/2024", "02/01/2024"], [1, 1], "mdy", False),
    (["01.02.2024", "03.04.2024"], [1, 1], "dmy", True),  # every date reads both ways: day-first, and said so
    (["13/01/2024", "01/13/2024"], [1, 5], "mdy", False),  # the rows decide, not the distinct values
    (["13/01/2024", "01/13/2024"], [5, 1], "dmy", False),
    (["no date", ""], [4, 1], "ymd", False),
])
def test_the_order_is_the_one_that_reads_the_most_rows(column, counts, order, ambiguous):
    assert values.date_order(values.cleaned_dates(texts(column)), np.array(counts)) == (order, ambiguous)


def test_a_year_first_column_falls_back_to_the_order_its_other_dates_read_in():
    found = values.read_dates(texts(["2024-01-05"] * 1 + ["2024-02-06", "13/02/2024", "02/14/2024", "05/06/2024"]),
                              np.array([1, 9, 2, 1, 1]))
    assert found.order == "ymd"
    assert _days(found.days) == ["2024-01-05", "2024-02-06", "2024-02-13", "2024-02-14", "2024-06-05"]
    assert found.other.tolist() == [False, False, True, True, True]


@pytest.mark.parametrize("order", [None, "ymd"])
def test_a_column_of_iso_days_is_read_at_once_as_any_column_is(order):
    # every text YYYY-MM-DD or empty: read in one pass; a text of no date among them makes the column one read in
    # full (cleaned, its order found, fallbacks, periods), which reads the others alike
    column = ["2024-03-15", "", "2024-02-30", "1800-01-01", "2024-12-01", "0000-01-01", "2031-07-04"]
    counts = np.array([5, 2, 1, 1, 3, 1, 1])
    fast = values.read_dates(texts(column), counts, order)
    full = values.read_dates(texts([*column, "no date"]), np.append(counts, 1), order)
    assert _days(fast.days) == _days(full.days[:-1]) == ["2024-03-15", "NaT", "NaT", "NaT", "2024-12-01", "NaT",
                                                         "2031-07-04"]
    assert (fast.order, fast.ambiguous) == (full.order, full.ambiguous) == ("ymd", False)
    for mask_ in ("other", "period", "worded"):
        assert not getattr(fast, mask_).any() and not getattr(full, mask_)[:-1].any()


def _numeric_texts() -> list[str]:
    """Dash-separated numbers of every length the orders consider, and some that none does."""
    rng = random.Random(14)
    parts = ["0", "00", "1", "01", "9", "12", "13", "29", "30", "31", "32", "99", "123", "0000", "1899", "2024",
             "2023", "2100", "9999", "02024"]
    out = ["-".join(p) for p in itertools.product(parts, repeat=3)]
    out += [f"{rng.randint(1, 31)}-{rng.randint(1, 12)}-{rng.randint(1000, 2999)}" for _ in range(500)]
    return out + ["20240315", "2024-03", "2024", "2024-03-15-10", "2024--03-15", "2024-03-15.5", "1-12024", "x-1-2024"]


@pytest.mark.parametrize("order", list(DATE_ORDERS))
def test_each_order_reads_what_pandas_reads_in_its_format(order):
    column = _numeric_texts()
    ours = values._Parts.of(texts(column)).days(order)
    # pandas 3.1: pd.to_datetime(text, format="%d-%m-%Y", errors="coerce") and so on
    theirs = pd.to_datetime(pd.Series(column, dtype="str"), format=DATE_ORDERS[order].replace("/", "-"),
                            errors="coerce").to_numpy().astype("datetime64[D]")
    assert _days(ours) == _days(theirs)


@pytest.mark.parametrize("text, number", [
    ("1,234.50", 1234.5), ("1.234,50", 1234.5), ("€ 12 000", 12000.0), ("(500)", -500.0), ("-7", -7.0),
    ("250000", 250000.0), ("$1,000,000", 1e6), ("EUR 1.500,00", 1500.0), ("1.2M", 1.2e6), ("$2.5k", 2500.0),
    ("2bn", 2e9), ("", math.nan), ("n/a", math.nan), ("12x", math.nan), ("about 5", math.nan), ("1.2.3", math.nan),
    ("١٢٣", math.nan),  # other digits: float reads them, pandas.to_numeric does not
])
def test_amounts(text, number):
    got = values.amounts(texts([text]))[0]
    assert (math.isnan(got) and math.isnan(number)) or got == number


def test_the_decimal_comma_is_chosen_by_the_column():
    assert values.amounts(texts(["12,5", "3,25", "1.000,75", "7"])).tolist() == [12.5, 3.25, 1000.75, 7.0]
    assert values.amounts(texts(["12,5", "3.25"])).tolist() == [125.0, 3.25]  # a decimal point too: commas group


def test_amounts_read_as_pandas_reads_the_digits():
    rng = random.Random(7)
    column = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 17))) for _ in range(2000)]
    column = [t[:i] + "." + t[i:] for t in column for i in [rng.randint(0, len(t))]]
    # pandas 3.1: pd.to_numeric(text, errors="coerce")
    theirs = pd.to_numeric(pd.Series(column, dtype="str"), errors="coerce").to_numpy()
    assert np.array_equal(values.amounts(texts(column)), theirs, equal_nan=True)
