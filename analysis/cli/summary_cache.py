"""The summary command's answers kept by content: the same bytes read under the same options, by the same
code on the same day, give the same summary, so a repeated `python -m analysis summary` prints the kept
JSON without reading the file again or importing pandas (which alone takes longer than pandas reading
and grouping a 100k-pilot file).

The key is a sha256 over the file's bytes, the mapping file's text, --as-of, --stall-days, today's date
(dates after today are left empty) and a fingerprint of the code: every analysis/*.py source and
requirements.lock, so a change of code or of pinned packages computes afresh. Entries live in
`summaries/` in the data directory, written atomically; the oldest beyond MAX_ENTRIES are removed.
This module imports only the standard library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from analysis.store.paths import data_dir, write_atomically

FOLDER = "summaries"
MAX_ENTRIES = 256
_ROOT = Path(__file__).resolve().parents[2]


def code_fingerprint() -> str:
    """A sha256 of every source file of the analysis package and of requirements.lock."""
    digest = hashlib.sha256()
    files = sorted((_ROOT / "analysis").rglob("*.py")) + [_ROOT / "requirements.lock"]
    for file in files:
        if file.exists():
            digest.update(file.relative_to(_ROOT).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def key(data: bytes, options: dict, today: dt.date | None = None) -> str:
    """The cache key of a file's bytes under the command's options (plain JSON values)."""
    digest = hashlib.sha256(data)
    context = {**options, "today": (today or dt.date.today()).isoformat(), "code": code_fingerprint()}
    digest.update(json.dumps(context, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _path(cache_key: str, folder: Path | None) -> Path:
    return (folder or data_dir()) / FOLDER / f"{cache_key}.json"


def get(cache_key: str, folder: Path | None = None) -> str | None:
    """The kept summary JSON text of a key, or None when there is none (or it cannot be read as JSON)."""
    try:
        text = _path(cache_key, folder).read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, ValueError):
        return None
    return text


def put(cache_key: str, text: str, folder: Path | None = None) -> bool:
    """Keep a summary's JSON text; False when the data directory cannot be written (the command's answer
    does not depend on it)."""
    path = _path(cache_key, folder)
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError:
        return False
    try:
        _prune(path.parent)
    except OSError:  # another process pruned at the same time
        pass
    return True


def _prune(folder: Path) -> None:
    """Remove the oldest entries beyond MAX_ENTRIES."""
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
