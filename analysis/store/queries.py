"""Filtered pilots out of the store: DuckDB SQL with bound parameters -> pandas DataFrames.

Filter values are always bound as parameters; the only identifiers placed in SQL are the canonical
dimension names (a fixed list) and a dataset's own extra columns, quoted by `quote_ident`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from analysis.schema import BLANK, DIMENSIONS, UNKNOWN_STAGE
from analysis.store.datasets import cursor, pilots_table, quote_ident

# Text as Arrow's large_string, the type pandas keeps its text in: pyarrow then hands the buffers over
# instead of copying every text column into that type (50 ms and a second copy of the text at 1M pilots).
LARGE_STRINGS = "SET SESSION arrow_large_buffer_size = true"  # this cursor only (SET alone is global)


@dataclass(frozen=True)
class Filters:
    """The global filters: chosen values per dimension (empty = all) and a start-date range."""

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    start_from: dt.date | None = None
    start_to: dt.date | None = None

    def to_dict(self) -> dict:
        """JSON-safe form, as kept in snapshots."""
        raw = asdict(self)
        raw["values"] = {k: list(v) for k, v in self.values.items() if v}
        raw["start_from"] = self.start_from.isoformat() if self.start_from else None
        raw["start_to"] = self.start_to.isoformat() if self.start_to else None
        return raw

    @classmethod
    def from_dict(cls, raw: dict) -> Filters:
        """Inverse of to_dict."""
        def day(v):
            return dt.date.fromisoformat(v) if v else None
        return cls({k: tuple(v) for k, v in (raw.get("values") or {}).items() if v},
                   day(raw.get("start_from")), day(raw.get("start_to")))


def where_clause(filters: Filters, allowed: list[str]) -> tuple[str, list]:
    """SQL condition and its parameters; dimensions not in `allowed` are ignored."""
    parts, params = ["TRUE"], []
    for dim, chosen in sorted(filters.values.items()):
        if dim in allowed and chosen:
            parts.append(f"list_contains(?, coalesce(CAST({quote_ident(dim)} AS VARCHAR), '{BLANK}'))")
            params.append(list(chosen))
    if filters.start_from:
        parts.append("start_date >= ?")
        params.append(filters.start_from)
    if filters.start_to:
        parts.append("start_date <= ?")
        params.append(filters.start_to)
    return " AND ".join(parts), params


def dimensions(extras: dict[str, str]) -> list[str]:
    """Every breakdown dimension of a dataset: the canonical ones, then its extra columns."""
    return DIMENSIONS + list(extras)


def load_pilots(con, dataset_id: str, filters: Filters, extras: dict[str, str]) -> pd.DataFrame:
    """The dataset's pilots that pass the filters, ordered by line in the file.

    The store writes a dataset's pilots in file order and DuckDB keeps insertion order in results without
    ORDER BY (its default `preserve_insertion_order`), so no sort is needed: a sort doubles the time.
    Fetched as Arrow and converted by pyarrow: the frame `.df()` gives, three to four times faster at
    100k and 1M rows, except that a text column with no value at all stays text (str, NaN) where `.df()`
    makes it object (None). The relation API wants a connection with no pending result, so it runs on a
    cursor of its own (a cheap second connection to the same database), with LARGE_STRINGS set."""
    where, params = where_clause(filters, dimensions(extras))
    sql = f"SELECT * FROM {pilots_table(con, dataset_id)} WHERE {where}"  # noqa: S608
    with cursor(con) as cur:
        cur.execute(LARGE_STRINGS)
        return cur.sql(sql, params=params).to_arrow_table().to_pandas()


def load_columns(con, dataset_id: str, columns: list[str]) -> pd.DataFrame:
    """Every pilot of the dataset, only these columns (which its table has), in file order: each column
    as `load_pilots(..., Filters())` gives it (pyarrow converts column by column, so a column fetched
    alone has the dtype and values it has in the whole frame).

    Text and the other columns come in two results. pandas keeps text in DuckDB's own Arrow buffers, and
    DuckDB frees a result's buffers only when none of its columns is kept: fetched together, the numbers'
    Arrow buffers outlived their pandas copies (76 MB at 1M pilots for ten dates and numbers). Converted
    with split_blocks and self_destruct, so no block of several columns is assembled."""
    text = set(text_columns(con, dataset_id))
    groups = [g for g in ([c for c in columns if c not in text], [c for c in columns if c in text]) if g]
    parts = {}
    for group in groups:
        sql = f"SELECT {', '.join(quote_ident(c) for c in group)} FROM {pilots_table(con, dataset_id)}"  # noqa: S608
        with cursor(con) as cur:
            cur.execute(LARGE_STRINGS)
            table = cur.sql(sql).to_arrow_table()
        frame = table.to_pandas(split_blocks=True, self_destruct=True)
        del table  # the numbers' Arrow buffers go back to DuckDB now, not when the text is freed
        parts.update((c, frame[c]) for c in group)
    return pd.DataFrame({c: parts[c] for c in columns}, copy=False)


# Up to this many distinct values a text column is coded in SQL (text_codes): its values go into the query
# as one bound list, and its codes fit in int16. A column with more (an id, a free-text extra) is left out.
CODED_UP_TO = np.iinfo(np.int16).max


def text_codes(con, dataset_id: str, columns: list[str]) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Each text column's codes (int16, one per pilot in file order, -1 for a missing value) and values
    (in order of first appearance): what `pd.factorize` gives for the column `load_columns` fetches, counted
    in DuckDB, so the text itself never comes into pandas (at 1M pilots fetching and factorizing a column
    took 25-35 ms, its SQL codes take 5-15, and the text is not kept). Columns with more than CODED_UP_TO
    values are left out of the answer."""
    table = pilots_table(con, dataset_id)
    values = _first_values(con, table, columns)
    coded = [c for c in columns if values[c] or _no_value(con, table, c)]
    if not coded:
        return {}
    lookups = ", ".join(f"CAST(coalesce(MAP(?, ?)[{quote_ident(c)}], -1) AS SMALLINT) AS c{k}" for k, c in enumerate(coded))
    params = [p for c in coded for p in (values[c] or [""], list(range(len(values[c]))) or [-1])]
    with cursor(con) as cur:
        codes = cur.execute(f"SELECT {lookups} FROM {table}", params).fetchnumpy()  # noqa: S608
    return {c: (np.asarray(codes[f"c{k}"]), values[c]) for k, c in enumerate(coded)}


def _first_values(con, table: str, columns: list[str]) -> dict[str, list[str]]:
    """The values of each column in order of first appearance (none for a column with more than
    CODED_UP_TO), all in one query."""
    values: dict[str, list[str]] = {c: [] for c in columns}
    if not columns:
        return values
    distinct = " UNION ALL ".join(  # each column's values, its first row and how many values it has
        f"(SELECT {k} AS k, {quote_ident(c)} AS v, min(rowid) AS first, count(*) OVER () AS n FROM {table} "  # noqa: S608
        f"WHERE {quote_ident(c)} IS NOT NULL GROUP BY {quote_ident(c)})" for k, c in enumerate(columns))
    sql = f"SELECT k, v FROM ({distinct}) WHERE n <= ? ORDER BY k, first"  # noqa: S608
    for k, v in con.execute(sql, [CODED_UP_TO]).fetchall():
        values[columns[k]].append(v)
    return values


def text_from_codes(codes: np.ndarray, names: list[str]) -> pd.Series:
    """The text of coded values (text_codes' codes and values; -1: missing) as the store's text columns
    come into pandas (str, NaN for a missing value), taken from the few values by pyarrow."""
    import pyarrow as pa

    labels = pa.array(names, type=pa.large_string())
    return labels.take(pa.array(codes, mask=codes < 0)).to_pandas()


def _no_value(con, table: str, column: str) -> bool:
    """Whether a column has no value at all (text_codes found none: empty, or too many to code)."""
    return con.execute(f"SELECT count({quote_ident(column)}) = 0 FROM {table}").fetchone()[0]  # noqa: S608


def text_columns(con, dataset_id: str) -> list[str]:
    """The columns of the dataset's pilots table that hold text."""
    sql = f"SELECT * FROM {pilots_table(con, dataset_id)} LIMIT 0"  # noqa: S608
    return [d[0] for d in con.execute(sql).description if str(d[1]) == "VARCHAR"]


def whole_dtypes(con, dataset_id: str) -> dict[str, object]:
    """The dtype of each column in `load_pilots(..., Filters())`'s frame, asked of the schema and of
    SQL counts of missing values (pyarrow makes an integer column with a missing value float), so that
    some rows can be given the dtypes of the whole frame (load_rows)."""
    import pyarrow as pa

    table = pilots_table(con, dataset_id)
    with cursor(con) as cur:
        cur.execute(LARGE_STRINGS)
        schema = cur.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema  # noqa: S608
    # only integers and booleans change dtype with a missing value: only they are counted (a scan of them)
    counted = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_boolean(f.type)]
    sums = ", ".join(f"count(*) - count({quote_ident(c)})" for c in counted)
    missing = dict(zip(counted, con.execute(f"SELECT {sums} FROM {table}").fetchone() if counted else ()))  # noqa: S608
    return {f.name: pa.array([None] if missing.get(f.name) else [], type=f.type).to_pandas().dtype for f in schema}


def load_rows(con, dataset_id: str, positions: np.ndarray, dtypes: dict[str, object],
              columns: list[str] | None = None) -> pd.DataFrame:
    """Every column (only `columns`, when given) of the pilots at these positions (ascending, in
    `load_pilots(..., Filters())` order: DuckDB's rowid), with the dtypes of the whole frame (`dtypes`, from
    whole_dtypes): equal to `load_pilots(..., Filters()).take(positions)` without bringing every pilot into
    pandas."""
    import pyarrow as pa

    if columns == []:
        return pd.DataFrame(index=pd.RangeIndex(len(positions)))
    shown = "*" if columns is None else ", ".join(quote_ident(c) for c in columns)
    sql = (f"SELECT {shown} FROM {pilots_table(con, dataset_id)} WHERE rowid BETWEEN ? AND ? "  # noqa: S608
           "AND rowid IN (SELECT position FROM wanted) ORDER BY rowid")
    bounds = [int(positions[0]), int(positions[-1])] if len(positions) else [0, -1]
    with cursor(con) as cur:
        cur.execute(LARGE_STRINGS)
        cur.register("wanted", pa.table({"position": np.asarray(positions, dtype=np.int64)}))
        rows = cur.sql(sql, params=bounds).to_arrow_table().to_pandas(split_blocks=True)
    for column, dtype in dtypes.items():
        if column in rows and rows[column].dtype != dtype:
            rows[column] = rows[column].astype(dtype)  # an integer column whose missing values these rows lack
    return rows


def filtered_positions(con, dataset_id: str, filters: Filters, extras: dict[str, str]) -> np.ndarray:
    """The positions, in `load_pilots(..., Filters())` order, of the pilots that pass the filters: the
    same WHERE as load_pilots, returning only DuckDB's rowid (a table written once, in file order, numbers
    its rows 0..n-1 in that order), so a cached frame of every pilot can be cut to the selection without
    reading and converting the pilots again."""
    where, params = where_clause(filters, dimensions(extras))
    sql = f"SELECT rowid FROM {pilots_table(con, dataset_id)} WHERE {where} ORDER BY rowid"  # noqa: S608
    with cursor(con) as cur:
        return cur.sql(sql, params=params).fetchnumpy()["rowid"]


def latest_date(con, dataset_id: str, columns: list[str]) -> dt.date | None:
    """The latest date in any of the columns that the dataset's table has (None when all are empty),
    computed in SQL so the default as-of date needs no pilots in pandas."""
    present = set(table_columns(con, dataset_id))
    cols = [quote_ident(c) for c in columns if c in present]
    if not cols:
        return None
    sql = f"SELECT greatest({', '.join(f'max({c})' for c in cols)}) FROM {pilots_table(con, dataset_id)}"  # noqa: S608
    latest = con.execute(sql).fetchone()[0]
    return None if latest is None else pd.Timestamp(latest).date()


def columns_with_values(con, dataset_id: str, columns: list[str]) -> list[str]:
    """The columns, of those given that the dataset's table has, with at least one value (in the order
    given): counted in SQL, so no pilot is brought into pandas to ask."""
    present = set(table_columns(con, dataset_id))
    cols = [c for c in columns if c in present]
    if not cols:
        return []
    counts = ", ".join(f"count({quote_ident(c)})" for c in cols)
    row = con.execute(f"SELECT {counts} FROM {pilots_table(con, dataset_id)}").fetchone()  # noqa: S608
    return [c for c, n in zip(cols, row) if n]


def pilot_count(con, dataset_id: str) -> int:
    """How many pilots the dataset holds."""
    return con.execute(f"SELECT count(*) FROM {pilots_table(con, dataset_id)}").fetchone()[0]  # noqa: S608


def table_columns(con, dataset_id: str) -> list[str]:
    """The columns of the dataset's pilots table, in order."""
    return [d[0] for d in con.execute(f"SELECT * FROM {pilots_table(con, dataset_id)} LIMIT 0").description]  # noqa: S608


def filter_options(con, dataset_id: str, dims: list[str], limit: int = 500) -> dict[str, list[str]]:
    """Distinct values of each dimension (most common first, up to `limit`), for the filter widgets:
    counted in one query (DuckDB runs the dimensions' counts side by side: 13 -> 8 ms at 1M pilots)."""
    out: dict[str, list[str]] = {dim: [] for dim in dims}
    if not dims:
        return out
    counts = " UNION ALL ".join(
        f"(SELECT {k} AS k, coalesce(CAST({quote_ident(dim)} AS VARCHAR), '{BLANK}') AS v, count(*) AS n "  # noqa: S608
        f"FROM {pilots_table(con, dataset_id)} GROUP BY v)" for k, dim in enumerate(dims))
    sql = (f"SELECT k, v FROM ({counts}) QUALIFY row_number() OVER (PARTITION BY k ORDER BY n DESC, v) <= ? "  # noqa: S608
           "ORDER BY k, n DESC, v")
    for k, v in con.execute(sql, [limit]).fetchall():
        out[dims[k]].append(v)
    return out


def undated_count(con, dataset_id: str) -> int:
    """How many of the dataset's pilots have no start date."""
    return missing_counts(con, dataset_id)["start date"]


def missing_counts(con, dataset_id: str) -> dict[str, int]:
    """How many of the dataset's pilots have no readable stage, and no start date."""
    sql = (f"SELECT count(*) FILTER (WHERE stage = ?), count(*) FILTER (WHERE start_date IS NULL) "  # noqa: S608
           f"FROM {pilots_table(con, dataset_id)}")
    stage, start = con.execute(sql, [UNKNOWN_STAGE]).fetchone()
    return {"stage": int(stage), "start date": int(start)}


def start_range(con, dataset_id: str) -> tuple[dt.date | None, dt.date | None]:
    """Earliest and latest start date of the dataset."""
    sql = f"SELECT min(start_date), max(start_date) FROM {pilots_table(con, dataset_id)}"  # noqa: S608
    lo, hi = con.execute(sql).fetchone()
    return (lo.date() if lo else None), (hi.date() if hi else None)
