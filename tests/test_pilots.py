"""The pilots table search (analysis/metrics/pilots.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.pilots import ids_by_group, search_mask

PILOTS = pd.DataFrame({
    "pilot_id": ["AI-001", "AI-002", "AI-003"],
    "name": ["Invoice Fraud detection", "Chatbot (HR)", None],
    "business_unit": ["Finance", "HR", "IT"],
    "use_case": ["Fraud", "Assistant", "Forecasting"],
    "sponsor": ["Ada", "Grace", "Ada Lovelace"],
    "stage": ["poc", "pilot", "intake"],
})


def ids(text: str) -> list[str]:
    return PILOTS.loc[search_mask(PILOTS, text), "pilot_id"].tolist()


def test_blank_search_keeps_everyone():
    assert ids("") == ids("   ") == ["AI-001", "AI-002", "AI-003"]


def test_case_insensitive_across_columns():
    assert ids("fraud") == ["AI-001"]
    assert ids("ada") == ["AI-001", "AI-003"]
    assert ids("ai-002") == ["AI-002"]


def test_every_word_must_match_somewhere():
    assert ids("ada finance") == ["AI-001"]
    assert ids("ada hr") == []


def test_text_is_plain_not_a_pattern():
    assert ids("(hr)") == ["AI-002"]
    assert ids(".*") == []


def test_columns_outside_the_search_are_ignored():
    assert ids("intake") == []


def test_words_split_on_any_whitespace():
    assert ids("ada  finance") == ids(" ada\tfinance ") == ["AI-001"]


def test_a_missing_field_matches_no_text():
    # AI-003 has no name: no "None" or "nan" stands in for it ("nan" finds AI-001's "Finance" only)
    assert ids("none") == [] and ids("nan") == ["AI-001"]


def test_id_lists_by_sort_and_split_are_each_groups_ids_in_frame_order():
    frame = pd.DataFrame({"pilot_id": list("abcdef")}, index=[10, 3, 7, 0, 5, 1])  # positions, not labels
    codes = np.array([2, -1, 0, 2, 0, 3])  # b in no group, group 1 empty
    assert ids_by_group(frame, codes, 4) == [["c", "e"], [], ["a", "d"], ["f"]]
    assert ids_by_group(frame, codes, 3) == [["c", "e"], [], ["a", "d"]]  # group 3 not asked for
    assert ids_by_group(frame, np.full(6, -1), 2) == [[], []]
    assert ids_by_group(frame, codes, 0) == []
    assert ids_by_group(frame.iloc[:0], np.zeros(0, dtype=int), 2) == [[], []]
