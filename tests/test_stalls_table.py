"""The stalled pilots' table takes only the rows it shows (pages.common.pilot_table with `everything`):
the first rows equal the first rows of every stalled pilot, the caption and the download count all of
them, and the download (made on click) has all of them in order."""

from __future__ import annotations

import io

import pandas as pd
from streamlit.testing.v1 import AppTest

from analysis.cli.summary import analyse_file
from analysis.metrics.stalls import stalled_order, stalled_pilots
from pages import common
from pages.shared import render
from tests.conftest import SAMPLE
from tests.reference_stalls import stalled_pilots as reference_stalled
from tests.test_pages import run_app

SHOWN = ["pilot_id", "name", "days_without_progress", "stage", "sponsor", "business_unit", "last_progress",
         "outcome"]


def test_the_first_rows_are_the_first_of_every_stalled_pilot():
    classified = analyse_file(SAMPLE.read_bytes(), SAMPLE.name).classified
    order = stalled_order(classified)
    everything = reference_stalled(classified)[SHOWN]
    assert len(order) == len(everything) == 31  # COMMON.md: the sample has 31 stalled pilots
    for k in (0, 1, 10, 31, 1000):
        pd.testing.assert_frame_equal(stalled_pilots(classified, SHOWN, order[:k]), everything.head(k))


def _table_script() -> None:
    import pandas as pd

    from pages.common import pilot_table

    frame = pd.DataFrame({"pilot_id": [f"P{i}" for i in range(5)], "stage": "poc"})
    pilot_table(frame.head(2), key="t", everything=lambda: frame, total=5)


def test_a_table_of_the_first_rows_counts_and_downloads_every_row(monkeypatch):
    monkeypatch.setattr(render, "TABLE_ROWS", 2)
    at = AppTest.from_function(_table_script).run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Pilot ID"].tolist() == ["P0", "P1"]
    assert "The first 2 of 5 pilots" in at.caption[0].value
    assert at.get("download_button")[0].proto.label == "Download these 5 pilots (CSV)"


def test_the_stalls_page_shows_the_first_rows_and_downloads_all_in_order(monkeypatch):
    made = {}
    real = common.st.download_button

    def download_button(label, data, **kwargs):
        made[kwargs.get("key")] = data  # the deferred download: called here as a click would
        return real(label, data, **kwargs)

    monkeypatch.setattr(render, "TABLE_ROWS", 10)
    monkeypatch.setattr(common.st, "download_button", download_button)
    at = run_app("pages/stalls.py")
    assert not at.exception, at.exception
    shown = next(t.value for t in at.dataframe if "Days without progress" in t.value.columns)
    csv = pd.read_csv(io.BytesIO(made["dl_stalled"]()))
    expected = reference_stalled(analyse_file(SAMPLE.read_bytes(), SAMPLE.name).classified)
    assert csv["Pilot ID"].tolist() == expected["pilot_id"].tolist() and len(csv) == 31
    assert shown["Pilot ID"].tolist() == expected["pilot_id"].head(10).tolist()
    assert any("The first 10 of 31 stalled pilots" in c.value for c in at.caption)
    assert "Download these 31 stalled pilots (CSV)" in [b.proto.label for b in at.get("download_button")]
