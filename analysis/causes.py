"""Why pilots fail: cause counts among cancelled pilots and failure rates by segment."""

from __future__ import annotations

import pandas as pd

from analysis.stats import wilson_interval

NOT_RECORDED = "not recorded"  # a cancelled pilot whose export gives no cause


def cause_counts(classified: pd.DataFrame) -> pd.DataFrame:
    """Causes of the cancelled pilots, commonest first. Columns: cause, count, share (of cancelled)."""
    cancelled = classified[classified["cancelled"]]
    causes = cancelled["failure_cause"].fillna(NOT_RECORDED).astype("str")
    counts = causes.value_counts().rename_axis("cause").reset_index(name="count")
    counts = counts.sort_values(["count", "cause"], ascending=[False, True], ignore_index=True)
    counts["share"] = counts["count"] / max(len(cancelled), 1)
    return counts


def failure_rates(classified: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Cancelled / decided per segment, with 95% Wilson intervals; in-flight pilots are censored.

    Columns: segment, pilots, cancelled, decided, rate (NaN when nothing is decided), ci_low, ci_high.
    """
    segments = classified[dimension].fillna("(blank)").astype("str")
    grouped = classified.groupby(segments).agg(pilots=("pilot_id", "size"), cancelled=("cancelled", "sum"),
                                               decided=("decided", "sum"))
    grouped = grouped.rename_axis("segment").reset_index()
    grouped[["cancelled", "decided"]] = grouped[["cancelled", "decided"]].astype("int64")
    low, high = wilson_interval(grouped["cancelled"].to_numpy(), grouped["decided"].to_numpy())
    grouped["rate"] = grouped["cancelled"] / grouped["decided"].where(grouped["decided"] > 0)
    grouped["ci_low"], grouped["ci_high"] = low, high
    return grouped.sort_values(["decided", "segment"], ascending=[False, True], ignore_index=True)
