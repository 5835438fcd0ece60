"""The derivation works on each column's distinct values (analysis/parse.Distinct) and reads clean
UTF-8 uploads straight from their bytes. On tricky portfolios, small and larger than the sample that decides
whether a column is hashed (parse.SAMPLE_ROWS), every way through the one derivation gives identical output:
hashed or not, cleaned once beforehand or not. Amounts and dates read per distinct value give the known answer
of each written form, as a whole column and as the subsets that take the fast paths (digits only, ISO dates
only, no dashes)."""

from __future__ import annotations

import codecs
import datetime as dt
import random
import re

import pandas as pd
import pytest

from analysis.ingest import parse
from analysis.ingest.mapping import Mapping, complete_mapping
from analysis.ingest.parse import Distinct, numbers_of
from analysis.ingest.reading import decode, read_text_table, read_upload
from analysis.ingest.shapes import distinct_values
from analysis.ingest.validate import cleaned, derive
from analysis.ingest.written import SEP, SEP_ASCII
from tests.builders import HEADERS, make_portfolio, pilot

TODAY = dt.date(2026, 11, 26)

IDS = ["", " ", "\u00a0", "=A1", "<b>P7</b>", "P&amp;1", "Total", "TOTAL:", "Grand-Total", "sum", "Ｔｏｔａｌ"]
TEXTS = ["", "Finance", " Finance ", "Finance\u00a0", "<i>HR</i>", "R&amp;D", "=SUM(A1:A3)", "Ops & IT", "Café"]
STAGES = ["", "PoC", "Proof of Concept", "pilot", "Live", "In production", "Weird", "scoping", "Intake", "n/a"]
STATUSES = ["", "Active", "Killed", "Live", "On hold", "Retired", "Paused?", "cancelled"]
CAUSES = ["", "Poor data availability", "Vendor issues", "No ROI", "Something else", "budget cut"]
DATES = ["", "2024-01-05", "2024-1-5", "05/01/2024", "13/01/2024", "01/13/2024", "12 Mar 2024", "March 3, 2024",
         "45000", "2099-01-01", "soon", "2024-01-05 10:30", "2024-01-05T10:30:00Z", "2024.02.03", " 2024-02-03 ",
         "1850-01-01", "2026-11-20"]
AMOUNTS = ["", "272000", "1,234.50", "€1.2M", "(500)", "-5", "lots", "1e13", "500k", " 42 ", "USD 9,000",
           "1.234,56", "=SUM(A1:A3)", "3.5", "0012"]


def tricky_rows(n: int, seed: int) -> list[dict[str, object]]:
    """`n` pilots with every awkward value the derivation handles: repeated IDs (far apart, exact copies
    and not), empty and total lines, markup, formulas, padded text, mixed date orders, future dates,
    written amounts, unknown stages and causes, and two columns no field maps (extras)."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        row = pilot(i, **{"Business Unit": rng.choice(TEXTS), "Stage": rng.choice(STAGES),
                          "Status": rng.choice(STATUSES), "Failure Cause": rng.choice(CAUSES),
                          "Start Date": rng.choice(DATES), "End Date": rng.choice(DATES),
                          "PoC Date": rng.choice(DATES), "Production Date": rng.choice(DATES),
                          "Budget": rng.choice(AMOUNTS), "Spend": rng.choice(AMOUNTS),
                          "Region": rng.choice(TEXTS), "Notes": f"note {rng.randrange(n)}"})
        if rng.random() < 0.02:
            row["Pilot ID"] = rng.choice(IDS)
        elif rng.random() < 0.02:
            row["Pilot ID"] = f" P{rng.randrange(1, n + 1):03d} "  # the same ID as another, once trimmed
        rows.append(row)
    if n > 4:
        rows.insert(n // 2 + 1, dict(rows[n // 2]))  # a copy right below its original
        rows += [dict(rows[1]), dict(rows[2], Name="Other"), {h: "" for h in HEADERS},
                 {"Pilot ID": "", "Name": "Total", "Budget": "999"}]
    return rows


HEADERS_PLUS = HEADERS + ["Region", "Notes"]
SIZES = {"small": 60, "over the sample": parse.SAMPLE_ROWS + 2_500}


def assert_same_derivation(new, old) -> None:
    pd.testing.assert_frame_equal(new.pilots, old.pilots, check_exact=True)
    pd.testing.assert_frame_equal(new.rejected, old.rejected, check_exact=True)
    assert new.problems == old.problems
    assert (new.notes, new.unmapped, new.extras, new.rows_read) == (old.notes, old.unmapped, old.extras, old.rows_read)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("as_of", [None, dt.date(2025, 6, 30)])
def test_hashed_columns_derive_what_columns_held_as_themselves_derive(size, as_of, monkeypatch):
    data = make_portfolio(tricky_rows(SIZES[size], seed=7), headers=HEADERS_PLUS)
    raw = read_upload(data, "t.csv")
    mapping = complete_mapping(None, raw.cells)
    new = derive(raw, mapping, today=TODAY, as_of=as_of)
    assert len(new.rejected) > 4 and len(new.problems) > 50  # the input is as tricky as it means to be
    assert new.rows_read == len(new.pilots) + len(new.rejected)
    monkeypatch.setattr(parse, "SAMPLE_ROWS", 10 * SIZES[size])  # no column is hashed
    assert_same_derivation(new, derive(read_upload(data, "t.csv"), mapping, today=TODAY, as_of=as_of))


@pytest.mark.parametrize("size", sorted(SIZES))
def test_derive_after_cleaning_once_and_with_a_given_mapping(size):
    """The path the app takes: cells cleaned once (their distinct values kept), a mapping with date
    formats, value codes, a stage list of its own and no ID column."""
    raw = read_upload(make_portfolio(tricky_rows(SIZES[size], seed=11), headers=HEADERS_PLUS), "t.csv")
    given = Mapping(columns={"pilot_id": None, "stage": "Stage", "start_date": "Start Date"},
                    values={"stage": {"Weird": "pilot", "n/a": None}, "status": {"Paused?": "on_hold"}},
                    date_formats={"End Date": "mdy", "PoC Date": "dmy"})
    mapping = complete_mapping(given, raw.cells)
    once = cleaned(raw)
    assert once.distinct is not None and once.distinct[0] is once.cells
    again = read_upload(make_portfolio(tricky_rows(SIZES[size], seed=11), headers=HEADERS_PLUS), "t.csv")
    assert_same_derivation(derive(once, mapping, today=TODAY), derive(again, mapping, today=TODAY))


def test_mapping_guesses_from_distinct_values_are_the_guesses_from_whole_columns():
    raw = cleaned(read_upload(make_portfolio(tricky_rows(SIZES["over the sample"], seed=3),
                                             headers=HEADERS_PLUS), "t.csv"))
    assert complete_mapping(None, raw.cells, distinct_values(raw)) == complete_mapping(None, raw.cells)


def test_distinct_values_of_a_column_and_of_a_subset():
    values = pd.Series(["b", "a", None, "b", "", None, "c"], dtype="str")
    d = Distinct.of(values)
    assert d.codes.tolist() == [0, 1, 2, 0, 3, 2, 4] and d.uniques.fillna("<NA>").tolist() == ["b", "a", "<NA>", "", "c"]
    kept = d.subset(pd.Series([False, True, True, True, False, False, True]).to_numpy())
    assert kept.uniques.fillna("<NA>").tolist() == ["a", "<NA>", "b", "c"] and kept.codes.tolist() == [0, 1, 2, 3]
    ids = pd.Series([f"P{i % 9000}" for i in range(parse.SAMPLE_ROWS + 10)], dtype="str")
    held = Distinct.of(ids)  # mostly distinct: held as itself, not hashed
    assert not held.exact and held.keys(held.codes)[9000] == held.keys(held.codes)[0] == 0


NAN = float("nan")
# Each amount of the tricky column as read in it: its decimal point is a dot ("1,234.50", "3.5": a dot before
# one or two last digits), so a comma there separates thousands.
AMOUNT_OF = {
    "": NAN, "272000": 272000.0, "1,234.50": 1234.5, "€1.2M": 1.2e6, "(500)": -500.0, "-5": -5.0,
    "lots": NAN, "1e13": NAN,  # a letter is not part of an amount, not even an exponent's e
    "500k": 500_000.0, " 42 ": 42.0, "USD 9,000": 9000.0, "1.234,56": 1234.56,  # comma after the dot: decimal
    "=SUM(A1:A3)": NAN, "3.5": 3.5, "0012": 12.0, "1234": 1234.0,
    "99999999999999999999": 1e20,  # 20 digits: too many for the plain-digits path, read as written
    "00": 0.0, "12,5": 125.0, "1 000": 1000.0,
    "٣٤": NAN,  # Arabic-Indic digits: pandas' number parser reads ASCII digits only
}


def test_amounts_of_a_column_and_of_its_subsets():
    values = pd.Series(list(AMOUNT_OF), dtype="str")
    for subset in (values, values[values.str.fullmatch("[0-9]*")], values[~values.str.contains("[.,]")]):
        got = numbers_of(subset)
        assert got.index.equals(subset.index) and got.dtype == "float64"
        assert got.tolist() == pytest.approx([AMOUNT_OF[v] for v in subset], nan_ok=True)
    assert len(values[values.str.fullmatch("[0-9]*")]) == 6  # the plain-digits path, with "" and 20 digits


@pytest.mark.parametrize("column, numbers", [
    (["12,5", "1 000", "7"], [12.5, 1000.0, 7.0]),  # commas before one or two last digits and no such dot: decimal
    (["12,5", "3.50"], [125.0, 3.5]),  # a dot before two last digits: the dot is the decimal point
    (["12,5", "1.000"], [12.5, 1000.0]),  # a dot before three: a thousands separator, the comma decimal
])
def test_the_decimal_comma_is_chosen_per_column(column, numbers):
    assert numbers_of(pd.Series(column, dtype="str")).tolist() == numbers


def test_date_separators_are_found_by_arrow_exactly_where_python_finds_them():
    """The column-wise test that spares most dates Python's regular expressions: every ASCII character
    and a few others, alone and inside a date."""
    characters = [chr(i) for i in range(128)] + ["\u00a0", "\u2003", "\x85", "é"]
    text = pd.Series([c for c in characters] + [f"2024{c}01{c}05" for c in characters], dtype="str")
    arrow = (~text.str.isascii() | text.str.contains(SEP_ASCII, regex=True)).tolist()
    assert arrow == [not v.isascii() or bool(SEP.search(v)) for v in text]
    assert [bool(re.search(SEP_ASCII, v)) for v in text if v.isascii()] == \
        [bool(SEP.search(v)) for v in text if v.isascii()]


YMD, DMY, MDY = "ymd", "dmy", "mdy"
# Each date of the tricky column read in each order: (date or None, read only by another order than the
# column's). A year-first column reads the other numeric dates in the order most of them fit (here day
# first: 05/01, 13/01, 31/12 and 1/2 fit it, 05/01, 01/13 and 1/2 month first), then the remaining one.
DATE_OF = {
    "": {YMD: (None, False), DMY: (None, False), MDY: (None, False)},
    "2024-01-05": {o: ("2024-01-05", False) for o in (YMD, DMY, MDY)},  # ISO in any column: not another order
    "2024-1-5": {o: ("2024-01-05", False) for o in (YMD, DMY, MDY)},
    "05/01/2024": {YMD: ("2024-01-05", True), DMY: ("2024-01-05", False), MDY: ("2024-05-01", False)},
    "13/01/2024": {YMD: ("2024-01-13", True), DMY: ("2024-01-13", False), MDY: ("2024-01-13", True)},
    "01/13/2024": {YMD: ("2024-01-13", True), DMY: ("2024-01-13", True), MDY: ("2024-01-13", False)},
    "12 Mar 2024": {o: ("2024-03-12", False) for o in (YMD, DMY, MDY)},
    "March 3, 2024": {o: ("2024-03-03", False) for o in (YMD, DMY, MDY)},
    "45000": {o: ("2023-03-15", False) for o in (YMD, DMY, MDY)},  # Excel serial: day 0 is 1899-12-30
    "2099-01-01": {o: ("2099-01-01", False) for o in (YMD, DMY, MDY)},
    "soon": {o: (None, False) for o in (YMD, DMY, MDY)},
    "2024-01-05 10:30": {o: ("2024-01-05", False) for o in (YMD, DMY, MDY)},  # the time dropped
    "2024-01-05T10:30:00Z": {o: ("2024-01-05", False) for o in (YMD, DMY, MDY)},
    "2024.02.03": {o: ("2024-02-03", False) for o in (YMD, DMY, MDY)},
    " 2024-02-03 ": {o: ("2024-02-03", False) for o in (YMD, DMY, MDY)},
    "1850-01-01": {o: (None, False) for o in (YMD, DMY, MDY)},  # before 1900: a typing error, not a date
    "2026-11-20": {o: ("2026-11-20", False) for o in (YMD, DMY, MDY)},
    "2024-13-01": {o: (None, False) for o in (YMD, DMY, MDY)},  # no month 13, and no order reads it otherwise
    "31/12/2024 23:59": {YMD: ("2024-12-31", True), DMY: ("2024-12-31", False), MDY: ("2024-12-31", True)},
    "1/2/2024": {YMD: ("2024-02-01", True), DMY: ("2024-02-01", False), MDY: ("2024-01-02", False)},
    "2024/1/2": {o: ("2024-01-02", False) for o in (YMD, DMY, MDY)},
}


def assert_dates(got: tuple, values: pd.Series, order: str, ambiguous: bool = False) -> None:
    dates, other, found, doubt = got
    assert (found, doubt) == (order, ambiguous)
    assert dates.index.equals(values.index) and other.index.equals(values.index) and dates.dtype.kind == "M"
    want = [DATE_OF[v][order] for v in values]
    assert [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in dates] == [w[0] for w in want]
    assert other.tolist() == [w[1] for w in want]


def test_dates_of_a_column_and_of_its_subsets_in_each_order():
    assert set(DATES) <= set(DATE_OF)
    values = pd.Series(DATES * 3 + ["2024-13-01", "31/12/2024 23:59", "1/2/2024", "2024/1/2"], dtype="str")
    iso = values[values.str.match(r"^\d{4}-")]
    undashed = values[~values.str.contains("-")]
    # year first reads the most (every ISO date, 2024/1/2); without dashes, day first reads 05/01, 13/01, 31/12
    # and 1/2, month first only 05/01, 01/13 and 1/2
    for subset, detected in ((values, YMD), (iso, YMD), (undashed, DMY)):
        assert_dates(parse.read_column_dates(subset), subset, detected)
        for order in (YMD, DMY, MDY):
            assert_dates(parse.read_column_dates(subset, order), subset, order)


def test_a_year_first_column_reads_its_other_dates_in_the_order_most_of_them_fit():
    values = pd.Series(["2024-01-05", "2024-02-01", "2024-03-01", "01/13/2024", "05/01/2024"], dtype="str")
    dates, other, order, _ = parse.read_column_dates(values)
    assert order == YMD  # three year first; of the other two both fit month first, one day first
    assert dates.dt.strftime("%Y-%m-%d").tolist()[3:] == ["2024-01-13", "2024-05-01"] and other.tolist()[3:] == [True] * 2


def test_the_order_is_the_one_most_cells_fit_counting_repeats():
    # three cells 01/13/2024 (month first only) outnumber 13/01/2024 and 31/01/2024 (day first only): each
    # distinct value counts as often as it occurs
    values = pd.Series(["01/13/2024"] * 3 + ["13/01/2024", "31/01/2024"], dtype="str")
    dates, other, order, ambiguous = parse.read_column_dates(values)
    assert (order, ambiguous) == (MDY, False)
    assert dates.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-13"] * 4 + ["2024-01-31"]
    assert other.tolist() == [False] * 3 + [True] * 2


def _text_path(data: bytes):
    text, encoding = decode(data)
    return read_text_table(text, encoding)


BIG = make_portfolio(tricky_rows(9_000, seed=5), headers=HEADERS_PLUS)  # over the 800 kB decoded to sniff


@pytest.mark.parametrize("name, data", [
    ("big", BIG),
    ("big with a byte-order mark", codecs.BOM_UTF8 + BIG),
    ("big, Windows-1252 near its end", BIG[:-200] + "Zoë’s".encode("cp1252") + BIG[-200:]),
    ("big, invalid UTF-8 after a byte-order mark", codecs.BOM_UTF8 + BIG[:-100] + b"\xff" + BIG[-100:]),
    ("big, a lone carriage return near its end", BIG[:-150] + b"\r" + BIG[-150:]),
    ("big, a quoted line break near its end", BIG[:-300] + b'"a\nb"' + BIG[-300:]),
    ("big, no final newline", BIG.rstrip(b"\n")),
    ("big, CRLF", BIG.replace(b"\n", b"\r\n")),
    ("header below long title lines", b"x" * 900_000 + b"\n" + BIG),
], ids=lambda v: v if isinstance(v, str) else "")
def test_reading_from_the_bytes_gives_what_reading_the_decoded_text_gives(name, data):
    fast, slow = read_upload(data, "t.csv"), _text_path(data)
    pd.testing.assert_frame_equal(fast.cells, slow.cells, check_exact=True)
    assert (fast.lines, fast.encoding, fast.delimiter, fast.header_line, fast.notes, fast.problems) == \
        (slow.lines, slow.encoding, slow.delimiter, slow.header_line, slow.notes, slow.problems)
