"""`python -m analysis rates FILE`: the portfolio's production rate beside the published figures, as JSON."""

from __future__ import annotations

import argparse
import json

from analysis.cli.changes import analysed_path
from analysis.ingest.mapping import Mapping
from analysis.metrics.benchmarks import published_rates, rates_json


def run_rates(args: argparse.Namespace) -> str:
    """The comparison JSON text for the parsed arguments."""
    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    analysed = analysed_path(args.file, mapping, args.as_of, args.stall_days)
    found = rates_json(analysed.classified, published_rates())
    return json.dumps({"file": args.file.name, **found}, indent=2, default=float) + "\n"
