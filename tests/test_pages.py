"""Every page renders without an exception on the sample and after an upload (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = sorted(str(p.relative_to(Path(APP).parent)) for p in (Path(APP).parent / "pages").glob("*.py")
               if p.name not in ("__init__.py", "common.py", "identity.py"))  # helpers, not pages


def run_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """The app, run once (optionally on a page, with query parameters)."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_every_page_is_listed_in_the_navigation():
    text = Path(APP).read_text()
    assert PAGES and all(f'"{p}"' in text for p in PAGES), PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_sample(page):
    at = run_app(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


def test_overview_numbers_on_the_sample():
    at = run_app()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pilots"] == "600"
    assert metrics["Reached production"] == "156"
    assert metrics["Cancelled"] == "287"
    assert metrics["Stalled"] == "31"
    assert "600 pilots, 156 (26%) reached production" in at.markdown[0].value


def test_filter_in_the_url_changes_the_overview():
    # AppTest 1.67 drops the sidebar of an st.navigation app on a rerun, so sidebar filters are set the
    # way a shared link sets them: through the query string of a fresh run (the browser tests click).
    at = run_app(query={"bu": "HR"})
    assert not at.exception
    assert at.multiselect(key="bu").value == ["HR"]
    assert {m.label: m.value for m in at.metric}["Pilots"] == "4"


def upload(federal_bytes: bytes) -> str:
    """Upload the federal inventory on the Data page; returns the dataset id it put in the URL."""
    at = run_app("pages/data.py")
    at.get("file_uploader")[0].set_value(("federal.csv", federal_bytes, "text/csv")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at.query_params["ds"][0] if isinstance(at.query_params["ds"], list) else at.query_params["ds"]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_after_uploading_the_federal_inventory(page, federal_bytes):
    ds = upload(federal_bytes)
    # A fresh session on the link the upload left in the address bar (as a refresh would open it).
    at = run_app(page, query={"ds": ds})
    assert not at.exception, at.exception
    assert at.title


def test_upload_report_counts_every_row(federal_bytes):
    at = run_app("pages/data.py", query={"ds": upload(federal_bytes)})
    assert [m.value for m in at.metric][:3] == ["710", "710", "0"]
    assert "federal.csv" in at.subheader[0].value


def test_unreadable_upload_says_why():
    at = run_app("pages/data.py")
    at.get("file_uploader")[0].set_value(("report.csv", b"%PDF-1.7 binary", "text/csv")).run()
    assert not at.exception
    assert "is a PDF, not a table" in at.error[0].value
