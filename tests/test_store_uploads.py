"""An upload's bytes are kept in a content-addressed file beside the database (uploads/<sha256>), written
to a temporary file and renamed; the store's functions read them as they read the old BLOB column."""

from __future__ import annotations

import hashlib
import os

import pytest

from analysis.ingest.mapping import Mapping
from analysis.store import datasets as store
from tests.builders import make_portfolio

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only; PostgreSQL keeps bytes in uploads.content (test_store_postgres.py)
def test_the_bytes_are_a_file_named_by_their_hash_and_read_back(tmp_path):
    data = make_portfolio(5)
    sha = hashlib.sha256(data).hexdigest()
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, data, "p.csv")
        assert store.dataset_info(con, ds).upload_sha == sha
        assert con.execute("SELECT filename, size, content FROM uploads").fetchall() == [("p.csv", len(data), None)]
        assert store.upload_bytes(con, sha) == data
        assert store.raw_table(con, ds).cells.shape == (5, 19)
        other = store.rederive(con, ds, Mapping(columns={"name": "Sponsor"}))
    assert other != ds
    assert (tmp_path / "uploads" / sha).read_bytes() == data
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [sha]  # no temporary file left


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only; PostgreSQL keeps bytes in uploads.content (test_store_postgres.py)
def test_a_changed_or_missing_file_is_no_upload(tmp_path):
    data = make_portfolio(3)
    sha = hashlib.sha256(data).hexdigest()
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, data, "p.csv")
        (tmp_path / "uploads" / sha).write_bytes(data.replace(b"P001", b"P999"))
        assert store.upload_bytes(con, sha) is None
        with pytest.raises(ValueError, match="is not stored"):
            store.rederive(con, ds, Mapping())
        (tmp_path / "uploads" / sha).unlink()
        assert store.upload_bytes(con, sha) is None and store.raw_table(con, ds) is None
        assert store.upload_bytes(con, "0" * 64) is None


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only; PostgreSQL keeps bytes in uploads.content (test_store_postgres.py)
def test_uploading_the_same_bytes_again_writes_the_file_again_only_when_it_is_wrong(tmp_path):
    data = make_portfolio(3)
    path = tmp_path / "uploads" / hashlib.sha256(data).hexdigest()
    with store.connect(tmp_path) as con:
        store.ingest(con, data, "p.csv")
        os.utime(path, ns=(0, 0))
        store.ingest(con, data, "p.csv", mapping=Mapping(columns={"name": "Sponsor"}))
        assert path.stat().st_mtime_ns == 0  # kept: it is whole
        path.write_bytes(b"cut")
        store.ingest(con, data, "p.csv", mapping=Mapping(columns={"name": "Business Unit"}))
        assert path.read_bytes() == data


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only; PostgreSQL keeps bytes in uploads.content (test_store_postgres.py)
def test_stores_made_before_the_move_still_give_their_bytes(tmp_path):
    data = make_portfolio(2)
    sha = hashlib.sha256(data).hexdigest()
    with store.connect(tmp_path) as con:
        con.execute("INSERT INTO uploads VALUES (?, 'old.csv', ?, ?, now())", [sha, len(data), data])
        assert store.upload_bytes(con, sha) == data


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # upload files: embedded store only; PostgreSQL keeps bytes in uploads.content (test_store_postgres.py)
def test_a_write_that_fails_leaves_neither_the_file_nor_a_temporary_one(tmp_path, monkeypatch):
    def full_disk(fd):
        raise OSError(28, "No space left on device")

    data = make_portfolio(2)
    with store.connect(tmp_path) as con:
        monkeypatch.setattr(os, "fsync", full_disk)
        with pytest.raises(OSError, match="No space"):
            store.ingest(con, data, "p.csv")
        monkeypatch.undo()
        assert list((tmp_path / "uploads").iterdir()) == []
        assert con.execute("SELECT count(*) FROM uploads").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
        ds = store.ingest(con, data, "p.csv")  # and the next try stores it
        assert store.upload_bytes(con, store.dataset_info(con, ds).upload_sha) == data


def test_an_upload_sha_is_checked_before_it_names_a_file(tmp_path):
    with store.connect(tmp_path) as con, pytest.raises(ValueError, match="not an upload sha"):
        store.keep_upload(con, "../../etc/passwd", b"x")
