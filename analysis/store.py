"""The embedded store: uploads (original bytes), immutable datasets and their pilots, in one DuckDB file.

One connection per use (`with connect() as con:`); within a process DuckDB shares one database
instance between connections to the same file. Identifiers here are our own hex ids, quoted anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from analysis.ingest import RawTable, read_upload
from analysis.mapping import Mapping, complete_mapping
from analysis.validate import Derived, derive

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "store"
DB_FILE = "pilots.duckdb"
_WRITE_LOCK = threading.Lock()  # one writer at a time inside a process; reads run in parallel

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (sha TEXT PRIMARY KEY, filename TEXT, size BIGINT, content BLOB,
    created TIMESTAMP);
CREATE TABLE IF NOT EXISTS datasets (id TEXT PRIMARY KEY, upload_sha TEXT, name TEXT, created TIMESTAMP,
    auto_mapping BOOLEAN, sheet TEXT, mapping TEXT, stages TEXT, extras TEXT, report TEXT);
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


def data_dir() -> Path:
    """The data directory: $PILOTS_DATA_DIR, default data/store/ in the checkout."""
    return Path(os.environ.get("PILOTS_DATA_DIR") or DEFAULT_DIR)


# One idle connection per store file keeps its database open for the life of the process, so each use's
# own connection attaches to it in a tenth of a millisecond instead of reopening the file (10-80 ms).
# They are never used for queries: every use still gets a connection of its own from connect().
_OPEN: dict[str, duckdb.DuckDBPyConnection] = {}


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A new connection to the store, created with its tables when missing."""
    folder = path or data_dir()
    file = str((folder / DB_FILE).resolve())
    if file not in _OPEN:
        with _WRITE_LOCK:
            if file not in _OPEN:
                folder.mkdir(parents=True, exist_ok=True)
                anchor = duckdb.connect(file)
                anchor.execute(SCHEMA)
                _OPEN[file] = anchor
    return duckdb.connect(file)


def table_name(dataset_id: str, kind: str = "p") -> str:
    """Quoted table of a dataset's pilots (p) or rejected rows (r)."""
    if not dataset_id.isalnum():
        raise ValueError("not a dataset id")
    return f'"{kind}_{dataset_id}"'


def dataset_id(data: bytes, mapping: Mapping) -> str:
    """Content hash of the bytes and the mapping: the same upload under the same mapping is one dataset."""
    return hashlib.sha256(data + mapping.to_json().encode()).hexdigest()[:20]


def ingest(con: duckdb.DuckDBPyConnection, data: bytes, filename: str, mapping: Mapping | None = None,
           sheet: str | None = None) -> str:
    """Store an upload and its dataset (reusing both when already stored); returns the dataset id."""
    sha = hashlib.sha256(data).hexdigest()
    if mapping is None:
        found = con.execute("SELECT id FROM datasets WHERE upload_sha = ? AND auto_mapping AND "
                            "coalesce(sheet, '') = coalesce(?, '')", [sha, sheet]).fetchone()
        if found:
            return found[0]
    raw = read_upload(data, filename, sheet)
    full = complete_mapping(mapping, raw.cells)
    derived = derive(raw, full)
    return save(con, data, filename, raw, derived, auto=mapping is None)


def save(con, data: bytes, filename: str, raw: RawTable, derived: Derived, auto: bool) -> str:
    """Write the upload bytes, the dataset row and its pilots and rejected tables in one transaction."""
    ds = dataset_id(data, derived.mapping)
    sha = hashlib.sha256(data).hexdigest()
    with _WRITE_LOCK:
        if con.execute("SELECT 1 FROM datasets WHERE id = ?", [ds]).fetchone():
            return ds
        con.execute("BEGIN TRANSACTION")
        try:
            _insert(con, ds, sha, data, filename, raw, derived, auto)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return ds


def _insert(con, ds, sha, data, filename, raw, derived, auto) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [sha, filename, len(data), data, now])
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ds, sha, filename, now, auto, raw.sheet, derived.mapping.to_json(),
                 json.dumps(derived.stages), json.dumps(derived.extras), json.dumps(report(raw, derived))])
    pilots, rejected = _as_arrow(derived.pilots), derived.rejected.astype("str")  # noqa: F841 (read by DuckDB)
    # table_name() admits only our own hex ids, quoted: no upload text reaches these statements
    con.execute(f"CREATE TABLE {table_name(ds)} AS SELECT * FROM pilots")  # noqa: S608
    con.execute(f"CREATE TABLE {table_name(ds, 'r')} AS SELECT * FROM rejected")  # noqa: S608


def _as_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table, which DuckDB stores 1.5-2x faster than it scans pandas (same column
    types and values); the frame itself when a column will not convert (mixed Python objects)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return frame


def report(raw: RawTable, derived: Derived) -> dict:
    """The validation report kept with a dataset: counts, problems, notes, unmapped values, reading."""
    accepted, rejected = len(derived.pilots), len(derived.rejected)
    return {"rows": {"read": derived.rows_read, "accepted": accepted, "rejected": rejected},
            "problems": derived.problems, "notes": derived.notes, "unmapped_values": derived.unmapped,
            "encoding": raw.encoding, "delimiter": raw.delimiter, "header_line": raw.header_line,
            "sheet": raw.sheet, "sheets": raw.sheets, "confidence": derived.mapping.confidence}


def dataset_info(con, ds: str) -> DatasetInfo | None:
    """The dataset's metadata, or None for an unknown id."""
    row = con.execute("SELECT id, name, created, upload_sha, mapping, stages, extras, report FROM datasets "
                      "WHERE id = ?", [ds]).fetchone()
    if row is None:
        return None
    mapping = Mapping.from_json(row[4])
    report_ = json.loads(row[7])
    mapping.confidence = report_.get("confidence", {})
    return DatasetInfo(row[0], row[1], row[2], row[3], mapping, json.loads(row[5]), json.loads(row[6]),
                       report_)


def list_datasets(con) -> pd.DataFrame:
    """Columns: id, name, created, rows_read, accepted, rejected — newest first."""
    return con.execute(
        "SELECT id, name, created, CAST(json_extract(report, '$.rows.read') AS BIGINT) AS rows_read, "
        "CAST(json_extract(report, '$.rows.accepted') AS BIGINT) AS accepted, "
        "CAST(json_extract(report, '$.rows.rejected') AS BIGINT) AS rejected "
        "FROM datasets ORDER BY created DESC").df()


def upload_bytes(con, sha: str) -> bytes | None:
    """The original bytes of an upload (kept so a mapping change re-derives without re-uploading)."""
    row = con.execute("SELECT content FROM uploads WHERE sha = ?", [sha]).fetchone()
    return bytes(row[0]) if row else None


def rejected_rows(con, ds: str) -> pd.DataFrame:
    """The rejected rows of a dataset: row, reason, then the source cells as read."""
    return con.execute(f"SELECT * FROM {table_name(ds, 'r')} ORDER BY CAST(row AS BIGINT)").df()  # noqa: S608
