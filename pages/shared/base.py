"""The view every page describes (`View`) and the constants of its URL, and markdown-safe text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.store import datasets as store
from analysis.store.queries import Filters
from analysis.store.snapshots import Snapshot, ViewState

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_portfolio.csv"
FILTER_KEYS = {"business_unit": "bu", "use_case": "uc", "sourcing": "src", "sponsor": "sponsor"}
LIVE_KEYS = [*FILTER_KEYS.values(), "from", "to", "asof", "stall", "by"]  # the URL-bound sidebar widgets
SNAPSHOT_PARAM = "snapshot"
COMPARE_KEY = "_compare"  # what the page on screen compares the view with, frozen with a snapshot taken on it
PUBLIC_URL_ENV = "PILOTS_PUBLIC_URL"  # the app's public address when it runs behind a proxy
NOT_AVAILABLE = "This snapshot link is not available."  # the one answer to unknown, expired and revoked links
DEFAULT_BREAKDOWN = "business_unit"
STALL_MIN, STALL_MAX = 7, 3650  # a week to ten years without progress
STALL_PATTERN = re.compile(r"\d{1,4}")  # what a stall threshold in the URL may look like
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~$:&])")  # characters that start markup anywhere
_LINE_START = re.compile(r"^(?:(\d+)([.)])|([-+=]))")  # what starts a list or a heading only at the start


@dataclass(frozen=True)
class View:
    """The dataset and settings every page renders: chosen in the sidebar, kept in the URL."""

    dataset_id: str
    info: store.DatasetInfo
    filters: Filters
    as_of: dt.date | None
    stall_days: int
    breakdown: str | None = None  # dimension the breakdowns use
    snapshot: Snapshot | None = None  # set when the view is a frozen snapshot

    @property
    def state(self) -> ViewState:
        """Filters and settings, as a snapshot keeps them."""
        return ViewState(self.filters, self.as_of, self.stall_days, self.breakdown)


def plain(text: object) -> str:
    """Text from an upload, a URL or a user, made inert for Streamlit markdown: on one line, with every
    character that could start a link, an image, emphasis, HTML or a directive backslash-escaped."""
    line = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", line)
