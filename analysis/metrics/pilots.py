"""The pilots table: text search across the fields people remember a pilot by, and the ids of the pilots
in each group of a breakdown (what a click on a chart lists)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEARCH_COLUMNS = ["pilot_id", "name", "business_unit", "use_case", "sponsor"]
FIELD_SEPARATOR = " | "  # between fields, so that a word never matches across two of them


def search_mask(pilots: pd.DataFrame, text: str, columns: list[str] = SEARCH_COLUMNS) -> pd.Series:
    """True for the pilots in which every word of `text` occurs (case-insensitive, as plain text, not a
    pattern) in at least one of `columns`; all True for blank text (without reading a column)."""
    mask = pd.Series(True, index=pilots.index)
    words = text.casefold().split()
    if not words:
        return mask
    haystack = _haystack(pilots, [c for c in columns if c in pilots])
    for word in words:
        mask &= haystack.str.contains(word, regex=False)
    return mask


def _haystack(pilots: pd.DataFrame, cols: list[str]) -> pd.Series:
    """The searched fields of each pilot as one casefolded text, joined column by column (vectorised)."""
    if not cols:
        return pd.Series("", index=pilots.index)
    parts = [pilots[c].astype("str").fillna("") for c in cols]
    joined = parts[0].str.cat(parts[1:], sep=FIELD_SEPARATOR) if len(parts) > 1 else parts[0]
    return joined.str.casefold()


def ids_by_group(frame: pd.DataFrame, codes: np.ndarray, groups: int) -> list[list[str]]:
    """The pilot ids of each group 0..groups-1 (`codes` per row; -1: in no group), in frame order: one
    stable sort and a split, where a groupby builds each list element by element in Python."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(groups + 1))
    # only the rows in some group become Python strings (rows coded -1 sort first and are left out)
    ids = frame["pilot_id"].iloc[order[bounds[0]:bounds[-1]]].to_numpy(dtype=object)
    return [ids[bounds[g] - bounds[0]:bounds[g + 1] - bounds[0]].tolist() for g in range(groups)]
