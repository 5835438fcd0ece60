"""How old the work in flight is (analysis/metrics/aging.py, its figure, the Stalls page's section), on a
portfolio whose ages and percentiles are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import analysed, make_portfolio, pilot
from streamlit.testing.v1 import AppTest
from test_pages import APP

from analysis.figures.aging import aging_figure
from analysis.figures.base import drill
from analysis.metrics.aging import aging_choices, aging_points, aging_summary, percentile_lines
from analysis.metrics.stalls import stage_spells
from analysis.store import datasets as store

AS_OF = dt.date(2024, 12, 31)


def portfolio(updated: bool) -> list[dict]:
    """Ten pilots that left PoC after 10, 20, ..., 100 days (now in Pilot, entered by 2024-06-09: stalled at
    90 days), and three still in PoC for 5, 50 and 200 days (the oldest updated ten days ago when `updated`)."""
    left = [pilot(i, stage="Pilot", pilot_date=dt.date(2024, 3, 1) + dt.timedelta(days=10 * i)) for i in range(1, 11)]
    still = [pilot(11, poc_date="2024-12-26"), pilot(12, poc_date="2024-11-11"),
             pilot(13, poc_date="2024-06-14", last_update="2024-12-21" if updated else "")]
    return left + still


def aged(updated: bool = True):
    result = analysed(portfolio(updated), as_of=AS_OF)
    c, stages = result.classified, result.derived.stages
    spells = stage_spells(c, stages, AS_OF)
    lines = percentile_lines(spells, stages)
    return c, spells, lines, aging_points(spells, lines, c["stalled"].to_numpy(dtype=bool))


def test_the_percentile_lines_are_the_kaplan_meier_times_in_stage() -> None:
    _, _, lines, _ = aged()
    poc = lines.set_index("stage").loc["poc"]
    # PoC by hand: 13 entered; censored at 5, 50 (after that day's exit) and 200; exits at 10, 20, ..., 100.
    # S(10..40) = 11/12, 10/12, 9/12, 8/12; S(50) = 8/12 * 7/8 = 7/12; then 6 at risk: S(60) = 35/72 = 0.486
    # (the 50th percentile: the first day at or below one half), S(90) = 14/72 = 0.194, S(100) = 7/72 = 0.097
    # (the 85th: at or below 0.15); never at or below 0.05 (the 200-day pilot is still there): no 95th.
    assert (poc["passed"], poc["p50_days"], poc["p85_days"]) == (10, 60, 100) and pd.isna(poc["p95_days"])
    pilot_stage = lines.set_index("stage").loc["pilot"]
    assert pilot_stage["passed"] == 0 and pilot_stage[["p50_days", "p85_days", "p95_days"]].isna().all()


def test_each_in_flight_pilot_is_a_point_at_its_days_in_the_stage_with_its_flag() -> None:
    c, _, _, points = aged()
    by_id = dict(zip(c["pilot_id"].to_numpy()[points["row"]], zip(points["stage"], points["days"], points["flag"])))
    assert by_id["P011"] == ("poc", 5, "within the 50th")
    assert by_id["P012"] == ("poc", 50, "within the 50th")
    assert by_id["P013"] == ("poc", 200, "above the 85th (at risk)")  # updated 10 days ago: not stalled
    assert by_id["P001"] == ("pilot", (AS_OF - dt.date(2024, 3, 11)).days, "stalled")  # in Pilot since 2024-03-11, no progress since
    assert len(points) == 13


def test_the_stall_rule_wins_over_the_age_and_the_sentence_counts_the_at_risk() -> None:
    c, _, lines, points = aged(updated=False)
    flag = dict(zip(c["pilot_id"].to_numpy()[points["row"]], points["flag"]))
    assert flag["P013"] == "stalled"
    found = aging_summary(points, lines, int(c["in_flight"].sum()))
    assert (found.placed, found.judged, found.at_risk, found.unplaced) == (13, 3, 1, 0)
    assert found.sentence == ("1 of 3 in-flight pilots are older than 85% of the pilots that already left their "
                              "stage (10 more are in stages too few have left to tell).")


def test_the_chart_draws_the_lines_and_each_point_drills_to_its_pilot() -> None:
    c, spells, lines, points = aged()
    fig = aging_figure(points, lines, spells.ids, "title")
    names = [t.name for t in fig.data]
    assert {"within the 50th", "above the 85th (at risk)", "stalled"} <= set(names)
    p85 = next(t for t in fig.data if t.name.startswith("85th"))
    # Intake (everyone left it after 60 days or more) and PoC have an 85th line; Pilot, which nobody left, none
    poc_x = [x for x, y in zip(p85.x, p85.y) if y is not None and abs(y - 100 / 30.4375) < 1e-9]
    assert poc_x == pytest.approx([2 - 0.45, 2 + 0.45])
    at_risk = next(t for t in fig.data if t.name == "above the 85th (at risk)")
    assert drill(fig)[int(at_risk.customdata[0])] == ["P013"]
    choices = aging_choices(points, spells.ids)
    assert choices["Proof of concept: above the 85th (at risk) (1)"] == ["P013"]
    assert len(choices["Pilot: stalled (10)"]) == 10


def test_the_stalls_page_shows_the_section_with_the_count() -> None:
    with store.connect() as con:
        ds = store.ingest(con, make_portfolio(portfolio(updated=True)), "aging.csv")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ds"] = ds
    at.switch_page("pages/stalls.py")
    at.run()
    assert not at.exception, at.exception
    assert "How old the work in flight is" in [h.value for h in at.subheader]
    # the upload's own as-of date is its latest date, 2024-12-26 (the 5-day pilot's PoC entry)
    assert any("in-flight pilots are older than 85% of the pilots that already left their stage" in m.value
               for m in at.markdown)
    pick = at.selectbox(key="aging_pick")
    assert any(o.startswith("Proof of concept: above the 85th (at risk)") for o in pick.options)
