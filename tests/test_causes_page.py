"""The Failure causes page (AppTest): numbers on the sample, the non-click drill-down, small segments,
the test verdict, and a dataset without dates."""

from __future__ import annotations

from tests.test_page_helpers import sample, store_undated_portfolio
from tests.test_pages import run_app

PAGE = "pages/causes.py"


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_pareto_drill_down_lists_the_pilots_behind_a_cause():
    at = run_app(PAGE)
    assert not at.exception, at.exception
    assert "287 cancelled of 600 pilots" in at.caption[0].value
    at.selectbox(key="pareto_pick").set_value("Data quality or availability (68)").run()
    assert not at.exception, at.exception
    assert "68 pilots behind Data quality or availability (68)" in texts(at.caption)
    # independently: the sample's cancelled pilots whose cause text speaks of data
    frame = sample()
    expected = set(frame.loc[(frame["Status"] == "Cancelled") & frame["Failure Cause"].str.lower()
                             .str.contains("data"), "Pilot ID"])
    tables = [t.value for t in at.dataframe if "Pilot ID" in t.value.columns]
    assert len(expected) == 68
    assert set(tables[0]["Pilot ID"]) == expected


def test_cause_by_stage_drill_down():
    at = run_app(PAGE)
    options = at.selectbox(key="cause_stage_pick").options
    assert "Data quality or availability at proof of concept (52)" in options
    at.selectbox(key="cause_stage_pick").set_value("Data quality or availability at proof of concept (52)").run()
    tables = [t.value for t in at.dataframe if "Pilot ID" in t.value.columns]
    assert len(tables[0]) == 52
    assert set(tables[0]["Stage"]) == {"Proof of concept"}


def test_small_business_unit_is_greyed_not_ranked_and_the_verdict_is_in_words():
    at = run_app(PAGE)
    captions = " ".join(texts(at.caption))
    assert "fewer than 5 decided pilots: HR (2 of 2 (100%, 95% CI 34–100%))" in captions
    assert "The difference between business units could be chance (chi-square test, p = 0.79)." in texts(at.markdown)
    at.selectbox(key="segments_pick").set_value("HR: 2 of 2 (100%, 95% CI 34–100%)").run()
    tables = [t.value for t in at.dataframe if "Pilot ID" in t.value.columns]
    assert set(tables[0]["Business unit"]) == {"HR"} and len(tables[0]) == 2


def test_sourcing_differs_significantly_with_the_pairs_listed():
    at = run_app(PAGE)
    at.selectbox(key="fail_by").set_value("sourcing").run()
    assert not at.exception, at.exception
    assert ("The difference between sourcing models is statistically significant (chi-square test, p < 0.001)."
            in texts(at.markdown))
    assert any("Which pairs differ" in e.label for e in at.expander)


def test_a_larger_minimum_n_leaves_segments_unranked():
    at = run_app(PAGE)
    at.number_input(key="min_n").set_value(100).run()
    assert not at.exception, at.exception
    # only Operations (115 decided) is left to rank: nothing to compare it with
    assert any("too few business units" in m for m in texts(at.markdown))


def test_without_dates_the_page_says_what_needs_them():
    at = run_app(PAGE, query={"ds": store_undated_portfolio()})
    assert not at.exception, at.exception
    assert "3 cancelled of 5 pilots" in at.caption[0].value
    infos = " ".join(texts(at.info))
    assert "cause mix by start quarter needs start dates" in infos
    assert "No spend is recorded" in infos
    assert at.selectbox(key="pareto_pick").options == ["Data quality or availability (2)",
                                                      "Unclear business value or ROI (1)"]


def test_no_cancelled_pilots_says_so(federal_bytes):
    from tests.test_pages import upload
    at = run_app(PAGE, query={"ds": upload(federal_bytes)})
    assert not at.exception, at.exception
    assert "No cancelled pilots in this selection" in at.info[0].value


def test_failure_rate_for_one_cause_by_business_unit():
    at = run_app(PAGE)
    at.selectbox(key="fail_cause").set_value("data_quality").run()
    assert not at.exception, at.exception
    table = next(t.value for t in at.dataframe if "Business unit" in t.value.columns and "Pilots" in t.value.columns)
    assert table.iloc[:, 1].str.extract(r"^(\d+) of")[0].astype(int).sum() == 68  # every data-quality cancellation
    assert any(m.startswith("The difference between business units") for m in texts(at.markdown))
