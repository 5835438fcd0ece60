"""REFERENCE ONLY (tests): analysis/ingest/validate.py as of commit f1c84e2, the row-wise derivation before it
worked on each column's distinct values. tests/test_derive_distinct.py checks that the code in
analysis/ gives exactly what this gives. Do not edit.

A RawTable and a Mapping -> canonical pilots, rejected rows and problems.

Every row read is either accepted or rejected with a reason: rows read = accepted + rejected.
A row is rejected only when it cannot stand for a pilot (empty, a total line, no ID, a repeated ID);
a bad field in a usable row is a warning: the field is left empty and the row is kept.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import TOTAL_WORDS, RawTable, is_total_row
from analysis.schema import DATE_FIELDS, NUMBER_FIELDS, UNKNOWN_STAGE, slug
from tests.reference_parse import distinct, parse_numbers, read_column_dates, spread

ABSURD_AMOUNT = 1e12  # no AI pilot costs a trillion in any currency: a unit or typing error
PRODUCTION_STATUSES = ("production", "retired")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
HTML_HINT = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:[a-z]+|#\d+);")
FORMULA = re.compile(r"^=[A-Za-z0-9(+\-]")  # `=SUM(A1:A3)`, `=1+2`: a spreadsheet formula saved as text


@dataclass
class Derived:
    """The canonical pilots of one upload with everything the user must be told about it.

    `pilots` columns: row, pilot_id, name, business_unit, use_case, sourcing, sponsor, start_date,
    stage, stage_index, status, failure_cause, failure_cause_source, end_date, last_update, budget,
    spend, one `<stage>_date` per stage, and one `x_<header>` per unmapped source column.
    """

    pilots: pd.DataFrame
    rejected: pd.DataFrame  # row, reason, then the source cells
    problems: list[dict]
    mapping: Mapping
    stages: list[str]
    extras: dict[str, str]  # x_ column -> source header
    unmapped: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    shape: str = "wide"  # "wide" (a row per pilot) or "events" (a row per stage change)

    def row_counts(self) -> dict[str, int]:
        """Rows read, accepted and rejected (read = accepted + rejected). For an event log the rows
        are events; the pilots built from them are `len(pilots)`."""
        rejected = len(self.rejected)
        return {"read": self.rows_read, "accepted": self.rows_read - rejected, "rejected": rejected}


def derive(raw: RawTable, mapping: Mapping, today: dt.date | None = None, as_of: dt.date | None = None) -> Derived:
    """Canonical pilots from raw cells, under the (completed) mapping. Future dates (after today) are left
    empty; dates after an explicit `as_of` are kept and reported."""
    lines = pd.Series(raw.lines, index=raw.cells.index, dtype="int64")
    notes = list(raw.notes)
    cells = raw.cells if raw.cleaned else clean_cells(raw.cells, lines, notes)
    problems = list(raw.problems)
    keep, rejected = _reject_rows(cells, lines, mapping)
    out = pd.DataFrame({"row": lines[keep].to_numpy()}, index=cells.index[keep])
    _ids(out, cells[keep], mapping, notes)
    _texts(out, cells[keep], mapping)
    _dates(out, cells[keep], lines[keep], mapping, problems, today or dt.date.today(), as_of)
    _numbers(out, cells[keep], lines[keep], mapping, problems)
    unmapped = _coded(out, cells[keep], mapping, notes)
    extras = _extras(out, cells[keep], mapping)
    rej = rejected_frame(cells, lines, rejected)
    problems += [{"row": int(r), "column": c, "problem": p} for r, c, p in rejected]
    problems.sort(key=lambda p: p["row"])
    return Derived(out.reset_index(drop=True), rej, problems, mapping, list(mapping.stages), extras,
                   unmapped, notes, rows_read=len(cells))


def cleaned(raw: RawTable) -> RawTable:
    """The raw table with its cells cleaned once (see `clean_cells`), its notes saying what was cleaned."""
    if raw.cleaned:
        return raw
    notes = list(raw.notes)
    cells = clean_cells(raw.cells, pd.Series(raw.lines, index=raw.cells.index, dtype="int64"), notes)
    return replace(raw, cells=cells, notes=notes, cleaned=True)


def clean_cells(cells: pd.DataFrame, lines: pd.Series, notes: list[str]) -> pd.DataFrame:
    """Cells trimmed (spaces and non-breaking spaces), HTML markup reduced to its text, and a note
    for markup and for spreadsheet formulas (kept as text, never run; downloads neutralise them)."""
    out: dict[str, pd.Series] = {}
    marked, formulas = [], []
    for column in cells.columns:
        text = cells[column].fillna("").astype("str").str.replace("\u00a0", " ", regex=False).str.strip()
        has_html = _matches(text, text.str.contains("<", regex=False) | text.str.contains("&", regex=False),
                            HTML_HINT.search)
        if has_html.any():
            text = text.where(~has_html, text[has_html].map(_html_text))
            marked += [(int(lines[i]), column) for i in has_html[has_html].index]
        is_formula = _matches(text, text.str.startswith("="), FORMULA.match)
        formulas += [(int(lines[i]), column) for i in is_formula[is_formula].index]
        out[column] = text
    _note_cells(notes, marked, "held HTML markup; the tags were removed and the text kept")
    _note_cells(notes, formulas, "hold spreadsheet formulas (starting with '='); they are kept as text, never "
                "run, and neutralised in downloads")
    return pd.DataFrame(out, index=cells.index, columns=list(cells.columns))


def _matches(text: pd.Series, maybe: pd.Series, test) -> pd.Series:
    """Where `test` (a compiled pattern's search or match) finds the pattern, tried only on the cells
    that `maybe` (a fast column-wise test every match passes) picks, each distinct cell once."""
    out = pd.Series(False, index=text.index)
    if maybe.any():
        candidates = text[maybe]
        found = {v: test(v) is not None for v in candidates.unique()}
        out[maybe] = candidates.map(found).astype(bool)
    return out


def _html_text(value: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(HTML_TAG.sub(" ", value))).strip()


def _note_cells(notes: list[str], where: list[tuple[int, str]], what: str) -> None:
    if where:
        line, column = where[0]
        notes.append(f"{len(where)} cell(s) {what} (first: line {line}, column '{column}').")


def _reject_rows(cells: pd.DataFrame, lines: pd.Series, mapping: Mapping) -> tuple[pd.Series, list]:
    """Mask of rows kept, and (line, column, reason) for each row rejected, in file order. Vectorised:
    a wide export of a million rows is checked in seconds."""
    id_col = mapping.columns.get("pilot_id")
    empty, total = empty_rows(cells), total_rows(cells)
    reason = pd.Series(None, index=cells.index, dtype="object")
    reason[empty] = "the row is empty"
    reason[total & ~empty] = "a total line, not a pilot"
    if id_col:
        pid = cells[id_col]
        reason[reason.isna() & (pid == "")] = f"no pilot ID in column '{id_col}'; give the pilot an ID or remove the row"
        repeats = _repeats(cells, lines, pid, reason.isna())
        reason = reason.where(reason.notna(), repeats)
    bad = reason.notna()
    return ~bad, [(int(lines[i]), id_col or "", r) for i, r in reason[bad].items()]


def _repeats(cells: pd.DataFrame, lines: pd.Series, pid: pd.Series, eligible: pd.Series) -> pd.Series:
    """For each row whose pilot ID an earlier eligible row already has: which line it repeats, and
    whether it is an exact copy of it."""
    ids = pid[eligible]
    again = ids[ids.duplicated(keep="first")]
    out = pd.Series(None, index=cells.index, dtype="object")
    if again.empty:
        return out
    first_index = pd.Series(ids.index, index=ids.values).groupby(level=0).first()
    other = first_index.reindex(again.values).to_numpy()
    same = (cells.loc[again.index].to_numpy() == cells.loc[other].to_numpy()).all(axis=1)
    tail = np.where(same, " (an exact copy)", " with different data; keep one of the two rows")
    out[again.index] = [f"pilot ID '{p}' repeats line {lines[o]}{t}" for p, o, t in zip(again, other, tail)]
    return out


def empty_rows(cells: pd.DataFrame) -> pd.Series:
    """Rows whose every (cleaned) cell is empty."""
    return ~cells.ne("").any(axis=1) if len(cells.columns) else pd.Series(True, index=cells.index)


def total_rows(cells: pd.DataFrame) -> pd.Series:
    """Rows whose first filled cell says total or sum (a spreadsheet's trailing total line)."""
    first = pd.Series("", index=cells.index, dtype="object")
    for column in reversed(cells.columns):  # the first filled cell of each row, a column at a time
        first = cells[column].where(cells[column] != "", first)
    return first.isin(_total_words(pd.Series(first.unique(), dtype="str")))


def _total_words(values: pd.Series) -> pd.Series:
    """The values that say total or sum (`is_total_row`). ASCII values are normalised column-wise
    (lower case, runs of punctuation and spaces to one space: what `normalise` does to ASCII text);
    the others, usually few, one at a time."""
    ascii_ = values.str.isascii()
    plain = values[ascii_].str.lower().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
    other = values[~ascii_]
    return pd.concat([values[ascii_][plain.isin(TOTAL_WORDS)],
                      other[other.map(lambda v: is_total_row([v])).astype(bool)]])


def _ids(out: pd.DataFrame, cells: pd.DataFrame, mapping: Mapping, notes: list[str]) -> None:
    column = mapping.columns.get("pilot_id")
    if column:
        out["pilot_id"] = cells[column].to_numpy()
    else:
        out["pilot_id"] = ["row-" + str(r) for r in out["row"]]
        notes.append("The file has no ID column, so pilots are named by their line number (row-2, row-3, ...). "
                     "Map an ID column on the Data page if the export has one.")


def _texts(out: pd.DataFrame, cells: pd.DataFrame, mapping: Mapping) -> None:
    for fld in ("name", "business_unit", "use_case", "sponsor"):
        column = mapping.columns.get(fld)
        out[fld] = cells[column].replace("", None).to_numpy() if column else None
        out[fld] = out[fld].astype("str") if column else pd.Series(None, index=out.index, dtype="str")


def _dates(out, cells, lines, mapping, problems, today: dt.date, as_of: dt.date | None) -> None:
    """Dates read per column. A future date (after today) is left empty; a date after an explicit as-of
    date is kept (the analyses treat it as not yet happened) and reported."""
    fields = DATE_FIELDS + [f"{s}_date" for s in mapping.stages]
    for fld in fields:
        column = mapping.columns.get(fld)
        out[fld] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
        if not column:
            continue
        parsed, other_order, order, ambiguous = read_column_dates(cells[column], mapping.date_formats.get(column))
        if ambiguous:
            problems.append({"row": 1, "column": column, "problem": "every date in this column could be "
                             "day-first or month-first (no day above 12); read as day-first. Set the "
                             "date format in the mapping if that is wrong"})
        _warn_bad(cells[column], parsed, lines, column, "is not a date that can be read", problems)
        for idx in other_order[other_order].index:
            problems.append({"row": int(lines[idx]), "column": column, "problem": f"'{cells[column][idx][:40]}' "
                             f"was read as {parsed[idx]:%Y-%m-%d}, in another day/month order than the rest "
                             f"of the column ({ORDER_NAMES[order]}); check it"})
        future = parsed > pd.Timestamp(today)
        _warn_mask(future, lines, column, "is in the future; left empty", problems, cells[column])
        if as_of is not None:
            late = ~future & (parsed > pd.Timestamp(as_of))
            _warn_mask(late, lines, column, f"is after the as-of date {as_of}; counted as not yet happened",
                       problems, cells[column])
        out[fld] = parsed.mask(future).astype("datetime64[us]")


ORDER_NAMES = {"ymd": "year first", "dmy": "day first", "mdy": "month first"}


def _numbers(out, cells, lines, mapping, problems) -> None:
    for fld in NUMBER_FIELDS:
        column = mapping.columns.get(fld)
        out[fld] = np.nan
        if not column:
            continue
        number = parse_numbers(cells[column])
        _warn_bad(cells[column], number, lines, column, "is not a number that can be read", problems)
        bad = (number < 0) | (number.abs() > ABSURD_AMOUNT)
        _warn_mask(bad, lines, column, "is negative or implausibly large; left empty", problems, cells[column])
        out[fld] = number.mask(bad).astype("float64")


def _warn_bad(text: pd.Series, parsed: pd.Series, lines, column: str, what: str, problems) -> None:
    _warn_mask(parsed.isna() & (text != ""), lines, column, what + "; left empty", problems, text)


def _warn_mask(mask: pd.Series, lines, column, what, problems, text) -> None:
    for idx in mask[mask.fillna(False)].index:
        problems.append({"row": int(lines[idx]), "column": column, "problem": f"'{text[idx][:60]}' {what}"})


def _coded(out: pd.DataFrame, cells: pd.DataFrame, mapping: Mapping, notes: list[str]) -> dict:
    """Stage, status, cause and sourcing mapped to canonical ids; unknown values listed, never dropped."""
    unmapped = {"stage": [], "status": [], "failure_cause": []}
    source = {f: (cells[c] if (c := mapping.columns.get(f)) else pd.Series("", index=cells.index))
              for f in ("stage", "status", "failure_cause", "sourcing")}
    coded = {f: _code(source[f], mapping.values.get(f, {})) for f in source}
    for f in unmapped:
        unknown = source[f][(source[f] != "") & coded[f].isna()]
        unmapped[f] = sorted(unknown.unique().tolist())
    _stage(out, coded["stage"], mapping.stages, notes)
    _status(out, coded["status"], mapping.stages, notes)
    cause_text = source["failure_cause"].where(source["failure_cause"] != "")  # NaN where empty
    out["failure_cause"] = coded["failure_cause"].where(coded["failure_cause"].notna(),
                                                        "other (" + cause_text + ")").astype("str")
    out["failure_cause_source"] = cause_text.astype("str")
    out["sourcing"] = coded["sourcing"].astype("str")
    return unmapped


def _code(values: pd.Series, table: dict) -> pd.Series:
    """The canonical id of each value under the mapping's value table (None where empty or unknown),
    looked up once per distinct value."""
    codes, uniques, _ = distinct(values)
    ids = pd.Series([table.get(v) if v else None for v in uniques], dtype="object")
    return spread(ids, codes, values)


def _stage(out: pd.DataFrame, coded: pd.Series, stages: list[str], notes: list[str]) -> None:
    dated = pd.Series(None, index=out.index, dtype="object")
    for s in stages:
        dated = dated.where(out[f"{s}_date"].isna(), s)
    stage = coded.where(coded.notna(), dated)
    index = stage.map({s: i for i, s in enumerate(stages)})
    out["stage"] = stage.fillna(UNKNOWN_STAGE).astype("str")
    out["stage_index"] = index.fillna(-1).astype("int64")
    missing = int((out["stage"] == UNKNOWN_STAGE).sum())
    if missing:
        notes.append(f"{missing} pilot(s) have no stage that could be read; they are kept as 'unknown' "
                     "and left out of the funnel.")
    if out["start_date"].isna().all() and any(out[f"{s}_date"].notna().any() for s in stages):
        out["start_date"] = out[[f"{s}_date" for s in stages]].min(axis=1)
    else:
        out["start_date"] = out["start_date"].fillna(out[[f"{s}_date" for s in stages]].min(axis=1))


def _status(out: pd.DataFrame, coded: pd.Series, stages: list[str], notes: list[str]) -> None:
    last = len(stages) - 1
    default = np.where(out["stage_index"] == last, "production", "active")
    status = coded.where(coded.notna(), pd.Series(default, index=out.index))
    out["status"] = status.astype("str")
    behind = status.isin(PRODUCTION_STATUSES) & (out["stage_index"] < last)
    if behind.any():
        out.loc[behind, "stage"] = stages[last]
        out.loc[behind, "stage_index"] = last
        notes.append(f"{int(behind.sum())} pilot(s) have a production status but an earlier stage; "
                     f"they are counted as having reached {stages[last]}.")


def _extras(out: pd.DataFrame, cells: pd.DataFrame, mapping: Mapping) -> dict[str, str]:
    used = set(mapping.columns.values())
    extras: dict[str, str] = {}
    for header in cells.columns:
        if header in used:
            continue
        name = f"x_{slug(header)}"
        while name in extras or name in out.columns:
            name += "_"
        extras[name] = header
        out[name] = cells[header].replace("", None).astype("str").to_numpy()
    return extras


def rejected_frame(cells: pd.DataFrame, lines: pd.Series, rejected: list) -> pd.DataFrame:
    """The rejected rows as read (row, reason, then the source cells), for the download."""
    rows = {line: reason for line, _, reason in rejected}
    mask = lines.isin(list(rows))
    frame = cells[mask].copy()
    frame.insert(0, "reason", [rows[int(x)] for x in lines[mask]])
    frame.insert(0, "row", lines[mask].to_numpy())
    return frame.reset_index(drop=True)

