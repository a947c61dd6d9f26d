"""Map columns by what they hold when their headers do not say (parsing stage "map", second step).

Header aliases come first (parse._map_headers). Then, for the three roles a payment line needs - the payment
date (or its accounting month), the amount and the payee - this module checks that the column the headers
chose holds that kind of value, and when a role is unmapped, or its column holds something else, infers it
from the values of a deterministic sample of rows:

* a date column parses as day dates (the per-column format vote) or as months (`2017-01`, `201610`, `Jan-17`,
  `2016/17 P08`); between two date columns the varying one beats a constant one (a period end), and the one
  that is never earlier beats the other (an invoice date precedes its payment);
* a money column parses as amounts, mostly with pence, and is not an identifier (integers of one width,
  leading zeros, VAT-number shapes) or a code (few distinct integers); between money columns a column of
  VAT-sized values loses to the column it is a fraction of, and of gross = net + VAT the net one wins;
* a payee column holds words, many distinct values, names like organisations (Ltd, Council, Trust ...), not a
  constant (the body's own name) nor a short list of categories nor code-like tokens.

A role is left unmapped (and the file rejected, naming the role and the candidate columns) only when no column
fits, or two fit equally and nothing in the values or headers tells them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from pipelines.spend import values

SAMPLE_ROWS = 2000
ROLE_WORDS = {
    "payment_date": re.compile(r"(?i)pa(id|y)|date|period|month|posted|cleared|clearing"),
    "amount": re.compile(r"(?i)amount|value|net|total|spend|paid|£|gbp|cost|sum|expenditure"),
    "supplier_name": re.compile(r"(?i)supplier|payee|vendor|beneficiar|benificiar|name|creditor|merchant|recipient"),
}
# Words of organisations' names (legal forms and kinds of body), not of spending categories ("Services",
# "Care", "&" are both).
COMPANY_WORDS = (r"(?i)\b(ltd|limited|plc|llp|cic|cio|inc|llc|gmbh|council|trust|association|society|charity|"
                 r"university|college|school|academy|nhs|partnership|sons|foundation|church|t/a)\b")
# Fields whose values are codes or numbers by nature (a column holding payee names under such a header is
# mislabelled: Gateshead's "Supplier ID(T)").
CODE_FIELDS = {"transaction_id", "line_no", "invoice_number", "supplier_id", "supplier_vat_reg",
               "supplier_company_no", "supplier_charity_no", "expense_code", "body_code"}
FIT = 0.5  # share of filled sample values that must fit a role for a column to hold it
# The least money score of a column taken as the amount by its content: whole pounds on every row score 0.4;
# project codes that parse on half their values ("00000000" beside "SE3263"), or a mostly empty column with one
# number, score about 0.2 or less and would make up the money.
MIN_MONEY_SCORE = 0.3


@dataclass(frozen=True)
class ColumnProfile:
    """What one column's sampled values look like (shares are of its filled sample values)."""
    index: int
    header: str
    filled: int
    distinct: int
    day_share: float
    month_share: float
    money_share: float
    decimal_share: float
    id_like: bool  # (tested only on a column that reads as money: the one score it changes is money_score)
    letter_share: float
    company_share: float
    mean_words: float
    code_like_share: float
    rows: int = 0  # sampled rows (filled / rows is how full the column is)
    named_month_share: float = 0.0  # months named without a year ("P01", "April"), read in the file's period

    @property
    def fullness(self) -> float:
        """1 for a column filled on at least half the rows: a role's column is rarely mostly empty."""
        return min(1.0, 2 * self.filled / self.rows) if self.rows else 0.0

    @property
    def date_share(self) -> float:
        return max(self.day_share, self.month_share, self.named_month_share)

    @property
    def money_score(self) -> float:
        if self.id_like or self.date_share >= FIT or self.filled == 0 or (self.filled > 1 and self.distinct <= 1):
            return 0.0  # identifiers, dates and a constant (a zero VAT column) are not the amount
        return self.money_share * (0.4 + 0.6 * self.decimal_share) * self.fullness

    @property
    def name_score(self) -> float:
        if self.filled == 0 or (self.filled > 1 and self.distinct <= 1) or self.date_share >= FIT or self.money_share >= FIT:
            return 0.0
        variety = min(1.0, 3 * self.distinct / self.filled)  # categories repeat; payees and free text vary
        wordy = 1.0 if self.mean_words <= 8 else 0.5  # free-text descriptions run long
        organisations = 0.4 + 0.6 * min(1.0, 2 * self.company_share)  # payees are often companies, bodies
        return self.letter_share * (1 - self.code_like_share) * variety * wordy * organisations * self.fullness


def sample(body: pl.DataFrame, columns: list[str], rows: int = SAMPLE_ROWS) -> pl.DataFrame:
    """Up to `rows` body rows spread evenly over the sheet (the same rows for the same bytes)."""
    frame = body.select(columns)
    if frame.height <= rows:
        return frame
    return frame.gather_every(frame.height // rows + 1)


ROLES = ("amount", "payment_date", "supplier_name")


def headers_suffice(frame: pl.DataFrame, headers: list[str], fields: list[str | None],
                    period: tuple | None = None) -> bool:
    """True when the header mapping already gives every role a column holding such values, so no column
    needs profiling (the common case, kept cheap). The payment date is looked for even where the lines could do
    without one (dated by the file's period, or totals per supplier): a column of dates under an unknown
    header still dates them."""
    if not all(r in fields for r in ROLES):
        return False
    for role in ROLES:
        s = frame.get_column(frame.columns[fields.index(role)]).drop_nulls()
        if role == "payment_date" and values.best_form_share(s, COMMON_DAY_FORMS) >= FIT:
            continue  # most date columns: one common form settles it, without the vote over every form
        if s.len() and _quick_fit(s, role, period) < FIT:
            return False
    return True


COMMON_DAY_FORMS = ("dd/mm/yyyy", "yyyy-mm-dd")  # (times and weekdays are cleaned off before reading)


def _day_share(s: pl.Series) -> float:
    """Share of the (non-null) values read as days by the column's own format vote."""
    return _day_shares(_cells(pl.DataFrame({"": s})))[""]


def _day_shares(cells: "Cells") -> dict[str, float]:
    """The share of each column's (non-null) values read as days by the column's own format vote
    (values.vote_date_formats), the candidate formats evaluated once over all columns' distinct values."""
    reads = (cells.with_digits.group_by("column", "v").len("w")
             .with_columns(values.clean_date_text(pl.col("v")))  # once, not inside each candidate
             .filter(pl.col("v").str.contains(values.DAY_SHAPE))  # (the values no day form can read go)
             .select(pl.col("column"), pl.col("w"), *values.candidate_reads(pl.col("v"))))
    shares = {}
    for (name,), column_reads in reads.partition_by("column", as_dict=True).items():
        vote = values.vote_from_reads(column_reads)
        read = (column_reads.filter(pl.any_horizontal([pl.col(f).is_not_null() for f in vote.formats]))
                .get_column("w").sum() if vote.formats else 0)
        shares[name] = int(read) / cells.filled[name]
    return {name: shares.get(name, 0.0) for name in cells.filled}


def _month_share(s: pl.Series) -> float:
    """Share of the (non-null) values read as months or quarters."""
    return _month_shares(_cells(pl.DataFrame({"": s})))[""]


def _quick_fit(s: pl.Series, role: str, period: tuple | None = None) -> float:
    """_fits for one column, computing only what that role needs (the cheap checks first). `period`: the file's
    first and last day, in which months named without a year are read."""
    if role == "amount":
        return float(values.parse_amounts(s).is_not_null().mean())
    if role == "payment_date":
        cells = _cells(pl.DataFrame({"": s}))  # stacked once for the day and the month readings
        day = _day_shares(cells)[""]
        if day >= FIT:
            return day
        return max(day, _month_shares(cells)[""], values.yearless_share(s),
                   float(values.named_months(s, period).is_not_null().mean()))
    letters = float(s.str.contains(r"[A-Za-z]").mean())
    if letters >= FIT and float(s.str.contains(CODE_LIKE).mean()) >= FIT:
        return 0.0  # supplier codes ("V5001") under a payee header
    if letters < FIT or float(s.str.contains(AMOUNT_MARK).mean()) < FIT:
        return letters  # (too few values could be amounts for the column to be money: names, not read as such)
    return letters if float(values.parse_amounts(s).is_not_null().mean()) < FIT else 0.0


# One token mixing letters and digits ("CAPEELOC36004527", "R1234", "V5001") or all capitals of <= 5 letters: a
# code, not a payee's name (a column mostly of them holds supplier codes, whatever its header says).
CODE_LIKE = r"^(?:\S*\d\S*[A-Za-z]\S*|\S*[A-Za-z]\S*\d\S*|[A-Z]{1,5})$"
AMOUNT_MARK = r"[\d\-\u2212\u2013\u2014]"  # every value read as an amount holds a digit or a dash ("-" is a zero)


def profile(frame: pl.DataFrame, headers: list[str], period: tuple | None = None) -> list[ColumnProfile]:
    """Every column's profile. The text statistics and the day, month and money shares of all columns are
    computed in one evaluation each (Polars' setup of an expression costs more than a sample column's values).
    `period`: the file's first and last day, in which months named without a year ("P01", "April") are read."""
    def stats_of(i: int, c: str) -> list[pl.Expr]:
        v = pl.col(c)  # means and counts over the filled cells only (nulls are skipped)
        return [
            v.str.contains(r"[.,]\d{1,2}\s*$|^\s*£|[0-9],\d{3}").mean().alias(f"{i}.decimal"),
            v.str.contains(r"[A-Za-z]").mean().alias(f"{i}.letters"),
            v.str.contains(COMPANY_WORDS).mean().alias(f"{i}.company"),
            v.str.count_matches(r"\S+").mean().alias(f"{i}.words"),
            v.str.contains(CODE_LIKE).mean().alias(f"{i}.code"),
            v.drop_nulls().n_unique().alias(f"{i}.distinct"),
        ]
    filled = {c: frame.get_column(c).drop_nulls() for c in frame.columns}
    filled = {c: s for c, s in filled.items() if s.len()}
    stats = frame.select([e for i, c in enumerate(frame.columns) if c in filled
                          for e in stats_of(i, c)]).row(0, named=True) if filled else {}
    cells = _cells(frame)
    days, months, moneys = _day_shares(cells), _month_shares(cells), _money_shares(cells)
    named = _named_month_shares(cells, period)
    out = []
    for i, (column, header) in enumerate(zip(frame.columns, headers)):
        s = filled.get(column)
        if s is None:
            out.append(ColumnProfile(i, header, 0, 0, 0, 0, 0, 0, False, 0, 0, 0, 0, frame.height))
            continue
        day = days[column]
        month = months[column] if day < FIT else 0.0
        money = moneys[column]
        out.append(ColumnProfile(i, header, s.len(), int(stats[f"{i}.distinct"]), day, month,
                                 money, float(stats[f"{i}.decimal"]), money >= FIT and _id_like(s),
                                 float(stats[f"{i}.letters"]), float(stats[f"{i}.company"]),
                                 float(stats[f"{i}.words"] or 0), float(stats[f"{i}.code"]), frame.height,
                                 named.get(column, 0.0) if day < FIT else 0.0))
    return out


@dataclass(frozen=True)
class Cells:
    """Columns' filled values one under another (`column`, its name, and `v`), stacked once for all the
    shares a profile reads: `with_digits` keeps the values holding a digit, the only ones any day or month
    form reads (a column of names or categories then costs one scan, not the date parsers' work)."""
    all: pl.DataFrame
    with_digits: pl.DataFrame
    filled: dict[str, int]  # each column's count of values (the shares' denominator)


def _cells(frame: pl.DataFrame) -> Cells:
    stacked = frame.select(pl.all().cast(pl.String)).unpivot(variable_name="column", value_name="v").drop_nulls("v")
    return Cells(stacked, stacked.filter(pl.col("v").str.contains(r"\d")),
                 dict(zip(frame.columns, frame.select(pl.all().count()).row(0))))


def _month_shares(cells: Cells) -> dict[str, float]:
    """The share of each column's (non-null) values read as months or quarters (the accounting periods a line
    can be dated by), the forms evaluated once per distinct value of all the columns together."""
    v = cells.with_digits.get_column("v")
    distinct = v.unique()
    read = values.period_starts(distinct).is_not_null().gather(v.cast(pl.Enum(distinct)).to_physical())
    return _shares(cells, cells.with_digits, read)


def _named_month_shares(cells: Cells, period: tuple | None) -> dict[str, float]:
    """The share of each column's values naming a month without a year inside `period` (values.named_months),
    read once per distinct value; none without a period."""
    if period is None:
        return {}
    v = cells.all.get_column("v")
    distinct = v.unique()
    read = values.named_months(distinct, period).is_not_null().gather(v.cast(pl.Enum(distinct)).to_physical())
    return _shares(cells, cells.all, read)


def _money_shares(cells: Cells) -> dict[str, float]:
    """The share of each column's (non-null) values read as amounts (values.amount_expr), evaluated once per
    distinct value of all the columns together."""
    v = cells.all.get_column("v")
    return _shares(cells, cells.all, values.by_distinct(v, values.amount_expr).is_not_null())


def _shares(cells: Cells, stacked: pl.DataFrame, read: pl.Series) -> dict[str, float]:
    """Per column, the share of its values (all of them, not only the stacked ones) that `read` (one Boolean
    per stacked value) holds true."""
    counts = dict(stacked.select(pl.col("column"), read.alias("read")).group_by("column")
                  .agg(pl.col("read").sum()).iter_rows())
    return {name: int(counts.get(name, 0)) / n if n else 0.0 for name, n in cells.filled.items()}


def _id_like(s: pl.Series) -> bool:
    """Identifiers and codes that happen to be numbers: integers of one width (transaction numbers, supplier
    ids), leading zeros, VAT numbers, or a handful of distinct integers (cost-centre and expense codes)."""
    v = s.str.strip_chars()
    integers = v.str.contains(r"^\d+$")
    if integers.mean() < 0.9:
        return bool(v.str.contains(r"(?i)^(gb)?\s?\d{3}\s?\d{4}\s?\d{2}(\s?\d{3})?$").mean() >= 0.5)
    ints = v.filter(integers)
    lengths = ints.str.len_chars()
    width_mode_share = lengths.value_counts(sort=True).get_column("count")[0] / ints.len()
    if width_mode_share >= 0.9 and lengths.min() >= 5:
        return True
    if ints.str.starts_with("0").mean() >= 0.1 and ints.len() >= 5:
        return True
    return ints.n_unique() <= max(3, ints.len() // 20) and ints.len() >= 40


# --- resolving the three roles ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    """The outcome for one sheet: the (possibly changed) field per column, with basis and score, the notes to
    warn about, and an error (reason code, text) when a required role cannot be told."""
    fields: list[str | None]
    bases: list[str | None]
    scores: list[float]
    notes: list[str]
    error: tuple[str, str] | None = None


def _fits(p: ColumnProfile, role: str) -> float:
    if role == "payment_date":
        return p.date_share
    if role == "amount":
        return p.money_share  # a header's amount column may be constant or whole pounds: it only has to parse
    return p.letter_share if p.money_share < FIT and p.date_share < FIT and p.code_like_share < FIT else 0.0


def _holds(p: ColumnProfile, role: str, frame: pl.DataFrame) -> bool:
    """Does the column the header gave `role` hold such values (or nothing: its rows are flagged later)? Days
    written without a year count under a date header (read inside the file's period), not by content alone."""
    if p.filled == 0 or _fits(p, role) >= FIT:
        return True
    return role == "payment_date" and values.yearless_share(frame.get_column(frame.columns[p.index])) >= FIT


def _role_score(p: ColumnProfile, role: str) -> float:
    words = 0.1 if ROLE_WORDS[role].search(p.header or "") else 0.0
    if role == "payment_date":
        base = p.date_share if p.date_share >= FIT else 0.0
    elif role == "amount":
        base = p.money_score if p.money_share >= FIT and p.money_score >= MIN_MONEY_SCORE else 0.0
    else:
        base = p.name_score
    return base + words if base else 0.0


def resolve(profiles: list[ColumnProfile], fields: list[str | None], bases: list[str | None],
            scores: list[float], frame: pl.DataFrame, date_required: bool) -> Resolution:
    """Check and complete the header mapping for payment_date, amount and supplier_name (see the module
    docstring). `frame` is the sampled body (columns parallel to `profiles`)."""
    fields, bases, scores = list(fields), list(bases), list(scores)
    notes: list[str] = []
    for role in ("amount", "payment_date", "supplier_name"):
        current = fields.index(role) if role in fields else None
        if current is not None and _holds(profiles[current], role, frame):
            continue  # the header's column holds what it says (or nothing at all: rows are flagged later)
        # columns holding another role's values stay with it; a mislabelled one (names under "Amount") is free
        taken = {i for i, f in enumerate(fields) if f in ROLES and f != role
                 and (profiles[i].filled == 0 or _fits(profiles[i], f) >= FIT)}
        pool = [p for p in profiles if p.index not in taken and p.index != current and _available(p, fields[p.index], role)]
        ranked = sorted(((round(_role_score(p, role), 6), p) for p in pool), key=lambda sp: (-sp[0], sp[1].index))
        ranked = [(s, p) for s, p in ranked if s > 0]
        choice, why = _choose(role, ranked, frame)
        if choice is None:
            if current is not None:
                if role == "amount":
                    bad = profiles[current]
                    return Resolution(fields, bases, scores, notes, (
                        "amount_unparseable", f"the amount column {bad.header!r} holds no amounts "
                        f"({bad.money_share:.0%} of sampled values parse as money) and no other column does"))
                notes.append(f"column {profiles[current].header!r} mapped to {role} by its header holds few "
                             f"{role.replace('_', ' ')} values; kept (rows flagged)")
                continue
            if role == "payment_date" and not date_required:
                continue
            if why == "ambiguous":
                names = [p.header for _, p in ranked[:4]]
                return Resolution(fields, bases, scores, notes, (
                    "ambiguous_column", f"cannot tell which column is the {role.replace('_', ' ')}: candidates "
                    f"{names}"))
            return Resolution(fields, bases, scores, notes, (
                "unmapped_header", f"no column holds the {role.replace('_', ' ')}: headers "
                f"{[p.header for p in profiles]}; candidates by content: none"))
        score, chosen = choice
        if current is not None:
            notes.append(f"column {profiles[current].header!r} mapped to {role} by its header does not hold "
                         f"{role.replace('_', ' ')} values; {chosen.header!r} does and is used instead")
            fields[current], bases[current], scores[current] = None, None, 0.0
        previous = fields[chosen.index]
        if previous and previous != role:
            notes.append(f"column {chosen.header!r} (header says {previous}) holds the {role.replace('_', ' ')}")
        else:
            notes.append(f"column {chosen.header!r} mapped to {role} by its content ({why})")
        fields[chosen.index], bases[chosen.index], scores[chosen.index] = role, "content", round(min(1.0, score), 3)
    return Resolution(fields, bases, scores, notes)


def _available(p: ColumnProfile, mapped: str | None, role: str) -> bool:
    """May this column take `role`? Unmapped columns may; a column the headers gave another field may only
    when its values do not fit that field (names under an id header) or it is the role's weaker sibling (a
    `period` column for the payment date)."""
    if mapped is None:
        return True
    if role == "payment_date":
        return mapped in ("period",) or (mapped not in CODE_FIELDS and p.letter_share < FIT and p.money_share < FIT)
    if role == "supplier_name":
        return mapped in CODE_FIELDS and p.name_score >= FIT
    return (mapped not in CODE_FIELDS and p.letter_share < FIT
            and mapped not in ("irrecoverable_vat", "vat_amount", "credit_amount"))


def _choose(role: str, ranked: list[tuple[float, ColumnProfile]],
            frame: pl.DataFrame) -> tuple[tuple[float, ColumnProfile] | None, str]:
    if not ranked:
        return None, "none"
    if len(ranked) == 1:
        return ranked[0], "the only candidate"
    (s1, p1), (s2, p2) = ranked[0], ranked[1]
    if role == "amount":
        picked = _money_relation(frame, [p for _, p in ranked[:3]])
        if picked is not None:
            return next(sp for sp in ranked if sp[1] is picked[0]), picked[1]
    if role == "payment_date":
        picked = _date_relation(frame, p1, p2)
        if picked is not None:
            return (s1, p1) if picked[0] is p1 else (s2, p2), picked[1]
    if s1 - s2 >= 0.15:
        return ranked[0], f"best fit {s1:.2f} against {s2:.2f} for {p2.header!r}"
    return None, "ambiguous"


def _money_relation(frame: pl.DataFrame, candidates: list[ColumnProfile]) -> tuple[ColumnProfile, str] | None:
    """Among money columns: gross = net + VAT picks net; a column whose values are at most a quarter of
    another's (VAT, irrecoverable VAT) loses to it."""
    cols = {p.index: frame.get_column(frame.columns[p.index]) for p in candidates}
    amounts = pl.DataFrame({str(i): pl.DataFrame({"v": s}).select(values.amount_expr(pl.col("v"))).to_series()
                            for i, s in cols.items()})
    keys = list(amounts.columns)
    by_key = {str(p.index): p for p in candidates}
    if len(keys) >= 3:
        for total in keys:
            for a in keys:
                for b in keys:
                    if len({total, a, b}) < 3 or a > b:
                        continue
                    both = amounts.filter(pl.col(total).is_not_null() & pl.col(a).is_not_null() & pl.col(b).is_not_null())
                    if both.height < 5:
                        continue
                    holds = both.select(((pl.col(a) + pl.col(b) - pl.col(total)).abs() <= 0.011).mean()).item()
                    if holds >= 0.95:
                        larger = both.select((pl.col(a).abs() >= pl.col(b).abs()).mean()).item()
                        net = a if larger >= 0.5 else b
                        return by_key[net], f"{by_key[total].header!r} = {by_key[a].header!r} + {by_key[b].header!r}: net"
    for large, small in ((keys[0], keys[1]), (keys[1], keys[0])):
        # Codes dwarf real money too (Norfolk's cost centres "52070" beside amounts of hundreds): the larger
        # column wins only when it reads as money about as well as the smaller one.
        if by_key[large].money_score < VAT_RELATION_SCORE * by_key[small].money_score:
            continue
        pair = amounts.filter(pl.col(large).is_not_null() & pl.col(small).is_not_null() & (pl.col(large) != 0))
        if pair.height >= 5 and pair.select((pl.col(small).abs() <= pl.col(large).abs() * 0.25).mean()).item() >= 0.95:
            return by_key[large], f"{by_key[small].header!r} holds VAT-sized fractions of it"
    return None


VAT_RELATION_SCORE = 0.8  # the least money score of the larger column, as a share of the smaller one's


def _date_relation(frame: pl.DataFrame, p1: ColumnProfile, p2: ColumnProfile) -> tuple[ColumnProfile, str] | None:
    """A constant date (the period end) loses to a varying one; a date never earlier than the other (payment
    after invoice) wins."""
    if (p1.distinct == 1) != (p2.distinct == 1):
        return (p2, "the other date column is constant (a period)") if p1.distinct == 1 else (
            p1, "the other date column is constant (a period)")

    def parsed(p: ColumnProfile) -> pl.Series:
        s = frame.get_column(frame.columns[p.index])
        vote = values.vote_date_formats(s.drop_nulls())
        days = pl.DataFrame({"v": s}).select(values.date_expr(pl.col("v"), vote)).to_series()
        return days.fill_null(values.period_starts(s))

    a, b = parsed(p1), parsed(p2)
    both = pl.DataFrame({"a": a, "b": b}).drop_nulls()
    if both.height >= 5:
        later = both.select((pl.col("a") >= pl.col("b")).mean()).item()
        strictly = both.select((pl.col("a") != pl.col("b")).mean()).item()
        if strictly > 0:
            if later >= 0.95:
                return p1, f"never earlier than {p2.header!r}"
            if later <= 0.05:
                return p2, f"never earlier than {p1.header!r}"
    return None
