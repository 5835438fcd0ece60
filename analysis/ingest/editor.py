"""The mapping editor's tables and edits, without Streamlit: what the Data page shows and changes.

The page shows, for each canonical field, the source column guessed and how sure the guess is; for
stage, status, cause and sourcing, each distinct source value with its count and the canonical value
guessed; and the ordered stage list. The user's edits make a new Mapping, which re-derives the
dataset from the stored bytes (store.rederive).
"""

from __future__ import annotations

import pandas as pd

from analysis.ingest.events import EVENT_FIELD_LABELS, event_fields, value_column
from analysis.ingest.mapping import Mapping, allowed_values, complete_values
from analysis.schema import DEFAULT_STAGES, FIELD_LABELS, FIELDS, slug, stage_label

CODED = ["stage", "status", "failure_cause", "sourcing"]  # fields whose values map to canonical ids
VALUE_COLUMNS = ["source value", "rows", "maps to"]
MAX_STAGES = 12  # a stage list longer than this is a list of statuses or tasks, not stages
MAX_DISTINCT = 5_000  # a column with more distinct values is an ID or free text: no value table for it


def editable_fields(mapping: Mapping) -> list[str]:
    """The canonical fields a column can be chosen for, in the editor's order (stage dates last)."""
    if mapping.shape == "events":
        return event_fields()
    return FIELDS + [f"{s}_date" for s in mapping.stages]


def field_label(fld: str, shape: str | None = None) -> str:
    """`poc_date` -> "Date entered Proof of concept"; an event log's fields by their own labels."""
    if shape == "events" and fld in EVENT_FIELD_LABELS or fld not in FIELD_LABELS and fld in EVENT_FIELD_LABELS:
        return EVENT_FIELD_LABELS[fld]
    if fld.endswith("_date") and fld not in FIELD_LABELS:
        return f"Date entered {stage_label(fld[:-5])}"
    return FIELD_LABELS.get(fld, fld.replace("_", " ").capitalize())


def column_table(mapping: Mapping) -> pd.DataFrame:
    """Columns: field, label, source (header or None), confidence (0..1, NaN when not mapped), how (the
    guess in words: sure (a header's exact name, or set by the user), guessed and how sure, not found,
    or left empty by the user), evidence (why that column, in words: `mapping.Guess.evidence`; "" when none)."""
    fields = editable_fields(mapping)
    sources = [mapping.columns.get(f) for f in fields]
    confidence = [mapping.confidence.get(f, float("nan")) if s else float("nan") for f, s in zip(fields, sources)]
    how = ["left empty" if f in mapping.columns and not s else "not found" if not s else
           "sure (100%)" if c >= 1 else f"guessed, {c:.0%} sure" for f, s, c in zip(fields, sources, confidence)]
    return pd.DataFrame({"field": fields, "label": [field_label(f, mapping.shape) for f in fields],
                         "source": pd.Series(sources, dtype="object"), "confidence": confidence, "how": how,
                         "evidence": [mapping.evidence.get(f, "") if s else "" for f, s in zip(fields, sources)]})


def column_counts(cells: pd.DataFrame) -> dict[str, pd.Series]:
    """Each column's distinct non-empty values and their counts, most frequent first (columns with more
    than MAX_DISTINCT values are left out): all the editor needs of an upload, small enough to keep."""
    out = {}
    for header in cells.columns:
        counts = cells[header][cells[header] != ""].value_counts()
        if len(counts) <= MAX_DISTINCT:
            out[header] = counts
    return out


def value_table(counts: dict[str, pd.Series], mapping: Mapping, fld: str) -> pd.DataFrame:
    """Each distinct value of the column that `fld` reads, with its count and the canonical id it maps
    to (None: not mapped). Columns: source value, rows, maps to — most frequent first. `counts` is
    `column_counts` of the upload."""
    header = value_column(mapping, fld)
    if header not in counts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in VALUE_COLUMNS})
    counts = counts[header]
    known = mapping.values.get(fld, {})
    allowed = set(allowed_values(fld, mapping.stages))
    return pd.DataFrame({"source value": counts.index.astype("str"), "rows": counts.to_numpy(dtype="int64"),
                         "maps to": pd.Series([known.get(v) if known.get(v) in allowed else None
                                               for v in counts.index], dtype="object")})


def parse_stages(text: str, current: list[str] | None = None) -> list[str]:
    """Stage ids from a list typed one per line, in order, repeats dropped: a line naming a current
    stage or a default one (by its id or its label) keeps that id; a new name becomes its slug ("Acquisition and/or
    Development" -> `acquisition_and_or_development`). Raises ValueError when the list is unusable."""
    known = {slug(name): s for s in DEFAULT_STAGES for name in (s, stage_label(s))}
    known.update({slug(name): s for s in current or [] for name in (s, stage_label(s))})
    stages: list[str] = []
    for line in text.splitlines():
        stage = known.get(slug(line), slug(line)) if line.strip() else None
        if stage and stage not in stages:
            stages.append(stage)
    if len(stages) < 2:
        raise ValueError("Give at least two stages, one per line, in the order pilots go through them.")
    if len(stages) > MAX_STAGES:
        raise ValueError(f"Give at most {MAX_STAGES} stages; {len(stages)} look like statuses or tasks.")
    return stages


def stages_text(stages: list[str]) -> str:
    """The stage list as the editor shows it, one per line."""
    return "\n".join(stage_label(s) for s in stages)


def edited_mapping(base: Mapping, columns: dict[str, str | None], values: dict[str, dict[str, str | None]],
                   stages: list[str], shape: str | None = None) -> Mapping:
    """The user's mapping: `columns` (field -> header or None) and `values` (field -> source value ->
    id or None) override `base`; a changed stage list drops stage-date columns and stage values of
    stages no longer in it (they are guessed again). Confidence is 1 for what the user set."""
    mapping = base.copy()
    mapping.shape = shape or base.shape
    if (mapping.shape or "wide") != (base.shape or "wide"):  # another shape reads other fields
        fields = set(editable_fields(mapping))
        mapping.columns = {f: h for f, h in mapping.columns.items() if f in fields}
        columns = {f: h for f, h in columns.items() if f in fields}
    for fld, header in columns.items():
        if header:
            mapping.columns[fld] = header
            if base.columns.get(fld) != header:
                mapping.confidence[fld] = 1.0
                mapping.evidence[fld] = "chosen by you"
        elif base.columns.get(fld):  # cleared by the user: stays empty, is not guessed again
            mapping.columns[fld] = None
    for fld, table in values.items():
        mapping.values.setdefault(fld, {}).update(table)
    return restaged(mapping, stages)


def restaged(mapping: Mapping, stages: list[str]) -> Mapping:
    """The mapping on a stage list: what points at a stage not in it is dropped."""
    mapping.stages = list(stages)
    kept = set(stages)
    mapping.columns = {f: h for f, h in mapping.columns.items()
                       if not (f.endswith("_date") and f not in FIELDS and f[:-5] not in kept)}
    if "stage" in mapping.values:
        mapping.values["stage"] = {v: s for v, s in mapping.values["stage"].items() if s is None or s in kept}
    return mapping


def with_stages(base: Mapping, stages: list[str], counts: dict[str, pd.Series]) -> Mapping:
    """The mapping on another stage list, its stage values guessed again where they pointed at a stage
    no longer in it (what the value table shows while the user edits the list)."""
    if stages == base.stages:
        return base
    mapping = restaged(base.copy(), stages)
    if "stage" in mapping.values:  # what no rule knew under the old list may be known under the new one
        mapping.values["stage"] = {v: s for v, s in mapping.values["stage"].items() if s is not None}
    header = value_column(mapping, "stage")
    if header in counts:
        complete_values(mapping, "stage", pd.DataFrame({header: counts[header].index.astype("str")}), header)
    return mapping


def changes(base: Mapping, edited: Mapping) -> list[str]:
    """Plain sentences for what an edit changes (shown before the user applies it)."""
    out = [f"{field_label(f)}: {base.columns.get(f) or '(none)'} -> {edited.columns.get(f) or '(none)'}"
           for f in sorted(set(base.columns) | set(edited.columns)) if base.columns.get(f) != edited.columns.get(f)]
    for fld in CODED:
        old, new = base.values.get(fld, {}), edited.values.get(fld, {})
        out += [f"{field_label(fld)} value '{v}': {old.get(v) or '(not mapped)'} -> {new.get(v) or '(not mapped)'}"
                for v in sorted(set(old) | set(new)) if old.get(v) != new.get(v)]
    if base.stages != edited.stages:
        out.append("Stages: " + " -> ".join(stage_label(s) for s in edited.stages))
    if (base.shape or "wide") != (edited.shape or "wide"):
        out.append("Each row is " + ("a stage change (event log)" if edited.shape == "events" else "a pilot"))
    return out
