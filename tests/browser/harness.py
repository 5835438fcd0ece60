"""The browser-test harness: the app on a free loopback port, Debian's Chromium, and waits that know when
Streamlit has finished running the script.

Streamlit marks its root element with `data-test-script-state` (`initial`, `running`, `notRunning`);
an interaction is finished when that attribute has gone through `running` and back, and every chart
the run placed on the page has drawn its SVG.
"""

from __future__ import annotations

import ast
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
APP = ROOT / "app.py"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("PILOTS_CHROMIUM", "/usr/bin/chromium"))  # Debian's, installed by `make chromium`
# Headless on a machine without a display, GPU or network: no sandbox (CI runs as root), no calls home.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
START_TIMEOUT_S = 60  # a cold start imports pandas, plotly and DuckDB: seconds, not a minute
UNSEEN_RUN_MS = 10_000  # the server starts a run at once on a click; after this long, it was too fast to see
RUN_TIMEOUT_MS = 60_000  # one script run on the sample or the federal file takes well under a second
MIN_SCREENSHOT_HEIGHT = 900

SCRIPT_STATE = '[data-testid="stApp"]'
# Counts finished runs: a mutation whose old value is `running` is the end of a run.
WATCH_RUNS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__runsDone = 0;
  if (window.__runWatch) window.__runWatch.disconnect();
  window.__runWatch = new MutationObserver(records => {
    for (const r of records) if (r.oldValue === 'running') window.__runsDone += 1;
  });
  window.__runWatch.observe(app, {attributes: true, attributeOldValue: true,
                                  attributeFilter: ['data-test-script-state']});
}"""
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  if (!app || !main || app.dataset.testScriptState !== 'notRunning') return false;
  if (!main.innerText.trim()) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(c => c.querySelector('.main-svg'));
}"""


@dataclass(frozen=True)
class AppPage:
    """A page of the app as the navigation lists it."""

    file: str
    title: str
    url: str  # path under the app's base URL: "/" for the default page

    @property
    def slug(self) -> str:
        """A file-name-safe name for screenshots and test ids."""
        return Path(self.file).stem


def app_pages(app: Path = APP) -> list[AppPage]:
    """Every `st.Page(...)` in app.py, in navigation order, with the URL Streamlit serves it at."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            file = ast.literal_eval(node.args[0])
            url = "/" if kw.get("default") else "/" + kw.get("url_path", Path(file).stem)
            pages.append(AppPage(file, kw.get("title", Path(file).stem), url))
    return pages


def free_port() -> int:
    """A free loopback port: the first free one in $PILOTS_TEST_PORTS (`8700-8799`), else any."""
    span = os.environ.get("PILOTS_TEST_PORTS")
    lo, hi = map(int, span.split("-")) if span else (0, 0)
    candidates = range(lo, hi + 1)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in PILOTS_TEST_PORTS={span}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def running_app(data_dir: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port with its own store (and `env` added to its
    environment); yields the base URL and stops the server afterwards, also when the block fails."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    env = {**os.environ, "PILOTS_DATA_DIR": str(data_dir), **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proc, url, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if _healthy(url):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer {url}/_stcore/health within {START_TIMEOUT_S} s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


def settle(page) -> None:
    """Wait until the script has finished and the page shows its content, then fail on an exception."""
    page.wait_for_function(IDLE, timeout=RUN_TIMEOUT_MS)
    assert_no_exception(page)


def open_page(page, url: str) -> None:
    """Load a URL of the app and wait for its first run to finish."""
    page.goto(url)
    page.wait_for_selector(SCRIPT_STATE, timeout=RUN_TIMEOUT_MS)
    settle(page)


def rerun(page, action: Callable[[], object], until: str | None = None) -> None:
    """Do something that reruns the script (a click, a choice, an upload) and wait for the rerun to
    finish, and for the JavaScript condition `until` when given (for actions that rerun twice)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(WATCH_RUNS)
    action()
    try:
        page.wait_for_function("() => window.__runsDone >= 1", timeout=UNSEEN_RUN_MS)
    except PlaywrightTimeout:
        # A run of a few milliseconds (a page with nothing to draw, its data cached) can start and finish
        # within one React render, so the attribute never shows `running`: then the app must be idle
        # now, and what the test checks next tells whether the run happened.
        page.wait_for_function(IDLE, timeout=RUN_TIMEOUT_MS)
    if until:
        page.wait_for_function(until, timeout=RUN_TIMEOUT_MS)
    settle(page)


def assert_no_exception(page) -> None:
    """Fail with the text of any exception Streamlit shows on the page."""
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise AssertionError("the page shows an exception:\n" + "\n---\n".join(errors.all_inner_texts()))


def metrics(page) -> dict[str, str]:
    """The metric tiles on the page: label -> value as shown."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')]
      .map(m => [m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
                 m.querySelector('[data-testid="stMetricValue"]').innerText.trim()]))""")


def chart_titles(page) -> list[str]:
    """The titles of the plotly charts on the page, top to bottom."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
      .map(c => (c.querySelector('.gtitle') || {}).textContent || '')""")


def bar_labels(page, chart: int = 0) -> list[str]:
    """The text drawn on the bars of the chart-th plotly chart (e.g. `567 (94% of all)`)."""
    return page.evaluate("""i => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')[i]
      .querySelectorAll('text.bartext')].map(t => t.textContent)""", chart)


def screenshot(page, name: str) -> Path:
    """The whole page (Streamlit scrolls inside its main block, so the viewport is grown to fit it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(id =>
      (document.querySelector(`[data-testid="${id}"]`) || {scrollHeight: 0}).scrollHeight))""")
    viewport = page.viewport_size or VIEWPORT  # the width the test chose (1280, 1920), else the default
    page.set_viewport_size({"width": viewport["width"], "height": max(MIN_SCREENSHOT_HEIGHT, int(height))})
    page.wait_for_timeout(300)  # let charts that listen to resizes redraw
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
    return path
