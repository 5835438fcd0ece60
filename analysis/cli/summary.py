"""The summary of DESIGN.md: one dict of plain numbers, used by the command line and the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analysis.ingest.mapping import Mapping
from analysis.ingest.reading import read_upload
from analysis.ingest.shapes import derive_upload
from analysis.ingest.validate import Derived
from analysis.metrics.causes import cause_counts, failure_rates
from analysis.metrics.cohorts import event_times, time_to_production
from analysis.metrics.funnel import stage_funnel
from analysis.metrics.outcomes import STALL_DAYS, classify, default_as_of, outcome_counts
from analysis.schema import DIMENSIONS


@dataclass
class Analysed:
    """A derived dataset classified under an as-of date and a stall threshold."""

    derived: Derived
    classified: pd.DataFrame
    as_of: dt.date | None
    stall_days: int


def analyse_file(data: bytes, filename: str, mapping: Mapping | None = None, as_of: dt.date | None = None,
                 stall_days: int = STALL_DAYS) -> Analysed:
    """Read, map, validate and classify one file."""
    raw = read_upload(data, filename)
    derived = derive_upload(raw, mapping, as_of=as_of)
    day = as_of or default_as_of(derived.pilots, derived.stages)
    return Analysed(derived, classify(derived.pilots, derived.stages, day, stall_days), day, stall_days)


def breakdown_dimensions(classified: pd.DataFrame, extras: dict[str, str]) -> list[str]:
    """Dimensions with at least one value in this dataset: canonical first, then extra columns."""
    return [d for d in DIMENSIONS + list(extras) if d in classified and classified[d].notna().any()]


def summary(analysed: Analysed) -> dict:
    """The summary JSON of DESIGN.md."""
    d, c = analysed.derived, analysed.classified
    rates = {dim: failure_rates(c, dim).drop(columns="pilots").to_dict("records")
             for dim in breakdown_dimensions(c, {}) }
    return {
        "rows": d.row_counts(),
        "shape": d.shape,
        "pilots": len(d.pilots),
        "stages": d.stages,
        "funnel": stage_funnel(c, d.stages)[["stage", "reached"]].to_dict("records"),
        "outcomes": outcome_counts(c),
        "failure_causes": cause_counts(c)[["cause", "count"]].to_dict("records"),
        "mapping": {k: v for k, v in d.mapping.columns.items() if v},
        "unmapped_values": d.unmapped,
        "problems": d.problems,
        "failure_rates": _json_safe(rates),
        "time_to_production": time_to_production(event_times(c, d.stages, analysed.as_of)),
        "as_of": analysed.as_of.isoformat() if analysed.as_of else None,
        "stall_days": analysed.stall_days,
        "notes": d.notes,
    }


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value
