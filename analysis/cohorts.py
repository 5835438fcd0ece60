"""Are we getting better? Time from start to production, with cancellation as a competing event
and in-flight pilots censored at the as-of date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.stats import cumulative_incidence, curve_value_at, median_time

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
SUMMARY_MONTHS = [6, 12, 24]
EVENT_CODES = {"production": 1, "cancelled": 2, "censored": 0}


def event_times(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None) -> pd.DataFrame:
    """Months from start to production (production date), to cancellation (end date, else last
    progress), or to the as-of date for pilots still in flight (censored).

    Columns: pilot_id, months, event (1 production, 2 cancelled, 0 censored). Pilots without a start
    date, or whose event has no date, are left out.
    """
    if as_of is None or "start_date" not in classified:
        return pd.DataFrame({"pilot_id": [], "months": [], "event": []})
    prod_col = f"{stages[-1]}_date"
    production = classified[prod_col] if prod_col in classified else pd.Series(pd.NaT, index=classified.index)
    production = production.fillna(classified["end_date"].where(classified["reached_production"]))
    cancelled = classified["end_date"].fillna(classified["last_progress"])
    end = pd.Series(pd.Timestamp(as_of), index=classified.index, dtype="datetime64[us]")
    end = end.mask(classified["reached_production"], production).mask(classified["cancelled"], cancelled)
    event = np.select([classified["reached_production"], classified["cancelled"]], [1, 2], 0)
    months = (end - classified["start_date"]).dt.days / DAYS_PER_MONTH
    frame = pd.DataFrame({"pilot_id": classified["pilot_id"], "months": months, "event": event})
    return frame[frame["months"].notna() & (frame["months"] >= 0)].reset_index(drop=True)


def incidence_curves(times: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence of production and of cancellation (competing events)."""
    return {kind: cumulative_incidence(times["months"], times["event"], code)
            for kind, code in (("production", 1), ("cancelled", 2))}


def time_to_production(times: pd.DataFrame) -> dict:
    """The summary's time_to_production block: incidence at 6, 12, 24 months and the median."""
    if times.empty:
        return {"at_months": SUMMARY_MONTHS, "production": [None] * 3, "cancelled": [None] * 3,
                "median_months": None}
    curves = incidence_curves(times)
    at = {k: [None if np.isnan(v) else float(v) for v in curve_value_at(c, SUMMARY_MONTHS, "cif")]
          for k, c in curves.items()}
    return {"at_months": SUMMARY_MONTHS, "production": at["production"], "cancelled": at["cancelled"],
            "median_months": median_time(curves["production"], "cif")}
