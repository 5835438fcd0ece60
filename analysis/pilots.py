"""The pilots table: text search across the fields people remember a pilot by."""

from __future__ import annotations

import pandas as pd

SEARCH_COLUMNS = ["pilot_id", "name", "business_unit", "use_case", "sponsor"]


def search_mask(pilots: pd.DataFrame, text: str, columns: list[str] = SEARCH_COLUMNS) -> pd.Series:
    """True for the pilots in which every word of `text` occurs (case-insensitive, as plain text, not a
    pattern) in at least one of `columns`; all True for blank text."""
    cols = [c for c in columns if c in pilots]
    haystack = pilots[cols].astype("str").fillna("").agg(" | ".join, axis=1).str.casefold() if cols \
        else pd.Series("", index=pilots.index)
    mask = pd.Series(True, index=pilots.index)
    for word in text.casefold().split():
        mask &= haystack.str.contains(word, regex=False)
    return mask
