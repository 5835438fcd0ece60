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
from tests.test_pages import run_app
from tests.test_stalls_fast import known_portfolio

SHOWN = ["pilot_id", "name", "days_without_progress", "stage", "sponsor", "business_unit", "last_progress",
         "outcome"]


def test_the_first_rows_are_the_first_of_every_stalled_pilot():
    # the known portfolio's stalled pilots: H and I 100 days without progress (by id), E 70, A 60
    classified = known_portfolio()
    shown = [c for c in SHOWN if c in classified]  # no sponsor or business unit there
    order = stalled_order(classified)
    for k in (0, 1, 2, 4, 10):
        table = stalled_pilots(classified, SHOWN, order[:k])
        assert list(table.columns) == shown
        assert list(zip(table["pilot_id"], table["days_without_progress"])) == \
            [("H", 100.0), ("I", 100.0), ("E", 70.0), ("A", 60.0)][:k]


def in_stalled_order(ids: list[str], days: list[float]) -> bool:
    """Longest without progress first, then by pilot id."""
    keys = [(-d, i) for d, i in zip(days, ids)]
    return keys == sorted(keys)


def test_the_first_rows_of_the_sample_are_the_first_of_every_stalled_pilot():
    classified = analyse_file(SAMPLE.read_bytes(), SAMPLE.name).classified
    order = stalled_order(classified)
    everything = stalled_pilots(classified, SHOWN)
    assert len(order) == len(everything) == 31  # COMMON.md: the sample has 31 stalled pilots
    assert sorted(everything["pilot_id"]) == sorted(classified.loc[classified["stalled"], "pilot_id"])
    assert in_stalled_order(everything["pilot_id"].tolist(), everything["days_without_progress"].tolist())
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
    classified = analyse_file(SAMPLE.read_bytes(), SAMPLE.name).classified
    assert len(csv) == 31 and sorted(csv["Pilot ID"]) == sorted(classified.loc[classified["stalled"], "pilot_id"])
    assert in_stalled_order(csv["Pilot ID"].tolist(), csv["Days without progress"].tolist())
    assert csv["Days without progress"].nunique() < 31  # some ties, ordered by id
    assert shown["Pilot ID"].tolist() == csv["Pilot ID"].head(10).tolist()
    assert any("The first 10 of 31 stalled pilots" in c.value for c in at.caption)
    assert "Download these 31 stalled pilots (CSV)" in [b.proto.label for b in at.get("download_button")]
