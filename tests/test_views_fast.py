"""pages/common.py's view data, made cheaper at 1M pilots: the classified frame of every pilot is cached
once per setting and a filtered view is cut from it by cached positions (no cached copy per filter); the
breakdown dimensions are counted in SQL. Each against the slow path it replaced: load the filtered pilots
from the store and classify them; load every pilot and ask pandas which dimensions have a value."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from conftest import SAMPLE

from analysis.cli.summary import breakdown_dimensions
from analysis.metrics.outcomes import classify
from analysis.schema import DIMENSIONS
from analysis.store import datasets as store
from analysis.store import queries
from analysis.store.queries import BLANK, Filters
from pages import common


def _stored(federal_bytes: bytes) -> tuple[str, str]:
    with store.connect() as con:
        return (store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name),
                store.ingest(con, federal_bytes, "federal.csv"))  # the name tests/test_pages.py uploads it under


def _slow(ds: str, filters: Filters, as_of: dt.date | None, stall_days: int) -> pd.DataFrame:
    info = common.dataset_info(ds)
    with store.connect() as con:
        return classify(queries.load_pilots(con, ds, filters, info.extras), info.stages, as_of, stall_days)


def test_every_view_equals_loading_and_classifying_its_pilots(federal_bytes):
    sample, federal = _stored(federal_bytes)
    units = common.filter_options(sample)["business_unit"]
    cases = [(sample, Filters(), 90), (sample, Filters({"business_unit": tuple(units[1:])}), 90),
             (sample, Filters({"business_unit": (units[0],)}), 30),
             (sample, Filters({"use_case": tuple(common.filter_options(sample)["use_case"][:2]),
                               "sourcing": ("buy", "partner")}, dt.date(2024, 1, 1)), 90),
             (federal, Filters(), 90), (federal, Filters({"business_unit": (BLANK,)}), 365)]
    for ds, filters, stall in cases:
        as_of = common.dataset_dates(ds)[2]
        view = common.View(ds, common.dataset_info(ds), filters, as_of, stall)
        pd.testing.assert_frame_equal(common.pilots_for(view), _slow(ds, filters, as_of, stall))
    # the cache keeps positions, read-only, and no filtered frame
    positions = common.view_positions(sample, json.dumps(cases[1][1].to_dict(), sort_keys=True))
    assert isinstance(positions, np.ndarray) and not positions.flags.writeable
    assert common.view_positions(sample, json.dumps(Filters().to_dict(), sort_keys=True)) is None


def test_a_page_changing_a_filtered_view_leaves_the_cache_alone():
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
    view = common.View(ds, common.dataset_info(ds), Filters({"business_unit": ("HR", "IT")}), dt.date(2026, 10, 31), 90)
    first = common.pilots_for(view)
    before = first.copy()
    first.loc[first.index[0], "outcome"] = "changed"
    pd.testing.assert_frame_equal(common.pilots_for(view), before)
    assert (common.every_pilot(ds, dt.date(2026, 10, 31), 90)["outcome"] == "changed").sum() == 0


def test_breakdown_options_counted_in_sql_equal_the_frame_answer(federal_bytes):
    for ds in _stored(federal_bytes):
        info = common.dataset_info(ds)
        with store.connect() as con:
            loaded = queries.load_pilots(con, ds, Filters(), info.extras)
        assert common.breakdown_options(ds) == breakdown_dimensions(loaded, info.extras)
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
        assert queries.columns_with_values(con, ds, ["no_such_column"]) == []
    assert common.breakdown_options(ds) == DIMENSIONS  # the sample has a value in every canonical dimension


def test_a_view_of_some_columns_some_coded_holds_the_same_values(federal_bytes):
    for ds in _stored(federal_bytes):
        units = common.filter_options(ds)["business_unit"]
        for filters in (Filters(), Filters({"business_unit": tuple(units[1:])})):
            view = common.View(ds, common.dataset_info(ds), filters, common.dataset_dates(ds)[2], 90)
            whole = common.pilots_for(view)
            columns = ["stage", "pilot_id", "cancelled", "start_date", "business_unit", "no_such_column"]
            part = common.pilots_for(view, columns, coded=["pilot_id", "business_unit", "no_such_column"])
            assert list(part.columns) == [c for c in whole.columns if c in columns]
            assert isinstance(part["business_unit"].dtype, pd.CategoricalDtype)
            for column in part.columns:  # coded or not, the same values (missing ones included)
                assert part[column].astype("object").equals(whole[column].astype("object")), column
            pd.testing.assert_frame_equal(common.pilots_for(view, columns), whole[part.columns])


def test_the_pilots_behind_a_mark_are_looked_up_in_the_view():
    with store.connect() as con:
        ds = store.ingest(con, SAMPLE.read_bytes(), SAMPLE.name)
    for filters in (Filters(), Filters({"business_unit": ("HR", "IT")})):
        view = common.View(ds, common.dataset_info(ds), filters, dt.date(2026, 10, 31), 90)
        whole = common.pilots_for(view)
        ids = whole["pilot_id"].iloc[[3, 1, 7]].tolist() + ["not a pilot"]
        rows = common.pilots_with_ids(view, ids)
        pd.testing.assert_frame_equal(rows, whole[whole["pilot_id"].isin(ids)].reset_index(drop=True))
        assert len(rows) == 3
    outside = common.pilots_for(common.View(ds, view.info, Filters({"business_unit": ("Finance",)}),
                                            view.as_of, 90))["pilot_id"].iloc[0]
    assert common.pilots_with_ids(view, [outside]).empty  # a pilot the filters leave out is not listed


def _views(federal_bytes: bytes) -> list[common.View]:
    views = []
    for ds in _stored(federal_bytes):
        units = common.filter_options(ds)["business_unit"]
        for filters in (Filters(), Filters({"business_unit": tuple(units[1:])})):
            views.append(common.View(ds, common.dataset_info(ds), filters, common.dataset_dates(ds)[2], 90,
                                     common.breakdown_options(ds)[0]))
    return views


def test_the_pages_numbers_from_only_their_columns_equal_the_whole_frames(federal_bytes):
    # each page asks pilots_for for only the columns its analyses read; a column left out would read as
    # missing (absent dates as NaT, absent dimensions as not offered), so every number against the whole frame's
    from analysis.metrics import cohorts, funnel, overview, stalls
    from analysis.metrics.causes import cause_counts
    from analysis.metrics.pilots import SEARCH_COLUMNS, search_mask

    for view in _views(federal_bytes):
        whole, stages, as_of = common.pilots_for(view), view.info.stages, view.as_of
        # Overview
        part = common.pilots_for(view, overview.read_columns(stages), coded=["failure_cause", "stage"])
        assert overview.kpis(part, stages, as_of) == overview.kpis(whole, stages, as_of)
        assert overview.kpis(part, stages, as_of, cohorts.event_times(part, stages, as_of)) == \
            overview.kpis(whole, stages, as_of)  # the page's times, shared with its cohort sentence
        pd.testing.assert_frame_equal(funnel.stage_funnel(part, stages), funnel.stage_funnel(whole, stages))
        assert cohorts.comparison_sentence(cohorts.event_times(part, stages, as_of)) == \
            cohorts.comparison_sentence(cohorts.event_times(whole, stages, as_of))
        fast, slow = cause_counts(part), cause_counts(whole)
        pd.testing.assert_frame_equal(fast.drop(columns="pilot_ids"), slow.drop(columns="pilot_ids"))
        assert fast["pilot_ids"].tolist() == slow["pilot_ids"].tolist()
        # Funnel
        part = common.pilots_for(view, ["pilot_id", "stage_index", "cancelled", "in_flight", view.breakdown])
        pd.testing.assert_frame_equal(funnel.funnel_by(part, stages, view.breakdown),
                                      funnel.funnel_by(whole, stages, view.breakdown))
        for kind in ("reached", "dropped", "in_stage", "moved_on"):
            rows = common.view_rows(view, funnel.pilots_at_step(part, 1, kind).index.to_numpy())
            pd.testing.assert_frame_equal(rows, funnel.pilots_at_step(whole, 1, kind).reset_index(drop=True))
        assert funnel.ReachedIds(part, stages)[stages[2]] == funnel.ReachedIds(whole, stages)[stages[2]]
        # Cohorts
        offered = queries.dimensions(view.info.extras)
        part = common.pilots_for(view, cohorts.cohort_columns(stages, offered), coded=offered)
        times, whole_times = cohorts.event_times(part, stages, as_of), cohorts.event_times(whole, stages, as_of)
        pd.testing.assert_frame_equal(times, whole_times)
        for by in [None, cohorts.START_YEAR, *common.breakdown_options(view.dataset_id)]:
            pd.testing.assert_series_equal(cohorts.segment_labels(part, times, by),
                                           cohorts.segment_labels(whole, whole_times, by))
        if len(times):
            labels = cohorts.cohort_labels(times["start_date"], "quarter")
            newest = sorted(labels.unique())[-1]
            rows = common.view_rows(view, cohorts.cohort_pilots(part, times, labels, newest).index.to_numpy())
            pd.testing.assert_frame_equal(rows, cohorts.cohort_pilots(whole, times, labels, newest)
                                          .reset_index(drop=True))
        # Stalls
        part = common.pilots_for(view, stalls.read_columns(stages))
        assert stalls.date_coverage(part, stages, as_of) == stalls.date_coverage(whole, stages, as_of)
        spells, whole_spells = stalls.stage_spells(part, stages, as_of), stalls.stage_spells(whole, stages, as_of)
        pd.testing.assert_frame_equal(stalls.stage_time_summary(spells.usable(), stages),
                                      stalls.stage_time_summary(whole_spells.usable(), stages))
        assert spells.days.tolist() == whole_spells.days.tolist() and spells.exit.tolist() == whole_spells.exit.tolist()
        pd.testing.assert_frame_equal(stalls.position_counts(part, stages, as_of)[0],
                                      stalls.position_counts(whole, stages, as_of)[0])
        order = stalls.stalled_order(part)
        assert order.tolist() == stalls.stalled_order(whole).tolist()
        pd.testing.assert_frame_equal(stalls.stalled_pilots(part, stalls.STALLED_COLUMNS, order),
                                      stalls.stalled_pilots(whole, stalls.STALLED_COLUMNS, order))
        lean = common.pilots_for(view, stalls.read_columns(stages, []))  # the page: the table's rows by position
        assert stalls.stalled_order(lean).tolist() == order.tolist()
        pd.testing.assert_frame_equal(common.view_rows(view, order)[stalls.STALLED_COLUMNS],
                                      stalls.stalled_pilots(whole, stalls.STALLED_COLUMNS, order))
        # Pilots
        part = common.pilots_for(view, [*SEARCH_COLUMNS, "outcome", "stalled"])
        for text in ["", "hr", "p00 finance", "zzz"]:
            assert search_mask(part, text).equals(search_mask(whole, text))


def test_pilots_loaded_as_large_strings_equal_the_plain_arrow_conversion(federal_bytes):
    # load_pilots asks DuckDB for large_string text (no cast in pyarrow); the frame must be the one the
    # default conversion gives, empty text columns included (the federal inventory has some)
    for ds in _stored(federal_bytes):
        with store.connect() as con:
            loaded = queries.load_pilots(con, ds, Filters(), common.dataset_info(ds).extras)
            with store.cursor(con) as cur:
                plain = cur.sql(f"SELECT * FROM {store.table_name(ds)}").to_arrow_table().to_pandas()  # noqa: S608
            assert con.execute("SELECT current_setting('arrow_large_buffer_size')").fetchone()[0] is False
        pd.testing.assert_frame_equal(loaded, plain)
