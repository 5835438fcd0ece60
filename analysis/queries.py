"""Filtered pilots out of the store: DuckDB SQL with bound parameters -> pandas DataFrames.

Filter values are always bound as parameters; the only identifiers placed in SQL are the canonical
dimension names (a fixed list) and a dataset's own extra columns, quoted by `quote_ident`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from analysis.schema import DIMENSIONS
from analysis.store import table_name

BLANK = "(blank)"  # how a missing dimension value is shown and filtered


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


def quote_ident(name: str) -> str:
    """A column name as a quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


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
    """The dataset's pilots that pass the filters, ordered by line in the file."""
    where, params = where_clause(filters, dimensions(extras))
    sql = f"SELECT * FROM {table_name(dataset_id)} WHERE {where} ORDER BY row"  # noqa: S608
    return con.execute(sql, params).df()


def filter_options(con, dataset_id: str, dims: list[str], limit: int = 500) -> dict[str, list[str]]:
    """Distinct values of each dimension (most common first), for the filter widgets."""
    out = {}
    for dim in dims:
        col = quote_ident(dim)
        rows = con.execute(
            f"SELECT coalesce(CAST({col} AS VARCHAR), '{BLANK}') AS v, count(*) AS n "  # noqa: S608
            f"FROM {table_name(dataset_id)} GROUP BY v ORDER BY n DESC, v LIMIT ?", [limit]).fetchall()
        out[dim] = [r[0] for r in rows]
    return out


def start_range(con, dataset_id: str) -> tuple[dt.date | None, dt.date | None]:
    """Earliest and latest start date of the dataset."""
    sql = f"SELECT min(start_date), max(start_date) FROM {table_name(dataset_id)}"  # noqa: S608
    lo, hi = con.execute(sql).fetchone()
    return (lo.date() if lo else None), (hi.date() if hi else None)
