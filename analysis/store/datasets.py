"""The embedded store: immutable datasets and their pilots in one DuckDB file, and the original bytes
of each upload in a content-addressed file beside it (`uploads/<sha256>`).

One connection per use (`with connect() as con:`); within a process DuckDB shares one database
instance between connections to the same file. Identifiers here are our own hex ids, quoted anyway.
The bytes live outside the database because DuckDB stores a large BLOB slowly (a 175 MB upload took
1.6 s to insert and checkpoint, more than reading it) and keeps it in every copy of the file; a plain
file is written in a tenth of that, and `uploads` keeps its sha, name and size.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import RawTable, read_upload, without_rows
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived
from analysis.memory import release_memory
from analysis.schema import normalise
from analysis.store.backend import DuckRecords, SharedConnection, database_url, pg_records
from analysis.store.paths import data_dir, write_atomically

DB_FILE = "pilots.duckdb"
CACHE_DIR = "cache"  # with a PostgreSQL store: each process's DuckDB copy of the datasets it has read
UPLOADS_DIR = "uploads"  # beside DB_FILE: one file per upload, named by the sha256 of its bytes
MAX_REPORTED_PROBLEMS = 20_000  # a report lists this many; beyond, a million bad cells would bloat every read
_WRITE_LOCK = threading.Lock()  # one writer at a time inside a process; reads run in parallel
_OPEN_LOCK = threading.Lock()  # the store files kept open (_OPEN), and their cursors made

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (sha TEXT PRIMARY KEY, filename TEXT, size BIGINT, content BLOB,
    created TIMESTAMP);
CREATE TABLE IF NOT EXISTS datasets (id TEXT PRIMARY KEY, upload_sha TEXT, name TEXT, created TIMESTAMP,
    auto_mapping BOOLEAN, sheet TEXT, mapping TEXT, stages TEXT, extras TEXT, report TEXT);
CREATE TABLE IF NOT EXISTS header_signatures (upload_sha TEXT, sheet TEXT, signature TEXT,
    PRIMARY KEY (upload_sha, sheet));
CREATE TABLE IF NOT EXISTS saved_mappings (signature TEXT PRIMARY KEY, mapping TEXT, dataset_id TEXT,
    filename TEXT, saved TIMESTAMP);
"""


@dataclass
class DatasetInfo:
    """What the store knows of a dataset beside its pilots."""

    id: str
    name: str
    created: dt.datetime
    upload_sha: str
    mapping: Mapping
    stages: list[str]
    extras: dict[str, str]
    report: dict


# One idle connection per store file keeps its database open for the life of the process, so each use's
# own connection (a cursor of it) attaches in a tenth of a millisecond instead of reopening the file (10-80 ms).
# They are never used for queries: every use still gets a connection of its own from connect().
_OPEN: dict[str, duckdb.DuckDBPyConnection] = {}
_LOCAL: set[tuple[str, str]] = set()  # (cache file, table) already read from PostgreSQL in this process
STORE = "store"  # the name the store file is attached under
# DuckDB writes a table's full row groups to the file while it is being made, on every core, and a part
# group only at COMMIT, on one: at its default of 122,880 rows a 100k-pilot dataset was all part group
# (COMMIT 0.13 s); in groups of 65,536 its CREATE and COMMIT take 0.13 s instead of 0.2 s. Scans are as fast.
ROW_GROUP_ROWS = 65_536


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection | SharedConnection:
    """A new connection to the store, created with its tables when missing. With $PILOTS_DATABASE_URL set,
    the connection is to this process's DuckDB cache of the PostgreSQL store (backend.SharedConnection)."""
    folder = path or data_dir()
    url = database_url()
    file = _store_file(folder, url)
    with _OPEN_LOCK:  # a connection refuses a second call at once, so its cursors are made one at a time
        anchor = _OPEN.get(file)
        if anchor is None:
            Path(file).parent.mkdir(parents=True, exist_ok=True)
            anchor = _OPEN[file] = _attached(file)
            if url is None:
                anchor.execute(SCHEMA)
            else:
                atexit.register(_drop_cache, file)
        con = anchor.cursor()
    con.execute(f"USE {STORE}")
    return con if url is None else SharedConnection(con, pg_records(url), file)


def _attached(file: str) -> duckdb.DuckDBPyConnection:
    """A connection with the store file attached as STORE (in row groups of ROW_GROUP_ROWS) and in use."""
    anchor = duckdb.connect(config={"temp_directory": file + ".tmp"})  # spills beside the file, as when opened
    literal = "'" + file.replace("'", "''") + "'"  # ATTACH takes no parameter; our own path, quoted
    anchor.execute(f"ATTACH {literal} AS {STORE} (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
    anchor.execute(f"USE {STORE}")
    return anchor


def cursor(con) -> duckdb.DuckDBPyConnection:
    """A second connection to the store `con` is on, for the relation API (which wants no pending result):
    DuckDB's cursor() starts on the in-memory database, not the attached store (a connection made without
    the store, as some tests make, stays on the in-memory one)."""
    cur = con.cursor()
    with contextlib.suppress(duckdb.CatalogException):  # no store attached: stay on the in-memory database
        cur.execute(f"USE {STORE}")
    return cur


def quote_ident(name: str) -> str:
    """A name (a column's, a database's) as a quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _store_file(folder: Path, url: str | None) -> str:
    """The embedded store's file, or this process's cache file for a PostgreSQL store: one per process
    (DuckDB lets one process write a file) and per store address."""
    if url is None:
        return str((folder / DB_FILE).resolve())
    tag = hashlib.sha256(url.encode()).hexdigest()[:8]
    return str((folder / CACHE_DIR / f"{socket.gethostname()}-{os.getpid()}-{tag}.duckdb").resolve())


def _drop_cache(file: str) -> None:
    """Remove a process's cache file at exit: it is rebuilt from PostgreSQL on next use."""
    release_file(file)
    for name in (file, file + ".wal"):
        with contextlib.suppress(OSError):
            os.unlink(name)


def release(path: Path | None = None) -> None:
    """Let go of the store file that `connect` keeps open, so another process (an app server started by a
    test, a command) can open it; the next `connect` opens it again."""
    release_file(_store_file(path or data_dir(), database_url()))


def release_file(file: str) -> None:
    with _WRITE_LOCK, _OPEN_LOCK:  # _LOCAL is the writers'; always taken in this order
        anchor = _OPEN.pop(file, None)
        _LOCAL.difference_update({k for k in _LOCAL if k[0] == file})
    if anchor is not None:
        anchor.close()


def records(con) -> DuckRecords:
    """The store's records (datasets, uploads, mappings, snapshots) behind a connection from `connect`."""
    return con.records if isinstance(con, SharedConnection) else DuckRecords(con, _WRITE_LOCK)


def is_shared(con) -> bool:
    """Whether the connection is to a PostgreSQL store (records shared by several processes)."""
    return isinstance(con, SharedConnection)


def table_name(dataset_id: str, kind: str = "p") -> str:
    """Quoted table of a dataset's pilots (p) or rejected rows (r)."""
    if not dataset_id.isalnum():
        raise ValueError("not a dataset id")
    return f'"{kind}_{dataset_id}"'


def pilots_table(con, dataset_id: str, kind: str = "p") -> str:
    """`table_name` of a dataset's pilots (p) or rejected rows (r) on this connection: with a PostgreSQL
    store, read into the process's DuckDB cache on first use (ValueError for a dataset not stored)."""
    name = table_name(dataset_id, kind)
    if isinstance(con, SharedConnection) and (con.cache_file, name) not in _LOCAL:
        _cache_tables(con, dataset_id)
    return name


def _cache_tables(con: SharedConnection, ds: str) -> None:
    """Read a dataset's tables from PostgreSQL (Arrow IPC) into the DuckDB cache, once per process."""
    with _WRITE_LOCK:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name IN (?, ?)",
                                             [f"p_{ds}", f"r_{ds}"]).fetchall()}
        if len(present) < 2:
            blobs = dict(con.records.rows("SELECT kind, data FROM dataset_tables WHERE dataset_id = ?", [ds]))
            if set(blobs) != {"p", "r"}:
                raise ValueError(f"no stored dataset {ds}")
            for kind, blob in blobs.items():
                stored = _from_ipc(blob)  # noqa: F841 (read by DuckDB)
                con.execute(f"CREATE OR REPLACE TABLE {table_name(ds, kind)} AS SELECT * FROM stored")  # noqa: S608
        _LOCAL.update({(con.cache_file, table_name(ds, "p")), (con.cache_file, table_name(ds, "r"))})


def _to_ipc(con, table: str) -> bytes:
    """A DuckDB table as Arrow IPC stream bytes, zstd-compressed (types and row order kept)."""
    with cursor(con) as cur:
        arrow = cur.sql(f"SELECT * FROM {table}").to_arrow_table()  # noqa: S608
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, arrow.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as out:
        out.write_table(arrow)
    return sink.getvalue()


def _from_ipc(blob: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.BufferReader(blob)) as reader:
        return reader.read_all().combine_chunks()


def dataset_id(data: bytes, mapping: Mapping) -> str:
    """Content hash of the bytes and the mapping: the same upload under the same mapping is one dataset."""
    return _dataset_id(hashlib.sha256(data), mapping)


def _dataset_id(upload_hash: hashlib._Hash, mapping: Mapping) -> str:
    """`dataset_id` from the running hash of the bytes (hashing 175 MB again costs 0.1 s)."""
    both = upload_hash.copy()
    both.update(mapping.to_json().encode())
    return both.hexdigest()[:20]


def ingest(con: duckdb.DuckDBPyConnection, data: bytes, filename: str, mapping: Mapping | None = None,
           sheet: str | None = None) -> str:
    """Store an upload and its dataset (reusing both when already stored); returns the dataset id.

    Without a mapping, the mapping saved for exports with the same headers (`remember_mapping`) is
    used when there is one, and the report says so; otherwise every column and value is guessed.

    The bytes are hashed in a thread while they are read (hashlib and Arrow's reader let go of the GIL: 1M
    pilots, 0.08 s less), unless the store holds an upload of the same size, which may be these bytes
    stored before: then the hash comes first, so that their dataset is found without reading them."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(hashlib.sha256, data)
        if mapping is None and _stored_size(con, len(data)):
            found = _stored_as_guessed(con, hashing.result().hexdigest(), sheet)
            if found:
                return found
        raw = read_upload(data, filename, sheet)
        upload_hash = hashing.result()
    sha = upload_hash.hexdigest()
    signature = header_signature(list(raw.cells.columns))
    _remember_signature(con, sha, sheet, signature)
    saved = _saved_for(con, signature) if mapping is None else None
    read_as = replace(raw, cells=without_rows(raw.cells), lines=[], distinct=None)  # the report needs how it was
    kept = contextlib.nullcontext() if is_shared(con) else _kept_meanwhile(_upload_path(con, sha), data)
    with kept:
        derived = derive_upload(raw, saved[0] if saved else mapping, let_go=True)  # read, not its cells or lines
    raw = read_as
    release_memory()  # the cells' memory, for DuckDB to store the pilots in
    if saved:
        derived.notes.insert(0, f"The mapping saved on {saved[1]:%Y-%m-%d} for exports with these headers "
                                f"(from {saved[2]}) was used. Change it below under Mapping.")
    return save(con, data, filename, raw, derived, auto=mapping is None and saved is None,
                mapping_source="saved" if saved else ("user" if mapping is not None else "guessed"),
                upload_hash=upload_hash)


def _stored_size(con, size: int) -> bool:
    """Whether the store holds an upload of `size` bytes (or one of unknown size): only then may an upload
    of that many bytes be stored already."""
    return records(con).one("SELECT 1 FROM uploads WHERE size = ? OR size IS NULL LIMIT 1", [size]) is not None


def _stored_as_guessed(con, sha: str, sheet: str | None) -> str | None:
    """The dataset stored from the upload `sha` (and sheet) under the guessed mapping, unless a mapping is
    saved for its headers (then the upload is derived again under that)."""
    if _saved_for(con, _known_signature(con, sha, sheet)) is not None:
        return None
    found = records(con).one("SELECT id FROM datasets WHERE upload_sha = ? AND auto_mapping AND "
                             "coalesce(sheet, '') = ?", [sha, sheet or ""])
    return found[0] if found else None


@contextlib.contextmanager
def _kept_meanwhile(path: Path, data: bytes) -> Iterator[None]:
    """Write the upload's file (`_keep_file`) in a thread while the body derives the pilots, mostly on one
    core; then `save` finds it written, instead of writing it while DuckDB wants both cores. A file this
    wrote is removed again when the body fails."""
    fresh = not path.exists()
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = pool.submit(_keep_file, path, data)
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError):
                written.result()
                if fresh:
                    path.unlink()
            raise
        written.result()


def header_signature(headers: list[str]) -> str:
    """The same export's headers, whatever their order, case or punctuation, give the same signature."""
    return hashlib.sha256("\x1f".join(sorted(normalise(h) for h in headers)).encode()).hexdigest()[:20]


def _known_signature(con, sha: str, sheet: str | None) -> str | None:
    row = records(con).one("SELECT signature FROM header_signatures WHERE upload_sha = ? AND sheet = ?",
                           [sha, sheet or ""])
    return row[0] if row else None


def _remember_signature(con, sha: str, sheet: str | None, signature: str) -> None:
    records(con).run("INSERT INTO header_signatures VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     [sha, sheet or "", signature])


def _saved_for(con, signature: str | None) -> tuple[Mapping, dt.datetime, str] | None:
    """The mapping saved for a header signature, when it was saved, and the file it was made on."""
    if signature is None:
        return None
    row = records(con).one("SELECT mapping, saved, filename FROM saved_mappings WHERE signature = ?",
                           [signature])
    return (Mapping.from_json(row[0]), row[1], row[2]) if row else None


def remember_mapping(con, ds: str) -> str:
    """Save a dataset's mapping for its export's header signature, so the next upload of the same
    export is mapped the same way; returns the signature."""
    row = records(con).one("SELECT d.mapping, d.name, h.signature FROM datasets d JOIN header_signatures h "
                           "ON h.upload_sha = d.upload_sha AND h.sheet = coalesce(d.sheet, '') WHERE d.id = ?",
                           [ds])
    if row is None:
        raise ValueError(f"no stored dataset {ds} with a known header signature")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    records(con).run("INSERT INTO saved_mappings VALUES (?, ?, ?, ?, ?) ON CONFLICT (signature) DO UPDATE SET "
                     "mapping = excluded.mapping, dataset_id = excluded.dataset_id, filename = excluded.filename, "
                     "saved = excluded.saved", [row[2], row[0], ds, row[1], now])
    return row[2]


def saved_mapping(con, ds: str) -> Mapping | None:
    """The mapping saved for the header signature of a dataset's upload, if any."""
    row = records(con).one("SELECT h.signature FROM datasets d JOIN header_signatures h ON h.upload_sha = "
                           "d.upload_sha AND h.sheet = coalesce(d.sheet, '') WHERE d.id = ?", [ds])
    saved = _saved_for(con, row[0]) if row else None
    return saved[0] if saved else None


def rederive(con, ds: str, mapping: Mapping) -> str:
    """A new dataset from the stored bytes of a dataset's upload under another mapping (no re-upload)."""
    row = records(con).one("SELECT upload_sha, name, sheet FROM datasets WHERE id = ?", [ds])
    data = upload_bytes(con, row[0]) if row else None
    if data is None:
        raise ValueError(f"the upload of dataset {ds} is not stored")
    return ingest(con, data, row[1], mapping=mapping, sheet=row[2])


def raw_table(con, ds: str) -> RawTable | None:
    """The raw cells of a dataset's upload (the mapping editor lists its columns and values)."""
    row = records(con).one("SELECT upload_sha, name, sheet FROM datasets WHERE id = ?", [ds])
    data = upload_bytes(con, row[0]) if row else None
    return read_upload(data, row[1], row[2]) if data is not None else None


def save(con, data: bytes, filename: str, raw: RawTable, derived: Derived, auto: bool,
         mapping_source: str = "guessed", upload_hash: hashlib._Hash | None = None) -> str:
    """Write the upload bytes (a file, see `keep_upload`), then the upload's and the dataset's rows and its
    pilots and rejected tables in one transaction. `upload_hash`: sha256 of `data`, when already known."""
    upload_hash = upload_hash or hashlib.sha256(data)
    ds, sha = _dataset_id(upload_hash, derived.mapping), upload_hash.hexdigest()
    if is_shared(con):
        return _save_shared(con, ds, sha, data, filename, raw, derived, auto, mapping_source)
    with _WRITE_LOCK:
        if con.execute("SELECT 1 FROM datasets WHERE id = ?", [ds]).fetchone():
            return ds
        path = _upload_path(con, sha)
        # The file (which `ingest` has already written while deriving) is written while DuckDB stores the
        # pilots (both let go of the GIL), and is whole before the transaction commits: a committed dataset
        # always has its upload.
        with ThreadPoolExecutor(max_workers=1) as pool:
            written = pool.submit(_keep_file, path, data)
            con.execute("BEGIN TRANSACTION")
            try:
                _insert(con, ds, sha, data, filename, raw, derived, auto, mapping_source)
                written.result()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        _checkpoint(con)
    return ds


def _save_shared(con: SharedConnection, ds, sha, data, filename, raw, derived, auto, mapping_source) -> str:
    """`save` for a PostgreSQL store: the pilots and rejected tables are made in this process's DuckDB
    cache (the types DuckDB gives them are the embedded store's), then the upload with its bytes, the
    dataset's row and both tables as Arrow IPC go to PostgreSQL in one transaction: another process sees
    the whole dataset or none of it, also when this one is killed mid-way (the server rolls back)."""
    if con.records.one("SELECT 1 FROM datasets WHERE id = ?", [ds]):
        return ds
    with _WRITE_LOCK:
        pilots, rejected = _as_arrow(derived.pilots), derived.rejected.astype("str")  # noqa: F841 (read by DuckDB)
        con.execute(f"CREATE OR REPLACE TABLE {table_name(ds)} AS SELECT * FROM pilots")  # noqa: S608
        con.execute(f"CREATE OR REPLACE TABLE {table_name(ds, 'r')} AS SELECT * FROM rejected")  # noqa: S608
        blobs = {"p": _to_ipc(con, table_name(ds)), "r": _to_ipc(con, table_name(ds, "r"))}
        _LOCAL.update({(con.cache_file, table_name(ds, "p")), (con.cache_file, table_name(ds, "r"))})
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with con.records.transaction() as tx:
        tx.run("INSERT INTO uploads VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
               [sha, filename, len(data), data, now])
        tx.run("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
               _dataset_row(ds, sha, filename, now, auto, raw, derived, mapping_source))
        for kind, blob in blobs.items():
            tx.run("INSERT INTO dataset_tables VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [ds, kind, blob])
    return ds


def _dataset_row(ds, sha, filename, now, auto, raw, derived, mapping_source) -> list:
    return [ds, sha, filename, now, auto, raw.sheet, derived.mapping.to_json(), json.dumps(derived.stages),
            json.dumps(derived.extras), json.dumps(report(raw, derived, mapping_source))]


def _checkpoint(con) -> None:
    """Fold the write-ahead log into the database file once a dataset is stored. The app keeps the store
    open, and until DuckDB checkpoints on its own every query of the new dataset reads the log too (at 1M
    pilots the latest date took 6.5 ms instead of 1.5; the checkpoint takes about 7 ms). Best effort: DuckDB
    refuses while another session's transaction runs, and a later checkpoint does it then."""
    with contextlib.suppress(duckdb.Error):
        con.execute("CHECKPOINT")


def _insert(con, ds, sha, data, filename, raw, derived, auto, mapping_source) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("INSERT INTO uploads VALUES (?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING",
                [sha, filename, len(data), now])
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _dataset_row(ds, sha, filename, now, auto, raw, derived, mapping_source))
    pilots, rejected = _as_arrow(derived.pilots), derived.rejected.astype("str")  # noqa: F841 (read by DuckDB)
    # table_name() admits only our own hex ids, quoted: no upload text reaches these statements
    con.execute(f"CREATE TABLE {table_name(ds)} AS SELECT * FROM pilots")  # noqa: S608
    con.execute(f"CREATE TABLE {table_name(ds, 'r')} AS SELECT * FROM rejected")  # noqa: S608


def _as_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table, which DuckDB stores 1.5-2x faster than it scans pandas (same column
    types and values); the frame itself when a column will not convert (mixed Python objects). One chunk
    per column: DuckDB stores a table of several chunks in parallel row groups that its next checkpoint
    rewrites (1 s more for 1M pilots, and a file twice the size)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return frame


def report(raw: RawTable, derived: Derived, mapping_source: str = "guessed") -> dict:
    """The validation report kept with a dataset: counts (rows read = accepted + rejected; for an event
    log the rows are events and `pilots` counts the pilots built), problems, notes, unmapped values,
    how the file was read and where the mapping came from (guessed, saved or user)."""
    problems, notes = derived.problems[:MAX_REPORTED_PROBLEMS], list(derived.notes)
    if len(derived.problems) > len(problems):
        notes.append(f"{len(derived.problems):,} problems were found; the first {len(problems):,} are listed. "
                     "Every rejected row is in the rejected-rows download.")
    return {"rows": derived.row_counts(), "pilots": len(derived.pilots), "shape": derived.shape,
            "mapping_source": mapping_source, "problems_total": len(derived.problems),
            "problems": problems, "notes": notes, "unmapped_values": derived.unmapped,
            "encoding": raw.encoding, "delimiter": raw.delimiter, "header_line": raw.header_line,
            "sheet": raw.sheet, "sheets": raw.sheets, "confidence": derived.mapping.confidence,
            "evidence": derived.mapping.evidence, "recognised": derived.mapping.recognised,
            "lifecycle": derived.mapping.lifecycle}


def dataset_info(con, ds: str) -> DatasetInfo | None:
    """The dataset's metadata, or None for an unknown id."""
    row = records(con).one("SELECT id, name, created, upload_sha, mapping, stages, extras, report FROM datasets "
                           "WHERE id = ?", [ds])
    if row is None:
        return None
    mapping = Mapping.from_json(row[4])
    report_ = json.loads(row[7])
    mapping.confidence = report_.get("confidence", {})
    mapping.evidence = report_.get("evidence", {})
    mapping.recognised, mapping.lifecycle = report_.get("recognised"), report_.get("lifecycle")
    return DatasetInfo(row[0], row[1], row[2], row[3], mapping, json.loads(row[5]), json.loads(row[6]),
                       report_)


def list_datasets(con) -> pd.DataFrame:
    """Columns: id, name, created, rows_read, accepted, rejected — newest first."""
    if not is_shared(con):
        return con.execute(
            "SELECT id, name, created, CAST(json_extract(report, '$.rows.read') AS BIGINT) AS rows_read, "
            "CAST(json_extract(report, '$.rows.accepted') AS BIGINT) AS accepted, "
            "CAST(json_extract(report, '$.rows.rejected') AS BIGINT) AS rejected "
            "FROM datasets ORDER BY created DESC").df()
    rows = con.records.rows(
        "SELECT id, name, created, CAST(report::json -> 'rows' ->> 'read' AS BIGINT), "
        "CAST(report::json -> 'rows' ->> 'accepted' AS BIGINT), CAST(report::json -> 'rows' ->> 'rejected' AS BIGINT) "
        "FROM datasets ORDER BY created DESC")
    frame = pd.DataFrame(rows, columns=["id", "name", "created", "rows_read", "accepted", "rejected"])
    return frame.astype({"id": "str", "name": "str", "created": "datetime64[us]", "rows_read": "int64",
                         "accepted": "int64", "rejected": "int64"})


def upload_bytes(con, sha: str) -> bytes | None:
    """The original bytes of an upload (kept so a mapping change re-derives without re-uploading); None
    when the store has no such upload, or its file is gone or does not hash to its name. Stores made
    before the bytes moved to files hold them in `uploads.content`."""
    row = records(con).one("SELECT content FROM uploads WHERE sha = ?", [sha])
    if row is None:
        return None
    if row[0] is not None:
        data = bytes(row[0])
        return data if hashlib.sha256(data).hexdigest() == sha else None
    try:
        data = _upload_path(con, sha).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha else None


def keep_upload(con, sha: str, data: bytes) -> None:
    """Write an upload's bytes to `uploads/<sha>` beside the database, unless a file of that name is
    there: written to a temporary file, flushed to disk, then renamed, so a crash leaves either no file
    or the whole one (a file left by a failed transaction is reused by the next upload of the same bytes)."""
    if is_shared(con):
        _upload_path(None, sha)  # the same check of the name
        con.records.run("UPDATE uploads SET content = ? WHERE sha = ? AND content IS NULL", [data, sha])
        return
    _keep_file(_upload_path(con, sha), data)


def _keep_file(path: Path, data: bytes) -> None:
    """`keep_upload` once its path is known."""
    if path.exists() and path.stat().st_size == len(data):
        return
    write_atomically(path, data)


def _upload_path(con, sha: str) -> Path:
    """Where an upload's bytes live: the uploads folder beside the connection's database file."""
    if not all(c in "0123456789abcdef" for c in sha) or len(sha) != 64:
        raise ValueError("not an upload sha")
    if con is None:
        return Path(UPLOADS_DIR) / sha
    (file,) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(file).parent / UPLOADS_DIR / sha


def rejected_rows(con, ds: str) -> pd.DataFrame:
    """The rejected rows of a dataset: row, reason, then the source cells as read."""
    return con.execute(f"SELECT * FROM {pilots_table(con, ds, 'r')} ORDER BY CAST(row AS BIGINT)").df()  # noqa: S608
