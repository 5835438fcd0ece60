"""What a view leaves out, in words: every page says how many of the dataset's pilots its numbers cover
and why the others are not in them (the sidebar's filters, pilots without a start date under a date
filter), so that "Of 2,389 pilots" on an upload of 3,611 is never a surprise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence


def scope_sentence(total: int, shown: int, values: Mapping[str, Sequence[str]], labels: Mapping[str, str],
                   start_from: dt.date | None = None, start_to: dt.date | None = None,
                   undated: int = 0) -> str:
    """'All 3,611 pilots.' or 'Showing 2,389 of 3,611 pilots; 1,222 left out by the sidebar's filters:
    started on or after 2023-01-02, business unit HR or Finance (the 40 pilots without a start date are
    out while a date filter is set).' `values`: the chosen values per dimension (empty: all); `labels`:
    each dimension's name; `undated`: pilots of the dataset that have no start date."""
    values = {dim: chosen for dim, chosen in values.items() if chosen}
    if not values and start_from is None and start_to is None:
        return f"All {total:,} pilots of the dataset; no filter is set." if shown == total else \
            f"Showing {shown:,} of {total:,} pilots."
    why = []
    if start_from and start_to:
        why.append(f"started between {start_from:%Y-%m-%d} and {start_to:%Y-%m-%d}")
    elif start_from:
        why.append(f"started on or after {start_from:%Y-%m-%d}")
    elif start_to:
        why.append(f"started on or before {start_to:%Y-%m-%d}")
    for dim, chosen in values.items():
        if chosen:
            why.append(f"{labels.get(dim, dim).lower()} {_either(chosen)}")
    text = (f"Showing {shown:,} of {total:,} pilots; {total - shown:,} left out by the sidebar's filters: "
            + "; ".join(why))
    if (start_from or start_to) and undated:
        text += f" (the {undated:,} pilots without a start date are out while a date filter is set)"
    return text + ". Clear the filters in the sidebar to see every pilot."


def _either(chosen: Sequence[str]) -> str:
    shown = [str(c) for c in chosen]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


KEY_FIELD_SHARE = 0.1  # a key field missing for more than this share of pilots is said at the top


def verdict_gaps(missing: dict[str, int], pilots: int) -> str:
    """The key fields missing for a large share of the pilots, and what to do, in one sentence ('' if none)."""
    said = [f"{n:,} of {pilots:,} pilots ({n / pilots:.0%}) have no {what}" for what, n in missing.items()
            if pilots and n / pilots > KEY_FIELD_SHARE]
    if not said:
        return ""
    return ("; ".join(said) + ". They are kept, but left out of what needs that field (the funnel needs a stage; "
            "cohorts and time to production need a start date): pick the column or map its values above.")
