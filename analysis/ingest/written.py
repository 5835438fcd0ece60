"""How dates and amounts are written in exports: the patterns analysis/ingest/values.py reads them by (for
analysis/ingest/parse.py and the pandas-free analysis/cli/summary_fast.py alike)."""

from __future__ import annotations

import re

DATE_ORDERS = {"ymd": "%Y-%m-%d", "dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"}
ORDER_NAMES = {"ymd": "year first", "dmy": "day first", "mdy": "month first"}
SEP = re.compile(r"[./\s]+")
TIME = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?(Z|[+-]\d{2}:?\d{2})?$")
NUMERIC_DATE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,4}$")
EXCEL_SERIALS = (20_000, 80_000)  # 1954..2119: a bare number in this range in a date column is a serial
# A serial with the time of day as its fraction (45000.6 is 2023-03-15 14:24, a date-time cell exported raw):
# its point is not a separator of day, month and year, and the day is its whole part.
SERIAL_WITH_TIME = r"[2-7]\d{4}\.\d+"
# What `SEP`'s class matches among ASCII characters (Python's \s includes \v and \x1c-\x1f), written for
# Arrow's regular expressions, which test a whole column at once: only the values it finds (and any that
# are not ASCII) go through Python's `re`, a value at a time.
SEP_ASCII = r"[./\t\n\x0b\f\r\x1c-\x1f ]"
NUM_JUNK = re.compile(r"[^\d,.\-()]")
CURRENCY = re.compile(r"(?i)\b(?:USD|EUR|GBP|CHF|CAD|AUD|NZD|JPY|CNY|INR|SEK|NOK|DKK|PLN|BRL|ZAR)\b|[$€£¥₹]")
SCALE = re.compile(r"(?i)(?<=\d)\s*(k|m|mm|mn|bn|b)$")
SCALES = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}  # 500k, 1.2M, 2bn in hand-kept sheets
PLAIN_NUMBER = "[0-9]{1,15}"  # digits only, few enough to be exact as a float: the commonest amounts
