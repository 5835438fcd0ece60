"""Known answers for the failure-cause analyses that code the cancelled pilots once per page run
(analysis.metrics.causes.Cancelled) and count with integer codes: on a hand-built frame of ten pilots with a
missing cause and one written "not recorded", an unmapped one, ties between causes, a missing and an
unknown stage, an undated pilot, missing and zero spends, a missing and a "(blank)" unit, an in-flight pilot
with a cause; each answer given by the text columns and by the columns dictionary-coded as a filtered view
hands them (every category of the whole dataset, used or not), with and without the shared coding. Then the
selections with nothing to count: no pilots, no cancelled, no start dates, no spend, no causes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import causes as fast
from analysis.metrics.causes import NOT_RECORDED, OTHER_CAUSES

STAGES = ["intake", "scoping", "poc", "pilot", "production"]
DQ, OTHER = "data_quality", "other (Steerco said no)"

# id, cause, stage, start date, spend, business unit, cancelled, decided
KNOWN = [
    ("P01", DQ, "poc", "2024-01-15", 100.0, "Finance", True, True),
    ("P02", "cost", "scoping", "2024-02-10", None, "HR", True, True),
    ("P03", None, "poc", "2024-04-01", 50.0, None, True, True),  # no cause, no unit
    ("P04", DQ, "unknown", None, 200.0, "Finance", True, True),  # no start date
    ("P05", OTHER, "pilot", "2024-05-20", 0.0, "(blank)", True, True),  # a unit written as the blank's name
    ("P06", "cost", "poc", "2023-12-31", 25.0, "HR", True, True),
    ("P07", NOT_RECORDED, None, "2024-06-30", None, "IT", True, True),  # the missing cause's name; no stage
    ("P08", DQ, "production", "2024-01-01", 999.0, "Finance", False, True),  # in production
    ("P09", "cost", "pilot", "2024-03-01", 500.0, "IT", False, False),  # in flight: its cause never counts
    ("P10", None, "intake", None, None, "HR", False, True),
]
UNUSED = {"failure_cause": ["vendor", "security"], "stage": [], "business_unit": ["Ops"]}  # in the dataset, not here


def known_frame() -> pd.DataFrame:
    columns = ["pilot_id", "failure_cause", "stage", "start_date", "spend", "business_unit", "cancelled", "decided"]
    frame = pd.DataFrame(KNOWN, columns=columns)
    for column in ("pilot_id", "failure_cause", "stage", "business_unit"):
        frame[column] = pd.array(frame[column], dtype="str")
    return frame.assign(start_date=pd.to_datetime(frame["start_date"]), spend=frame["spend"].astype("float64"))


def coded_frame() -> pd.DataFrame:
    """known_frame as pages.common.pilots_for hands it to the page: the grouped columns as Categoricals
    whose categories are the whole dataset's (unused ones too), in an order of their own."""
    frame = known_frame()
    for column, unused in UNUSED.items():
        names = sorted({*frame[column].dropna(), *unused, *(STAGES + ["unknown"] if column == "stage" else [])},
                       reverse=True)
        frame[column] = pd.Categorical(frame[column].astype(object).where(frame[column].notna()), categories=names)
    return frame


WAYS = ["text", "text, shared", "coded", "coded, shared"]


@pytest.fixture(params=WAYS)
def way(request) -> tuple[pd.DataFrame, fast.Cancelled | None]:
    """The known frame, as text or coded, with the page's shared cancellations or without."""
    frame = coded_frame() if request.param.startswith("coded") else known_frame()
    return frame, fast.cancellations(frame) if request.param.endswith("shared") else None


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


def test_cause_counts(way):
    frame, shared = way
    counts = fast.cause_counts(frame, shared)
    # seven cancelled: cost P02 P06, data quality P01 P04, not recorded P03 (blank) and P07 (written so),
    # the unmapped cause P05; three tied at 2, ordered by name; P09's cause is not counted (in flight)
    assert rows(counts, ["cause", "count"]) == [("cost", 2), (DQ, 2), (NOT_RECORDED, 2), (OTHER, 1)]
    assert counts["share"].tolist() == pytest.approx([2 / 7, 2 / 7, 2 / 7, 1 / 7])
    assert counts["cumulative_share"].tolist() == pytest.approx([2 / 7, 4 / 7, 6 / 7, 1.0])
    assert [list(ids) for ids in counts["pilot_ids"]] == [["P02", "P06"], ["P01", "P04"], ["P03", "P07"], ["P05"]]
    assert counts["count"].dtype == "int64"


def test_cause_stage_counts(way):
    frame, shared = way
    cells = fast.cause_stage_counts(frame, STAGES, shared)
    # causes in cause_counts order, stages in the dataset's order then unknown; P07 has no stage at all (the
    # upload path names such a pilot's stage 'unknown'), so it is in no cell
    assert rows(cells, ["cause", "stage", "count"]) == [
        ("cost", "scoping", 1), ("cost", "poc", 1), (DQ, "poc", 1), (DQ, "unknown", 1), (NOT_RECORDED, "poc", 1),
        (OTHER, "pilot", 1)]
    assert cells["row_share"].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 2, 1 / 2, 1, 1])
    assert cells["column_share"].tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1, 1 / 3, 1])  # PoC: P06 P01 P03
    assert [list(ids) for ids in cells["pilot_ids"]] == [["P02"], ["P06"], ["P01"], ["P04"], ["P03"], ["P05"]]


def test_cause_mix_by_cohort(way):
    frame, shared = way
    # the dated cancelled pilots (P04 has no start date): 2023 Q4 P06 cost; 2024 Q1 P01 data quality, P02 cost;
    # 2024 Q2 P03 and P07 not recorded, P05 unmapped. Among them cost and not recorded lead (2 each, by name)
    mix = fast.cause_mix_by_cohort(frame, cancelled=shared)
    assert rows(mix, ["cohort", "cause", "count", "cohort_cancelled"]) == [
        ("2023 Q4", "cost", 1, 1), ("2024 Q1", "cost", 1, 2), ("2024 Q1", DQ, 1, 2),
        ("2024 Q2", NOT_RECORDED, 2, 3), ("2024 Q2", OTHER, 1, 3)]
    assert mix["share"].tolist() == pytest.approx([1, 1 / 2, 1 / 2, 2 / 3, 1 / 3])
    assert [list(ids) for ids in mix["pilot_ids"]] == [["P06"], ["P02"], ["P01"], ["P03", "P07"], ["P05"]]
    top_two = fast.cause_mix_by_cohort(frame, 2, shared)  # the rest grouped, last in each cohort
    assert rows(top_two, ["cohort", "cause", "count", "cohort_cancelled"]) == [
        ("2023 Q4", "cost", 1, 1), ("2024 Q1", "cost", 1, 2), ("2024 Q1", OTHER_CAUSES, 1, 2),
        ("2024 Q2", NOT_RECORDED, 2, 3), ("2024 Q2", OTHER_CAUSES, 1, 3)]
    assert [list(ids) for ids in top_two["pilot_ids"]] == [["P06"], ["P02"], ["P01"], ["P03", "P07"], ["P05"]]


def test_spend_by_cause(way):
    frame, shared = way
    spend = fast.spend_by_cause(frame, shared)
    # data quality 100 + 200; not recorded 50 (P07 none); cost 25 (P02 none); unmapped 0: 375 lost in all
    assert rows(spend, ["cause", "pilots", "with_spend", "spend"]) == [
        (DQ, 2, 2, 300.0), (NOT_RECORDED, 2, 1, 50.0), ("cost", 2, 1, 25.0), (OTHER, 1, 1, 0.0)]
    assert spend["share"].tolist() == pytest.approx([300 / 375, 50 / 375, 25 / 375, 0])
    assert [list(ids) for ids in spend["pilot_ids"]] == [["P01", "P04"], ["P03", "P07"], ["P02", "P06"], ["P05"]]


def test_failed_and_overall_rate(way):
    frame, shared = way
    assert fast.failed(frame, None, shared).tolist() == [True] * 7 + [False] * 3
    assert np.flatnonzero(fast.failed(frame, "cost", shared)).tolist() == [1, 5]  # not P09: in flight
    assert np.flatnonzero(fast.failed(frame, NOT_RECORDED, shared)).tolist() == [2, 6]
    assert not fast.failed(frame, "no such cause", shared).any()
    # nine decided (P09 in flight): 7 cancelled, 2 for cost, none for a cause nobody has
    assert fast.overall_rate(frame, None, shared) == 7 / 9
    assert fast.overall_rate(frame, "cost", shared) == 2 / 9
    assert fast.overall_rate(frame, "no such cause", shared) == 0


# By unit: Finance P01 P04 cancelled, P08 in production; HR P02 P06 cancelled, P10 decided; (blank): P03 (no
# unit) and P05 (written "(blank)"), both cancelled; IT: P07 cancelled, P09 in flight (not decided).
# 95% Wilson score intervals of k of n, from the formula (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
# with z = 1.959964 (it gives R's binom::binom.wilson(3, 4) that test_causes.py quotes, 0.3006418 0.9544127)
WILSON = {(2, 3): (0.2076596, 0.9385081), (1, 1): (0.2065493, 1.0), (2, 2): (0.3423802, 1.0), (0, 3): (0.0, 0.5614970),
          (0, 2): (0.0, 0.6576198), (0, 1): (0.0, 0.7934507)}


def test_failure_rates(way):
    frame, shared = way
    rates = fast.failure_rates(frame, "business_unit", None, shared)  # most decided first, then by name
    assert rates.columns.tolist() == ["segment", "pilots", "cancelled", "decided", "rate", "ci_low", "ci_high"]
    assert rows(rates, ["segment", "pilots", "cancelled", "decided"]) == [
        ("Finance", 3, 2, 3), ("HR", 3, 2, 3), ("(blank)", 2, 2, 2), ("IT", 2, 1, 1)]
    assert rates["rate"].tolist() == pytest.approx([2 / 3, 2 / 3, 1, 1])
    for (_, k, n), low, high in zip(rows(rates, ["segment", "cancelled", "decided"]), rates["ci_low"], rates["ci_high"]):
        assert (low, high) == pytest.approx(WILSON[(k, n)], abs=1e-6)
    cost = fast.failure_rates(frame, "business_unit", "cost", shared)  # only HR's two cost cancellations fail
    assert rows(cost, ["segment", "cancelled", "decided"]) == [("Finance", 0, 3), ("HR", 2, 3), ("(blank)", 0, 2),
                                                               ("IT", 0, 1)]
    assert cost["rate"].tolist() == pytest.approx([0, 2 / 3, 0, 0])
    for (_, k, n), low, high in zip(rows(cost, ["segment", "cancelled", "decided"]), cost["ci_low"], cost["ci_high"]):
        assert (low, high) == pytest.approx(WILSON[(k, n)], abs=1e-6)
    assert fast.failure_rates(frame, "business_unit", "no such cause", shared)["cancelled"].tolist() == [0, 0, 0, 0]


DECIDED_IDS = {"Finance": ["P01", "P04", "P08"], "HR": ["P02", "P06", "P10"], "(blank)": ["P03", "P05"], "IT": ["P07"]}


@pytest.mark.parametrize("cause, order", [
    (None, ["(blank)", "IT", "Finance", "HR"]),  # 100%, 100%, 67%, 67%: ties by name
    ("cost", ["HR", "(blank)", "Finance", "IT"]),  # HR 2 of 3, the others 0
])
def test_segment_rates_ranked(way, cause, order):
    frame, shared = way
    rates = fast.segment_rates(frame, "business_unit", 1, cause, shared)
    assert rates["segment"].tolist() == order and rates["ranked"].all()
    assert [list(ids) for ids in rates["pilot_ids"]] == [DECIDED_IDS[s] for s in order]  # the decided pilots


@pytest.mark.parametrize("min_n, ranked, shown", [(3, ["Finance", "HR"], ["(blank)", "IT"]),
                                                   (5, [], ["Finance", "HR", "(blank)", "IT"])])
def test_segment_rates_with_small_segments(way, min_n, ranked, shown):
    # Finance and HR have 3 decided pilots, (blank) 2, IT 1: below min_n a segment is shown, not ranked, after
    # the ranked ones, the larger first, ties by name (they once came out smallest first: IT, (blank), ...)
    frame, shared = way
    rates = fast.segment_rates(frame, "business_unit", min_n, None, shared)
    assert rates["segment"].tolist() == ranked + shown
    assert rates["ranked"].tolist() == [True] * len(ranked) + [False] * (4 - len(ranked))
    assert [list(ids) for ids in rates["pilot_ids"]] == [DECIDED_IDS[s] for s in rates["segment"]]


NOTHING = {
    "no pilots": lambda f: f.iloc[:0],
    "no cancelled pilots": lambda f: f.assign(cancelled=False),
    "no start dates": lambda f: f.assign(start_date=pd.NaT),
    "no spend": lambda f: f.assign(spend=np.nan),
    "no spend column": lambda f: f.drop(columns="spend"),
    "no causes": lambda f: f.assign(failure_cause=pd.array([None] * len(f), dtype="str")),
}


@pytest.mark.parametrize("shared", [False, True], ids=["alone", "shared"])
@pytest.mark.parametrize("name", NOTHING)
def test_selections_with_nothing_to_count(name, shared):
    frame = NOTHING[name](known_frame())
    c = fast.cancellations(frame) if shared else None
    cancelled = int(frame["cancelled"].sum())
    counts = fast.cause_counts(frame, c)
    assert counts.columns.tolist() == ["cause", "count", "share", "cumulative_share", "pilot_ids"]
    expected_counts = {"no pilots": [], "no cancelled pilots": [], "no causes": [(NOT_RECORDED, 7)]}
    assert rows(counts, ["cause", "count"]) == expected_counts.get(name, [("cost", 2), (DQ, 2), (NOT_RECORDED, 2),
                                                                          (OTHER, 1)])
    assert fast.cause_stage_counts(frame, STAGES, c)["count"].sum() == (0 if cancelled == 0 else 6)
    mix = fast.cause_mix_by_cohort(frame, cancelled=c)
    assert mix.columns.tolist() == ["cohort", "cause", "count", "cohort_cancelled", "share", "pilot_ids"]
    assert mix["count"].sum() == (0 if name in ("no pilots", "no cancelled pilots", "no start dates") else 6)
    spend = fast.spend_by_cause(frame, c)
    assert spend.columns.tolist() == ["cause", "pilots", "with_spend", "spend", "share", "pilot_ids"]
    assert spend["spend"].sum() == (0 if name in ("no pilots", "no cancelled pilots", "no spend", "no spend column")
                                    else 375)
    rates = fast.segment_rates(frame, "business_unit", 1, None, c)
    assert rates["cancelled"].sum() == cancelled and rates["decided"].sum() == int(frame["decided"].sum())
    assert fast.overall_rate(frame, None, c) == (None if name == "no pilots" else cancelled / 9)


def random_classified(seed: int, n: int) -> pd.DataFrame:
    """A classified-like frame with every awkward value the analyses meet (for tests that need many pilots)."""
    rng = np.random.default_rng(seed)
    causes = np.array(["data_quality", "unclear_value", "cost", "other (Steerco said no)", "not recorded",
                       "skills", "security", "vendor", None], dtype=object)
    stages = np.array([*STAGES, "unknown", None], dtype=object)
    units = np.array(["Finance", "HR", "IT", "Ops", "(blank)", None], dtype=object)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    cancelled = rng.random(n) < 0.5
    frame = pd.DataFrame({
        "pilot_id": [f"P{i:05d}" for i in range(n)],
        "failure_cause": pd.array(causes[rng.integers(0, len(causes), n)], dtype="str"),
        "stage": pd.array(stages[rng.integers(0, len(stages), n)], dtype="str"),
        "start_date": pd.Series(start).where(rng.random(n) > 0.1),
        "spend": pd.Series(rng.integers(0, 10**6, n).astype("float64")).where(rng.random(n) > 0.3),
        "business_unit": pd.array(units[rng.integers(0, len(units), n)], dtype="str"),
        "cancelled": cancelled,
        "decided": cancelled | (rng.random(n) < 0.3),
    })
    return frame


def test_quarter_codes_name_quarters_as_periods_do():
    start = pd.Series(pd.to_datetime(["1969-12-31", "1970-01-01", "2024-03-31T23:59", "2024-04-01", "1900-07-15",
                                      "2099-11-30"], format="ISO8601"))
    codes, names = fast.quarter_codes(start)
    assert names[codes].tolist() == ["1969 Q4", "1970 Q1", "2024 Q1", "2024 Q2", "1900 Q3", "2099 Q4"]

