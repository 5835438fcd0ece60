"""pages/common.py's columns on demand: every_pilot puts a page's frame together from the columns fetched
so far (each fetched from the store the first time a page asks for it) and classify's columns computed
from the columns it reads; a pilot table's rows are read from the store by position (view_rows). Each
against the slow path they replaced, loading every pilot with every column and classifying the frame, on
the sample, the federal inventory and random portfolios (missing cells, an empty column, an extra column)."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from builders import HEADERS, make_portfolio, pilot
from conftest import SAMPLE

from analysis.metrics.outcomes import OUTCOME_COLUMNS, classify
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.datasets import table_name
from analysis.store.queries import Filters
from pages import common
from pages.shared import frames

STAGES = ["Intake", "Scoping", "PoC", "Pilot", "Production", "", "Unknown stage"]
STATUSES = ["Active", "On hold", "Cancelled", "Production", "Retired", "", "Paused?"]
DATES = ["Start Date", "End Date", "Last Update", "Intake Date", "Scoping Date", "PoC Date", "Pilot Date",
         "Production Date"]


def random_portfolio(seed: int, n: int) -> bytes:
    """A portfolio with random stages, statuses, dates and spend, about a fifth of cells missing, an
    extra column (Region) and a column with no value at all (Budget)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        day = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1200)))
        fields = {h: (day + dt.timedelta(days=int(rng.integers(0, 400)))).isoformat() for h in DATES}
        fields.update({"Stage": STAGES[rng.integers(len(STAGES))], "Status": STATUSES[rng.integers(len(STATUSES))],
                       "Spend": str(int(rng.integers(0, 10**6))), "Budget": "",
                       "Business Unit": ["Finance", "HR", "IT", ""][rng.integers(4)],
                       "Region": ["North", "South", ""][rng.integers(3)]})
        fields = {k: ("" if k != "Budget" and rng.random() < 0.2 else v) for k, v in fields.items()}
        rows.append(pilot(i, **fields))
    return make_portfolio(rows, headers=[*HEADERS, "Region"])


def _stored(federal_bytes: bytes) -> list[str]:
    with store.connect() as con:
        return [store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name), store.ingest(con, federal_bytes, "federal.csv"),
                *(store.ingest(con, random_portfolio(seed, 300), f"random{seed}.csv") for seed in range(3))]


def _whole(ds: str, as_of: dt.date | None, stall_days: int) -> pd.DataFrame:
    info = common.dataset_info(ds)
    with store.connect() as con:
        return classify(queries.load_pilots(con, ds, Filters(), info.extras), info.stages, as_of, stall_days)


def test_columns_fetched_on_demand_equal_the_whole_frames(federal_bytes):
    for ds in _stored(federal_bytes):
        as_of = common.dataset_dates(ds)[2]
        whole = _whole(ds, as_of, 60)
        # some columns first (and classify's, which fetches what it reads), then every column
        part = common.every_pilot(ds, as_of, 60, ["stalled", "spend", "pilot_id", "x_region", "no_such_column"])
        assert list(part.columns) == [c for c in whole.columns if c in part.columns]
        assert {"stalled", "spend", "pilot_id"} <= set(part.columns)
        pd.testing.assert_frame_equal(part, whole[part.columns])
        pd.testing.assert_frame_equal(common.every_pilot(ds, as_of, 60), whole)
        assert common.column_names(ds) == list(whole.columns)
        for column in whole.columns:  # one column alone, as text_codes asks
            pd.testing.assert_series_equal(common.every_pilot(ds, as_of, 60, [column])[column], whole[column])
        assert len(common.every_pilot(ds, as_of, 60, [])) == len(whole)  # no column, every pilot still


def test_outcomes_are_computed_per_setting_from_the_columns_classify_reads(federal_bytes):
    ds = _stored(federal_bytes)[2]
    for as_of, stall in ((dt.date(2024, 6, 1), 30), (None, 90), (dt.date(2026, 1, 1), 365)):
        whole = _whole(ds, as_of, stall)
        pd.testing.assert_frame_equal(common.outcome_columns(ds, as_of, stall), whole[OUTCOME_COLUMNS])


def test_a_tables_rows_read_by_position_equal_the_whole_frames_rows(federal_bytes, monkeypatch):
    monkeypatch.setattr(frames, "EVERY_COLUMN_UP_TO", 0)  # as for a large dataset: rows read from the store
    rng = np.random.default_rng(7)
    for ds in _stored(federal_bytes):
        units = common.filter_options(ds)["business_unit"]
        for filters in (Filters(), Filters({"business_unit": tuple(units[1:])})):
            view = common.View(ds, common.dataset_info(ds), filters, common.dataset_dates(ds)[2], 90)
            whole = common.pilots_for(view)
            n = len(whole)
            for positions in (np.arange(min(n, 5)), np.sort(rng.choice(n, n // 3, replace=False)),
                              rng.permutation(n)[:40], np.array([n - 1, 0, n - 1]), np.array([], dtype=np.int64)):
                expected = whole.take(positions).reset_index(drop=True)
                assert common.stored_columns(ds).has_all()  # cut from the kept columns
                pd.testing.assert_frame_equal(common.view_rows(view, positions), expected)
                common.stored_columns.clear()  # read from the store
                assert not common.stored_columns(ds).has_all()
                pd.testing.assert_frame_equal(common.view_rows(view, positions), expected)
                common.every_pilot(ds, view.as_of, 90)
    monkeypatch.setattr(frames, "EVERY_COLUMN_UP_TO", 10_000)  # a small dataset: every column, kept
    common.stored_columns.clear()
    rows = common.view_rows(view, np.array([2, 0]))
    assert common.stored_columns(view.dataset_id).has_all()
    pd.testing.assert_frame_equal(rows, common.pilots_for(view).take([2, 0]).reset_index(drop=True))


@pytest.mark.parametrize("chosen", [[1, 2], [0, 3], [], [3]])
def test_rows_read_by_position_have_the_whole_columns_dtypes(chosen):
    # pyarrow makes an integer column with a missing value float: rows without the missing value would
    # come back int64 unless load_rows gives them the whole column's dtype
    con = duckdb.connect()
    name = table_name("t")
    con.execute(f"CREATE TABLE {name} (n BIGINT, m BIGINT, s VARCHAR, d TIMESTAMP, e VARCHAR)")
    con.execute(f"INSERT INTO {name} VALUES (NULL, 1, 'a', NULL, NULL), (2, 2, NULL, '2024-01-02', NULL), "
                "(3, 3, 'c', '2024-01-03', NULL), (4, 4, 'd', NULL, NULL)")
    whole = queries.load_pilots(con, "t", Filters(), {})
    rows = queries.load_rows(con, "t", np.array(chosen, dtype=np.int64), queries.whole_dtypes(con, "t"))
    pd.testing.assert_frame_equal(rows, whole.take(chosen).reset_index(drop=True))
    assert rows["n"].dtype == "float64" and rows["m"].dtype == "int64"
    for column in whole.columns:
        pd.testing.assert_series_equal(queries.load_columns(con, "t", [column])[column], whole[column])
