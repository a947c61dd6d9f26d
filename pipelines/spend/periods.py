"""Period keys: what span of time one published spending file covers, written so it cannot be misread.

Keys (one form per kind of period, none of which can be read as another):

| key | meaning | example |
|---|---|---|
| `YYYY-MM` | calendar month | `2023-04` = April 2023 |
| `FYYYYY-YY` | financial year 1 April - 31 March | `FY2010-11` = 1 April 2010 - 31 March 2011 |
| `FYYYYY-YY-Qn` | quarter n of a financial year (Q1 = Apr-Jun, Q4 = Jan-Mar) | `FY2023-24-Q4` = Jan-Mar 2024 |
| `FYYYYY-YY-Pnn` | four-weekly period nn (1-13) of a financial year | `FY2021-22-P12` |
| `CYYYYY` | calendar year | `CY2019` |

Legacy keys written before these forms (`YYYY-YY` financial year, `YYYY-Qn` financial-year quarter,
`YYYY-YY-Pnn`) are still read by `period_range` and `upgrade_period_key`, so older warehouses load. One legacy
form is ambiguous: `2010-11` is both November 2010 and the financial year 2010-11; as before, a legacy key whose
second part is a month number is read as that month.

Reading labels (`parse_period_label`), from link text, file names and URLs:

* "April 2023", "Sept 2022", "Janurary 2021", "apr23", "DCCSpendingOver500_202304.csv", "2019.11" -> month.
* "2010/11", "2010 to 2011", "2010-2011", "FY 2010-11", "April 2010 to March 2011" -> financial year.
  A hyphenated pair of a year and the next year's two digits ("2012-13") is a financial year, except in the
  years 2000-2011 where the pair is also a month ("2010-11"): there it is read as the month, the way machine
  labels and file names write months, unless a slash, "to", a four-digit second year, a financial-year word or a
  quarter/period marker says it is a year.
* "Q2 2023/24", "2023-24 Q2", "Quarter 1 2023-24", "jan-mar-2024" (three months ending in Mar/Jun/Sep/Dec)
  -> financial-year quarter. A quarter with a bare year ("Q2 2024") is read as the quarter of the financial
  year starting in April of that year (the public-sector convention; sources.md §9).
* "Period 12 2021/22", "P05 2019-20" -> four-weekly period.
* "January to December 2019", "calendar year 2019" -> calendar year. A bare year ("2019") names no period:
  financial and calendar years are both common, so the payment dates decide (`period_key_for_dates`).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from rapidfuzz import fuzz

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTH_ABBR = {name[:3]: i for name, i in MONTHS.items()}
WPDM_PREFIX = re.compile(r"^\d{9,}wpdm_", re.IGNORECASE)

PRECISIONS = ("month", "quarter", "period", "year")


# --------------------------------------------------------------------------------------------------------------
# key constructors

def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def fy_key(start_year: int) -> str:
    return f"FY{start_year:04d}-{(start_year + 1) % 100:02d}"


def fy_quarter_key(start_year: int, quarter: int) -> str:
    return f"{fy_key(start_year)}-Q{quarter}"


def fy_period_key(start_year: int, period: int) -> str:
    return f"{fy_key(start_year)}-P{period:02d}"


def cy_key(year: int) -> str:
    return f"CY{year:04d}"


def _fy_start(year: int, month: int) -> int:
    return year if month >= 4 else year - 1


def _quarter_of(month: int) -> int:
    return (month - 4) % 12 // 3 + 1


# --------------------------------------------------------------------------------------------------------------
# reading keys

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_FY = re.compile(r"FY(\d{4})-(\d{2})")
_FY_QUARTER = re.compile(r"FY(\d{4})-(\d{2})-Q([1-4])")
_FY_PERIOD = re.compile(r"FY(\d{4})-(\d{2})-P(\d{2})")
_CY = re.compile(r"CY(\d{4})")
_LEGACY_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_LEGACY_PERIOD = re.compile(r"(\d{4})-(\d{2})-P(\d{2})")


def _check_fy(start: str, end: str, key: str) -> int:
    year = int(start)
    if int(end) != (year + 1) % 100:
        raise ValueError(f"not a period key: {key!r} (the second year must follow the first)")
    return year


def _parse_key(key: str) -> tuple[str, int, int]:
    """(kind, year, n) of a current or legacy key: kind month | fy | quarter | period | cy."""
    if not isinstance(key, str):
        raise ValueError(f"not a period key: {key!r}")
    if m := _FY_QUARTER.fullmatch(key):
        return "quarter", _check_fy(m.group(1), m.group(2), key), int(m.group(3))
    if m := _FY_PERIOD.fullmatch(key):
        period = int(m.group(3))
        if not 1 <= period <= 13:
            raise ValueError(f"not a period key: {key!r} (periods run 01-13)")
        return "period", _check_fy(m.group(1), m.group(2), key), period
    if m := _FY.fullmatch(key):
        return "fy", _check_fy(m.group(1), m.group(2), key), 0
    if m := _CY.fullmatch(key):
        return "cy", int(m.group(1)), 0
    if (m := _MONTH.fullmatch(key)) and 1 <= int(m.group(2)) <= 12:
        return "month", int(m.group(1)), int(m.group(2))
    # legacy forms
    if m := _LEGACY_QUARTER.fullmatch(key):
        return "quarter", int(m.group(1)), int(m.group(2))
    if m := _LEGACY_PERIOD.fullmatch(key):
        period = int(m.group(3))
        if not 1 <= period <= 13:
            raise ValueError(f"not a period key: {key!r} (periods run 01-13)")
        return "period", _check_fy(m.group(1), m.group(2), key), period
    if m := _MONTH.fullmatch(key):
        return "fy", _check_fy(m.group(1), m.group(2), key), 0
    raise ValueError(f"not a period key: {key!r}")


def is_period_key(key: str | None) -> bool:
    """True for a current-form key (legacy keys are readable but not current)."""
    if not key:
        return False
    try:
        _parse_key(key)
    except ValueError:
        return False
    return upgrade_period_key(key) == key


def upgrade_period_key(key: str) -> str:
    """The current form of a current or legacy key (`2010-11` stays the month it was always read as)."""
    kind, year, n = _parse_key(key)
    if kind == "month":
        return month_key(year, n)
    if kind == "fy":
        return fy_key(year)
    if kind == "quarter":
        return fy_quarter_key(year, n)
    if kind == "period":
        return fy_period_key(year, n)
    return cy_key(year)


def period_range(key: str) -> tuple[date, date]:
    """First and last day a period key (current or legacy form) covers; ValueError for anything else."""
    kind, year, n = _parse_key(key)
    if kind == "month":
        return date(year, n, 1), date(year, n, calendar.monthrange(year, n)[1])
    if kind == "quarter":
        start_month = 4 + 3 * (n - 1)
        y = year + (start_month - 1) // 12
        sm = (start_month - 1) % 12 + 1
        em = sm + 2
        return date(y, sm, 1), date(y, em, calendar.monthrange(y, em)[1])
    if kind == "period":
        # Four-weekly periods: 13 periods of 28 days from 1 April, the last one running to 31 March.
        start = date(year, 4, 1) + timedelta(days=28 * (n - 1))
        end = date(year + 1, 3, 31) if n == 13 else start + timedelta(days=27)
        return start, end
    if kind == "fy":
        return date(year, 4, 1), date(year + 1, 3, 31)
    return date(year, 1, 1), date(year, 12, 31)


def period_precision(key: str | None) -> str:
    """`month` | `quarter` | `period` (four-weekly) | `year` (financial or calendar) | `none` (no or bad key)."""
    if not key:
        return "none"
    try:
        kind, _, _ = _parse_key(key)
    except ValueError:
        return "none"
    return {"month": "month", "quarter": "quarter", "period": "period", "fy": "year", "cy": "year"}[kind]


def period_key_for_dates(first: date, last: date) -> str:
    """The smallest period key covering payment dates from `first` to `last` (when no link named one).

    Month, then financial-year quarter, then financial year, then calendar year; a file spanning several years
    is keyed by the financial year of its last payment (it is then compared as that year only).
    """
    if first > last:
        first, last = last, first
    if (first.year, first.month) == (last.year, last.month):
        return month_key(first.year, first.month)
    fy_first, fy_last = _fy_start(first.year, first.month), _fy_start(last.year, last.month)
    if fy_first == fy_last:
        if _quarter_of(first.month) == _quarter_of(last.month):
            return fy_quarter_key(fy_first, _quarter_of(first.month))
        return fy_key(fy_first)
    if first.year == last.year:
        return cy_key(first.year)
    return fy_key(fy_last)


# --------------------------------------------------------------------------------------------------------------
# reading labels

def _month_of(word: str) -> int | None:
    """A month from a word, tolerating abbreviations ("Sept") and typos ("Janurary"); not "market" or "mayors"."""
    word = word.lower().rstrip(".")
    if len(word) < 3 or word[:3] not in MONTH_ABBR:
        return None
    month = MONTH_ABBR[word[:3]]
    full = calendar.month_name[month].lower()
    if full.startswith(word) or word == "sept":
        return month
    if len(word) >= 5 and fuzz.ratio(word, full) >= 80:
        return month
    return None


def _normalise(text: str) -> str:
    text = unquote(text or "").replace("\u2013", "-").replace("\u2014", "-")
    text = WPDM_PREFIX.sub("", text)
    return re.sub(r"\s+", " ", text).strip().lower()


_FY_PAIR = re.compile(r"(?<!\d)(20\d\d)\s*([-_/]|\bto\b)\s*(20)?(\d\d)(?!\d)")
_FY_WORDS = re.compile(r"\bfy\b|\bfy\d|financial[-_ ]year|\bfin(?:ancial)?[-_ ]?yr\b|\byear\b|\bannual\b|\byr\b")
_QUARTER = re.compile(r"(?<![a-z])(?:q|qtr|quarter)[-_ ]?([1-4])(?!\d)")
_PERIOD = re.compile(r"(?<![a-z])(?:period|p)[-_ ]?(\d{1,2})(?!\d)")
_CALENDAR_YEAR = re.compile(r"calendar[-_ ]year[-_ ](20\d\d)\b")


def _financial_year_in(t: str, *, marked: bool) -> int | None:
    """The start year of a financial year the text names ("2010/11", "2012-13", "2010 to 2011"), else None.

    `marked` = the text carries a quarter or period marker, which makes a pair a year even where it could be a
    month ("2010-11 Q2")."""
    for m in _FY_PAIR.finditer(t):
        start, sep, century, end = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        if end != (start + 1) % 100:
            continue
        could_be_month = sep in "-_" and not century and 1 <= end <= 12
        if could_be_month and not (marked or _FY_WORDS.search(t)):
            continue
        # "2010-11-15" is a date, not a year pair
        if re.match(r"[-_/.]\d", t[m.end():m.end() + 2]):
            continue
        return start
    return None


def parse_period_label(text: str) -> str | None:
    """The period key one piece of text names, or None (see the module docstring for the forms read)."""
    t = _normalise(text)
    if not t:
        return None
    period = _PERIOD.search(t)
    quarter = _QUARTER.search(t)
    fy_start = _financial_year_in(t, marked=bool(period or quarter))
    if fy_start is not None and period and 1 <= int(period.group(1)) <= 13:
        return fy_period_key(fy_start, int(period.group(1)))
    if quarter:
        if fy_start is not None:
            return fy_quarter_key(fy_start, int(quarter.group(1)))
        years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", t)
        if years:
            return fy_quarter_key(int(years[0]), int(quarter.group(1)))
    if m := _CALENDAR_YEAR.search(t):
        return cy_key(int(m.group(1)))
    tokens = re.findall(r"[a-z]+|\d+", t)
    months = [(i, m) for i, tok in enumerate(tokens) if (m := _month_of(tok))]
    years: list[int] = []
    for i, tok in enumerate(tokens):
        if re.fullmatch(r"20\d\d", tok):
            years.append(int(tok))
        elif re.fullmatch(r"\d{2}", tok) and i > 0 and _month_of(tokens[i - 1]):
            years.append(2000 + int(tok))  # "apr23", "April 23"
    if len(months) >= 2 and years:
        first, last = months[0][1], months[-1][1]
        year = years[-1]
        if first == 4 and last == 3:
            return fy_key(years[0] if len(years) >= 2 else year - 1)
        if first == 1 and last == 12 and (len(years) == 1 or years[0] == years[-1]):
            return cy_key(year)
        start_year = year if first <= last else year - 1
        span = (last - first) % 12
        if span == 0:
            return month_key(year, first)
        if span == 2 and first in (1, 4, 7, 10):
            return fy_quarter_key(_fy_start(start_year, first), _quarter_of(first))
        return None  # a range that is not a month, a quarter or a year: the payment dates decide
    if months and years:
        return month_key(years[0], months[0][1])
    if fy_start is not None:
        return fy_key(fy_start)
    numeric = re.search(r"(?<!\d)(20\d\d)[-_ .]?(0[1-9]|1[0-2])(?!\d)", t)
    if numeric:
        return month_key(int(numeric.group(1)), int(numeric.group(2)))
    numeric = re.search(r"(?<!\d)(0?[1-9]|1[0-2])[-_ .](20\d\d)(?!\d)", t)
    if numeric:
        return month_key(int(numeric.group(2)), int(numeric.group(1)))
    return None


def file_name_of(url: str) -> str:
    """The file name a URL serves: a WordPress Download Manager `filename=` parameter, else the last path part."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for key in ("filename", "file", "name"):
        if query.get(key) and "." in query[key][0]:
            return query[key][0]
    return unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])


def period_label_for(link_text: str, url: str) -> str | None:
    """The period of a link: from its text, else its file name, else its URL; a month named only in the text
    ("August") takes its year from the URL ("/2022/August.csv")."""
    for text in (link_text, file_name_of(url), urlsplit(url).path):
        label = parse_period_label(text)
        if label:
            return label
    return parse_period_label(f"{link_text} {unquote(urlsplit(url).path)}")
