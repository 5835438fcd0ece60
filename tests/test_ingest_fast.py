"""The two reading paths (Arrow's reader for clean text, the csv module for the rest) give identical
RawTables on clean text (quoted cells included), and unclean text is left to the csv-module path."""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from analysis.ingest.reading import (
    RawTable,
    build_table,
    decode,
    read_clean_text,
    read_upload,
    sniff_delimiter,
    split_recovering,
)
from tests.builders import make_portfolio, pilot
from tests.conftest import FEDERAL, SAMPLE

CLEAN = {
    "sample": lambda: SAMPLE.read_bytes(),
    "builder": lambda: make_portfolio(40),
    "semicolon": lambda: make_portfolio(5, delimiter=";"),
    "tab": lambda: make_portfolio(5, delimiter="\t"),
    "pipe": lambda: make_portfolio(5, delimiter="|"),
    "crlf": lambda: make_portfolio(5).replace(b"\n", b"\r\n"),
    "no final newline": lambda: make_portfolio(5).rstrip(b"\n"),
    "utf-8 bom": lambda: codecs.BOM_UTF8 + make_portfolio(3),
    "utf-16": lambda: make_portfolio(3).decode().encode("utf-16"),
    "windows-1252": lambda: "id,name,stage\nP1,Chloé’s bot,PoC\nP2,Zoë,Pilot\n".encode("cp1252"),
    "blank and repeated headers": lambda: b"id,,name,name,\nP1,,A,B,\nP2,,C,D,\n",
    "blank rows of delimiters": lambda: b"id,name,stage\nP1,A,PoC\n,,\n , ,\nTotal,,\n",
    "padded cells": lambda: b"id , name\n P1 ,\xc2\xa0Alpha \n",
    "quoted cells": lambda: b'id,"name, full",stage\nP1,"Smith, J",PoC\n"P2","say ""hi""",""\n',
    "quotes inside cells": lambda: b'id,name,note\nP1,x"y"z,"a"b\nP2,"q""",say "hi"\n',
    "quoted line break written as text": lambda: b'id,name\nP1,"a \\n b"\n',
    "blank lines": lambda: b"id,name\nP1,A\n\nP2,B\n\n",
    "one column": lambda: b"Pilot ID\nP1\nP2\n",
    "html and formulas": lambda: b"id,name,budget\nP1,<b>Bold</b> &amp; co,=SUM(A1:A3)\n",
    "future and mixed dates": lambda: make_portfolio([pilot(1, start_date="2099-01-01"),
                                                       pilot(2, start_date="03/15/2024")]),
}


def csv_module_table(data: bytes) -> RawTable:
    """The table as the csv-module path reads it (the path every unclean file takes)."""
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    records, lines, problems = split_recovering(text, delimiter)
    table = build_table(records, lines, encoding=encoding, delimiter=delimiter)
    table.problems[:0] = problems
    return table


def assert_same(fast: RawTable, slow: RawTable) -> None:
    pd.testing.assert_frame_equal(fast.cells, slow.cells, check_exact=True)
    assert fast.lines == slow.lines
    assert (fast.encoding, fast.delimiter, fast.header_line) == (slow.encoding, slow.delimiter, slow.header_line)
    assert (fast.notes, fast.problems, fast.cleaned) == (slow.notes, slow.problems, slow.cleaned)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_both_paths_read_clean_text_the_same(name):
    data = CLEAN[name]()
    text, encoding = decode(data)
    fast = read_clean_text(text, sniff_delimiter(text), encoding)
    assert fast is not None, "clean text takes the fast path"
    assert_same(fast, csv_module_table(data))
    assert_same(read_upload(data, "x.csv"), fast)


def test_the_sample_reads_600_pilots_on_lines_2_to_601():
    text, encoding = decode(SAMPLE.read_bytes())
    fast = read_clean_text(text, ",", encoding)
    assert len(fast.cells) == 600 and fast.lines[0] == 2 and fast.lines[-1] == 601


UNCLEAN = {
    "quote spanning lines": b'id,name\nP1,"two\nlines"\nP2,B\n',
    "quote spanning lines far down": b"id,name\n" + b"".join(b"P%d,A\n" % i for i in range(30))
                                      + b'P99,"open\nP100,B\n',
    "crlf inside a quoted cell": b'id,name\r\nP1,"two\r\nlines"\r\nP2,B\r\n',
    "unpaired quote near the top": b'id,name\nP1,5" screen\nP2,B\n',
    "ragged short": b"id,name,stage\nP1,A\nP2,B,PoC\n",
    "ragged long": b"id,name\nP1,A,extra\nP2,B\n",
    "lone carriage return": b"id,name\rP1,A\rP2,B\r",
    "title above header": b"Portfolio export\nPilot ID,Name,Stage\nP1,A,PoC\n",
    "header only": b"id,name\n",
    "nothing after a byte-order mark": codecs.BOM_UTF8,
    "blank lines only": b"\n \n",
    "only empty rows": b"id,name\n,\n,\n",
}


@pytest.mark.parametrize("name", sorted(UNCLEAN))
def test_unclean_text_is_left_to_the_csv_module(name):
    text, encoding = decode(UNCLEAN[name])
    assert read_clean_text(text, sniff_delimiter(text), encoding) is None


def test_the_federal_inventory_has_cells_over_several_lines_and_reads_as_before(federal_bytes):
    text, encoding = decode(federal_bytes)
    assert read_clean_text(text, sniff_delimiter(text), encoding) is None
    assert_same(read_upload(federal_bytes, FEDERAL.name), csv_module_table(federal_bytes))
