"""Typing rules for spend cells, as Polars expressions: amounts, dates (per-column format vote), redactions
(re-exported from pipelines.normalise.redaction).

All functions work on whole columns; nothing here loops over rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

MONEY = pl.Decimal(18, 2)

# Dates outside this window are parse accidents ("03/04/23" read with a four-digit-year format is year 23),
# not payments. Fixed, not relative to today, so the same bytes always give the same result.
DATE_WINDOW = (dt.date(2000, 1, 1), dt.date(2039, 12, 31))
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (the 1900 leap-year bug is before any spend data)


# --- amounts ------------------------------------------------------------------------------------------------

def amount_expr(expr: pl.Expr) -> pl.Expr:
    """Text -> Decimal(18, 2). Handles £ (either encoding), thousands commas, spaces, (brackets), trailing minus,
    the minus sign "−" or a dash standing for it ("–2,206.88"), a CR (credit: negative) or DR (debit) suffix,
    a leading +, a lone dash (zero), and float artefacts (473.52000000000004): the decimal cast rounds
    half-even to 2 dp. Unparseable text gives null; the
    caller flags it. Every way of writing a credit becomes one leading minus, so the steps form one chain: a
    step used twice in an expression is evaluated twice, and branching on the cleaned text cost 4x as much."""
    return (
        expr.str.strip_chars().str.replace_many(["\u2212", "\u2013", "\u2014"], ["-"] * 3)  # (a dash autocorrected)
        .str.replace_all(r"(?i)[£€$,'\s\u00c2]|GBP", "")  # (' is Excel's text prefix, or Swiss thousands)
        .str.replace(r"^\+", "")
        .str.replace(r"(?i)^-?(.*[\d)])CR\.?$", "-$1")  # a credit (one minus, however often it is marked)
        .str.replace(r"(?i)([\d)])DR\.?$", "$1")  # a debit
        .str.replace(r"^-$", "0")  # a spreadsheet's accounting format writes zero " -   "
        .str.replace(r"^-?\(-?(.*)\)$", "-$1")  # (brackets)
        .str.replace(r"^([0-9.]+)-$", "-$1")  # a trailing minus
        .cast(MONEY, strict=False)
    )


# --- dates --------------------------------------------------------------------------------------------------

# (name, strptime format), in tie-break priority: UK day-first before month-first.
DATE_FORMATS: list[tuple[str, str]] = [
    ("dd/mm/yyyy", "%d/%m/%Y"),
    ("dd/mm/yy", "%d/%m/%y"),
    ("yyyy-mm-dd", "%Y-%m-%d"),
    ("dd-mon-yy", "%d-%b-%y"),
    ("dd-mon-yyyy", "%d-%b-%Y"),
    ("d mon yyyy", "%d %b %Y"),
    ("d month yyyy", "%d %B %Y"),
    ("d mon yy", "%d %b %y"),
    ("yyyy/mm/dd", "%Y/%m/%d"),
    ("yyyymmdd", "%Y%m%d"),
    ("mm/dd/yyyy", "%m/%d/%Y"),
    ("mm/dd/yy", "%m/%d/%y"),
]
_MONTH_FIRST = {"mm/dd/yyyy", "mm/dd/yy"}
_DAY_FIRST_TWIN = {"mm/dd/yyyy": "dd/mm/yyyy", "mm/dd/yy": "dd/mm/yy"}


@dataclass
class DateVote:
    formats: list[str]           # surviving formats, in the order they are applied
    counts: dict[str, int]       # values each candidate parsed inside the window
    values: int                  # non-empty values in the column


def clean_date_text(expr: pl.Expr) -> pl.Expr:
    """Drop a time of day (every date here is a day), a weekday ("Saturday, 1 April 2023", Excel's long date),
    ordinals (14th), Excel's text prefix (') and the 4-letter "Sept"; write a day, month and year joined by dashes
    or dots with slashes ("01-04-23", "01.04.2023") and a named month before its day after it ("April 13, 2023"
    -> "13 April 2023"), so one candidate format reads each family. A cell too long to be a date is none
    (short_cells)."""
    s = short_cells(expr).str.strip_chars().str.strip_chars_start("'")  # Excel's text prefix
    s = s.str.replace(r"[ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$", "")
    s = s.str.replace(r"^\d{1,2}:\d{2}(:\d{2})?$", "")  # a bare time: the date was lost in export
    s = s.str.replace(r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", "")
    s = s.str.replace(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)\b", "$1").str.replace(r"(?i)\bsept\b", "Sep")
    s = s.str.replace(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{2}|\d{4})$", "$1/$2/$3")
    s = s.str.replace(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$", "$2 $1 $3")
    # (an empty text is none: replaced, not tested with when/then, which evaluated the chain above twice)
    return s.str.replace_all(r"\s+", " ").replace("", None)


# Every cleaned cell (clean_date_text) that a day form (DATE_CANDIDATES) reads has this shape: a superset of the
# forms, wide enough for the date library's leniency (it skips spaces before a number: "2026 8 24" reads as
# yyyymmdd). A column of ids, codes or amounts is then tested once per value, not read by thirteen forms.
DAY_SHAPE = (r"^(?:[+-]? *(?:\d *){5,}(?:\.\d+)?"          # yyyymmdd, an Excel serial
             r"|[+-]? *\d+ *[-/] *[+-]? *\d+ *[-/] *[+-]? *\d+"  # dd/mm/yyyy, yyyy-mm-dd and the like
             r"|[+-]? *\d+[- ]*[A-Za-z]+[- ]*[+-]? *\d+)$")     # 1 Apr 2023, 01-APR-23


def short_cells(expr: pl.Expr) -> pl.Expr:
    """The cells short enough to be a date, a month or a quarter ("Wednesday, 13th September 2023 00:00:00.000
    +01:00" is 50 bytes), others null: a column of long distinct texts costs one length test per value, not the
    date forms' dozens of patterns over every byte."""
    return pl.when(expr.str.len_bytes() <= DATE_CELL_BYTES).then(expr)


DATE_CELL_BYTES = 64


def _in_window(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_between(pl.lit(DATE_WINDOW[0]), pl.lit(DATE_WINDOW[1]))).then(expr)


def _excel_serial(expr: pl.Expr) -> pl.Expr:
    """Excel serial day numbers, fractional ones floored to the day (a 01:00 BST export artefact)."""
    number = pl.when(expr.str.contains(r"^\d{5}(\.\d+)?$")).then(expr).cast(pl.Float64, strict=False)
    number = pl.when(number.is_between(30000, 60000)).then(number.floor().cast(pl.Int64))
    return pl.lit(EXCEL_EPOCH, dtype=pl.Date) + pl.duration(days=number)


def _candidate(name: str, fmt: str | None, cleaned: pl.Expr) -> pl.Expr:
    if name == "excel_serial":
        return _in_window(_excel_serial(cleaned))
    return _in_window(cleaned.str.strptime(pl.Date, fmt, strict=False, exact=True))


DATE_CANDIDATES: list[tuple[str, str | None]] = [*DATE_FORMATS, ("excel_serial", None)]


def best_form_share(values: pl.Series, forms: tuple[str, ...]) -> float:
    """The largest share of the (non-null) values that one of `forms` (names of DATE_FORMATS) reads as a day in
    the window, read as vote_date_formats reads them. A column's own vote reads at least this share (it keeps
    its best form), so a high share here settles that a column holds days without the vote over every form."""
    if values.len() == 0:
        return 0.0
    formats = dict(DATE_CANDIDATES)
    reads = _cleaned_distinct(values).select(
        [(_candidate(name, formats[name], pl.col("v")).is_not_null().cast(pl.UInt32) * pl.col("w")).sum().alias(name)
         for name in forms]).row(0)
    return max(reads) / values.len()


def _cleaned_distinct(values: pl.Series) -> pl.DataFrame:
    """The column's distinct values cleaned for the day forms (`v`), with how often each occurs (`w`)."""
    return pl.DataFrame({"v": values}).group_by("v").len("w").select(clean_date_text(pl.col("v")).alias("v"), "w")


def vote_date_formats(values: pl.Series) -> DateVote:
    """Score every candidate format over the whole column (openspending's per-column vote): drop formats that
    parse under 25% of the best; month-first survives only when the data proves it (_month_first_wins).
    Votes are counted over distinct values weighted by how often each occurs (a month of payments has a few
    dozen distinct dates), so the cost does not grow with the number of lines."""
    return vote_from_reads(_cleaned_distinct(values).select(pl.col("w"), *candidate_reads(pl.col("v"))))


def candidate_reads(cleaned: pl.Expr) -> list[pl.Expr]:
    """Whether the (cleaned) value is there (`filled`), and one Date column per candidate format: the day it
    reads the value as (in the window), or null."""
    return [cleaned.is_not_null().alias("filled"),
            *[_candidate(name, fmt, cleaned).alias(name) for name, fmt in DATE_CANDIDATES]]


def read_days(series: pl.Series, distinct: pl.Series,
              period: tuple[dt.date, dt.date] | None = None) -> tuple[DateVote, pl.DataFrame, pl.Series]:
    """The vote over a String column's `distinct` values (each weighted by how often it occurs) and, per distinct
    value and then the null cells' row, its day as the vote's formats read it (`_date`, as date_expr reads it)
    with `_time_only` (time_only_expr); and each cell's position among those rows (as per_distinct gives it).
    One reading of every candidate form: the vote's reads are the days, not read again. `period`: the file's
    first and last day, when known (vote_from_reads)."""
    codes = distinct_codes(series, distinct)
    counts = codes.value_counts(name="w")
    weights = pl.repeat(0, distinct.len() + 1, dtype=pl.UInt32, eager=True).scatter(
        counts.get_column(codes.name), counts.get_column("w"))
    cells = with_null_row(distinct)
    reads = pl.DataFrame({"v": cells, "w": weights}).lazy().with_columns(clean_date_text(pl.col("v")).alias("c")).select(
        pl.col("w"), *candidate_reads(pl.col("c")), time_only_expr(pl.col("v")).alias("_time_only")).collect()
    vote = vote_from_reads(reads, period)
    days = pl.coalesce(vote.formats) if vote.formats else pl.lit(None, dtype=pl.Date)
    return vote, reads.select(days.alias("_date"), "_time_only"), codes


def vote_from_reads(reads: pl.DataFrame, period: tuple[dt.date, dt.date] | None = None) -> DateVote:
    """The vote over distinct cleaned values: `w` (how often each occurs) and the candidate_reads columns.
    `period`: the first and last day of the period the file says it covers, when known (_month_first_wins)."""
    counts_row = reads.select([(pl.col(name).is_not_null() * pl.col("w")).sum().alias(name)
                               for name, _ in DATE_CANDIDATES]).row(0)
    counts = {name: int(c or 0) for (name, _), c in zip(DATE_CANDIDATES, counts_row)}
    total = int(reads.filter(pl.col("filled")).get_column("w").sum())
    best = max(counts.values(), default=0)
    if best == 0:
        return DateVote([], counts, total)
    order = {name: i for i, (name, _) in enumerate(DATE_CANDIDATES)}
    # A format under 25% of the best is kept only if it reads values nobody else reads (checked below): a
    # genuinely mixed column (15% "05-Oct-21" among dd/mm/yyyy) must not lose its minority rows.
    survivors = [n for n, c in counts.items() if c > 0]
    for month_first in _MONTH_FIRST:
        twin = _DAY_FIRST_TWIN[month_first]
        if month_first in survivors and twin in survivors:
            survivors.remove(twin if _month_first_wins(reads, counts, month_first, twin, period) else month_first)
    survivors.sort(key=lambda n: (-counts[n], order[n]))
    # Keep a later format only if it reads values the earlier ones do not ("%d %B %Y" also reads "3 Apr 2023").
    useful: list[str] = []
    for name in survivors:
        # (distinct values suffice here: a format is useful if it reads any value the earlier ones do not)
        if not useful or reads.select((~pl.any_horizontal([pl.col(u).is_not_null() for u in useful])
                                      & pl.col(name).is_not_null()).any()).item():
            useful.append(name)
    return DateVote(useful, counts, total)


def _month_first_wins(reads: pl.DataFrame, counts: dict[str, int], month_first: str, day_first: str,
                      period: tuple[dt.date, dt.date] | None) -> bool:
    """Month-first beats its day-first twin when it reads more values (a 13th month read day-first). When both
    read every value (all days the 12th or earlier), the file's own period decides where it is known and one
    order puts at least half the lines inside it: the order that puts more inside wins, day-first when as many
    ("04/01/2023" to "04/12/2023" in April's file are April's, not the 4th of twelve months; in a year's file,
    the 4th of each month). Where the period is unknown or holds few lines either way (a mislabelled file),
    day-first wins when it reads the first of three months or more (accounting periods), else month-first wins
    when its days fall within a month and the day-first ones spread over months. Otherwise day-first, the UK's
    order, wins."""
    if counts[month_first] != counts[day_first]:
        return counts[month_first] > counts[day_first]
    if period is not None:
        inside = reads.select([(pl.col(name).is_between(pl.lit(period[0]), pl.lit(period[1])) * pl.col("w")).sum()
                               for name in (month_first, day_first)]).row(0)
        if max(inside) * 2 >= counts[day_first]:  # (a period holding few lines either way is a mislabel's)
            return inside[0] > inside[1]  # (as many inside either way: the UK's order)
    # Read day-first, the first of each of several months: a column of accounting periods (each line dated the
    # first of its month), which month-first would put on consecutive days of one January.
    days = pl.col(day_first).drop_nulls()
    firsts, months = reads.select((days.dt.day() == 1).all().alias("firsts"), days.dt.month().n_unique()).row(0)
    if firsts and months >= PERIOD_DATES_MIN_MONTHS:
        return False
    spans = reads.select([(pl.col(name).max() - pl.col(name).min()).dt.total_days()
                          for name in (month_first, day_first)]).row(0)
    return spans[0] <= ONE_MONTH_DAYS < spans[1] // 2


PERIOD_DATES_MIN_MONTHS = 3  # months of first-of-the-month dates that make a column of periods, not January's days


ONE_MONTH_DAYS = 30  # the most days between two dates of one month (the 1st and the 31st)


def date_expr(expr: pl.Expr, vote: DateVote) -> pl.Expr:
    """Parse with the surviving formats in vote order (first success wins); null when none applies."""
    if not vote.formats:
        return pl.lit(None, dtype=pl.Date)
    fmt = dict(DATE_CANDIDATES)
    cleaned = clean_date_text(expr)
    return pl.coalesce([_candidate(name, fmt[name], cleaned) for name in vote.formats])


def by_distinct(series: pl.Series, expr_of: "callable") -> pl.Series:
    """`expr_of(pl.col("v"))` evaluated once per distinct value of a String column and spread back to every
    cell by position (dates, months: columns with few distinct values among many lines)."""
    evaluated, codes = per_distinct(series, expr_of)
    return evaluated.gather(codes)


def per_distinct(series: pl.Series, expr_of: "callable",
                 distinct: pl.Series | None = None) -> tuple[pl.Series, pl.Series]:
    """`expr_of(pl.col("v"))` evaluated once per distinct value of a String column (a null cell is evaluated
    too, as the last value: expr_of(null) need not be null), and each cell's position among those values: its
    code in an Enum of them. A gather by code spreads the results to the cells, where a join back on the text
    held a copy of the column and its hash table (about 50 MB more at a million lines). `distinct`: the
    column's distinct values when already known (or a superset of them, without repeats)."""
    if distinct is None:
        distinct = series.drop_nulls().unique()
    # lazily, so a part the expression uses several times (a payee's cleaned text: its redaction rules read it
    # four times) is computed once; the eager engine computed it each time (6 ms against 2 for 2,300 payees)
    evaluated = pl.DataFrame({"v": with_null_row(distinct)}).lazy().with_columns(
        expr_of(pl.col("v")).alias("out")).collect().get_column("out")
    return evaluated, distinct_codes(series, distinct)


def with_null_row(distinct: pl.Series) -> pl.Series:
    """The rows a column is evaluated on once per value: its distinct values, then a null (distinct_codes)."""
    return pl.concat([distinct, pl.Series([None], dtype=pl.String)])


def distinct_codes(series: pl.Series, distinct: pl.Series) -> pl.Series:
    """Each cell's position among `distinct` (the column's distinct values, or a superset without repeats): its
    code in an Enum of them; a null cell's is `distinct.len()`, the row after them."""
    return series.cast(pl.Enum(distinct)).to_physical().fill_null(distinct.len())


def date_text_expr(column: str, dates: pl.Series) -> pl.Expr:
    """ISO text of the Date column `column`, whose values are `dates` (the same as a cast to String): each day
    of the span formatted once and looked up by day number (a file's lines share few days; formatting every
    line cost 8x more). Lazy, so a slice of the column costs only its own text."""
    days = dates.to_physical()
    first, last = days.min(), days.max()
    if first is None or last - first > DATE_TEXT_SPAN:  # no dates, or a span too long to list (a typo'd year)
        return pl.col(column).cast(pl.String)
    text = pl.int_range(first, last + 1, eager=True).cast(pl.Int32).cast(pl.Date).cast(pl.String)
    return pl.lit(text).gather(pl.col(column).to_physical() - first)


DATE_TEXT_SPAN = 100_000  # days (about 270 years)


def parse_amounts(series: pl.Series, strict: bool = False) -> pl.Series:
    """amount_expr over a column, fast: a plain decimal cast for the (usual) bare numbers, then for the cells it
    refuses the money format's £ and commas dropped and the cast again, and the full clean-up only for what is
    left (brackets, CR, minus signs); same results as amount_expr.
    `strict`, for the amounts a line is counted by, leaves unread (its line flagged) a cell whose reading would
    be a guess: a comma before other than three digits ("1,23", "12,345,67": 123 and 1,234,567 may be 100 times
    off) and a sum in euros or dollars (not pounds). Telling which column holds money stays lenient."""
    fast = series.cast(MONEY, strict=False)
    retry = fast.is_null() & series.is_not_null()
    if not retry.any():
        return fast
    index = retry.arg_true()
    cells = series.gather(index)
    read = cells.str.replace_all(r"[£,\s]", "").cast(MONEY, strict=False)  # "£1,234.56"
    rest = read.is_null().arg_true()
    if rest.len():
        read = read.scatter(rest, pl.DataFrame({"v": cells.gather(rest)}).select(amount_expr(pl.col("v"))).to_series())
    if strict:
        read = pl.select(pl.when(cells.str.contains(GUESSED_AMOUNT)).then(None).otherwise(read)).to_series()
    return fast.scatter(index, read)


GUESSED_AMOUNT = r"\d,(?:\d{1,2}(?:\D|$)|\d{4})|[€$]|(?i:EUR|USD)"


DECIMAL_COMMA = r"^\s*[-(]?\s*[£€]?\s*\d{1,3}(\.\d{3})*,\d{1,2}\s*\)?-?\s*$|^\s*-?\d+,\d{1,2}\s*$"
DECIMAL_POINT = r"^\s*[-(]?\s*[£€]?\s*\d{1,3}(,\d{3})*\.\d{1,2}\d*\s*\)?-?\s*$|^\s*-?\d+\.\d{1,2}\d*\s*$"


def decimal_separator(sample: pl.Series) -> str:
    """"," when the amounts are written with a decimal comma (1.234,56 in continental exports), "." when
    with a decimal point, "ambiguous" when the column has many of both (neither reading would be safe)."""
    filled = sample.drop_nulls()
    if filled.len() == 0:
        return "."
    comma = int(filled.str.contains(DECIMAL_COMMA).sum())
    point = int(filled.str.contains(DECIMAL_POINT).sum())
    if comma and point:
        return "ambiguous" if min(comma, point) >= max(2, 0.05 * filled.len()) else ("," if comma > point else ".")
    return "," if comma else "."


def from_decimal_comma(series: pl.Series) -> pl.Series:
    """1.234,56 -> 1234.56 (thousands dots dropped, the decimal comma made a point), for parse_amounts."""
    return series.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)


YEARLESS_DAY = r"^\d{1,2}(?: [A-Za-z]{3,9}|/\d{1,2})$"  # of _yearless_text: "3 Apr", "3 April", "03/04"


def _yearless_text(expr: pl.Expr) -> pl.Expr:
    return clean_date_text(expr).str.replace(r"^(\d{1,2})[-. ]([A-Za-z]{3,9})\.?$", "$1 $2").alias("v")


def yearless_share(cells: pl.Series) -> float:
    """Share of the (non-null) cells naming a day without a year (a month's name, or day/month), the cells
    yearless_days reads inside a period."""
    filled = cells.drop_nulls()
    if filled.len() == 0:
        return 0.0
    text = _yearless_text(pl.col("v"))
    named = _month_number(text.str.extract(r"^\d{1,2} ([A-Za-z]{3,9})$").str.to_lowercase()).is_not_null()
    return float(pl.DataFrame({"v": filled}).select(
        (named | text.str.contains(r"^\d{1,2}/\d{1,2}$")).fill_null(False).mean()).item())


def yearless_days(cells: pl.Series, period: tuple[dt.date, dt.date] | None) -> pl.Series:
    """The day each String cell names without a year ("03-Apr", "3 April", "03/04", day first), in the year that
    puts it inside `period` (the file's first and last day), or null: with no period, or none inside it, no year
    is guessed."""
    none = pl.repeat(None, cells.len(), dtype=pl.Date, eager=True).alias(cells.name)
    if period is None or cells.len() == 0:
        return none
    text = pl.DataFrame({"v": cells}).select(_yearless_text(pl.col("v")))
    shaped = text.get_column("v").str.contains(YEARLESS_DAY).fill_null(False)
    if not shaped.any():
        return none
    reads = [pl.when(day.is_between(pl.lit(period[0]), pl.lit(period[1]))).then(day)
             for year in sorted({period[0].year, period[1].year})
             for form in ("%d %b %Y", "%d %B %Y", "%d/%m %Y")
             for day in [(pl.col("v") + f" {year}").str.strptime(pl.Date, form, strict=False, exact=True)]]
    return text.select(pl.when(pl.lit(shaped)).then(pl.coalesce(reads)).alias(cells.name)).to_series()


def time_only_expr(expr: pl.Expr) -> pl.Expr:
    """True where the cell is only a time of day ("00:00:00"): the date was lost in export. (Edge spaces are
    matched by the pattern, not stripped first: no copy of the column.)"""
    return expr.str.contains(r"^\s*\d{1,2}:\d{2}(:\d{2})?\s*$").fill_null(False)


# --- redactions ---------------------------------------------------------------------------------------------

# The redaction rules live in the one normalisation module, shared with the supplier resolver and the marts.
from pipelines.normalise.redaction import (  # noqa: E402,F401 - re-exported for the parser
    COMMERCIAL_PATTERNS,
    PERSONAL_PATTERNS,
    PSEUDONYM_PATTERN,
    redaction_kind_expr,
)


# --- months (per-line accounting periods) -------------------------------------------------------------------

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"]
# A month is its name or any abbreviation of it from three letters on ("jan", "sept", "janu", "january").
_MONTH_OF_WORD = {name[:n]: i + 1 for i, name in enumerate(_MONTH_NAMES) for n in range(3, len(name) + 1)}


def _month_number(word: pl.Expr) -> pl.Expr:
    """1..12 for a month name or abbreviation ("Jan", "Sept", "January"), null for any other word."""
    return word.replace_strict(_MONTH_OF_WORD, default=None, return_dtype=pl.Int32)


def _year_of(token: pl.Expr) -> pl.Expr:
    """A four-digit year, or a two-digit one read as 20yy."""
    value = token.cast(pl.Int32, strict=False)
    return pl.when(token.str.len_chars() == 2).then(value + 2000).otherwise(value)


# The forms a month is written in (on month_text: lower case, single spaces), each anchored at both ends.
MONTH_FORMS = {
    "ym": r"^(20\d\d)(?:[-/.]|)(0[1-9]|1[0-2])$",
    "ym_loose": r"^(20\d\d)[-/.](0?[1-9]|1[0-2])$",
    "my": r"^(0?[1-9]|1[0-2])[-/.](20\d\d)$",
    "name_year": r"^([a-z]{3,9})\.?[-/ ']*(\d{2}|20\d\d)$",
    "year_name": r"^(20\d\d)[-/ ]([a-z]{3,9})$",
    "fy_p": r"^(20\d\d) ?[-/] ?(\d\d|20\d\d) ?(?:p|per|period)\.? ?(\d{1,2})$",
    "p_fy": r"^(?:p|per|period)\.? ?(\d{1,2}) ?[-,]? ?(20\d\d) ?[-/] ?(\d\d|20\d\d)$",
}
# Text no month form matches names no month: one test of this union tells which cells month_expr can read.
MONTH_SHAPE = "|".join(f"(?:{form})" for form in MONTH_FORMS.values())


def month_text(expr: pl.Expr) -> pl.Expr:
    """A cell as the month forms read it: stripped, lower case, runs of spaces one space."""
    return expr.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")


def month_expr(expr: pl.Expr, forms: tuple[str, ...] = tuple(MONTH_FORMS)) -> pl.Expr:
    """The first day of the month a cell names, or null: `2017-01`, `2017/1`, `201701`, `01/2017`, `Jan-17`,
    `January 2017`, `2017 Jan`, and financial periods `2016/17 P08`, `P8 2016-17`, `2016/17 Period 8` (P01 is
    April; P13, the year-end adjustments, is March). Day-level dates are not months (see date_expr). `forms`:
    the MONTH_FORMS to read with (a form no cell matches reads nothing: leaving it out spares its planning)."""
    s = month_text(expr)

    def number(part: pl.Expr) -> pl.Expr:
        return part.cast(pl.Int32, strict=False)

    def fy_month(start: pl.Expr, end: pl.Expr, period: pl.Expr) -> pl.Expr:
        """Period p of the financial year start/end: P01 is April of the start year, P12 and P13 are March."""
        first, p = number(start), number(period)
        valid = (number(end) % 100 == (first + 1) % 100) & p.is_between(1, 13)
        return pl.when(valid).then(pl.date(first, 4, 1).dt.offset_by(pl.format("{}mo", pl.min_horizontal(p, 12) - 1)))

    def read(form: str) -> pl.Expr:
        """One form's month (pl.date is null when its year or month is: each form yields only real months).
        Every part is written once: an expression that repeats its sub-expressions grows with every repeat, and
        Polars then took ~12 ms to plan it, per call."""
        part = s.str.extract_groups(MONTH_FORMS[form]).struct.field
        return {
            "ym": lambda: pl.date(number(part("1")), number(part("2")), 1),
            "ym_loose": lambda: pl.date(number(part("1")), number(part("2")), 1),
            "my": lambda: pl.date(number(part("2")), number(part("1")), 1),
            "name_year": lambda: pl.date(_year_of(part("2")), _month_number(part("1")), 1),
            "year_name": lambda: pl.date(number(part("1")), _month_number(part("2")), 1),
            "fy_p": lambda: fy_month(part("1"), part("2"), part("3")),
            "p_fy": lambda: fy_month(part("2"), part("3"), part("1")),
        }[form]()

    # the first form that gives both a year and a month wins
    return _in_window(pl.coalesce([read(form) for form in forms]))


NAMED_MONTH = r"^(?:(?:p|per|period)\.? ?(\d{1,2})|([a-z]{3,9})\.?)$"  # of month_text: "p01", "period 1", "april"


def named_months(cells: pl.Series, period: tuple[dt.date, dt.date] | None) -> pl.Series:
    """The first day of the month each String cell names without a year, inside `period` (the file's first and
    last day, a year at most), or null: a month's name ("April", "Sept") is the month of that name in the
    period; a financial period ("P01", "Period 1", "Per 1": P01 is April, P13 March) needs a period that is
    a financial year. With no period, or none inside it, no year is guessed."""
    none = pl.repeat(None, cells.len(), dtype=pl.Date, eager=True).alias(cells.name)
    if period is None or cells.len() == 0 or (period[1] - period[0]).days > 366:
        return none
    parts = pl.DataFrame({"v": cells}).select(
        month_text(short_cells(pl.col("v"))).str.extract_groups(NAMED_MONTH).alias("m")).unnest("m")
    if parts.select(pl.all().is_null().all()).row(0) == (True, True):
        return none
    first, last = period
    financial_year = first.month == 4 and first.day == 1 and (last - first).days in (364, 365)
    fy_month = pl.col("1").cast(pl.Int32, strict=False)
    month = pl.coalesce(
        pl.when(pl.lit(financial_year) & fy_month.is_between(1, 13))
        .then((pl.min_horizontal(fy_month, 12) + 2) % 12 + 1),  # P01 is April
        _month_number(pl.col("2")))
    year = pl.when(month >= first.month).then(pl.lit(first.year)).otherwise(pl.lit(first.year + 1))
    day = pl.date(year, month, 1)
    return parts.select(pl.when(day.is_between(pl.lit(first.replace(day=1)), pl.lit(last)))
                        .then(day).alias(cells.name)).to_series()


def quarter_starts(cells: pl.Series) -> pl.Series:
    """The first day of the quarter each String cell names (parallel Date results), or null: a financial-year
    quarter (`Q1 2016/17`, `2016-17 Q1`, `Quarter 1 2016/2017`; Q1 is April to June) or three months in a row
    beginning a quarter (`Apr-Jun 2016`, `July 2010-September 2010`, `Jan - Mar 17`). A quarter with a bare
    year (`Q2 2016`) is the quarter of the financial year starting that April, as file names are read
    (periods.parse_period_label). Only the cells that could name one (QUARTER_HINT) are read, in steps (one
    expression reusing its parts cost about 6 ms to plan): a payee "Q2 LIMITED" among thousands of codes costs
    its own reading, not the quarter forms over every value."""
    index = (cells.str.contains(QUARTER_HINT) & (cells.str.len_bytes() <= DATE_CELL_BYTES)).fill_null(False).arg_true()
    quarters = pl.Series(cells.name, [None] * cells.len(), dtype=pl.Date)
    if index.len() == 0:
        return quarters
    s = pl.col("v").str.strip_chars().str.to_lowercase().str.replace_all(r"[\u2013\u2014]", "-") \
        .str.replace_all(r"\s+", " ")
    marker = r"(?:q|qtr|quarter)\.? ?(?P<{}>[1-4])"
    year = r"(?:fy ?)?(?P<{}>20\d\d)(?: ?[-/] ?(?P<{}>\d\d|20\d\d))?"
    short_year = r"(?P<{}>\d{{2}}|20\d\d)"
    parts = pl.DataFrame({"v": cells.gather(index)}).select(
        s.str.extract_groups(f"^(?:{marker.format('n1')} ?[-,]? ?{year.format('y1', 'e1')}"
                             f"|{year.format('y2', 'e2')} ?[-,]? ?{marker.format('n2')})$").alias("q"),
        s.str.extract_groups(rf"^(?P<m1>[a-z]{{3,9}})\.?(?:[ ']*{short_year.format('a1')})? ?(?:-|to) ?"
                             rf"(?P<m2>[a-z]{{3,9}})\.?[ '-]*{short_year.format('a2')}$").alias("m"),
    ).unnest("q", "m").select(
        pl.coalesce("n1", "n2").cast(pl.Int32, strict=False).alias("number"),
        pl.coalesce("y1", "y2").cast(pl.Int32, strict=False).alias("start"),
        pl.coalesce("e1", "e2").cast(pl.Int32, strict=False).alias("end"),
        _month_number(pl.col("m1")).alias("first"), _month_number(pl.col("m2")).alias("last"),
        pl.coalesce(_year_of(pl.col("a1")), _year_of(pl.col("a2"))).alias("first_year"),
        _year_of(pl.col("a2")).alias("last_year"),
    )
    fy_quarter = pl.when(pl.col("end").is_null() | (pl.col("end") % 100 == (pl.col("start") + 1) % 100)).then(
        pl.date("start", 4, 1).dt.offset_by(pl.format("{}mo", (pl.col("number") - 1) * 3)))
    three_months = (pl.col("first").is_in([1, 4, 7, 10]) & (pl.col("last") == pl.col("first") + 2)
                    & (pl.col("first_year") == pl.col("last_year")))
    read = parts.select(_in_window(pl.coalesce(fy_quarter, pl.when(three_months).then(
        pl.date("first_year", "first", 1))))).to_series()
    return quarters.scatter(index, read)


def month_starts(cells: pl.Series) -> pl.Series:
    """The first day of the month (month_expr) each String cell names (parallel Date results), or null. Only the
    cells of a month's shape (MONTH_SHAPE) are read by the forms: month_expr costs about 7 ms to plan, on every
    call, and most calls (a column of days, names or amounts profiled) find no month at all; and only with the
    forms some cell matches (a column of `201610` needs one form of the seven)."""
    text = pl.DataFrame({"v": cells}).select(month_text(short_cells(pl.col("v")))).to_series()
    index = text.str.contains(MONTH_SHAPE).fill_null(False).arg_true()
    months = pl.repeat(None, cells.len(), dtype=pl.Date, eager=True).alias(cells.name)
    if index.len() == 0:
        return months
    shaped = text.gather(index)
    forms = tuple(name for name, form in MONTH_FORMS.items() if shaped.str.contains(form).any())
    read = pl.DataFrame({"v": shaped}).select(month_expr(pl.col("v"), forms)).to_series()
    return months.scatter(index, read)


def period_starts(cells: pl.Series) -> pl.Series:
    """The first day of the month (month_starts) or else the quarter (quarter_starts) each String cell names
    (parallel Date results), or null."""
    return month_starts(cells).fill_null(quarter_starts(cells))


# (ASCII word boundaries: the Unicode ones cost 4 ms to compile, in every process and on every call)
QUARTER_HINT = (r"(?i)(?:(?-u:\b)|\d)q(?:tr|uarter)?\.? ?[1-4](?-u:\b)"
                r"|[a-z]{3}\.?[ '\d]*(?:-|\u2013|\u2014|(?-u:\b)to(?-u:\b))\s*[a-z]{3}")
