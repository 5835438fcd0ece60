"""The benchmark: synthetic portfolios of 10k, 100k and 1M pilots and an event log of 1.6M events,
each measurement in a fresh process (time, and peak memory from the kernel's accounting of the child).

    .venv/bin/python bench/benchmark.py                      # every size, 3 repeats, writes bench/results.json
    .venv/bin/python bench/benchmark.py --sizes 10000 --repeats 1

Measured per size (the fastest of the repeats; peak memory: the largest):
- ingest: the upload's bytes read, mapped, validated and stored (`store.ingest`), into an empty store;
- first visit: every page of the app once, in navigation order, with cold caches (workload.py);
- upload to every view: ingest + first visit, the time from choosing the file to every view computed;
- filter change: one page re-run after a business-unit filter changes (the slowest page counts);
- rerun: a page re-run with nothing changed (every widget interaction pays it);
- summary CLI: `python -m analysis summary FILE`, process start to exit, on its first run on the file and
  run again (printed from the summary kept by content hash), against a fresh process that reads the same
  file with pandas and groups it.
Generated files are kept in $PILOTS_BENCH_DIR (default /tmp/pilots-bench) and reused.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
logging.disable(logging.WARNING)  # Streamlit's caches, used outside a server, warn on every call
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

SIZES = [10_000, 100_000, 1_000_000]
EVENTS = 1_600_000  # the size of the largest public process-mining logs (BPI Challenge scale)
REPEATS = 3
LARGE, LARGE_REPEATS = 1_000_000, 3  # runs of the large sizes (fewer for a quick look): ~15 s a run at 1M
RESULTS = ROOT / "bench" / "results.json"
BUDGETS = {  # seconds, on a 2-core machine, server-side (issue 7)
    100_000: {"upload_to_views_s": 1.0, "filter_change_s": 0.1},
    1_000_000: {"upload_to_views_s": 3.0, "peak_mb": 1024},
    "events": {"upload_to_views_s": 5.0},
}
PANDAS_BASELINE = """
import sys
import pandas as pd
frame = pd.read_csv(sys.argv[1])
frame.groupby(["Stage", "Status"]).size()
"""


# ----- in the child process -------------------------------------------------------------------------------

def warm_up(pages: list[str]) -> None:
    """What a running server has done before the upload: imported everything, opened the store and
    shown the bundled sample (whose cache entries are its own, so the measured dataset starts cold)."""
    from workload import show

    from analysis.store import datasets as store
    from analysis.store.queries import Filters

    with store.connect() as con:
        sample = store.ingest(con, (ROOT / "data" / "sample_portfolio.csv").read_bytes(), "sample_portfolio.csv")
    for page in pages:
        show(page, sample, Filters())


def child_ingest(file: str, pages: list[str]) -> dict:
    """Read the upload's bytes and store the dataset in the store of $PILOTS_DATA_DIR."""
    from analysis.store import datasets as store

    warm_up(pages)
    start = time.perf_counter()
    data = Path(file).read_bytes()
    with store.connect() as con:
        ds = store.ingest(con, data, Path(file).name)
    return {"seconds": time.perf_counter() - start, "dataset": ds}


def child_views(ds: str, pages: list[str]) -> dict:
    """Every page once with cold caches; then each page after a filter change; then a plain rerun."""
    from workload import show

    from analysis.store.queries import Filters
    from pages import common

    warm_up(pages)
    first, start = {}, time.perf_counter()
    for page in pages:
        t = time.perf_counter()
        show(page, ds, Filters())
        first[page] = time.perf_counter() - t
    total = time.perf_counter() - start
    units = common.filter_options(ds).get("business_unit") or []
    change = {}
    for page, unit in zip(pages, units):  # all units but one, a different one per page: each change misses
        t = time.perf_counter()            # the cache and keeps most pilots (the slow case)
        show(page, ds, Filters({"business_unit": tuple(u for u in units if u != unit)}))
        change[page] = time.perf_counter() - t
    t = time.perf_counter()
    show(pages[0], ds, Filters())
    return {"first_visit_s": total, "first_visit_pages_s": first, "filter_change_pages_s": change,
            "rerun_s": time.perf_counter() - t}


def child_main(argv: list[str]) -> None:
    """`benchmark.py _child ingest|views FILE|DS PAGE...`: one JSON line out."""
    kind, target, *pages = argv
    result = child_ingest(target, pages) if kind == "ingest" else child_views(target, pages)
    print(json.dumps(result))


# ----- in the parent process ------------------------------------------------------------------------------

def run_child(cmd: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """Run a command in a fresh process: its stdout, wall seconds, and peak resident memory in MB."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                stderr=err)
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.read().decode(errors='replace')[-3000:]}")
    return out, wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def measure(kind: str, args: list[str], env: dict) -> tuple[dict, float]:
    """A child measurement: its JSON result and its peak memory in MB."""
    out, _, peak = run_child([sys.executable, __file__, "_child", kind, *args], env)
    return json.loads(out.strip().splitlines()[-1]), peak


def app_pages() -> list[str]:
    """The page files app.py lists, in navigation order."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    return [ast.literal_eval(n.args[0]) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "Page" and n.args]


def covered_pages() -> list[str]:
    """The app's pages the workload knows."""
    from workload import PAGE_WORK

    return [p for p in app_pages() if p in PAGE_WORK]


def bench_upload(file: Path, repeats: int, pages: list[str]) -> dict:
    """Ingest and views of one file, `repeats` times each in fresh processes and fresh stores."""
    runs = []
    for _ in range(repeats):
        folder = tempfile.mkdtemp(prefix="pilots-bench-store-")
        env = {"PILOTS_DATA_DIR": folder}
        ingest, ingest_peak = measure("ingest", [str(file), *pages], env)
        views, views_peak = measure("views", [ingest["dataset"], *pages], env)
        runs.append({"ingest_s": ingest["seconds"], "ingest_peak_mb": ingest_peak, **views,
                     "views_peak_mb": views_peak})
        subprocess.run(["rm", "-rf", folder], check=True)
    return summarise(runs)


def summarise(runs: list[dict]) -> dict:
    """The fastest time and the largest peak over the repeats, and every run."""
    best = {k: min(r[k] for r in runs) for k in ("ingest_s", "first_visit_s", "rerun_s")}
    best["upload_to_views_s"] = min(r["ingest_s"] + r["first_visit_s"] for r in runs)
    best["filter_change_s"] = min(max(r["filter_change_pages_s"].values(), default=float("nan")) for r in runs)
    best["peak_mb"] = max(max(r["ingest_peak_mb"], r["views_peak_mb"]) for r in runs)
    return {**best, "runs": runs}


def bench_summary(file: Path, repeats: int) -> dict:
    """The summary command against pandas reading and grouping the same file, in fresh processes: its first
    run on the file (an empty data directory, so nothing is kept from before) and a second run, which prints
    the summary kept by content hash (analysis/cli/summary_cache.py)."""
    first, again = [], []
    for _ in range(repeats):
        env = {"PILOTS_DATA_DIR": tempfile.mkdtemp(prefix="pilots-bench-cli-")}
        command = [sys.executable, "-m", "analysis", "summary", str(file)]
        first.append(run_child(command, env))
        again.append(run_child(command, env))
        subprocess.run(["rm", "-rf", env["PILOTS_DATA_DIR"]], check=True)
    base = [run_child([sys.executable, "-c", PANDAS_BASELINE, str(file)]) for _ in range(repeats)]
    return {"summary_s": min(w for _, w, _ in first), "summary_again_s": min(w for _, w, _ in again),
            "summary_peak_mb": max(p for _, _, p in first),
            "pandas_s": min(w for _, w, _ in base), "pandas_peak_mb": max(p for _, _, p in base)}


def machine() -> dict:
    """What the numbers were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor())
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    import duckdb
    import pandas

    return {"cpus": len(os.sched_getaffinity(0)), "cpu_model": model, "ram_gb": round(kib / 1024 ** 2, 1),
            "python": platform.python_version(), "pandas": pandas.__version__, "duckdb": duckdb.__version__,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def data_file(kind: str, size: int, folder: Path) -> Path:
    """The generated portfolio or event log of that size (made once, then reused), made in a process of its
    own: a child's peak memory, as Linux counts it, includes the pages of the process it was started from, so
    the measured children start from a parent that never held a million generated pilots (2.2 GB)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}_{size}.csv"
    if not path.exists():
        print(f"generating {path} …", flush=True)
        subprocess.run([sys.executable, __file__, "_generate", kind, str(size), str(path)], cwd=ROOT, check=True)
    return path


def generate(kind: str, size: str, path: str) -> None:
    """`benchmark.py _generate portfolio|events SIZE PATH`: write the generated file."""
    from portfolios import event_log_frame, portfolio_frame, write_csv

    write_csv(portfolio_frame(int(size)) if kind == "portfolio" else event_log_frame(int(size)), Path(path))


def run(sizes: list[int], events: int, repeats: int, large_repeats: int, folder: Path) -> dict:
    """Every measurement; the results as written to results.json."""
    pages = covered_pages()
    results = {"machine": machine(), "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "repeats": repeats, "pages": pages, "budgets": {str(k): v for k, v in BUDGETS.items()},
               "portfolios": {}, "events": None, "notes": []}
    if len(pages) < len(app_pages()):
        results["notes"].append("bench/workload.py has no work for " +
                                ", ".join(p for p in app_pages() if p not in pages) + "; add it to PAGE_WORK")
    for size in sizes:
        file = data_file("portfolio", size, folder)
        n = min(repeats, large_repeats) if size >= LARGE else repeats
        print(f"{size:,} pilots, {n} run(s) …", flush=True)
        results["portfolios"][str(size)] = {**bench_upload(file, n, pages), **bench_summary(file, n), "repeats": n}
    if events and importlib.util.find_spec("analysis.ingest.events") is None:
        results["notes"].append("analysis/ingest/events.py does not exist yet (issue 6): the event-log measurement "
                                "was skipped")
    elif events:
        print(f"{events:,}-event log …", flush=True)
        n = min(repeats, large_repeats)
        results["events"] = {"events": events, "repeats": n,
                             **bench_upload(data_file("events", events, folder), n, pages)}
    return results


def verdicts(results: dict) -> list[str]:
    """One line per budget: met or missed, with the measured value."""
    lines = []
    for size, budget in BUDGETS.items():
        row = results["events"] if size == "events" else results["portfolios"].get(str(size))
        if not row:
            continue
        for key, limit in budget.items():
            value = row[key]
            unit = "MB" if key.endswith("_mb") else "s"
            lines.append(f"{'met   ' if value <= limit else 'MISSED'} {size}: {key} {value:.3f} {unit} "
                         f"(budget {limit} {unit})")
    p100 = results["portfolios"].get("100000")
    if p100:
        for key, what in (("summary_s", "first run on the file"), ("summary_again_s", "the same file again")):
            if key in p100:
                ok = p100[key] <= p100["pandas_s"]
                lines.append(f"{'met   ' if ok else 'MISSED'} 100000: summary CLI, {what}: {p100[key]:.2f} s vs "
                             f"pandas read+group {p100['pandas_s']:.2f} s")
    return lines


def _seconds(value: float | None) -> str:
    """A time in the table; blank where nothing was measured (no summary of an event log)."""
    return "" if value is None else f"{value:.2f}"


def table(results: dict) -> str:
    """The results as a Markdown table (the README shows the latest)."""
    head = ("| data | ingest s | first visit, every page s | upload → every view s | filter change ms "
            "(slowest page) | rerun ms | peak MB | summary CLI s | again s | pandas read+group s |")
    lines = [head, "|" + "---|" * 10]
    rows = [(f"{int(k):,} pilots", v) for k, v in results["portfolios"].items()]
    if results["events"]:
        rows.append((f"{results['events']['events']:,} events", results["events"]))
    for name, r in rows:
        lines.append(f"| {name} | {r['ingest_s']:.2f} | {r['first_visit_s']:.2f} | {r['upload_to_views_s']:.2f} "
                     f"| {r['filter_change_s'] * 1000:.0f} | {r['rerun_s'] * 1000:.0f} | {r['peak_mb']:.0f} "
                     f"| {_seconds(r.get('summary_s'))} | {_seconds(r.get('summary_again_s'))} | {_seconds(r.get('pandas_s'))} |")
    m = results["machine"]
    lines.append(f"\n{m['cpus']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, Python {m['python']}, pandas "
                 f"{m['pandas']}, DuckDB {m['duckdb']}; load average at start {m['load_average_at_start']}; "
                 f"fastest of up to {results['repeats']} runs, each in a fresh process; {results['when']}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=SIZES)
    p.add_argument("--events", type=int, default=EVENTS, help="events in the event log (0: skip)")
    p.add_argument("--repeats", type=int, default=REPEATS)
    p.add_argument("--large-repeats", type=int, default=LARGE_REPEATS, help=f"runs of sizes from {LARGE:,}")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("PILOTS_BENCH_DIR", "/tmp/pilots-bench")))
    args = p.parse_args(argv)
    results = run(args.sizes, args.events, args.repeats, args.large_repeats, args.data_dir)
    print("\n" + table(results) + "\n")
    print("\n".join(verdicts(results) + [f"note: {n}" for n in results["notes"]]))
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_generate":
        generate(*sys.argv[2:])
    else:
        sys.exit(main())
