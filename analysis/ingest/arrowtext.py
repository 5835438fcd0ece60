"""Tests on a whole Arrow text column at once, without pandas: whether cleaning (validate.clean_cells) would
leave every value of it as it is. Used by validate on the cells of an upload, and by the summary command's
pandas-free path (analysis/cli/summary_fast.py) on the columns Arrow read.

Arrow's kernels are called by name (`call`) rather than through pyarrow.compute, whose import builds a Python
wrapper for each of its ~290 functions (20-30 ms, a tenth of the summary command's first run). pyarrow's own
Array and ChunkedArray methods `filter`, `take`, `unique`, `dictionary_encode`, `value_counts`, `sum`, `cast`
import pyarrow.compute when first called, and `pa.array` and `to_numpy` of booleans import pandas: the pandas-free
path calls the kernels instead, which tests/test_summary_fast.py checks."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from pyarrow._compute import FunctionOptions, MatchSubstringOptions, call_function

HTML_HINT = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:[a-z]+|#\d+);")
FORMULA = re.compile(r"^=[A-Za-z0-9(+\-]")  # `=SUM(A1:A3)`, `=1+2`: a spreadsheet formula saved as text
CLEAN_HINT = "[<&\u00a0]|^="  # a value holding none of these, and no space to trim, is left as it is
TRIM_ROWS = 1 << 16  # values trimmed at once by `clean_as_is` (a slice of 65k IDs: about 1 MB)
# Bytes that cleaning never touches anywhere in a value: printable ASCII (0x21-0x7E) but '<', '&' and '='
# (CLEAN_HINT) and the space (0x20, trimmed at either end); a column of these alone (IDs, amounts) is clean as it is.
PLAIN_BYTES = bytes(b for b in range(0x21, 0x7F) if b not in b"<&=")
HINT_BYTES = (b"<", b"&", b"=")  # the printable ASCII bytes not in PLAIN_BYTES but the space


def call(name: str, *args, options: FunctionOptions | None = None):
    """Arrow's compute function `name` of Arrow values (arrays, chunked arrays, scalars), with its default options
    unless `options` are given: what pyarrow.compute.<name> runs."""
    return call_function(name, list(args), options)


def matches(text, pattern: str, ignore_case: bool = False):
    """Which values of an Arrow text column a regular expression (RE2 syntax) finds (a boolean column)."""
    return call_function("match_substring_regex", [text], MatchSubstringOptions(pattern, ignore_case=ignore_case))


def trimmed(text):
    """An Arrow text column with the whitespace at either end of each value removed (pandas' `str.strip` of
    Arrow text)."""
    return call_function("utf8_trim_whitespace", [text])


def column_bytes(text: pa.ChunkedArray) -> bytes | None:
    """The UTF-8 bytes of a text column's values run together (a copy: 1M IDs, 10 MB in a millisecond or two),
    for tests that look at every byte at once; None for a column that is not text. With the bytes of missing
    values' slots, if any: such a test only ever says "look closer" because of bytes too many, never "nothing
    here" because of one too few."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    return b"".join(memoryview(data)[at[0]:at[-1]] for at, data in _offsets(text))


def _offsets(text: pa.ChunkedArray):
    """(each value's start and the end of the last, the bytes) of each chunk of a text column that holds any."""
    for chunk in text.chunks:
        _, offsets, data = chunk.buffers()
        if data is None or not len(chunk):
            continue
        large = pa.types.is_large_string(chunk.type)
        yield np.frombuffer(offsets, dtype=np.int64 if large else np.int32, count=len(chunk) + 1,
                            offset=chunk.offset * (8 if large else 4)), data


def clean_as_is(text: pa.ChunkedArray, data: bytes | None) -> bool:
    """True when cleaning leaves every value of a text column without missing values as it is and finds no
    markup or formula: no non-breaking spaces, '<', '&', a leading '=' or spaces to trim (tested by Arrow on the
    whole column at once, the trimming a slice at a time: a trimmed copy of a million IDs is 20 MB; the same
    trimming as pandas' `str.strip` of Arrow text). `data`: the column's `column_bytes`, when known; a column of
    PLAIN_BYTES alone needs no other test, one of PLAIN_BYTES and spaces only a look at each value's ends (among
    those bytes only the space is trimmed)."""
    if data is not None and not any(hint in data for hint in HINT_BYTES):
        # The lowest and highest byte tell the rest (numpy's min and max look at 17 MB in about a millisecond,
        # where deleting PLAIN_BYTES from a copy took seven)
        low, high = _byte_range(data)
        if low > 0x20 and high < 0x7F:  # PLAIN_BYTES alone. 1M IDs: 1-2 ms, where the tests below take 45
            return True
        if low == 0x20 and high < 0x7F:  # printable ASCII and spaces: only a space at either end is cleaned
            return not _spaced_ends(text)
    return not call("any", matches(text, CLEAN_HINT)).as_py() and \
        all(call("all", call("equal", trimmed(part), part)).as_py() is not False
            for part in (text.slice(i, TRIM_ROWS) for i in range(0, len(text), TRIM_ROWS)))


def _byte_range(data: bytes) -> tuple[int, int]:
    """The lowest and the highest byte of some bytes ((0x21, 0x21) for none: nothing to clean)."""
    if not data:
        return 0x21, 0x21
    values = np.frombuffer(data, dtype=np.uint8)
    return int(values.min()), int(values.max())


def _spaced_ends(text: pa.ChunkedArray) -> bool:
    """Whether a value of a text column starts or ends with a space (byte 32), read from the values' first and
    last bytes by their offsets: 100k names in a fraction of a millisecond, where trimming them takes 4 ms."""
    for at, data in _offsets(text):
        first, end = at[:-1], at[1:]
        filled = end > first
        if not filled.any():
            continue
        bytes_ = np.frombuffer(data, dtype=np.uint8)
        if (bytes_[first[filled]] == 32).any() or (bytes_[end[filled] - 1] == 32).any():
            return True
    return False


def cleaned_alike(text: pa.ChunkedArray) -> bool:
    """True when cleaning leaves every value of a text column without missing values as it is and finds no markup
    or formula, looked at value by value among its distinct values (`clean_as_is` says no to any '&' or '<',
    which "R&D" or "Q&A" hold, markup or not): nothing to trim, no non-breaking space, no value HTML_HINT finds,
    none FORMULA matches."""
    distinct = call("unique", text)
    if call("all", call("equal", trimmed(distinct), distinct)).as_py() is False:
        return False
    return not any("\u00a0" in value or HTML_HINT.search(value) or FORMULA.match(value)
                   for value in call("filter", distinct, matches(distinct, CLEAN_HINT)).to_pylist())


# pyarrow imports pandas to turn Python values into an Arrow array (pa.array) and an array of booleans into numpy
# (to_numpy): the helpers below go through the arrays' buffers instead.


def integers(array: pa.Array) -> np.ndarray:
    """An Arrow array of integers without missing values as numpy, read from its buffer."""
    width = array.type.bit_width // 8
    return np.frombuffer(array.buffers()[1], dtype=f"int{width * 8}", count=len(array), offset=array.offset * width)


def flags(column) -> np.ndarray:
    """An Arrow array or column of booleans without missing values as a numpy mask, unpacked from its bits."""
    parts = []
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        bits = np.frombuffer(chunk.buffers()[1], dtype=np.uint8)
        parts.append(np.unpackbits(bits, count=chunk.offset + len(chunk), bitorder="little")[chunk.offset:].astype(bool))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def mask(kept: np.ndarray) -> pa.Array:
    """A numpy mask as an Arrow boolean array, packed into its bits."""
    return pa.Array.from_buffers(pa.bool_(), len(kept), [None, pa.py_buffer(np.packbits(kept, bitorder="little"))])


def positions(at: np.ndarray) -> pa.Array:
    """Positions (numpy integers) as an Arrow int64 array, for `take`."""
    return pa.Array.from_buffers(pa.int64(), len(at), [None, pa.py_buffer(np.ascontiguousarray(at, dtype=np.int64))])


def texts(values: list[str], kind: pa.DataType | None = None) -> pa.Array:
    """Python strings as an Arrow text array of `kind` (string, the default, or large_string), built from their bytes."""
    kind = pa.string() if kind is None else kind
    encoded = [v.encode() for v in values]
    large = pa.types.is_large_string(kind)
    ends = np.zeros(len(encoded) + 1, dtype=np.int64 if large else np.int32)
    np.cumsum([len(e) for e in encoded], out=ends[1:])
    return pa.Array.from_buffers(kind, len(encoded), [None, pa.py_buffer(ends), pa.py_buffer(b"".join(encoded))])
