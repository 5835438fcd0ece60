"""What the store keeps is what validation derived: every pilot, column, type and value round-trips."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import FEDERAL, SAMPLE

from analysis.cli.summary import analyse_file
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.datasets import _as_arrow
from analysis.store.queries import Filters

pytestmark = pytest.mark.usefixtures("store_backend")  # every test on DuckDB and on PostgreSQL


@pytest.mark.parametrize("path", [SAMPLE, FEDERAL], ids=["sample", "federal"])
def test_stored_pilots_are_the_derived_pilots(tmp_path, path):
    derived = analyse_file(path.read_bytes(), path.name).derived.pilots
    with store.connect(tmp_path) as con:
        ds = store.ingest(con, path.read_bytes(), path.name)
        loaded = queries.load_pilots(con, ds, Filters(), store.dataset_info(con, ds).extras)
    # Python strings kept in an object column come back as text (str), like any other text; an object
    # column of nothing but None is stored untyped (DuckDB's NULL type) and comes back as it was.
    text = [c for c in derived if derived[c].dtype == object and derived[c].notna().any()]
    pd.testing.assert_frame_equal(loaded, derived.astype({c: "str" for c in text}))
    assert len(loaded) == {"sample_portfolio.csv": 600, "federal_ai_inventory_2023.csv": 710}[path.name]


def test_a_column_arrow_cannot_hold_is_stored_from_pandas():
    mixed = pd.DataFrame({"x": [1, "a", None]})
    assert _as_arrow(mixed) is mixed
    assert _as_arrow(pd.DataFrame({"x": ["a", None]})).num_rows == 2
