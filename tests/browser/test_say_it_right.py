"""Issue 17 in a real browser: on the sample and on a generated export with missing stages, start dates,
causes and business units, every page at 1280 and 1920 px states its population, shows no literal None,
cuts no tile label or chart title, draws no bar label over another, and the Data page warns about the
pilots without a stage instead of saying there is no problem. Screenshots of both widths go to
test-artifacts/ (say-<export>-<width>-<page>.png).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

import pytest

from tests.browser.harness import VIEWPORT, app_pages, open_page, rerun, screenshot

PAGES = app_pages()
WIDTHS = (1280, 1920)
GAPPY_PILOTS = 240
NO_STAGE, NO_START, NO_UNIT = 60, 36, 48  # pilots without a stage, a start date, a business unit (known)
STAGES = [("Intake", "Intake Date"), ("Scoping", "Scoping Date"), ("PoC", "PoC Date"), ("Pilot", "Pilot Date"),
          ("Production", "Production Date")]
HEADERS = ["Pilot ID", "Name", "Business Unit", "Use Case", "Sourcing", "Sponsor", "Start Date", "Stage",
           "Status", "Failure Cause", "End Date", "Last Update", *(d for _, d in STAGES)]
# what is on a page when a text cell, a tile or a title was filled from a missing value
NONE_WORD = re.compile(r"(?<![\w'])(None|nan|NaN|NaT)(?![\w'])")


def gappy_export() -> bytes:
    """GAPPY_PILOTS pilots, as a tracker with holes exports them: the first NO_STAGE with no stage and no
    stage dates, the next NO_START with a stage but no start date and no stage dates, every fifth one
    without a business unit, and the cancelled ones every other one without a cause."""
    rng = random.Random(17)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS, lineterminator="\n")
    writer.writeheader()
    causes = ["Data quality", "No business value", "Integration", "Cost", "Security"]
    for i in range(GAPPY_PILOTS):
        start = dt.date(2023, 1, 2) + dt.timedelta(days=rng.randrange(0, 900))
        reached = rng.choices(range(len(STAGES)), weights=[3, 3, 4, 3, 3])[0]
        status = "Live" if reached == len(STAGES) - 1 else rng.choice(["Active", "Active", "Cancelled", "On hold"])
        row = {"Pilot ID": f"AI-{i + 1:04d}", "Name": f"Assistant {i + 1}",
               "Business Unit": "" if i % 5 == 0 else rng.choice(["Finance", "Operations", "HR", "Sales"]),
               "Use Case": rng.choice(["Forecasting", "Search", "Chat"]), "Sourcing": rng.choice(["Build", "Buy"]),
               "Sponsor": rng.choice(["Ada", "Grace", ""]), "Start Date": start.isoformat(), "Status": status,
               "Last Update": (start + dt.timedelta(days=rng.randrange(30, 600))).isoformat()}
        day = start
        for stage, column in STAGES[: reached + 1]:
            row[column], row["Stage"] = day.isoformat(), stage
            day += dt.timedelta(days=rng.randrange(20, 120))
        if status == "Cancelled":
            row["End Date"] = day.isoformat()
            row["Failure Cause"] = rng.choice(causes) if i % 2 else ""
        if i < NO_STAGE:  # nothing says how far it got (a live one would say production)
            row["Stage"], row["Status"] = "", "Active" if status == "Live" else status
        if i < NO_STAGE + NO_START:
            for _, column in STAGES:
                row.pop(column, None)
        if NO_STAGE <= i < NO_STAGE + NO_START:  # no date to start it from (no stage date either)
            row["Start Date"] = ""
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def cut_labels(page) -> list[str]:
    """Tile labels and tile values the browser shows cut (their text wider than their box), and chart
    titles wider than their chart."""
    return page.evaluate("""() => {
      const cut = [];
      for (const el of document.querySelectorAll(
          '[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div, [data-testid="stMetricValue"] div')) {
        if (el.scrollWidth > el.clientWidth + 1) cut.push(el.innerText.trim());
      }
      for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        const svg = chart.querySelector('.main-svg'), title = chart.querySelector('.gtitle');
        if (!svg || !title || !title.textContent) continue;
        const box = title.getBoundingClientRect(), frame = svg.getBoundingClientRect();
        if (box.left < frame.left - 1 || box.right > frame.right + 1) cut.push(title.textContent);
      }
      return cut;
    }""")


def overlapping_bar_labels(page) -> list[list[str]]:
    """Pairs of bar labels of one chart whose drawn boxes overlap."""
    return page.evaluate("""() => {
      const pairs = [];
      for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        const boxes = [...chart.querySelectorAll('text.bartext')].filter(t => t.textContent.trim())
          .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, b]) => b.width && b.height);
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const [a, p] = boxes[i], [b, q] = boxes[j];
          const dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
          const dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
          if (dx > 1 && dy > 1) pairs.push([a, b]);
        }
      }
      return pairs;
    }""")


def check_page(page, name: str) -> str:
    """The checks every page passes at every width; the page's text."""
    text = main_text(page)
    found = NONE_WORD.findall(text)
    assert not found, f"{name}: a missing value is shown as {found[0]!r}"
    assert not cut_labels(page), f"{name}: cut off: {cut_labels(page)}"
    assert not overlapping_bar_labels(page), f"{name}: bar labels drawn over each other: {overlapping_bar_labels(page)}"
    return text


@pytest.fixture(scope="module")
def gappy(tmp_path_factory, browser, app_url) -> str:
    """The generated export uploaded once: the URL query of its dataset."""
    path = tmp_path_factory.mktemp("say") / "gappy-tracker.csv"
    path.write_bytes(gappy_export())
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        open_page(page, app_url + "/data")
        rerun(page, lambda: page.set_input_files('input[type="file"]', str(path)),
              until="() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                    f".some(v => v.innerText.trim() === '{GAPPY_PILOTS}')")
        return page.evaluate("() => location.search")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_of_an_export_with_holes_says_it_right(browser, app_url, gappy, width):
    context = browser.new_context(viewport={"width": width, "height": VIEWPORT["height"]})
    page = context.new_page()
    try:
        texts = {}
        for app_page in PAGES:
            open_page(page, app_url + app_page.url + gappy)
            texts[app_page.slug] = check_page(page, f"{app_page.slug} at {width} px")
            screenshot(page, f"say-gappy-{width}-{app_page.slug}")
    finally:
        context.close()
    # every pilot is counted, and the pages that analyse pilots say how many they show
    overview = texts[PAGES[0].slug]
    assert f"All {GAPPY_PILOTS} pilots of the dataset; no filter is set." in overview
    for slug in ("funnel", "causes", "stalls", "cohorts", "forecast"):
        assert f"All {GAPPY_PILOTS} pilots" in texts[slug] or f"of {GAPPY_PILOTS} pilots" in texts[slug], slug
    # what cannot be read is said, with its count, not hidden
    assert f"{NO_STAGE} of {GAPPY_PILOTS} pilots (25%) have no stage" in texts["data"], texts["data"][-1500:]
    assert f"{NO_START} of {GAPPY_PILOTS} pilots (15%) have no start date" in texts["data"]
    assert "No problems" not in texts["data"]
    # the Cohorts page never says two opposite things of the cohorts
    cohorts = texts["cohorts"]
    assert not ("No clear" in cohorts and re.search(r"clearly (better|worse)", cohorts)), cohorts[:600]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_of_the_sample_says_it_right(page, app_url, width):
    page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
    for app_page in PAGES:
        open_page(page, app_url + app_page.url)
        check_page(page, f"sample {app_page.slug} at {width} px")
        screenshot(page, f"say-sample-{width}-{app_page.slug}")
