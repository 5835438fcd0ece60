"""Snapshot and live links in a real browser (headless Chromium against a fresh `streamlit run`): a link
opened first thing after a server start, page switches inside a snapshot, a snapshot made with the
sidebar form and reopened in a fresh browser, leaving a snapshot by changing a filter, a bad link, and
the downloaded report opened offline."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.store import datasets as store
from analysis.store import snapshots
from analysis.store.queries import Filters
from analysis.store.snapshots import ViewState
from tests.browser.harness import VIEWPORT, open_page, rerun, running_app, settle
from tests.conftest import SAMPLE

pytestmark = pytest.mark.browser
FINANCE_IT = "bu=Finance&bu=IT&stall=60"  # a live view of the sample: 230 pilots


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh app on its own store holding the sample and one snapshot made before the server started."""
    folder = tmp_path_factory.mktemp("snapshot-app")
    data = folder / "store"
    with store.connect(data) as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        state = ViewState(Filters({"business_unit": ("Finance", "IT")}), dt.date(2026, 10, 31), 60, "sourcing")
        early = snapshots.create(con, ds, state, "funnel", "Made before the server started")
    store.release(data)  # DuckDB lets one process at a time open the file: the server's turn
    with running_app(data, folder / "streamlit.log") as base:
        yield base, early


def fresh_page(browser, **options):
    """A page in a new browser context: no cookies, no session, as a colleague opening a link."""
    return browser.new_context(viewport=VIEWPORT, **options).new_page()


def metrics(page) -> dict[str, str]:
    return {m.locator('[data-testid="stMetricLabel"]').inner_text().strip():
            m.locator('[data-testid="stMetricValue"]').inner_text().strip()
            for m in page.locator('[data-testid="stMetric"]').all()}


def go_to(page, title: str) -> None:
    rerun(page, lambda: page.locator('[data-testid="stSidebarNav"] a', has_text=title).click())
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
    settle(page)


def banner_count(page, title: str) -> int:
    return page.get_by_text(f"Snapshot: {title}").count()


def test_first_link_after_a_start_opens_the_snapshot_and_page_switches_stay_in_it(server, browser):
    base, early = server
    page = fresh_page(browser)
    open_page(page, f"{base}/funnel?snapshot={early.token}")  # the server's very first request
    page.wait_for_selector("h1:has-text('Funnel')", timeout=60_000)  # the first visit reruns once (common.py)
    settle(page)
    assert page.locator("h1").first.inner_text() == "Funnel" and banner_count(page, early.title) == 1
    go_to(page, "Overview")
    assert page.url == f"{base}/?snapshot={early.token}" and banner_count(page, early.title) == 1
    frozen = metrics(page)
    go_to(page, "Data")
    assert page.url == f"{base}/data?snapshot={early.token}" and banner_count(page, early.title) == 1
    live = fresh_page(browser)
    open_page(live, f"{base}/?{FINANCE_IT}")
    assert frozen == metrics(live) and frozen["Pilots"] == "230"


def test_a_snapshot_made_in_the_sidebar_reopens_in_a_fresh_browser_with_the_same_numbers(server, browser):
    base, _ = server
    page = fresh_page(browser)
    open_page(page, f"{base}/?{FINANCE_IT}")
    live = metrics(page)
    page.get_by_text("Share snapshot").click()
    page.get_by_label("Title").fill("Review <b>deck</b>")
    page.get_by_label("Note (optional)").fill("Finance and IT")
    rerun(page, lambda: page.get_by_role("button", name="Create snapshot link").click())
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    assert code.count() == 2, page.locator('[data-testid="stSidebar"]').inner_text()  # the link, its revoke key
    link = code.first.inner_text().replace("\n", "")
    assert link.startswith(f"{base}/?snapshot=") and snapshots.is_token_shaped(link.split("=", 1)[1])
    other = fresh_page(browser)
    open_page(other, link)
    assert metrics(other) == live and banner_count(other, "Review <b>deck</b>") == 1
    assert other.get_by_text("Finance and IT").count() == 1


def test_changing_a_frozen_filter_leaves_for_a_live_view_with_the_change(server, browser):
    base, early = server
    page = fresh_page(browser)
    open_page(page, f"{base}/?snapshot={early.token}")
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(2).click()  # sourcing
    rerun(page, lambda: page.get_by_role("option", name="buy").click())
    page.keyboard.press("Escape")
    page.get_by_text(f"You left the snapshot “{early.title}”").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text(f"You left the snapshot “{early.title}”").count() == 1
    assert banner_count(page, early.title) == 0 and "snapshot=" not in page.url
    for part in ("bu=Finance", "bu=IT", "src=buy", "stall=60", "ds="):
        assert part in page.url, part
    same = fresh_page(browser)
    open_page(same, page.url)
    assert metrics(same) == metrics(page) and int(metrics(page)["Pilots"]) < 230


def test_a_bad_link_shows_only_the_message(server, browser):
    base, early = server
    page = fresh_page(browser)
    wrong = early.token[:-1] + ("y" if early.token.endswith("x") else "x")  # one character off, never equal
    open_page(page, f"{base}/funnel?snapshot={wrong}")
    assert page.locator('[data-testid="stMain"]').inner_text().strip() == "This snapshot link is not available."
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0 and page.locator("h1").count() == 0


def test_the_downloaded_report_opens_offline_with_the_snapshot_numbers(server, browser, tmp_path):
    base, early = server
    page = fresh_page(browser, accept_downloads=True)
    open_page(page, f"{base}/?snapshot={early.token}")
    shown = metrics(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download report").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    offline = fresh_page(browser, offline=True)
    errors: list[str] = []
    offline.on("pageerror", lambda e: errors.append(str(e)))
    offline.on("requestfailed", lambda r: errors.append(r.url))
    offline.goto(path.as_uri())
    offline.wait_for_selector(".js-plotly-plot", timeout=30_000)
    charts = path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert charts >= 8  # overview, funnel, causes, stalls and cohorts charts
    assert errors == [] and offline.locator(".js-plotly-plot").count() == charts  # every one drew offline
    tiles = {t.get_attribute("data-kpi"): t.inner_text() for t in offline.locator("[data-kpi]").all()}
    assert (tiles["pilots"], tiles["reached_production"], tiles["cancelled"], tiles["stalled"]) == \
        (shown["Pilots"], shown["Reached production"], shown["Cancelled"], shown["Stalled"])
    assert offline.get_by_text(f"Snapshot: {early.title}").count() == 1
