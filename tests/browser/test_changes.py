"""The Changes page in a real browser: two stored uploads compared, the frozen comparison of a snapshot made
with the sidebar form (the earlier upload chosen on the page is kept), and a screenshot."""

from __future__ import annotations

import pytest

from analysis.store import datasets as store
from tests.browser.harness import VIEWPORT, metrics, open_page, rerun, running_app, screenshot
from tests.builders import make_portfolio
from tests.test_changes import EARLIER, LATER

pytestmark = pytest.mark.browser
GROUPS = {"New": "4", "Gone": "1", "Advanced a stage": "2", "Reached production": "1", "Cancelled": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh app on its own store holding the two uploads of tests/test_changes.py (and a third to choose)."""
    folder = tmp_path_factory.mktemp("changes-app")
    data = folder / "store"
    with store.connect(data) as con:
        other = store.ingest(con, make_portfolio(3), "other.csv")
        earlier = store.ingest(con, make_portfolio(EARLIER), "q2.csv")
        later = store.ingest(con, make_portfolio(LATER), "q4.csv")
    store.release(data)
    with running_app(data, folder / "streamlit.log") as base:
        yield base, other, earlier, later


def test_a_snapshot_of_the_changes_page_keeps_the_earlier_upload(server, browser):
    base, other, earlier, later = server
    page = browser.new_context(viewport=VIEWPORT).new_page()
    open_page(page, f"{base}/changes?ds={later}")
    assert earlier_box(page) == f"Upload · q2.csv · {earlier[:6]}"  # the upload stored just before this one
    assert {k: v for k, v in metrics(page).items() if k in GROUPS} == GROUPS
    screenshot(page, "changes")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
    rerun(page, lambda: page.get_by_role("option", name=f"Upload · other.csv · {other[:6]}").click())
    shown = metrics(page)
    assert (shown["New"], shown["Gone"]) == ("8", "0")  # other.csv: P001-P003 only
    page.get_by_text("Share snapshot").click()
    page.get_by_label("Title").fill("Q4 review")
    rerun(page, lambda: page.get_by_role("button", name="Create snapshot link").click())
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text().replace("\n", "")
    assert link.startswith(f"{base}/changes?snapshot=")
    fresh = browser.new_context(viewport=VIEWPORT).new_page()
    open_page(fresh, link)
    assert metrics(fresh) == shown
    assert earlier_box(fresh) == f"Upload · other.csv · {other[:6]}"


def earlier_box(page) -> str:
    """What the page's Earlier upload box shows."""
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
    return box.evaluate("b => b.innerText").replace("Earlier upload", "").strip() or box.locator("input").input_value()
