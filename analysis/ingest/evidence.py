"""Which column holds which field, judged on evidence: what the header says and what the values look like.

A header "matches" a field when it is one of the field's names (exact) or holds one as whole words (a
phrase); a short header beats a sentence, and a question ("Is there an appeal process ...?") or a header of
many words is almost never an ID, a stage, a status or a date. The values then have to agree: an ID column is
nearly always filled and nearly unique, with short codes; a date column's values read as dates; an amount
column's as numbers; a stage, status or cause column has few distinct values that the field's vocabulary
knows; free text (long sentences) is a name or a description at most. A column whose values agree strongly
with a coded field's vocabulary is taken even when no header names it.

Every score comes with its reasons in words ("92% of values read as dates; header 'Created' names a start
date"), which the Data page shows. Everything here works on a column's distinct values and their counts
(`ColumnValues`), never on every row, and imports neither pandas nor numpy: the command line's pandas-free
path (analysis/cli/summary_fast.py) guesses with the same code as the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from analysis.schema import PLACEHOLDERS, QUESTION_WORDS, normalise

EXACT, PHRASE = 1.0, 0.6  # a header that is one of the field's names, or holds one as whole words
MANY_WORDS = 4  # a phrase match in a header longer than this is a weaker hint ("Date of last review by ...")
SENTENCE_WORDS = 8  # a header this long is a sentence, not a field name
SAMPLE_VALUES = 300  # the commonest distinct values a column is judged by (its rows are counted in full)
LONG_WORDS, LONG_CHARS = 12, 100  # a value longer than this is a sentence: free text (titles are shorter)
CODE_CHARS, CODE_WORDS = 40, 3  # an ID is a short code ("DHS-0009-2023", "AI-42", "PRJ0012345")
MIN_ID_FILL = 0.5  # an ID column is filled on most rows (rows without one get their line number)
FILL_JUDGED_FROM = 20  # rows: in a smaller file, an empty row or a total line is not the column's nature
MIN_ID_UNIQUE = 0.9  # and nearly unique (a few repeats are reported, not a reason to doubt the column)
FEW_REPEATS = 3  # in a small file, a few repeated IDs are the export's errors, not the column's nature
MANY_REPEATS = 0.5  # values that repeat more than this make a weak ID column, unless its header says ID
MIN_READ = 0.6  # the share of a column's filled rows that must read as dates or numbers
DIMENSION_MAX_UNIQUE = 0.6  # a business unit, use case or sponsor repeats: mostly distinct values are names
CODED_MAX_DISTINCT = 60  # a stage, status or cause column holds a short list of values
MIN_AGREEMENT = 0.5  # the share of rows whose value the vocabulary knows, for a phrase-matched coded column
VALUES_ALONE = 0.8  # ... and for a coded column no header names, with few distinct values
VALUES_ALONE_DISTINCT = 30
WEAK = 0.3  # a header that names the field exactly, over values that mostly disagree (a few bad dates)
MIN_SCORE = 0.3  # below this, a field is left unmapped rather than guessed from thin evidence
NEGATIONS = ("not", "no", "never", "non", "pre")  # "Planned (not in production)" is not production
ENUMERATOR = re.compile(r"^\s*(?:\(?[a-zA-Z]\)|\(?\d{1,2}[).]|\d{1,2}\s*[-–—:])\s*")  # "a) ", "3. ", "02 - "
HEAD_END = re.compile(r"\s[–—-]\s|:\s|\s\(|;")  # "Pre-deployment – The use case is ...": the name ends here

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
DATE_LIKE = re.compile("|".join([
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}{_TIME}",  # ISO, with or without a time
    rf"\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\.?{_TIME}",  # day-first or month-first
    rf"\d{{4}}/\d{{1,2}}/\d{{1,2}}{_TIME}",
    rf"\d{{1,2}}[\s/-]{_MONTH}[\s/-]\d{{2,4}}{_TIME}",  # 15/Jan/24 10:22 AM (Jira), 15 January 2024
    rf"{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}{_TIME}",  # January 15, 2024
    rf"{_MONTH}[\s,/-]+\d{{2,4}}",  # Jan 2024, Jan-24
    r"\d{1,2}[./-]\d{4}|\d{4}[./-]\d{1,2}",  # 01/2024, 2024-01
    r"[qQ][1-4][\s/-]*\d{2,4}|\d{4}[\s/-]*[qQ][1-4]",  # Q3 2024, 2024-Q3
    r"(?:19|20|21)\d{2}",  # a year alone
    r"[2-7]\d{4}(?:\.\d+)?",  # an Excel serial (1954-2119)
]), re.IGNORECASE)
NUMBER_LIKE = re.compile(r"[(+-]?\s*(?:[A-Z]{3}\s*)?[$€£¥₹]?\s*[(+-]?\d[\d,.' \u00a0\u202f]*\s*(?:k|m|mm|mn|bn|b)?\s*"
                         r"[$€£¥₹]?\s*(?:[A-Z]{3})?\)?", re.IGNORECASE)


PLACEHOLDER_CHARS = max(len(p) for p in PLACEHOLDERS) + 4  # "N/A", "TBD", "-", "Not applicable" are short
NO_ID_ROWS_NOTE = ("{count:,} row(s) have no pilot ID in column '{column}' (empty, or a placeholder such as N/A, "
                   "TBD or -); they are kept as pilots named by their line number ({first}, ...). Give them IDs in "
                   "the tracker to follow them from one export to the next.")  # validate and the pandas-free summary say it alike
SAMPLE_ROWS = 10_000  # a column whose first rows are mostly distinct (IDs, names) is judged by them alone
MOSTLY_DISTINCT = 0.5


def is_missing(value: str) -> bool:
    """Whether a cell says nothing: empty, only punctuation, or a placeholder such as N/A, TBD, None or -."""
    if len(value) > PLACEHOLDER_CHARS or any(c.isdigit() for c in value):  # no placeholder holds a digit
        return False
    return normalise(value) in PLACEHOLDERS


def judged_by_first_rows(rows: int, distinct_in_first: int) -> bool:
    """Whether a column is judged by its first SAMPLE_ROWS rows: a long column whose first rows are mostly
    distinct values (counting every value of a million IDs says nothing more). Both paths decide alike."""
    return rows > SAMPLE_ROWS and distinct_in_first > MOSTLY_DISTINCT * SAMPLE_ROWS


@dataclass
class ColumnValues:
    """A column as the guess reads it: its distinct values with the rows holding each (the commonest
    first, up to SAMPLE_VALUES of them), how many rows it has, and how many distinct filled values in all.
    `sampled`: the values are those of the first rows only (a column of mostly distinct values, such as
    IDs and names, is not counted in full)."""

    values: list[str]
    counts: list[int]
    rows: int
    distinct: int
    filled: int  # rows holding a value (of the rows read, when sampled)
    sampled: bool = False

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, int]], rows: int, sampled: bool = False,
           checked: bool = False, distinct: bool = False) -> ColumnValues:
        """From (value, rows) pairs of distinct values (empty and placeholder values left out here;
        `checked`: the caller has left them out already, and trimmed the values; `distinct`: and no two
        trimmed values are equal, so there is nothing to merge)."""
        kept = sorted(pairs if checked else ((v.strip(), n) for v, n in pairs if v is not None and not is_missing(v)),
                      key=lambda p: -p[1])
        if checked and distinct:
            top = kept[:SAMPLE_VALUES]
            return cls([v for v, _ in top], [n for _, n in top], rows, len(kept), sum(n for _, n in kept), sampled)
        merged: dict[str, int] = {}
        for value, n in kept:
            merged[value] = merged.get(value, 0) + n
        top = list(merged.items())[:SAMPLE_VALUES]
        return cls([v for v, _ in top], [n for _, n in top], rows, len(merged), sum(merged.values()), sampled)

    @property
    def judged(self) -> int:
        """Rows of the values judged (the commonest SAMPLE_VALUES)."""
        return sum(self.counts)

    @cached_property
    def profile(self) -> Profile:
        """What the values look like (Profile.of), worked out once: every kind of field is scored on it."""
        return Profile.of(self)


@dataclass
class Profile:
    """What a column's values look like, as shares of its filled rows."""

    rows: int
    filled_share: float
    distinct: int
    unique_share: float  # distinct values / filled rows
    long_share: float
    code_share: float
    date_share: float
    number_share: float

    @classmethod
    def of(cls, column: ColumnValues) -> Profile:
        filled, judged = column.filled, column.judged
        if not filled:
            return cls(column.rows, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)

        def share(test: Callable[[str], bool]) -> float:
            return sum(n for v, n in zip(column.values, column.counts) if test(v)) / judged

        return cls(column.rows, min(1.0, filled / max(column.rows, 1)), column.distinct,
                   min(1.0, column.distinct / filled), share(_is_long), share(_is_code), share(_is_date),
                   share(_is_number))


def _is_long(value: str) -> bool:
    return len(value) > LONG_CHARS or value.count(" ") >= LONG_WORDS


def _is_code(value: str) -> bool:
    if len(value) > CODE_CHARS or value.count(" ") >= CODE_WORDS:
        return False
    return any(c.isdigit() for c in value) or (" " not in value and len(value) <= 12)


def _is_date(value: str) -> bool:
    return DATE_LIKE.fullmatch(value.strip()) is not None


def _is_number(value: str) -> bool:
    return NUMBER_LIKE.fullmatch(value.strip()) is not None and not _looks_dated(value)


def _looks_dated(value: str) -> bool:
    text = value.strip()
    return bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}.*", text))


# ------------------------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """A field's words (canonical id -> names) and how a value is read by them: an id spelled exactly,
    a name exactly, then the longest name standing in the value as whole words and not negated ("not in
    production" is not production). A value's name part is tried before the whole value: "a) Pre-deployment
    – The use case is in a development status" is read as "Pre-deployment"."""

    def __init__(self, synonyms: dict[str, list[str]]):
        self.ids = {normalise(c): c for c in synonyms}
        self.names: dict[str, str] = {}
        for canonical, words in synonyms.items():
            for word in words:
                self.names.setdefault(word, canonical)
        self.longest = max((len(w.split()) for w in self.names), default=1)

    def match(self, value: str, head_only: bool = False) -> tuple[str | None, float]:
        """(canonical id or None, EXACT or PHRASE or 0.0) of a source value. `head_only`: a value with a head
        ("b) Pilot – The use case has been deployed in a limited test") is read by its head alone, its
        explanation not (a status is what the head says, not a word of the definition)."""
        head = value_head(value)
        texts = [head] if head_only and head else [head, normalise(value)]
        for text in dict.fromkeys(texts):
            if not text:
                continue
            exact = self.ids.get(text) or self.names.get(text)
            if exact:
                return exact, EXACT
        for text in dict.fromkeys(texts):
            found = self._phrase(text)
            if found:
                return found, PHRASE
        return None, 0.0

    def _phrase(self, norm: str) -> str | None:
        words = norm.split()
        best, best_len = None, 0
        for i in range(len(words)):
            if any(w in NEGATIONS for w in words[max(0, i - 2):i]):
                continue
            for j in range(min(len(words), i + self.longest), i, -1):
                phrase = " ".join(words[i:j])
                canonical = self.names.get(phrase) if len(phrase) > 1 else None
                if canonical and len(phrase) > best_len:
                    best, best_len = canonical, len(phrase)
                    break
        return best


@lru_cache(maxsize=65536)
def value_head(value: str) -> str:
    """The name part of a value, normalised: without a leading enumerator ("a) ", "3. ") and without what
    follows a dash, a colon or a bracket ("Pilot – deployed in a limited test" -> "pilot")."""
    text = ENUMERATOR.sub("", value.strip())
    return normalise(HEAD_END.split(text, maxsplit=1)[0])


def agreement(column: ColumnValues, vocabulary: Vocabulary) -> tuple[float, int, int]:
    """(share of the judged rows whose value the vocabulary reads, distinct values read, distinct judged)."""
    read = [vocabulary.match(v)[0] is not None for v in column.values]
    rows = sum(n for ok, n in zip(read, column.counts) if ok)
    return (rows / column.judged if column.judged else 0.0), sum(read), len(read)


# ---------------------------------------------------------------------------------------------- headers


def header_words(header: str) -> int:
    return len(normalise(header).split())


def is_question(header: str) -> bool:
    """A header that asks something ("What are the key risks ...?") or is a sentence."""
    norm = normalise(header)
    first = norm.split(" ", 1)[0] if norm else ""
    return header.strip().endswith("?") or first in QUESTION_WORDS or len(norm.split()) > SENTENCE_WORDS


def header_match(header: str, names: list[str]) -> float:
    """EXACT when the header is one of the names, PHRASE when a name (over two letters) stands in it as
    whole words, else 0."""
    norm = normalise(header)
    if norm in names:
        return EXACT
    words = f" {norm} "
    return PHRASE if any(len(s) > 2 and f" {s} " in words for s in names) else 0.0


@dataclass
class Evidence:
    """How sure a column holds a field (0..1) and why, in words."""

    score: float
    reasons: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "; ".join(self.reasons)


def header_evidence(header: str, names: list[str], strict: bool) -> tuple[float, str | None]:
    """The header's part of the score and its reason. `strict` fields (IDs, stages, statuses, dates) take
    no hint from a question or a sentence."""
    match = header_match(header, names)
    if match == EXACT:
        return EXACT, f"the header '{header}' is a usual name for it"
    if match == 0:
        return 0.0, None
    if is_question(header):
        return (0.0, None) if strict else (0.2, f"the question '{_short(header)}' mentions it")
    if header_words(header) > MANY_WORDS:
        return 0.4, f"the header '{_short(header)}' mentions it"
    return PHRASE, f"the header '{header}' names it"


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def percent(share: float) -> str:
    return f"{share:.0%}"


# ---------------------------------------------------------------------------------------------- scoring
# Each kind of field reads the header and the values its own way; every rule below adds a reason.


def score(kind: str, header: str, names: list[str], column: ColumnValues, noun: str,
          vocabulary: Vocabulary | None = None) -> Evidence:
    """How sure `header` holds a field of this kind ("id", "name", "dimension", "coded", "date", "number");
    `names`: the field's header names; `noun`: what its values are called in a reason ("statuses");
    `vocabulary`: a coded field's words."""
    strict = kind in ("id", "key", "coded", "moved", "cause", "date")
    h, why = header_evidence(header, names, strict)
    if h == 0 and (kind not in ("coded", "cause") or column.distinct > VALUES_ALONE_DISTINCT):
        return Evidence(0.0)  # neither header nor values can make it: the values are not read
    profile = column.profile
    fit, reasons = FITS[kind](profile, column, noun, vocabulary)
    if h == 0:
        alone = _values_alone(kind, header, profile, fit)
        return Evidence(alone, ["no header names it"] + reasons) if alone else Evidence(0.0)
    if fit is None:  # nothing to judge: an empty column goes by its header
        return Evidence(0.5 * h, [why, "the column is empty"])
    if h == EXACT:
        value = 0.5 + 0.5 * fit if fit >= 0.2 else (0.0 if kind in ("id", "key") else WEAK)
    else:
        value = h * (0.5 + 0.5 * fit) if fit >= MIN_AGREEMENT else 0.0
    return Evidence(round(value, 3), [why] + reasons) if value else Evidence(0.0)


def _values_alone(kind: str, header: str, profile: Profile, fit: float | None) -> float:
    """A coded column no header names, taken when nearly all its rows read as the field's values and it
    holds a short list of them (not a question's answers)."""
    if kind not in ("coded", "cause") or fit is None or fit < VALUES_ALONE or profile.distinct > VALUES_ALONE_DISTINCT:
        return 0.0
    return 0.0 if is_question(header) or header_words(header) > MANY_WORDS else round(0.45 * fit, 3)


def _id_fit(p: Profile, column: ColumnValues, noun: str, vocabulary) -> tuple[float | None, list[str]]:
    if not p.filled_share:
        return None, []
    filled = f"{percent(p.filled_share)} of rows filled, {percent(p.unique_share)} of the values distinct"
    if p.long_share > 0.05 or p.date_share > 0.8:
        return 0.0, [filled + ": not an ID column"]
    if p.filled_share < MIN_ID_FILL and p.rows >= FILL_JUDGED_FROM:  # only a header that is an ID's name keeps it
        return 0.2, [filled + ": mostly empty, the other rows get their line number"]
    kind = "short codes" if p.code_share >= 0.5 else "text"
    repeats = column.filled - column.distinct
    if p.unique_share < MIN_ID_UNIQUE and repeats > FEW_REPEATS:  # only a header that says ID may still say so
        return (0.3 if p.unique_share >= MANY_REPEATS else 0.2), [f"{filled}, {kind}; {repeats:,} repeated values"]
    return min(1.0, p.unique_share) * (0.6 + 0.4 * p.code_share), [f"{filled}, {kind}"]


def _key_fit(p: Profile, column: ColumnValues, noun: str, vocabulary) -> tuple[float | None, list[str]]:
    """An event log's pilot ID: filled, short codes, repeated on every event of a pilot."""
    if not p.filled_share:
        return None, []
    if (p.filled_share < MIN_ID_FILL and p.rows >= FILL_JUDGED_FROM) or p.long_share > 0.05 or p.date_share > 0.8:
        return 0.0, [f"{percent(p.filled_share)} of rows filled: not an ID column"]
    return 0.6 + 0.4 * p.code_share, [f"{percent(p.filled_share)} of rows filled, short codes"]


def _name_fit(p: Profile, column: ColumnValues, noun: str, vocabulary) -> tuple[float | None, list[str]]:
    if not p.filled_share:
        return None, []
    if p.date_share > 0.8 or p.number_share > 0.8:
        return 0.0, ["its values are dates or numbers"]
    if p.long_share > 0.5:
        return 0.4, [f"{percent(p.long_share)} of values are long sentences (a description)"]
    return (1.0 if p.unique_share >= 0.3 else 0.5), [f"{percent(p.unique_share)} of the values distinct"]


def _dimension_fit(p: Profile, column: ColumnValues, noun: str, vocabulary) -> tuple[float | None, list[str]]:
    if not p.filled_share:
        return None, []
    if p.date_share > 0.8 or p.number_share > 0.8:
        return 0.0, ["its values are dates or numbers"]
    if p.unique_share > DIMENSION_MAX_UNIQUE and column.filled >= 20:
        return 0.0, [f"{percent(p.unique_share)} of the values distinct: names or codes, not groups"]
    if p.long_share > 0.3:
        return 0.2, [f"{percent(p.long_share)} of values are long sentences"]
    return 1.0, [f"{p.distinct:,} distinct values"]


def _coded_fit(p: Profile, column: ColumnValues, noun: str, vocabulary: Vocabulary) -> tuple[float | None, list[str]]:
    if not p.filled_share:
        return None, []
    share, read, judged = agreement(column, vocabulary)
    words = f"{read} of {p.distinct:,} distinct values read as {noun}" if not column.sampled else \
        f"{read} of {judged} distinct values read as {noun}"
    if p.distinct > CODED_MAX_DISTINCT and p.unique_share > 0.5:
        return share * 0.5, [f"{words}; mostly distinct free text"]
    filled = 0.4 + 0.6 * p.filled_share  # a stage or status is set on most rows (a resolution only on some)
    return share * filled, [f"{words} ({percent(share)} of rows)"] + (
        [f"{percent(p.filled_share)} of rows filled"] if p.filled_share < 0.9 else [])


def _cause_fit(p: Profile, column: ColumnValues, noun: str, vocabulary: Vocabulary) -> tuple[float | None, list[str]]:
    """A failure cause is given for the stopped pilots only, and often in words: free text is allowed."""
    if not p.filled_share:
        return None, []
    share, read, judged = agreement(column, vocabulary)
    return share, [f"{read} of {judged} distinct values read as {noun} ({percent(share)} of rows)"]


def _read_fit(what: str, attribute: str) -> Callable:
    def fit(p: Profile, column: ColumnValues, noun: str, vocabulary) -> tuple[float | None, list[str]]:
        if not p.filled_share:
            return None, []
        share = getattr(p, attribute)
        return (share if share >= MIN_READ else 0.0), [f"{percent(share)} of values read as {what}"]
    return fit


FITS = {"id": _id_fit, "key": _key_fit, "cause": _cause_fit, "name": _name_fit, "dimension": _dimension_fit, "coded": _coded_fit,
        "moved": _coded_fit,  # an event's from-stage: coded values, but only ever under a header that says so
        "date": _read_fit("dates", "date_share"), "number": _read_fit("numbers", "number_share")}
