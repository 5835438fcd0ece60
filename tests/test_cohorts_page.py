"""The Cohorts page and the Overview's cohort sentence (AppTest): the sample, a segment with a single pilot,
and datasets without dates. Sidebar state goes through the URL of a fresh run (see test_pages.py); bound
widgets take their option labels in the URL, as a shared link carries them."""

from __future__ import annotations

import json

from builders import make_portfolio, pilot
from test_pages import run_app, upload

PAGE = "pages/cohorts.py"
SAMPLE_SENTENCE = ("Of the 47 pilots started in 2025 Q3, 6% (3) reached production within 12 months, against 9% "
                   "(4 of 47) of those started in 2024 Q3: no clear difference (a gap this size could be chance).")


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"].replace("<br>", " ") for c in at.get("plotly_chart")]


def info_text(at) -> str:
    return " ".join(i.value for i in at.info)


def test_cohorts_page_on_the_sample():
    at = run_app(PAGE)
    assert not at.exception, at.exception
    assert at.markdown[0].value == f"#### {SAMPLE_SENTENCE}"
    triangle, curves = chart_titles(at)
    assert triangle == "Reached production within 12 months: 4% of 2023 starts (7 of 157), 10% of 2024 (17 of 178)"
    assert curves.startswith("Newer cohorts reach production sooner: 15% of 2025 starts within 12 months")
    at_risk, summary = at.dataframe[1].value, at.dataframe[2].value
    assert at_risk.index.tolist() == ["2023", "2024", "2025", "2026"]
    assert at_risk["0"].tolist() == [157, 178, 153, 112]
    assert summary["Reached production within 12 months (95% CI)"].tolist()[-1] == "not followed 12 months yet"


def test_overview_says_how_cohorts_compare():
    at = run_app()
    assert not at.exception
    assert at.markdown[1].value == SAMPLE_SENTENCE


def test_triangle_views_switch_in_the_page():
    at = run_app(PAGE)
    at.radio(key="tri").set_value("cancelled").run()
    at.radio(key="rows").set_value("year").run()
    assert not at.exception, at.exception
    assert chart_titles(at)[0].startswith("Were cancelled within 12 months: 32% of 2023 starts (50 of 157)")


def test_breakdowns_from_the_url():
    at = run_app(PAGE, query={"seg": "All pilots", "cols": "months"})
    assert not at.exception, at.exception
    assert at.radio(key="cols").value == "1"
    assert chart_titles(at)[1].startswith("Within 12 months of start, 11% of pilots reached production")
    at = run_app(PAGE, query={"seg": "Business unit"})
    assert not at.exception, at.exception
    assert "Too few pilots for a curve (under 10): HR (4)." in [c.value for c in at.caption]


def single_pilot_portfolio() -> bytes:
    """Twelve Finance pilots started through 2024 (four in production) and one Legal pilot."""
    rows = [pilot(i, start_date=f"2024-{i:02d}-01", intake_date=f"2024-{i:02d}-01", poc_date="")
            for i in range(1, 13)]
    for i in (1, 3, 5, 7):
        rows[i - 1].update({"Stage": "Production", "Status": "Live", "Production Date": f"2025-{i:02d}-15"})
    rows.append(pilot(13, business_unit="Legal", start_date="2024-06-01", intake_date="2024-06-01", poc_date=""))
    return make_portfolio(rows)


def test_a_segment_with_a_single_pilot():
    ds = upload(single_pilot_portfolio())
    at = run_app(PAGE, query={"ds": ds, "seg": "Business unit"})
    assert not at.exception, at.exception
    assert "Too few pilots for a curve (under 10): Legal (1)." in [c.value for c in at.caption]
    assert at.dataframe[2].value["Pilots"].tolist() == [12, 1]
    # Filtered down to that one pilot: the triangle still shows its cohort, the curves say why they are empty.
    at = run_app(PAGE, query={"ds": ds, "bu": "Legal"})
    assert not at.exception, at.exception
    triangle, curves = chart_titles(at)
    assert "within 12 months: 0% of 2024 starts (0 of 1)" in triangle
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert spec["layout"]["annotations"][0]["text"] == "Too few pilots with dates in this selection to draw a curve."


def test_federal_inventory_without_dates(federal_bytes):
    ds = upload(federal_bytes)
    at = run_app(PAGE, query={"ds": ds})
    assert not at.exception, at.exception
    assert "need dates" in info_text(at) and "no pilot with a usable start date" in info_text(at)
    assert not at.get("plotly_chart")
    overview = run_app(query={"ds": ds})
    assert not overview.exception
    assert not any("reached production within" in m.value for m in overview.markdown)


def test_builder_portfolio_with_empty_dates():
    ds = upload(make_portfolio(5, start_date="", intake_date="", poc_date=""))
    at = run_app(PAGE, query={"ds": ds})
    assert not at.exception, at.exception
    assert "The cohort triangle and the time-to-production curves need dates" in info_text(at)
