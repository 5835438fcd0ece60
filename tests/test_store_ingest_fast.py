"""The 1M-pilot ingest's shortcuts give what the slow code gave: columns hashed in threads, IDs that ascend
not hashed at all, raw columns joined into one chunk as read, the raw cells let go of while the pilots are
derived, and the stored pilots and rejected rows. The reference is the derivation that keeps every cell
(validate.derive without letting go, one column at a time) and the csv-module reader, on the sample, the federal
inventory and random tricky portfolios; every shortcut is also forced on inputs too small to take it."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.ingest import parse, validate
from analysis.ingest import rows as row_rules
from analysis.ingest.mapping import mapping_notes
from analysis.ingest.reading import IngestError, LineRange, read_upload, without_rows
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import strictly_ascending
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import Filters
from tests.builders import HEADERS, make_portfolio, pilot
from tests.conftest import FEDERAL, SAMPLE
from tests.test_derive_distinct import HEADERS_PLUS, assert_same_derivation, tricky_rows
from tests.test_ingest_fast import assert_same, csv_module_table

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL

OVER_THE_SAMPLE = parse.SAMPLE_ROWS + 2_500  # IDs of more rows than this are held as themselves, not hashed
INPUTS = {
    "sample": lambda: SAMPLE.read_bytes(),
    "federal": lambda: FEDERAL.read_bytes(),
    "tricky, small": lambda: make_portfolio(tricky_rows(60, seed=5), headers=HEADERS_PLUS),
    "tricky, over the sample": lambda: make_portfolio(tricky_rows(OVER_THE_SAMPLE, seed=9), headers=HEADERS_PLUS),
    "ascending IDs, one repeated": lambda: make_portfolio(ascending_rows(OVER_THE_SAMPLE, repeat=7_000)),
    "ascending IDs": lambda: make_portfolio(ascending_rows(OVER_THE_SAMPLE)),
}


def ascending_rows(n: int, repeat: int | None = None) -> list[dict[str, object]]:
    """`n` pilots with IDs in ascending order (as an export sorted by ID has them), random stages and
    dates; with `repeat`, that row's ID is given again to the row after it (still in order)."""
    rng = random.Random(n)
    rows = [pilot(i, **{"Pilot ID": f"AI-{i:07d}", "Stage": rng.choice(["PoC", "Pilot", "Live", ""]),
                        "Start Date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
            for i in range(1, n + 1)]
    if repeat is not None:
        rows[repeat]["Pilot ID"] = rows[repeat - 1]["Pilot ID"]
    return rows


@pytest.fixture(params=["as configured", "in threads from the first row"])
def threads(request, monkeypatch):
    """Both ways columns are hashed: one at a time below validate.PARALLEL_ROWS, in threads above."""
    if request.param != "as configured":
        monkeypatch.setattr(validate, "PARALLEL_ROWS", 1)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_letting_go_of_the_cells_derives_what_keeping_them_derives(name, threads):
    data = INPUTS[name]()
    raw = read_upload(data, "t.csv")
    new = derive_upload(raw, let_go=True)
    assert raw.cells.columns.empty and len(raw.cells) == new.rows_read and raw.lines == []  # given up, as asked
    assert_same_derivation(new, kept_derivation(data, new.mapping))


def kept_derivation(data: bytes, mapping) -> validate.Derived:
    """The plain way: every cell kept, columns worked on one at a time."""
    old = validate.PARALLEL_ROWS
    try:
        validate.PARALLEL_ROWS = 10**9
        derived = validate.derive(read_upload(data, "t.csv"), mapping)
        derived.notes[:0] = mapping_notes(mapping)  # as derive_upload says what the guess found
        return derived
    finally:
        validate.PARALLEL_ROWS = old


@pytest.mark.parametrize("name", ["sample", "federal", "tricky, over the sample", "ascending IDs, one repeated"])
def test_the_store_keeps_the_derivation(name, threads, tmp_path):
    data = INPUTS[name]()
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, data, "t.csv")
        info = store.dataset_info(con, ds)
        loaded = queries.load_pilots(con, ds, Filters(), info.extras)
        rejected = store.rejected_rows(con, ds)
    old = kept_derivation(data, info.mapping)
    text = [c for c in old.pilots if old.pilots[c].dtype == object and old.pilots[c].notna().any()]
    pd.testing.assert_frame_equal(loaded, old.pilots.astype({c: "str" for c in text}))
    pd.testing.assert_frame_equal(rejected.astype("str"), old.rejected.astype("str"), check_dtype=False)
    rows = info.report["rows"]
    assert rows == {"read": old.rows_read, "accepted": len(old.pilots), "rejected": len(old.rejected)}
    assert rows["read"] == rows["accepted"] + rows["rejected"]


def test_a_repeated_id_among_ascending_ids_is_still_rejected():
    derived = derive_upload(read_upload(INPUTS["ascending IDs, one repeated"](), "t.csv"))
    assert derived.row_counts() == {"read": OVER_THE_SAMPLE, "accepted": OVER_THE_SAMPLE - 1, "rejected": 1}
    assert derived.rejected["reason"].tolist() == ["pilot ID 'AI-0007000' repeats line 7001 with different data; "
                                                   "keep one of the two rows"]


@pytest.mark.parametrize(("values", "ascending"), [
    (["A1", "A2", "B", "b"], True),
    (["A1", "A2", "A2", "A3"], False),  # a repeat next to its first
    (["A2", "A1"], False),
    (["A1", "A3", "A2"], False),
    (["A1", None, "A3"], False),  # a missing value sorts nowhere: hashed instead
    (["A1"], False),
    ([], False),
])
def test_ascending_texts_are_told_from_others(values, ascending):
    assert strictly_ascending(pd.Series(values, dtype="str")) is ascending


def test_ascending_holds_across_chunks():
    two = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["A1", "A2"], ["A2", "A3"]], pa.large_string())))
    assert not strictly_ascending(two)
    assert strictly_ascending(pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["A1", "A2"], ["A3"]], pa.large_string()))))


def test_without_rows_keeps_the_columns_and_their_types_not_their_memory():
    frame = pd.DataFrame({"a": pd.Series(["x" * 100] * 10_000, dtype="str"), "b": range(10_000), "a ": [None] * 10_000})
    empty = without_rows(frame)
    assert list(empty.columns) == ["a", "b", "a "] and empty.dtypes.tolist() == frame.dtypes.tolist()
    assert len(empty) == 0 and empty["a"].array._pa_array.get_total_buffer_size() < 100


@pytest.mark.parametrize("rows", [40, 12_000])
def test_a_read_in_several_blocks_is_one_chunk_a_column_and_reads_as_the_csv_module_does(rows):
    data = make_portfolio(rows, headers=HEADERS)
    fast = read_upload(data, "x.csv")
    assert {fast.cells[c].array._pa_array.num_chunks for c in fast.cells.columns} == {1}
    assert_same(fast, csv_module_table(data))


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only
def test_the_upload_file_is_written_while_deriving_and_removed_when_that_fails(tmp_path, monkeypatch):
    with store.connect(tmp_path) as con:
        sha = store.dataset_info(con, store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)).upload_sha
        assert store.upload_bytes(con, sha) == SAMPLE.read_bytes()
        with pytest.raises(IngestError):
            store.ingest(con, b"%PDF-1.4 not a table", "report.pdf")

        def failing(*args, **kwargs):
            raise RuntimeError("a bug while deriving")

        monkeypatch.setattr(store, "derive_upload", failing)
        with pytest.raises(RuntimeError):
            store.ingest(con, make_portfolio(5), "five.csv")
    assert [p.name for p in (tmp_path / store.UPLOADS_DIR).iterdir()] == [sha]


# ----- round 3: the upload hashed while it is read, byte-wise shortcuts, lines held as a range ---------------------

def test_bytes_stored_before_are_found_without_reading_them_and_new_bytes_of_a_stored_size_are_read(tmp_path,
                                                                                                      monkeypatch):
    first, same_size = make_portfolio(40), make_portfolio(40).replace(b",Pilot ", b",Trial ")
    assert len(first) == len(same_size) and first != same_size
    with store.connect(tmp_path) as con:
        assert not store._stored_size(con, len(first))  # an empty store: the hash is not waited for
        ds = store.ingest(con, first, "a.csv")
        assert store._stored_size(con, len(first)) and not store._stored_size(con, len(first) + 1)
        other = store.ingest(con, same_size, "b.csv")  # the same size, other bytes: read and stored
        assert other != ds and store.dataset_info(con, other).report["rows"]["read"] == 40

        def unread(*args, **kwargs):
            raise AssertionError("bytes stored before were read again")

        monkeypatch.setattr(store, "read_upload", unread)
        assert store.ingest(con, first, "a again.csv") == ds
        assert store.ingest(con, same_size, "b again.csv") == other


TRICKY_CHARACTERS = ["a", "Z", "0", "-", "_", ".", " ", "\t", "\n", "\r", "\x0b", "\x1c", "\x00", "<", ">", "&", "=",
                     ";", "\u00a0", "\u2003", "\x85", "é", "Ｔ"]


def tricky_texts(n: int, seed: int) -> list[str]:
    """`n` short texts from characters cleaning touches (spaces of every kind at either end, markup, formulas)
    and characters it leaves as they are, most of them plain IDs; for an odd seed, one that may say total."""
    rng = random.Random(seed)
    plain = [f"AI-{i:05d}" for i in range(n)]
    texts = [rng.choice(plain) if rng.random() < 0.7 else
             "".join(rng.choice(TRICKY_CHARACTERS) for _ in range(rng.randint(0, 4))) for _ in range(n)]
    return texts + [rng.choice(TOTALS)] if seed % 2 else texts


TOTALS = ["Total", " sum ", "Grand-Total", "OVERALL:", "Subtotal", "Ｔｏｔａｌ", "totally", "Sum "]


def arrow_texts(values: list[str | None], large: bool, parts: int, sliced: bool) -> pd.Series:
    """A str Series held by Arrow as pandas may hold it: string or large_string, in chunks, slices of bigger arrays."""
    kind = pa.large_string() if large else pa.string()
    bounds = [len(values) * i // parts for i in range(parts + 1)]
    chunks = [pa.array(["pad"] + values[a:b] + ["pad"], kind).slice(1, b - a) if sliced else
              pa.array(values[a:b], kind) for a, b in zip(bounds, bounds[1:])]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, kind)))


def texts_cases() -> list[tuple[str, list[str | None]]]:
    cases = [(f"tricky {seed}", tricky_texts(200, seed)) for seed in range(30)]
    cases += [("plain IDs", [f"AI-{i:05d}" for i in range(500)]), ("empty", ["", ""]), ("none", []),
              ("a missing value", ["AI-1", None]), ("a space inside", ["AI 1", "AI-2"]),
              ("formula inside", ["A=1"]), ("totals", ["Subtotal", "AI-1"]), ("sum inside", ["AI-SUMMARY"]),
              ("total split across values", ["AI-tot", "al"]), ("TOTAL", ["TOTAL"]), ("wide total", ["Ｔｏｔａｌ"]),
              ("a hint's first letters, no hint", ["AI-TOO", "SOT-1", "o"]),
              # printable ASCII and spaces: looked at by each value's first and last byte (arrowtext._spaced_ends)
              ("spaces inside", ["Customer Service", "R D", "", "x"]), ("a space at the end", ["AI 1", "b "]),
              ("a space at the start", ["", " AI", "b"]), ("a space alone", ["a b", " "]),
              ("spaces and a formula", ["a b", "=1+2"]),
              # the bytes just outside PLAIN_BYTES (arrowtext.clean_as_is reads a column's lowest and highest byte)
              ("a tab inside", ["a\tb"]), ("a tab and spaces", ["a b", "c\td"]), ("a DEL byte", ["a\x7fb"]),
              ("a tilde and spaces", ["a ~b", "c"]), ("a letter not ASCII and spaces", ["café", "a b"]),
              ("markup", ["<b>x</b>"]), ("an ampersand", ["R&D"]), ("an equals sign inside", ["a=b"])]
    return cases


def said_total(values: list[str | None], large: bool, parts: int, sliced: bool) -> list[str]:
    """The values rows.total_values says say total, of the filled ones (rows' columns hold no missing value)."""
    series = arrow_texts([v for v in values if v is not None], large, parts, sliced)
    return series[row_rules.total_values(pa.chunked_array(series.array._pa_array))].tolist()


@pytest.mark.parametrize(("large", "parts", "sliced"), [(True, 1, False), (True, 3, True), (False, 2, True)])
def test_the_byte_wise_shortcuts_give_what_the_value_wise_tests_give(large, parts, sliced, monkeypatch):
    """`_already_clean` and rows.total_values first look at all the bytes of a column at once (`_text_bytes`,
    `column_bytes`); that shortcut must say what the value-wise tests (taken when it has nothing) say, on every case."""
    shortcut = {}
    for name, values in texts_cases():
        series = arrow_texts(values, large, parts, sliced)
        assert validate._text_bytes(series) == "".join(v or "" for v in values).encode(), name
        shortcut[name] = (validate._already_clean(series), said_total(values, large, parts, sliced))
    monkeypatch.setattr(validate, "_text_bytes", lambda values: None)
    monkeypatch.setattr(row_rules, "column_bytes", lambda values: None)
    for name, values in texts_cases():
        series = arrow_texts(values, large, parts, sliced)
        assert shortcut[name] == (validate._already_clean(series), said_total(values, large, parts, sliced)), name
    assert shortcut["plain IDs"] == (True, []) and shortcut["totals"] == (True, ["Subtotal"])
    assert shortcut["spaces inside"][0] and not any(shortcut[n][0] for n in (
        "a space at the end", "a space at the start", "a space alone", "spaces and a formula"))
    assert sum(clean for clean, _ in shortcut.values()) > 5 and sum(bool(t) for _, t in shortcut.values()) > 3


def test_text_bytes_only_of_arrow_text():
    assert validate._text_bytes(pd.Series(["a", "b"], dtype=object)) is None
    assert validate._text_bytes(pd.Series(["a", None, "bc"], dtype="str")) == b"abc"


def test_line_ranges_behave_as_the_lists_they_stand_for():
    lines, listed = LineRange(2, 5), [2, 3, 4, 5, 6]
    assert lines == listed and listed == lines and lines != [2, 3] and lines == LineRange(2, 5)
    assert (len(lines), lines[0], lines[-1], lines[1:3], list(lines)) == (5, 2, 6, [3, 4], listed)
    assert np.asarray(lines).tolist() == listed and np.asarray(lines).dtype == np.int64
    assert pd.Series(lines, index=range(5), dtype="int64").tolist() == listed
    assert pickle.loads(pickle.dumps(lines)) == listed
    raw = read_upload(make_portfolio(30), "t.csv")
    assert isinstance(raw.lines, LineRange) and raw.lines == list(range(2, 32))
    assert validate.line_numbers(raw).tolist() == list(range(2, 32))
    lines.clear()
    assert lines == [] and len(lines) == 0
