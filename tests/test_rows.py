"""The row rules (analysis/ingest/rows.py) on hand-built columns with known answers: empty rows and total lines
rejected, rows without an ID kept and named by their line, repeated IDs rejected with the line they repeat."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from analysis.ingest import rows
from analysis.ingest.rows import Column, checked_rows

DISTINCT = "distinct"  # a column given as codes into its distinct values
AS_IS = "as is"  # a column given as its values


def column(values: list[str], kind: str) -> Column:
    """A column of `values` as rows.Column takes it: codes into its distinct values, or the values themselves."""
    if kind == AS_IS:
        return Column(pa.chunked_array([pa.array(values, pa.large_string())]))
    distinct = list(dict.fromkeys(values))
    return Column(pa.array(distinct, pa.string()), np.array([distinct.index(v) for v in values], dtype=np.int8))


def table(cells: dict[str, list[str]], kind: str) -> dict[str, Column]:
    return {header: column(values, kind) for header, values in cells.items()}


def check(cells: dict[str, list[str]], kind: str, id_column: str | None = "ID") -> rows.Rows:
    return checked_rows(table(cells, kind), np.arange(len(next(iter(cells.values())))) + 2, id_column)


KINDS = pytest.mark.parametrize("kind", [DISTINCT, AS_IS])


EMPTY_AND_TOTAL = {
    "empty rows and total lines": (
        {"ID": ["P1", "", "", "Total", "P2"], "Name": ["A", "", "Sum", "", "B"], "Budget": ["1", "", "5", "6", ""]},
        [(3, "ID", "the row is empty"), (4, "ID", "a total line, not a pilot"), (5, "ID", "a total line, not a pilot")]),
    # line 3: its first filled cell is the ID's; line 4 says total in its second cell (after "x"), so it is a
    # pilot; line 5's first filled cell is its name, in full-width letters; line 6's is its first
    "a total line told by its first filled cell only": (
        {"Notes": ["", "", "x", "", "Total"], "ID": ["P1", "Grand total", "P3", "", "P5"],
         "Name": ["A", "B", "Total", "Ｔｏｔａｌ", "C"]},
        [(3, "ID", "a total line, not a pilot"), (5, "ID", "a total line, not a pilot"),
         (6, "ID", "a total line, not a pilot")]),
}


@KINDS
@pytest.mark.parametrize(("cells", "rejected"), EMPTY_AND_TOTAL.values(), ids=EMPTY_AND_TOTAL.keys())
def test_empty_rows_and_total_lines_are_rejected(kind, cells, rejected):
    found = check(cells, kind)
    assert found.rejected == rejected
    assert np.flatnonzero(~found.keep).tolist() == [line - 2 for line, _, _ in rejected]
    assert found.unnamed.tolist() == [] and found.names == []


@KINDS
def test_rows_without_an_id_are_kept_and_named_by_their_line(kind):
    found = check({"ID": ["P1", "", "N/A", "TBD", "-", "None", "P-1", "NA1"],
                   "Name": ["A", "B", "C", "D", "E", "F", "G", "H"]}, kind)
    assert found.rejected == [] and found.keep.all()
    assert found.unnamed.tolist() == [1, 2, 3, 4, 5]  # an ID with a digit is never a placeholder
    assert found.names == ["row-3", "row-4", "row-5", "row-6", "row-7"]
    problems, note = found.unnamed_report(np.arange(8) + 2, "ID")
    assert problems[0] == {"row": 3, "column": "ID", "problem": "no pilot ID; kept as pilot 'row-3'"}
    assert [p["row"] for p in problems] == [3, 4, 5, 6, 7]
    assert note.startswith("5 row(s) have no pilot ID in column 'ID'") and "(row-3, ...)" in note


@KINDS
def test_a_name_a_kept_row_has_as_its_id_gets_a_suffix(kind):
    found = check({"ID": ["row-3", "", "", "row-4", "row-9"],
                   "Name": ["A", "B", "C", "", "D"]}, kind)
    # line 5's ID row-4 is kept and taken; row-3 is line 2's ID; row-9 names no row of this file
    assert found.names == ["row-3-no-id", "row-4-no-id"]
    found = check({"ID": ["P1", "", "row-3"], "Name": ["A", "B", ""]}, kind)
    assert found.names == ["row-3-no-id"]


@KINDS
def test_a_rejected_rows_id_takes_no_name(kind):
    found = check({"ID": ["P1", "", "Total"], "Name": ["A", "B", ""]}, kind)
    assert found.names == ["row-3"] and found.rejected == [(4, "ID", "a total line, not a pilot")]


@KINDS
def test_repeated_ids_are_rejected_with_the_first_line_they_repeat(kind):
    found = check({"ID": ["P1", "P2", "P1", "P2", "P1", "", ""],
                   "Name": ["A", "B", "A", "Other", "Third", "X", "X"]}, kind)
    assert found.rejected == [
        (4, "ID", "pilot ID 'P1' repeats line 2 (an exact copy)"),
        (5, "ID", "pilot ID 'P2' repeats line 3 with different data; keep one of the two rows"),
        (6, "ID", "pilot ID 'P1' repeats line 2 with different data; keep one of the two rows")]
    assert found.names == ["row-7", "row-8"]  # rows without an ID repeat nothing, even each other


@KINDS
def test_a_repeat_of_a_rejected_row_is_none(kind):
    """A row rejected as a total line has no ID for a later row to repeat, and the first eligible row keeps it."""
    found = check({"Notes": ["Total", "", ""], "ID": ["P1", "P1", "P1"], "Name": ["", "A", "A"]}, kind)
    assert found.rejected == [(2, "ID", "a total line, not a pilot"),
                              (4, "ID", "pilot ID 'P1' repeats line 3 (an exact copy)")]


def test_ascending_ids_repeat_nothing_and_a_repeat_among_them_is_found():
    found = check({"ID": [f"AI-{i:04d}" for i in range(50)], "Name": ["x"] * 50}, AS_IS)
    assert found.rejected == []
    ids = [f"AI-{i:04d}" for i in range(50)]
    ids[30] = ids[29]
    found = check({"ID": ids, "Name": ["x"] * 50}, AS_IS)
    assert found.rejected == [(32, "ID", "pilot ID 'AI-0029' repeats line 31 (an exact copy)")]


def test_without_an_id_column_only_empty_rows_and_total_lines_go():
    found = check({"Name": ["A", "A", "", "Total"], "Stage": ["PoC", "PoC", "", ""]}, DISTINCT, id_column=None)
    assert found.rejected == [(4, "", "the row is empty"), (5, "", "a total line, not a pilot")]
    assert found.names == []


def test_lines_are_the_files_own():
    """A record over two lines moves the lines after it: the reasons name the lines given."""
    cells = table({"ID": ["P1", "P1", ""], "Name": ["A", "A", ""]}, DISTINCT)
    found = checked_rows(cells, np.array([2, 3, 5]), "ID")
    assert found.rejected == [(3, "ID", "pilot ID 'P1' repeats line 2 (an exact copy)"), (5, "ID", "the row is empty")]


@pytest.mark.parametrize(("values", "ascending"), [
    (["A1", "A2", "B", "b"], True), (["A1", "A2", "A2", "A3"], False), (["A2", "A1"], False), (["A1"], False),
    ([], False), (["A1", None, "A3"], False)])
def test_ascending_texts(values, ascending):
    assert rows.ascending(pa.chunked_array([pa.array(values, pa.string())])) is ascending


def test_total_values_and_missing_values_one_per_value():
    text = pa.array(["Total", "AI-1", "sub-total", "OVERALL:", "totally", "Ｓｕｍ", "", "N/A", "n.a.", "TBD2"])
    assert rows.total_values(text).tolist() == [True, False, True, True, False, True, False, False, False, False]
    assert rows.missing_values(text).tolist() == [False, False, False, False, False, False, True, True, True, False]
