"""Click-through in a real headless Chromium (AppTest cannot click charts): a Pareto bar, a cause x stage
cell, a segment bar and a funnel step each list the pilots behind them."""

from __future__ import annotations

import pytest

from tests.browser.harness import assert_no_exception


@pytest.fixture(scope="module")
def page(browser, app_url):
    """One tab for the module (the session's Chromium and app server); the clicks build on each other."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(app_url)
    tab.get_by_text("Pilots", exact=True).first.wait_for(timeout=60_000)
    yield tab
    context.close()


def click(tab, key: str, selector: str, index: int) -> list[str]:
    """Click the index-th mark of a chart, fail on any exception the rerun shows; the captions that name
    pilots behind a click."""
    chart = tab.locator(f".st-key-{key}")
    chart.scroll_into_view_if_needed()
    tab.wait_for_timeout(800)
    box = chart.locator(selector).nth(index).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.wait_for_timeout(300)
    tab.mouse.click(x, y)
    tab.wait_for_timeout(4000)
    assert_no_exception(tab)  # what the click lists (its table, its download) draws without an error
    return [c for c in tab.locator("[data-testid=stCaptionContainer]").all_inner_texts() if "you clicked" in c]


def test_clicking_cause_charts_lists_their_pilots(page, app_url):
    page.goto(f"{app_url}/causes")
    page.get_by_text("Which cause kills most pilots").wait_for(timeout=60_000)
    assert click(page, "pareto", ".barlayer .point", 0)[-1].startswith("68 pilots behind")  # data quality
    # the third cell: data quality at proof of concept (cells run by cause, then stage)
    assert click(page, "cause_stage", ".scatterlayer .point", 2)[-1].startswith("52 pilots behind")
    assert click(page, "segments", ".barlayer .point", 5)[-1].startswith("2 pilots behind")  # HR, greyed


def test_clicking_a_funnel_step_lists_its_pilots(page, app_url):
    page.goto(f"{app_url}/funnel")
    page.get_by_text("Pilots behind a step").wait_for(timeout=60_000)
    assert click(page, "funnel", ".barlayer .point", 2)[-1].startswith("497 pilots behind")  # reached PoC


def test_clicking_the_review_charts_lists_their_pilots(page, app_url):
    """The portfolio review's charts on the sample: the forecast's 12-month production bar (the 36 pilots with
    at least an even chance of it: tests/test_forecast.py's model on the sample), a pilot on the aging chart,
    and the portfolio's own rate beside the published ones (the 156 that reached production)."""
    from tests.browser.harness import open_page, screenshot

    open_page(page, app_url + "/forecast")
    assert click(page, "forecast", ".barlayer .point", 2)[-1].startswith("36 pilots behind")
    screenshot(page, "sample-forecast")
    open_page(page, app_url + "/stalls")
    assert click(page, "aging", ".scatterlayer .trace:first-child .point", 0)[-1].startswith("1 pilot behind")
    screenshot(page, "sample-stalls-aging")
    open_page(page, app_url + "/")
    assert click(page, "benchmarks", ".scatterlayer .point", 0)[-1].startswith("156 pilots behind")
    screenshot(page, "sample-overview-published-rates")
