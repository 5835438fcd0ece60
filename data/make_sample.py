"""Make the bundled sample portfolio: 600 AI pilots as a tracker would export them.

Run from the repository root:

    python data/make_sample.py            # writes data/sample_portfolio.csv
    python data/make_sample.py OUT.csv    # writes OUT.csv instead

The output is deterministic: every draw comes from numpy ``default_rng(SEED)`` and no wall
clock is read, so every run writes the same bytes (UTF-8, comma-separated, ``\\n`` line ends).

What the data says, on purpose, so every view of the dashboard has a story:
- most pilots stop before production (about 45% cancelled, 25-30% reach production, the
  rest in flight); about 5% of those reaching production are later retired;
- bought tools reach production about twice as often (share of decided pilots) as builds;
- later start cohorts reach production more often and faster;
- data quality and unclear value are the commonest causes; data quality kills mostly at
  PoC, low adoption at Pilot, unclear value at Scoping/PoC; a few causes have odd spellings
  and a few cancelled pilots have none;
- about one in five in-flight pilots has had no progress for more than 90 days;
- one business unit (HR) has only 4 pilots, a small-n group for the statistics.
The as-of date is 2026-10-31: the latest date in the file, and no date is after it.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 20261031
AS_OF = date(2026, 10, 31)
FIRST_START, LAST_START = date(2023, 1, 1), date(2026, 9, 30)
STALL_DAYS = 90
STALLED_SHARE, RETIRED_SHARE = 0.20, 0.05
DEFAULT_OUT = Path(__file__).with_name("sample_portfolio.csv")

HEADER = ["Pilot ID", "Pilot Name", "Business Unit", "Use Case", "Sourcing", "Sponsor", "Start Date",
          "Stage", "Status", "Failure Cause", "End Date", "Last Update", "Budget", "Spend",
          "Intake Date", "Scoping Date", "PoC Date", "Pilot Date", "Production Date"]
STAGES = ["Intake", "Scoping", "PoC", "Pilot", "Production"]

# Business unit -> (number of pilots, sponsors). Sizes are unequal; HR is the small-n group.
UNITS: dict[str, tuple[int, list[str]]] = {
    "Operations": (160, ["Tom Becker", "Aiko Tanaka", "Lukas Weber"]),
    "Customer Service": (140, ["Sofia Martins", "James O'Connor"]),
    "Finance": (120, ["Priya Nair", "Daniel Kim"]),
    "IT": (110, ["Marcus Johnson", "Ravi Patel"]),
    "Marketing": (66, ["Elena Rossi", "Chloé Dubois"]),
    "HR": (4, ["Fatima Haddad"]),
}

# Use case -> (weight, log-odds shift of advancing, name subjects, name nouns).
USE_CASES: dict[str, tuple[float, float, list[str], list[str]]] = {
    "Document processing": (0.20, 0.0, ["Invoice", "Contract", "Claims", "Purchase order",
                                         "Onboarding form", "Expense receipt"],
                            ["triage assistant", "extraction", "intake automation", "classifier"]),
    "Customer support chatbot": (0.18, -0.1, ["Customer service", "Billing", "Order status", "Returns",
                                              "IT helpdesk", "Employee HR"],
                                 ["chatbot", "virtual agent", "assistant"]),
    "Knowledge search": (0.17, 0.15, ["Policy", "Product manual", "Intranet", "Sales playbook",
                                      "Engineering wiki"], ["search", "Q&A assistant", "knowledge bot"]),
    "Code assistant": (0.12, 0.3, ["Developer", "Test generation", "Legacy code", "SQL", "Code review"],
                       ["copilot", "assistant"]),
    "Forecasting": (0.12, -0.2, ["Demand", "Cash flow", "Headcount", "Inventory", "Sales pipeline",
                                 "Energy use"], ["forecasting model", "forecast", "planner"]),
    "Marketing content": (0.11, 0.1, ["Campaign copy", "Product description", "Social media", "Email",
                                      "SEO"], ["generator", "assistant", "content studio"]),
    "Fraud detection": (0.10, -0.25, ["Payment", "Expense", "Claims", "Account takeover", "Vendor"],
                        ["fraud detection", "anomaly detector", "risk scoring"]),
}

# Sourcing -> (weight, log-odds shift of advancing at each stage gate).
SOURCING: dict[str, tuple[float, float]] = {"Build": (0.45, -0.45), "Buy": (0.35, 0.45),
                                            "Partner": (0.20, 0.0)}

# Per stage left: base log-odds of advancing, median days in the stage, spread (lognormal sigma).
ADVANCE_LOGIT = [3.0, 2.0, 0.35, 0.65]
STAGE_DAYS = [(35, 0.5), (70, 0.6), (160, 0.6), (200, 0.6)]
LINGER_DAYS = (130, 0.7)  # a pilot heading for cancellation lingers before the decision
YEAR_LOGIT, YEAR_SPEEDUP = 0.25, 0.13
CUM_SPEND = [0.02, 0.08, 0.30, 0.65, 0.92]  # share of budget spent by entry to each stage

# Cause family -> tracker spellings (first is the commonest); stage -> family weights.
CAUSE_TEXTS: dict[str, list[str]] = {
    "data": ["Data quality issues", "Poor data availability", "Data not available"],
    "value": ["Unclear business value", "No clear ROI", "Value not proven"],
    "integration": ["Integration with legacy systems", "Integration issues"],
    "infrastructure": ["Infrastructure / MLOps", "MLOps"],
    "model": ["Model accuracy too low", "Hallucinations"],
    "cost": ["Too expensive", "Cost overrun"],
    "skills": ["Lack of skills", "Skills gap"],
    "governance": ["Compliance / privacy concerns", "Security concerns"],
    "sponsorship": ["Lost executive sponsor", "Sponsor left"],
    "adoption": ["Low user adoption", "Change management"],
    "vendor": ["Vendor issues", "Vendor went out of business"],
    "reprioritised": ["Deprioritised", "Superseded"],
}
CAUSE_BY_STAGE: list[dict[str, float]] = [
    {"value": 40, "reprioritised": 25, "cost": 10, "governance": 10, "data": 10, "sponsorship": 5},
    {"value": 36, "data": 20, "governance": 10, "reprioritised": 9, "cost": 8, "skills": 7,
     "sponsorship": 5, "vendor": 5},
    {"data": 36, "value": 20, "model": 14, "infrastructure": 8, "integration": 8, "skills": 6, "cost": 4,
     "vendor": 3, "governance": 3},
    {"adoption": 26, "integration": 16, "value": 10, "cost": 10, "data": 7, "governance": 8,
     "sponsorship": 8, "infrastructure": 7, "vendor": 5, "reprioritised": 3},
]
ODD_CAUSES = ["Reorg - team disbanded", "SteerCo: not now", "Champion moved to another role"]
N_EMPTY_CAUSES, N_EMPTY_SPONSORS, N_EXPORT_DAY_UPDATES = 5, 5, 6


@dataclass
class Pilot:
    """One pilot as the generator builds it; `outcome` is cancelled, production or in_flight."""

    unit: str
    use_case: str
    sourcing: str
    sponsor: str
    name: str
    stage_dates: list[date]
    outcome: str
    status: str = ""
    cause: str = ""
    end: date | None = None
    last_update: date | None = None
    budget: int = 0
    spend: int = 0


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One key of `weights`, drawn with probability proportional to its weight."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def start_dates(rng: np.random.Generator, n: int) -> list[date]:
    """`n` start dates spread evenly over FIRST_START..LAST_START, in ascending order."""
    span = (LAST_START - FIRST_START).days
    offsets = np.sort(rng.integers(0, span + 1, size=n))
    return [FIRST_START + timedelta(days=int(d)) for d in offsets]


def unit_labels(rng: np.random.Generator) -> list[str]:
    """One business unit per pilot, with exactly the sizes in UNITS, in a shuffled order."""
    labels = [unit for unit, (count, _) in UNITS.items() for _ in range(count)]
    return [labels[i] for i in rng.permutation(len(labels))]


def pilot_name(rng: np.random.Generator, use_case: str) -> str:
    """A plausible pilot name built from a use-case subject and noun, e.g. `Invoice triage assistant`."""
    _, _, subjects, nouns = USE_CASES[use_case]
    return f"{subjects[rng.integers(len(subjects))]} {nouns[rng.integers(len(nouns))]}"


def advance_probs(use_case: str, sourcing: str, year: int) -> list[float]:
    """Probability of passing each stage gate, by use case, sourcing and start year."""
    shift = USE_CASES[use_case][1] + SOURCING[sourcing][1] + YEAR_LOGIT * (year - 2023)
    return [float(1.0 / (1.0 + np.exp(-(base + shift)))) for base in ADVANCE_LOGIT]


def stage_days(rng: np.random.Generator, stage: int, speed: float) -> int:
    """Days spent in stage `stage` before the gate decision (at least a week)."""
    median, sigma = STAGE_DAYS[stage]
    return max(7, int(round(median * speed * rng.lognormal(0.0, sigma))))


def linger_days(rng: np.random.Generator) -> int:
    """Extra days a doomed pilot lingers in its stage before someone cancels it."""
    median, sigma = LINGER_DAYS
    return int(round(median * rng.lognormal(0.0, sigma)))


def walk_stages(rng: np.random.Generator, start: date,
                probs: list[float]) -> tuple[list[date], str, date | None]:
    """Walk the stage gates from intake: stage entry dates, outcome, and the cancellation date if any."""
    dates, speed = [start], 1.0 - YEAR_SPEEDUP * (start.year - 2023)
    for stage, p in enumerate(probs):
        advance = bool(rng.random() < p)
        days = stage_days(rng, stage, speed) + (0 if advance else linger_days(rng))
        event = dates[-1] + timedelta(days=days)
        if event > AS_OF:
            return dates, "in_flight", None
        if not advance:
            return dates, "cancelled", event
        dates.append(event)
    return dates, "production", None


def make_pilot(rng: np.random.Generator, start: date, unit: str) -> Pilot:
    """Draw one pilot's attributes and walk it through the stages."""
    use_case = pick(rng, {k: v[0] for k, v in USE_CASES.items()})
    sourcing = pick(rng, {k: v[0] for k, v in SOURCING.items()})
    sponsors = UNITS[unit][1]
    sponsor = sponsors[rng.integers(len(sponsors))]
    dates, outcome, end = walk_stages(rng, start, advance_probs(use_case, sourcing, start.year))
    status = {"cancelled": "Cancelled", "production": "In production"}.get(outcome, "Active")
    return Pilot(unit, use_case, sourcing, sponsor, pilot_name(rng, use_case), dates, outcome,
                 status=status, end=end)


def choose(rng: np.random.Generator, items: list[Pilot], k: int,
           weights: list[float] | None = None) -> list[Pilot]:
    """`k` distinct items drawn at random (optionally weighted), in their original order."""
    p = None if weights is None else np.array(weights, dtype=float) / sum(weights)
    idx = rng.choice(len(items), size=min(k, len(items)), replace=False, p=p)
    return [items[i] for i in sorted(idx)]


def retire(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Switch off about RETIRED_SHARE of production pilots, 3 to 15 months after go-live."""
    live = [p for p in pilots if p.outcome == "production"]
    eligible = [p for p in live if (AS_OF - p.stage_dates[-1]).days > 120]
    for p in choose(rng, eligible, round(RETIRED_SHARE * len(live))):
        days = int(rng.integers(91, 457))
        p.status, p.end = "Retired", min(AS_OF, p.stage_dates[-1] + timedelta(days=days))


def days_back(p: Pilot) -> int:
    """Days from the pilot's latest stage entry to the as-of date."""
    return (AS_OF - p.stage_dates[-1]).days


def stall(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Mark STALLED_SHARE of in-flight pilots stalled (no stage entry or update for > STALL_DAYS)."""
    flight = [p for p in pilots if p.outcome == "in_flight"]
    eligible = [p for p in flight if days_back(p) > STALL_DAYS + 1]
    for p in choose(rng, eligible, round(STALLED_SHARE * len(flight)), [days_back(p) for p in eligible]):
        latest = int(rng.integers(STALL_DAYS + 1, days_back(p) + 1))  # days without any update
        p.last_update = AS_OF - timedelta(days=latest)
        p.status = "On hold" if rng.random() < 0.6 else "Active"


def update_in_flight(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Recent last updates (within STALL_DAYS) for in-flight pilots that are not stalled."""
    fresh = [p for p in pilots if p.outcome == "in_flight" and p.last_update is None]
    for p in fresh:
        recent = AS_OF - timedelta(days=int(rng.integers(0, STALL_DAYS)))
        p.last_update = max(p.stage_dates[-1], recent)
        p.status = "On hold" if rng.random() < 0.1 else "Active"
    for p in choose(rng, fresh, N_EXPORT_DAY_UPDATES):
        p.last_update = AS_OF  # updated on the export day: the as-of date is the latest date


def update_decided(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Last updates for decided pilots: shortly after the end date, or recently when live."""
    for p in pilots:
        if p.end is not None:
            p.last_update = min(AS_OF, p.end + timedelta(days=int(rng.integers(0, 15))))
        elif p.outcome == "production":
            recent = AS_OF - timedelta(days=int(rng.integers(0, 180)))
            p.last_update = max(p.stage_dates[-1], recent)


def cause_text(rng: np.random.Generator, stage: int) -> str:
    """A failure cause in tracker spelling, drawn from the family mix of the stage it died in."""
    texts = CAUSE_TEXTS[pick(rng, CAUSE_BY_STAGE[stage])]
    return pick(rng, {t: 1.0 / (i + 1) for i, t in enumerate(texts)})


def assign_causes(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Causes for cancelled pilots; a few odd spellings no synonym list knows, a few left empty."""
    dead = [p for p in pilots if p.outcome == "cancelled"]
    for p in dead:
        p.cause = cause_text(rng, len(p.stage_dates) - 1)
    odd_and_empty = choose(rng, dead, len(ODD_CAUSES) + N_EMPTY_CAUSES)
    for i, p in enumerate(odd_and_empty):
        p.cause = ODD_CAUSES[i] if i < len(ODD_CAUSES) else ""


def spend_share(rng: np.random.Generator, p: Pilot) -> float:
    """Share of budget spent: by the furthest stage, and by time spent in it."""
    stage = len(p.stage_dates) - 1
    until = p.end or AS_OF
    in_stage = (until - p.stage_dates[-1]).days
    if stage == len(STAGES) - 1:
        share = CUM_SPEND[stage] + 0.08 * min(1.0, in_stage / 365)
    else:
        step = CUM_SPEND[stage + 1] - CUM_SPEND[stage]
        share = CUM_SPEND[stage] + step * min(1.0, in_stage / STAGE_DAYS[stage][0])
    return float(min(1.2, share * rng.lognormal(0.0, 0.2)))


def assign_money(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Budgets of 20,000 to 2,000,000 (log-normal, rounded to 5,000) and spend to date."""
    for p in pilots:
        budget = float(np.clip(rng.lognormal(np.log(220_000), 0.85), 20_000, 2_000_000))
        p.budget = int(round(budget / 5_000) * 5_000)
        p.spend = int(round(p.budget * spend_share(rng, p) / 100) * 100)


def blank_sponsors(rng: np.random.Generator, pilots: list[Pilot]) -> None:
    """Leave a handful of sponsor cells empty, as real trackers do."""
    for p in choose(rng, pilots, N_EMPTY_SPONSORS):
        p.sponsor = ""


def build_portfolio(seed: int = SEED) -> list[Pilot]:
    """The whole sample portfolio, in start-date order (so ids follow creation order)."""
    rng = np.random.default_rng(seed)
    units = unit_labels(rng)
    starts = start_dates(rng, len(units))
    pilots = [make_pilot(rng, start, unit) for start, unit in zip(starts, units, strict=True)]
    retire(rng, pilots)
    stall(rng, pilots)
    update_in_flight(rng, pilots)
    update_decided(rng, pilots)
    assign_causes(rng, pilots)
    assign_money(rng, pilots)
    blank_sponsors(rng, pilots)
    return pilots


def iso(d: date | None) -> str:
    """ISO date text, or empty for no date."""
    return "" if d is None else d.isoformat()


def to_row(number: int, p: Pilot) -> list[str]:
    """One CSV row for pilot number `number` (1-based)."""
    stage_cells = [iso(d) for d in p.stage_dates] + [""] * (len(STAGES) - len(p.stage_dates))
    return [f"AI-{number:04d}", p.name, p.unit, p.use_case, p.sourcing, p.sponsor, iso(p.stage_dates[0]),
            STAGES[len(p.stage_dates) - 1], p.status, p.cause, iso(p.end), iso(p.last_update),
            str(p.budget), str(p.spend), *stage_cells]


def render_csv(pilots: list[Pilot]) -> bytes:
    """The portfolio as UTF-8 CSV bytes with a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(to_row(i, p) for i, p in enumerate(pilots, start=1))
    return buf.getvalue().encode("utf-8")


def main(argv: list[str]) -> int:
    """Write the sample portfolio to argv[0], or to data/sample_portfolio.csv by default."""
    out = Path(argv[0]) if argv else DEFAULT_OUT
    out.write_bytes(render_csv(build_portfolio()))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
