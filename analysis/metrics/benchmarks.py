"""How the portfolio compares with the published rates: the portfolio's own production rate (of all pilots
and of decided ones, with 95% Wilson intervals), overall and by sourcing, beside the figures everyone quotes
(data/published_rates.json), each with its source, year and what it measures.

A published figure never appears without its source: `published_rates` refuses an entry that lacks one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.metrics.causes import LazyCodes, coded, lazy_ids
from analysis.metrics.kernels import wilson_interval

PUBLISHED = Path(__file__).resolve().parents[2] / "data" / "published_rates.json"
REQUIRED = ("id", "publisher", "title", "year", "figure", "shown_as", "measures", "population", "caveat")
ALL = "All pilots"
BOUGHT = ("buy", "partner")  # MIT NANDA's "purchased or partnered" side of its comparison
BUILT = ("build",)
# Below this many decided pilots on a side, the bought/built ratio is not stated: one pilot either way
# would swing it by more than the difference it is meant to show.
MIN_DECIDED_FOR_RATIO = 10

WHY_NOT_THE_SAME = (
    "These numbers are not the same measure as yours. Each study counts its own population (companies, "
    "proofs of concept, generative-AI pilots, a forecast), defines success its own way (deployed, "
    "measurable P&L value, not abandoned) and looks at one moment; your rate counts every pilot of this "
    "portfolio from intake, calls a pilot a success when it reached production, and leaves pilots still in "
    "flight undecided. Read them as the context a review will quote, not as a target or a league table.")


@dataclass(frozen=True)
class Published:
    """One published figure with its citation (see data/published_rates.json for each field)."""

    id: str
    publisher: str
    title: str
    year: int
    figure: float
    shown_as: str
    measures: str
    population: str
    caveat: str
    reach_production: float | None
    ratio: str | None
    source: str | None  # the publisher's own document, when it can be read openly
    reported_by: tuple[str, str] | None  # (name, url) of where the figure was read

    @property
    def citation(self) -> str:
        """'Publisher, Title (year)'."""
        return f"{self.publisher}, {self.title} ({self.year})"

    @property
    def link(self) -> str:
        """The address to follow for the figure: the source, else where it was reported."""
        return self.source or (self.reported_by[1] if self.reported_by else "")


def published_rates(path: Path = PUBLISHED) -> list[Published]:
    """The published figures, every one with its source, year and definition; a ValueError names the entry
    and the field that is missing, so a figure without its source cannot reach a page."""
    entries = json.loads(path.read_text(encoding="utf-8"))["figures"]
    return [_published(entry, i) for i, entry in enumerate(entries)]


def _published(entry: dict, position: int) -> Published:
    name = entry.get("id") or f"entry {position + 1}"
    missing = [f for f in REQUIRED if entry.get(f) in (None, "")]
    reported = entry.get("reported_by") or None
    if not entry.get("source") and not (reported and reported.get("name") and reported.get("url")):
        missing.append("source (or reported_by with a name and url)")
    if missing:
        raise ValueError(f"published rate {name!r} lacks {', '.join(missing)}: no figure is shown without them")
    return Published(entry["id"], entry["publisher"], entry["title"], int(entry["year"]), float(entry["figure"]),
                     entry["shown_as"], entry["measures"], entry["population"], entry["caveat"],
                     entry.get("reach_production"), entry.get("ratio"), entry.get("source") or None,
                     (reported["name"], reported["url"]) if reported else None)


def sourcing_codes(classified: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each pilot's sourcing as a code (-1: none recorded) into its names (causes.coded: a coded column's own
    codes, so 1M pilots are grouped by small integers, never by their text)."""
    if "sourcing" not in classified:
        return np.full(len(classified), -1), []
    codes, names = coded(classified["sourcing"])
    return codes, [str(n) for n in names]


def portfolio_rates(classified: pd.DataFrame) -> pd.DataFrame:
    """The portfolio's production rate, all pilots first, then each recorded sourcing value (commonest
    first). Columns: segment, pilots, reached, decided, rate_all (reached / pilots), all_low, all_high,
    rate_decided (reached / decided; NaN with none decided), decided_low, decided_high (95% Wilson
    intervals), pilot_ids (those that reached production, listed when first read)."""
    reached = classified["reached_production"].to_numpy(dtype=bool)
    decided = classified["decided"].to_numpy(dtype=bool)
    codes, names = sourcing_codes(classified)
    width = len(names) + 1  # the last group: no sourcing recorded
    group = np.where(codes < 0, len(names), codes)
    counts = [np.bincount(group, weights=w, minlength=width)[:width].astype(np.int64)
              for w in (None, reached, decided)]
    used = [g for g in np.argsort(-counts[0][:-1], kind="stable").tolist() if counts[0][g]]
    frame = pd.DataFrame({"segment": [ALL, *(names[g] for g in used)],
                          "pilots": [len(reached), *(int(counts[0][g]) for g in used)],
                          "reached": [int(reached.sum()), *(int(counts[1][g]) for g in used)],
                          "decided": [int(decided.sum()), *(int(counts[2][g]) for g in used)]})
    for kind, n in (("all", frame["pilots"]), ("decided", frame["decided"])):
        low, high = wilson_interval(frame["reached"].to_numpy(), n.to_numpy())
        frame[f"rate_{kind}"] = frame["reached"] / n.where(n > 0)
        frame[f"{kind}_low"], frame[f"{kind}_high"] = low, high
    # the ids behind each row: group 0 is every pilot, group 1 + i the i-th sourcing shown; -1 not reached
    renumber = np.full(width + 1, -1)
    renumber[used] = np.arange(1, len(used) + 1)
    by_row = LazyCodes(lambda: np.where(reached, renumber[group], -1))
    every = LazyCodes(lambda: np.where(reached, 0, -1))
    ids = classified["pilot_id"].array
    frame["pilot_ids"] = [lazy_ids(ids, every, [0])[0], *lazy_ids(ids, by_row, np.arange(1, len(used) + 1))]
    return frame


@dataclass(frozen=True)
class Ratio:
    """Bought or partnered against built: each side's reached / decided, and their ratio (None: too few)."""

    bought: float | None
    built: float | None
    bought_decided: int
    built_decided: int

    @property
    def ratio(self) -> float | None:
        enough = min(self.bought_decided, self.built_decided) >= MIN_DECIDED_FOR_RATIO
        return self.bought / self.built if enough and self.built else None

    @property
    def sentence(self) -> str:
        if self.ratio is not None:
            return (f"Here, bought or partnered pilots reached production {self.ratio:.1f} times as often as "
                    f"built ones, of those decided ({self.bought:.0%} of {self.bought_decided:,} against "
                    f"{self.built:.0%} of {self.built_decided:,}).")
        return (f"Too few decided pilots to compare bought or partnered with built ones ({self.bought_decided:,} "
                f"and {self.built_decided:,}; at least {MIN_DECIDED_FOR_RATIO} each are needed)"
                + (", or none of the built ones reached production." if self.built == 0 else "."))


def buy_build_ratio(classified: pd.DataFrame) -> Ratio:
    """The portfolio's own version of MIT NANDA's comparison, on decided pilots."""
    codes, names = sourcing_codes(classified)
    reached = classified["reached_production"].to_numpy(dtype=bool)
    decided = classified["decided"].to_numpy(dtype=bool)

    def side(values: tuple[str, ...]) -> tuple[float | None, int]:
        wanted = np.append(np.isin([n.lower() for n in names], values), False)  # -1 (none) wants nothing
        member = wanted[codes] & decided
        n = int(np.count_nonzero(member))
        return (float(np.count_nonzero(reached & member) / n) if n else None), n

    (bought, nb), (built, nu) = side(BOUGHT), side(BUILT)
    return Ratio(bought, built, nb, nu)


def comparison_sentence(rates: pd.DataFrame) -> str:
    """The portfolio's rates in one sentence, or what is missing to state them."""
    row = rates.iloc[0]
    if not row["pilots"]:
        return "No pilots in this selection, so there is no rate to compare."
    text = f"{row['rate_all']:.0%} of this portfolio's {row['pilots']:,} pilots reached production"
    if row["decided"] and row["decided"] > row["reached"]:
        text += f"; of the {row['decided']:,} decided ones, {row['rate_decided']:.0%}"
    else:  # no cancellation recorded: a share of decided would be 100% and say nothing
        text += "; none is recorded as cancelled, so no share of decided pilots is given"
    return text + "."


def rates_json(classified: pd.DataFrame, published: list[Published]) -> dict:
    """The comparison as the command line prints it: the portfolio's rates (without ids), the bought/built
    ratio, and every published figure with its citation."""
    rates = portfolio_rates(classified).drop(columns="pilot_ids")
    ratio = buy_build_ratio(classified)
    return {
        "portfolio": [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                      for row in rates.to_dict("records")],
        "sentence": comparison_sentence(portfolio_rates(classified)),
        "bought_over_built": {"bought": ratio.bought, "built": ratio.built, "bought_decided": ratio.bought_decided,
                              "built_decided": ratio.built_decided, "ratio": ratio.ratio, "sentence": ratio.sentence},
        "published": [{"id": p.id, "publisher": p.publisher, "title": p.title, "year": p.year, "figure": p.figure,
                       "says": p.shown_as, "measures": p.measures, "population": p.population,
                       "as_share_reaching_production": p.reach_production, "not_the_same_measure_because": p.caveat,
                       "source": p.source, "reported_by": p.reported_by and {"name": p.reported_by[0],
                                                                             "url": p.reported_by[1]}}
                      for p in published],
        "why_not_the_same": WHY_NOT_THE_SAME,
    }
