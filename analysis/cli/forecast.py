"""`python -m analysis forecast FILE`: what the pilots in flight are expected to do, as JSON."""

from __future__ import annotations

import argparse
import json

from analysis.cli.changes import analysed_path
from analysis.ingest.mapping import Mapping
from analysis.metrics.forecast import forecast, forecast_json


def run_forecast(args: argparse.Namespace) -> str:
    """The forecast JSON text for the parsed arguments."""
    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    analysed = analysed_path(args.file, mapping, args.as_of, args.stall_days)
    found = forecast(analysed.classified, analysed.derived.stages, analysed.as_of)
    as_of = analysed.as_of.isoformat() if analysed.as_of else None
    return json.dumps({"file": args.file.name, "as_of": as_of, **forecast_json(found)}, indent=2) + "\n"
