"""Snapshots in the store (analysis/store/snapshots.py): tokens, round trip, revoke, expiry, concurrency, kept data."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
from pathlib import Path

import duckdb
import psycopg
import pytest
from builders import make_portfolio, pilot
from conftest import SAMPLE

from analysis.metrics.outcomes import classify
from analysis.metrics.overview import kpis
from analysis.store import datasets as store
from analysis.store import snapshots
from analysis.store.queries import Filters, load_pilots
from analysis.store.snapshots import ViewState

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL

T0 = dt.datetime(2026, 11, 1, 9, 30)
HR_SOURCING = ViewState(Filters({"business_unit": ("HR",)}), dt.date(2026, 10, 31), 60, "sourcing")


@pytest.fixture
def con(tmp_path: Path):
    """A store of its own holding the sample portfolio (id in con.sample)."""
    with store.connect(tmp_path) as connection:
        yield connection


@pytest.fixture
def sample_id(con) -> str:
    return store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)


def numbers(con, snap: snapshots.Snapshot) -> tuple:
    """The Overview numbers a snapshot shows, computed the way the app does (store -> filters -> outcomes)."""
    info = store.dataset_info(con, snap.dataset_id)
    pilots = load_pilots(con, snap.dataset_id, snap.state.filters, info.extras)
    k = kpis(classify(pilots, info.stages, snap.state.as_of, snap.state.stall_days), info.stages, snap.state.as_of)
    return k.pilots, k.reached_production, k.cancelled, k.stalled


def test_tokens_have_192_random_bits_in_the_url_safe_alphabet():
    tokens = {snapshots.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    # 24 bytes of base64url without padding: 32 characters of 6 bits each = 192 bits (at least 128 asked)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    alphabet = set("".join(tokens))
    assert len(alphabet) == 64, "2000 tokens use every character of the base64url alphabet"


def test_tokens_come_from_the_secrets_module(con, sample_id, monkeypatch):
    calls = []
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: calls.append(n) or "A" * 32)
    snap = snapshots.create(con, sample_id, HR_SOURCING, "funnel", "From secrets")
    assert snap.token == "A" * 32 and calls == [snapshots.TOKEN_BYTES] * 2 and snapshots.TOKEN_BYTES * 8 >= 128  # link, revoke key


def test_round_trip_gives_back_the_view_and_the_same_numbers(con, sample_id):
    snap = snapshots.create(con, sample_id, HR_SOURCING, "/funnel/", "  Q3 review ", "HR only", now=T0)
    reopened = snapshots.open_snapshot(con, snap.token, now=T0 + dt.timedelta(days=31))
    assert reopened == snap
    assert (reopened.page, reopened.title, reopened.note, reopened.created) == ("funnel", "Q3 review", "HR only", T0)
    assert reopened.state == HR_SOURCING and reopened.dataset_id == sample_id
    # The sample's HR unit: 4 pilots, none reached production, 2 cancelled (test_pages checks 4 from the URL)
    assert numbers(con, reopened)[:3] == (4, 0, 2)


def test_the_same_numbers_after_a_new_upload_of_other_data(con, sample_id):
    snap = snapshots.create(con, sample_id, HR_SOURCING, "", "Before the next upload")
    before = numbers(con, snap)
    other = make_portfolio([pilot(i, business_unit="HR", status="Cancelled") for i in range(1, 40)])
    other_id = store.ingest(con, other, "sample_portfolio.csv")  # same file name, other bytes
    assert other_id != sample_id
    reopened = snapshots.open_snapshot(con, snap.token)
    assert reopened.dataset_id == sample_id and numbers(con, reopened) == before


def test_view_state_json_round_trip_keeps_dates_none_and_order():
    state = ViewState(Filters({"use_case": ("b", "a"), "sourcing": ("buy",)}, dt.date(2024, 1, 2), None),
                      None, 90, None)
    text = state.to_json()
    assert ViewState.from_json(text) == state
    assert '"start_from": "2024-01-02"' in text and '"as_of": null' in text


def test_revoked_snapshot_opens_nothing_and_is_listed_as_revoked(con, sample_id):
    snap = snapshots.create(con, sample_id, HR_SOURCING, "", "To revoke")
    assert snapshots.revoke(con, snap.token) is True
    assert snapshots.revoke(con, snap.token) is False, "already revoked"
    assert snapshots.open_snapshot(con, snap.token) is None
    assert snapshots.stored_snapshot(con, snap.token).revoked
    listed = snapshots.list_snapshots(con).set_index("token")
    assert listed.loc[snap.token, "status"] == "revoked"


def test_expired_snapshot_opens_nothing_from_its_expiry_on(con, sample_id):
    expires = T0 + dt.timedelta(days=7)
    snap = snapshots.create(con, sample_id, HR_SOURCING, "", "A week", expires=expires, now=T0)
    assert snapshots.open_snapshot(con, snap.token, now=expires - dt.timedelta(seconds=1)) == snap
    assert snapshots.open_snapshot(con, snap.token, now=expires) is None
    assert snapshots.list_snapshots(con, now=expires).set_index("token").loc[snap.token, "status"] == "expired"
    with pytest.raises(ValueError, match="future"):
        snapshots.create(con, sample_id, HR_SOURCING, "", "Born expired", expires=T0, now=T0)


@pytest.mark.parametrize("token", ["", "garbage", "' OR 1=1 --", "A" * 21, "A" * 32, "A" * 100_000,
                                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;", None, 42])
def test_unknown_or_malformed_tokens_open_nothing(con, sample_id, token):
    snapshots.create(con, sample_id, HR_SOURCING, "", "Exists")
    assert snapshots.open_snapshot(con, token) is None
    assert snapshots.revoke(con, token) is False


@pytest.mark.parametrize("title, note, message", [("", "", "title"), ("   ", "", "title"),
                                                  ("x" * (snapshots.TITLE_MAX + 1), "", "title"),
                                                  ("ok", "n" * (snapshots.NOTE_MAX + 1), "note")])
def test_titles_and_notes_are_checked(con, sample_id, title, note, message):
    with pytest.raises(ValueError, match=message):
        snapshots.create(con, sample_id, HR_SOURCING, "", title, note)


def test_a_snapshot_needs_a_stored_dataset(con):
    with pytest.raises(ValueError, match="unknown dataset"):
        snapshots.create(con, "0123456789abcdef0123", HR_SOURCING, "", "Nothing behind it")


def test_a_dataset_that_a_snapshot_uses_cannot_be_deleted(con, sample_id):
    snap = snapshots.create(con, sample_id, HR_SOURCING, "", "Keeps its data")
    snapshots.revoke(con, snap.token)  # even a revoked snapshot keeps its dataset (it is still listed)
    assert snapshots.datasets_in_use(con) == {sample_id}
    with pytest.raises((duckdb.ConstraintException, psycopg.errors.ForeignKeyViolation)):
        store.records(con).run("DELETE FROM datasets WHERE id = ?", [sample_id])
    assert store.dataset_info(con, sample_id) is not None


def test_twenty_threads_creating_snapshots_at_once_lose_none(tmp_path, sample_id):
    start = threading.Barrier(20)
    made, failed = [], []

    def create(i: int) -> None:
        start.wait()
        try:
            with store.connect(tmp_path) as own:  # one connection per thread, as the app's sessions have
                made.append(snapshots.create(own, sample_id, HR_SOURCING, "funnel", f"Snapshot {i}"))
        except Exception as exc:  # noqa: BLE001 (collected and reported by the assertion)
            failed.append(repr(exc))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == [] and len({s.token for s in made}) == 20
    with store.connect(tmp_path) as con:
        listed = snapshots.list_snapshots(con)
        assert sorted(listed["title"]) == sorted(f"Snapshot {i}" for i in range(20))
        assert all(snapshots.open_snapshot(con, s.token) == s for s in made)


def test_list_columns_and_order(con, sample_id):
    first = snapshots.create(con, sample_id, HR_SOURCING, "", "First", now=T0)
    second = snapshots.create(con, sample_id, HR_SOURCING, "funnel", "Second", now=T0 + dt.timedelta(hours=1))
    listed = snapshots.list_snapshots(con, now=T0 + dt.timedelta(hours=2))
    assert list(listed.columns) == snapshots.LIST_COLUMNS
    assert list(listed["token"]) == [second.token, first.token], "newest first"
    assert list(listed["dataset_name"]) == [SAMPLE.name] * 2 and list(listed["status"]) == ["active"] * 2
