"""Fixtures of the browser tests: one app server and one Chromium per session, a fresh context per test."""

from __future__ import annotations

import os

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_FLAGS, VIEWPORT, running_app


def pytest_collection_modifyitems(items):
    """Everything in this folder drives a real browser."""
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    """The app on a free loopback port with an empty store of its own, stopped after the session."""
    folder = tmp_path_factory.mktemp("browser-app")
    with running_app(folder / "store", folder / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: run `make chromium` as root "
                    "(apt-get install chromium), or set PILOTS_CHROMIUM to a Chromium binary")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context (no cookies, storage or session shared with other tests)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()
