"""The benchmark measures what the app computes: its workload covers every page of the navigation and runs
on a portfolio like the benchmark's, and its verdicts compare against the budgets of issue 7."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from analysis.store import datasets as store
from analysis.store.queries import Filters
from tests.conftest import ROOT

sys.path[:0] = [str(ROOT / "bench")]
import benchmark  # noqa: E402
import portfolios  # noqa: E402
import workload  # noqa: E402

logging.disable(logging.NOTSET)  # benchmark.py silences Streamlit's warnings for its own runs, not for the tests


@pytest.fixture(scope="module")
def dataset() -> str:
    out = io.StringIO()
    portfolios.portfolio_frame(2_000).to_csv(out, index=False, lineterminator="\n")
    with store.connect() as con:
        return store.ingest(con, out.getvalue().encode(), "bench_2000.csv")


def test_the_workload_covers_every_page_of_the_app() -> None:
    assert benchmark.app_pages() == benchmark.covered_pages()
    assert "pages/overview.py" in benchmark.app_pages()


@pytest.mark.parametrize("page", list(workload.PAGE_WORK))
def test_each_page_of_the_workload_runs_and_sends_something(dataset, page) -> None:
    sent = workload.show(page, dataset, Filters())
    assert sent > 0 or page == "pages/snapshots.py"  # no snapshot was made


def test_the_funnel_is_broken_down_by_the_sidebars_dimension(dataset) -> None:
    view = workload.sidebar(dataset, Filters())
    assert view.breakdown == "business_unit"
    with_breakdown = workload.funnel(view)
    without = workload.funnel(workload.common.View(view.dataset_id, view.info, view.filters, view.as_of,
                                                   view.stall_days, None))
    assert with_breakdown > without  # the breakdown's chart and table are sent too


def test_a_filter_changes_what_the_pages_compute(dataset) -> None:
    units = workload.common.filter_options(dataset)["business_unit"]
    everyone = workload.show("pages/funnel.py", dataset, Filters())
    one_unit = workload.show("pages/funnel.py", dataset, Filters({"business_unit": (units[0],)}))
    assert one_unit != everyone


def _row(**values) -> dict:
    return {"upload_to_views_s": 0.5, "filter_change_s": 0.05, "peak_mb": 500.0, **values}


def test_verdicts_say_which_budgets_are_met() -> None:
    results = {"portfolios": {"100000": _row(summary_s=0.6, summary_again_s=0.05, pandas_s=0.4),
                              "1000000": _row(upload_to_views_s=3.2, peak_mb=900.0)},
               "events": _row(upload_to_views_s=4.0)}
    lines = benchmark.verdicts(results)
    assert [line.split()[0] for line in lines] == ["met", "met", "MISSED", "met", "met", "MISSED", "met"]
    assert "1000000: upload_to_views_s 3.200 s (budget 3.0 s)" in lines[2]
    assert "first run on the file: 0.60 s vs pandas read+group 0.40 s" in lines[5]


def test_the_fastest_run_counts_and_the_largest_peak() -> None:
    runs = [{"ingest_s": 2.0, "first_visit_s": 1.0, "rerun_s": 0.1, "ingest_peak_mb": 900.0, "views_peak_mb": 800.0,
             "filter_change_pages_s": {"a": 0.05, "b": 0.09}},
            {"ingest_s": 1.5, "first_visit_s": 1.2, "rerun_s": 0.2, "ingest_peak_mb": 950.0, "views_peak_mb": 700.0,
             "filter_change_pages_s": {"a": 0.07, "b": 0.08}}]
    best = benchmark.summarise(runs)
    assert best["upload_to_views_s"] == pytest.approx(2.7)  # the fastest run's sum, not the sum of the fastest
    assert best["filter_change_s"] == pytest.approx(0.08)  # per run its slowest page, then the fastest run
    assert best["peak_mb"] == 950.0
