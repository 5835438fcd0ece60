"""The embedded store: content-hashed immutable datasets, original bytes kept, filters bound."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import Filters
from tests.builders import make_portfolio, pilot

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path) as connection:
        yield connection


def test_same_bytes_reuse_the_dataset(con):
    data = make_portfolio(3)
    first = store.ingest(con, data, "a.csv")
    assert store.ingest(con, data, "again.csv") == first
    assert len(store.list_datasets(con)) == 1
    assert store.upload_bytes(con, store.dataset_info(con, first).upload_sha) == data


def test_dataset_keeps_report_mapping_and_rejected_rows(con):
    ds = store.ingest(con, make_portfolio([pilot(1), pilot(1)]), "dup.csv")
    info = store.dataset_info(con, ds)
    assert info.report["rows"] == {"read": 2, "accepted": 1, "rejected": 1}
    assert info.mapping.columns["pilot_id"] == "Pilot ID"
    rejected = store.rejected_rows(con, ds)
    assert rejected[["row", "reason"]].values.tolist() == [["3", "pilot ID 'P001' repeats line 2 (an exact copy)"]]


def test_filters_are_bound_not_formatted(con):
    rows = [pilot(1, Business_Unit="Ops"), pilot(2, Business_Unit="R&D'); DROP TABLE datasets; --"),
            pilot(3, Business_Unit="", Start_Date="2025-02-01")]
    ds = store.ingest(con, make_portfolio(rows), "f.csv")
    extras = store.dataset_info(con, ds).extras

    def ids(f: Filters) -> list[str]:
        return queries.load_pilots(con, ds, f, extras)["pilot_id"].tolist()

    assert ids(Filters({"business_unit": ("R&D'); DROP TABLE datasets; --",)})) == ["P002"]
    assert ids(Filters({"business_unit": (queries.BLANK,)})) == ["P003"]
    assert ids(Filters(start_from=dt.date(2025, 1, 1))) == ["P003"]
    assert ids(Filters({"no_such_column\"; --": ("x",)})) == ["P001", "P002", "P003"]  # unknown: ignored
    assert len(store.list_datasets(con)) == 1


def test_filters_round_trip_as_json():
    f = Filters({"business_unit": ("Ops", "IT")}, dt.date(2024, 1, 1), None)
    assert Filters.from_dict(f.to_dict()) == f


def test_bad_table_id_is_refused():
    with pytest.raises(ValueError):
        store.table_name('x" ; DROP')


def _wal_bytes(folder) -> int:
    wal = folder / (store.DB_FILE + ".wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # the embedded file's write-ahead log
def test_a_stored_dataset_is_checkpointed_while_the_store_stays_open(tmp_path, con):
    store.ingest(con, make_portfolio(40), "a.csv")
    assert _wal_bytes(tmp_path) == 0  # the app keeps the store open: without the checkpoint the log holds it


@pytest.mark.parametrize("store_backend", ["duckdb"], indirect=True)  # DuckDB's checkpoint; PostgreSQL: test_store_postgres.py
def test_a_dataset_is_stored_while_another_session_holds_a_transaction(tmp_path, con):
    with store.connect(tmp_path) as other:
        other.execute("BEGIN TRANSACTION")
        other.execute("SELECT count(*) FROM datasets").fetchone()
        ds = store.ingest(con, make_portfolio(5), "busy.csv")  # DuckDB refuses the checkpoint; the dataset stands
        other.execute("COMMIT")
    assert store.dataset_info(con, ds).report["rows"]["accepted"] == 5


@pytest.mark.parametrize("store_backend", ["duckdb", "postgres"], indirect=True)
def test_tables_are_stored_in_row_groups_of_65536_rows(con):
    # 70,000 rows: two row groups at ROW_GROUP_ROWS (65,536 + 4,464), one at DuckDB's default of 122,880. The
    # smaller groups are what lets DuckDB write a 100k-pilot dataset while making it, on both cores (the store
    # and the PostgreSQL store's local cache are attached so); a second connection (datasets.cursor) is on it too
    con.execute(f"CREATE TABLE {store.table_name('groups')} AS SELECT range AS n FROM range(70000)")
    with store.cursor(con) as cur:
        groups = cur.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('p_groups')").fetchone()[0]
        assert cur.execute("SELECT current_database()").fetchone()[0] == store.STORE
    assert groups == 2
