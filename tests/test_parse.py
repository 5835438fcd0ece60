"""Dates read in the one order a column allows; numbers with separators and decimal commas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.parse import detect_date_order, parse_dates, parse_numbers


def _s(values):
    return pd.Series(values, dtype="str")


@pytest.mark.parametrize("values, order, ambiguous", [
    (["2024-03-01", "2024-12-31"], "ymd", False),
    (["2024/03/01", "2024.12.31 14:05"], "ymd", False),
    (["31/01/2024", "01/02/2024"], "dmy", False),  # 31 can only be a day: day-first
    (["01/31/2024", "02/01/2024"], "mdy", False),  # 31 in second place: month-first
    (["01.02.2024", "03.04.2024"], "dmy", True),  # every value fits both: reported
])
def test_date_order_per_column(values, order, ambiguous):
    assert detect_date_order(_s(values)) == (order, ambiguous)


def test_dates_are_read_in_the_column_order():
    parsed = parse_dates(_s(["31/01/2024", "01/02/2024", "", "not a date", "5 Mar 2024", "45292"]), "dmy")
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:2] == ["2024-01-31", "2024-02-01"]
    assert parsed.isna().tolist()[2:4] == [True, True]
    assert parsed[4] == pd.Timestamp("2024-03-05")
    assert parsed[5] == pd.Timestamp("2024-01-01")  # Excel serial 45292


@pytest.mark.parametrize("text, number", [
    ("1,234.50", 1234.5), ("1.234,50", 1234.5), ("€ 12 000", 12000.0), ("(500)", -500.0),
    ("250000", 250000.0), ("$1,000,000", 1e6), ("EUR 1.500,00", 1500.0), ("", math.nan), ("n/a", math.nan),
    ("12x", math.nan), ("about 5", math.nan),
])
def test_numbers(text, number):
    got = parse_numbers(_s([text]))[0]
    assert (math.isnan(got) and math.isnan(number)) or got == number


def test_decimal_comma_column():
    assert parse_numbers(_s(["12,5", "3,25", "1.000,75"])).tolist() == [12.5, 3.25, 1000.75]


def test_an_excel_serial_with_a_time_is_its_day():
    # serial 45000 is 2023-03-15 (day 0 = 1899-12-30); .6 of a day is 14:24 of that day, .99 is 23:45 of it:
    # the point is not a separator (it once became 45000-6, unreadable) and the day is not rounded up
    dates = parse_dates(pd.Series(["45000", "45000.6", "45000.99", "2024.05"], dtype="str"), "ymd")
    assert dates.tolist() == [pd.Timestamp("2023-03-15")] * 3 + [pd.Timestamp("2024-05-01")]  # a month stays one


@pytest.mark.parametrize("order", [None, "ymd"])
def test_a_column_of_iso_days(order):
    # every value YYYY-MM-DD or empty: no other order, no period, never ambiguous; a day that does not exist
    # and a year outside schema.PLAUSIBLE_YEARS are unread
    from analysis.ingest import parse

    uniques = pd.Series(["2024-03-15", "", None, "2024-02-30", "1800-01-01", "2024-12-01", "2031-07-04"], dtype="str")
    counts = np.array([5, 2, 1, 1, 1, 3, 1])
    dates, other, found, ambiguous, approximate = parse.approximate_dates(uniques, counts, order)
    assert dates.tolist() == [pd.Timestamp("2024-03-15"), pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.Timestamp("2024-12-01"),
                              pd.Timestamp("2031-07-04")]
    assert (found, ambiguous) == ("ymd", False) and not other.any() and not approximate.any()
    assert parse.distinct_dates(uniques, counts, order)[0].equals(dates)
