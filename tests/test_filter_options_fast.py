"""queries.filter_options counts every dimension in one query; the query per dimension it replaced is kept
here as the reference, and the options must come out the same (order and limit included) on the sample,
the federal inventory and random portfolios (missing values, an extra column)."""

from __future__ import annotations

from test_views_columns import _stored

from analysis.schema import DIMENSIONS
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.datasets import table_name
from analysis.store.queries import BLANK, quote_ident


def slow_filter_options(con, dataset_id: str, dims: list[str], limit: int = 500) -> dict[str, list[str]]:
    """analysis/store/queries.py's filter_options before issue 7's round 3, verbatim."""
    out = {}
    for dim in dims:
        col = quote_ident(dim)
        rows = con.execute(
            f"SELECT coalesce(CAST({col} AS VARCHAR), '{BLANK}') AS v, count(*) AS n "  # noqa: S608
            f"FROM {table_name(dataset_id)} GROUP BY v ORDER BY n DESC, v LIMIT ?", [limit]).fetchall()
        out[dim] = [r[0] for r in rows]
    return out


def test_options_counted_in_one_query_equal_one_query_per_dimension(federal_bytes):
    blanks = 0
    for ds in _stored(federal_bytes):
        with store.connect() as con:
            extras = list(store.dataset_info(con, ds).extras)
            for dims in (DIMENSIONS, [*DIMENSIONS, *extras, "stage_index"], ["sponsor"], []):
                for limit in (500, 3, 1):
                    assert queries.filter_options(con, ds, dims, limit) == slow_filter_options(con, ds, dims, limit)
            blanks += BLANK in queries.filter_options(con, ds, DIMENSIONS)["business_unit"]
    assert blanks  # missing values counted as BLANK somewhere
