"""Reading each dialect: delimiter, quoting, header, BOM, encoding, line numbers, ragged rows."""

from __future__ import annotations

import codecs

import pytest

from analysis.ingest.reading import IngestError, read_upload

ROWS = "id,name,stage\nP1,Alpha,PoC\nP2,Beta,Pilot\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter):
    table = read_upload(ROWS.replace(",", delimiter).encode(), "x.csv")
    assert table.delimiter == delimiter
    assert list(table.cells.columns) == ["id", "name", "stage"]
    assert table.cells["name"].tolist() == ["Alpha", "Beta"]
    assert table.lines == [2, 3]


def test_semicolon_file_with_decimal_commas_is_not_split_on_the_commas():
    text = "ID;Budget;Stage\nP1;1.234,50;PoC\nP2;99,9;Pilot\nP3;12,0;Intake\n"
    table = read_upload(text.encode(), "x.csv")
    assert table.delimiter == ";"
    assert table.cells["Budget"].tolist() == ["1.234,50", "99,9", "12,0"]


@pytest.mark.parametrize("encoding, name, bom", [
    ("utf-8", "UTF-8", b""),
    ("utf-8", "UTF-8 with BOM", codecs.BOM_UTF8),
    ("utf-16-le", "UTF-16", codecs.BOM_UTF16_LE),
    ("cp1252", "Windows-1252", b""),
])
def test_encodings(encoding, name, bom):
    text = "id,name\nP1,Chloé’s “triage” bot\n"
    table = read_upload(bom + text.encode(encoding), "x.csv")
    assert table.encoding == name
    assert table.cells.columns.tolist() == ["id", "name"]  # the BOM is not part of the first header
    assert table.cells["name"][0] == "Chloé’s “triage” bot"  # byte 0x92 read as a curly apostrophe


def test_quoted_cells_with_line_breaks_keep_their_line_numbers():
    text = 'id,summary,stage\nP1,"two\nlines",PoC\nP2,"three\nline\ncell",Pilot\nP3,plain,Intake\n'
    table = read_upload(text.encode(), "x.csv")
    assert table.cells["summary"].tolist() == ["two\nlines", "three\nline\ncell", "plain"]
    assert table.lines == [2, 4, 7]


def test_ragged_rows_are_padded_or_trimmed_and_reported():
    text = "id,name,stage\nP1,Alpha\nP2,Beta,Pilot,surprise\nP3,Gamma,PoC,\n"
    table = read_upload(text.encode(), "x.csv")
    assert table.cells["stage"].tolist() == ["", "Pilot", "PoC"]
    assert [(p["row"], p["column"]) for p in table.problems] == [(2, "stage"), (3, "stage")]
    assert "has 2 cells but the header has 3" in table.problems[0]["problem"]
    assert "surprise" in table.problems[1]["problem"]


def test_title_rows_above_the_header_are_skipped():
    text = "AI portfolio export\nGenerated 2026-01-05\n\nPilot ID,Name,Stage,Status\nP1,A,PoC,Active\n"
    table = read_upload(text.encode(), "x.csv")
    assert table.header_line == 4
    assert table.cells.columns.tolist() == ["Pilot ID", "Name", "Stage", "Status"]
    assert table.lines == [5]
    assert "header is on line 4" in table.notes[0]


def test_blank_and_repeated_headers_get_names():
    table = read_upload(b"id,,name,name\nP1,x,A,B\n", "x.csv")
    assert table.cells.columns.tolist() == ["id", "column 2", "name", "name (2)"]


@pytest.mark.parametrize("data, says", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF, not a table"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "does not look like a text table"),
])
def test_unreadable_files_get_a_plain_message(data, says):
    with pytest.raises(IngestError, match=says):
        read_upload(data, "portfolio.csv")


def test_federal_inventory_reads_every_row(federal_bytes):
    table = read_upload(federal_bytes, "federal.csv")
    assert table.cells.shape == (710, 10)
    assert table.cells.columns[0] == "Use_Case_ID"
    assert table.cells["Development_Stage"].eq("").sum() == 321
    assert table.lines[:3] == [2, 5, 10]  # multi-line quoted summaries push the line numbers on
