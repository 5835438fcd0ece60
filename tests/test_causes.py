"""Known answers for the failure-cause analyses (analysis/metrics/causes.py) and their figures' numbers,
on small hand-built portfolios analysed exactly as an upload is."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.figures.base import drill, mark_key
from analysis.figures.causes import (
    cause_stage_figure,
    causes_title,
    pareto_figure,
    pareto_title,
    rate_text,
    segment_figure,
    segment_title,
)
from analysis.metrics.causes import (
    NOT_RECORDED,
    OTHER_CAUSES,
    cause_counts,
    cause_mix_by_cohort,
    cause_stage_counts,
    failure_rates,
    segment_pairs,
    segment_rates,
    segment_test,
    spend_by_cause,
    start_quarter,
)
from analysis.metrics.stats import METHOD_CHI_SQUARE, METHOD_FISHER
from tests.builders import analysed, pilot

STAGES = ["intake", "scoping", "poc", "pilot", "production"]


def cancelled(i: int, cause: str, stage: str = "PoC", **fields: object) -> dict[str, object]:
    return pilot(i, status="Cancelled", failure_cause=cause, stage=stage, end_date="2024-06-01", **fields)


def produced(i: int, **fields: object) -> dict[str, object]:
    return pilot(i, status="In production", stage="Production", production_date="2024-05-01", **fields)


@pytest.fixture(scope="module")
def causes_portfolio() -> pd.DataFrame:
    """7 cancelled pilots (3 data, 2 value, 1 blank, 1 unmapped), 1 in production, 1 active."""
    rows = [cancelled(1, "Data quality issues", "PoC"), cancelled(2, "Poor data", "PoC"),
            cancelled(3, "Data availability", "Pilot"), cancelled(4, "No clear ROI", "Scoping"),
            cancelled(5, "Unclear value", "Scoping"), cancelled(6, "", "PoC"),
            cancelled(7, "Steerco said no", "PoC"), produced(8), pilot(9)]
    return analysed(rows).classified


def test_cause_counts_sorted_with_unmapped_and_missing_kept(causes_portfolio):
    counts = cause_counts(causes_portfolio)
    assert counts["cause"].tolist() == ["data_quality", "unclear_value", NOT_RECORDED, "other (Steerco said no)"]
    assert counts["count"].tolist() == [3, 2, 1, 1]
    assert counts["share"].tolist() == pytest.approx([3 / 7, 2 / 7, 1 / 7, 1 / 7])
    assert counts["cumulative_share"].tolist() == pytest.approx([3 / 7, 5 / 7, 6 / 7, 1.0])
    assert counts["pilot_ids"].tolist() == [["P001", "P002", "P003"], ["P004", "P005"], ["P006"], ["P007"]]


def test_pareto_figure_carries_the_ids_and_states_the_finding(causes_portfolio):
    counts = cause_counts(causes_portfolio)
    fig = pareto_figure(counts)
    assert [drill(fig)[mark_key(c)] for c in fig.data[0].customdata] == counts["pilot_ids"].tolist()
    assert list(fig.data[1].x) == pytest.approx([3 / 7, 5 / 7, 6 / 7, 1.0])  # the cumulative line
    assert fig.data[1].xaxis == "x2"
    # 3/7 = 43% < 50%, 5/7 = 71%: two causes account for half
    assert pareto_title(counts) == ("2 of 4 causes account for 71% of the 7 cancellations; "
                                    "data quality or availability leads (3)")


def test_a_missing_cause_is_not_called_the_commonest_cause():
    counts = pd.DataFrame({"cause": [NOT_RECORDED, "cost", "security"], "count": [5, 3, 2],
                           "share": [0.5, 0.3, 0.2], "cumulative_share": [0.5, 0.8, 1.0]})
    assert causes_title(counts) == ("No cause is recorded for 50% of cancellations; of the rest, "
                                    "cost is the commonest (30%)")
    assert pareto_title(counts) == ("No cause is recorded for 50% of the 10 cancellations; of the rest, "
                                    "cost is the commonest (30%)")
    assert causes_title(counts.iloc[:1]) == "No cause is recorded for any of the 5 cancellations"
    ranked = counts.iloc[[1, 0, 2]].assign(count=[6, 3, 1], share=[0.6, 0.3, 0.1])
    assert causes_title(ranked) == "Cost is the commonest cause (60% of cancellations)"


def test_cause_by_stage_counts_and_shares(causes_portfolio):
    cells = cause_stage_counts(causes_portfolio, STAGES)
    got = cells[["cause", "stage", "count"]].apply(tuple, axis=1).tolist()
    assert got == [("data_quality", "poc", 2), ("data_quality", "pilot", 1), ("unclear_value", "scoping", 2),
                   (NOT_RECORDED, "poc", 1), ("other (Steerco said no)", "poc", 1)]
    assert cells["row_share"].tolist() == pytest.approx([2 / 3, 1 / 3, 1, 1, 1])
    assert cells["column_share"].tolist() == pytest.approx([2 / 4, 1, 1, 1 / 4, 1 / 4])  # poc has 4 in all
    assert cells["pilot_ids"].iloc[0] == ["P001", "P002"]


def test_cause_stage_heatmap_cells_and_click_markers(causes_portfolio):
    cells = cause_stage_counts(causes_portfolio, STAGES)
    fig = cause_stage_figure(cells, STAGES)
    heat, markers = fig.data
    assert list(heat.x) == ["Intake", "Scoping", "Proof of concept", "Pilot"]  # nobody is cancelled in production
    assert heat.z[0].tolist() == [0, 0, 2, 1]
    assert heat.text[0] == ["", "", "2<br>67%", "1<br>33%"]
    assert [drill(fig)[mark_key(list(c))] for c in markers.customdata] == cells["pilot_ids"].tolist()


def test_wilson_interval_of_three_of_four_matches_the_published_value():
    # 3 cancelled of 4 decided. Reference: R binom::binom.wilson(3, 4) -> 0.3006418 0.9544127
    # (equivalently prop.test(3, 4, correct = FALSE)$conf.int).
    rows = [cancelled(i, "Data") for i in (1, 2, 3)] + [produced(4), pilot(5)]
    rates = failure_rates(analysed(rows).classified, "business_unit")
    row = rates.iloc[0]
    assert (row["segment"], row["pilots"], row["cancelled"], row["decided"]) == ("Finance", 5, 3, 4)
    assert row["rate"] == 0.75
    assert row["ci_low"] == pytest.approx(0.3006418, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.9544127, abs=1e-6)
    assert rate_text(3, 4, row["ci_low"], row["ci_high"]) == "3 of 4 (75%, 95% CI 30–95%)"


def bu_rows(unit: str, failed: int, made_it: int, start: int) -> list[dict[str, object]]:
    """`failed` cancelled and `made_it` production pilots in one business unit, ids from `start`."""
    return [cancelled(start + i, "Data", business_unit=unit) for i in range(failed)] + \
        [produced(start + failed + i, business_unit=unit) for i in range(made_it)]


def test_small_segments_are_shown_but_not_ranked_or_tested():
    rows = bu_rows("Finance", 3, 1, 1) + bu_rows("IT", 1, 3, 10) + bu_rows("HR", 2, 0, 20)
    rates = segment_rates(analysed(rows).classified, "business_unit", min_n=4)
    assert rates["segment"].tolist() == ["Finance", "IT", "HR"]  # ranked by rate, then the small one
    assert rates["ranked"].tolist() == [True, True, False]
    assert rates["pilot_ids"].iloc[2] == ["P020", "P021"]
    test = segment_test(rates)
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = 34/70 (Fisher 1935; R fisher.test -> 0.4857)
    assert test.method == METHOD_FISHER
    assert test.segments_compared == 2
    assert test.p_value == pytest.approx(34 / 70)
    assert not test.significant
    title = segment_title(rates, test, "Business unit")
    assert title == "No clear difference by business unit: from IT (25%) to Finance (75%) could be chance"
    fig = segment_figure(rates, test, "Business unit", overall=6 / 10, min_n=4)
    assert list(fig.data[0].y) == ["Finance", "IT", "HR (n<4)"]
    assert list(fig.data[0].marker.color)[2] == "#BBBBBB"  # greyed
    assert list(fig.data[0].error_x.arrayminus) == pytest.approx(list(rates["rate"] - rates["ci_low"]))


def test_large_segments_use_chi_square():
    # 30 of 50 against 20 of 50: expected 25 in every cell, chi2 = 4 * 5**2 / 25 = 4.0, 1 df,
    # p = 0.0455 (R: chisq.test(matrix(c(30, 20, 20, 30), 2), correct = FALSE) -> p-value = 0.0455)
    rows = bu_rows("Finance", 30, 20, 1) + bu_rows("IT", 20, 30, 100)
    test = segment_test(segment_rates(analysed(rows).classified, "business_unit"))
    assert test.method == METHOD_CHI_SQUARE
    assert test.statistic == pytest.approx(4.0)
    assert test.p_value == pytest.approx(0.0455003, abs=1e-6)
    assert test.significant


def test_pairs_are_holm_corrected():
    rows = bu_rows("A", 9, 1, 1) + bu_rows("B", 1, 9, 20) + bu_rows("C", 5, 5, 40)
    pairs = segment_pairs(segment_rates(analysed(rows).classified, "business_unit"))
    # pairs in the ranked order (A 90%, C 50%, B 10%)
    assert pairs[["segment_a", "segment_b"]].apply(tuple, axis=1).tolist() == [("A", "C"), ("A", "B"), ("C", "B")]
    # 9/10 vs 1/10: two-sided Fisher p = 2 * (C(10,9) C(10,1) + 1) / C(20,10) = 202 / 184756 = 0.001093
    # (R: fisher.test(matrix(c(9, 1, 1, 9), 2))$p.value)
    assert pairs["p_value"].iloc[1] == pytest.approx(202 / 184756)
    assert pairs["p_holm"].iloc[1] == pytest.approx(3 * 202 / 184756)  # the smallest of 3 p-values: times 3
    assert pairs["significant"].tolist() == [False, True, False]


def test_cause_mix_by_start_quarter_groups_the_rest():
    rows = [cancelled(1, "Data", start_date="2024-01-15"), cancelled(2, "Data", start_date="2024-02-01"),
            cancelled(3, "No ROI", start_date="2024-03-30"), cancelled(4, "Data", start_date="2024-04-02"),
            cancelled(5, "Vendor failed", start_date="2024-05-05"), produced(6, start_date="2024-01-01")]
    mix = cause_mix_by_cohort(analysed(rows).classified, top=1)
    got = mix[["cohort", "cause", "count", "cohort_cancelled"]].apply(tuple, axis=1).tolist()
    assert got == [("2024 Q1", "data_quality", 2, 3), ("2024 Q1", OTHER_CAUSES, 1, 3),
                   ("2024 Q2", "data_quality", 1, 2), ("2024 Q2", OTHER_CAUSES, 1, 2)]
    assert mix["share"].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 2, 1 / 2])
    assert mix["pilot_ids"].iloc[1] == ["P003"]


def test_spend_lost_by_cause():
    rows = [cancelled(1, "Data", spend="1000"), cancelled(2, "Data", spend=""), cancelled(3, "No ROI", spend="5000"),
            produced(4, spend="99999")]
    spend = spend_by_cause(analysed(rows).classified)
    assert spend[["cause", "pilots", "with_spend", "spend"]].apply(tuple, axis=1).tolist() == [
        ("unclear_value", 1, 1, 5000.0), ("data_quality", 2, 1, 1000.0)]
    assert spend["share"].tolist() == pytest.approx([5 / 6, 1 / 6])


def test_no_spend_recorded_gives_an_empty_frame():
    assert spend_by_cause(analysed([cancelled(1, "Data")]).classified).empty


def test_blank_cause_cell_is_not_recorded_not_other_nan():
    classified = analysed([cancelled(1, ""), produced(2)]).classified
    assert classified["failure_cause"].isna().all()
    assert cause_counts(classified)["cause"].tolist() == [NOT_RECORDED]


def test_failure_rate_for_one_cause():
    # Finance: 2 data + 1 value cancelled, 1 in production; IT: 1 data cancelled, 3 in production
    rows = [cancelled(1, "Poor data"), cancelled(2, "Poor data"), cancelled(3, "No ROI"), produced(4),
            cancelled(5, "Poor data", business_unit="IT")] + [produced(i, business_unit="IT") for i in (6, 7, 8)]
    rates = segment_rates(analysed(rows).classified, "business_unit", min_n=4, cause="data_quality")
    assert rates[["segment", "cancelled", "decided"]].apply(tuple, axis=1).tolist() == [("Finance", 2, 4),
                                                                                       ("IT", 1, 4)]
    test = segment_test(rates)
    # [[2, 2], [1, 3]]: two-sided Fisher p = 1 (R: fisher.test(matrix(c(2, 1, 2, 3), 2))$p.value)
    assert test.p_value == pytest.approx(1.0)
    assert segment_title(rates, test, "Business unit", "data_quality") == (
        "Data quality or availability: no clear difference by business unit: from IT (25%) to Finance (50%) "
        "could be chance")


def test_the_overall_rate_counts_decided_pilots_only(causes_portfolio):
    from analysis.metrics.causes import overall_rate

    assert overall_rate(causes_portfolio) == 7 / 8  # 7 cancelled of 8 decided; the active pilot is censored
    assert overall_rate(causes_portfolio, "data_quality") == 3 / 8
    assert overall_rate(causes_portfolio[~causes_portfolio["decided"]]) is None


def test_start_quarter_names_each_date_and_leaves_a_missing_one_missing():
    # 2024-03-31 is the last day of Q1, 2024-04-01 the first of Q2; 2023-12-31 is in Q4 of its own year
    start = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", None, "2023-12-31", "2024-01-01"]),
                      index=[5, 3, 9, 1, 0], name="start_date")
    named = start_quarter(start)
    assert named.tolist()[:2] == ["2024 Q1", "2024 Q2"] and named.tolist()[3:] == ["2023 Q4", "2024 Q1"]
    assert pd.isna(named.iloc[2])  # no date, no quarter (not the text "None")
    assert named.index.tolist() == [5, 3, 9, 1, 0] and named.name == "start_date"
