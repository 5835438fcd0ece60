"""Command line: `python -m analysis summary FILE [--mapping M.json] [--as-of DATE] [--stall-days N]`.

A file that cannot be read exits with code 2 and one plain line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from analysis.ingest import IngestError
from analysis.mapping import Mapping
from analysis.outcomes import STALL_DAYS
from analysis.summary import analyse_file, summary


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(prog="python -m analysis", description="Pilot Outcomes from the command line.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="print the summary JSON of a portfolio export")
    s.add_argument("file", type=Path)
    s.add_argument("--mapping", type=Path, help="mapping JSON file (columns, values, stages)")
    s.add_argument("--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: latest date in the file)")
    s.add_argument("--stall-days", type=int, default=STALL_DAYS)
    return p


def run_summary(args: argparse.Namespace) -> dict:
    """The summary for the parsed arguments."""
    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    analysed = analyse_file(args.file.read_bytes(), args.file.name, mapping, args.as_of, args.stall_days)
    return summary(analysed)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        result = run_summary(args)
    except (OSError, IngestError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"error: {args.file}: {message}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
