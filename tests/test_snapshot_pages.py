"""Snapshot links, live links and hostile query strings in the app (AppTest), and the sidebar's share and
report controls on every page.

Links are opened as a browser opens a pasted link: straight on their page (`open_link`), which in AppTest
takes the same path as the first link opened on a fresh server. AppTest cannot change a sidebar widget
after that (its reruns leave app.py out), so leaving a snapshot by changing a filter is tested in the
browser (test_browser_snapshots.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import SAMPLE
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block
from test_pages import APP, PAGES, upload

from analysis.store import datasets as store
from analysis.store import snapshots
from analysis.store.queries import Filters
from analysis.store.snapshots import ViewState
from pages.common import NOT_AVAILABLE

# The sample's HR unit (4 pilots) with a 60-day stall threshold, broken down by sourcing, taken on the funnel.
HR = ViewState(Filters({"business_unit": ("HR",)}), dt.date(2026, 10, 31), 60, "sourcing")
HR_LIVE = {"bu": "HR", "stall": "60", "by": "Sourcing"}  # the same view as a live link


def sample_id() -> str:
    with store.connect() as con:
        return store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)


def make_snapshot(state: ViewState = HR, page: str = "funnel", title: str = "Q3 review", note: str = "HR only",
                  expires: dt.datetime | None = None, now: dt.datetime | None = None) -> snapshots.Snapshot:
    """A snapshot stored the way the sidebar's form stores one."""
    with store.connect() as con:
        return snapshots.create(con, sample_id(), state, page, title, note, expires, now)


def open_link(page: str = "pages/overview.py", query: dict | None = None, url: str | None = None) -> AppTest:
    """The app opened on a link to a page with a query string (and, optionally, the browser's address)."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if url:
        at.context["url"] = url
    at.switch_page(page)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def rendered(at: AppTest) -> list[tuple[str, object]]:
    """Every element the run drew, main body and sidebar, as (kind, value)."""
    return [(type(n).__name__, getattr(n, "value", None)) for part in (at.main, at.sidebar) for n in part
            if not isinstance(n, Block)]


def texts(at: AppTest) -> str:
    """The text of every element that renders markdown or text (tables show cells as plain text anyway)."""
    return "\n".join(str(v) for kind, v in rendered(at) if kind != "Dataframe")


# ------------------------------------------------------------------ snapshot links

@pytest.mark.parametrize("page", PAGES)
def test_snapshot_link_shows_the_frozen_view_on_every_page(page):
    snap = make_snapshot()
    at = open_link(page, {"snapshot": snap.token})
    assert not at.exception, at.exception
    assert at.title, "the page renders under the banner"
    banner = at.info[0].value
    assert banner.startswith("**Snapshot: Q3 review**") and "sample\\_portfolio.csv" in banner
    assert banner.endswith("HR only")
    assert at.multiselect(key="snap_bu").value == ["HR"], "filters show their frozen values"
    assert at.selectbox(key="snap_by").value == "sourcing" and at.number_input(key="snap_stall").value == 60
    assert at.date_input(key="snap_asof").value == dt.date(2026, 10, 31)
    assert dict(at.query_params) == {"snapshot": snap.token}, "page switches keep the snapshot in the URL"


def test_snapshot_has_the_numbers_of_the_same_live_link():
    live = open_link(query=HR_LIVE)
    frozen = open_link(query={"snapshot": make_snapshot().token})
    assert metrics(frozen) == metrics(live)
    assert (metrics(frozen)["Pilots"], metrics(frozen)["Cancelled"]) == ("4", "2")


def test_snapshot_keeps_its_numbers_after_an_upload_of_other_data(federal_bytes):
    snap = make_snapshot(page="")
    before = open_link(query={"snapshot": snap.token})
    new_ds = upload(federal_bytes)
    assert new_ds != snap.dataset_id
    assert metrics(open_link(query={"ds": new_ds}))["Pilots"] == "710", "the upload is the live data now"
    after = open_link(query={"snapshot": snap.token})
    assert metrics(after) == metrics(before) and metrics(after)["Pilots"] == "4"


def test_snapshot_wins_over_live_parameters_in_the_same_link():
    snap = make_snapshot(page="")
    at = open_link(query={"snapshot": snap.token, "bu": "Finance", "ds": "nonsense", "stall": "400"})
    assert metrics(at)["Pilots"] == "4" and dict(at.query_params) == {"snapshot": snap.token}


def bad_tokens() -> dict[str, str]:
    expired = make_snapshot(expires=dt.datetime(2026, 1, 2), now=dt.datetime(2026, 1, 1)).token
    revoked = make_snapshot().token
    with store.connect() as con:
        snapshots.revoke(con, revoked)
    return {"garbage": "garbage", "unknown": snapshots.new_token(), "expired": expired, "revoked": revoked,
            "sql": "' OR 1=1 --", "html": "<script>alert(1)</script>", "huge": "A" * 100_000, "empty": ""}


def test_unknown_expired_and_revoked_links_get_one_plain_message_and_nothing_else():
    seen = {}
    for case, token in bad_tokens().items():
        at = open_link(query={"snapshot": token})
        assert not at.exception, (case, at.exception)
        seen[case] = rendered(at)
    assert all(r == [("Info", NOT_AVAILABLE)] for r in seen.values()), seen


@pytest.mark.parametrize("page", PAGES)
def test_a_bad_link_shows_only_the_message_on_every_page(page):
    at = open_link(page, {"snapshot": snapshots.new_token()})
    assert rendered(at) == [("Info", NOT_AVAILABLE)]


def test_snapshot_titles_and_notes_are_shown_as_text():
    snap = make_snapshot(page="", title="<script>alert(1)</script> [click](https://evil.example) ![x](https://t.example/p.png)",
                         note=":red[loud] **bold** <img src=x onerror=alert(2)>")
    banner = open_link(query={"snapshot": snap.token}).info[0].value
    # every markdown and HTML character is backslash-escaped: no tag, link, image or directive survives
    assert "<script>" not in banner and "](https" not in banner and "![" not in banner and "**bold**" not in banner
    assert "\\<script\\>alert\\(1\\)\\</script\\>" in banner and "\\:red\\[loud\\]" in banner


def links_of(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.code]


def test_the_link_is_absolute_from_the_browser_address_or_the_public_url(monkeypatch):
    snap = make_snapshot()
    at = open_link("pages/funnel.py", {"snapshot": snap.token}, url="http://dash.internal:8501/apps/pilots/funnel")
    assert links_of(at) == [f"http://dash.internal:8501/apps/pilots/funnel?snapshot={snap.token}"]
    monkeypatch.setenv("PILOTS_PUBLIC_URL", "https://pilots.example.org/")
    at = open_link(query={"snapshot": snap.token})
    assert links_of(at) == [f"https://pilots.example.org/funnel?snapshot={snap.token}"]


# ------------------------------------------------------------------ the sidebar on every page

@pytest.mark.parametrize("page", PAGES)
def test_every_page_offers_share_and_report(page):
    for query in ({}, {"snapshot": make_snapshot().token}):
        at = open_link(page, query)
        assert [b.label for b in at.sidebar.download_button] == ["Download report"], query
        assert "Share snapshot" in [e.label for e in at.sidebar.expander], query


def test_snapshots_page_lists_and_revokes():
    snap = make_snapshot(title="To be revoked")
    at = open_link("pages/snapshots.py")
    table = at.dataframe[0].value
    row = table[table["title"] == "To be revoked"].iloc[0]
    assert (row["page"], row["status"], row["link"]) == ("Funnel", "Active", f"/funnel?snapshot={snap.token}")
    at.selectbox(key="revoke_choice").set_value(snap.token)
    at.checkbox(key="revoke_sure").check().run()
    at.button(key="revoke").click().run()
    assert not at.exception, at.exception
    assert "Revoked “To be revoked" in at.success[0].value
    with store.connect() as con:
        assert snapshots.open_snapshot(con, snap.token) is None
    assert rendered(open_link(query={"snapshot": snap.token})) == [("Info", NOT_AVAILABLE)]


# ------------------------------------------------------------------ live links and hostile query strings

HOSTILE = {
    "sql in ds": {"ds": "' OR 1=1 --"},
    "sql in a filter": {"bu": "x' OR '1'='1"},
    "html in a filter": {"bu": "<script>alert(1)</script>", "uc": "<img src=x onerror=alert(1)>"},
    "unknown keys": {"foo": "bar", "__proto__": "x", "eval": "__import__('os')"},
    "huge values": {"bu": "A" * 100_000, "ds": "B" * 100_000, "by": "C" * 100_000},
    "bad dates": {"from": "not-a-date", "to": "2024-13-45", "asof": "9999-99-99"},
    "bad numbers": {"stall": "1e400"},
    "negative stall": {"stall": "-5"},
    "sql in breakdown": {"by": "'; DROP TABLE datasets; --"},
    "pickle-like": {"ds": "gASVCAAAAAAAAACMBHBvc2l4lC4=", "snapshot_state": "cos\nsystem\n(S'id'\ntR."},
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_query_strings_get_a_clean_page(case):
    at = open_link(query=HOSTILE[case])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert metrics(at)["Pilots"] == "600", "invalid values are ignored: the whole sample is shown"
    text = texts(at)
    assert "<script>" not in text and "<img" not in text and "DROP TABLE" not in text
    for key in ("bu", "uc", "by", "from", "to", "asof"):
        assert key not in at.query_params, f"the invalid {key} is dropped from the URL"
    with store.connect() as con:  # and the store is intact
        assert sample_id() in set(store.list_datasets(con)["id"])


@pytest.mark.parametrize("page", PAGES)
def test_hostile_query_strings_on_every_page(page):
    query = {"ds": "' OR 1=1 --", "bu": "<script>alert(1)</script>", "snapshot_x": "1", "stall": "A" * 100_000}
    at = open_link(page, query)
    assert not at.exception, at.exception
    assert at.title and "<script>" not in texts(at)


def test_a_live_link_holds_dataset_filters_and_settings():
    at = open_link("pages/funnel.py", {"bu": ["Finance", "IT"], "stall": "45", "by": "Sourcing",
                                            "asof": "2026-06-30"})
    params = {k: at.query_params[k] for k in at.query_params}
    assert params["ds"] == sample_id() and params["stall"] == "45" and params["by"] == "Sourcing"
    assert params["asof"] == "2026-06-30" and at.multiselect(key="bu").value == ["Finance", "IT"]
    assert at.selectbox(key="by").value == "sourcing"
