"""The pilots table search (analysis/metrics/pilots.py)."""

from __future__ import annotations

import pandas as pd

from analysis.metrics.pilots import search_mask

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
