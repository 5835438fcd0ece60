"""Dates written with numbers and amounts, read from a column's distinct texts without pandas: the one reading of
both. analysis/ingest/parse.py wraps it for the app, the report and the CLI (and adds the one thing only pandas
reads: a date written with a month's name or other words); the summary command's pandas-free path
(analysis/cli/summary_fast.py) calls it as it is.

Dates: each text cleaned (a time of day dropped, separators made dashes), the column's day/month order found from
the numeric dates weighted by their rows, read in it, then in the fallback orders, then as a period (a month, a
quarter, a year: its first day) or an Excel serial (its whole part is the day). Amounts: currency dropped, a scale
(k, m, bn) applied, negatives in parentheses, and the decimal comma chosen by the column's texts together.

The texts are Arrow text arrays (no missing values), and most of the work is done by Arrow's kernels on the whole
column at once (arrowtext.call) and numpy on the digits. The rules are Python's regular expressions (written.py):
a pattern is run by Arrow's RE2 only on ASCII texts, in a twin written for them (`\\d` as `[0-9]`, Python's `\\s` as
SEP_ASCII's class), and by Python's `re` on the others, so both give what Python gives (which is what pandas' string
methods give). tests/test_values.py holds the readings to pandas' own readers (`to_datetime(format=...)`,
`to_numeric`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyarrow._compute import (
    CastOptions,
    ExtractRegexOptions,
    MatchSubstringOptions,
    ReplaceSubstringOptions,
    TrimOptions,
)

from analysis.ingest.arrowtext import call, flags, integers, mask, matches, positions, texts, trimmed
from analysis.ingest.written import (
    CURRENCY,
    DATE_ORDERS,
    EXCEL_SERIALS,
    NUM_JUNK,
    NUMERIC_DATE,
    PLAIN_NUMBER,
    SCALE,
    SCALES,
    SEP,
    SEP_ASCII,
    SERIAL_WITH_TIME,
    TIME,
)
from analysis.schema import PLAUSIBLE_YEARS

APPROXIMATE_NOTE = ("{count:,} date(s) in column '{column}' give only a month, a quarter or a year; each is read as "
                    "the first day of that period, so durations from them are approximate.")
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # Excel's day 0 (with its 1900 leap-year bug)
NAT = np.datetime64("NaT", "D")
MONTHS = {m: i for i, names in enumerate([("jan", "january"), ("feb", "february"), ("mar", "march"),
                                          ("apr", "april"), ("may",), ("jun", "june"), ("jul", "july"),
                                          ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
                                          ("nov", "november"), ("dec", "december")], start=1) for m in names}
# Periods, as cleaning leaves them (separators turned to '-'): month-year, year-month, a named month and a
# four-digit year, a quarter either way round, a year alone.
PERIOD = re.compile(r"(?P<m1>\d{1,2})-(?P<y1>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{1,2})"
                    r"|(?P<name>[A-Za-z]{3,9})\.?,?-(?P<y3>\d{4})"
                    r"|[Qq](?P<q1>[1-4])-?(?P<y4>\d{4}|\d{2})|(?P<y5>\d{4})-?[Qq](?P<q2>[1-4])"
                    r"|(?P<y6>(?:19|20|21)\d{2})")
PERIOD_CHARS = 15  # longer texts are not read as periods (as they never were)
SPACE_ASCII = SEP_ASCII.replace("./", "")  # Python's \s among ASCII characters, for RE2
TIME_ASCII = (r"[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?" + SPACE_ASCII + r"*([AaPp]\.?[Mm]\.?)?"
              r"(Z|[+-][0-9]{2}:?[0-9]{2})?$")
SERIAL_ASCII = f"^{SERIAL_WITH_TIME.replace(chr(92) + 'd', '[0-9]')}$"
NUMERIC_ASCII = "^[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,4}$"
ISO_DAY = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"  # 2024-03-15, or nothing
NUMERIC_PARTS = "^(?P<a>[0-9]{1,4})-(?P<b>[0-9]{1,2})-(?P<c>[0-9]{1,4})$"
YEAR_FIRST = re.compile(r"^\d{4}-")
YEAR_FIRST_ASCII = "^[0-9]{4}-"
# What pandas.to_numeric reads of a text without spaces or letters, and float reads alike (ASCII digits only:
# float reads other digits, to_numeric does not)
DECIMAL = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+")
SIGNED = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
WORD = re.compile(r"[^\W\d_]")  # a letter, in any alphabet: an amount with one is not a number


@dataclass
class Dates:
    """A column's distinct texts read as dates, one entry per text: `days` (datetime64[D], NaT where unread or
    outside PLAUSIBLE_YEARS), `other` (read in another day/month order than the column's), `order` and
    `ambiguous` (every numeric date reads day-first and month-first alike), `period` (written as a period: read,
    if at all, as its first day), `worded` (unread, with letters: a reader of words may know it) and `cleaned`
    (the texts as cleaned, which such a reader takes)."""

    days: np.ndarray
    other: np.ndarray
    order: str
    ambiguous: bool
    period: np.ndarray
    worded: np.ndarray
    cleaned: pa.Array


def read_dates(text: pa.Array, counts: np.ndarray, order: str | None = None) -> Dates:
    """The dates of a column's distinct texts (an Arrow text array without missing values), each occurring `counts`
    times, read in `order` or, when None, in the order `date_order` finds."""
    if order in (None, "ymd") and call("all", matches(text, ISO_DAY)).as_py() is not False:
        # how most trackers export a date: nothing to clean, no order but year first, nothing for a fallback
        # order, a period or a serial to read; read at once (eight such columns of 100k rows: 10 ms less)
        none = np.zeros(len(text), dtype=bool)
        return Dates(plausible(_Parts.of(text).days("ymd")), none, "ymd", False, none, none.copy(), text)
    cleaned = cleaned_dates(text)
    parts = _Parts.of(cleaned)
    ambiguous = False
    if order is None:
        order, ambiguous = date_order(cleaned, counts, parts)
    days = parts.days(order)
    other = np.zeros(len(cleaned), dtype=bool)
    filled = integers(call("binary_length", cleaned)) > 0
    for fallback in _fallback_orders(cleaned, counts, order, parts):
        rest = np.isnat(days) & filled
        if not rest.any():
            break
        again = np.where(rest, parts.days(fallback), NAT)
        days = np.where(rest, again, days)
        if fallback != "ymd":
            other |= ~np.isnat(again)
    rest = np.isnat(days) & filled
    period = np.zeros(len(cleaned), dtype=bool)
    if rest.any():
        days, period = _periods(cleaned, rest, days)
    rest = np.isnat(days) & filled
    worded = np.zeros(len(cleaned), dtype=bool)
    if rest.any():
        days, worded = _serials(cleaned, rest, days)
    return Dates(plausible(days), other, order, ambiguous, period, worded, cleaned)


def plausible(days: np.ndarray) -> np.ndarray:
    """Dates (datetime64[D]) with those outside PLAUSIBLE_YEARS made NaT (a copy)."""
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return np.where((years >= PLAUSIBLE_YEARS[0]) & (years <= PLAUSIBLE_YEARS[1]), days, NAT)


def cleaned_dates(text: pa.Array) -> pa.Array:
    """Texts with the ends trimmed, a time of day (`TIME`) dropped and separators (`SEP`) made dashes, but in an
    Excel serial with a time (SERIAL_WITH_TIME), whose point is no separator; no dash at either end."""
    text = call("replace_substring", trimmed(text), options=ReplaceSubstringOptions("\u00a0", " "))
    timed = flags(call("match_substring", text, options=MatchSubstringOptions(":")))  # every time holds a colon
    text = _replaced(text, timed, TIME, TIME_ASCII, "")
    other = _not_ascii(text)
    separated = other | flags(matches(text, SEP_ASCII))
    serial = _found(text, re.compile(SERIAL_WITH_TIME + r"\Z"), SERIAL_ASCII, other, match=True)
    text = _replaced(text, separated & ~serial, SEP, SEP_ASCII + "+", "-")
    return call("utf8_trim", text, options=TrimOptions("-"))


def date_order(cleaned: pa.Array, counts: np.ndarray, parts: _Parts | None = None) -> tuple[str, bool]:
    """(order, ambiguous) of cleaned texts, each occurring `counts` times: the order that reads the most numeric
    dates (ties to year first, then day first); ambiguous when every numeric date reads both day-first and
    month-first (no day above 12)."""
    parts = _Parts.of(cleaned) if parts is None else parts
    other = _not_ascii(cleaned)
    numeric = _found(cleaned, NUMERIC_DATE, NUMERIC_ASCII, other, match=True)
    if not numeric.any():
        return "ymd", False
    weight = np.asarray(counts)[numeric]
    # A value starting with a four-digit year reads in no order but year first (%d and %m take two digits)
    year_first = bool(_found(cleaned, YEAR_FIRST, YEAR_FIRST_ASCII, other, match=True)[numeric].all())
    read = {o: ~np.isnat(parts.days(o))[numeric] if o == "ymd" or not year_first else np.zeros(len(weight), bool)
            for o in DATE_ORDERS}
    totals = {o: int(weight[r].sum()) for o, r in read.items()}
    best = max(totals, key=lambda o: (totals[o], o == "ymd", o == "dmy"))
    day_first_only = int(weight[read["dmy"] & ~read["mdy"]].sum())  # a tie with such dates is a mix, not doubt
    return best, best != "ymd" and totals["dmy"] == totals["mdy"] > 0 and day_first_only == 0


def _fallback_orders(cleaned: pa.Array, counts: np.ndarray, order: str, parts: _Parts) -> list[str]:
    """The orders tried, in turn, on texts the column's own order cannot read: for a year-first column, the order
    its numeric dates written otherwise read best in, then the other day/month order."""
    if order != "ymd":
        return ["ymd", "mdy" if order == "dmy" else "dmy"]
    other = _not_ascii(cleaned)
    slashed = _found(cleaned, NUMERIC_DATE, NUMERIC_ASCII, other, match=True) & \
        ~_found(cleaned, YEAR_FIRST, YEAR_FIRST_ASCII, other, match=True)
    if not slashed.any():
        return []
    picked = positions(np.flatnonzero(slashed))
    best, _ = date_order(call("take", cleaned, picked), np.asarray(counts)[slashed], parts.take(slashed))
    return [best, "mdy" if best == "dmy" else "dmy"]


@dataclass
class _Parts:
    """The numbers of the texts written as up to four digits, up to two and up to four, dash-separated (`at`: their
    positions among `size` texts): each part's value and its count of digits."""

    size: int
    at: np.ndarray
    values: tuple[np.ndarray, np.ndarray, np.ndarray]
    digits: tuple[np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def of(cls, cleaned: pa.Array) -> _Parts:
        found = flags(matches(cleaned, NUMERIC_PARTS))
        at = np.flatnonzero(found)
        if not len(at):
            empty = np.zeros(0, dtype=np.int64)
            return cls(len(cleaned), at, (empty,) * 3, (empty,) * 3)
        split = call("extract_regex", call("filter", cleaned, mask(found)), options=ExtractRegexOptions(NUMERIC_PARTS))
        fields = [split.field(k) for k in "abc"]
        values = tuple(integers(call("cast", f, options=CastOptions(pa.int64()))) for f in fields)
        digits = tuple(integers(call("utf8_length", f)).astype(np.int64) for f in fields)
        return cls(len(cleaned), at, values, digits)

    def take(self, keep: np.ndarray) -> _Parts:
        """The parts of the texts `keep` (a mask of the `size` texts) picks, numbered among those."""
        inside = keep[self.at]
        renumbered = (np.cumsum(keep) - 1)[self.at[inside]]
        return _Parts(int(keep.sum()), renumbered, tuple(v[inside] for v in self.values),
                      tuple(d[inside] for d in self.digits))

    def days(self, order: str) -> np.ndarray:
        """Each text as pandas.to_datetime(format=DATE_ORDERS[order] with dashes, errors="coerce") reads it, as a
        day (NaT where it does not): %Y takes four digits, %m and %d one or two; a date must exist, in years 1-9999 (0-9999 year first)."""
        (a, b, c), (na, _, nc) = self.values, self.digits
        if order == "ymd":
            year, month, day, fits = a, b, c, (na == 4) & (nc <= 2)
        else:
            year, fits = c, (na <= 2) & (nc == 4)
            month, day = (b, a) if order == "dmy" else (a, b)
        fits &= (year >= (0 if order == "ymd" else 1)) & (month >= 1) & (month <= 12) & (day >= 1)  # ISO has a year 0
        first = np.where(fits, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
        length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
        fits &= day <= length
        out = np.full(self.size, NAT)
        out[self.at[fits]] = first[fits].astype("datetime64[D]") + (day[fits] - 1)
        return out


def _periods(cleaned: pa.Array, rest: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`days` with the texts `rest` picks that are written as a period (`PERIOD`: a month, a quarter or a year) read as
    its first day, and which of all the texts are written as one (read or not: `Q3 2024` is, `13-2024` too)."""
    days, period = days.copy(), np.zeros(len(days), dtype=bool)
    at = np.flatnonzero(rest)
    for i, value in zip(at, call("take", cleaned, positions(at)).to_pylist()):
        found = PERIOD.fullmatch(value)
        period[i] = found is not None
        if found is None or len(value) > PERIOD_CHARS:  # `September.,-2024` is one, but left to a reader of words
            continue
        g = found.groupdict()
        year = next(int(g[k]) for k in ("y1", "y2", "y3", "y4", "y5", "y6") if g[k])
        year += 2000 if year < 100 else 0
        month = (int(g["m1"] or g["m2"]) if g["m1"] or g["m2"] else MONTHS.get(g["name"].lower()) if g["name"]
                 else 3 * int(g["q1"] or g["q2"]) - 2 if g["q1"] or g["q2"] else 1)
        if month and 1 <= month <= 12:
            days[i] = np.datetime64(f"{year:04d}-{month:02d}-01", "D")
    return days, period


def _serials(cleaned: pa.Array, rest: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`days` with the texts `rest` picks that are a number in EXCEL_SERIALS read as that Excel serial day (its whole
    part: a fraction is the time of day), and which of the others hold a letter (a month's name, a word)."""
    days, worded = days.copy(), np.zeros(len(days), dtype=bool)
    at = np.flatnonzero(rest)
    for i, value in zip(at, call("take", cleaned, positions(at)).to_pylist()):
        number = float(value) if SIGNED.fullmatch(value) else math.nan
        if EXCEL_SERIALS[0] <= number <= EXCEL_SERIALS[1]:
            days[i] = EXCEL_EPOCH + math.floor(number)
        else:
            worded[i] = re.search("[A-Za-z]", value) is not None
    return days, worded


# ----------------------------------------------------------------------------------------------- amounts


def amounts(text: pa.Array) -> np.ndarray:
    """The amounts of a column's distinct texts (an Arrow text array without missing values) as floats, NaN where a
    text is no number: currency signs and codes dropped, `1,234.5` / `1.234,5` / `(500)` / `1.2M` read; the
    decimal comma is taken when some text ends in a comma and one or two digits and none in a point and one or two
    (which texts occur counts, not how often). A text with other letters (`lots`, `=SUM(A1:A3)`) is no number.
    Texts of digits alone (the commonest amounts) are read at once: they read alike in every convention and have no
    say in the decimal comma."""
    plain = flags(matches(text, f"^{PLAIN_NUMBER}$"))
    out = np.full(len(plain), np.nan)
    if plain.any():
        digits = call("cast", call("filter", text, mask(plain)), options=CastOptions(pa.float64()))
        out[plain] = _floats(digits)
    if not plain.all():
        out[~plain] = written_amounts(call("filter", text, mask(~plain)).to_pylist())
    return out


def written_amounts(texts_: list[str]) -> list[float]:
    """`amounts` of texts, each read as written (currency, separators, signs, scale)."""
    text = [CURRENCY.sub("", t.strip()).strip() for t in texts_]
    scale = [SCALES.get(m.group(1).lower(), 1.0) if (m := SCALE.search(t)) else 1.0 for t in text]
    text = [SCALE.sub("", t) for t in text]
    digits = [NUM_JUNK.sub("", t).strip("()-") for t in text]
    decimal_comma = any(re.search(r",\d{1,2}$", d) for d in digits) and \
        not any(re.search(r"\.\d{1,2}$", d) for d in digits)
    out = []
    for t, d, s in zip(text, digits, scale):
        both = "," in d and "." in d
        as_comma = (both and d.rfind(",") > d.rfind(".")) or (not both and decimal_comma)
        normal = d.replace(".", "").replace(",", ".") if as_comma else d.replace(",", "")
        number = float(normal) * s if DECIMAL.fullmatch(normal) and not WORD.search(t) else math.nan
        out.append(-number if t.startswith("(") and t.endswith(")") or t.startswith("-") else number)
    return out


# ----------------------------------------------------------------------------------------------- Arrow


def _not_ascii(text: pa.Array) -> np.ndarray:
    return ~flags(call("string_is_ascii", text))


def _found(text: pa.Array, pattern: re.Pattern, ascii_pattern: str, other: np.ndarray, match: bool = False
           ) -> np.ndarray:
    """Which texts Python's `pattern` finds (`match`: at the start): by Arrow with `ascii_pattern` (the same for
    RE2, anchored as meant) on ASCII texts, by Python on the `other` ones."""
    out = flags(matches(text, ascii_pattern)) & ~other
    at = np.flatnonzero(other)
    if len(at):
        test = pattern.match if match else pattern.search
        out[at] = [test(v) is not None for v in call("take", text, positions(at)).to_pylist()]
    return out


def _replaced(text: pa.Array, rows: np.ndarray, pattern: re.Pattern, ascii_pattern: str, repl: str) -> pa.Array:
    """`pattern.sub(repl, value)` of the texts `rows` picks (the others hold no match): by Arrow with `ascii_pattern`
    on ASCII texts, by Python on the others."""
    if not rows.any():
        return text
    other = _not_ascii(text)
    by_arrow, by_python = rows & ~other, rows & other
    if by_arrow.any():
        done = call("replace_substring_regex", call("filter", text, mask(by_arrow)),
                    options=ReplaceSubstringOptions(ascii_pattern, repl))
        text = call("replace_with_mask", text, mask(by_arrow), done)
    if by_python.any():
        at = np.flatnonzero(by_python)
        done = [pattern.sub(repl, v) for v in call("take", text, positions(at)).to_pylist()]
        text = call("replace_with_mask", text, mask(by_python), texts(done, text.type))
    return text


def _floats(array: pa.Array) -> np.ndarray:
    return np.frombuffer(array.buffers()[1], dtype=np.float64, count=len(array), offset=array.offset * 8)
