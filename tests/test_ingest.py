"""Every shape and every bad input of a real export: known answers, a plain message, no row lost.

Each test builds the bytes by hand, so the expected counts and values are read off the input.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
from pathlib import Path

import pytest

from analysis.cli.summary import analyse_file, summary
from analysis.ingest import reading as ingest
from analysis.ingest.reading import IngestError, read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived

HEADER = "Pilot ID,Name,Stage,Status,Start Date,Budget\n"


def derived(data: bytes | str, name: str = "export.csv", **kwargs) -> Derived:
    """The upload read and derived as the store and the command line do."""
    raw = read_upload(data.encode("utf-8") if isinstance(data, str) else data, name)
    return derive_upload(raw, **kwargs)


def problems_at(d: Derived, line: int) -> list[str]:
    return [p["problem"] for p in d.problems if p["row"] == line]


def assert_nothing_lost(d: Derived, data_rows: int) -> None:
    counts = d.row_counts()
    assert counts["read"] == data_rows
    assert counts["read"] == counts["accepted"] + counts["rejected"]


# --- files that are not tables: one plain sentence, no traceback --------------------------------

@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"  \r\n\n\t\n", "is empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "is a PDF, not a table"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "does not look like a text table"),
    (b"PK\x03\x04not really a workbook", "not a readable Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "is an old-style Excel workbook (.xls) or a password"),
    (HEADER.encode(), "has a header (Pilot ID, Name, Stage, Status, Start Date, Budget) but no rows"),
    (("Portfolio export\n\n" + HEADER + ",,,,,\n\n").encode(), "but no rows below it"),
])
def test_unreadable_files_get_a_plain_message(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_upload(data, "portfolio.csv")


def test_a_file_over_the_upload_limit_is_refused_before_reading(monkeypatch) -> None:
    monkeypatch.setattr(ingest, "MAX_UPLOAD_BYTES", 1024)
    data = (HEADER + "P1,A,PoC,Active,2024-01-01,100\n" * 40).encode()
    with pytest.raises(IngestError, match=r"big.csv is 0 MB; the limit is 0 MB"):
        read_upload(data, "big.csv")


def test_the_upload_limit_matches_the_app_config() -> None:
    config = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 200" in config
    assert ingest.MAX_UPLOAD_BYTES == 200 * 1024 * 1024


def test_ten_thousand_named_columns_get_a_plain_message() -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join("x" for _ in range(10_000))
    with pytest.raises(IngestError, match="The header has 10,000 columns; a portfolio export has far fewer"):
        read_upload(f"{header}\n{row}\n".encode(), "wide.csv")


def test_ten_thousand_columns_mostly_empty_are_read() -> None:
    # A spreadsheet saved with 9,996 unused columns after the 4 real ones.
    pad = "," * 9_996
    text = "Pilot ID,Name,Stage,Status" + pad + "\n" + "".join(f"P{i},Pilot {i},PoC,Active{pad}\n" for i in range(3))
    d = derived(text)
    assert list(d.pilots["pilot_id"]) == ["P0", "P1", "P2"]
    assert set(d.pilots["stage"]) == {"poc"}
    assert_nothing_lost(d, 3)


# --- the text itself: encodings, quotes, spaces --------------------------------------------------

@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    lambda t: t.encode("utf-16"),
    lambda t: t.encode("cp1252"),
])
def test_encodings_read_the_same_names(encode) -> None:
    d = derived(encode(HEADER + "P1,Büro’s assistant,PoC,Active,2024-01-01,100\n"))
    assert d.pilots["name"].tolist() == ["Büro’s assistant"]


def test_an_unclosed_quote_is_reported_at_its_line_and_the_rows_after_it_are_kept() -> None:
    text = (HEADER + "P1,Chatbot,PoC,Active,2024-01-01,100\n"
            'P2,"Broken name,Pilot,Active,2024-02-01,200\n'
            "P3,Forecast,Scoping,Active,2024-03-01,300\n"
            "P4,Routing,Production,Live,2024-04-01,400\n")
    d = derived(text)
    assert d.pilots["pilot_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert d.pilots["stage"].tolist() == ["poc", "pilot", "scoping", "production"]
    assert d.pilots["name"].tolist()[1] == "Broken name"
    assert any("a quote opened on this line is never closed, so lines 3-5 ran together" in p
               for p in problems_at(d, 3))
    assert_nothing_lost(d, 4)


def test_two_stray_quotes_that_swallow_lines_between_them_are_split_again() -> None:
    text = (HEADER + 'P1,"Chatbot,PoC,Active,2024-01-01,100\n'
            "P2,Search,Pilot,Active,2024-02-01,200\n"
            'P3,Forecast",Scoping,Active,2024-03-01,300\n'
            "P4,Routing,Production,Live,2024-04-01,400\n")
    d = derived(text)
    assert d.pilots["pilot_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert problems_at(d, 2)
    assert_nothing_lost(d, 4)


def test_a_quoted_cell_over_several_lines_is_one_record() -> None:
    text = HEADER + 'P1,"Line one\nline two, with a comma",PoC,Active,2024-01-01,100\nP2,B,Pilot,Active,2024-01-01,5\n'
    d = derived(text)
    assert d.pilots["name"].tolist() == ["Line one\nline two, with a comma", "B"]
    assert d.pilots["row"].tolist() == [2, 4]
    assert not d.problems


def test_leading_trailing_and_non_breaking_spaces_are_trimmed_everywhere() -> None:
    text = ("\u00a0Pilot ID , Stage\u00a0,Status\n"
            " P1 ,\u00a0Pilot\u00a0, Cancelled \n"
            "P1\u00a0,PoC,Active\n")
    d = derived(text)
    assert d.mapping.columns["pilot_id"] == "Pilot ID"
    assert d.pilots[["pilot_id", "stage", "status"]].values.tolist() == [["P1", "pilot", "cancelled"]]
    assert "pilot ID 'P1' repeats line 2 with different data" in problems_at(d, 3)[0]
    assert_nothing_lost(d, 2)


def test_formula_and_html_cells_are_kept_as_text_and_said_so() -> None:
    text = (HEADER + 'P1,"=HYPERLINK(""http://x"",""Chatbot"")",PoC,Active,2024-01-01,=SUM(A1:A3)\n'
            "P2,<b>Search</b> &amp; <i>ranking</i>,<span>Pilot</span>,Active,2024-01-01,100\n"
            "P3,<script>alert(1)</script>,PoC,Active,2024-01-01,-50\n")
    d = derived(text)
    assert d.pilots["name"].tolist() == ['=HYPERLINK("http://x","Chatbot")', "Search & ranking", "alert(1)"]
    assert d.pilots["stage"].tolist() == ["poc", "pilot", "poc"]
    assert "2 cell(s) hold spreadsheet formulas" in " ".join(d.notes)
    assert "3 cell(s) held HTML markup; the tags were removed and the text kept (first: line 3" in " ".join(d.notes)
    assert problems_at(d, 2) == ["'=SUM(A1:A3)' is not a number that can be read; left empty"]
    assert_nothing_lost(d, 3)


# --- the table around the data: title rows, totals, empty columns, semicolons --------------------

def test_title_rows_above_the_header_trailing_totals_and_empty_columns() -> None:
    text = ("AI portfolio export;;;;\n"
            "Generated 2024-06-30 by Planview;;;;\n"
            ";;;;\n"
            "Project ID;Project Name;Phase;;Budget\n"
            "A-1;Chatbot;Pilot;;1.200,50\n"
            "A-2;Search;Proof of Concept;;800\n"
            ";;;;\n"
            "Total;;;;2.000,50\n")
    d = derived(text)
    assert d.pilots["pilot_id"].tolist() == ["A-1", "A-2"]
    assert d.pilots["budget"].tolist() == [1200.5, 800.0]
    assert d.pilots["row"].tolist() == [5, 6]
    notes = " ".join(d.notes)
    assert "The header is on line 4; the 3 line(s) above it were read as a title." in notes
    assert "1 empty column(s) without a header were left out" in notes
    assert d.rejected[["row", "reason"]].values.tolist() == [[7, "the row is empty"],
                                                             [8, "a total line, not a pilot"]]
    assert_nothing_lost(d, 4)


def test_ragged_rows_are_padded_or_trimmed_and_reported() -> None:
    text = HEADER + "P1,A,PoC\nP2,B,Pilot,Active,2024-01-01,100,extra cell\n"
    d = derived(text)
    assert d.pilots["stage"].tolist() == ["poc", "pilot"]
    assert "the missing cells were left empty" in problems_at(d, 2)[0]
    assert "the extra cells were not read: extra cell" in problems_at(d, 3)[0]


# --- bad values in usable rows: warnings, the row kept ------------------------------------------

def test_ids_repeated_with_different_data_and_exact_copies_are_rejected_with_the_line_they_repeat() -> None:
    text = HEADER + ("P1,A,PoC,Active,2024-01-01,100\n"
                     "P1,A,PoC,Active,2024-01-01,100\n"
                     "P1,A changed,Pilot,Active,2024-01-01,100\n"
                     ",No id,PoC,Active,2024-01-01,100\n")
    d = derived(text)
    assert d.pilots["pilot_id"].tolist() == ["P1", "row-5"]  # a row with content but no ID is a pilot
    assert d.rejected["reason"].tolist() == [
        "pilot ID 'P1' repeats line 2 (an exact copy)",
        "pilot ID 'P1' repeats line 2 with different data; keep one of the two rows"]
    assert_nothing_lost(d, 4)


def test_negative_and_absurd_amounts_are_left_empty_with_a_warning() -> None:
    text = HEADER + ("P1,A,PoC,Active,2024-01-01,-500\n"
                     "P2,B,PoC,Active,2024-01-01,(250)\n"
                     "P3,C,PoC,Active,2024-01-01,5000000000000\n"
                     'P4,D,PoC,Active,2024-01-01,"$1,234.50"\n'
                     "P5,E,PoC,Active,2024-01-01,lots\n")
    d = derived(text)
    assert d.pilots["budget"].tolist()[3] == 1234.5
    assert d.pilots["budget"].isna().tolist() == [True, True, True, False, True]
    assert problems_at(d, 2) == ["'-500' is negative or implausibly large; left empty"]
    assert problems_at(d, 4) == ["'5000000000000' is negative or implausibly large; left empty"]
    assert problems_at(d, 6) == ["'lots' is not a number that can be read; left empty"]
    assert len(d.pilots) == 5


def test_dates_in_the_future_are_left_empty_with_a_warning() -> None:
    text = HEADER + "P1,A,PoC,Active,2031-05-01,1\nP2,B,PoC,Active,2024-05-01,1\n"
    d = derived(text, today=dt.date(2026, 11, 1))
    assert d.pilots["start_date"].isna().tolist() == [True, False]
    assert problems_at(d, 2) == ["'2031-05-01' is in the future; left empty"]


def test_mixed_date_formats_in_one_column_are_each_read_and_the_odd_ones_flagged() -> None:
    text = HEADER + ("P1,A,PoC,Active,2024-01-05,1\n"
                     "P2,B,PoC,Active,05/03/2024,1\n"
                     "P3,C,PoC,Active,15/03/2024,1\n"
                     "P4,D,PoC,Active,03/16/2024,1\n"
                     "P5,E,PoC,Active,12 Mar 2024,1\n"
                     "P6,F,PoC,Active,45366,1\n"
                     "P7,G,PoC,Active,soon,1\n")
    d = derived(text, today=dt.date(2026, 1, 1))
    dates = d.pilots["start_date"].dt.strftime("%Y-%m-%d").fillna("").tolist()
    # 45366 is Excel's serial for 2024-03-15 (Excel: =DATE(2024,3,15) shows 45366 as a number).
    assert dates == ["2024-01-05", "2024-03-05", "2024-03-15", "2024-03-16", "2024-03-12", "2024-03-15", ""]
    assert problems_at(d, 5) == ["'03/16/2024' was read as 2024-03-16, in another day/month order than the "
                                 "rest of the column (day first); check it"]
    assert problems_at(d, 8) == ["'soon' is not a date that can be read; left empty"]
    assert not any("could be day-first or month-first" in p["problem"] for p in d.problems)


def test_a_column_of_dates_that_all_read_both_ways_is_flagged_as_ambiguous() -> None:
    d = derived(HEADER + "P1,A,PoC,Active,05/03/2024,1\nP2,B,PoC,Active,01/02/2024,1\n")
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2024-02-01"]
    assert "could be day-first or month-first" in problems_at(d, 1)[0]


# --- spreadsheets ------------------------------------------------------------------------------

def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """XLSX bytes with the given sheets (rows of cell values), in order."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_PILOTS = [["Pilot ID", "Stage", "Start Date", "Budget"],
               ["P1", "Pilot", dt.datetime(2024, 2, 1), 1500.0],
               ["P2", "Live", dt.datetime(2024, 3, 1, 12, 30), 99.5],
               ["Total", None, None, 1599.5]]


def test_xlsx_reads_the_first_sheet_with_rows_and_names_the_others() -> None:
    data = workbook({"Cover": [], "Pilots": XLSX_PILOTS, "Lookups": [["Stage"], ["Pilot"]]})
    raw = read_upload(data, "export.xlsx")
    assert raw.sheet == "Pilots" and raw.sheets == ["Cover", "Pilots", "Lookups"]
    d = derive_upload(raw)
    assert d.pilots["pilot_id"].tolist() == ["P1", "P2"]
    assert d.pilots["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-03-01"]
    assert d.pilots["budget"].tolist() == [1500.0, 99.5]
    assert d.pilots["stage"].tolist() == ["pilot", "production"]
    assert d.rejected["reason"].tolist() == ["a total line, not a pilot"]
    assert "The workbook has 3 sheets (Cover, Pilots, Lookups); sheet 'Pilots' was read." in d.notes


def test_xlsx_sheet_can_be_chosen_and_an_unknown_sheet_is_a_plain_message() -> None:
    data = workbook({"Pilots": XLSX_PILOTS, "Archive": [["Pilot ID", "Stage"], ["Old-1", "Retired"]]})
    assert read_upload(data, "export.xlsx", sheet="Archive").cells["Pilot ID"].tolist() == ["Old-1"]
    with pytest.raises(IngestError, match="The workbook has no sheet 'Nope'; it has: Pilots, Archive."):
        read_upload(data, "export.xlsx", sheet="Nope")


def test_xlsx_with_title_rows_above_the_header() -> None:
    data = workbook({"Export": [["Smartsheet export"], [], ["Row ID", "Project Name", "Phase", "Status"],
                                [101, "Chatbot", "Pilot", "On hold"], [102, "Search", "Idea", "Active"]]})
    d = derive_upload(read_upload(data, "export.xlsx"))
    assert d.pilots[["pilot_id", "stage", "status"]].values.tolist() == [["101", "pilot", "on_hold"],
                                                                         ["102", "intake", "active"]]
    assert d.pilots["row"].tolist() == [4, 5]


# --- whole files through the command line's path -------------------------------------------------

def test_summary_counts_every_row_of_a_messy_export() -> None:
    text = ("Jira export\n" + HEADER + "P1,A,PoC,Active,2024-01-01,100\n"
            "P1,A,PoC,Active,2024-01-01,100\nP2,B,Pilot,Killed,2024-01-01,-3\n,,,,,\nTotal,,,,,97\n")
    result = summary(analyse_file(text.encode(), "jira.csv", as_of=dt.date(2024, 6, 30)))
    assert result["rows"] == {"read": 5, "accepted": 2, "rejected": 3}
    assert result["outcomes"]["cancelled"] == 1 and result["pilots"] == 2


def test_statuses_that_mean_retired_after_production_count_as_reached() -> None:
    text = ("Pilot ID,Stage,Status\nP1,Pilot,Retired after production\nP2,Production,Decommissioned\n"
            "P3,Pilot,Sunset\nP4,Pilot,Active\n")
    result = summary(analyse_file(text.encode(), "e.csv"))
    assert result["outcomes"]["retired"] == 3 and result["outcomes"]["active"] == 1
    assert [f["reached"] for f in result["funnel"]] == [4, 4, 4, 4, 3]


def test_an_early_unclosed_quote_does_not_hide_the_semicolon_delimiter() -> None:
    rows = ["Pilot ID;Name;Stage;Notes", 'P1;"Broken, name;Pilot;x, y'] + \
        [f"P{i};Name {i}, ok;PoC;a, b, c" for i in range(2, 300)]
    d = derived("\n".join(rows) + "\n")
    assert d.pilots["stage"].value_counts().to_dict() == {"poc": 298, "pilot": 1}
    assert d.pilots["name"].tolist()[:2] == ["Broken, name", "Name 2, ok"]
    assert "so lines 2-300 ran together" in problems_at(d, 2)[0]
    assert_nothing_lost(d, 299)
