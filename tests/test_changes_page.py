"""The Changes page (AppTest): two stored uploads compared, groups counted and listed, rates in a sentence."""

from __future__ import annotations

from builders import make_portfolio
from streamlit.testing.v1 import AppTest
from test_changes import EARLIER, LATER
from test_pages import APP

from analysis.store import datasets as store


def stored(rows: list[dict], name: str) -> str:
    with store.connect() as con:
        return store.ingest(con, make_portfolio(rows), name)


def open_changes(ds: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ds"] = ds
    at.switch_page("pages/changes.py")
    return at.run()


def test_the_page_compares_two_uploads():
    earlier, later = stored(EARLIER, "q2.csv"), stored(LATER, "q4.csv")
    at = open_changes(later)
    assert not at.exception, at.exception
    at.selectbox(key="changes_earlier").set_value(f"ds:{earlier}").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # each upload's own as-of date (its latest date): q2 2024-06-01, q4 2024-11-01
    assert {k: metrics[k] for k in ("New", "Gone", "Advanced a stage", "Reached production", "Cancelled")} == {
        "New": "4", "Gone": "1", "Advanced a stage": "2", "Reached production": "1", "Cancelled": "1"}
    assert "6 pilots in both uploads; 4 new, 1 gone" in at.markdown[0].value
    at.radio(key="changes_group").set_value("advanced").run()
    table = at.dataframe[0].value
    assert sorted(table["Pilot ID"]) == ["P001", "P003"]
    assert list(table.loc[table["Pilot ID"] == "P003", "Stage now"]) == ["Production"]
    at.radio(key="changes_group").set_value("cancelled").run()  # stage and cause come coded: shown as text
    table = at.dataframe[0].value
    assert table["Pilot ID"].tolist() == ["P004"] and table["Stage then"].tolist() == ["Proof of concept"]
    assert table["Failure cause"].tolist() == ["Data quality or availability"]
    assert [str(c) for c in at.dataframe[1].value["cause"]] == ["Data quality or availability"]
    assert any("Production rate (of all pilots): 12% (1 of 8" in m.value for m in at.markdown)
    assert any("AI-0007" in str(d.value.values.tolist()) for d in at.dataframe)


def test_the_page_says_when_the_uploads_share_no_pilot():
    earlier = stored([{**EARLIER[0], "Pilot ID": "X-1"}, {**EARLIER[1], "Pilot ID": "X-2"}], "other.csv")
    at = open_changes(stored(LATER, "q4.csv"))
    at.selectbox(key="changes_earlier").set_value(f"ds:{earlier}").run()
    assert not at.exception, at.exception
    assert any("No pilot ID of one upload is in the other" in w.value for w in at.warning)


def test_a_snapshot_of_the_page_keeps_its_earlier_upload():
    import datetime as dt

    from analysis.store import snapshots
    from analysis.store.queries import Filters
    from analysis.store.snapshots import ViewState

    earlier, later = stored(EARLIER, "q2.csv"), stored(LATER, "q4.csv")
    state = ViewState(Filters(), dt.date(2024, 12, 31), 90, None, f"ds:{earlier}")
    assert ViewState.from_json(state.to_json()) == state
    assert "compare" not in ViewState(Filters(), None, 90).to_json()  # older states keep their text
    with store.connect() as con:
        snap = snapshots.create(con, later, state, "changes", "Q4 review", "", None)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["snapshot"] = snap.token
    at.switch_page("pages/changes.py")
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="snap_changes_earlier")
    assert box.disabled and box.value == f"ds:{earlier}"
    metrics = {m.label: m.value for m in at.metric}
    # as of 2024-12-31 (the snapshot's), P002 has stalled since June; the earlier upload at its own 2024-06-01
    assert (metrics["New"], metrics["Gone"], metrics["Newly stalled"], metrics["Back from a stall"]) == ("4", "1", "1", "1")


def test_the_reported_ids_download_as_csv():
    earlier, later = stored(EARLIER, "q2.csv"), stored(LATER, "q4.csv")
    at = open_changes(later)
    at.selectbox(key="changes_earlier").set_value(f"ds:{earlier}").run()
    labels = [b.label for b in at.get("download_button")]
    assert "Download the 1 ID written differently (CSV)" in labels and "Download the 2 repeated IDs (CSV)" in labels
    assert "Download these 4 pilots (CSV)" in labels  # the group shown first: New
