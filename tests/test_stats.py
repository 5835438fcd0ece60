"""Known-answer tests for analysis.stats.

Every reference number comes from a published table, a named reference
implementation's documented output, or hand arithmetic shown in a comment:
never from analysis.metrics.stats itself.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from analysis.metrics.stats import (
    METHOD_CHI_SQUARE,
    METHOD_FISHER,
    METHOD_NONE,
    METHOD_PAIRWISE,
    PAIRWISE_COLUMNS,
    SegmentTest,
    cumulative_incidence,
    curve_value_at,
    describe_difference,
    format_p_value,
    holm_adjust,
    kaplan_meier,
    median_time,
    numbers_at_risk,
    pairwise_fisher_holm,
    segment_difference,
    wilson_interval,
)

KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "se", "ci_low", "ci_high"]
CIF_COLUMNS = [
    "time",
    "at_risk",
    "events",
    "competing",
    "censored",
    "cif",
    "se",
    "ci_low",
    "ci_high",
]


def segments(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment", "failures", "decided"])


# ---------------------------------------------------------------- Wilson


def test_wilson_three_of_four() -> None:
    # R: binom::binom.confint(3, 4, method = "wilson") -> 0.3006418 0.9544127
    lower, upper = wilson_interval(3, 4)
    assert float(lower) == pytest.approx(0.3006418, abs=5e-7)
    assert float(upper) == pytest.approx(0.9544127, abs=5e-7)


def test_wilson_newcombe_table_one() -> None:
    # Newcombe (1998) Stat Med 17:857-872, Table I, method 3 (score, no CC):
    # 81/263 -> 0.2553-0.3662, 15/148 -> 0.0624-0.1605, 1/29 -> 0.0061-0.1718
    lower, upper = wilson_interval([81, 15, 1], [263, 148, 29])
    np.testing.assert_allclose(lower, [0.2553, 0.0624, 0.0061], atol=5e-5)
    np.testing.assert_allclose(upper, [0.3662, 0.1605, 0.1718], atol=5e-5)


def test_wilson_zero_and_all_successes() -> None:
    # By hand: x = 0 gives upper = z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533,
    # and x = n mirrors it (lower = 1 - 0.277533 = 0.722467);
    # R binom.confint(0, 10, method="wilson") prints 0.0000000 0.2775328.
    lower, upper = wilson_interval([0, 10], [10, 10])
    assert lower[0] == 0.0 and upper[1] == 1.0
    assert upper[0] == pytest.approx(0.2775328, abs=5e-7)
    assert lower[1] == pytest.approx(0.7224672, abs=5e-7)


def test_wilson_n_zero_is_nan_and_vectorised() -> None:
    lower, upper = wilson_interval(np.array([0, 3]), np.array([0, 4]))
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert lower.shape == (2,) and lower[1] == pytest.approx(0.3006418, abs=5e-7)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


# ---------------------------------------------------------------- Holm


def test_holm_known_answer() -> None:
    # By hand, m = 4: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1
    # = 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06;
    # back in input order [0.01, 0.04, 0.03, 0.005] -> [0.03, 0.06, 0.06, 0.02].
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_holm_caps_at_one_and_handles_empty() -> None:
    # By hand: 0.6 * 2 = 1.2 -> capped at 1; 0.7 * 1 = 0.7 -> running max 1.
    np.testing.assert_array_equal(holm_adjust([0.6, 0.7]), [1.0, 1.0])
    assert holm_adjust([]).size == 0


# ---------------------------------------------------------------- segments


def test_fisher_tea_tasting() -> None:
    # Fisher's lady tasting tea (Fisher 1935; Agresti, Categorical Data Analysis,
    # 2nd ed., Sec. 3.5.2): table [[3, 1], [1, 3]]; P(3 right) = C(4,3)C(4,1)/C(8,4)
    # = 16/70, P(4) = 1/70: one-sided p = 17/70 = 0.2429, two-sided 34/70 = 0.4857.
    table = segments([("milk first", 3, 4), ("tea first", 1, 4)])
    result = segment_difference(table)
    assert result.method == METHOD_FISHER  # all expected counts are 2 < 5
    assert result.p_value == pytest.approx(34 / 70, abs=1e-10)
    assert result.statistic == pytest.approx(9.0)  # sample odds ratio (3*3)/(1*1)
    assert result.significant is False and result.segments_compared == 2
    assert result.pairwise is None
    one_sided = scipy_stats.fisher_exact([[3, 1], [1, 3]], alternative="greater").pvalue
    assert one_sided == pytest.approx(17 / 70, abs=1e-10)
    assert result.sentence == (
        "The difference between segments could be chance (Fisher's exact test, p = 0.49)."
    )


def test_chi_square_two_segments_no_yates() -> None:
    # By hand: [[20, 30], [35, 15]], expected 27.5 / 22.5 in every row;
    # X^2 = 2 * (7.5^2/27.5 + 7.5^2/22.5) = 2 * (2.04545 + 2.5) = 9.0909 (no Yates),
    # p = P(chi2_1 > 9.0909) = erfc(sqrt(9.0909 / 2)) = 0.002567.
    table = segments([("A", 20, 50), ("B", 35, 50)])
    result = segment_difference(table)
    assert result.method == METHOD_CHI_SQUARE
    assert result.statistic == pytest.approx(100 / 11, rel=1e-12)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(50 / 11)), rel=1e-9)
    assert result.significant is True
    assert result.sentence == (
        "The difference between segments is statistically significant (chi-square test, p = 0.0026)."
    )


def test_chi_square_three_segments() -> None:
    # By hand: failures 10, 20, 30 of 50 each; expected 20 failures / 30 others:
    # X^2 = (100 + 0 + 100)/20 + (100 + 0 + 100)/30 = 10 + 6.6667 = 16.6667, df = 2,
    # and for df = 2 the upper tail is exp(-x/2) = exp(-8.3333) = 2.404e-4.
    table = segments([("A", 10, 50), ("B", 20, 50), ("C", 30, 50)])
    result = segment_difference(table)
    assert result.method == METHOD_CHI_SQUARE
    assert result.statistic == pytest.approx(50 / 3, rel=1e-12)
    assert result.p_value == pytest.approx(math.exp(-25 / 3), rel=1e-9)
    assert result.segments_compared == 3 and result.pairwise is None
    assert describe_difference(result, "business units") == (
        "The difference between business units is statistically significant (chi-square test, p < 0.001)."
    )


def test_small_counts_many_segments_fall_back_to_pairwise_fisher() -> None:
    # By hand: A 0/8, B 8/8, C 4/8; expected failures 4 < 5 -> pairwise Fisher.
    # A-B [[0,8],[8,0]]: only the two extreme tables, p = 2 / C(16,8) = 2/12870.
    # A-C [[0,8],[4,4]]: P(A=0) = C(8,0)C(8,4)/C(16,4) = 70/1820; the table with
    #   A=4 is equally likely, p = 140/1820 = 0.076923; B-C likewise.
    # Holm (m=3): 3 * 2/12870 = 4.662e-4; 2 * 0.076923 = 0.153846; 1 * 0.076923
    #   -> running max 0.153846.
    table = segments([("A", 0, 8), ("B", 8, 8), ("C", 4, 8)])
    result = segment_difference(table)
    assert result.method == METHOD_PAIRWISE and result.statistic is None
    pairwise = result.pairwise
    assert list(pairwise.columns) == PAIRWISE_COLUMNS
    assert list(zip(pairwise.segment_a, pairwise.segment_b, strict=True)) == [
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
    ]
    np.testing.assert_allclose(pairwise.p_value, [2 / 12870, 140 / 1820, 140 / 1820])
    np.testing.assert_allclose(pairwise.p_holm, [6 / 12870, 280 / 1820, 280 / 1820])
    assert pairwise.significant.tolist() == [True, False, False]
    assert result.p_value == pytest.approx(6 / 12870)
    assert result.significant is True
    assert "smallest adjusted p < 0.001" in result.sentence


def test_pairwise_fisher_holm_direct_and_capped() -> None:
    # Tea-tasting pairs (see above): A-B and B-C have p = 34/70, A-C p = 1.
    # Holm (m=3): 3 * 0.4857 = 1.457 -> 1; then running max keeps 1 everywhere.
    table = segments([("A", 3, 4), ("B", 1, 4), ("C", 3, 4)])
    pairwise = pairwise_fisher_holm(table)
    np.testing.assert_allclose(pairwise.p_value, [34 / 70, 1.0, 34 / 70])
    np.testing.assert_array_equal(pairwise.p_holm, [1.0, 1.0, 1.0])


def test_segments_without_decisions_are_excluded() -> None:
    table = segments([("A", 3, 4), ("empty", 0, 0), ("B", 1, 4)])
    result = segment_difference(table)
    assert result.segments_compared == 2
    assert result.p_value == pytest.approx(34 / 70)


def test_fewer_than_two_segments_means_no_test() -> None:
    result = segment_difference(segments([("A", 3, 4), ("B", 0, 0)]))
    assert isinstance(result, SegmentTest)
    assert result.method == METHOD_NONE and result.p_value is None
    assert result.significant is False and result.segments_compared == 1
    assert "too few segments" in result.sentence
    assert pairwise_fisher_holm(segments([("A", 1, 2)])).columns.tolist() == PAIRWISE_COLUMNS


def test_segment_table_validation() -> None:
    with pytest.raises(ValueError):
        segment_difference(segments([("A", 5, 4), ("B", 1, 4)]))
    with pytest.raises(ValueError):
        segment_difference(pd.DataFrame({"segment": ["A"], "failures": [1]}))


def test_format_p_value() -> None:
    assert format_p_value(0.41) == "p = 0.41"
    assert format_p_value(0.003) == "p = 0.003"
    assert format_p_value(0.0004) == "p < 0.001"
    assert format_p_value(0.0496) == "p < 0.05"  # "0.05" would read as not significant


# ---------------------------------------------------------------- Kaplan-Meier

# Freireich et al. (1963) 6-MP arm (Gehan data), remission weeks, 0 = censored.
SIX_MP_TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# Control (placebo) arm: every patient relapsed.
CONTROL_TIMES = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_kaplan_meier_freireich_6mp() -> None:
    # Klein & Moeschberger, Survival Analysis (2nd ed., 2003), Table 4.1B:
    # S(t) and Greenwood SE for the 6-MP group.
    expected = {
        6: (0.857, 0.0764),
        7: (0.807, 0.0869),
        10: (0.753, 0.0963),
        13: (0.690, 0.1068),
        16: (0.627, 0.1141),
        22: (0.538, 0.1282),
        23: (0.448, 0.1346),
    }
    curve = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT)
    assert list(curve.columns) == KM_COLUMNS
    rows = curve.set_index("time").loc[list(expected)]
    np.testing.assert_allclose(rows.survival, [s for s, _ in expected.values()], atol=5e-4)
    np.testing.assert_allclose(rows.se, [se for _, se in expected.values()], atol=5e-5)
    assert rows.at_risk.tolist() == [21, 17, 15, 12, 11, 7, 6]


def test_kaplan_meier_loglog_interval() -> None:
    # R survival: survfit(Surv(time, cens) ~ treat, data = MASS::gehan,
    # conf.type = "log-log"), 6-MP arm, lower/upper 95% (Venables & Ripley, MASS,
    # 4th ed., Sec. 13.1). Hand check at t = 6: S = 18/21, log S = -0.154151,
    # sum d/(n(n-d)) = 3/(21*18) = 0.0079365, sqrt = 0.089087,
    # se(log-log) = 0.089087/0.154151 = 0.577923, exp(1.959964*0.577923) = 3.104184,
    # lower = S^3.104184 = 0.6197, upper = S^(1/3.104184) = 0.9516.
    curve = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT).set_index("time")
    times = [6, 7, 10, 13, 16, 22, 23]
    np.testing.assert_allclose(
        curve.loc[times, "ci_low"], [0.620, 0.563, 0.503, 0.432, 0.368, 0.268, 0.188], atol=5e-4
    )
    np.testing.assert_allclose(
        curve.loc[times, "ci_high"], [0.952, 0.923, 0.889, 0.849, 0.805, 0.747, 0.680], atol=5e-4
    )


def test_kaplan_meier_control_arm_matches_stata() -> None:
    # Stata `sts list, by(group)` on the Gehan data (G. Rodriguez, Princeton WWS 509,
    # "The Gehan Survival Data"; Stata's default band is log(-log)): control, t = 1:
    # S = 0.9048, SE 0.0641, lower 0.6700. Upper by hand: log S = -0.100083,
    # sqrt(2/(21*19)) = 0.070799, se = 0.707404, exp(1.959964*0.707404) = 4.001,
    # S^(1/4.001) = 0.9753.
    curve = kaplan_meier(CONTROL_TIMES, np.ones(21, dtype=bool)).set_index("time")
    row = curve.loc[1.0]
    assert row.survival == pytest.approx(0.9048, abs=5e-5)
    assert row.se == pytest.approx(0.0641, abs=5e-5)
    assert row.ci_low == pytest.approx(0.6700, abs=5e-5)
    assert row.ci_high == pytest.approx(0.9753, abs=5e-5)
    # All relapsed: the curve ends at 0, where SE and bounds are undefined (NaN).
    last = curve.iloc[-1]
    assert last.survival == 0.0 and np.isnan(last.se) and np.isnan(last.ci_low)


def test_kaplan_meier_origin_and_bounds() -> None:
    curve = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT)
    origin = curve.iloc[0]
    assert origin.time == 0 and origin.survival == 1.0 and origin.at_risk == 21
    assert origin.events == 0 and origin.censored == 0
    assert (curve.ci_low <= curve.survival).all() and (curve.survival <= curve.ci_high).all()
    assert curve.ci_low.between(0, 1).all() and curve.ci_high.between(0, 1).all()
    assert curve.censored.sum() == 12 and curve.events.sum() == 9


def test_kaplan_meier_ties_events_before_censoring() -> None:
    # By hand: times 1, 2, 2*, 3. At t = 2 the censored subject is still at risk,
    # so n = 3, d = 1: S(2) = (3/4)(2/3) = 1/2 (censoring first would give 3/8).
    curve = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1]).set_index("time")
    assert curve.loc[2.0, "at_risk"] == 3 and curve.loc[2.0, "censored"] == 1
    assert curve.loc[2.0, "survival"] == pytest.approx(0.5, abs=1e-15)
    assert curve.loc[3.0, "survival"] == pytest.approx(0.0, abs=1e-15)


def test_kaplan_meier_zero_durations_and_empty_input() -> None:
    curve = kaplan_meier([0, 0, 2], [1, 0, 1])
    assert curve.time.tolist() == [0.0, 0.0, 2.0]
    assert curve.survival.tolist()[:2] == [1.0, pytest.approx(2 / 3)]
    assert curve_value_at(curve, 0.0) == pytest.approx(2 / 3)  # last row at t = 0
    empty = kaplan_meier([], [])
    assert len(empty) == 1 and empty.survival.iloc[0] == 1.0 and empty.at_risk.iloc[0] == 0


def test_kaplan_meier_input_validation() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([1, -2], [1, 1])
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1])


# ---------------------------------------------------------------- competing risks

# Six pilots: (time, outcome) = 1:A, 2:B, 2:censored, 3:A, 4:B, 5:censored.
CR_TIMES = [1, 2, 2, 3, 4, 5]
CR_EVENTS = ["A", "B", 0, "A", "B", 0]


def test_cumulative_incidence_hand_example() -> None:
    # Aalen-Johansen by hand, S = KM of "any event", F_A(t) = sum S(t-) d_A / n:
    # t=1: n=6, A=1:   F_A = 1 * 1/6 = 1/6,            S = 5/6
    # t=2: n=5, B=1, c=1 (event first):  F_A = 1/6,   S = 5/6 * 4/5 = 2/3
    # t=3: n=3, A=1:   F_A = 1/6 + 2/3 * 1/3 = 7/18,  S = 2/3 * 2/3 = 4/9
    # t=4: n=2, B=1:   F_A = 7/18,                     S = 4/9 * 1/2 = 2/9
    # t=5: n=1, censored: F_A = 7/18.
    # F_B: t=2: 5/6 * 1/5 = 1/6; t=4: 1/6 + 4/9 * 1/2 = 7/18.  7/18 + 7/18 + 4/18 = 1.
    curve = cumulative_incidence(CR_TIMES, CR_EVENTS, "A")
    assert list(curve.columns) == CIF_COLUMNS
    np.testing.assert_allclose(curve.time, [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(curve.cif, [0, 1 / 6, 1 / 6, 7 / 18, 7 / 18, 7 / 18], atol=1e-15)
    assert curve.at_risk.tolist() == [6, 6, 5, 3, 2, 1]
    assert curve.events.tolist() == [0, 1, 0, 1, 0, 0]
    assert curve.competing.tolist() == [0, 0, 1, 0, 1, 0]
    assert curve.censored.tolist() == [0, 0, 1, 0, 0, 1]
    other = cumulative_incidence(CR_TIMES, CR_EVENTS, "B")
    np.testing.assert_allclose(other.cif, [0, 0, 1 / 6, 1 / 6, 7 / 18, 7 / 18], atol=1e-15)


def test_cumulative_incidence_variance_by_hand() -> None:
    # Delta-method variance (Pintilie 2006, eq. 4.4) for F_A, terms per time tj <= t:
    #   [F(t)-F(tj)]^2 d/(n(n-d)) + S(tj-)^2 dA(n-dA)/n^3 - 2[F(t)-F(tj)] S(tj-) dA/n^2
    # t = 1: 0 + 1 * 1*5/216 - 0 = 5/216  -> se = 0.152145 (= binomial sqrt(pq/6)).
    # t = 3: tj=1: (2/9)^2/30 + 5/216 - 2(2/9)(1/36) = 2/1215 + 5/216 - 1/81
    #        tj=2: (2/9)^2/20 = 1/405
    #        tj=3: 0 + (4/9)(1*2/27) - 0 = 8/243
    #        total (denominator 9720): (16 + 225 - 120 + 24 + 320)/9720 = 31/648.
    # Bounds at t = 1 (log(-log F)): |F log F| = (1/6) ln 6 = 0.298627,
    # w = exp(1.959964 * 0.152145 / 0.298627) = 2.714390,
    # lower = (1/6)^w = 0.007723, upper = (1/6)^(1/w) = 0.516802.
    curve = cumulative_incidence(CR_TIMES, CR_EVENTS, "A").set_index("time")
    assert curve.loc[1.0, "se"] == pytest.approx(math.sqrt(5 / 216), rel=1e-12)
    assert curve.loc[3.0, "se"] == pytest.approx(math.sqrt(31 / 648), rel=1e-12)
    assert curve.loc[5.0, "se"] == pytest.approx(math.sqrt(31 / 648), rel=1e-12)
    assert curve.loc[1.0, "ci_low"] == pytest.approx(0.007723, abs=5e-6)
    assert curve.loc[1.0, "ci_high"] == pytest.approx(0.516802, abs=5e-6)


def test_cumulative_incidence_origin_bounds_and_codes() -> None:
    curve = cumulative_incidence(CR_TIMES, CR_EVENTS, "A")
    origin = curve.iloc[0]
    assert origin.time == 0 and origin.cif == 0 and origin.se == 0 and origin.at_risk == 6
    assert (curve.ci_low <= curve.cif).all() and (curve.cif <= curve.ci_high).all()
    assert curve.ci_low.between(0, 1).all() and curve.ci_high.between(0, 1).all()
    # Integer codes and missing-as-censored give the same curve.
    numeric = cumulative_incidence(CR_TIMES, [1, 2, 0, 1, 2, 0], 1)
    as_none = cumulative_incidence(CR_TIMES, ["A", "B", None, "A", "B", None], "A", None)
    pd.testing.assert_frame_equal(numeric, curve)
    pd.testing.assert_frame_equal(as_none, curve)
    with pytest.raises(ValueError):
        cumulative_incidence(CR_TIMES, ["A", "B", None, "A", "B", None], "A")
    with pytest.raises(ValueError):
        cumulative_incidence(CR_TIMES, CR_EVENTS, 0)


# Integer durations on a short grid force ties, including events and censorings
# at the same time; 0 durations exercise the double row at time 0.
follow_up = st.lists(
    st.tuples(st.integers(0, 12), st.sampled_from([0, "production", "cancelled"])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(follow_up)
def test_cif_equals_one_minus_km_without_competing_events(pilots: list[tuple[int, object]]) -> None:
    # Property: with a single event type the Aalen-Johansen estimate is 1 - KM and the
    # delta-method variance reduces to Greenwood's (algebra: each term of the sum
    # collapses to S(t)^2 d/(n(n-d))).
    durations = np.array([t for t, _ in pilots], dtype=float)
    observed = np.array([e != 0 for _, e in pilots])
    km = kaplan_meier(durations, observed)
    cif = cumulative_incidence(durations, observed.astype(int), 1)
    np.testing.assert_array_equal(cif.time, km.time)
    np.testing.assert_array_equal(cif.at_risk, km.at_risk)
    np.testing.assert_allclose(cif.cif, 1 - km.survival, atol=1e-12)
    alive = km.survival.to_numpy() > 0
    np.testing.assert_allclose(cif.se[alive], km.se[alive], rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(follow_up)
def test_cifs_and_survival_add_up_to_one(pilots: list[tuple[int, object]]) -> None:
    # Property: every pilot is in exactly one state, so F_production + F_cancelled + S = 1.
    durations = [t for t, _ in pilots]
    events = [e for _, e in pilots]
    production = cumulative_incidence(durations, events, "production")
    cancelled = cumulative_incidence(durations, events, "cancelled")
    km = kaplan_meier(durations, [e != 0 for e in events])
    total = production.cif + cancelled.cif + km.survival
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert production.cif.is_monotonic_increasing
    assert (production.ci_low.fillna(0) <= production.cif + 1e-15).all()


# ---------------------------------------------------------------- curve helpers


def test_curve_value_at_steps_and_follow_up() -> None:
    curve = cumulative_incidence(CR_TIMES, CR_EVENTS, "A")
    values = curve_value_at(curve, [0, 0.5, 1, 2.9, 3, 5, 5.1, -1])
    # Right-continuous: at t = 1 and t = 3 the jump is included; past 5 (the last
    # follow-up) and before 0 the value is unknown.
    expected = [0, 0, 1 / 6, 1 / 6, 7 / 18, 7 / 18, np.nan, np.nan]
    np.testing.assert_allclose(values, expected, atol=1e-15)
    km = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT)
    assert curve_value_at(km, 8.5) == pytest.approx(0.807, abs=5e-4)  # default survival
    assert curve_value_at(km, 8.5, column="se") == pytest.approx(0.0869, abs=5e-5)
    assert np.isnan(curve_value_at(km, 36))


def test_median_time() -> None:
    # Klein & Moeschberger Table 4.1B: S(22) = 0.538, S(23) = 0.448 -> median 23 weeks.
    # Control arm by hand (no censoring, S = survivors/21): S(5) = 12/21 = 0.571,
    # S(8) = 8/21 = 0.381 -> median 8 weeks.
    assert median_time(kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT)) == 23.0
    assert median_time(kaplan_meier(CONTROL_TIMES, np.ones(21))) == 8.0
    # CIF_A peaks at 7/18 < 0.5: median not reached; level 1/3 is reached at t = 3.
    cif = cumulative_incidence(CR_TIMES, CR_EVENTS, "A")
    assert median_time(cif) is None
    assert median_time(cif, "cif", level=1 / 3) == 3.0
    # Exactly 0.5 counts as reached: 1, 2, 3, 4 all events -> S(2) = 1/2.
    assert median_time(kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]), "survival") == 2.0


def test_numbers_at_risk() -> None:
    # By hand: durations 1, 2, 2, 3, 5 -> at risk (duration >= t):
    # t=0: 5, t=2: 4, t=2.5: 2, t=5: 1, t=6: 0.
    at_risk = numbers_at_risk([1, 2, 2, 3, 5], [0, 2, 2.5, 5, 6])
    np.testing.assert_array_equal(at_risk, [5, 4, 2, 1, 0])
    km = kaplan_meier(SIX_MP_TIMES, SIX_MP_EVENT)
    np.testing.assert_array_equal(numbers_at_risk(SIX_MP_TIMES, km.time[1:]), km.at_risk[1:])
