"""Bytes of an upload -> a raw table of text cells, each row with its line number in the file.

Decoding happens in Python (UTF-8, UTF-8 with BOM, UTF-16 with BOM, else Windows-1252), because
DuckDB's reader takes no Windows-1252 here. The dialect (delimiter, quoting) is chosen by how
consistently each candidate splits the first records. Records are split by Python's csv module,
which reports the line each record starts on (a quoted cell may span several lines) and keeps
ragged rows instead of dropping them; the store and every query after that run in DuckDB.

pandas is imported where a table is made of the text (`pd` in the functions that do), not with the module:
the summary command reads clean text into Arrow columns (`utf8_arrow_columns`) without it
(analysis/cli/summary_fast.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from typing import TYPE_CHECKING

from analysis.ingest import workbooks
from analysis.ingest.table import IngestError, LineRange, RawTable
from analysis.schema import HEADER_SYNONYMS, normalise

if TYPE_CHECKING:
    import pandas as pd

DELIMITERS = [",", ";", "\t", "|"]
SNIFF_CHARS = 200_000  # enough for a few hundred records, small enough to sniff in milliseconds
SNIFF_LINES = 200
HEADER_SEARCH_ROWS = 15  # title rows above the table are looked past, up to this many records
MAX_COLUMNS = 2_000  # wider than any tracker export; beyond it the file is not a portfolio table
# The same limit as .streamlit/config.toml's maxUploadSize (the browser refuses larger files itself);
# the command line and the store check it too, so no path reads a file the app would refuse.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
READ_BLOCKS = 8  # pieces of a large upload Arrow reads (in parallel: more than the two cores)
MAX_ID_LENGTH = 40  # a record's first cell, when it is an ID, is one short word ("DHS-0009-2023", "AI-42")
TOTAL_WORDS = {"total", "totals", "grand total", "sum", "subtotal", "sub total", "overall"}
TOTAL_HINT = "total|sum|overall"  # every word of TOTAL_WORDS holds one of these, in any case
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and encrypted .xlsx files are OLE containers
csv.field_size_limit(64 * 1024 * 1024)


def decode(data: bytes) -> tuple[str, str]:
    """The text of the bytes and the name of the encoding it was read with."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; read those as Latin-1 so nothing is lost.
        return data.decode("cp1252", errors="ignore") if _is_cp1252(data) else data.decode("latin-1"), \
            "Windows-1252"


def _is_cp1252(data: bytes) -> bool:
    return not any(b in data for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))


def check_not_binary(data: bytes, filename: str) -> None:
    """Raise IngestError for an empty file or one that is not text (PDF, image, archive...)."""
    if not data or data.isspace():  # data.strip() would copy the whole upload
        raise IngestError(f"{filename} is empty. Export the portfolio again with its rows and a header.")
    if data.startswith(b"%PDF"):
        raise IngestError(f"{filename} is a PDF, not a table. Export the tracker as CSV or XLSX and "
                          "upload that instead.")
    if data.startswith(OLE_MAGIC):
        raise IngestError(f"{filename} is an old-style Excel workbook (.xls) or a password-protected one. "
                          "Open it in Excel, save it as .xlsx or CSV, and upload that.")
    head = data[:65536]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if b"\x00" in head or controls > len(head) * 0.01:
        raise IngestError(f"{filename} does not look like a text table (it holds binary data). "
                          "Upload a CSV, TSV, semicolon CSV or XLSX export.")


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the first records most consistently into most columns,
    judged on records and on lines read one at a time (so a quote left open early does not hide the
    delimiter by swallowing the rest of the sample)."""
    sample = text[:SNIFF_CHARS]
    lines = io.StringIO(sample, newline="").readlines()[:SNIFF_LINES]
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        records = list(_limited(csv.reader(io.StringIO(sample, newline=""), delimiter=delim), SNIFF_LINES))
        one_by_one = [_one_line(line.rstrip("\r\n"), delim) for line in lines]
        score = max(_consistency(records), _consistency(one_by_one))
        if score > best_score:
            best, best_score = delim, score
    return best


def _consistency(rows: list[list[str]]) -> tuple[float, int]:
    """(share of the filled rows that have the commonest width, that width); 0 for a single column."""
    widths = [len(r) for r in rows if any(c.strip() for c in r)]
    if not widths:
        return 0.0, 0
    width, count = Counter(widths).most_common(1)[0]
    return (count / len(widths) if width > 1 else 0.0, width)


def _limited(reader, n: int):
    for i, row in enumerate(reader):
        if i >= n:
            return
        yield row


def _split(text: str, delimiter: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Records, the line each starts on and the line each ends on (a text the csv module refuses
    is split a line at a time instead)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, starts, ends = [], [], []
    start = 1
    try:
        for row in reader:
            records.append(row)
            starts.append(start)
            ends.append(reader.line_num)
            start = reader.line_num + 1
    except csv.Error:
        lines = io.StringIO(text, newline="").readlines()
        records = [_one_line(line.rstrip("\r\n"), delimiter) for line in lines]
        starts = ends = list(range(1, len(lines) + 1))
    return records, starts, ends


def split_recovering(text: str, delimiter: str) -> tuple[list[list[str]], list[int], list[dict]]:
    """Records and their lines, with runs of lines that an unclosed quote swallowed read again one
    line at a time (so no row is lost), and a problem naming the line of each opening quote."""
    records, starts, ends = _split(text, delimiter)
    width = _modal_width(records)
    physical: list[str] | None = None
    out, out_lines, problems = [], [], []
    for record, start, end in zip(records, starts, ends):
        if not any("\n" in c or "\r" in c for c in record):
            out.append(record)
            out_lines.append(start)
            continue
        physical = physical or io.StringIO(text, newline="").readlines()
        span = physical[start - 1:end]
        again = [_one_line(line.rstrip("\r\n"), delimiter) for line in span]
        if _swallowed(record, span, again, width):
            out += again
            out_lines += list(range(start, start + len(again)))
            problems.append({"row": start, "column": "", "problem": f"a quote opened on this line is never "
                             f"closed, so lines {start}-{end} ran together; they were read again one line at "
                             "a time. Check this line's quotes in the export"})
        else:
            out.append(record)
            out_lines.append(start)
    return out, out_lines, problems


def _modal_width(records: list[list[str]]) -> int:
    widths = Counter(len(r) for r in records[:1000] if any(c.strip() for c in r))
    return widths.most_common(1)[0][0] if widths else 0


def _swallowed(record: list[str], span: list[str], lines: list[list[str]], width: int) -> bool:
    """A record over several lines that an unclosed quote made: its quotes do not pair up (the file
    ended inside one), or lines inside it read as records of their own (the table's width, an ID-like
    first cell): one such line when the record has the wrong width, two when its width is right. A
    quoted cell of prose over several lines is neither."""
    if sum(line.count('"') for line in span) % 2:
        return True
    records = sum(len(cells) == width and _id_like(cells[0]) for cells in lines[1:])
    return records >= (2 if len(record) == width else 1)


def _id_like(cell: str) -> bool:
    return 0 < len(cell.strip()) <= MAX_ID_LENGTH and not re.search(r"\s", cell.strip())


def _one_line(line: str, delimiter: str) -> list[str]:
    """The cells of one physical line; a line whose quotes do not pair up is split at every delimiter
    and loses only its stray quote marks."""
    if line.count('"') % 2 == 0:
        return next(csv.reader([line], delimiter=delimiter), [])
    return [cell.strip('"') for cell in line.split(delimiter)]


def find_header(records: list[list[str]]) -> int:
    """Index of the header record: the first of the top records that names known fields, or the
    first record as wide as the table when none does."""
    top = records[:HEADER_SEARCH_ROWS]
    width = max((_filled(r) for r in top), default=0)
    synonyms = {s for words in HEADER_SYNONYMS.values() for s in words}
    scored = [(sum(normalise(c) in synonyms for c in r), -i) for i, r in enumerate(top)
              if _filled(r) >= max(2, width * 0.5) or width < 2]
    if not scored:
        return 0
    hits, neg_index = max(scored)
    if hits:
        return -neg_index
    return next(i for i, r in enumerate(top) if _filled(r) >= max(1, width * 0.5))


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def unique_headers(raw: list[str]) -> list[str]:
    """Headers made usable: trimmed, blanks named `column N`, repeats suffixed ` (2)`."""
    seen: Counter = Counter()
    out = []
    for i, h in enumerate(raw, start=1):
        name = re.sub(r"\s+", " ", h.replace("\u00a0", " ")).strip() or f"column {i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def read_text_table(text: str, encoding: str) -> RawTable:
    """A RawTable from decoded CSV/TSV/semicolon text: clean text by Arrow's reader, any other by the
    csv module (both give the same table on clean text)."""
    delimiter = sniff_delimiter(text)
    fast = read_clean_text(text, delimiter, encoding)
    if fast is not None:
        return fast
    records, lines, problems = split_recovering(text, delimiter)
    table = build_table(records, lines, encoding=encoding, delimiter=delimiter)
    table.problems[:0] = problems
    return table


def read_clean_text(text: str, delimiter: str, encoding: str, body: bytes | memoryview | None = None
                    ) -> RawTable | None:
    """The table of clean text read by pyarrow's CSV reader (10-20x faster than the csv module and a
    row at a time in Python), or None when the text is not clean (`clean_arrow_columns`) or no row is filled.
    On clean text each line is one record, which Arrow splits as the csv module does (quoted cells, doubled
    quotes, quotes inside a cell: checked against it on random text), so the csv-module path (`build_table`)
    gives the same table, with line numbers 1 + the row's position; that path reads everything else."""
    import pandas as pd

    found = clean_arrow_columns(text, delimiter, body)
    if found is None:
        return None
    header, columns = found
    frame = pd.DataFrame(_single_chunks(columns, unique_headers(header)))
    if not any(frame[c].ne("").any() for c in frame.columns):
        return None
    frame, dropped = _drop_empty_columns(frame, raw_names=header)
    notes = [f"{len(dropped)} empty column(s) without a header were left out: {', '.join(dropped)}."] if dropped else []
    return RawTable(frame, LineRange(2, len(frame)), encoding=encoding, delimiter=delimiter, header_line=1,
                    notes=notes)


def clean_arrow_columns(text: str, delimiter: str, body: bytes | memoryview | None = None
                        ) -> tuple[list[str], list] | None:
    """(header cells as written, the Arrow text columns of the lines below it) of clean text, or None when
    the text is not clean: it holds a lone carriage return, a quoted cell spans lines (Arrow reads fewer rows
    than there are lines below the header), a line has another number of cells than the header, a line of the
    first few has an unpaired quote, the header is not on the first line, or no row is read.

    `body`: the UTF-8 bytes of the whole text, when `text` is only its start (`read_utf8_upload`): Arrow
    reads and checks them, so a large upload is neither decoded nor encoded again in Python. Arrow
    refuses bytes that are not UTF-8 (None: the caller decodes them as the other path does)."""
    body = text.encode("utf-8") if body is None else body
    if _has(body, b"\r") and bytes_count(body, b"\r") != bytes_count(body, b"\r\n"):
        return None
    head = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    if any(line.count('"') % 2 for line in head):  # read one line at a time, such a line loses its quotes
        return None
    top = [_one_line(line.rstrip("\r"), delimiter) for line in head]
    if not any(_filled(r) for r in top) or find_header(top) != 0 or not 0 < len(top[0]) <= MAX_COLUMNS:
        return None
    quoted = _has(body, b'"')
    body_table = _arrow_cells(body, delimiter, len(top[0]), quoted=quoted)
    # Without a quote character every line is a record, so only quoted text can run lines together
    physical = bytes_count(body, b"\n") + (not bytes(body[-1:]) == b"\n") if quoted and body_table is not None else 0
    if body_table is None or quoted and len(body_table) != physical - 1 or not len(body_table):
        return None
    return top[0], body_table.columns


def _single_chunks(columns: list, names: list[str]) -> dict[str, pd.Series]:
    """Arrow text columns as Series of one chunk each (what the pilots table is stored from: see
    store._as_arrow), each column's chunks let go of (`columns` emptied) as soon as it is joined, so the
    table is never held twice, and the reader's scratch memory handed back (see `release_memory`)."""
    import pyarrow as pa

    out = {}
    for i, name in enumerate(names):  # one at a time: joined two at a time (in threads), 1M rows peaked 70 MB higher
        pa.default_memory_pool().release_unused()  # else the joined columns do not reuse the chunks let go of
        out[name] = pa.chunked_array([columns[i].combine_chunks()]).to_pandas()
        columns[i] = None
    pa.default_memory_pool().release_unused()
    return out


def without_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns and their types with no rows, holding none of its memory: an empty slice of an
    Arrow column (`frame.iloc[:0]`, even copied) keeps the whole column alive."""
    import pandas as pd

    return pd.DataFrame({i: pd.array([], dtype=dtype) for i, dtype in enumerate(frame.dtypes)}).set_axis(
        frame.columns, axis=1)


def bytes_count(data: bytes | memoryview, sub: bytes) -> int:
    """How often `sub` occurs in `data` (a memoryview is counted without copying it)."""
    return data.count(sub) if isinstance(data, bytes) else data.obj.count(sub, len(data.obj) - data.nbytes)


def _has(data: bytes | memoryview, sub: bytes) -> bool:
    """Whether `sub` occurs in `data` (stops at the first)."""
    return (data if isinstance(data, bytes) else data.obj).find(sub, 0 if isinstance(data, bytes) else
                                                                len(data.obj) - data.nbytes) >= 0


def read_utf8_upload(data: bytes) -> RawTable | None:
    """The table of a clean UTF-8 upload (with or without a byte-order mark) read straight from its bytes:
    only its start is decoded here, to find the delimiter and the header. None when it is not UTF-8 or not
    clean; then `read_text_table` reads the decoded text, with the same result for clean UTF-8 text."""
    found = utf8_start(data)
    return None if found is None else read_clean_text(*found)


def utf8_start(data: bytes) -> tuple[str, str, str, bytes | memoryview] | None:
    """(its start decoded, delimiter, encoding name, the bytes after any byte-order mark) of an upload that
    may be clean UTF-8, for `read_clean_text` or `clean_arrow_columns`; None when it is not UTF-8, or its
    header rows run past the start decoded here (the first SNIFF_CHARS characters at least)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    body = memoryview(data)[3:] if bom else data
    try:  # at most 4 bytes a character; a character cut at the end waits
        head = codecs.getincrementaldecoder("utf-8")().decode(body[:4 * SNIFF_CHARS + 3])
    except UnicodeDecodeError:
        return None
    whole = len(body) <= 4 * SNIFF_CHARS + 3
    if not whole and head.count("\n") < HEADER_SEARCH_ROWS:  # the header rows run past the decoded start
        return None
    return head, sniff_delimiter(head), "UTF-8 with BOM" if bom else "UTF-8", body


def _arrow_cells(body: bytes | memoryview, delimiter: str, width: int, quoted: bool):
    """The lines below the header as an Arrow table of `width` text columns, every cell as the csv
    module reads it (a blank line is a row of empty cells, as the csv-module path pads it); None when a
    line has another number of cells. A quoted cell may hold a line break here, so that the caller sees
    the rows run together."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(width)]
    quoting = {"quote_char": '"', "double_quote": True, "newlines_in_values": True} if quoted else \
        {"quote_char": False}
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=_block_size(len(body))),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, escape_char=False, ignore_empty_lines=False,
                                             **quoting),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _block_size(size: int) -> int:
    """Bytes Arrow reads in one piece: about READ_BLOCKS pieces, between 1 and 16 MB. Each piece gives each
    column a chunk; large pieces make few large chunks, which are joined (`_single_chunks`) into memory
    they let go of as a whole (1 MB pieces of 175 MB: 80 MB more at the peak)."""
    return min(16 << 20, max(1 << 20, size // READ_BLOCKS))


def build_table(records: list[list[str]], lines: list[int], **meta) -> RawTable:
    """Header found, ragged rows padded or trimmed (and reported), empty columns dropped."""
    import pandas as pd

    if not records or not any(_filled(r) for r in records):
        raise IngestError("The file has no rows. Export the portfolio again with its rows and a header.")
    h = find_header(records)
    records = _trim_empty_tail(records, h)
    header = unique_headers(records[h])
    if len(header) > MAX_COLUMNS:
        raise IngestError(f"The header has {len(header):,} columns; a portfolio export has far fewer "
                          f"(at most {MAX_COLUMNS:,} are read). Check the delimiter or export fewer fields.")
    notes = [f"The header is on line {lines[h]}; the {h} line(s) above it were read as a title."] if h else []
    body, body_lines = records[h + 1:], lines[h + 1:]
    if not any(_filled(r) for r in body):
        raise IngestError(f"The file has a header ({', '.join(header[:6])}{', ...' if len(header) > 6 else ''}) "
                          "but no rows below it. Export the portfolio again with its rows.")
    problems = []
    cells = [_fit(row, len(header), line, header, problems) for row, line in zip(body, body_lines)]
    frame = pd.DataFrame(cells, columns=header, dtype="str") if cells else \
        pd.DataFrame({c: pd.Series([], dtype="str") for c in header})
    frame, dropped = _drop_empty_columns(frame, raw_names=records[h])
    if dropped:
        notes.append(f"{len(dropped)} empty column(s) without a header were left out: {', '.join(dropped)}.")
    return RawTable(frame, body_lines, header_line=lines[h], notes=notes, problems=problems, **meta)


def _trim_empty_tail(records: list[list[str]], h: int) -> list[list[str]]:
    """Records without the trailing columns that are empty in the header and in every row (a
    spreadsheet saved with its unused columns): only those count towards MAX_COLUMNS."""
    if len(records[h]) <= MAX_COLUMNS:
        return records
    width = max((_last_filled(r) for r in records[h:]), default=0)
    return [r[:width] if i >= h else r for i, r in enumerate(records)]


def _last_filled(row: list[str]) -> int:
    return next((i + 1 for i in range(len(row) - 1, -1, -1) if row[i].strip()), 0)


def _fit(row: list[str], width: int, line: int, header: list[str], problems: list[dict]) -> list[str]:
    if len(row) == width or not any(c.strip() for c in row):
        return (row + [""] * width)[:width]
    if len(row) < width:
        problems.append({"row": line, "column": header[len(row)],
                         "problem": f"the row has {len(row)} cells but the header has {width}; "
                                    "the missing cells were left empty"})
        return row + [""] * (width - len(row))
    extra = [c for c in row[width:] if c.strip()]
    if extra:
        problems.append({"row": line, "column": header[-1],
                         "problem": f"the row has {len(row)} cells but the header has {width}; the extra "
                                    f"cells were not read: {' | '.join(extra)[:120]}"})
    return row[:width]


def _drop_empty_columns(frame: pd.DataFrame, raw_names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    empty = [c for c, raw in zip(frame.columns, raw_names + [""] * len(frame.columns))
             if not raw.strip() and not frame[c].str.strip().astype(bool).any()]
    return frame.drop(columns=empty), empty


def is_total_row(values: list[str]) -> bool:
    """A trailing 'Total' line from a spreadsheet: its first filled cell says total or sum."""
    first = next((v for v in values if v and v.strip()), "")
    return normalise(first) in TOTAL_WORDS


def read_upload(data: bytes, filename: str = "upload", sheet: str | None = None) -> RawTable:
    """Read any supported upload (CSV, TSV, semicolon CSV, XLSX) into a RawTable."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise IngestError(f"{filename} is {len(data) / 1024 ** 2:,.0f} MB; the limit is "
                          f"{MAX_UPLOAD_BYTES // 1024 ** 2} MB. Export fewer columns, or the rows of a "
                          "date range, and upload that.")
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, filename, sheet)
    check_not_binary(data, filename)
    fast = read_utf8_upload(data)
    if fast is not None:
        return fast
    text, encoding = decode(data)
    return read_text_table(text, encoding)


def read_xlsx(data: bytes, filename: str, sheet: str | None = None) -> RawTable:
    """A workbook's sheet (the first with rows unless `sheet` is named) as the same RawTable as a CSV;
    line = the sheet's row number."""
    records, lines, chosen, names = workbooks.sheet_records(data, filename, sheet)
    table = build_table(records, lines, encoding="XLSX", delimiter="")
    table.sheet, table.sheets = chosen, names
    if len(names) > 1:
        table.notes.append(f"The workbook has {len(names)} sheets ({', '.join(names)}); "
                           f"sheet '{chosen}' was read.")
    return table


def spells_total(data: bytes) -> bool:
    """Whether ASCII bytes spell a TOTAL_HINT word in any case; without a letter any of them starts with (IDs
    such as AI-0000001), they spell none, and are not copied in lower case to be sure."""
    words = [word.encode() for word in TOTAL_HINT.split("|")]
    if not any(start in data for word in words for start in (word[:1], word[:1].upper())):
        return False
    lower = data.lower()
    return any(word in lower for word in words)
