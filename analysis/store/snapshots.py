"""Snapshots: a frozen view (dataset, filters, settings, page) behind an unguessable link token.

A snapshot names an immutable dataset, so reopening it gives the same numbers whatever is uploaded
later; the foreign key on `dataset_id` makes the store refuse to delete a dataset a snapshot uses.
Tokens come from `secrets` (192 bits): links cannot be guessed or enumerated. `open_snapshot` answers
None alike for a malformed, unknown, expired or revoked token, so a link reveals nothing about which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from analysis.store.datasets import is_shared, records
from analysis.store.queries import Filters

TOKEN_BYTES = 24  # 192 bits of randomness; the design asks for at least 128
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")  # token_urlsafe's alphabet; anything else is no token
TITLE_MAX = 200  # characters; a title is a line in a list, not a document
NOTE_MAX = 2000
_WRITE_LOCK = threading.Lock()  # one snapshot writer at a time inside a process

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (token TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES datasets (id),
    page TEXT NOT NULL, state TEXT NOT NULL, title TEXT NOT NULL, note TEXT NOT NULL, created TIMESTAMP NOT NULL,
    expires TIMESTAMP, revoked BOOLEAN NOT NULL DEFAULT FALSE, owner TEXT, revoke_key TEXT);
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS owner TEXT;
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS revoke_key TEXT;
"""
_READY: set[str] = set()  # embedded store files whose snapshots table this process has made or brought up to date


@dataclass(frozen=True)
class ViewState:
    """What a view shows besides its dataset: filters, as-of date, stall threshold, breakdown."""

    filters: Filters
    as_of: dt.date | None
    stall_days: int
    breakdown: str | None = None
    compare: str | None = None  # what the page compares with (Changes: its earlier upload, "ds:<id>"/"snap:<token>")

    def to_json(self) -> str:
        """JSON text as stored with a snapshot (keys sorted, so equal states give equal text; `compare` only
        when set, so a state without it has the text it always had)."""
        state = {"filters": self.filters.to_dict(), "stall_days": self.stall_days,
                 "as_of": self.as_of.isoformat() if self.as_of else None, "breakdown": self.breakdown}
        return json.dumps(state | ({"compare": self.compare} if self.compare else {}), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ViewState:
        """Inverse of to_json."""
        raw = json.loads(text)
        as_of = dt.date.fromisoformat(raw["as_of"]) if raw.get("as_of") else None
        compare = raw.get("compare")
        return cls(Filters.from_dict(raw.get("filters") or {}), as_of, int(raw["stall_days"]),
                   raw.get("breakdown"), compare if isinstance(compare, str) else None)


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot. `page` is the url path of the page it was taken on ("" = the default page)."""

    token: str
    dataset_id: str
    page: str
    state: ViewState
    title: str
    note: str
    created: dt.datetime
    expires: dt.datetime | None
    revoked: bool
    owner: str | None = None  # who made it (an e-mail, or "local" without sign-in); None: made before owners
    revoke_key: str | None = field(default=None, compare=False)  # only on the Snapshot `create` returns: the store keeps its sha256 alone

    def status(self, now: dt.datetime | None = None) -> str:
        """active, expired or revoked."""
        if self.revoked:
            return "revoked"
        if self.expires is not None and self.expires <= (now or utc_now()):
            return "expired"
        return "active"


def utc_now() -> dt.datetime:
    """The current time as naive UTC, as the store keeps times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_token() -> str:
    """A fresh link token: TOKEN_BYTES random bytes from `secrets`, URL-safe base64 without padding."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token_shaped(text: object) -> bool:
    """Whether a value could be a token at all (checked before it goes near the store)."""
    return isinstance(text, str) and TOKEN_PATTERN.fullmatch(text) is not None


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """The embedded store makes its snapshots table on first use, once per process and file, adding the
    owner columns to a table made before them (a PostgreSQL store has them from the start)."""
    if is_shared(con):
        return
    (file,) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if file not in _READY:
        con.execute(SCHEMA)
        _READY.add(file)


def key_hash(key: str) -> str:
    """What the store keeps of a revoke key (sha256): a stolen store gives no working key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(con: duckdb.DuckDBPyConnection, dataset_id: str, state: ViewState, page: str, title: str,
           note: str = "", expires: dt.datetime | None = None, now: dt.datetime | None = None,
           owner: str | None = None) -> Snapshot:
    """Store a snapshot of a view, owned by `owner`, and return it with its revoke key (shown to the owner
    once; `revoke_with_key` revokes with it, Grafana's delete key); ValueError for an empty or overlong
    title or note, an expiry not in the future, or an unknown dataset."""
    title, note, created = title.strip(), note.strip(), now or utc_now()
    if not title or len(title) > TITLE_MAX or len(note) > NOTE_MAX:
        raise ValueError(f"a snapshot needs a title of 1 to {TITLE_MAX} characters and a note of at most "
                         f"{NOTE_MAX}")
    if expires is not None and expires <= created:
        raise ValueError("the expiry must be in the future")
    snap = Snapshot(new_token(), dataset_id, page.strip("/"), state, title, note, created, expires, False, owner,
                    new_token())
    with _WRITE_LOCK:
        _ensure_table(con)
        if not records(con).one("SELECT 1 FROM datasets WHERE id = ?", [dataset_id]):
            raise ValueError("unknown dataset")
        records(con).run("INSERT INTO snapshots (token, dataset_id, page, state, title, note, created, expires, "
                         "revoked, owner, revoke_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [snap.token, snap.dataset_id, snap.page, state.to_json(), snap.title, snap.note,
                          snap.created, snap.expires, False, owner, key_hash(snap.revoke_key)])
    return snap


COLUMNS = "token, dataset_id, page, state, title, note, created, expires, revoked, owner"


def _from_row(row: tuple) -> Snapshot:
    token, dataset_id, page, state, title, note, created, expires, revoked, owner = row
    return Snapshot(token, dataset_id, page, ViewState.from_json(state), title, note, created, expires,
                    bool(revoked), owner)


def stored_snapshot(con: duckdb.DuckDBPyConnection, token: str) -> Snapshot | None:
    """The stored snapshot of a token whatever its status, or None."""
    if not is_token_shaped(token):
        return None
    _ensure_table(con)
    row = records(con).one(f"SELECT {COLUMNS} FROM snapshots WHERE token = ?", [token])  # noqa: S608
    return _from_row(row) if row else None


def open_snapshot(con: duckdb.DuckDBPyConnection, token: str, now: dt.datetime | None = None) -> Snapshot | None:
    """The snapshot a link opens: None alike for a malformed, unknown, expired or revoked token."""
    snap = stored_snapshot(con, token)
    return snap if snap is not None and snap.status(now) == "active" else None


def revoke(con: duckdb.DuckDBPyConnection, token: str) -> bool:
    """Revoke a snapshot for good; True when a snapshot that was not yet revoked is revoked now."""
    if not is_token_shaped(token):
        return False
    with _WRITE_LOCK:
        _ensure_table(con)
        done = records(con).rows("UPDATE snapshots SET revoked = TRUE WHERE token = ? AND NOT revoked "
                                 "RETURNING token", [token])
    return bool(done)


def revoke_with_key(con: duckdb.DuckDBPyConnection, key: str) -> Snapshot | None:
    """Revoke the snapshot whose revoke key this is (no sign-in needed: the key is the owner's); the
    snapshot revoked now, or None for a malformed or unknown key or one already revoked."""
    if not is_token_shaped(key):
        return None
    with _WRITE_LOCK:
        _ensure_table(con)
        row = records(con).one(f"UPDATE snapshots SET revoked = TRUE WHERE revoke_key = ? AND NOT revoked "  # noqa: S608
                               f"RETURNING {COLUMNS}", [key_hash(key)])
    return _from_row(row) if row else None


LIST_COLUMNS = ["token", "title", "note", "page", "dataset_id", "dataset_name", "created", "expires", "status",
                "owner"]


def list_snapshots(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None,
                   owner: str | None = None) -> pd.DataFrame:
    """Every snapshot (only those `owner` owns, when given), newest first. Columns: LIST_COLUMNS (status:
    active, expired or revoked)."""
    _ensure_table(con)
    cols = ", ".join(f"s.{c}" for c in COLUMNS.split(", "))
    where, params = ("WHERE s.owner = ?", [owner]) if owner is not None else ("", [])
    rows = records(con).rows(f"SELECT {cols}, d.name FROM snapshots s JOIN datasets d ON d.id = s.dataset_id "  # noqa: S608
                             f"{where} ORDER BY s.created DESC, s.token", params)
    snaps = [(_from_row(r[:10]), r[10]) for r in rows]
    return pd.DataFrame([{"token": s.token, "title": s.title, "note": s.note, "page": s.page,
                          "dataset_id": s.dataset_id, "dataset_name": name, "created": s.created,
                          "expires": s.expires, "status": s.status(now), "owner": s.owner} for s, name in snaps],
                        columns=LIST_COLUMNS)


def datasets_in_use(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Ids of the datasets that some snapshot uses (revoked and expired ones included): never delete these."""
    _ensure_table(con)
    return {r[0] for r in records(con).rows("SELECT DISTINCT dataset_id FROM snapshots")}
