"""`python -m analysis changes OLD NEW`: what changed between two exports of a portfolio, as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.cli.summary import Analysed, analyse_file
from analysis.ingest.mapping import Mapping
from analysis.metrics.changes import Changes, Upload, compare, repeated_ids, summary_json


def upload_of(analysed: Analysed, label: str) -> Upload:
    """One side of a comparison from a file analysed as an upload is (its repeated IDs from its rejected rows)."""
    d = analysed.derived
    return Upload(analysed.classified, d.stages, repeated_ids(d.rejected), label)


def changes_of_files(earlier: Analysed, later: Analysed, earlier_name: str, later_name: str) -> Changes:
    """The comparison of two analysed files."""
    return compare(upload_of(earlier, earlier_name), upload_of(later, later_name))


def analysed_path(path: Path, mapping: Mapping | None, as_of, stall_days: int) -> Analysed:
    """A file read, mapped, validated and classified (its own as-of date unless one is given)."""
    return analyse_file(path.read_bytes(), path.name, mapping, as_of, stall_days)


def run_changes(args: argparse.Namespace) -> str:
    """The changes JSON text for the parsed arguments."""
    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    earlier = analysed_path(args.old, mapping, args.earlier_as_of, args.stall_days)
    later = analysed_path(args.new, mapping, args.as_of, args.stall_days)
    found = summary_json(changes_of_files(earlier, later, args.old.name, args.new.name))
    head = {"earlier": {"file": args.old.name, "as_of": _day(earlier.as_of)},
            "later": {"file": args.new.name, "as_of": _day(later.as_of)}, "stall_days": args.stall_days}
    return json.dumps({**head, **found}, indent=2, default=str) + "\n"


def _day(day) -> str | None:
    return day.isoformat() if day else None
