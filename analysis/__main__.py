"""Command line: `python -m analysis summary FILE [--mapping M.json] [--as-of DATE] [--stall-days N] [--fresh]`
and `python -m analysis report FILE -o report.html [the same options] [--breakdown DIMENSION] [--earlier OLD]`
and `python -m analysis changes OLD NEW [--mapping M.json] [--as-of DATE] [--earlier-as-of DATE] [--stall-days N]`
and `python -m analysis rates FILE [...]` and `python -m analysis forecast FILE [--mapping M.json] [--as-of DATE]
[--stall-days N]`.

A file that cannot be read exits with code 2 and one plain line on stderr. The summary of a file already
summarised under the same options, code and day is printed from the cache of analysis/cli/summary_cache.py;
pandas and the analyses are imported only when something has to be computed, and pandas only for a file
analysis/cli/summary_fast.py does not read (it reads a clean CSV export with Arrow and numpy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from analysis.cli import summary_cache
from analysis.schema import STALL_DAYS


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(prog="python -m analysis", description="Pilot Outcomes from the command line.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="print the summary JSON of a portfolio export")
    r = sub.add_parser("report", help="write a self-contained HTML report of a portfolio export")
    t = sub.add_parser("rates", help="print the portfolio's production rate beside the published figures, as JSON")
    f = sub.add_parser("forecast", help="print what the pilots in flight are expected to do, as JSON")
    for command in (s, r, t, f):
        command.add_argument("file", type=Path)
        command.add_argument("--mapping", type=Path, help="mapping JSON file (columns, values, stages)")
        command.add_argument("--as-of", type=dt.date.fromisoformat,
                             help="YYYY-MM-DD (default: latest date in the file)")
        command.add_argument("--stall-days", type=int, default=STALL_DAYS)
    s.add_argument("--fresh", action="store_true",
                   help="compute the summary even if the same file was summarised before")
    r.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    r.add_argument("--breakdown", default="business_unit",
                   help="dimension the funnel is broken down by (default: business_unit)")
    r.add_argument("--earlier", type=Path, help="an earlier export of the same portfolio: adds a What changed section")
    c = sub.add_parser("changes", help="print what changed between two exports of a portfolio, as JSON")
    c.add_argument("old", type=Path, help="the earlier export")
    c.add_argument("new", type=Path, help="the later export")
    c.add_argument("--mapping", type=Path, help="mapping JSON file for both exports")
    c.add_argument("--as-of", type=dt.date.fromisoformat, help="the later export's as-of date (default: its latest date)")
    c.add_argument("--earlier-as-of", type=dt.date.fromisoformat,
                   help="the earlier export's as-of date (default: its latest date)")
    c.add_argument("--stall-days", type=int, default=STALL_DAYS)
    return p


def analysed_file(args: argparse.Namespace, data: bytes | None = None, mapping_text: str | None = None):
    """The file of the arguments, read, mapped, validated and classified (an analysis.summary.Analysed)."""
    from analysis.cli.summary import analyse_file
    from analysis.ingest.mapping import Mapping

    if mapping_text is None and args.mapping:
        mapping_text = args.mapping.read_text(encoding="utf-8")
    mapping = Mapping.from_json(mapping_text) if mapping_text is not None else None
    data = args.file.read_bytes() if data is None else data
    return analyse_file(data, args.file.name, mapping, args.as_of, args.stall_days)


def run_summary(args: argparse.Namespace) -> str:
    """The summary JSON text for the parsed arguments: kept from an earlier run, or computed and kept."""
    data = args.file.read_bytes()
    mapping_text = args.mapping.read_text(encoding="utf-8") if args.mapping else None
    options = {"mapping": mapping_text, "as_of": args.as_of, "stall_days": args.stall_days}
    if args.fresh:  # the key only files the answer away: hashed meanwhile (sha256 of 17 MB: 10 ms, without the GIL)
        key, text = _meanwhile(summary_cache.key, data, options), None
    else:
        known = summary_cache.key(data, options)
        key, text = lambda: known, summary_cache.get(known)
    if text is None:
        # A clean export with the guessed mapping is summarised without pandas (its import alone takes longer
        # than pandas takes to read 100k rows); any other file by the pandas path. Both print the same JSON.
        found = None if mapping_text is not None else _summary_without_pandas(data, args)
        if found is None:
            from analysis.cli.summary import summary

            found = summary(analysed_file(args, data, mapping_text))
        text = json.dumps(found, indent=2, default=str) + "\n"
        summary_cache.put(key(), text)
    return text


def _meanwhile(work: Callable[..., str], *args) -> Callable[[], str]:
    """Start `work(*args)` in a thread of its own; the function returned waits for its answer (or raises what it
    raised)."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = work(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the thread that asks for the answer
            out["error"] = exc

    thread = threading.Thread(target=run)  # not a daemon: an error ending the command waits for it
    thread.start()

    def answer() -> str:
        thread.join()
        if "error" in out:
            raise out["error"]
        return out["value"]

    return answer


def _summary_without_pandas(data: bytes, args: argparse.Namespace) -> dict | None:
    """analysis/summary_fast's summary of the file, or None for the pandas path: when it declines the file, and
    when it fails (it only ever saves time: tests/test_summary_fast.py holds it to the pandas path's answers,
    and a file it trips on is still summarised)."""
    from analysis.cli.summary_fast import summary_of

    try:
        return summary_of(data, args.as_of, args.stall_days)
    except Exception:  # noqa: BLE001 - any failure of the shortcut leaves the file to the reference path
        return None


def run_report(args: argparse.Namespace) -> str:
    """Write the HTML report for the parsed arguments; returns a line saying where it went."""
    # plotly and the figures are imported only when a report is asked for: the summary starts faster
    from analysis.cli.report import context_of_file, report_html

    analysed = analysed_file(args)
    context = context_of_file(analysed, args.file.name, args.breakdown)
    if args.earlier:
        context = _with_earlier(context, analysed, args)
    text = report_html(context)
    args.output.write_text(text, encoding="utf-8")
    return f"wrote {args.output} ({len(text.encode()):,} bytes; {context.classified.shape[0]:,} pilots)"


def _with_earlier(context, analysed, args: argparse.Namespace):
    """The report context with the comparison to the earlier export (its own as-of date, same stall days)."""
    import dataclasses

    from analysis.cli.changes import analysed_path, changes_of_files
    from analysis.ingest.mapping import Mapping

    mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    earlier = analysed_path(args.earlier, mapping, None, args.stall_days)
    return dataclasses.replace(context, changes=changes_of_files(earlier, analysed, args.earlier.name, args.file.name))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        if args.command == "summary":
            sys.stdout.write(run_summary(args))
        elif args.command == "changes":
            from analysis.cli.changes import run_changes

            sys.stdout.write(run_changes(args))
        elif args.command == "forecast":
            from analysis.cli.forecast import run_forecast

            sys.stdout.write(run_forecast(args))
        elif args.command == "rates":
            from analysis.cli.rates import run_rates

            sys.stdout.write(run_rates(args))
        else:
            print(run_report(args), file=sys.stderr)
    except (OSError, ValueError) as exc:  # an unreadable file raises analysis.ingest.IngestError, a ValueError
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = getattr(exc, "filename", None) or getattr(args, "file", None) or args.new  # the output file, when writing it failed
        print(f"error: {where}: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
