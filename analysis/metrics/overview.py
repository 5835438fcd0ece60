"""The Overview's numbers (KPI tiles) and the one sentence that says them plainly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.cohorts import event_times, production_medians


def read_columns(stages: list[str]) -> list[str]:
    """Every column the Overview's numbers read: kpis (with cohorts.event_times), the funnel and the
    causes (causes.CANCELLED_COLUMNS). A column left out would read as missing (event_times takes an
    absent date column for all NaT), so tests/test_views_fast.py pins the numbers to the whole frame's."""
    return ["pilot_id", "start_date", "end_date", f"{stages[-1]}_date", "last_progress", "reached_production",
            "cancelled", "in_flight", "stalled", "decided", "stage_index", "spend", "failure_cause", "stage",
            "sourcing"]


@dataclass(frozen=True)
class Kpis:
    """The tiles of the Overview. Rates are raw fractions (NaN when undefined)."""

    pilots: int
    reached_production: int
    cancelled: int
    in_flight: int
    stalled: int
    in_flight_dated: int  # in flight with a date of last progress: the only ones the stall rule can judge
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
                stalled=_count(classified["stalled"]), in_flight_dated=_in_flight_dated(classified),
                decided=_count(classified["decided"]),
                unknown_stage=int(np.count_nonzero(classified["stage_index"].to_numpy() < 0)),
                median_months_to_production=median,
                median_months_when_reached=when_reached,
                spend_on_cancelled=None if spend is None else float(spend))


def _in_flight_dated(classified: pd.DataFrame) -> int:
    """In-flight pilots with a date of last progress (stage entry or last update)."""
    if "last_progress" not in classified:
        return 0
    dated = classified["last_progress"].notna().to_numpy(dtype=bool)
    return int(np.count_nonzero(dated & classified["in_flight"].to_numpy(dtype=bool)))


@dataclass(frozen=True)
class Tile:
    """One KPI tile as the Overview shows it: label, value, the line under it (None: none), help text."""

    label: str
    value: str
    detail: str | None = None
    help: str | None = None


def _months(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def tiles(k: Kpis, money: Callable[[float], str]) -> list[Tile]:
    """The six tiles, each saying only what its population supports: a share of decided pilots only when
    some pilot is recorded as cancelled (else it would be 100% and say nothing), a stall count only when
    in-flight pilots have dates of progress, a median only when some pilot reached production with dates."""
    reached = (f"{k.decided_rate:.0%} of decided" if k.cancelled else f"{k.production_rate:.0%} of all")
    if k.in_flight and not k.in_flight_dated:
        stalled = Tile("Stalled", "—", "needs dates of progress",
                       f"None of the {k.in_flight:,} in-flight pilots has a stage entry or last update date.")
    else:
        undated = k.in_flight - k.in_flight_dated
        stalled = Tile("Stalled", f"{k.stalled:,}", f"of {k.in_flight:,} in flight",
                       f"{undated:,} in-flight pilots have no date of progress and cannot be judged." if undated
                       else None)
    half = "not reached" if k.median_months_to_production is None else f"{k.median_months_to_production:.1f} months"
    return [
        Tile("Pilots", f"{k.pilots:,}"),
        Tile("Reached production", f"{k.reached_production:,}", reached),
        Tile("Cancelled", f"{k.cancelled:,}", f"{k.cancelled / k.pilots:.0%} of all" if k.pilots else None),
        stalled,
        Tile("Median months to production", _months(k.median_months_when_reached),
             "of the pilots that made it" if k.median_months_when_reached is not None else "needs start and production dates",
             "Median months from start to production among the pilots that reached it. Half of all pilots "
             f"(counting those still in flight until now, cancellation competing): {half}."),
        Tile("Spend on cancelled pilots", "—" if k.spend_on_cancelled is None else money(k.spend_on_cancelled),
             "sunk in pilots that stopped" if k.spend_on_cancelled else None,
             "Sum of the spend column over cancelled pilots, in the export's currency."),
    ]


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
