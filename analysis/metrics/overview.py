"""The Overview's numbers (KPI tiles) and the one sentence that says them plainly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.cohorts import event_times, production_medians


def read_columns(stages: list[str]) -> list[str]:
    """Every column the Overview's numbers read: kpis (with cohorts.event_times), the funnel and the
    causes (causes.CANCELLED_COLUMNS). A column left out would read as missing (event_times takes an
    absent date column for all NaT), so tests/test_views_fast.py pins the numbers to the whole frame's."""
    return ["pilot_id", "start_date", "end_date", f"{stages[-1]}_date", "last_progress", "reached_production",
            "cancelled", "in_flight", "stalled", "decided", "stage_index", "spend", "failure_cause", "stage"]


@dataclass(frozen=True)
class Kpis:
    """The tiles of the Overview. Rates are raw fractions (NaN when undefined)."""

    pilots: int
    reached_production: int
    cancelled: int
    in_flight: int
    stalled: int
    decided: int
    unknown_stage: int
    median_months_to_production: float | None  # where cumulative incidence reaches one half, else None
    median_months_when_reached: float | None  # median start -> production of the pilots that made it
    spend_on_cancelled: float | None

    @property
    def production_rate(self) -> float:
        """Reached production / all pilots."""
        return self.reached_production / self.pilots if self.pilots else float("nan")

    @property
    def decided_rate(self) -> float:
        """Reached production / decided pilots (production + cancelled)."""
        return self.reached_production / self.decided if self.decided else float("nan")


def kpis(classified: pd.DataFrame, stages: list[str], as_of: dt.date | None,
         times: pd.DataFrame | None = None) -> Kpis:
    """The KPI tiles for a classified (filtered) set of pilots. `times`: event_times of the same pilots,
    when the caller has them (the Overview's cohort sentence reads them too)."""
    times = event_times(classified, stages, as_of) if times is None else times
    # both medians from one count of the distinct months (stats.cumulative_incidence sorted every pilot and
    # compared each event code as a Python object: 0.08 s at 1M pilots); tests pin them to the old ways
    median, when_reached = production_medians(times)
    cancelled = classified["cancelled"].to_numpy(dtype=bool)
    spend = classified["spend"][cancelled] if "spend" in classified else None
    spend = spend.sum(min_count=1) if spend is not None and spend.notna().any() else None
    return Kpis(pilots=len(classified), reached_production=_count(classified["reached_production"]),
                cancelled=int(np.count_nonzero(cancelled)), in_flight=_count(classified["in_flight"]),
                stalled=_count(classified["stalled"]), decided=_count(classified["decided"]),
                unknown_stage=int(np.count_nonzero(classified["stage_index"].to_numpy() < 0)),
                median_months_to_production=median,
                median_months_when_reached=when_reached,
                spend_on_cancelled=None if spend is None else float(spend))


def _count(flags: pd.Series) -> int:
    """How many are True (a boolean column counted without pandas' reduction machinery)."""
    return int(np.count_nonzero(flags.to_numpy(dtype=bool)))


def headline(k: Kpis, stall_days: int) -> str:
    """One plain sentence: how many reached production, of those decided, and how many are stuck."""
    if k.pilots == 0:
        return "No pilots match this selection."
    text = f"Of {k.pilots:,} pilots, {k.reached_production:,} ({k.production_rate:.0%}) reached production "
    if k.cancelled:
        text += f"and {k.cancelled:,} were cancelled, so {k.decided_rate:.0%} of the decided ones made it"
    else:  # without one cancellation recorded, a share "of the decided" would be 100% and say nothing
        text += "and none is recorded as cancelled (the export may not say which pilots were stopped)"
    text += f"; {k.in_flight:,} are still in flight"
    if k.stalled:
        text += f", of which {k.stalled:,} have made no progress for over {stall_days} days"
    return text + "."
