"""Source headers -> canonical fields, and source values -> canonical stages, statuses and causes.

Every guess carries a confidence (1.0 exact synonym, lower for a partial match) so the Data page can
show what was guessed and the user can correct it. The mapping file of DESIGN.md round-trips through
`Mapping.to_json` / `Mapping.from_json`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analysis.schema import (
    CAUSES,
    DEFAULT_STAGES,
    FIELDS,
    HEADER_SYNONYMS,
    STAGE_SYNONYMS,
    STATUSES,
    VALUE_SYNONYMS,
    normalise,
    slug,
)

if TYPE_CHECKING:
    import pandas as pd

EXACT, PARTIAL = 1.0, 0.6  # an exact synonym vs a synonym found inside a longer header or value
VALUE_AGREEMENT = 0.5  # a partial header match for a coded field needs half its values recognised
DISAGREEING = 0.5  # an exact header name for a coded field whose values mostly do not read as it
NEGATIONS = ("not", "no", "never", "non", "pre")  # "Planned (not in production)" is not production
DATE_SUFFIXES = ("date", "entered", "entry date", "start", "started", "reached", "on", "at")


@dataclass
class Mapping:
    """Which source column holds each canonical field, how values map, and the dataset's stages."""

    # canonical field (or <stage>_date) -> header; None: the file has no column for it (not guessed)
    columns: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # field -> source -> canonical
    stages: list[str] = field(default_factory=lambda: list(DEFAULT_STAGES))
    confidence: dict[str, float] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)  # source header -> "ymd" / "dmy" / "mdy"
    shape: str | None = None  # "wide", "events" (an event log), or None: recognised from the file

    def to_json(self) -> str:
        """The mapping file of DESIGN.md (plus the stage list, any date formats and the shape set)."""
        raw = {"columns": self.columns, "values": self.values, "stages": self.stages,
               "date_formats": self.date_formats}
        if self.shape:
            raw["shape"] = self.shape
        return json.dumps(raw, indent=2, sort_keys=True)

    def copy(self) -> Mapping:
        """An independent copy (editing it leaves this mapping as it was)."""
        return copy.deepcopy(self)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Read a mapping file; what it leaves out is guessed later by `complete_mapping`."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"The mapping file is not valid JSON ({exc.msg}, line {exc.lineno}).") from exc
        if not isinstance(raw, dict):
            raise ValueError("A mapping file is a JSON object with 'columns' and 'values'.")
        return _checked(cls(columns=_text_dict(raw.get("columns"), "columns", nulls=True),
                            values={str(k): _text_dict(v, f"values.{k}", nulls=True)
                                    for k, v in _dict(raw.get("values"), "values").items()},
                            stages=_stage_list(raw.get("stages")),
                            date_formats=_text_dict(raw.get("date_formats"), "date_formats"),
                            shape=raw.get("shape")))


def _dict(value: object, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"'{where}' in a mapping file is an object of names to names.")
    return value


def _text_dict(value: object, where: str, nulls: bool = False) -> dict:
    out = {}
    for key, item in _dict(value, where).items():
        if not (isinstance(item, str) or (nulls and item is None)):
            raise ValueError(f"'{where}' in a mapping file maps '{key}' to {item!r}; a name is expected.")
        out[str(key)] = item
    return out


def _stage_list(value: object) -> list[str]:
    """Stage ids from a mapping file; a name written as words ("Operation and Maintenance") becomes
    its id (`operation_and_maintenance`), as the editor makes it."""
    if value is None:
        return list(DEFAULT_STAGES)
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and normalise(s) for s in value):
        raise ValueError("'stages' in a mapping file is a list of stage names, in order.")
    stages = [slug(s) for s in value]
    repeated = sorted({s for s in stages if stages.count(s) > 1})
    if repeated:
        raise ValueError(f"'stages' in a mapping file names {', '.join(repeated)} more than once.")
    return stages


def _stage_ids(mapping: Mapping) -> Mapping:
    """Stage values and stage-date fields written as names, turned into the stage ids."""
    if "stage" in mapping.values:
        mapping.values["stage"] = {v: slug(c) if c is not None else None for v, c in mapping.values["stage"].items()}
    mapping.columns = {(f"{slug(f[:-5])}_date" if f.endswith("_date") and slug(f[:-5]) in mapping.stages else f): h
                       for f, h in mapping.columns.items()}
    return mapping


def _checked(mapping: Mapping) -> Mapping:
    if mapping.shape not in (None, "wide", "events"):
        raise ValueError("'shape' in a mapping file is \"wide\" or \"events\".")
    bad = {v for v in mapping.date_formats.values() if v not in ("ymd", "dmy", "mdy")}
    if bad:
        raise ValueError(f"A date format is ymd, dmy or mdy, not {', '.join(sorted(bad))}.")
    return _stage_ids(mapping)


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


def guess_columns(headers: list[str], cells: pd.DataFrame, stages: list[str],
                  synonyms: dict[str, list[str]] | None = None,
                  distinct: dict[str, pd.Series] | None = None) -> tuple[dict, dict]:
    """Canonical field -> source header, and field -> confidence; each header used at most once.
    `synonyms` (field -> header names) replaces the wide fields and their stage-date columns.
    `distinct` (header -> the column's values without repeats, in the order they first appear), when
    given, is read instead of whole columns."""
    columns, confidence, used = {}, {}, set()
    for header in headers if synonyms is None else []:
        target = stage_date_field(header, stages)
        if target and target not in columns:
            columns[target], confidence[target] = header, EXACT
            used.add(header)
    names = synonyms or {f: HEADER_SYNONYMS[f] for f in FIELDS}
    # Best score first; among equals, for a coded field the more usual name ("Status" before "Health"),
    # then the earlier column.
    candidates = sorted(((_score(f, h, names[f], cells, distinct), -_rank(h, names[f]) if f in VALUE_SYNONYMS else 0, -i,
                          f, h) for f in names
                         for i, h in enumerate(headers) if h not in used), reverse=True)
    for score, _, _, fld, header in candidates:
        if score == 0 or fld in columns or header in used:
            continue
        columns[fld], confidence[fld] = header, score
        used.add(header)
    return columns, confidence


def _rank(header: str, synonyms: list[str]) -> int:
    norm = normalise(header)
    return synonyms.index(norm) if norm in synonyms else len(synonyms)


def _score(fld: str, header: str, synonyms: list[str], cells: pd.DataFrame,
           distinct: dict[str, pd.Series] | None = None) -> float:
    """How sure a header holds a field: its name's match; for a coded field whose values mostly do not
    read as that field, half of it (a ServiceNow `state` of Open/Closed is a status, not the stage its
    `phase` column holds). A partial name match for a coded field stands only when half its values agree."""
    score = header_match(header, synonyms)
    if score == 0 or fld not in VALUE_SYNONYMS or header not in cells.columns:
        return score
    agreement = value_agreement(fld, distinct[header] if distinct and header in distinct else cells[header])
    if agreement >= VALUE_AGREEMENT:
        return score
    return 0.0 if score < EXACT else score * DISAGREEING


def value_agreement(fld: str, column: pd.Series | list[str]) -> float:
    """The share of a column's distinct values (up to 200) that read as values of a coded field. `column`: text
    cells, or a list of a column's distinct texts (summary_fast.DistinctColumns)."""
    if isinstance(column, list):
        values = list(dict.fromkeys(v for v in column if v.strip() != ""))[:200]
    else:
        values = column[column.str.strip() != ""].unique()[:200]
    if len(values) == 0:
        return 0.0
    return sum(value_match(v, VALUE_SYNONYMS[fld])[0] is not None for v in values) / len(values)


def value_match(value: str, synonyms: dict[str, list[str]]) -> tuple[str | None, float]:
    """Canonical id for a source value: exact synonym, else the longest synonym found in it (not negated)."""
    norm = normalise(value)
    if not norm:
        return None, 0.0
    for canonical in synonyms:  # a value named exactly as an id wins over another id's synonym
        if norm == normalise(canonical):
            return canonical, EXACT
    for canonical, words in synonyms.items():
        if norm in words:
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
    if fld != "stage":
        return VALUE_SYNONYMS[fld]
    names = {normalise(s) for s in stages}
    return {s: [normalise(s)] + [w for w in STAGE_SYNONYMS.get(s) or _inherited(s) if w not in names]
            for s in stages}


def _inherited(stage: str) -> list[str]:
    """The names a dataset's own stage also goes by: those of the default stage it is a name of
    ("Operation and Maintenance" is a name of production, so "In use" and "Live" map to it too)."""
    name = normalise(stage)
    for default, words in STAGE_SYNONYMS.items():
        if name == default or name in words:
            return [default] + words
    return []


def complete_mapping(given: Mapping | None, cells: pd.DataFrame,
                     distinct: dict[str, pd.Series] | None = None) -> Mapping:
    """The user's mapping (from the editor or a file) with every gap filled by a guess. `distinct`: as
    for `guess_columns` (a million rows hold a handful of stages: reading them saves whole-column scans)."""
    mapping = given.copy() if given else Mapping()
    headers = list(cells.columns)
    guessed, confidence = guess_columns(headers, cells, mapping.stages, distinct=distinct)
    taken = set(mapping.columns.values())
    for fld, header in guessed.items():
        if fld not in mapping.columns and header not in taken:
            mapping.columns[fld] = header
            mapping.confidence.setdefault(fld, confidence[fld])
    for fld in mapping.columns:
        mapping.confidence.setdefault(fld, EXACT)
    for fld in ("stage", "status", "failure_cause", "sourcing"):
        header = mapping.columns.get(fld)
        complete_values(mapping, fld, cells, header, distinct.get(header) if distinct and header else None)
    return mapping


def complete_values(mapping: Mapping, fld: str, cells: pd.DataFrame, header: str | None,
                    values: pd.Series | None = None) -> None:
    """Guess a canonical value for each distinct value of `header` that the mapping does not map yet
    (`values`: the column's values without repeats, read instead of the column when given)."""
    if header not in cells.columns:
        return
    distinct = distinct_values(cells[header] if values is None else values)
    known = mapping.values.setdefault(fld, {})
    for value, canonical in guess_values(fld, distinct, mapping.stages).items():
        known.setdefault(value, canonical)


def distinct_values(column: pd.Series | list[str]) -> list[str]:
    """The distinct trimmed, non-empty values of a column of text cells (spaces, NBSP trimmed); of a list of
    texts, without missing values (summary_fast.DistinctColumns), the same."""
    if isinstance(column, list):
        return sorted({v.replace("\u00a0", " ").strip() for v in column} - {""})
    import pandas as pd

    values = pd.Series(column.dropna().unique(), dtype="str").str.replace("\u00a0", " ", regex=False).str.strip()
    return sorted(set(values[values != ""]))


def allowed_values(fld: str, stages: list[str]) -> list[str]:
    """The canonical ids a value of this field may map to."""
    return {"stage": stages, "status": STATUSES, "failure_cause": CAUSES,
            "sourcing": ["build", "buy", "partner"]}[fld]
