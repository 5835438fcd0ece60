"""The HTML report (analysis/cli/report.py and `python -m analysis report`): self-contained, escaped, and holding
the numbers of the summary for the same filters."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from builders import analysed, make_portfolio, pilot
from conftest import SAMPLE

from analysis.__main__ import main
from analysis.cli.report import SECTIONS, ReportContext, context_of_file, report_html, source_of_dataset
from analysis.cli.summary import analyse_file, summary
from analysis.metrics.outcomes import classify
from analysis.store import datasets as store
from analysis.store.queries import Filters, load_pilots
from analysis.store.snapshots import Snapshot, ViewState

AS_OF = dt.date(2026, 10, 31)  # the sample's as-of date (its latest date)


class ReportReader(HTMLParser):
    """What a reader of the report sees: KPI tiles by key, the numbers block, script sources, all text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tiles: dict[str, str] = {}
        self.numbers: dict = {}
        self.script_sources: list[str] = []
        self.links: list[str] = []  # every src= and href= of the page's elements (not of text inside scripts)
        self.scripts = 0
        self.text: list[str] = []
        self._in: tuple[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [v for k, v in attrs.items() if k in ("src", "href")]
        if tag == "script":
            self.scripts += 1
            if "src" in attrs:
                self.script_sources.append(attrs["src"])
            if attrs.get("id") == "report-numbers":
                self._in = ("numbers", "")
        elif "data-kpi" in attrs:
            self._in = ("tile", attrs["data-kpi"])

    def handle_data(self, data):
        if self._in and self._in[0] == "tile":
            self.tiles[self._in[1]] = data
        elif self._in and self._in[0] == "numbers":
            self.numbers = json.loads(data)
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        self._in = None


def summary_numbers(result: dict) -> dict:
    """The summary's numbers in the report's terms."""
    outcomes = result["outcomes"]
    return {"pilots": result["pilots"], "reached_production": outcomes["production"] + outcomes["retired"],
            "cancelled": outcomes["cancelled"], "stalled": outcomes["stalled"], "outcomes": outcomes,
            "funnel": result["funnel"], "failure_causes": result["failure_causes"],
            "time_to_production": result["time_to_production"]}


def report_numbers_of(reader: ReportReader) -> dict:
    return {k: reader.numbers[k] for k in ["pilots", "reached_production", "cancelled", "stalled", "outcomes",
                                           "funnel", "failure_causes", "time_to_production"]}


@pytest.fixture(scope="module")
def sample_report() -> tuple[str, dict]:
    """The report of the whole sample from its file, and the summary of the same file."""
    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    return report_html(context_of_file(result, SAMPLE.name, "sourcing")), summary(result)


def test_report_holds_the_numbers_of_the_summary(sample_report):
    text, result = sample_report
    reader = ReportReader(text)
    assert report_numbers_of(reader) == summary_numbers(result)
    # what the reader sees on the tiles (the sample's known story: 600 pilots, 148 production + 8 retired,
    # 287 cancelled, 31 stalled)
    assert {k: reader.tiles[k] for k in ["pilots", "reached_production", "cancelled", "stalled"]} == \
        {"pilots": "600", "reached_production": "156", "cancelled": "287", "stalled": "31"}


def test_report_shows_every_funnel_count_and_section(sample_report):
    text, result = sample_report
    body = " ".join(ReportReader(text).text)
    table = re.search(r"<h2>Funnel</h2>.*?<tbody>(.*?)</tbody>", text).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row)[:2] for row in table.split("</tr>") if row]
    assert cells == [[label, f"{s['reached']:,}"] for label, s in
                     zip(["Intake", "Scoping", "Proof of concept", "Pilot", "Production"], result["funnel"])]
    for heading in ["Overview", "Funnel", "Funnel by sourcing", "Why pilots are cancelled",
                    "Failure rates by segment", "Where pilots stall", "Time to production", "Cohorts", "Definitions",
                    "Where the data came from"]:
        assert f"<h2>{heading}</h2>" in text, heading
    assert "sample_portfolio.csv" in body and "Rows read" in body


def test_report_opens_offline(sample_report):
    text, _ = sample_report
    reader = ReportReader(text)
    assert reader.script_sources == [], "no script is fetched from anywhere"
    assert reader.links == [], "no element loads or links anything"
    assert "Plotly.newPlot" in text and len(text) > 3_000_000, "plotly.js is inline (several MB)"
    charts = ["fig-funnel", "fig-funnel-steps", "fig-funnel-by", "fig-causes", "fig-cause-stage", "fig-spend",
              "fig-failure-rates", "fig-stage-time", "fig-cohort-triangle", "fig-incidence", "fig-forecast", "fig-published-rates", "fig-aging"]
    assert text.count('class="chart"') == len(charts)
    assert all(re.search(rf'Plotly\.newPlot\(\s*"{c}"', text) for c in charts), "each chart is drawn by the inline library"


def test_report_for_the_same_filters_matches_the_summary_of_those_pilots_alone(tmp_path: Path):
    # Independent reference: the summary of a file holding only Finance's rows, cut from the sample by pandas.
    rows = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    finance = rows[rows["Business Unit"] == "Finance"]
    buffer = io.StringIO()
    finance.to_csv(buffer, index=False)
    reference = summary(analyse_file(buffer.getvalue().encode(), "finance.csv", as_of=AS_OF))
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        info = store.dataset_info(con, ds)
        state = ViewState(Filters({"business_unit": ("Finance",)}), AS_OF, 90, "sourcing")
        pilots = classify(load_pilots(con, ds, state.filters, info.extras), info.stages, AS_OF, 90)
    text = report_html(ReportContext(pilots, info.stages, state, source_of_dataset(info), info.extras))
    reader = ReportReader(text)
    assert reference["pilots"] == len(finance) > 0
    assert report_numbers_of(reader) == summary_numbers(reference)
    assert reader.tiles["pilots"] == f"{len(finance):,}"
    assert "Business unit: Finance" in " ".join(reader.text)


def test_text_from_uploads_and_snapshots_is_escaped():
    evil = "<script>alert(1)</script>"
    rows = [pilot(i, business_unit=evil if i % 2 else "Ops", status="Cancelled", failure_cause=f"</script>{evil}")
            for i in range(1, 9)]
    result = analysed(rows)
    snap = Snapshot("A" * 32, "0" * 20, "", ViewState(Filters(), result.as_of, 90, "business_unit"),
                    f"Title {evil}", "Note <img src=x onerror=alert(2)>", dt.datetime(2026, 1, 1), None, False)
    ctx = context_of_file(result, f"{evil}.csv", "business_unit")
    text = report_html(ReportContext(ctx.classified, ctx.stages, snap.state, ctx.source, ctx.extras, snap))
    reader = ReportReader(text)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, "shown, as text"
    assert reader.numbers["pilots"] == 8, "the numbers block survives a cause that says </script>"
    assert reader.script_sources == []


def test_empty_selection_still_makes_a_report():
    result = analysed(3)
    ctx = context_of_file(result, "three.csv")
    empty = ReportContext(ctx.classified.iloc[0:0], ctx.stages, ctx.state, ctx.source)
    reader = ReportReader(report_html(empty))
    assert reader.numbers["pilots"] == 0 and "No pilots match these filters." in reader.text


def test_sections_are_a_list_the_report_follows():
    result = analysed(3)
    ctx = context_of_file(result, "three.csv")
    only = [SECTIONS[0], SECTIONS[-1]]
    text = report_html(ctx, only)
    assert "<h2>Where the data came from</h2>" in text and "<h2>Funnel</h2>" not in text


def test_command_line_writes_the_report(tmp_path: Path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(SAMPLE), "-o", str(out), "--as-of", "2026-10-31", "--stall-days", "60"]) == 0
    assert main(["summary", str(SAMPLE), "--as-of", "2026-10-31", "--stall-days", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    reader = ReportReader(out.read_text(encoding="utf-8"))
    assert report_numbers_of(reader) == summary_numbers(result)
    assert reader.numbers["stall_days"] == 60 and reader.numbers["as_of"] == "2026-10-31"


def test_command_line_report_of_an_unreadable_file_fails_plainly(tmp_path: Path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"%PDF-1.7 binary")
    assert main(["report", str(bad), "-o", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {bad}:")
    assert not (tmp_path / "r.html").exists()


def test_make_portfolio_report_breakdown_by_an_absent_dimension_is_left_out():
    result = analyse_file(make_portfolio(4), "four.csv")
    text = report_html(context_of_file(result, "four.csv", "x_not_there"))
    assert "Funnel by" not in text and "<h2>Funnel</h2>" in text
