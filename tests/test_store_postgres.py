"""The PostgreSQL store with several writer processes: 20 at once lose nothing, a writer killed in the middle
of an upload leaves no half dataset, and what one process stores another reads (its own DuckDB cache)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from analysis.store import backend, snapshots
from analysis.store import datasets as store
from analysis.store.queries import Filters, load_pilots
from bench.portfolios import portfolio_frame, write_csv
from tests.builders import make_portfolio

WRITER = Path(__file__).with_name("store_writer.py")
WRITERS = 20


def _env(tmp_path: Path, n: int, url: str) -> dict:
    return {**os.environ, backend.URL_VARIABLE: url, "PILOTS_DATA_DIR": str(tmp_path / f"w{n}")}


def test_twenty_writer_processes_at_once_lose_nothing(tmp_path, pg_url):
    procs = [subprocess.Popen([sys.executable, str(WRITER), str(n)], env=_env(tmp_path, n, pg_url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(WRITERS)]
    outcomes = [p.communicate(timeout=240) for p in procs]
    errors = [(p.returncode, err[-800:]) for p, (_, err) in zip(procs, outcomes) if p.returncode != 0]
    assert errors == []
    made = [json.loads(out) for out, _ in outcomes]
    assert [m["pilots"] for m in made] == [n + 5 for n in range(WRITERS)]
    with store.connect(tmp_path / "reader") as con:  # another process's view: a cache of its own
        assert sorted(store.list_datasets(con)["id"]) == sorted(m["dataset"] for m in made)
        for m in made:
            snap = snapshots.open_snapshot(con, m["token"])
            assert snap is not None and snap.owner == f"writer{m['writer']}@example.org"
            pilots = load_pilots(con, m["dataset"], snap.state.filters, {})
            assert len(pilots) == m["pilots"] and set(pilots["business_unit"]) == {f"W{m['writer']}"}


def _in_transaction(url: str, pid_of_server: list[int]) -> bool:
    """Whether a writer's server process is inside its upload transaction (an INSERT of it under way)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL "
                            "AND query LIKE 'INSERT INTO %%'").fetchall()
    pid_of_server[:] = [r[0] for r in rows]
    return bool(rows)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 (our table names)
                for t in ("uploads", "datasets", "dataset_tables")}


def test_a_writer_killed_in_the_middle_of_an_upload_leaves_no_half_dataset(tmp_path, pg_url):
    big = write_csv(portfolio_frame(150_000), tmp_path / "big.csv")  # ~25 MB: its transaction lasts long enough
    with store.connect(tmp_path / "reader") as con:
        pass  # the tables exist before the writer starts
    writer = subprocess.Popen([sys.executable, str(WRITER), "1", str(big)], env=_env(tmp_path, 1, pg_url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    servers: list[int] = []
    deadline = time.monotonic() + 120
    while not _in_transaction(pg_url, servers):
        assert writer.poll() is None, "the writer finished before it was caught in its transaction"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    while _in_transaction(pg_url, servers):  # the server notices the closed connection and rolls back
        time.sleep(0.05)
    assert _counts(pg_url) == {"uploads": 0, "datasets": 0, "dataset_tables": 0}
    with store.connect(tmp_path / "reader") as con:
        assert store.list_datasets(con).empty
        data = big.read_bytes()
        ds = store.ingest(con, data, "big.csv")  # and the same upload is stored whole the next time
        assert store.upload_bytes(con, hashlib.sha256(data).hexdigest()) == data
    assert _counts(pg_url) == {"uploads": 1, "datasets": 1, "dataset_tables": 2}
    with store.connect(tmp_path / "another") as other:
        assert len(load_pilots(other, ds, Filters(), {})) == 150_000


def test_a_failure_inside_the_transaction_stores_nothing(tmp_path, pg_url, monkeypatch):
    real = backend.PgRecords.run

    def failing(self, sql, params=()):
        if sql.startswith("INSERT INTO dataset_tables"):
            raise RuntimeError("the connection dropped")
        return real(self, sql, params)

    with store.connect(tmp_path) as con:
        monkeypatch.setattr(backend.PgRecords, "run", failing)
        with pytest.raises(RuntimeError):
            store.ingest(con, make_portfolio(4), "four.csv")
        monkeypatch.undo()
        assert _counts(pg_url) == {"uploads": 0, "datasets": 0, "dataset_tables": 0}
        ds = store.ingest(con, make_portfolio(4), "four.csv")
        assert len(load_pilots(con, ds, Filters(), {})) == 4


def test_another_process_reads_a_dataset_into_its_own_cache(tmp_path, pg_url):
    data = make_portfolio(6, Business_Unit="Ops")
    with store.connect(tmp_path / "one") as first:
        ds = store.ingest(first, data, "six.csv")
        mine = load_pilots(first, ds, Filters(), {})
    with store.connect(tmp_path / "two") as second:
        theirs = load_pilots(second, ds, Filters(), {})
        cache = Path(second.cache_file)
    assert theirs.equals(mine) and list(theirs.dtypes) == list(mine.dtypes)
    assert cache.parent == tmp_path / "two" / store.CACHE_DIR and cache.exists()
    with store.connect(tmp_path / "two") as second, pytest.raises(ValueError, match="no stored dataset"):
        load_pilots(second, "0123456789abcdef0123", Filters(), {})


def test_upload_bytes_live_in_the_database_and_are_checked_against_their_hash(tmp_path, pg_url):
    data = make_portfolio(3)
    sha = hashlib.sha256(data).hexdigest()
    with store.connect(tmp_path) as con:
        store.ingest(con, data, "p.csv")
        assert not (tmp_path / store.UPLOADS_DIR).exists()
        assert store.upload_bytes(con, sha) == data
        store.records(con).run("UPDATE uploads SET content = ? WHERE sha = ?", [b"changed", sha])
        assert store.upload_bytes(con, sha) is None
