"""The report's causes, stalls and cohorts sections (analysis/cli/report.py): the same numbers as the functions
the Failure causes, Stalls and Cohorts pages call, plain sentences when a dataset has no dates, escaped
text and an offline file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from builders import analysed, pilot
from conftest import FEDERAL, SAMPLE
from test_report import ReportReader

from analysis.__main__ import main
from analysis.cli.report import NEEDS_DATES, NEEDS_TIME_DATES, context_of_file, report_html
from analysis.cli.summary import analyse_file
from analysis.metrics.causes import cause_counts, segment_rates, segment_test, spend_by_cause
from analysis.metrics.cohorts import comparison_sentence, event_times
from analysis.metrics.stalls import (
    NEEDS_PROGRESS_DATES,
    NEEDS_STAGE_DATES,
    bottleneck,
    current_positions,
    stage_durations,
    stage_time_summary,
    stalled_pilots,
)

# The sample's known story (COMMON.md; tests/test_sample.py): 31 stalled pilots, data quality the top cause.
SAMPLE_BOTTLENECK = "Pilots wait longest in the pilot stage: median 7.3 months, 65 waiting now."
SAMPLE_COHORTS = ("Of the 47 pilots started in 2025 Q3, 6% (3) reached production within 12 months, against 9% "
                  "(4 of 47) of those started in 2024 Q3: no clear difference (a gap this size could be chance).")


@pytest.fixture(scope="module")
def sample() -> tuple:
    """The sample analysed, and its report broken down by business unit (the CLI's default)."""
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return result, report_html(context_of_file(result, SAMPLE.name, "business_unit"))


@pytest.fixture(scope="module")
def federal() -> tuple:
    """The federal AI inventory (no dates at all) and its report."""
    result = analyse_file(FEDERAL.read_bytes(), FEDERAL.name)
    return result, report_html(context_of_file(result, FEDERAL.name, "business_unit"))


def section_text(text: str, anchor: str) -> str:
    """The HTML of one section of the report."""
    return re.search(rf'<section id="{anchor}">(.*?)</section>', text, re.S).group(1)


def test_causes_match_the_causes_page_functions(sample):
    result, text = sample
    numbers = ReportReader(text).numbers
    counts = cause_counts(result.classified)
    assert numbers["failure_causes"][0] == {"cause": "data_quality", "count": 68}
    assert [c["count"] for c in numbers["failure_causes"]] == counts["count"].tolist()
    causes = section_text(text, "causes")
    assert re.search(r"<td>Data quality[^<]*</td><td class=\"num\">68</td>", causes)
    cells = numbers["cause_by_stage"]
    assert sum(c["count"] for c in cells) == 287, "every cancelled pilot sits in one cause x stage cell"
    assert sum(c["count"] for c in cells if c["cause"] == "data_quality") == 68
    spend = spend_by_cause(result.classified)
    assert [s["spend"] for s in numbers["spend_by_cause"]] == spend["spend"].tolist()
    assert numbers["spend_by_cause"][0]["cause"] == "unclear_value"
    for chart in ["fig-causes", "fig-cause-stage", "fig-spend"]:
        assert f'id="{chart}"' in causes, chart


def test_failure_rate_by_the_breakdown_uses_the_page_test(sample):
    result, text = sample
    numbers = ReportReader(text).numbers
    test = segment_test(segment_rates(result.classified, "business_unit"))
    assert numbers["failure_rate_test"]["p_value"] == pytest.approx(test.p_value)
    sentence = numbers["failure_rate_test"]["sentence"]
    assert sentence == "The difference between business units could be chance (chi-square test, p = 0.79)."
    rates = section_text(text, "failure-rates")
    assert rates.count(sentence) == 1, "the breakdown's sentence once, not twice"
    assert rates.index("<h3>By business unit</h3>") < rates.index("<h3>By use case</h3>"), "breakdown first"
    assert rates.count('class="chart"') == 1
    # HR has 4 pilots, so fewer than 5 decided: listed, not tested
    assert "<td>HR</td>" in rates


def test_stalls_section_holds_the_stalls_page_numbers(sample):
    result, text = sample
    c, stages, as_of = result.classified, result.derived.stages, result.as_of
    numbers = ReportReader(text).numbers
    expected = stalled_pilots(c)
    assert len(expected) == 31
    assert [p["pilot_id"] for p in numbers["stalled_pilots"]] == expected["pilot_id"].tolist()
    found = bottleneck(stage_time_summary(stage_durations(c, stages, as_of), stages), current_positions(c, stages, as_of))
    assert numbers["bottleneck"] == found.sentence == SAMPLE_BOTTLENECK
    stalls = section_text(text, "stalls")
    assert SAMPLE_BOTTLENECK in stalls and "(31)</h3>" in stalls
    body = re.search(r"Stalled pilots.*?<tbody>(.*?)</tbody>", stalls, re.S).group(1)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if row]
    first = expected.iloc[0]
    assert len(rows) == 31
    assert rows[0][0] == first["pilot_id"] and rows[0][3] == f"{int(first['days_without_progress']):,}"
    assert [r[0] for r in rows] == expected["pilot_id"].tolist(), "longest without progress first"
    assert numbers["stalls_need_dates"] == []
    assert 'id="fig-stage-time"' in stalls


def test_cohorts_section_says_the_cohorts_sentence(sample):
    result, text = sample
    numbers = ReportReader(text).numbers
    times = event_times(result.classified, result.derived.stages, result.as_of)
    assert numbers["cohort_sentence"] == comparison_sentence(times) == SAMPLE_COHORTS
    assert numbers["pilots_with_dates"] == len(times) == 600
    cohorts = section_text(text, "cohorts")
    assert SAMPLE_COHORTS in cohorts
    assert 'id="fig-cohort-triangle"' in cohorts and 'id="fig-incidence"' in cohorts


def test_federal_report_says_which_sections_need_dates(federal):
    result, text = federal
    reader = ReportReader(text)
    assert reader.numbers["pilots"] == len(result.classified) > 0
    stalls, cohorts = section_text(text, "stalls"), section_text(text, "cohorts")
    for needed in (NEEDS_STAGE_DATES, NEEDS_PROGRESS_DATES):
        assert f"<p>{needed.replace(chr(39), '&#x27;')}</p>" in stalls
    assert cohorts == f"<h2>Cohorts</h2><p>{NEEDS_DATES}</p>"
    assert section_text(text, "time-to-production") == f"<h2>Time to production</h2><p>{NEEDS_TIME_DATES}</p>"
    assert reader.numbers["stalls_need_dates"] == [NEEDS_STAGE_DATES, NEEDS_PROGRESS_DATES]
    assert reader.numbers["bottleneck"] is None and reader.numbers["stalled_pilots"] == []
    assert reader.numbers["cohort_sentence"] is None
    # no pilot is cancelled in the inventory: no causes and no failure rates (all 0%), as on the Causes page
    assert int(result.classified["cancelled"].sum()) == 0 and reader.numbers["failure_rate_test"] is None
    assert section_text(text, "causes").endswith("<p>No cancelled pilots in this selection, so there are no "
                                                 "failure causes to show.</p>")
    assert '<section id="failure-rates">' not in text
    assert not any(f'id="{c}"' in text for c in ["fig-stage-time", "fig-cohort-triangle", "fig-incidence"])
    assert reader.script_sources == [] and reader.links == []


@pytest.mark.parametrize("path", [SAMPLE, FEDERAL], ids=["sample", "federal"])
def test_command_line_report_opens_offline(tmp_path: Path, path: Path):
    out = tmp_path / "report.html"
    assert main(["report", str(path), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    reader = ReportReader(text)
    assert reader.script_sources == [] and reader.links == []
    assert text.count("Plotly.newPlot") == text.count('class="chart"') > 0
    assert not re.search(r"<script[^>]+src=", text)
    for anchor in ["causes", "stalls", "cohorts"]:
        assert f'<section id="{anchor}">' in text, anchor


def test_stalled_pilot_text_is_escaped():
    # ingest already drops whole tags from cells; what is left of markup must still be shown as text
    rows = [pilot(i, name='x<y & "z"', sponsor=f"<b>{i}</b>", last_update="2024-03-01") for i in range(1, 4)]
    result = analysed(rows, as_of=dt.date(2025, 1, 1))
    assert result.classified["name"].tolist() == ['x<y & "z"'] * 3
    text = report_html(context_of_file(result, "evil.csv", "business_unit"))
    stalls = section_text(text, "stalls")
    assert "(3)</h3>" in stalls
    body = text.split("</head>", 1)[1]  # plotly.js itself (in the head) holds such text
    assert 'x<y' not in body and stalls.count("<td>x&lt;y &amp; &quot;z&quot;</td>") == 3
    assert "<b>" not in body
