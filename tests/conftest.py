"""Shared fixtures: a throw-away store for every test session, and the portfolio builder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before any test imports the store: never write into the developer's data/store/.
os.environ["PILOTS_DATA_DIR"] = tempfile.mkdtemp(prefix="pilots-test-store-")

ROOT = Path(__file__).resolve().parent.parent
FEDERAL = ROOT.parent / "shared" / "data" / "federal_ai_inventory_2023.csv"
SAMPLE = ROOT / "data" / "sample_portfolio.csv"


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """st.cache_data persists across AppTest instances in one process: start every test clean."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def federal_bytes() -> bytes:
    if not FEDERAL.exists():
        pytest.fail(f"the federal inventory is expected at {FEDERAL} (../shared/data beside the checkout)")
    return FEDERAL.read_bytes()
