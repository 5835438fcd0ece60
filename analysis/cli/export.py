"""Tables leaving the product: CSV downloads that a spreadsheet opens safely."""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts so as a formula


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding) with formula-like cells neutralised."""
    text_cols = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    safe = frame.copy()
    for col in text_cols:
        safe[col] = safe[col].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")
