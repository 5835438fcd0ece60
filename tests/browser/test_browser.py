"""The app in a real browser: every page renders, an upload shows its funnel, a filter changes the numbers,
a funnel step lists its pilots, and a deep link works as the first visit after a restart.

Expected numbers come from the analysis engine run on the same file (`analyse_file`), so these tests
check what the browser shows against what the engine computes; the engine's own numbers are checked
against hand-computed answers in the unit tests. Screenshots of every page go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import FEDERAL, SAMPLE
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from analysis.cli.summary import analyse_file
from analysis.metrics.funnel import pilots_at_step, stage_funnel
from tests.browser.harness import (
    app_pages,
    bar_labels,
    chart_titles,
    metrics,
    open_page,
    rerun,
    running_app,
    screenshot,
    settle,
)

PAGES = app_pages()
NAV_LINKS = '[data-testid="stSidebarNavLink"]'
# The sample's known answers (data/make_sample.py; also asserted by tests/test_pages.py).
SAMPLE_PILOTS, HR_PILOTS = 600, 4
OPEN_ATTEMPTS = 3


def nav_link(page, app_url: str, url: str):
    """The sidebar link to a page of the app."""
    return page.locator(f'{NAV_LINKS}[href="{app_url}{url}"]')


def dataset_in_url(page) -> str | None:
    """The `ds` query parameter of the address bar."""
    return page.evaluate("() => new URLSearchParams(location.search).get('ds')")


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox or multiselect by its label, as a user would (open, click)."""
    rerun(page, lambda: open_list(page, label, option).click())
    page.keyboard.press("Escape")  # a multiselect stays open for more choices


def open_list(page, label: str, option: str):
    """Open the drop-down of the widget labelled `label`; the option named `option` in it.

    The list can close again as the page scrolls the widget into view, so it is opened until it stays."""
    box, item = page.get_by_label(label, exact=True), page.get_by_role("option", name=option, exact=True)
    box.scroll_into_view_if_needed()
    for _ in range(OPEN_ATTEMPTS):
        box.click()
        try:
            item.wait_for(state="visible", timeout=2_000)
            return item
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"the drop-down of {label!r} did not show {option!r}")


def test_the_app_lists_its_pages():
    urls = [p.url for p in PAGES]
    assert urls[0] == "/" and {"/funnel", "/data"} <= set(urls), PAGES


@pytest.mark.parametrize("app_page", PAGES, ids=[p.slug for p in PAGES])
def test_page_renders_on_the_sample(page, app_url, app_page):
    open_page(page, app_url + app_page.url)
    assert page.locator("h1").count() >= 1, "every page has a title"
    assert page.locator(NAV_LINKS).count() == len(PAGES), "the navigation lists app.py's pages, no others"
    screenshot(page, f"sample-{app_page.slug}")


def test_uploading_the_federal_inventory_shows_its_funnel(page, app_url):
    expected = analyse_file(FEDERAL.read_bytes(), FEDERAL.name)
    funnel = stage_funnel(expected.classified, expected.derived.stages)
    open_page(page, app_url + "/data")
    sample_ds = dataset_in_url(page)
    rows = expected.derived.rows_read
    assert rows == 710, "the federal inventory has 710 data lines"
    # The upload stores the file, selects it and reruns: done when the report shows the new file.
    rerun(page, lambda: page.set_input_files('input[type="file"]', str(FEDERAL)),
          until=f"() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                f".some(v => v.innerText.trim() === '{rows:,}')")
    federal_ds = dataset_in_url(page)
    assert federal_ds not in (None, sample_ds)
    assert metrics(page) == {"Rows read": f"{rows:,}", "Accepted": f"{len(expected.derived.pilots):,}",
                             "Rejected": f"{len(expected.derived.rejected):,}"}

    rerun(page, lambda: nav_link(page, app_url, "/funnel").click())
    assert dataset_in_url(page) == federal_ds, "the uploaded dataset stays selected on another page"
    known, produced = int(funnel["reached"].iloc[0]), int(funnel["reached"].iloc[-1])
    assert chart_titles(page)[0].startswith(f"{produced} of {known} pilots")
    assert bar_labels(page)[0] == f"{known:,}"
    screenshot(page, "federal-funnel")
    for other in PAGES:
        rerun(page, lambda other=other: nav_link(page, app_url, other.url).click())
        assert dataset_in_url(page) == federal_ds
        screenshot(page, f"federal-{other.slug}")


def test_a_sidebar_filter_changes_the_numbers(page, app_url):
    open_page(page, app_url + "/")
    assert metrics(page)["Pilots"] == f"{SAMPLE_PILOTS:,}"
    choose(page, "Business unit", "HR")
    assert metrics(page)["Pilots"] == f"{HR_PILOTS:,}"
    assert bar_labels(page)[0] == f"{HR_PILOTS}", "the mini funnel starts at the filtered pilots"
    assert "bu=HR" in page.url, "the filter is in the address bar, so the link shares it"
    screenshot(page, "sample-overview-hr")


def download_rows(page, label_start: str) -> list[dict[str, str]]:
    """Click the download button whose label starts with `label_start`; the CSV's rows."""
    button = page.locator('[data-testid="stDownloadButton"] button', has_text=label_start)
    button.wait_for(state="visible")
    with page.expect_download() as info:
        button.click()
    text = info.value.path().read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_funnel_step_lists_its_pilots(page, app_url):
    expected = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    stages = expected.derived.stages
    poc = stages.index("poc")
    dropped = pilots_at_step(expected.classified, poc, "dropped")
    open_page(page, app_url + "/funnel")
    assert page.get_by_text(f"Download these {SAMPLE_PILOTS:,} pilots (CSV)").count() == 1
    choose(page, "Stage", "Proof of concept")
    choose(page, "Pilots that", "were cancelled there")
    label = f"Download these {len(dropped):,} pilots"
    rows = download_rows(page, label)
    assert len(dropped) == int(stage_funnel(expected.classified, stages)["dropped"].iloc[poc]) > 0
    assert sorted(r["Pilot ID"] for r in rows) == sorted(dropped["pilot_id"])
    assert {r["Outcome"] for r in rows} == {"Cancelled"}  # the table shows friendly labels
    screenshot(page, "sample-funnel-poc-cancelled")


def test_a_deep_link_works_as_the_first_visit_after_a_restart(browser, tmp_path):
    # Streamlit runs a `pages/` folder as an old-style multipage app until st.navigation has run once
    # in the process; a snapshot or shared link opened first after a restart must still work.
    with running_app(tmp_path / "store", tmp_path / "streamlit.log") as url:
        context = browser.new_context()
        page = context.new_page()
        try:
            open_page(page, f"{url}/funnel?bu=HR")
            settle(page)
            assert page.locator(NAV_LINKS).count() == len(PAGES)
            assert page.locator("h1").first.inner_text().strip() == "Funnel"
            assert bar_labels(page)[0] == f"{HR_PILOTS}"
        finally:
            context.close()


def test_an_upload_after_the_sample_is_read_whole_on_every_page(page, app_url, tmp_path):
    """Issue 13: a leader opens the app (the sample), uploads an inventory whose start dates begin a day
    before the sample's, and reads the Overview: every use case is counted, not the 2,389 of 3,611 that the
    sample's start range and as-of date, carried over to the new dataset, used to leave."""
    from tests.test_evidence import inventory_2025

    data, _ = inventory_2025(3611)
    upload = tmp_path / "inventory-2025.csv"
    upload.write_bytes(data)
    open_page(page, app_url + "/")
    assert metrics(page)["Pilots"] == f"{SAMPLE_PILOTS:,}"
    rerun(page, lambda: nav_link(page, app_url, "/data").click())
    rerun(page, lambda: page.set_input_files('input[type="file"]', str(upload)),
          until="() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                ".some(v => v.innerText.trim() === '3,611')")
    rerun(page, lambda: nav_link(page, app_url, "/").click())
    assert metrics(page)["Pilots"] == "3,611"
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "All 3,611 pilots of the dataset; no filter is set." in text
    assert "as of 2025-09-01" in text  # the new dataset's latest date, not the sample's
    screenshot(page, "inventory-2025-overview")
