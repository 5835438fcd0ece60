"""Where the time goes, for one file: the phases of storing it (read, map and validate, save) with the
peak memory after each, then each page's work (bench/workload.py) on a first visit and after a
business-unit filter change; `--profile PHASE` prints cProfile's top functions of one phase or page.

    PYTHONPATH=. .venv/bin/python bench/where_time_goes.py /tmp/pilots-bench/portfolio_100000.csv
    PYTHONPATH=. .venv/bin/python bench/where_time_goes.py FILE --profile derive
    PYTHONPATH=. .venv/bin/python bench/where_time_goes.py FILE --profile pages/stalls.py

One process, one run: for the budgets use benchmark.py (fresh processes, best of several runs).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import logging
import os
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
logging.disable(logging.WARNING)  # Streamlit's caches, used outside a server, warn on every call
TOP = 30


def peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def phase(name: str, profiled: bool) -> Iterator[None]:
    """Time a phase, print it with the peak memory, and profile it when asked for."""
    profiler = cProfile.Profile() if profiled else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    yield
    if profiler:
        profiler.disable()
    print(f"{name:<34} {time.perf_counter() - start:7.3f} s   peak {peak_mb():7.0f} MB", flush=True)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(TOP)


def store_file(file: Path, profile: str | None) -> str:
    """Read, derive and save the file into the store of $PILOTS_DATA_DIR; its dataset id."""
    from analysis.ingest.reading import read_upload
    from analysis.ingest.shapes import derive_upload
    from analysis.store import datasets as store

    data = file.read_bytes()
    with phase("read", profile == "read"):
        raw = read_upload(data, file.name)
    with phase("derive", profile == "derive"):
        derived = derive_upload(raw, None, let_go=True)  # as store.ingest does: the cells go as they are read
    with store.connect() as con, phase("save", profile == "save"):
        return store.save(con, data, file.name, raw, derived, auto=True)


def pages(ds: str, profile: str | None) -> None:
    """Every page's work with cold caches, then each page after a filter change that misses its cache."""
    from benchmark import warm_up
    from workload import PAGE_WORK, show

    from analysis.store.queries import Filters
    from pages import common

    warm_up(list(PAGE_WORK))  # as a running server has: everything imported, the sample shown once
    for page in PAGE_WORK:
        with phase(f"first visit {page}", profile == f"first {page}"):
            show(page, ds, Filters())
    units = common.filter_options(ds).get("business_unit") or []
    for i, page in enumerate(PAGE_WORK):
        kept = tuple(u for u in units if u != units[i % len(units)]) if units else ()
        with phase(f"filter change {page}", profile == page):
            show(page, ds, Filters({"business_unit": kept}) if kept else Filters())


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", type=Path)
    p.add_argument("--profile", help="read, derive, save, 'first pages/x.py' or pages/x.py (its filter change)")
    args = p.parse_args(argv)
    os.environ.setdefault("PILOTS_DATA_DIR", tempfile.mkdtemp(prefix="pilots-profile-"))
    ds = store_file(args.file, args.profile)
    pages(ds, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
