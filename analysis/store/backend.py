"""Where the store's records live: the embedded DuckDB file (default) or a PostgreSQL server shared by several
app processes (`PILOTS_DATABASE_URL=postgresql://...`).

The records are what every process must see alike: uploads (with their bytes, in PostgreSQL), datasets'
metadata, header signatures, saved mappings, snapshots, and each dataset's pilots and rejected rows as one
Arrow IPC blob (zstd) written in the same transaction as the dataset's row, so a writer killed mid-upload
leaves no half dataset. DuckDB stays the engine that computes over a dataset's pilots: with PostgreSQL each
process keeps a DuckDB file of its own (`cache/<host>-<pid>.duckdb` in the data directory) into which a
dataset's blob is read on first use, and every query of queries.py runs there as it does on the embedded
store. Why not the pilots as a PostgreSQL table read by each query: the views read columns by position and
code text in SQL (queries.text_codes, rowid order) tens of times per page; over the network through
PostgreSQL's row format a million rows take seconds, where a DuckDB table answers in milliseconds.

Statements are written once with `?` placeholders in SQL both engines take (`ON CONFLICT`, `RETURNING`);
`Records.dialect` picks the few that differ. Parameters are always bound (psycopg's server-side binding).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import duckdb

URL_VARIABLE = "PILOTS_DATABASE_URL"
POOL_IDLE = 8  # idle PostgreSQL connections kept per process; more are opened when sessions overlap
SCHEMA_LOCK = 7_240_515  # advisory lock key: one process at a time creates the tables

PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (sha TEXT PRIMARY KEY, filename TEXT, size BIGINT, content BYTEA,
    created TIMESTAMP);
ALTER TABLE uploads ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS datasets (id TEXT PRIMARY KEY, upload_sha TEXT REFERENCES uploads (sha), name TEXT,
    created TIMESTAMP, auto_mapping BOOLEAN, sheet TEXT, mapping TEXT, stages TEXT, extras TEXT, report TEXT);
CREATE TABLE IF NOT EXISTS dataset_tables (dataset_id TEXT NOT NULL REFERENCES datasets (id), kind TEXT NOT NULL,
    data BYTEA NOT NULL, PRIMARY KEY (dataset_id, kind));
ALTER TABLE dataset_tables ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS header_signatures (upload_sha TEXT, sheet TEXT, signature TEXT,
    PRIMARY KEY (upload_sha, sheet));
CREATE TABLE IF NOT EXISTS saved_mappings (signature TEXT PRIMARY KEY, mapping TEXT, dataset_id TEXT,
    filename TEXT, saved TIMESTAMP);
CREATE TABLE IF NOT EXISTS snapshots (token TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES datasets (id),
    page TEXT NOT NULL, state TEXT NOT NULL, title TEXT NOT NULL, note TEXT NOT NULL, created TIMESTAMP NOT NULL,
    expires TIMESTAMP, revoked BOOLEAN NOT NULL DEFAULT FALSE, owner TEXT, revoke_key TEXT);
CREATE INDEX IF NOT EXISTS snapshots_owner ON snapshots (owner);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_revoke_key ON snapshots (revoke_key);
"""


def database_url() -> str | None:
    """The PostgreSQL store's address ($PILOTS_DATABASE_URL), or None for the embedded DuckDB file."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    return url or None


class DuckRecords:
    """The records in the embedded DuckDB file, on the caller's own connection."""

    dialect = "duckdb"
    shared = False

    def __init__(self, con: duckdb.DuckDBPyConnection, lock: threading.Lock):
        self.con, self.lock = con, lock

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        return self.con.execute(sql, list(params)).fetchone()

    def run(self, sql: str, params: list | tuple = ()) -> None:
        with self.lock:
            self.con.execute(sql, list(params))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DuckRecords]:
        """One transaction on this connection; the process's store lock is held throughout, so `run` inside
        must not take it again (it is given a lock-free view)."""
        with self.lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield _Unlocked(self.con)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise


class _Unlocked(DuckRecords):
    def __init__(self, con: duckdb.DuckDBPyConnection):
        super().__init__(con, contextlib.nullcontext())  # type: ignore[arg-type]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DuckRecords]:
        yield self


class PgRecords:
    """The records in PostgreSQL: a small pool of connections per process (psycopg 3, autocommit), each
    statement on a connection of its own unless inside `transaction()`, which holds one for its thread."""

    dialect = "postgres"
    shared = True

    def __init__(self, url: str):
        self.url = url
        self._idle: list = []
        self._pool_lock = threading.Lock()
        self._local = threading.local()
        with self.transaction() as tx:
            tx.run("SELECT pg_advisory_xact_lock(?)", [SCHEMA_LOCK])
            tx._conn.execute(PG_SCHEMA)

    @contextlib.contextmanager
    def _borrow(self) -> Iterator:
        import psycopg

        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, autocommit=True)
        try:
            yield conn
        except BaseException:
            conn.close()  # a failed statement may leave it mid-protocol: never hand it on
            raise
        with self._pool_lock:
            if len(self._idle) < POOL_IDLE and not conn.closed:
                self._idle.append(conn)
                conn = None
        if conn is not None:
            conn.close()

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        return self._fetch(sql, params, all_rows=True)

    def one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        return self._fetch(sql, params, all_rows=False)

    def run(self, sql: str, params: list | tuple = ()) -> None:
        self._fetch(sql, params, all_rows=None)

    def _fetch(self, sql, params, all_rows):
        text = sql.replace("%", "%%").replace("?", "%s")
        held = getattr(self._local, "tx", None)
        if held is not None:
            return _result(held.execute(text, list(params)), all_rows)
        with self._borrow() as conn:
            return _result(conn.execute(text, list(params)), all_rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PgRecords]:
        """One transaction on one connection for this thread: committed when the block ends, rolled back
        when it raises (and by the server when the process dies before the end)."""
        if getattr(self._local, "tx", None) is not None:
            yield self
            return
        with self._borrow() as conn, conn.transaction():
            self._local.tx = conn
            try:
                yield self
            finally:
                self._local.tx = None

    @property
    def _conn(self):
        return self._local.tx

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _result(cursor, all_rows):
    if all_rows is None or cursor.description is None:
        return None
    return cursor.fetchall() if all_rows else cursor.fetchone()


_PG: dict[str, PgRecords] = {}
_PG_LOCK = threading.Lock()


def pg_records(url: str) -> PgRecords:
    """The process's records object for a PostgreSQL store (tables created on first use)."""
    with _PG_LOCK:
        if url not in _PG:
            _PG[url] = PgRecords(url)
        return _PG[url]


def close_pg(url: str | None = None) -> None:
    """Close the pooled connections to one PostgreSQL store (every store when None)."""
    with _PG_LOCK:
        urls = [url] if url else list(_PG)
        for u in urls:
            records = _PG.pop(u, None)
            if records is not None:
                records.close()


class SharedConnection:
    """A process's DuckDB cache connection for a PostgreSQL store: every DuckDB method of the connection
    (queries.py runs on it unchanged), and `records`, the shared records behind it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, records: PgRecords, cache_file: str):
        self._con, self.records, self.cache_file = con, records, cache_file

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self) -> SharedConnection:
        return self

    def __exit__(self, *exc) -> None:
        self._con.close()

    def close(self) -> None:
        self._con.close()
