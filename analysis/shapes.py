"""The two shapes of an upload (a row per pilot, or an event log) and the derivation for each."""

from __future__ import annotations

import datetime as dt

from analysis.events import complete_event_mapping, derive_events, is_event_log
from analysis.ingest import RawTable
from analysis.mapping import Mapping, complete_mapping
from analysis.validate import Derived, cleaned, derive


def derive_upload(raw: RawTable, given: Mapping | None = None, today: dt.date | None = None) -> Derived:
    """Canonical pilots of a raw table under the user's mapping (gaps guessed), whichever its shape."""
    raw = cleaned(raw)
    if is_event_log(raw.cells, given):
        return derive_events(raw, complete_event_mapping(given, raw.cells), today)
    return derive(raw, complete_mapping(given, raw.cells), today)
