"""The two shapes of an upload (a row per pilot, or an event log) and the derivation for each."""

from __future__ import annotations

import datetime as dt

from analysis.ingest.events import complete_event_mapping, derive_events, is_event_log
from analysis.ingest.mapping import Mapping, allowed_values, complete_mapping, mapping_notes
from analysis.ingest.reading import RawTable
from analysis.ingest.validate import Derived, cleaned, derive


def derive_upload(raw: RawTable, given: Mapping | None = None, today: dt.date | None = None,
                  as_of: dt.date | None = None, let_go: bool = False) -> Derived:
    """Canonical pilots of a raw table under the user's mapping (gaps guessed), whichever its shape.
    `as_of` (explicit only) makes later dates of a wide export reported, not dropped. `let_go`: the caller
    gives up `raw`'s cells and lines (the cells are emptied, in place, once cleaned, the lines once read, and
    the cleaned cells' columns dropped as they are read: see `validate.derive`), so that a large upload is
    not held twice."""
    source, raw = raw, cleaned(raw)
    if let_go and source.cells is not raw.cells:
        source.cells.drop(columns=source.cells.columns, inplace=True)
    given, notes = usable(given, list(raw.cells.columns))
    if is_event_log(raw.cells, given):
        derived = derive_events(raw, complete_event_mapping(given, raw.cells), today)
    else:
        derived = derive(raw, complete_mapping(given, raw.cells, distinct_values(raw)), today, as_of, let_go=let_go)
    derived.notes[:0] = mapping_notes(derived.mapping) + notes
    return derived


def distinct_values(raw: RawTable) -> dict | None:
    """Each column's distinct values as cleaning found them (header -> parse.Distinct: the values in the
    order they first appear, and each row's code), so the guess counts codes instead of a million cells."""
    if not raw.distinct or raw.distinct[0] is not raw.cells:
        return None
    return dict(raw.distinct[1])


def usable(given: Mapping | None, headers: list[str]) -> tuple[Mapping | None, list[str]]:
    """The user's mapping without what this file cannot honour (columns it lacks, canonical values
    that do not exist), and a note for each thing left out; what is left out is guessed instead."""
    if given is None:
        return None, []
    mapping, notes = given.copy(), []
    missing = {f: h for f, h in mapping.columns.items() if h is not None and h not in headers}
    if missing:
        notes.append("The mapping names column(s) this file does not have, so they were guessed instead: "
                     + ", ".join(f"{f} -> '{h}'" for f, h in sorted(missing.items())) + ".")
        mapping.columns = {f: h for f, h in mapping.columns.items() if f not in missing}
    for fld, table in mapping.values.items():
        allowed = set(allowed_values(fld, mapping.stages)) if fld in ("stage", "status", "failure_cause",
                                                                     "sourcing") else set()
        wrong = {v: c for v, c in table.items() if c is not None and c not in allowed}
        if wrong:
            notes.append(f"The mapping maps {fld} value(s) to ids that do not exist ("
                         + ", ".join(f"'{v}' -> '{c}'" for v, c in sorted(wrong.items())[:5])
                         + "); those values were guessed instead.")
            mapping.values[fld] = {v: c for v, c in table.items() if v not in wrong}
    return mapping, notes
