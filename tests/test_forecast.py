"""What will land (analysis/metrics/forecast.py): chances worked out by hand, a portfolio whose future is
certain, too few decided pilots, the rewind, and the back-test's 80% interval coverage on generated portfolios
whose dynamics are known (Weibull times to production and to cancellation, competing)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from builders import analysed, pilot

from analysis.metrics import forecast as forecast_module
from analysis.metrics.forecast import _conditional, backtest, forecast, outcome_draws, rewind

AS_OF = dt.date(2025, 6, 30)
DAY = dt.timedelta(days=1)


def test_the_chance_of_landing_is_the_rise_of_the_curve_over_the_chance_of_being_still_in_flight() -> None:
    months = np.array([0.0, 1.0, 2.0])
    prod, canc = np.array([0.0, 0.2, 0.5]), np.array([0.0, 0.1, 0.2])
    p, c = _conditional(months, prod, canc, np.array([0.0, 1.0, 2.5]), 1.0)
    # age 0: F(1) - F(0) over S(0) = 1; age 1: (0.5 - 0.2) / (1 - 0.2 - 0.1); past the data: nothing more known
    assert p == pytest.approx([0.2, 0.3 / 0.7, 0.0]) and c == pytest.approx([0.1, 0.1 / 0.7, 0.0])


def certain(in_flight: int = 8, landed: int = 25) -> list[dict]:
    """`landed` pilots that all reached production 183 days after starting, none cancelled, and `in_flight`
    pilots in PoC for 100 days: each of those lands within 3 months (100 + 91.3 > 183) for sure."""
    start = dt.date(2023, 1, 2)
    done = [pilot(i, start_date=start, intake_date=start, poc_date=start, stage="Production", status="In production",
                  production_date=start + 183 * DAY) for i in range(1, landed + 1)]
    now = AS_OF - 100 * DAY
    flying = [pilot(100 + i, start_date=now, intake_date=now, poc_date=now) for i in range(in_flight)]
    return done + flying


def test_a_portfolio_whose_future_is_certain_is_forecast_exactly() -> None:
    result = analysed(certain(), as_of=AS_OF)
    found = forecast(result.classified, result.derived.stages, AS_OF)
    assert found.reason is None and found.decided == 25
    totals = found.totals.set_index("horizon")
    for h in (3, 6, 12):
        assert totals.loc[h, ["production", "production_low", "production_high"]].tolist() == pytest.approx([8, 8, 8])
        assert totals.loc[h, ["cancelled", "cancelled_low", "cancelled_high"]].tolist() == pytest.approx([0, 0, 0])
    assert found.pilots["production_12"].tolist() == pytest.approx([1.0] * 8)
    assert found.pilots["months_running"].iloc[0] == pytest.approx(100 / 30.4375)
    assert found.by_stage == [2]  # fitted on the pilots that reached PoC (25 decided: enough)
    assert found.sentence.startswith("Of the 8 pilots in flight, about 8 are expected to reach production within "
                                     "12 months (80% interval 8–8)")


def test_pilots_older_than_any_decided_one_are_not_forecast_as_landing_never() -> None:
    """Every pilot that was decided took 183 days; pilots running for 400 days are past anything the data has
    seen. Their chance is not 0: it is unknown, and the forecast says so instead of 'about 0'."""
    start = dt.date(2023, 1, 2)
    done = [pilot(i, start_date=start, intake_date=start, poc_date=start, stage="Production", status="In production",
                  production_date=start + 183 * DAY) for i in range(1, 26)]
    old = [pilot(100 + i, start_date=AS_OF - 400 * DAY, intake_date=AS_OF - 400 * DAY, poc_date=AS_OF - 400 * DAY)
           for i in range(5)]
    young = [pilot(200 + i, start_date=AS_OF - 100 * DAY, intake_date=AS_OF - 100 * DAY, poc_date=AS_OF - 100 * DAY)
             for i in range(3)]
    result = analysed(done + old, as_of=AS_OF)
    found = forecast(result.classified, result.derived.stages, AS_OF)
    assert found.totals.empty and found.reason.startswith(
        "Every one of the 5 pilots in flight has run longer than any pilot of its stage took to reach production or "
        "be cancelled (at most 6 months)")
    result = analysed(done + old + young, as_of=AS_OF)
    found = forecast(result.classified, result.derived.stages, AS_OF)
    assert found.reason is None and found.beyond == 5
    # the young ones: 25 of the 30 followed past 183 days landed at 183 days (the old ones, censored, did not)
    assert found.totals.set_index("horizon").loc[12, "production"] == pytest.approx(3 * 25 / 30)
    assert "; 5 of them have run longer than any pilot took to reach production or be cancelled" in found.sentence


def test_too_few_decided_pilots_are_said_plainly() -> None:
    result = analysed(certain(landed=19), as_of=AS_OF)
    found = forecast(result.classified, result.derived.stages, AS_OF)
    assert found.totals.empty and found.reason == (
        "Too few decided pilots to forecast: 19 with dates reached production or were cancelled; at least 20 "
        "are needed to say how the others will go.")
    no_dates = forecast(result.classified, result.derived.stages, None)
    assert no_dates.reason.startswith("A forecast needs dates")


def test_rewinding_gives_the_portfolio_as_it_stood() -> None:
    rows = [pilot(1, start_date="2024-01-01", intake_date="2024-01-01", poc_date="2024-03-01", pilot_date="2024-08-01",
                  production_date="2024-12-01", stage="Production", status="In production"),
            pilot(2, start_date="2024-02-01", intake_date="2024-02-01", poc_date="2024-04-01", status="Cancelled",
                  end_date="2024-09-01", failure_cause="Data quality"),
            pilot(3, start_date="2024-07-01", intake_date="2024-07-01", poc_date="")]
    result = analysed(rows, as_of=AS_OF)
    then = rewind(result.derived.pilots, result.derived.stages, dt.date(2024, 6, 1))
    assert then["pilot_id"].tolist() == ["P001", "P002"]  # P003 had not started
    assert then["status"].tolist() == ["active", "active"] and then["stage"].tolist() == ["poc", "poc"]
    assert then["pilot_date"].isna().all() and then["end_date"].isna().all()


def generated(seed: int, n: int = 400) -> tuple[pd.DataFrame, list[str]]:
    """Canonical pilots started evenly over 2020-2023, each reaching production after a Weibull(1.5, 14 months)
    time or cancelled after a Weibull(1.5, 18 months) one, whichever comes first, as seen on 2024-12-31."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    to_prod = 14 * 30.4375 * rng.weibull(1.5, n)
    to_cancel = 18 * 30.4375 * rng.weibull(1.5, n)
    end = start + pd.to_timedelta(np.minimum(to_prod, to_cancel).round(), unit="D")
    seen = end <= pd.Timestamp("2024-12-31")
    produced, cancelled = seen & (to_prod <= to_cancel), seen & (to_prod > to_cancel)
    nat = pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
    frame = pd.DataFrame({
        "pilot_id": [f"G{i:04d}" for i in range(n)],
        "status": np.where(produced, "production", np.where(cancelled, "cancelled", "active")),
        "stage_index": pd.array(np.where(produced, 1, 0), dtype="Int64"),
        "stage": np.where(produced, "production", "idea"),
        "start_date": pd.Series(start).astype("datetime64[us]"), "idea_date": pd.Series(start).astype("datetime64[us]"),
        "production_date": pd.Series(end).where(produced, nat).astype("datetime64[us]"),
        "end_date": pd.Series(end).where(cancelled, nat).astype("datetime64[us]"),
        "last_update": nat})
    return frame, ["idea", "production"]


def test_the_back_test_covers_what_happened_about_as_often_as_an_80_percent_interval_should() -> None:
    checks = pd.concat([backtest(*generated(seed), dt.date(2023, 12, 31), dt.date(2024, 12, 31)) for seed in range(30)])
    assert len(checks) == 30 * 3 * 2  # every horizon (3, 6, 12 months) and both outcomes, each seed
    coverage = checks["covered"].mean()
    assert 0.68 <= coverage <= 0.92, coverage
    # and the forecast is unbiased: over the seeds, the mean error of the 12-month production count is small
    year = checks[(checks["horizon"] == 12) & (checks["kind"] == "production")]
    assert abs((year["forecast"] - year["actual"]).mean()) < 0.1 * year["actual"].mean()


@pytest.mark.parametrize("groups, most, chance", [(1500, 40, 0.3), (300, 3, 0.15)])
def test_a_large_sum_of_outcomes_drawn_as_a_normal_has_the_percentiles_of_the_exact_draws(monkeypatch, groups, most,
                                                                                          chance) -> None:
    """The normal law of the sum (means and covariances of each group's multinomial) against a binomial per group,
    on 20,000 replicates of chances that vary between replicates as a refit's do: the 10th, 50th and 90th
    percentiles of both counts agree (to within a pilot, or 5% of their spread), and the two counts are as
    negatively correlated."""
    rng = np.random.default_rng(3)
    n = rng.integers(1, most + 1, groups)
    p = np.clip(rng.random(groups) * chance + rng.normal(0, 0.01, (20_000, groups)), 0, 1)
    c = np.clip(rng.random(groups) * chance + rng.normal(0, 0.01, (20_000, groups)), 0, 1 - p)
    assert ((p * (1 - p)) @ n).min() >= forecast_module.NORMAL_FROM_VARIANCE  # the normal law is the one drawn
    normal = outcome_draws(n, p, c, np.random.default_rng(1))
    monkeypatch.setattr(forecast_module, "NORMAL_FROM_VARIANCE", np.inf)
    exact = outcome_draws(n, p, c, np.random.default_rng(1))
    assert not np.array_equal(normal, exact)
    for k in (0, 1):  # within a pilot, or 5% of the spread for large counts (the Monte Carlo error of a percentile)
        assert np.quantile(normal[:, k], [0.1, 0.5, 0.9]) == pytest.approx(np.quantile(exact[:, k], [0.1, 0.5, 0.9]),
                                                                           abs=max(1.01, 0.05 * exact[:, k].std()))
    assert np.corrcoef(*normal.T)[0, 1] == pytest.approx(np.corrcoef(*exact.T)[0, 1], abs=0.03)
    assert normal.min() >= 0 and (normal.sum(axis=1) <= n.sum()).all()


def test_a_small_sum_of_outcomes_is_drawn_exactly() -> None:
    """Below NORMAL_FROM_VARIANCE each group's pilots are drawn as binomials: 3 pilots certain to land land, and a
    single pilot with an even chance lands in some replicates and not in others, never half."""
    certain = outcome_draws(np.array([3]), np.ones((50, 1)), np.zeros((50, 1)), np.random.default_rng(0))
    assert (certain == [3, 0]).all()
    even = outcome_draws(np.array([1]), np.full((200, 1), 0.5), np.zeros((200, 1)), np.random.default_rng(0))
    assert set(even[:, 0].tolist()) == {0, 1}


def forecast_page():
    """The Forecast page (AppTest) on a stored portfolio whose future is certain (`certain`)."""
    from builders import make_portfolio
    from streamlit.testing.v1 import AppTest
    from test_pages import APP

    from analysis.store import datasets as store

    with store.connect() as con:
        ds = store.ingest(con, make_portfolio(certain()), "certain.csv")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ds"] = ds
    at.switch_page("pages/forecast.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_forecast_page_states_the_forecast_and_lists_the_likely_pilots() -> None:
    at = forecast_page()
    assert any(m.value.startswith("#### Of the 8 pilots in flight, about 8 are expected to reach production")
               for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 8 and (table["production_12"] == 100).all()
    # the upload's own as-of date is its latest date, the in-flight pilots' start: 0 months running, so they land
    # within 12 months (183 days) but neither within 3 nor within 6
    assert at.selectbox(key="forecast_pick").options == ["Likely to reach production within 12 months (8)"]
    at.selectbox(key="forecast_pick").set_value("Likely to reach production within 12 months (8)").run()
    assert not at.exception, at.exception  # the listed pilots' download and the whole table's, each its own key
    assert len(at.get("download_button")) == 2
    listed = next(d.value for d in at.dataframe if "Pilot ID" in d.value.columns)
    assert sorted(listed["Pilot ID"]) == [f"P{100 + i:03d}" for i in range(8)]


def test_the_forecast_pages_table_shows_the_first_pilots_in_the_order_chosen(monkeypatch) -> None:
    import pages.common

    monkeypatch.setattr(pages.common, "TABLE_ROWS", 3)  # as for a large portfolio
    at = forecast_page()
    assert len(at.dataframe[0].value) == 3
    assert any(c.value.startswith("The first 3 of 8 pilots in flight by chance of production within 12 months")
               for c in at.caption)
    assert at.get("download_button")[0].proto.label == "Download the 8 pilots in flight (CSV)"
    at.selectbox(key="forecast_order").set_value("cancelled_12").run()
    assert not at.exception, at.exception
    assert any("by chance of cancellation within 12 months" in c.value for c in at.caption)


def test_the_chances_table_orders_by_any_chance_or_age() -> None:
    from conftest import SAMPLE

    from analysis.cli.summary import analyse_file
    from analysis.figures.forecast import CHANCE_ORDERS, chances_table

    result = analyse_file(SAMPLE.read_bytes(), SAMPLE.name)
    pilots, stages = result.classified, result.derived.stages
    found = forecast(pilots, stages, result.as_of)
    default = chances_table(found, pilots, stages)
    assert default["production_12"].is_monotonic_decreasing and len(default) == int(pilots["in_flight"].sum())
    for by in CHANCE_ORDERS:
        table = chances_table(found, pilots, stages, by)
        assert table[by].is_monotonic_decreasing, by
        assert sorted(table["pilot_id"]) == sorted(default["pilot_id"])
        assert table.set_index("pilot_id").loc[default["pilot_id"]].reset_index().equals(default), by


def test_the_command_line_prints_the_forecast(tmp_path) -> None:
    import json
    import subprocess
    import sys

    from builders import make_portfolio

    from tests.conftest import ROOT

    path = tmp_path / "certain.csv"
    path.write_bytes(make_portfolio(certain()))
    out = subprocess.run([sys.executable, "-m", "analysis", "forecast", str(path), "--as-of", AS_OF.isoformat()],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = json.loads(out)
    assert found["reason"] is None and found["in_flight"] == 8
    assert [(t["horizon"], t["production"], t["production_low"]) for t in found["totals"]] == [(3, 8, 8), (6, 8, 8), (12, 8, 8)]
    assert found["pilots"][0]["production_12"] == 1.0
