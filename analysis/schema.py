"""The canonical pilot record: fields, stages, statuses, causes and the synonyms that map onto them.

Matching is case- and punctuation-insensitive: `normalise("Proof-of-Concept")` == "proof of concept".
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

DEFAULT_STAGES = ["intake", "scoping", "poc", "pilot", "production"]
STATUSES = ["active", "on_hold", "cancelled", "production", "retired"]
STALL_DAYS = 90  # an in-flight pilot stalls after a quarter without progress (outcomes.py)
CAUSES = [
    "data_quality", "unclear_value", "integration", "infrastructure", "model_performance", "cost",
    "skills", "governance", "sponsorship", "adoption", "vendor", "reprioritised", "other",
]
UNKNOWN_STAGE = "unknown"  # a row with no usable stage: kept, left out of the funnel, counted

DATE_FIELDS = ["start_date", "end_date", "last_update"]
NUMBER_FIELDS = ["budget", "spend"]
TEXT_FIELDS = ["pilot_id", "name", "business_unit", "use_case", "sourcing", "sponsor"]
CODED_FIELDS = ["stage", "status", "failure_cause"]
FIELDS = TEXT_FIELDS + ["start_date", "stage", "status", "failure_cause", "end_date", "last_update"] \
    + NUMBER_FIELDS
DIMENSIONS = ["business_unit", "use_case", "sourcing", "sponsor"]
BLANK = "(blank)"  # how a missing dimension value is shown and filtered

FIELD_LABELS = {
    "pilot_id": "Pilot ID", "name": "Name", "business_unit": "Business unit", "use_case": "Use case",
    "sourcing": "Sourcing", "sponsor": "Sponsor", "start_date": "Start date", "stage": "Stage",
    "status": "Status", "failure_cause": "Failure cause", "end_date": "End date",
    "last_update": "Last update", "budget": "Budget", "spend": "Spend",
}
STAGE_LABELS = {"intake": "Intake", "scoping": "Scoping", "poc": "Proof of concept", "pilot": "Pilot",
                "production": "Production", UNKNOWN_STAGE: "Unknown"}
STATUS_LABELS = {"active": "Active", "on_hold": "On hold", "cancelled": "Cancelled",
                 "production": "In production", "retired": "Retired"}
CAUSE_LABELS = {
    "data_quality": "Data quality or availability", "unclear_value": "Unclear business value or ROI",
    "integration": "Integration with systems or workflows", "infrastructure": "Platform or MLOps",
    "model_performance": "Model performance", "cost": "Cost", "skills": "Skills and talent",
    "governance": "Risk, compliance, security or privacy", "sponsorship": "Executive sponsorship",
    "adoption": "User adoption and change", "vendor": "Vendor", "reprioritised": "Reprioritised or merged",
    "other": "Other",
}

# The word lists live in vocabulary.toml beside this module, as data: headers, stage, status, cause and
# sourcing words, event-log headers, placeholders, question words and the published lifecycles.
VOCABULARY = tomllib.loads((Path(__file__).with_name("vocabulary.toml")).read_text(encoding="utf-8"))
HEADER_SYNONYMS: dict[str, list[str]] = VOCABULARY["headers"]
STAGE_SYNONYMS: dict[str, list[str]] = VOCABULARY["stages"]
STATUS_SYNONYMS: dict[str, list[str]] = VOCABULARY["statuses"]
CAUSE_SYNONYMS: dict[str, list[str]] = VOCABULARY["causes"]
SOURCING_SYNONYMS: dict[str, list[str]] = VOCABULARY["sourcing"]
PLACEHOLDERS = frozenset(VOCABULARY["placeholders"]["missing"])  # normalised cells that say "nothing here"
QUESTION_WORDS = frozenset(VOCABULARY["questions"]["first_words"])
LIFECYCLES: list[dict] = VOCABULARY["lifecycles"]
DIALECTS: list[dict] = VOCABULARY["dialects"]  # tool, field, when (its own words), means (word -> id)  # id, label, stages, names, words, labels (optional)
VALUE_SYNONYMS = {"stage": STAGE_SYNONYMS, "status": STATUS_SYNONYMS, "failure_cause": CAUSE_SYNONYMS,
                  "sourcing": SOURCING_SYNONYMS}

# Values no portfolio holds: read as typing errors, left empty and reported (validate, parse)
ABSURD_AMOUNT = 1e12  # no AI pilot costs a trillion in any currency: a unit or typing error
PLAUSIBLE_YEARS = (1900, 2200)  # a date outside these years in a portfolio is a typing error, not a date
PRODUCTION_STATUSES = ("production", "retired")

# What tells an event log (a row per stage change) from a row per pilot (analysis/ingest/events.py is_event_log)
EVENT_ID_SYNONYMS = VOCABULARY["events"]["pilot_id"]
MIN_EVENTS_PER_PILOT = 1.5  # a wide export has one row per ID (a few repeats at most); a log has several
MAX_EVENT_COLUMNS = 15  # a history export has id, activity, time and a few attributes, not a full record
EVENT_SAMPLE_ROWS = 5_000  # shape detection looks at the first rows only: a million-row log is recognised fast

TIMESTAMP = "timestamp"  # the mapping's key for an event log's time column
TIMESTAMP_SYNONYMS = VOCABULARY["events"]["timestamp"]
ACTIVITY_SYNONYMS = VOCABULARY["events"]["activity"]
PREVIOUS = "previous"  # the stage or status an event moved from: read past, the event's own value counts
PREVIOUS_SYNONYMS = VOCABULARY["events"]["previous"]
# Headers an event log's fields go by (the time-of-record date fields are made from the events).
EVENT_SYNONYMS = {**{f: s for f, s in HEADER_SYNONYMS.items() if f not in DATE_FIELDS},
                  "pilot_id": HEADER_SYNONYMS["pilot_id"] + EVENT_ID_SYNONYMS,
                  "stage": ACTIVITY_SYNONYMS + HEADER_SYNONYMS["stage"], TIMESTAMP: TIMESTAMP_SYNONYMS,
                  PREVIOUS: PREVIOUS_SYNONYMS,
                  "status": HEADER_SYNONYMS["status"] + ["state"]}  # beside a stage column, a state is a status

LIFECYCLE_LABELS = {s: label for lc in LIFECYCLES for s, label in lc.get("labels", {}).items()}
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: object) -> str:
    """Lower-case, accents folded, punctuation and runs of spaces (incl. non-breaking) to one space."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return _PUNCT.sub(" ", folded.lower()).strip()


def slug(text: str) -> str:
    """A safe identifier for a custom stage name: `Operation and Maintenance` -> `operation_and_maintenance`."""
    return normalise(text).replace(" ", "_") or "stage"


def stage_label(stage: str) -> str:
    """Friendly label of a stage id; custom stages are shown with their id's words capitalised."""
    return STAGE_LABELS.get(stage) or LIFECYCLE_LABELS.get(stage) or stage.replace("_", " ").capitalize()


def cause_label(cause: str) -> str:
    """Friendly label of a canonical cause id; `other (<text>)` is shown as it is."""
    return CAUSE_LABELS.get(cause, cause)
