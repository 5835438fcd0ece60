"""A RawTable and a Mapping -> canonical pilots, rejected rows and problems.

Every row read is either accepted or rejected with a reason: rows read = accepted + rejected.
A row is rejected only when it cannot stand for a pilot (empty, a total line, a repeated ID); a row with
content but no ID is a pilot named by its line number, and a bad field in a usable row is a warning: the
field is left empty and the row is kept.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.ingest import rows
from analysis.ingest.arrowtext import FORMULA, HTML_HINT, clean_as_is, column_bytes
from analysis.ingest.mapping import Mapping, read_as_stages
from analysis.ingest.parse import Distinct, approximate_dates, arrow_text, numbers_of
from analysis.ingest.reading import (
    LineRange,
    RawTable,
    without_rows,
)
from analysis.ingest.stages import UNKNOWN_STAGE_NOTE, stage_positions
from analysis.ingest.values import APPROXIMATE_NOTE
from analysis.ingest.written import ORDER_NAMES
from analysis.memory import release_memory
from analysis.schema import (
    ABSURD_AMOUNT,
    DATE_FIELDS,
    NUMBER_FIELDS,
    PRODUCTION_STATUSES,
    UNKNOWN_STAGE,
    slug,
)

HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
PARALLEL_ROWS = 50_000  # from this many rows, columns are worked on in threads (below, threads cost more)
WORKERS = 2  # the machine the budgets are set for has two cores


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


def derive(raw: RawTable, mapping: Mapping, today: dt.date | None = None, as_of: dt.date | None = None,
           let_go: bool = False) -> Derived:
    """Canonical pilots from raw cells, under the (completed) mapping. Future dates (after today) are left
    empty; dates after an explicit `as_of` are kept and reported.

    Each column is read as its distinct values (`parse.Distinct`): cleaning, dates, numbers and codes are
    worked out once per distinct value and taken back to the rows, and the pilots frame is built a column
    at a time from those. `let_go`: the caller gives up the raw table's lines (emptied) and its cleaned cells,
    whose mapped columns are dropped once IDs and texts are taken, before the dates, amounts and codes are
    made from their distinct values (at 1M rows the text of those columns is 200 MB)."""
    lines = line_numbers(raw)
    raw = cleaned(raw)
    if let_go:
        raw.lines.clear()  # a million Python ints (36 MB) when a list, now in `lines`
    cells, notes, problems = raw.cells, list(raw.notes), list(raw.problems)
    cols = _Columns(cells, raw.distinct[1] if raw.distinct and raw.distinct[0] is cells else {})
    checked = _reject_rows(cells, lines, mapping, cols)
    keep, rejected = checked.keep, checked.rejected
    cols.keep = None if keep.all() else keep
    kept_lines = lines.to_numpy()[keep]
    out = pd.DataFrame({"row": kept_lines}, index=cells.index[keep], copy=False)
    _ids(out, cells, cols, mapping, notes)
    if checked.names:
        _name_rows_without_id(out, checked, lines.to_numpy(), mapping.columns["pilot_id"], notes, problems)
    _texts(out, cols, mapping)
    rej = rejected_frame(cells, lines, rejected)
    if let_go:
        _let_go_of_mapped(cells, cols, mapping)
    _dates(out, cols, kept_lines, mapping, problems, notes, today or dt.date.today(), as_of)
    _numbers(out, cols, kept_lines, mapping, problems)
    unmapped = _coded(out, cols, mapping, notes)
    extras = _extras(out, cells, cols, mapping)
    problems += [{"row": int(r), "column": c, "problem": p} for r, c, p in rejected]
    problems.sort(key=lambda p: p["row"])
    return Derived(out.reset_index(drop=True), rej, problems, mapping, list(mapping.stages), extras,
                   unmapped, notes, rows_read=len(cells))


def _let_go_of_mapped(cells: pd.DataFrame, cols: _Columns, mapping: Mapping) -> None:
    """Drop from `cells` (in place) the columns mapped to fields, once their distinct values are known
    (all that dates, amounts and codes are read from; IDs and texts are taken before), and hand their memory
    back. The columns no field maps (extras) stay."""
    used = set(mapping.columns.values())
    mapped = [h for h in cells.columns if h in used]
    for header in mapped:
        cols.all(header)
    cells.drop(columns=mapped, inplace=True)
    release_memory()


class _Columns:
    """The distinct values of each column of the cleaned cells (computed when first asked for), and of
    the accepted rows (`kept`) once `keep` is set."""

    def __init__(self, cells: pd.DataFrame, known: dict[str, Distinct]):
        self.cells, self.known, self.keep = cells, dict(known), None
        self.kept_known: dict[str, Distinct] = {}

    def all(self, column: str) -> Distinct:
        if column not in self.known:
            self.known[column] = Distinct.of(self.cells[column])
        return self.known[column]

    def kept(self, column: str | None) -> Distinct:
        """The accepted rows of a column; a column of empty cells for None (a field not mapped)."""
        if column is None:
            return Distinct(np.zeros(len(self.cells) if self.keep is None else int(self.keep.sum()), dtype=np.intp),
                            pd.Series([""], dtype="str"))
        if self.keep is None:
            return self.all(column)
        if column not in self.kept_known:
            self.kept_known[column] = self.all(column).subset(self.keep)
        return self.kept_known[column]


def cleaned(raw: RawTable) -> RawTable:
    """The raw table with its cells cleaned once (see `clean_cells`), its notes saying what was cleaned."""
    if raw.cleaned:
        return raw
    notes = list(raw.notes)
    cells, columns = _clean(raw.cells, line_numbers(raw), notes)
    return replace(raw, cells=cells, notes=notes, cleaned=True, distinct=(cells, columns))


def line_numbers(raw: RawTable) -> pd.Series:
    """The file line of each row (int64, on the cells' index); read from a list a third as slowly as pandas reads
    it (a million lines: 0.01 s), from a LineRange at once."""
    lines = np.asarray(raw.lines, dtype=np.int64) if isinstance(raw.lines, LineRange) else \
        np.fromiter(raw.lines, dtype=np.int64, count=len(raw.lines))
    return pd.Series(lines, index=raw.cells.index)


def clean_cells(cells: pd.DataFrame, lines: pd.Series, notes: list[str]) -> pd.DataFrame:
    """Cells trimmed (spaces and non-breaking spaces), HTML markup reduced to its text, and a note
    for markup and for spreadsheet formulas (kept as text, never run; downloads neutralise them)."""
    return _clean(cells, lines, notes)[0]


def _clean(cells: pd.DataFrame, lines: pd.Series, notes: list[str]) -> tuple[pd.DataFrame, dict[str, Distinct]]:
    """`clean_cells`, worked out once per distinct value of each column, and the cleaned columns' distinct
    values. A column that cleaning leaves as it was is not copied."""
    out: dict[str, pd.Series] = {}
    found: dict[str, Distinct] = {}
    marked, formulas = [], []
    at = lines.to_numpy()
    for column, (values, text, has_html, is_formula) in zip(cells.columns, _cleaned_columns(cells)):
        marked += [(int(at[i]), column) for i in np.flatnonzero(values.rows(has_html))] if has_html.any() else []
        formulas += [(int(at[i]), column) for i in np.flatnonzero(values.rows(is_formula))] if is_formula.any() else []
        found[column] = values.remapped(text)
        same = cells[column].dtype == "str" and text.equals(values.uniques)
        out[column] = cells[column] if same else pd.Series(
            text.array if not values.exact else text.array.take(values.codes), index=cells.index)
    _note_cells(notes, marked, "held HTML markup; the tags were removed and the text kept")
    _note_cells(notes, formulas, "hold spreadsheet formulas (starting with '='); they are kept as text, never "
                "run, and neutralised in downloads")
    return pd.DataFrame(out, index=cells.index, columns=list(cells.columns)), found


def _cleaned_columns(cells: pd.DataFrame) -> list[tuple[Distinct, pd.Series, np.ndarray, np.ndarray]]:
    """Each column's distinct values and `_clean_values` of them, in column order; the columns of a large
    table two at a time (Arrow hashes and tests the text without holding the GIL: 1M rows, 0.2 s less)."""
    def one(column: pd.Series) -> tuple[Distinct, pd.Series, np.ndarray, np.ndarray]:
        values = Distinct.of(column)
        return (values, *_clean_values(values.uniques))

    columns = [cells[c] for c in cells.columns]  # taken here: the threads touch no shared frame
    if len(cells) < PARALLEL_ROWS or len(columns) < 2:
        return [one(column) for column in columns]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        found = list(pool.map(one, columns))
    release_memory()  # the hash tables and the trimmed copies of a million IDs and names
    return found


def _clean_values(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(cleaned text, held HTML, is a formula) of each value."""
    if _already_clean(values):
        return values, np.zeros(len(values), dtype=bool), np.zeros(len(values), dtype=bool)
    text = values.fillna("").astype("str").str.replace("\u00a0", " ", regex=False).str.strip()
    has_html = _matches(text, text.str.contains("<", regex=False) | text.str.contains("&", regex=False),
                        HTML_HINT.search)
    if has_html.any():
        text = text.where(~has_html, text[has_html].map(_html_text))
    is_formula = _matches(text, text.str.startswith("="), FORMULA.match)
    return text, has_html.to_numpy(dtype=bool), is_formula.to_numpy(dtype=bool)


def _already_clean(values: pd.Series) -> bool:
    """True when cleaning leaves every value as it is and finds no markup or formula (arrowtext.clean_as_is):
    Arrow text without missing values only."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray) or values.isna().any():
        return False
    return clean_as_is(pa.chunked_array(values.array._pa_array), _text_bytes(values))


def _text_bytes(values: pd.Series) -> bytes | None:
    """arrowtext.column_bytes of an Arrow str column; None for a column held otherwise."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    return column_bytes(pa.chunked_array(values.array._pa_array))


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


def _reject_rows(cells: pd.DataFrame, lines: pd.Series, mapping: Mapping, cols: _Columns) -> rows.Rows:
    """The row rules of analysis/ingest/rows.py on the cleaned cells, each column given as its distinct values
    (`arrow_column`): the rows kept, the rows rejected and the kept rows without an ID with their names. A wide
    export of a million rows is checked in a fraction of a second."""
    columns = {column: arrow_column(cols.all(column)) for column in cells.columns}
    return rows.checked_rows(columns, lines.to_numpy(), mapping.columns.get("pilot_id"))


def arrow_column(values: Distinct) -> rows.Column:
    """A column's distinct values as rows.Column takes them: the Arrow text of a str column as it is (no
    copy), its codes when they number distinct values (a column held as itself is given as its values)."""
    return rows.Column(arrow_text(values.uniques), values.codes if values.exact else None)


def strictly_ascending(values: pd.Series) -> bool:
    """Whether each text sorts strictly after the one before it, so that none repeats (rows.ascending): a look at
    neighbours (milliseconds for a million IDs, where telling them apart by hashing takes 0.1-0.2 s) that an
    export sorted by its IDs passes. False for anything else (then the IDs are hashed)."""
    return isinstance(values.array, pd.arrays.ArrowStringArray) and \
        rows.ascending(pa.chunked_array(values.array._pa_array))


def empty_rows(cells: pd.DataFrame) -> pd.Series:
    """Rows whose every (cleaned) cell is empty (rows.empty_and_total)."""
    return pd.Series(_empty_and_total(cells)[0], index=cells.index)


def total_rows(cells: pd.DataFrame) -> pd.Series:
    """Rows whose first filled cell says total or sum (a spreadsheet's trailing total line: rows.empty_and_total)."""
    return pd.Series(_empty_and_total(cells)[1], index=cells.index)


def _empty_and_total(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    columns = (rows.Column(arrow_text(cells[column])) for column in cells.columns)
    return rows.empty_and_total(columns, len(cells))


def _ids(out: pd.DataFrame, cells: pd.DataFrame, cols: _Columns, mapping: Mapping, notes: list[str]) -> None:
    column = mapping.columns.get("pilot_id")
    if column and cells[column].dtype == "str":  # the text as it is (a str column needs no conversion)
        out["pilot_id"] = cells[column].array if cols.keep is None else cells[column].array[cols.keep]
    elif column:
        out["pilot_id"] = cells[column].to_numpy() if cols.keep is None else cells[column].to_numpy()[cols.keep]
    else:
        out["pilot_id"] = ["row-" + str(r) for r in out["row"]]
        notes.append("The file has no ID column, so pilots are named by their line number (row-2, row-3, ...). "
                     "Map an ID column on the Data page if the export has one.")


def _name_rows_without_id(out: pd.DataFrame, checked: rows.Rows, lines: np.ndarray, column: str, notes: list[str],
                          problems: list[dict]) -> None:
    """Rows with content but no ID (empty, or a placeholder such as N/A) are pilots too: each is named by its
    line number (row-17, as rows.checked_rows names it), kept with a warning, and counted in a note."""
    missing = np.zeros(len(lines), dtype=bool)
    missing[checked.unnamed] = True
    ids = out["pilot_id"].astype("object").to_numpy(copy=True)
    ids[missing[checked.keep]] = checked.names
    out["pilot_id"] = pd.array(ids, dtype="str")
    found, note = checked.unnamed_report(lines, column)
    problems += found
    notes.append(note)


def _column(values: np.ndarray, index: pd.Index) -> pd.Series:
    """A new array of row values as a column to set on a frame: pandas copies a bare array set as a column
    (1M dates: 8 MB and 3-10 ms each), not a Series of it made without copying."""
    return pd.Series(values, index=index, copy=False)


def _on_rows(values: Distinct, per_value: pd.Series, index: pd.Index) -> pd.Series:
    """A text result computed per distinct value (str dtype), on every row."""
    return pd.Series(per_value.array.take(values.codes), index=index)


def _text(cols: _Columns, column: str, index: pd.Index) -> pd.Series | pd.api.extensions.ExtensionArray:
    """A column's text on the accepted rows, empty cells missing: the cleaned column itself (no copy)
    when every row is accepted and no cell is empty."""
    values = cols.kept(column)
    text = values.uniques.replace("", None).astype("str")
    if cols.keep is None and cols.cells[column].dtype == "str" and text.equals(values.uniques):
        return cols.cells[column].array
    return _on_rows(values, text, index)


def _texts(out: pd.DataFrame, cols: _Columns, mapping: Mapping) -> None:
    for fld in ("name", "business_unit", "use_case", "sponsor"):
        column = mapping.columns.get(fld)
        if column:
            out[fld] = _text(cols, column, out.index)
        else:
            out[fld] = pd.Series(None, index=out.index, dtype="str")


def _dates(out, cols: _Columns, at: np.ndarray, mapping, problems, notes, today: dt.date,
           as_of: dt.date | None) -> None:
    """Dates read per column. A future date (after today) is left empty; a date after an explicit as-of
    date is kept (the analyses treat it as not yet happened) and reported."""
    fields = DATE_FIELDS + [f"{s}_date" for s in mapping.stages]
    for fld in fields:
        column = mapping.columns.get(fld)
        if not column:
            out[fld] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
            continue
        values = cols.kept(column).exactly()
        text = values.uniques
        parsed, other_order, order, ambiguous, periods = approximate_dates(text, values.counts(),
                                                                           mapping.date_formats.get(column))
        if ambiguous:
            problems.append({"row": 1, "column": column, "problem": "every date in this column could be "
                             "day-first or month-first (no day above 12); read as day-first. Set the "
                             "date format in the mapping if that is wrong"})
        _warn(values, parsed.isna() & (text != ""), at, column, "is not a date that can be read; left empty", problems)
        for i in np.flatnonzero(values.rows(other_order.to_numpy(dtype=bool))):
            code = values.codes[i]
            problems.append({"row": int(at[i]), "column": column, "problem": f"'{text[code][:40]}' was read as "
                             f"{parsed[code]:%Y-%m-%d}, in another day/month order than the rest of the column "
                             f"({ORDER_NAMES[order]}); check it"})
        periods = values.counts()[periods.to_numpy(dtype=bool)].sum()
        if periods:
            notes.append(APPROXIMATE_NOTE.format(count=int(periods), column=column))
        future = parsed > pd.Timestamp(today)
        _warn(values, future, at, column, "is in the future; left empty", problems)
        if as_of is not None:
            late = ~future & (parsed > pd.Timestamp(as_of))
            _warn(values, late, at, column, f"is after the as-of date {as_of}; counted as not yet happened", problems)
        out[fld] = _column(values.rows(parsed.mask(future).astype("datetime64[us]")), out.index)




def _numbers(out, cols: _Columns, at: np.ndarray, mapping, problems) -> None:
    for fld in NUMBER_FIELDS:
        column = mapping.columns.get(fld)
        if not column:
            out[fld] = np.nan
            continue
        values = cols.kept(column).exactly()
        number = numbers_of(values.uniques)
        _warn(values, number.isna() & (values.uniques != ""), at, column,
              "is not a number that can be read; left empty", problems)
        bad = (number < 0) | (number.abs() > ABSURD_AMOUNT)
        _warn(values, bad, at, column, "is negative or implausibly large; left empty", problems)
        out[fld] = _column(values.rows(number.mask(bad).astype("float64")), out.index)


def _warn(values: Distinct, mask: pd.Series, at: np.ndarray, column: str, what: str, problems: list) -> None:
    """A problem for each row whose value `mask` (one per distinct value) picks, in row order."""
    mask = mask.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return
    text = values.uniques.to_numpy()
    for i in np.flatnonzero(mask[values.codes]):
        problems.append({"row": int(at[i]), "column": column, "problem": f"'{text[values.codes[i]][:60]}' {what}"})


def _coded(out: pd.DataFrame, cols: _Columns, mapping: Mapping, notes: list[str]) -> dict:
    """Stage, status, cause and sourcing mapped to canonical ids; unknown values listed, never dropped."""
    unmapped = {"stage": [], "status": [], "failure_cause": []}
    source = {f: cols.kept(mapping.columns.get(f)).exactly() for f in ("stage", "status", "failure_cause", "sourcing")}
    coded = {f: _code(source[f].uniques, mapping.values.get(f, {})) for f in source}
    for f in unmapped:
        text = source[f].uniques
        unmapped[f] = sorted(text[(text != "") & coded[f].isna()].unique().tolist())
    unmapped["status"] = [v for v in unmapped["status"] if v not in read_as_stages(mapping)]
    stage = _stage(out, source["stage"], coded["stage"], mapping.stages, notes)
    _status(out, stage, source["status"], coded["status"], mapping.stages, notes)
    cause, text = source["failure_cause"], source["failure_cause"].uniques
    cause_text = text.where(text != "")  # NaN where empty
    out["failure_cause"] = _on_rows(cause, coded["failure_cause"].where(
        coded["failure_cause"].notna(), "other (" + cause_text + ")").astype("str"), out.index)
    out["failure_cause_source"] = _on_rows(cause, cause_text.astype("str"), out.index)
    out["sourcing"] = _on_rows(source["sourcing"], coded["sourcing"].astype("str"), out.index)
    return unmapped


def _code(values: pd.Series, table: dict) -> pd.Series:
    """The canonical id of each (distinct) value under the mapping's value table (None where empty or
    unknown)."""
    return pd.Series([table.get(v) if v else None for v in values], index=values.index, dtype="object")


def _positions(values: Distinct, coded: pd.Series, names: list[str]) -> np.ndarray:
    """Each row's coded value as a position in `names` (extended with any other coded value), -1 where
    the value has no code."""
    names += sorted({c for c in coded.dropna() if c not in names})
    where = {n: i for i, n in enumerate(names)}
    return values.rows(np.array([where[c] if c is not None else -1 for c in coded], dtype=np.intp))


def _stage(out: pd.DataFrame, source: Distinct, coded: pd.Series, stages: list[str], notes: list[str]) -> dict:
    """The stage of each row: its coded value, else the last stage it has a date for; the stage index
    (-1 for unknown). Returns the stage names and each row's position among them (-1: unknown)."""
    names = list(stages)
    position, missing = stage_positions(_positions(source, coded, names),
                                        [out[f"{s}_date"].notna().to_numpy() for s in stages], names, UNKNOWN_STAGE)
    if missing:
        notes.append(UNKNOWN_STAGE_NOTE.format(missing))
    first = _earliest([out[f"{s}_date"] for s in stages], out.index)
    if out["start_date"].isna().all() and any(out[f"{s}_date"].notna().any() for s in stages):
        out["start_date"] = first
    else:
        out["start_date"] = out["start_date"].fillna(first)
    return {"names": names, "position": position}


def _earliest(dates: list[pd.Series], index: pd.Index) -> pd.Series:
    """The earliest of each row's dates (NaT when it has none), as `DataFrame.min(axis=1)` gives it,
    without building the frame (a column at a time)."""
    earliest = np.full(len(index), np.iinfo("int64").max)
    for date in dates:
        ticks = date.to_numpy(dtype="datetime64[us]").view("int64")
        np.minimum(earliest, np.where(ticks == np.iinfo("int64").min, earliest, ticks), out=earliest)  # NaT
    earliest[earliest == np.iinfo("int64").max] = np.iinfo("int64").min
    return pd.Series(earliest.view("datetime64[us]"), index=index)


def _status(out: pd.DataFrame, stage: dict, source: Distinct, coded: pd.Series, stages: list[str],
            notes: list[str]) -> None:
    """Status (coded, else production at the last stage and active before it), then stage and stage
    index with a production status moved to the last stage."""
    last, position = len(stages) - 1, stage["position"]
    index = np.where(position < len(stages), position, -1)
    names = ["production", "active"]
    status = _positions(source, coded, names)
    status = np.where(status >= 0, status, np.where(index == last, 0, 1))
    behind = np.isin(np.array(names, dtype=object), PRODUCTION_STATUSES)[status] & (index < last)
    if behind.any():
        position, index = np.where(behind, last, position), np.where(behind, last, index)
    stage_names = pd.Series(stage["names"] + [UNKNOWN_STAGE], dtype="str")
    out["stage"] = stage_names.array.take(np.where(position >= 0, position, len(stage["names"])))
    out["stage_index"] = _column(index.astype("int64"), out.index)
    out["status"] = pd.Series(names, dtype="str").array.take(status)
    if behind.any():
        notes.append(f"{int(behind.sum())} pilot(s) have a production status but an earlier stage; "
                     f"they are counted as having reached {stages[last]}.")


def _extras(out: pd.DataFrame, cells: pd.DataFrame, cols: _Columns, mapping: Mapping) -> dict[str, str]:
    used = set(mapping.columns.values())
    extras: dict[str, str] = {}
    for header in cells.columns:
        if header in used:
            continue
        name = f"x_{slug(header)}"
        while name in extras or name in out.columns:
            name += "_"
        extras[name] = header
        out[name] = _text(cols, header, out.index)
    return extras


def rejected_frame(cells: pd.DataFrame, lines: pd.Series, rejected: list) -> pd.DataFrame:
    """The rejected rows as read (row, reason, then the source cells), for the download."""
    reasons = {line: reason for line, _, reason in rejected}
    if reasons:
        mask = lines.isin(list(reasons))
        frame, at = cells[mask].copy(), lines[mask]
    else:  # no need to scan a million lines, nor to keep them: an empty slice would hold every column
        frame, at = without_rows(cells), pd.Series([], dtype=lines.dtype)
    frame.insert(0, "reason", [reasons[int(x)] for x in at])
    frame.insert(0, "row", at.to_numpy())
    return frame.reset_index(drop=True)

