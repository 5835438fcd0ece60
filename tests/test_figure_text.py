"""Text from uploads in charts is shown, never read as plotly markup (plotly renders <a href>, <b>, <br>
in titles, labels and legends: a segment named like a link would become a live link in the chart)."""

from __future__ import annotations

import pandas as pd
from builders import analysed, pilot

from analysis.figures.base import plotly_text
from analysis.figures.causes import causes_figure, rate_text
from analysis.figures.funnel import funnel_by_figure, funnel_title
from analysis.metrics.causes import cause_counts
from analysis.metrics.funnel import funnel_by

LINK = '<a href="https://evil.example">Finance</a>'
ESCAPED = '&lt;a href="https://evil.example"&gt;Finance&lt;/a&gt;'


def test_plotly_text_escapes_markup_and_keeps_plain_text():
    assert plotly_text(LINK) == ESCAPED
    assert plotly_text("R&D <br> 5 > 3") == "R&amp;D &lt;br&gt; 5 &gt; 3"
    assert plotly_text("Finance") == "Finance"


def hostile() -> pd.DataFrame:
    # Ingest strips HTML tags from cells; the figures must be safe on their own, so the markup is put
    # straight into the classified frame, as any other path to a figure could.
    rows = [pilot(i, business_unit="Finance" if i % 2 else "Ops", status="Cancelled", failure_cause="odd")
            for i in range(1, 7)]
    c = analysed(rows).classified
    c["business_unit"] = c["business_unit"].replace("Finance", LINK)
    c["failure_cause"] = "other (<b>odd</b>)"
    return c


def test_segment_names_in_the_funnel_by_segment_are_text():
    c = hostile()
    fig = funnel_by_figure(funnel_by(c, ["intake", "scoping", "poc", "pilot", "production"], "business_unit"),
                           "Business unit")
    names = [t.name for t in fig.data]
    assert f"{ESCAPED} (n=3)" in names and not any("<a" in n for n in names)
    assert "<a" not in fig.layout.title.text


def test_cause_labels_from_the_upload_are_text():
    fig = causes_figure(cause_counts(hostile()))
    assert list(fig.data[0].y) == ["other (&lt;b&gt;odd&lt;/b&gt;)"]
    assert "<b>" not in fig.layout.title.text


def test_the_funnel_title_groups_thousands_as_its_bars_do():
    funnel = pd.DataFrame({"stage": ["intake", "pilot", "production"], "reached": [1_000_000, 428_563, 245_990]})
    assert funnel_title(funnel) == ("245,990 of 1,000,000 pilots (25%) reached production; the biggest drop "
                                    "is into pilot")


def test_counts_in_chart_text_are_grouped_in_thousands():
    assert rate_text(41_790, 70_000, 0.59, 0.60).startswith("41,790 of 70,000 (60%")
