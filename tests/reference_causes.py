"""A frozen copy of analysis/metrics/causes.py's pandas-groupby code (before the analyses shared one coding of
the cancelled pilots per page run): tests/test_causes_fast.py pins the coded analyses to it. Never import
this from the app."""


from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.pilots import ids_by_group
from analysis.metrics.stats import SegmentTest, pairwise_fisher_holm, segment_difference, wilson_interval
from analysis.schema import UNKNOWN_STAGE

NOT_RECORDED = "not recorded"  # a cancelled pilot whose export gives no cause
BLANK_SEGMENT = "(blank)"  # a pilot with no value in the breakdown dimension
MIN_SEGMENT_N = 5  # below 5 decided pilots a rate's 95% interval spans most of 0-100%: shown, not ranked
TOP_CAUSES_IN_MIX = 6  # more causes than this in one stacked bar cannot be told apart by colour
OTHER_CAUSES = "all other causes"  # the causes beyond the top ones, grouped in the cohort mix


def _causes(cancelled: pd.DataFrame) -> pd.Series:
    """The cause of each cancelled pilot, NOT_RECORDED when the export gives none."""
    return cancelled["failure_cause"].fillna(NOT_RECORDED).astype("str")


def _ids(frame: pd.DataFrame, keys: pd.Series | list[pd.Series]) -> pd.Series:
    """The pilot ids of each group, as lists (in frame order), indexed by the group's key(s)."""
    grouped = frame.groupby(keys, sort=False)
    sizes = grouped.size()
    codes = grouped.ngroup().to_numpy()
    return pd.Series(ids_by_group(frame, codes, len(sizes)), index=sizes.index, dtype="object")


def cause_counts(classified: pd.DataFrame) -> pd.DataFrame:
    """Causes of the cancelled pilots, commonest first (ties by name), unmapped ones kept as
    `other (<text>)`. Columns: cause, count, share (of cancelled), cumulative_share, pilot_ids."""
    cancelled = classified.loc[classified["cancelled"], ["failure_cause", "pilot_id"]]  # only what is read
    causes = _causes(cancelled)
    counts = _ranked_causes(causes)
    counts["share"] = counts["count"] / max(len(cancelled), 1)
    counts["cumulative_share"] = counts["share"].cumsum()
    counts["pilot_ids"] = counts["cause"].map(_ids(cancelled, causes)).astype("object")
    return counts


def _ranked_causes(causes: pd.Series) -> pd.DataFrame:
    """The causes commonest first, ties by name (cause_counts' order, without its ids). Columns: cause,
    count."""
    counts = causes.value_counts().rename_axis("cause").reset_index(name="count")
    return counts.sort_values(["count", "cause"], ascending=[False, True], ignore_index=True)


def cause_stage_counts(classified: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """Which cause stops pilots at which stage: one row per (cause, stage) with at least one cancelled
    pilot; the stage is the one the pilot was in when cancelled (its furthest stage).

    Causes in cause_counts order, stages in the dataset's order (then `unknown`). Columns: cause, stage,
    count, row_share (of the cause's cancellations), column_share (of the stage's cancellations),
    pilot_ids.
    """
    cancelled = classified.loc[classified["cancelled"], ["failure_cause", "stage", "pilot_id"]]  # what is read
    keys = [_causes(cancelled).rename("cause"), cancelled["stage"].astype("str").rename("stage")]
    cells = cancelled.groupby(keys).size().rename("count").reset_index()
    cells["row_share"] = cells["count"] / cells.groupby("cause")["count"].transform("sum")
    cells["column_share"] = cells["count"] / cells.groupby("stage")["count"].transform("sum")
    ids = _ids(cancelled, keys)
    cells["pilot_ids"] = [ids[(c, s)] for c, s in zip(cells["cause"], cells["stage"])]
    cause_order = {c: i for i, c in enumerate(_ranked_causes(keys[0])["cause"])}
    stage_order = {s: i for i, s in enumerate([*stages, UNKNOWN_STAGE])}
    order = cells["cause"].map(cause_order) * len(stage_order) + cells["stage"].map(stage_order)
    return cells.loc[order.sort_values(kind="stable").index].reset_index(drop=True)


def start_quarter(start: pd.Series) -> pd.Series:
    """'2024 Q1' for each start date (missing for missing dates)."""
    codes, quarters = pd.factorize(start.dt.to_period("Q"))  # each distinct quarter named once
    names = np.array([f"{q.year} Q{q.quarter}" for q in quarters] + [None], dtype="object")  # -1: no date
    return pd.Series(names[codes], index=start.index, name=start.name).astype("str")


def cause_mix_by_cohort(classified: pd.DataFrame, top: int = TOP_CAUSES_IN_MIX) -> pd.DataFrame:
    """Causes of the cancelled pilots of each start-quarter cohort: the `top` commonest causes
    overall, the rest grouped as OTHER_CAUSES. Cancelled pilots without a start date are left out.

    Columns: cohort ('2024 Q1', in time order), cause, count, cohort_cancelled (the cohort's cancelled
    pilots), share (count / cohort_cancelled), pilot_ids.
    """
    cancelled = classified.loc[classified["cancelled"] & classified["start_date"].notna(),
                               ["failure_cause", "start_date", "pilot_id"]]
    columns = ["cohort", "cause", "count", "cohort_cancelled", "share", "pilot_ids"]
    if cancelled.empty:
        return pd.DataFrame(columns=columns)
    leading = _ranked_causes(_causes(cancelled))["cause"].head(top).tolist()
    causes = _causes(cancelled).where(lambda c: c.isin(leading), OTHER_CAUSES).rename("cause")
    keys = [start_quarter(cancelled["start_date"]).rename("cohort"), causes]
    mix = cancelled.groupby(keys).size().rename("count").reset_index()
    mix["cohort_cancelled"] = mix.groupby("cohort")["count"].transform("sum")
    mix["share"] = mix["count"] / mix["cohort_cancelled"]
    ids = _ids(cancelled, keys)
    mix["pilot_ids"] = [ids[(q, c)] for q, c in zip(mix["cohort"], mix["cause"])]
    rank = {c: i for i, c in enumerate([*leading, OTHER_CAUSES])}
    mix = mix.assign(_rank=mix["cause"].map(rank)).sort_values(["cohort", "_rank"], ignore_index=True)
    return mix[columns]


def spend_by_cause(classified: pd.DataFrame) -> pd.DataFrame:
    """Spend lost on cancelled pilots, by cause, largest first; empty when no cancelled pilot has a
    spend. Columns: cause, pilots (cancelled), with_spend (of them with a spend recorded), spend (sum of
    the recorded spends), share (of all spend lost), pilot_ids."""
    columns = ["cause", "pilots", "with_spend", "spend", "share", "pilot_ids"]
    if "spend" not in classified:
        return pd.DataFrame(columns=columns)
    cancelled = classified.loc[classified["cancelled"], ["failure_cause", "spend", "pilot_id"]]
    if cancelled["spend"].notna().sum() == 0:
        return pd.DataFrame(columns=columns)
    causes = _causes(cancelled).rename("cause")
    lost = cancelled.groupby(causes).agg(pilots=("pilot_id", "size"), with_spend=("spend", "count"),
                                         spend=("spend", "sum")).reset_index()
    lost["share"] = lost["spend"] / lost["spend"].sum()
    lost["pilot_ids"] = lost["cause"].map(_ids(cancelled, causes)).astype("object")
    return lost.sort_values(["spend", "cause"], ascending=[False, True], ignore_index=True)[columns]


def failed(classified: pd.DataFrame, cause: str | None = None) -> pd.Series:
    """Cancelled pilots; with `cause`, only those cancelled for that cause (a cause_counts cause)."""
    if cause is None:
        return classified["cancelled"]
    return classified["cancelled"] & _causes(classified).eq(cause)


def overall_rate(classified: pd.DataFrame, cause: str | None = None) -> float | None:
    """Failed / decided over all the pilots (the line the segment rates are read against); None when
    nothing is decided yet."""
    decided = int(classified["decided"].sum())
    return int(failed(classified, cause).sum()) / decided if decided else None


def failure_rates(classified: pd.DataFrame, dimension: str, cause: str | None = None) -> pd.DataFrame:
    """Cancelled / decided per segment, with 95% Wilson intervals; in-flight pilots are censored. With
    `cause`, only cancellations for that cause count as failures (the cause's share of decided pilots).

    Columns: segment, pilots, cancelled, decided, rate (NaN when nothing is decided), ci_low, ci_high.
    """
    segments = classified[dimension].fillna(BLANK_SEGMENT).astype("str")
    grouped = classified.assign(_failed=failed(classified, cause)).groupby(segments).agg(
        pilots=("pilot_id", "size"), cancelled=("_failed", "sum"), decided=("decided", "sum"))
    grouped = grouped.rename_axis("segment").reset_index()
    grouped[["cancelled", "decided"]] = grouped[["cancelled", "decided"]].astype("int64")
    low, high = wilson_interval(grouped["cancelled"].to_numpy(), grouped["decided"].to_numpy())
    grouped["rate"] = grouped["cancelled"] / grouped["decided"].where(grouped["decided"] > 0)
    grouped["ci_low"], grouped["ci_high"] = low, high
    return grouped.sort_values(["decided", "segment"], ascending=[False, True], ignore_index=True)


def segment_rates(classified: pd.DataFrame, dimension: str, min_n: int = MIN_SEGMENT_N,
                  cause: str | None = None) -> pd.DataFrame:
    """failure_rates (for one cause, if given) ranked: segments with at least `min_n` decided pilots
    first, highest rate first; then the smaller segments (shown, not ranked), largest first.

    Columns: those of failure_rates, then ranked (decided >= min_n), pilot_ids (the decided pilots).
    """
    rates = failure_rates(classified, dimension, cause)
    rates["ranked"] = rates["decided"] >= min_n
    decided = classified.loc[classified["decided"], [dimension, "pilot_id"]]
    ids = _ids(decided, decided[dimension].fillna(BLANK_SEGMENT).astype("str"))
    rates["pilot_ids"] = [ids.get(s, []) for s in rates["segment"]]
    rates["_order"] = rates["rate"].where(rates["ranked"], -1.0 - rates["decided"] / (1 + rates["decided"].max()))
    rates = rates.sort_values(["_order", "segment"], ascending=[False, True], ignore_index=True)
    return rates.drop(columns="_order")


def segment_test(rates: pd.DataFrame) -> SegmentTest:
    """Do the ranked segments' failure rates really differ? (stats.segment_difference on the segments
    of segment_rates with ranked True: Fisher, chi-square, or pairwise Fisher with Holm correction)."""
    ranked = rates[rates["ranked"]].rename(columns={"cancelled": "failures"})
    return segment_difference(ranked[["segment", "failures", "decided"]])


def segment_pairs(rates: pd.DataFrame) -> pd.DataFrame:
    """Which pairs of ranked segments differ: two-sided Fisher's exact test per pair, Holm-adjusted over
    all pairs. Columns: segment_a, segment_b, p_value, p_holm, significant (p_holm < 0.05)."""
    ranked = rates[rates["ranked"]].rename(columns={"cancelled": "failures"})
    return pairwise_fisher_holm(ranked[["segment", "failures", "decided"]])
