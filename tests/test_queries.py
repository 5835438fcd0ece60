"""Filtered pilots out of the store: the Arrow path returns what DuckDB's own pandas conversion returns,
and the latest date is found in SQL without loading the pilots."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.metrics.outcomes import date_fields, default_as_of
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import Filters
from tests.builders import HEADERS, make_portfolio, pilot

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL

ROWS = [
    pilot(1, Business_Unit="Ops", Last_Update="2024-06-30"),
    pilot(2, Business_Unit="IT", End_Date="2024-05-01", Status="Cancelled"),
    pilot(3, Business_Unit="", Start_Date="2023-02-01", Intake_Date="2023-02-01", PoC_Date="2024-07-15"),
]


@pytest.fixture
def stored(tmp_path):
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, make_portfolio(ROWS), "q.csv")
        yield con, ds, store.dataset_info(con, ds)


@pytest.mark.parametrize(("filters", "ids"), [
    (Filters(), ["P001", "P002", "P003"]),
    (Filters({"business_unit": ("Ops", queries.BLANK)}), ["P001", "P003"]),
    (Filters(start_from=dt.date(2023, 6, 1)), ["P001", "P002"]),
])
def test_load_pilots_equals_duckdbs_own_conversion(stored, filters, ids):
    con, ds, info = stored
    where, params = queries.where_clause(filters, queries.dimensions(info.extras))
    # Reference: DuckDB's own DataFrame conversion of the same query. It makes a text (VARCHAR) column
    # with no value at all an object column of None; the Arrow path keeps it text (str, NaN).
    table = store.table_name(ds)
    reference = con.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY row", params).df()
    varchar = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[1] == "VARCHAR"}
    empty_text = [c for c in reference if c in varchar and reference[c].dtype == object]
    assert "failure_cause_source" in empty_text  # no pilot here gives a cause
    loaded = queries.load_pilots(con, ds, filters, info.extras)
    pd.testing.assert_frame_equal(loaded, reference.astype({c: "str" for c in empty_text}))
    assert loaded["pilot_id"].tolist() == ids


def test_load_pilots_after_an_unfinished_result_on_the_same_connection(stored):
    con, ds, info = stored
    con.execute("SELECT * FROM range(10)")  # left unfetched, as a .fetchone() on several rows leaves it
    assert queries.load_pilots(con, ds, Filters(), info.extras)["pilot_id"].tolist() == ["P001", "P002", "P003"]


def test_latest_date_is_the_latest_date_in_any_column(stored):
    con, ds, info = stored
    # By hand: the latest of 2024-06-30 (P001 last update), 2024-05-01 (P002 end), 2024-07-15 (P003 PoC).
    assert queries.latest_date(con, ds, date_fields(info.stages)) == dt.date(2024, 7, 15)
    frame = queries.load_pilots(con, ds, Filters(), info.extras)
    assert default_as_of(frame, info.stages) == dt.date(2024, 7, 15)
    assert queries.latest_date(con, ds, ["last_update", "no_such_column"]) == dt.date(2024, 6, 30)


def test_latest_date_without_dates_is_none(tmp_path):
    headers = ["Pilot ID", "Stage", "Status"]
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, make_portfolio([pilot(1), pilot(2)], headers=headers), "nodates.csv")
        info = store.dataset_info(con, ds)
        assert queries.latest_date(con, ds, date_fields(info.stages)) is None
        assert queries.latest_date(con, ds, []) is None


def test_connections_to_one_store_share_its_data(tmp_path):
    with store.connect(tmp_path) as first:
        ds = store.ingest(first, make_portfolio(2), "a.csv")
    with store.connect(tmp_path) as second:
        assert store.list_datasets(second)["id"].tolist() == [ds]


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # a table made in DuckDB directly
def test_pilots_come_in_file_order_beyond_one_row_group(tmp_path):
    # DuckDB scans row groups of 122,880 rows in parallel; 400,000 rows make four of them.
    with store.connect(tmp_path) as con:
        table = store.table_name("big")
        con.execute(f"CREATE TABLE {table} AS SELECT range + 2 AS row, 'P' || range AS pilot_id, "
                    "CASE WHEN range % 3 = 0 THEN 'Ops' ELSE 'IT' END AS business_unit, "
                    "NULL::TIMESTAMP AS start_date FROM range(400000)")
        rows = queries.load_pilots(con, "big", Filters(), {})["row"]
        assert rows.is_monotonic_increasing and len(rows) == 400_000
        ops = queries.load_pilots(con, "big", Filters({"business_unit": ("Ops",)}), {})["row"]
        assert ops.is_monotonic_increasing and len(ops) == 133_334


# Nine pilots for the filter widgets' options. Business unit: Ops 3, HR 2, IT 2, blank 2; sponsor: Ada 8,
# Bo 1; Region (an extra column of the upload): EU 5, US 3, blank 1.
OPTION_ROWS = [pilot(i, Business_Unit=unit, Sponsor="Bo" if i == 9 else "Ada", Region=region)
               for i, (unit, region) in enumerate([("Ops", "EU"), ("Ops", "EU"), ("Ops", "US"), ("HR", "EU"),
                                                   ("HR", ""), ("IT", "US"), ("IT", "EU"), ("", "US"), ("", "EU")],
                                                  start=1)]


def test_filter_options_most_common_first_ties_by_name_blank_counted_limit_per_dimension(tmp_path):
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, make_portfolio(OPTION_ROWS, headers=[*HEADERS, "Region"]), "options.csv")
        extras = list(store.dataset_info(con, ds).extras)
        dims = ["business_unit", "sponsor", *extras]
        # By hand from OPTION_ROWS: most pilots first; HR, IT and (blank) tie at 2 and go by name
        # ("(" sorts before letters); a missing value is the BLANK option, counted like any other.
        assert queries.filter_options(con, ds, dims) == {
            "business_unit": ["Ops", queries.BLANK, "HR", "IT"], "sponsor": ["Ada", "Bo"],
            extras[0]: ["EU", "US", queries.BLANK]}
        # The limit cuts each dimension's own list, keeping its most common values.
        assert queries.filter_options(con, ds, dims, limit=2) == {
            "business_unit": ["Ops", queries.BLANK], "sponsor": ["Ada", "Bo"], extras[0]: ["EU", "US"]}
        assert queries.filter_options(con, ds, dims, limit=1) == {
            "business_unit": ["Ops"], "sponsor": ["Ada"], extras[0]: ["EU"]}
        # The dimensions come back in the order asked for; none asked, none given.
        assert list(queries.filter_options(con, ds, ["sponsor", "business_unit"])) == ["sponsor", "business_unit"]
        assert queries.filter_options(con, ds, []) == {}
