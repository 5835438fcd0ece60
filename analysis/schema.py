"""The canonical pilot record: fields, stages, statuses, causes and the synonyms that map onto them.

Matching is case- and punctuation-insensitive: `normalise("Proof-of-Concept")` == "proof of concept".
"""

from __future__ import annotations

import re
import unicodedata

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

HEADER_SYNONYMS: dict[str, list[str]] = {
    "pilot_id": ["pilot id", "id", "project id", "use case id", "initiative id", "key", "issue key",
                 "ticket", "number", "case id", "item id", "reference", "ref", "pilot", "project key",
                 "work item id", "record id", "uid", "row id", "item key", "request id", "idea id"],
    "name": ["name", "pilot name", "project name", "title", "summary", "initiative", "project",
             "use case name", "initiative name", "short description"],
    "business_unit": ["business unit", "bu", "unit", "department", "division", "agency", "org",
                      "organisation", "organization", "team", "function", "line of business", "lob",
                      "segment", "business area", "owner unit", "area"],
    "use_case": ["use case", "use case type", "category", "use case category", "domain",
                 "capability", "application area", "ai type", "type", "theme"],
    "sourcing": ["sourcing", "build buy", "build or buy", "build vs buy", "make or buy", "delivery model",
                 "sourcing model", "vendor type", "build buy partner", "source", "procurement"],
    "sponsor": ["sponsor", "executive sponsor", "owner", "business owner", "product owner", "lead",
                "project lead", "assignee", "accountable", "champion", "manager", "assigned to"],
    "start_date": ["start date", "start", "started", "created", "created date", "created at",
                   "date created", "opened", "opened at", "kickoff", "kick off date", "submitted",
                   "submission date", "intake date", "date started", "begin date"],
    "stage": ["stage", "phase", "development stage", "lifecycle stage", "current stage", "gate",
              "maturity", "state", "stage gate", "lifecycle", "current phase", "pipeline stage"],
    "status": ["status", "outcome", "project status", "current status", "health", "state status",
               "resolution", "decision", "pilot status", "state", "rag status", "work item state"],
    "failure_cause": ["failure cause", "cause", "reason", "failure reason", "cancellation reason",
                      "reason for cancellation", "stop reason", "kill reason", "root cause",
                      "why stopped", "closure reason", "termination reason", "cancel reason",
                      "close notes", "closure notes", "cancellation notes"],
    "end_date": ["end date", "end", "ended", "closed", "closed date", "closed at", "resolved",
                 "resolved date", "completion date", "cancelled date", "decision date", "end of pilot",
                 "finish", "finish date", "finished", "actual finish", "actual end date"],
    "last_update": ["last update", "last updated", "updated", "updated at", "modified", "last modified",
                    "last activity", "last change", "status date", "last status update", "as of",
                    "changed date", "changed", "sys updated on", "modified date", "date modified"],
    "budget": ["budget", "approved budget", "planned cost", "budget usd", "budget eur", "estimated cost",
               "allocated budget", "funding"],
    "spend": ["spend", "actual spend", "actual cost", "cost to date", "spent", "actuals", "cost",
              "total spend", "spend to date", "actual"],
}

STAGE_SYNONYMS: dict[str, list[str]] = {
    "intake": ["intake", "idea", "ideation", "proposed", "proposal", "submitted", "backlog", "new",
               "request", "initiation", "initiated", "planned", "planning", "discovery", "concept",
               "registered", "exploration", "pre pilot", "assessment", "triage"],
    "scoping": ["scoping", "scope", "scoped", "business case", "design", "requirements", "analysis",
                "qualification", "qualified", "evaluation", "feasibility", "approved", "definition",
                "selection", "development and acquisition", "acquisition and or development",
                "acquisition", "in development", "development"],
    "poc": ["poc", "proof of concept", "prototype", "prototyping", "experiment", "experimentation",
            "proof of value", "pov", "mvp", "sandbox", "research", "proof of concept completed",
            "poc completed", "r d", "research and development"],
    "pilot": ["pilot", "piloting", "pilot phase", "trial", "beta", "limited release", "test",
              "testing", "validation", "implementation", "implementation and assessment",
              "pre production", "user testing", "uat", "field test", "rollout", "limited production"],
    "production": ["production", "live", "deployed", "in production", "operational", "operation",
                   "operation and maintenance", "operations and maintenance", "in use", "in operation",
                   "scaled", "scale", "ga", "general availability", "released", "production use",
                   "implemented", "in service", "go live", "went live", "mission use",
                   "deployed in production", "deployment", "operation maintenance", "o m"],
}

STATUS_SYNONYMS: dict[str, list[str]] = {
    "active": ["active", "in progress", "ongoing", "open", "running", "on track", "green", "amber",
               "at risk", "in flight", "underway", "wip", "work in progress", "started", "yellow",
               "red", "delayed", "planned", "new", "proposed"],
    "on_hold": ["on hold", "hold", "paused", "parked", "blocked", "suspended", "waiting", "deferred",
                "pending", "frozen", "dormant", "inactive"],
    "cancelled": ["cancelled", "canceled", "killed", "stopped", "abandoned", "terminated", "closed",
                  "rejected", "failed", "discontinued", "dropped", "shelved", "won t do", "wont do",
                  "not pursued", "declined", "closed lost", "withdrawn", "cancel", "no go"],
    "production": ["production", "live", "deployed", "in production", "done", "completed", "complete",
                   "scaled", "launched", "delivered", "operational", "in use", "closed won",
                   "success", "successful", "go live", "released", "implemented"],
    "retired": ["retired", "decommissioned", "sunset", "sunsetted", "switched off", "turned off",
                "archived after production", "end of life", "eol", "deprecated", "retired after production"],
}

CAUSE_SYNONYMS: dict[str, list[str]] = {
    "data_quality": ["data", "data quality", "data quality issues", "poor data", "data availability",
                     "poor data availability", "no data", "lack of data", "data access", "missing data",
                     "insufficient data", "bad data", "data issues", "data not available",
                     "data readiness", "unavailable data", "data gaps"],
    "unclear_value": ["unclear value", "unclear business value", "no clear roi", "no roi", "roi",
                      "low roi", "value", "business value", "no business case", "weak business case",
                      "no value", "unclear roi", "benefits unclear", "value not proven",
                      "no measurable value", "unclear benefits", "business case"],
    "integration": ["integration", "integration with legacy systems", "legacy systems", "legacy",
                    "workflow integration", "integration issues", "systems integration",
                    "could not integrate", "api", "interoperability"],
    "infrastructure": ["infrastructure", "infrastructure mlops", "mlops", "platform", "compute",
                       "infra", "tooling", "gpu", "environment", "hosting", "cloud", "deployment issues"],
    "model_performance": ["model performance", "model accuracy too low", "accuracy", "low accuracy",
                          "poor accuracy", "model quality", "hallucinations", "performance",
                          "model did not perform", "precision", "not accurate enough",
                          "technical feasibility", "technology not mature"],
    "cost": ["cost", "too expensive", "expensive", "budget", "budget cut", "cost overrun",
             "funding", "no funding", "lack of funding", "costs", "high cost", "licence cost",
             "license cost", "over budget"],
    "skills": ["skills", "lack of skills", "talent", "skills gap", "no skills", "staffing",
               "resources", "lack of resources", "capacity", "no team", "expertise", "key person left"],
    "governance": ["governance", "compliance", "privacy", "security", "risk", "legal", "regulatory",
                   "compliance privacy concerns", "compliance privacy", "gdpr", "ethics",
                   "responsible ai", "risk and compliance", "security concerns", "privacy concerns",
                   "legal concerns", "audit"],
    "sponsorship": ["sponsorship", "lost executive sponsor", "sponsor left", "no sponsor",
                    "executive sponsorship", "lack of sponsorship", "leadership", "lost sponsor",
                    "no executive support", "lack of executive support", "sponsor"],
    "adoption": ["adoption", "low user adoption", "user adoption", "users", "change management",
                 "low adoption", "no adoption", "resistance", "user resistance", "low usage",
                 "poor adoption", "trust"],
    "vendor": ["vendor", "vendor issues", "supplier", "vendor failed", "vendor went out of business",
               "vendor lock in", "contract", "procurement", "third party"],
    "reprioritised": ["reprioritised", "reprioritized", "deprioritised", "deprioritized", "merged",
                      "superseded", "duplicate", "priorities changed", "strategy change",
                      "replaced", "strategic shift", "no longer needed", "out of scope"],
    "other": ["other", "misc", "miscellaneous"],
}

SOURCING_SYNONYMS: dict[str, list[str]] = {
    "build": ["build", "built", "internal", "in house", "inhouse", "custom", "developed in house",
              "make", "own build", "internal build", "government", "agency developed"],
    "buy": ["buy", "bought", "vendor", "purchased", "purchase", "saas", "cots", "off the shelf",
            "commercial", "licensed", "license", "licence", "product", "procured"],
    "partner": ["partner", "partnership", "co develop", "co development", "consultancy", "contractor",
                "joint", "outsourced", "si", "system integrator", "hybrid", "external partner",
                "academic"],
}

VALUE_SYNONYMS = {"stage": STAGE_SYNONYMS, "status": STATUS_SYNONYMS, "failure_cause": CAUSE_SYNONYMS,
                  "sourcing": SOURCING_SYNONYMS}

# Values no portfolio holds: read as typing errors, left empty and reported (validate, parse)
ABSURD_AMOUNT = 1e12  # no AI pilot costs a trillion in any currency: a unit or typing error
PLAUSIBLE_YEARS = (1900, 2200)  # a date outside these years in a portfolio is a typing error, not a date
PRODUCTION_STATUSES = ("production", "retired")

# What tells an event log (a row per stage change) from a row per pilot (analysis/ingest/events.py is_event_log)
EVENT_ID_SYNONYMS = ["case id", "case", "case concept name", "trace id", "issue id", "item"]
MIN_EVENTS_PER_PILOT = 1.5  # a wide export has one row per ID (a few repeats at most); a log has several
MAX_EVENT_COLUMNS = 15  # a history export has id, activity, time and a few attributes, not a full record
EVENT_SAMPLE_ROWS = 5_000  # shape detection looks at the first rows only: a million-row log is recognised fast

TIMESTAMP = "timestamp"  # the mapping's key for an event log's time column
TIMESTAMP_SYNONYMS = ["timestamp", "time stamp", "time", "date", "datetime", "date time", "event time",
                      "event date", "event timestamp", "changed", "changed at", "changed on", "change date",
                      "date changed", "transition date", "transition time", "occurred at", "occurred",
                      "when", "entered", "date entered", "entered at", "complete timestamp", "created",
                      "created at", "created date", "logged at", "recorded at", "updated", "updated at"]
ACTIVITY_SYNONYMS = ["activity", "activity name", "event", "event name", "event type", "to stage",
                     "new stage", "to", "to status", "new status", "new value", "to value", "transition",
                     "step", "milestone", "concept name", "stage entered", "moved to"]
PREVIOUS = "previous"  # the stage or status an event moved from: read past, the event's own value counts
PREVIOUS_SYNONYMS = ["from", "from status", "from stage", "from value", "old value", "old status",
                     "previous status", "previous stage", "previous value", "prior status", "from state"]
# Headers an event log's fields go by (the time-of-record date fields are made from the events).
EVENT_SYNONYMS = {**{f: s for f, s in HEADER_SYNONYMS.items() if f not in DATE_FIELDS},
                  "pilot_id": HEADER_SYNONYMS["pilot_id"] + EVENT_ID_SYNONYMS,
                  "stage": ACTIVITY_SYNONYMS + HEADER_SYNONYMS["stage"], TIMESTAMP: TIMESTAMP_SYNONYMS,
                  PREVIOUS: PREVIOUS_SYNONYMS,
                  "status": HEADER_SYNONYMS["status"] + ["state"]}  # beside a stage column, a state is a status

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
    return STAGE_LABELS.get(stage) or stage.replace("_", " ").capitalize()


def cause_label(cause: str) -> str:
    """Friendly label of a canonical cause id; `other (<text>)` is shown as it is."""
    return CAUSE_LABELS.get(cause, cause)
