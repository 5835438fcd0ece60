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


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The address of a PostgreSQL server for this test session: PILOTS_TEST_DATABASE_URL, or a throw-away
    cluster started here (tests/postgres.py). One that cannot be started fails the test, never skips it."""
    from tests import postgres

    given = os.environ.get("PILOTS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    try:
        server = postgres.Server()
    except (postgres.ServerError, OSError) as problem:
        pytest.fail(f"the PostgreSQL test server could not be started: {problem}", pytrace=False)
    yield server.url()
    server.stop()


@pytest.fixture
def pg_url(pg_server_url, monkeypatch) -> str:
    """A fresh PostgreSQL store (a schema of its own), selected for this test by PILOTS_DATABASE_URL."""
    from analysis.store import backend
    from tests import postgres

    url = postgres.schema_url(pg_server_url, postgres.new_schema())
    monkeypatch.setenv(backend.URL_VARIABLE, url)
    yield url
    backend.close_pg(url)


@pytest.fixture(params=["duckdb", "postgres"])
def store_backend(request) -> str:
    """Run a store test on both back ends: the embedded DuckDB file and a PostgreSQL store."""
    if request.param == "postgres":
        request.getfixturevalue("pg_url")
    return request.param
