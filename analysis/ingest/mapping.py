"""Source headers -> canonical fields, and source values -> canonical stages, statuses and causes.

Every guess carries a confidence (1.0 exact synonym, lower for a partial match) so the Data page can
show what was guessed and the user can correct it. The mapping file of DESIGN.md round-trips through
`Mapping.to_json` / `Mapping.from_json`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.ingest import evidence
from analysis.schema import (
    CAUSES,
    DEFAULT_STAGES,
    DIALECTS,
    FIELDS,
    HEADER_SYNONYMS,
    LIFECYCLES,
    PREVIOUS,
    STAGE_LABELS,
    STAGE_SYNONYMS,
    STATUS_SYNONYMS,
    STATUSES,
    TIMESTAMP,
    VALUE_SYNONYMS,
    normalise,
    slug,
    stage_label,
)

if TYPE_CHECKING:
    import pandas as pd

EXACT, PARTIAL = evidence.EXACT, evidence.PHRASE  # a header that is a field's name, or holds one as words
DATE_SUFFIXES = ("date", "entered", "entry date", "start", "started", "reached", "on", "at")
STAGE_DATE_WORDS = {"date", "began", "begun", "started", "entered", "reached", "since"}
ENDING_STATUSES = ("cancelled", "on_hold", "retired")  # what a stage column may also say of a pilot
OTHER_NAME = 0.5  # a header that is exactly another field's name is a weak hint for this one
LIFECYCLE_SHARE = 0.5  # a published lifecycle is taken when its official names spell most of the stage rows
KNOWN_FORMATS = Path(__file__).resolve().parents[2] / "data" / "mappings"  # shipped mappings of public formats
# What each field's values must look like (evidence.FITS)
FIELD_KINDS = {"pilot_id": "id", "name": "name", "business_unit": "dimension", "use_case": "dimension",
               "sponsor": "dimension", "sourcing": "coded", "stage": "coded", "status": "coded",
               "failure_cause": "cause", "start_date": "date", "end_date": "date", "last_update": "date",
               "budget": "number", "spend": "number"}
EVENT_KINDS = {"pilot_id": "key", TIMESTAMP: "date", PREVIOUS: "moved"}  # an event log's ID repeats
NOUNS = {"stage": "stages", "status": "statuses", "failure_cause": "failure causes",
         "sourcing": "build / buy / partner", PREVIOUS: "stages or statuses"}


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
    evidence: dict[str, str] = field(default_factory=dict)  # field -> why its column was guessed, in words
    recognised: str | None = None  # the known export format whose shipped mapping this is (known_format)
    lifecycle: str | None = None  # the published lifecycle the stages were taken from (chosen_lifecycle)

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
    return evidence.header_match(header, synonyms)


def stage_date_field(header: str, stages: list[str]) -> str | None:
    """`PoC Date` / `Date entered pilot` / `production_date` / `Date when Acquisition and/or Development began`
    -> that stage's `<stage>_date`; None when the header names no stage date."""
    norm = normalise(header)
    exact, partial = _stage_date_names(tuple(stages))
    found = exact.get(norm, (len(partial), None))
    said = norm.split()
    if STAGE_DATE_WORDS.isdisjoint(said) or len(said) > evidence.SENTENCE_WORDS:
        return found[1]
    words = f" {norm} "
    within = next((i for i, (name, _) in enumerate(partial[:found[0]]) if name in words), None)
    return found[1] if within is None else partial[within][1]


@lru_cache(maxsize=64)
def _stage_date_names(stages: tuple[str, ...]) -> tuple[dict[str, tuple[int, str]], list[tuple[str, str]]]:
    """The headers that name a stage's date exactly (`name suffix`, `suffix name`, `date name`, `date entered
    name`) -> (the position in `partial` before which the search found it, its field), and the names that
    name it as words within a longer header (` name `, of more than 3 characters) with their fields, in the
    order stage_date_field tries them: stage by stage, each stage's names longest first, a name's exact
    headers before it as words. Made once for a list of stages, not once per header."""
    exact: dict[str, tuple[int, str]] = {}
    partial: list[tuple[str, str]] = []
    for stage in stages:
        for name in _longest_first(stage):
            for suffix in DATE_SUFFIXES:
                for form in (f"{name} {suffix}", f"{suffix} {name}", f"date {name}", f"date entered {name}"):
                    exact.setdefault(form, (len(partial), f"{stage}_date"))
            if len(name) > 3:
                partial.append((f" {name} ", f"{stage}_date"))
    return exact, partial


@lru_cache(maxsize=256)
def _longest_first(stage: str) -> tuple[str, ...]:
    """A stage's names, the longest first (asked once per stage, not once per header)."""
    return tuple(sorted(_stage_names(stage), key=len, reverse=True))


def _stage_names(stage: str) -> set[str]:
    return {normalise(stage)} | set(STAGE_SYNONYMS.get(stage) or _lifecycle_words(stage))


@dataclass
class Guess:
    """Canonical field -> header, how sure (0..1) and why (in words); a header is used once, except one
    column that holds both stages and statuses."""

    columns: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)

    def take(self, fld: str, header: str, found: evidence.Evidence) -> None:
        self.columns[fld], self.confidence[fld], self.evidence[fld] = header, found.score, found.text()

    @property
    def used(self) -> set[str]:
        return set(self.columns.values())


class Columns:
    """The columns of an upload as the guess reads them (`evidence.ColumnValues`, made when first asked
    for): from a frame of text cells, from the distinct values cleaning found (`distinct`: header ->
    parse.Distinct, or a Series of the distinct values), or from any table that gives them itself
    (`column_values(header)`: the command line's pandas-free DistinctColumns)."""

    def __init__(self, cells, distinct: dict | None = None):
        self.cells, self.distinct, self.headers = cells, distinct or {}, list(cells.columns)
        self._values: dict[str, evidence.ColumnValues] = {}

    def values(self, header: str) -> evidence.ColumnValues:
        if header not in self._values:
            self._values[header] = self._read(header)
        return self._values[header]

    def _read(self, header: str) -> evidence.ColumnValues:
        if hasattr(self.cells, "column_values"):
            return self.cells.column_values(header)
        held = self.distinct.get(header)
        if held is not None and hasattr(held, "codes"):
            return _distinct_values(held)
        return _frame_values(self.cells[header])


def _distinct_values(held) -> evidence.ColumnValues:
    """ColumnValues of a parse.Distinct: counted by its codes, or (a column held as itself, mostly distinct
    values) by the rows `_frame_values` judges it by."""
    if not held.exact:
        return _frame_values(held.uniques)
    import numpy as np

    return _counted(held.uniques.astype("str"), np.bincount(held.codes, minlength=len(held.uniques)),
                    len(held.codes), sampled=False)


def _frame_values(column: pd.Series) -> evidence.ColumnValues:
    """ColumnValues of a column of text cells: every row, or its first rows when they are mostly distinct
    (`evidence.judged_by_first_rows`)."""
    first = column.iloc[:evidence.SAMPLE_ROWS]
    sampled = evidence.judged_by_first_rows(len(column), first.nunique())
    counts = (first if sampled else column).value_counts(dropna=True)
    return _counted(counts.index.astype("str").to_series(), counts.to_numpy(),
                    len(first) if sampled else len(column), sampled)


def _counted(text: pd.Series, counts, rows: int, sampled: bool) -> evidence.ColumnValues:
    """ColumnValues.of distinct text values and their rows, trimmed and the placeholders left out at once
    (`evidence.is_missing` asked only of a short value without a digit, the only kind that can be one); values
    that trimming makes equal are merged by ColumnValues.of."""
    import numpy as np

    text = text.reset_index(drop=True)
    trimmed = text.str.strip()
    maybe = ((trimmed.str.len() <= evidence.PLACEHOLDER_CHARS) & ~trimmed.str.contains(r"\d", regex=True)).to_numpy()
    keep = np.ones(len(trimmed), dtype=bool)
    keep[maybe] = [not evidence.is_missing(v) for v in trimmed[maybe].tolist()]
    kept, counts = trimmed[keep], np.asarray(counts)[keep]
    order = np.argsort(-counts, kind="stable")  # the commonest first, as ColumnValues.of sorts (then at once)
    pairs = zip(kept.iloc[order].tolist(), counts[order].tolist())
    return evidence.ColumnValues.of(pairs, rows, sampled, checked=True, distinct=kept.is_unique)


def guess_columns(headers: list[str], cells: pd.DataFrame, stages: list[str],
                  synonyms: dict[str, list[str]] | None = None,
                  distinct: dict[str, pd.Series] | None = None) -> tuple[dict, dict]:
    """Canonical field -> source header, and field -> confidence (`guess_evidence`)."""
    guess = guess_evidence(headers, Columns(cells, distinct), stages, synonyms)
    return guess.columns, guess.confidence


def guess_evidence(headers: list[str], columns: Columns, stages: list[str],
                   synonyms: dict[str, list[str]] | None = None) -> Guess:
    """Each field's column, scored on evidence (analysis/ingest/evidence.py), the best-scored pairs taken
    first, each header once. `synonyms` (field -> header names) replaces the wide fields and their stage
    dates (an event log's fields)."""
    guess = Guess()
    if synonyms is None:
        _stage_dates(headers, columns, stages, guess)
    names = synonyms or {f: HEADER_SYNONYMS[f] for f in FIELDS}
    kinds = {**FIELD_KINDS, **(EVENT_KINDS if synonyms is not None else {})}
    vocabularies = field_vocabularies(stages)
    every_name = {n for words in names.values() for n in words}
    scored = []
    for fld in names:
        for i, header in enumerate(headers):
            if header in guess.used:
                continue
            found = evidence.score(kinds[fld], header, names[fld], columns.values(header), NOUNS.get(fld, fld),
                                   vocabularies.get(fld))
            if found.score and normalise(header) in every_name and normalise(header) not in names[fld]:
                found.score = round(found.score * OTHER_NAME, 3)  # "Project ID" is an ID, not a project name
            if found.score >= evidence.MIN_SCORE:  # among equals, the usual name ("Status" before "Health")
                rank = -_rank(header, names[fld]) if kinds[fld] in ("coded", "cause") else 0
                scored.append((found.score, rank, -i, fld, header, found))
    for _, _, _, fld, header, found in sorted(scored, key=lambda s: s[:5], reverse=True):
        if fld not in guess.columns and header not in guess.used:
            guess.take(fld, header, found)
    if synonyms is None:
        _stages_and_statuses(guess, columns, vocabularies)
    return guess


def _stage_dates(headers: list[str], columns: Columns, stages: list[str], guess: Guess) -> None:
    """Columns whose header names a stage's date (`stage_date_field`) and whose values read as dates."""
    for header in headers:
        target = stage_date_field(header, stages)
        if target and target not in guess.columns:
            found = evidence.score("date", header, [normalise(header)], columns.values(header), target)
            if found.score >= evidence.MIN_SCORE:
                found.reasons[0] = f"the header '{header}' names the date a pilot entered that stage"
                guess.take(target, header, found)


def _stages_and_statuses(guess: Guess, columns: Columns, vocabularies: dict) -> None:
    """One column for both: a stage column that also says which pilots were cancelled, paused or retired
    is their status column too, when there is none; a status column whose values are mostly stages (a
    tracker's workflow states: Idea, PoC, Pilot, Live, Won't Do) is the stage column, when there is none."""
    stage, status = guess.columns.get("stage"), guess.columns.get("status")
    if stage and not status:
        ends = [v for v in columns.values(stage).values
                if vocabularies["status"].match(v)[0] in ENDING_STATUSES]
        if ends:
            guess.take("status", stage, evidence.Evidence(guess.confidence["stage"], [
                f"the stage column '{stage}' also says which pilots were stopped, paused or retired "
                f"({', '.join(repr(v) for v in ends[:3])})"]))
    elif status and not stage:
        share, read, judged = evidence.agreement(columns.values(status), vocabularies["stage"])
        if share >= evidence.MIN_AGREEMENT:
            guess.take("stage", status, evidence.Evidence(round(0.5 + 0.4 * share, 3), [
                f"the status column '{status}' holds the stages too: {read} of {judged} distinct values read as "
                f"stages ({evidence.percent(share)} of rows)"]))


def _rank(header: str, synonyms: list[str]) -> int:
    norm = normalise(header)
    return synonyms.index(norm) if norm in synonyms else len(synonyms)


def field_vocabularies(stages: list[str]) -> dict[str, evidence.Vocabulary]:
    """The vocabulary each coded field's values are read by, for a dataset's stages."""
    return {**_fixed_vocabularies(), "stage": _stage_vocabulary(tuple(stages)),
            PREVIOUS: evidence.Vocabulary({**_synonyms_for("stage", stages), **STATUS_SYNONYMS})}


@lru_cache(maxsize=1)
def _fixed_vocabularies() -> dict[str, evidence.Vocabulary]:
    return {f: evidence.Vocabulary(words) for f, words in VALUE_SYNONYMS.items() if f != "stage"}


@lru_cache(maxsize=16)
def _stage_vocabulary(stages: tuple[str, ...]) -> evidence.Vocabulary:
    return evidence.Vocabulary(_synonyms_for("stage", list(stages)))


def value_agreement(fld: str, column: pd.Series | list[str]) -> float:
    """The share of a column's distinct values (up to 200) that read as values of a coded field."""
    values = distinct_values(column)[:200]
    if not values:
        return 0.0
    vocabulary = field_vocabularies(list(DEFAULT_STAGES))[fld]
    return sum(vocabulary.match(v)[0] is not None for v in values) / len(values)


def value_match(value: str, synonyms: dict[str, list[str]]) -> tuple[str | None, float]:
    """Canonical id for a source value (`evidence.Vocabulary.match`): an id or a name exactly, else the
    longest name standing in it, not negated."""
    return _vocabulary(id(synonyms), synonyms).match(value)


_VOCABULARIES: dict[int, tuple[dict, evidence.Vocabulary]] = {}


def _vocabulary(key: int, synonyms: dict[str, list[str]]) -> evidence.Vocabulary:
    held = _VOCABULARIES.get(key)
    if held is None or held[0] is not synonyms:
        held = _VOCABULARIES[key] = (synonyms, evidence.Vocabulary(synonyms))
    return held[1]


def read_as_stages(mapping: Mapping) -> set[str]:
    """The values of a status column that is the stage column and that its stage mapping reads: each says a
    stage (an in-flight pilot), not a status no rule knows, so it is not listed as an unmapped status."""
    status = mapping.columns.get("status")
    if not status or status != mapping.columns.get("stage"):
        return set()
    return {v for v, stage in mapping.values.get("stage", {}).items() if stage}


def guess_values(fld: str, values: list[str], stages: list[str]) -> dict[str, str | None]:
    """Source value -> canonical id (None when no rule knows it) for stage, status or cause; a tool's dialect
    (vocabulary.toml: its own words beside a common one) read first."""
    vocabulary = field_vocabularies(stages)[fld]
    spoken = dialect_words(fld, values)
    return {v: spoken.get(normalise(v)) or vocabulary.match(v, head_only=fld == "status")[0] for v in values
            if normalise(v) and not evidence.is_missing(v)}


def dialect_words(fld: str, values: list[str]) -> dict[str, str]:
    """The meanings a tool gives common words (`[[dialects]]` of vocabulary.toml) when the column holds one
    of that tool's own words."""
    held = {normalise(v) for v in values}
    means: dict[str, str] = {}
    for dialect in DIALECTS:
        if dialect["field"] == fld and held & set(dialect["when"]):
            means.update(dialect["means"])
    return means


def _synonyms_for(fld: str, stages: list[str]) -> dict[str, list[str]]:
    if fld != "stage":
        return VALUE_SYNONYMS[fld]
    names = {normalise(s) for s in stages}
    return {s: [normalise(s)] + [w for w in STAGE_SYNONYMS.get(s) or _lifecycle_words(s) or _inherited(s)
                                 if w not in names] for s in stages}


def _lifecycle_words(stage: str) -> list[str]:
    """The official names and other spellings of a stage of a published lifecycle (vocabulary.toml)."""
    for lifecycle in LIFECYCLES:
        if stage in lifecycle["stages"]:
            return lifecycle["names"].get(stage, []) + lifecycle["words"].get(stage, [])
    return []


def _inherited(stage: str) -> list[str]:
    """The names a dataset's own stage also goes by: those of the default stage it is a name of
    ("Operation and Maintenance" is a name of production, so "In use" and "Live" map to it too)."""
    name = normalise(stage)
    for default, words in STAGE_SYNONYMS.items():
        if name == default or name in words:
            return [default] + words
    return []


def chosen_lifecycle(column: evidence.ColumnValues) -> dict | None:
    """The published lifecycle (vocabulary.toml) a stage column is written in: the one whose official stage
    names most of its rows spell, more rows than spell the default stages' names; None for the default."""
    def official(names: dict[str, list[str]]) -> int:
        spelled = {w for words in names.values() for w in words}
        return sum(n for v, n in zip(column.values, column.counts)
                   if evidence.value_head(v) in spelled or normalise(v) in spelled)

    default = official({s: [s, normalise(STAGE_LABELS[s])] for s in DEFAULT_STAGES})
    best = max(LIFECYCLES, key=lambda lc: official(lc["names"]), default=None)
    if best is None:
        return None
    rows = official(best["names"])
    return best if rows > default and rows >= LIFECYCLE_SHARE * column.filled else None


def known_format(headers: list[str]) -> tuple[str, Mapping] | None:
    """The mapping shipped for a known public export format (data/mappings/*.json with a "recognise" entry:
    its label and the headers that identify it) whose headers all stand in this file, and its label."""
    have = {normalise(h) for h in headers}
    for label, needed, text in _known_formats(KNOWN_FORMATS):
        if needed <= have:
            return label, Mapping.from_json(text)
    return None


@lru_cache(maxsize=4)
def _known_formats(folder: Path) -> list[tuple[str, frozenset[str], str]]:
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        recognise = json.loads(text).get("recognise")
        if isinstance(recognise, dict) and recognise.get("headers"):
            found.append((str(recognise.get("label") or path.stem),
                          frozenset(normalise(h) for h in recognise["headers"]), text))
    return found


def complete_mapping(given: Mapping | None, cells: pd.DataFrame,
                     distinct: dict[str, pd.Series] | None = None) -> Mapping:
    """The user's mapping (from the editor or a file) with every gap filled by a guess. Without one, a known
    export format's shipped mapping is taken (`known_format`), and a stage column written in a published
    lifecycle gives the dataset that lifecycle's stages. `distinct`: as for `Columns` (a million rows hold a
    handful of stages: reading them saves whole-column scans)."""
    headers = list(cells.columns)
    mapping = given.copy() if given else Mapping()
    known = known_format(headers) if given is None else None
    if known:
        mapping = known[1]
        mapping.recognised = known[0]
    columns = Columns(cells, distinct)
    guess = guess_evidence(headers, columns, mapping.stages)
    stage = mapping.columns.get("stage") or guess.columns.get("stage")
    lifecycle = chosen_lifecycle(columns.values(stage)) if given is None and not known and stage else None
    if lifecycle:
        mapping.stages, mapping.lifecycle = list(lifecycle["stages"]), lifecycle["label"]
        guess = guess_evidence(headers, columns, mapping.stages)
    _fill(mapping, guess)
    for fld in ("stage", "status", "failure_cause", "sourcing"):
        header = mapping.columns.get(fld)
        held = distinct.get(header) if distinct and header else None
        complete_values(mapping, fld, cells, header, getattr(held, "uniques", held))
    return mapping


def mapping_notes(mapping: Mapping) -> list[str]:
    """What the reader is told of how the mapping came about: a known format recognised, a published
    lifecycle taken for the stages."""
    notes = []
    if mapping.recognised:
        notes.append(f"Recognised as {mapping.recognised}: the mapping shipped for it was applied "
                     "(check it on the Data page).")
    if mapping.lifecycle:
        notes.append(f"The stage column is written in {mapping.lifecycle}, so the funnel shows those stages in "
                     f"their order: {' -> '.join(stage_label(s) for s in mapping.stages)}.")
    return notes


def _fill(mapping: Mapping, guess: Guess) -> None:
    """The guessed columns the mapping leaves open, with their confidence and evidence."""
    taken = set(mapping.columns.values())
    for fld, header in guess.columns.items():
        shared = fld in ("stage", "status") and guess.columns.get("status" if fld == "stage" else "stage") == header
        if fld not in mapping.columns and (header not in taken or shared):
            mapping.columns[fld] = header
            mapping.confidence.setdefault(fld, guess.confidence[fld])
            mapping.evidence.setdefault(fld, guess.evidence[fld])
    for fld, header in mapping.columns.items():
        mapping.confidence.setdefault(fld, EXACT)
        if header:
            mapping.evidence.setdefault(fld, "chosen in the mapping" if not mapping.recognised else
                                        f"the shipped mapping of {mapping.recognised}")


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
