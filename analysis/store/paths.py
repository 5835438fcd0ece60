"""Where the product keeps its files: one data directory, $PILOTS_DATA_DIR, default data/store/ in the
checkout. A module of its own so that a command can find it without importing pandas or DuckDB."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "store"


def data_dir() -> Path:
    """The data directory: $PILOTS_DATA_DIR, default data/store/ in the checkout."""
    return Path(os.environ.get("PILOTS_DATA_DIR") or DEFAULT_DIR)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either no file or the whole one: to a temporary file beside it,
    flushed to disk, then renamed over the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        folder = os.open(path.parent, os.O_RDONLY)  # and the rename itself reaches the disk
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
