"""One writer process of the shared-store tests (tests/test_store_postgres.py): stores an upload on the store
of $PILOTS_DATABASE_URL and makes a snapshot of it, then prints what it made as one JSON line.

    python tests/store_writer.py N [FILE]   # writer N: a portfolio of N + 5 pilots of unit W<N>, or FILE's bytes
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.store import datasets as store  # noqa: E402
from analysis.store import snapshots  # noqa: E402
from analysis.store.queries import Filters, pilot_count  # noqa: E402
from tests.builders import make_portfolio  # noqa: E402


def main(n: int, file: str | None) -> dict:
    data = Path(file).read_bytes() if file else make_portfolio(n + 5, Business_Unit=f"W{n}")
    with store.connect() as con:
        ds = store.ingest(con, data, f"writer-{n}.csv")
        state = snapshots.ViewState(Filters({"business_unit": (f"W{n}",)}), None, 90)
        snap = snapshots.create(con, ds, state, "funnel", f"Writer {n}", owner=f"writer{n}@example.org")
        return {"writer": n, "dataset": ds, "token": snap.token, "pilots": pilot_count(con, ds)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)), flush=True)
