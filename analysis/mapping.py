"""Source headers -> canonical fields, and source values -> canonical stages, statuses and causes.

Every guess carries a confidence (1.0 exact synonym, lower for a partial match) so the Data page can
show what was guessed and the user can correct it. The mapping file of DESIGN.md round-trips through
`Mapping.to_json` / `Mapping.from_json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd

from analysis.schema import (
    CAUSES,
    DEFAULT_STAGES,
    FIELDS,
    HEADER_SYNONYMS,
    STAGE_SYNONYMS,
    STATUSES,
    VALUE_SYNONYMS,
    normalise,
)

EXACT, PARTIAL = 1.0, 0.6  # an exact synonym vs a synonym found inside a longer header or value
VALUE_AGREEMENT = 0.5  # a partial header match for a coded field needs half its values recognised
NEGATIONS = ("not", "no", "never", "non", "pre")  # "Planned (not in production)" is not production
DATE_SUFFIXES = ("date", "entered", "entry date", "start", "started", "reached", "on", "at")


@dataclass
class Mapping:
    """Which source column holds each canonical field, how values map, and the dataset's stages."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical field (or <stage>_date) -> header
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # field -> source -> canonical
    stages: list[str] = field(default_factory=lambda: list(DEFAULT_STAGES))
    confidence: dict[str, float] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)  # source header -> "ymd" / "dmy" / "mdy"

    def to_json(self) -> str:
        """The mapping file of DESIGN.md (plus the stage list and any date formats set)."""
        return json.dumps({"columns": self.columns, "values": self.values, "stages": self.stages,
                           "date_formats": self.date_formats}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Read a mapping file; what it leaves out is guessed later by `complete_mapping`."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("A mapping file is a JSON object with 'columns' and 'values'.")
        return cls(columns=dict(raw.get("columns") or {}), values={k: dict(v) for k, v in
                   (raw.get("values") or {}).items()}, stages=list(raw.get("stages") or DEFAULT_STAGES),
                   date_formats=dict(raw.get("date_formats") or {}))


def header_match(header: str, synonyms: list[str]) -> float:
    """EXACT when the header is a synonym, PARTIAL when a synonym stands in it as whole words."""
    norm = normalise(header)
    if norm in synonyms:
        return EXACT
    words = f" {norm} "
    return PARTIAL if any(len(s) > 2 and f" {s} " in words for s in synonyms) else 0.0


def stage_date_field(header: str, stages: list[str]) -> str | None:
    """`PoC Date` / `Date entered pilot` / `production_date` -> `poc_date`; None when not a stage date."""
    norm = normalise(header)
    for stage in stages:
        names = {normalise(stage)} | set(STAGE_SYNONYMS.get(stage, []))
        for name in sorted(names, key=len, reverse=True):
            for suffix in DATE_SUFFIXES:
                if norm in (f"{name} {suffix}", f"{suffix} {name}", f"date {name}", f"date entered {name}"):
                    return f"{stage}_date"
    return None


def guess_columns(headers: list[str], cells: pd.DataFrame, stages: list[str]) -> tuple[dict, dict]:
    """Canonical field -> source header, and field -> confidence; each header used at most once."""
    columns, confidence, used = {}, {}, set()
    for header in headers:
        target = stage_date_field(header, stages)
        if target and target not in columns:
            columns[target], confidence[target] = header, EXACT
            used.add(header)
    candidates = sorted(((header_match(h, HEADER_SYNONYMS[f]), -i, f, h) for f in FIELDS
                         for i, h in enumerate(headers) if h not in used), reverse=True)
    for score, _, fld, header in candidates:
        if score == 0 or fld in columns or header in used:
            continue
        if score < EXACT and not _values_agree(fld, cells[header]):
            continue
        columns[fld], confidence[fld] = header, score
        used.add(header)
    return columns, confidence


def _values_agree(fld: str, column: pd.Series) -> bool:
    """A partial header match for a coded field stands only if its values look like that field."""
    if fld not in VALUE_SYNONYMS:
        return True
    values = column[column.str.strip() != ""].unique()[:200]
    if len(values) == 0:
        return False
    known = sum(value_match(v, VALUE_SYNONYMS[fld])[0] is not None for v in values)
    return known / len(values) >= VALUE_AGREEMENT


def value_match(value: str, synonyms: dict[str, list[str]]) -> tuple[str | None, float]:
    """Canonical id for a source value: exact synonym, else the longest synonym found in it (not negated)."""
    norm = normalise(value)
    if not norm:
        return None, 0.0
    for canonical, words in synonyms.items():
        if norm == normalise(canonical) or norm in words:
            return canonical, EXACT
    best, best_len = None, 0
    for canonical, words in synonyms.items():
        for word in words:
            if len(word) > best_len and _contains(norm, word):
                best, best_len = canonical, len(word)
    return best, PARTIAL if best else 0.0


def _contains(norm: str, word: str) -> bool:
    for match in re.finditer(rf"(?:^| ){re.escape(word)}(?= |$)", norm):
        before = norm[:match.start()].split()[-2:]  # "not in production", "not yet live"
        if not any(w in NEGATIONS for w in before):
            return True
    return False


def guess_values(fld: str, values: list[str], stages: list[str]) -> dict[str, str | None]:
    """Source value -> canonical id (None when no rule knows it) for stage, status or cause."""
    synonyms = _synonyms_for(fld, stages)
    return {v: value_match(v, synonyms)[0] for v in values if normalise(v)}


def _synonyms_for(fld: str, stages: list[str]) -> dict[str, list[str]]:
    if fld == "stage":
        return {s: STAGE_SYNONYMS.get(s, []) + [normalise(s)] for s in stages}
    return VALUE_SYNONYMS[fld]


def complete_mapping(given: Mapping | None, cells: pd.DataFrame) -> Mapping:
    """The user's mapping (from the editor or a file) with every gap filled by a guess."""
    mapping = given or Mapping()
    headers = list(cells.columns)
    guessed, confidence = guess_columns(headers, cells, mapping.stages)
    taken = set(mapping.columns.values())
    for fld, header in guessed.items():
        if fld not in mapping.columns and header not in taken:
            mapping.columns[fld] = header
            mapping.confidence.setdefault(fld, confidence[fld])
    for fld in mapping.columns:
        mapping.confidence.setdefault(fld, EXACT)
    for fld in ("stage", "status", "failure_cause", "sourcing"):
        header = mapping.columns.get(fld)
        if header in cells.columns:
            distinct = sorted({v.strip() for v in cells[header].unique() if v and v.strip()})
            known = mapping.values.setdefault(fld, {})
            for value, canonical in guess_values(fld, distinct, mapping.stages).items():
                known.setdefault(value, canonical)
    return mapping


def allowed_values(fld: str, stages: list[str]) -> list[str]:
    """The canonical ids a value of this field may map to."""
    return {"stage": stages, "status": STATUSES, "failure_cause": CAUSES,
            "sourcing": ["build", "buy", "partner"]}[fld]
