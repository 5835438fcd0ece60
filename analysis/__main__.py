"""Command line: `python -m analysis summary FILE [--mapping M.json] [--as-of DATE] [--stall-days N]`
and `python -m analysis report FILE -o report.html [the same options] [--breakdown DIMENSION]`.

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
from analysis.summary import Analysed, analyse_file, summary


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(prog="python -m analysis", description="Pilot Outcomes from the command line.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="print the summary JSON of a portfolio export")
    r = sub.add_parser("report", help="write a self-contained HTML report of a portfolio export")
    for command in (s, r):
        command.add_argument("file", type=Path)
        command.add_argument("--mapping", type=Path, help="mapping JSON file (columns, values, stages)")
        command.add_argument("--as-of", type=dt.date.fromisoformat,
                             help="YYYY-MM-DD (default: latest date in the file)")
        command.add_argument("--stall-days", type=int, default=STALL_DAYS)
    r.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    r.add_argument("--breakdown", default="business_unit",
                   help="dimension the funnel is broken down by (default: business_unit)")
    return p


def analysed_file(args: argparse.Namespace) -> Analysed:
    """The file of the arguments, read, mapped, validated and classified."""
    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    return analyse_file(args.file.read_bytes(), args.file.name, mapping, args.as_of, args.stall_days)


def run_summary(args: argparse.Namespace) -> dict:
    """The summary for the parsed arguments."""
    return summary(analysed_file(args))


def run_report(args: argparse.Namespace) -> str:
    """Write the HTML report for the parsed arguments; returns a line saying where it went."""
    # plotly and the figures are imported only when a report is asked for: the summary starts faster
    from analysis.report import context_of_file, report_html

    context = context_of_file(analysed_file(args), args.file.name, args.breakdown)
    text = report_html(context)
    args.output.write_text(text, encoding="utf-8")
    return f"wrote {args.output} ({len(text.encode()):,} bytes; {context.classified.shape[0]:,} pilots)"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        result = run_summary(args) if args.command == "summary" else run_report(args)
    except (OSError, IngestError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = getattr(exc, "filename", None) or args.file  # the output file, when writing it failed
        print(f"error: {where}: {message}", file=sys.stderr)
        return 2
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 0
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
