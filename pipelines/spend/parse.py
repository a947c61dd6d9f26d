"""Parse one council spending file (any format, any era) into `staging.spend_lines` rows.

`parse_spend(source, filename=, council_gss=, hints=, source_url=, limits=)` (the bytes, or a local file's
path) never touches the network and never raises for a bad file: it returns a `SpendParseResult` whose `kind` is
"spend" (rows to load) or "rejected" (a `reason_code` for staging.quarantine). Steps (docs: /work/shared/docs/parsing.md):

1. sniff the bytes (readers.sniff; the extension is ignored) and read every sheet / ZIP member as a grid of
   strings within `readers.ParserLimits` (delimited text: Polars all-strings reads of bounded batches of whole
   lines, each cleaned (step 2) and compacted before the next; workbooks: calamine in a child process after
   the archive and sheet-extent checks);
2. normalise cells (NBSP, U+2000-U+200A, U+2020 -> space; NFKC; strip), only where a column needs it;
3. locate the header on each sheet by scoring its first rows against the alias vocabulary (aliases.csv),
   allowing a preamble, a header split over two rows and a header on the last line; drop empty spacer columns;
4. reject look-alikes (contracts registers, 360Giving grants, derived/matched files) by marker headers;
5. map headers (the source's registry aliases and overrides, exact aliases, then a reported fuzzy match), then
   check by content that the payment date, amount and payee columns hold such values and infer the ones that
   are missing or mislabelled (parse_content.py); every mapping records its basis and score;
6. type cells (values.py): amounts to Decimal(18,2) (decimal commas recognised), dates by a per-column format
   vote or per-line months, redaction kinds;
7. drop blank / total / note / repeated-header rows into `dropped_rows` (whole-cell total labels only) and
   reconcile declared totals; repair amounts shifted into a text column; flag, never silently drop, anything
   else; count every record read (`rows_in`) and every drop by reason (`dropped_by_reason`).

`row_number` is the 1-based record number in its sheet (for CSV the record, so a quoted newline does not
shift it; for workbooks the spreadsheet row). Output is deterministic: the same bytes give the same rows.
No stage loops over lines in Python: work that depends on the values is done per column, per distinct value
or on the few rows that lack an amount, a date or a payee.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import polars_hash as plh

from pipelines.spend import markup, parse_content, readers, values
from pipelines.spend.periods import (  # the same reading of labels the fetcher uses
    parse_period_label,
    period_precision,
    period_range,
)

# Bumped whenever the same bytes give different output (`keepitlocal rebuild spend` re-parses older versions).
PARSER_VERSION = "spend-parse/2.10"
ALIASES_PATH = Path(__file__).with_name("aliases.csv")
HEADER_SEARCH_ROWS = 60  # report preambles (even whole SQL queries) come before the header
# When none of those rows is a header, the rows below them up to this row (and this many cells: a wide sheet
# is searched less far). A card file's guide to merchant categories ran to row 84.
LONG_PREAMBLE_ROWS, HEADER_SEARCH_CELLS = 300, 50_000
CONTENT_MAX_COLUMNS = 200  # columns whose values are read to map them, at most (real sheets: a few dozen)
DEFAULT_THRESHOLD = Decimal("500")
FEW_ROWS = 25  # fewer payment lines than this in a whole file: probably a partial upload (warned, kept)
# An amount written to a part of a penny: three to seven decimals, the last not 0 ("1,234.567"); not a float's
# artefact ("473.52000000000004", sixteen decimals), nor the thousands of a decimal-comma amount ("1.234,56").
SUB_PENNY = r"\.\d{2}\d{0,4}[1-9]0*(?:[^\d,]|$)"

LINE_COLUMNS: list[tuple[str, pl.DataType]] = [
    ("council_gss", pl.String), ("publication_id", pl.String), ("period_key", pl.String), ("sheet", pl.String),
    ("row_number", pl.Int32), ("payment_date", pl.Date), ("date_precision", pl.String),
    ("body_name", pl.String), ("body_code", pl.String), ("transaction_id", pl.String), ("line_no", pl.String),
    ("invoice_number", pl.String), ("amount", values.MONEY), ("amount_basis", pl.String),
    ("irrecoverable_vat", values.MONEY),
    ("supplier_name", pl.String), ("supplier_id", pl.String), ("supplier_vat_reg", pl.String),
    ("supplier_company_no", pl.String), ("supplier_charity_no", pl.String), ("creditor_type", pl.String),
    ("department", pl.String), ("service_area", pl.String), ("expense_type", pl.String),
    ("expense_code", pl.String), ("purpose", pl.String), ("capital_revenue", pl.String), ("is_card", pl.Boolean),
    ("redaction_kind", pl.String), ("below_threshold", pl.Boolean), ("row_flags", pl.String),
    ("other_attributes", pl.String), ("source_url", pl.String), ("source_sha256", pl.String),
    ("parser_version", pl.String), ("row_fingerprint", pl.String),
]
LINE_SCHEMA = dict(LINE_COLUMNS)
TEXT_FIELDS = [name for name, dtype in LINE_COLUMNS if dtype == pl.String]
# Canonical fields that exist only to be read (not output columns of their own).
AUX_FIELDS = {"vat_amount", "card_flag", "period", "credit_amount"}
REQUIRED = ("supplier_name", "amount")
# When a second column maps to a field already taken, it may fill its sibling instead.
SIBLING = {"department": "service_area", "service_area": "department"}
# Fields whose values are codes or numbers by nature; never a place an amount "shifted into".
ID_LIKE = {"transaction_id", "line_no", "invoice_number", "supplier_id", "supplier_vat_reg", "supplier_company_no",
           "supplier_charity_no", "expense_code", "body_code", "payment_date", "irrecoverable_vat", "vat_amount",
           "period", "amount", "supplier_name", "credit_amount"}
# parsing.md §4.3: these headers must never become the supplier, not even by a fuzzy match.
NEVER_SUPPLIER = re.compile(r"body|organisation|organization|supplierid|vendorid|vat|transaction|number|code|ref")
TOTAL_LABEL = r"(?i)^(grand |sub ?|net |overall |report |page )?totals?( amount| spend| value)?:?$"
# Looser labels ("Total for April", "Directorate total") count only outside the supplier column and only on a
# row with no supplier and no date, so no supplier name can ever be taken for a total.
LOOSE_TOTAL_LABEL = r"(?i)^((grand |sub ?|net |overall |report |page |period |month(ly)? )?totals?\b.*|.*\btotals?:?)$"
# A summary under the lines that is not money: how many there are, or their average ("Count,,,,400").
SUMMARY_LABEL = r"(?i)^(count|(number|no\.?) of (lines|payments|transactions|records|rows|invoices)|average|mean):?$"
NUMERIC_NAME = r"^[\d\s.,£()-]+$"  # a payee cell holding only a number (flagged supplier_numeric)
# A group's subtotal written in the payee column (Excel's Data > Subtotal writes "Kier Services Ltd Total" under
# each supplier's lines, "Housing Count" for a count; reports write "Total for Housing", "Total Spend March
# 2024"). A real payee can carry such words ("Net Total Ltd"), so the label only proposes: a row with no date
# is a total when its amount is the sum of the lines since the last total or of all the lines above it (a
# count, their number), else a payment. (Each proposal costs a pass over the sheet's rows: payees that merely
# start with "Total", "Total Gas & Power Ltd", are not proposed.)
SUBTOTAL_NAME = (r"(?i)^(?:(?:grand |sub ?)?totals? (?:for|of)\b.+|(?:grand |sub ?)?totals?\b.*\b(?:19|20)\d\d"
                 r"|.+\b(?:sub ?)?totals?:?|(?:.+ )?count:?)$")  # ("Total Gas & Power Ltd" is not proposed)


@dataclass
class SpendParseResult:
    kind: str                                   # "spend" | "rejected"
    reason_code: str | None = None
    reason: str | None = None
    rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LINE_SCHEMA))
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    header: dict = field(default_factory=dict)  # raw header -> canonical (per sheet when sheets differ)
    warnings: list[str] = field(default_factory=list)
    grain: str | None = None                    # "transaction" | "supplier_month"
    dropped_rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"sheet": pl.String, "row_number": pl.Int32, "reason": pl.String, "cells": pl.String}))
    declared_total: Decimal | None = None
    declared_total_reconciled: bool | None = None
    format: str | None = None
    publication_id: str | None = None
    # Row accounting (identity: rows_in == rows.height + sum(dropped_by_reason.values()) for a parsed file).
    rows_in: int = 0
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    # canonical field -> {"header", "basis" (alias | registry | fuzzy | content), "score" 0..1}; per sheet when
    # sheets differ (like `header`).
    mapping: dict = field(default_factory=dict)
    amount_basis: str | None = None             # "net" | "gross" | "unknown" for the whole file


# --- the alias vocabulary -----------------------------------------------------------------------------------

# A spreadsheet's error values: a header cell holding one names nothing (Ofwat's "#NAME?" over its department
# column read as the alias "Name", a payee).
SPREADSHEET_ERRORS = frozenset({"#NAME?", "#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NULL!", "#NUM!", "#SPILL!",
                                "#CALC!"})


@lru_cache(maxsize=8192)  # the header search keys every cell of the first rows, and a council's headers recur
def header_key(text: str | None) -> str:
    """parsing.md §4.1: drop "(01) " prefixes, "(A)"/"(N/A)" suffixes and asterisks, lower-case, keep [a-z0-9]. A
    spreadsheet error value is no name ("")."""
    if text is None or str(text).strip().upper() in SPREADSHEET_ERRORS:
        return ""
    t = unicodedata.normalize("NFKC", str(text).translate(readers._SPACE_LIKE)).strip()
    t = re.sub(r"^\(\d+\)\s*", "", t)
    t = re.sub(r"\s*\([A-Z/ ]*\)$", "", t)
    return re.sub(r"[^a-z0-9]", "", t.replace("*", "").lower())


@dataclass(frozen=True)
class Vocabulary:
    fields: dict[str, str]            # key -> canonical field
    flags: dict[str, frozenset[str]]  # key -> flags (aggregate, card)
    markers: dict[str, frozenset[str]]  # key -> look-alike kinds it signals


@cache
def vocabulary() -> Vocabulary:
    fields: dict[str, str] = {}
    flags: dict[str, set[str]] = {}
    markers: dict[str, set[str]] = {}
    with ALIASES_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = header_key(row["alias"])
            if not key:
                continue
            canonical = row["canonical"].strip()
            if canonical.startswith("marker:"):
                markers.setdefault(key, set()).add(canonical.removeprefix("marker:"))
                continue
            fields.setdefault(key, canonical)
            flags.setdefault(key, set()).update(f for f in (row.get("flags") or "").split("|") if f)
    return Vocabulary(fields, {k: frozenset(v) for k, v in flags.items()},
                      {k: frozenset(v) for k, v in markers.items()})


LAYOUTS_PATH = Path(__file__).with_name("layouts.csv")


@cache
def known_layouts() -> list[list[str]]:
    """Known header eras (schema fingerprints), used only to name a corrupted header cell by position."""
    with LAYOUTS_PATH.open(encoding="utf-8", newline="") as fh:
        return [row["headers"].split("|") for row in csv.DictReader(fh)]


def _repair_corrupted_header(cells: list[str | None], warnings: list[str], sheet: str) -> list[str | None]:
    """A header cell with no letters ("+" for "Service Cost Centre") takes the name a known layout has at that
    position, when every other filled header cell matches that layout exactly, in order."""
    filled = [i for i, c in enumerate(cells) if c is not None]
    junk = [i for i in filled if not header_key(cells[i]) or not re.search(r"[A-Za-z]", cells[i])]
    if not junk:
        return cells
    keys = [header_key(cells[i]) for i in filled]
    for layout in known_layouts():
        layout_keys = [header_key(h) for h in layout]
        if len(layout_keys) != len(keys):
            continue
        if all(k == lk or filled[j] in junk for j, (k, lk) in enumerate(zip(keys, layout_keys))):
            repaired = list(cells)
            for j, i in enumerate(filled):
                if i in junk:
                    warnings.append(f"sheet {sheet!r}: corrupted header cell {cells[i]!r} named {layout[j]!r} "
                                    f"by a known layout")
                    repaired[i] = layout[j]
            return repaired
    return cells


LOOKALIKE_REASONS = {
    "contracts_register": "a contracts register (Transparency Code contracts), not payments",
    "grants": "a grants register (360Giving, or the Transparency Code's grants to voluntary bodies), not payments",
    "derived": "a derived / matched re-publication (not as the council published it)",
}


# --- small helpers ------------------------------------------------------------------------------------------

def _clean_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel's ="text" unwrapped, space-like characters -> space, NFKC, C1 controls dropped, strip; empty cells ->
    null. The Unicode work runs only on columns holding non-ASCII text (one cheap scan each); ASCII columns are
    only stripped."""
    cols = [c for c in frame.columns if c != "row_number"]
    if not cols:
        return frame
    # One pass over the grid tells, per column, whether any cell is non-ASCII (more bytes than characters) and,
    # for an ASCII column, whether stripping would change any cell or any is empty: an ASCII cell changes
    # exactly when its first or last byte is whitespace, read from the cell's bytes without scanning its text.
    # Whether a cell is stripped never depends on the other cells of its column (or of its batch).
    def ascii_needs_strip(c: str) -> pl.Expr:
        cell = pl.col(c).cast(pl.Binary)
        return (cell.bin.get(0, null_on_oob=True).is_in(ASCII_WHITESPACE)
                | cell.bin.get(-1, null_on_oob=True).is_in(ASCII_WHITESPACE) | (cell.bin.size() == 0)).any()

    def formula_text(c: str) -> pl.Expr:  # Excel's ="0123" (text kept as text by a formula)
        return pl.col(c).str.starts_with('="').any()

    width = len(cols)
    facts = frame.select([(pl.col(c).str.len_bytes() != pl.col(c).str.len_chars()).any().alias(f"a{i}")
                          for i, c in enumerate(cols)] +
                         [ascii_needs_strip(c).alias(f"s{i}") for i, c in enumerate(cols)] +
                         [formula_text(c).alias(f"f{i}") for i, c in enumerate(cols)]).row(0)
    non_ascii, needs, formulas = facts[:width], facts[width:2 * width], facts[2 * width:]
    if any(formulas):
        frame = frame.with_columns([pl.col(c).str.replace(r'^="(.*)"$', "$1") for c, f in zip(cols, formulas) if f])
        needs = [need or formula for need, formula in zip(needs, formulas)]  # the text inside may need stripping
    fixed = []
    for c in (c for c, wide in zip(cols, non_ascii) if wide):
        # Unicode clean-up only on the cells that are non-ASCII (a few in most files); the column is rebuilt
        # only when one of them changes (an accent or a curly apostrophe is already clean).
        column = frame.get_column(c)
        index = (column.str.len_bytes() != column.str.len_chars()).fill_null(False).arg_true()
        before = column.gather(index)
        spaced = pl.DataFrame({"v": before}).select(
            pl.col("v").str.replace_all(r"[\u00a0\u2000-\u200a\u2020\u202f\u205f\u3000\ufeff\x00]", " ")
            .str.replace_all(r"[\u0080-\u009f]", "")).to_series()
        cleaned = spaced.str.normalize("NFKC")
        marked = spaced.str.contains(SPACING_MARK_CLASS).fill_null(False).arg_true()
        if marked.len():  # (rare: a Python pass over those cells only)
            cleaned = cleaned.scatter(marked, [_nfkc_keeping_spacing_marks(v) for v in spaced.gather(marked)])
        changed = cleaned != before
        if changed.any():
            fixed.append(column.scatter(index.filter(changed), cleaned.filter(changed)))
    if fixed:
        frame = frame.with_columns(fixed)
    # A non-ASCII column may end in Unicode whitespace: it is tested on its text (after the clean-up above,
    # which may have made a space of an NBSP).
    wide = [c for c, w in zip(cols, non_ascii) if w]
    if wide:
        tested = frame.select([((pl.col(c).str.strip_chars().str.len_bytes() != pl.col(c).str.len_bytes())
                                | (pl.col(c).str.len_bytes() == 0)).any().alias(c) for c in wide]).row(0, named=True)
        needs = [tested[c] if c in tested else n for c, n in zip(cols, needs)]
    # Strip (and empty -> null) only the columns that need it: an untouched column is not copied.
    exprs = [pl.col(c).str.strip_chars().replace("", None) for c, need in zip(cols, needs) if need]
    return frame.with_columns(exprs) if exprs else frame


ASCII_WHITESPACE = [9, 10, 11, 12, 13, 32]  # the bytes str.strip_chars removes from ASCII text (tab to CR, space)
# Spacing marks NFKC would split into a space and a combining mark: "FARRAH´S" (an acute accent standing for an
# apostrophe) would read "FARRAH ́S". They are kept as published; the rest of such a cell is normalised.
SPACING_MARKS = "".join(chr(c) for c in range(0xA0, 0x10000)
                        if len(n := unicodedata.normalize("NFKC", chr(c))) > 1 and n.startswith(" "))
SPACING_MARK_CLASS = f"[{re.escape(SPACING_MARKS)}]"


def _nfkc_keeping_spacing_marks(cell: str) -> str:
    """NFKC of a cell's text between its spacing marks, the marks kept as they are."""
    return "".join(part if part in SPACING_MARKS else unicodedata.normalize("NFKC", part)
                   for part in re.split(f"({SPACING_MARK_CLASS})", cell))


@dataclass(frozen=True)
class FilePeriod:
    """The period the file's name or link says it covers. `precision`: a dateless line is as precise as the
    file's period when that is a month or a quarter; a year or a four-weekly period is too coarse to stand in
    for a date (date_precision: day | month | quarter | none). `days`: its first and last day (any period),
    the evidence that tells day-first from month-first dates when both read every value."""
    precision: str = "none"
    days: tuple[dt.date, dt.date] | None = None

    @classmethod
    def of(cls, period_key: str | None) -> "FilePeriod":
        if not period_key:
            return cls()
        precision = period_precision(period_key)
        return cls(precision if precision in ("month", "quarter") else "none", period_range(period_key))


def _period_key(filename: str | None, hints: dict) -> str | None:
    for text in (hints.get("period_label"), hints.get("link_text"), filename):
        if text:
            try:
                key = parse_period_label(str(text))
            except Exception:  # a label the reader cannot parse is simply not a period
                key = None
            if key:
                return key
    return None


def _threshold(hints: dict, filename: str | None) -> Decimal | None:
    """The publisher's threshold: the registry's (`hints`), else one the link text or file name states
    ("Payments over £250", "HBC-Spend-OVER-250.00-Mar-22.csv", "EA-OVER-25K-1204"), else £500."""
    if "threshold" not in hints:
        for text in (hints.get("link_text"), hints.get("period_label"), filename):
            if named := _named_threshold(str(text or "")):
                return named
    raw = hints.get("threshold", DEFAULT_THRESHOLD)
    if raw in (None, "", "none", 0, "0"):
        return None
    try:
        return Decimal(str(raw).replace("£", "").replace(",", "").strip())
    except Exception:
        return DEFAULT_THRESHOLD


def _named_threshold(text: str) -> Decimal | None:
    """The amount after "over" / "above" / "exceeding" in a label, in pounds (25k = 25,000), if plausible."""
    m = NAMED_THRESHOLD.search(text)
    if not m:
        return None
    amount = Decimal(m.group(1).replace(",", "")) * (1000 if m.group(2) else 1)
    return amount if 0 < amount <= 1_000_000 else None


NAMED_THRESHOLD = re.compile(r"(?i)(?:over|above|exceeding|greater[ _-]than|more[ _-]than)[\s_+-]*(?:£|gbp)?\s*"
                             r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d\d)?(?:\s*(k)(?![a-z]))?")

REASON_CHARS = 600  # a rejection reason quotes the file; never the whole of a 50 MB line


def _clip(text: str, limit: int = REASON_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} more characters]"


def _rejected(code: str, reason: str, **kw) -> SpendParseResult:
    return SpendParseResult(kind="rejected", reason_code=code, reason=_clip(reason), **kw)


# --- header location and mapping ----------------------------------------------------------------------------

@dataclass
class SheetLayout:
    header_rows: list[int]            # row_numbers used as the header (1 or 2)
    columns: list[str]                # frame columns kept (c0..)
    raw_headers: list[str]            # display header per kept column
    fields: list[str | None]          # canonical field per kept column (None = other_attributes)
    data_before_header: bool          # header on the last line: data is above it
    positional: bool = False
    matches: list[ColumnMatch] = field(default_factory=list)  # evidence per kept column (parallel to fields)
    first_data_row: int | None = None  # a sheet with no header row at all: where its data starts


def _score(keys: list[str], vocab: Vocabulary) -> int:
    """How header-like a row is: distinct canonical fields named (supplier and amount count triple) plus
    look-alike marker headers. Zero unless it names two fields including supplier or amount, or carries two
    markers (so a contracts register's header is still found, to be rejected by name)."""
    found = {vocab.fields[k] for k in keys if k in vocab.fields}
    marker_hits = sum(1 for k in keys if k in vocab.markers)
    score = len(found) + 2 * ("amount" in found) + 2 * ("supplier_name" in found) + marker_hits
    header_like = len(found) >= 2 and bool({"amount", "supplier_name"} & found)
    return score if header_like or marker_hits >= 2 else 0


def _locate_header(frame: pl.DataFrame, vocab: Vocabulary) -> tuple[list[int], list[str | None], bool] | None:
    """(header row_numbers, header cell per column, header_is_last) for the best-scoring row among the first
    rows and the last non-empty row; a header split over two rows is joined when that scores better."""
    cols = [c for c in frame.columns if c != "row_number"]
    filled = frame.select(pl.any_horizontal([pl.col(c).is_not_null() for c in cols]) if cols else pl.lit(True)
                          ).to_series().arg_true()  # positions of non-empty rows (the frame itself is not copied)
    if filled.len() == 0:
        return None
    non_empty_height = filled.len()
    last_row = frame.row(int(filled[-1]))
    position = {c: i for i, c in enumerate(frame.columns)}  # (looked up once: a sheet may be 16k columns wide)
    at, number_at = [position[c] for c in cols], position["row_number"]

    def best_row(first: int, last: int) -> tuple[int, int, list[int], list[str | None], bool] | None:
        """(score, -order, rownums, cells, is_last) of the best header among non-empty rows first..last-1."""
        if last <= first:
            return None
        rows = frame[filled.slice(first, last - first + 1)].rows()  # one row more: a header may continue below
        best = None
        for k in range(min(last - first, len(rows))):
            cells = [rows[k][j] for j in at]
            score = _score([header_key(c) for c in cells], vocab)
            rownums = [rows[k][number_at]]
            if score > 0 and k + 1 < len(rows):  # only a row that is already header-like continues below
                below = [rows[k + 1][j] for j in at]
                joined = _join_header_rows(cells, below, vocab)
                joined_score = _score([header_key(c) for c in joined], vocab)
                if joined_score > score:
                    score, cells = joined_score, joined
                    rownums = rownums + [rows[k + 1][number_at]]
            if score > 0 and (best is None or score > best[0]):
                best = (score, -(first + k), rownums, cells, False)
        return best

    best = best_row(0, HEADER_SEARCH_ROWS)
    if best is None:  # a long preamble (a card file's guide to merchant categories): look further, within bounds
        best = best_row(HEADER_SEARCH_ROWS, min(LONG_PREAMBLE_ROWS, HEADER_SEARCH_CELLS // max(1, len(cols))))
    last_cells = [last_row[j] for j in at]
    last_score = _score([header_key(c) for c in last_cells], vocab)
    last_num = last_row[number_at]
    if last_score > 0 and (best is None or last_score > best[0]) and non_empty_height > 1:
        best = (last_score, 0, [last_num], last_cells, True)
    if best is None:
        return None
    # The best row being the last non-empty row (with rows above it) is a header at the end of the table.
    at_end = best[4] or (best[2][-1] == last_num and non_empty_height > 1 and len(best[2]) == 1)
    return best[2], best[3], at_end


def _join_header_rows(above: list[str | None], below: list[str | None], vocab: Vocabulary) -> list[str | None]:
    """A header split over two rows, each column's two cells joined ("Payment" + "Date"). A heading merged over
    several columns sits in the first cell of its span only, the cells right of it empty above their own
    headers ("Amount (£)" over "Net", "VAT", "Gross"): where the joined text names no field ("Amount (£)Net"),
    the cell below stands alone ("Net")."""
    out = []
    for j, (a, b) in enumerate(zip(above, below)):
        joined = (a or "") + (b or "") if (a or b) else None
        heading = bool(a and b) and j + 1 < len(above) and above[j + 1] is None and below[j + 1] is not None
        if heading and header_key(joined) not in vocab.fields and header_key(b) in vocab.fields:
            joined = b
        out.append(joined)
    return out


LOW_PRIORITY_FLAGS = frozenset({"weak", "gross", "aggregate"})
# Which evidence wins when two columns claim one field (after the low-priority flags): the source's own
# declarations (registry aliases and overrides) first, then the global alias table, then fuzzy matches.
BASIS_RANK = {"registry": 0, "alias": 1, "fuzzy": 2, "content": 3}
CANONICAL_FIELDS = frozenset(name for name, _ in LINE_COLUMNS) | AUX_FIELDS


@dataclass(frozen=True)
class ColumnMatch:
    """How one header cell was mapped: the canonical field (None = other_attributes), the evidence and its
    strength (1.0 for an exact alias or a source's own declaration, the similarity for a fuzzy match)."""
    field: str | None
    basis: str | None
    score: float
    low_priority: bool = False


def _canonical_field(name: str, vocab: Vocabulary) -> str | None:
    """A hint's canonical name: ours ("supplier_name") or any alias of it ("Beneficiary Name", the registry's
    odileeds vocabulary)."""
    if name in CANONICAL_FIELDS:
        return name
    return vocab.fields.get(header_key(name))


def source_aliases(hints: dict, vocab: Vocabulary, warnings: list[str] | None = None) -> dict[str, str]:
    """header key -> canonical field from a source's hints: the registry's `header_aliases` ({canonical:
    [published headers]}) and the legacy `header_overrides` ({published header: canonical | "ignore"})."""
    out: dict[str, str] = {}
    for canonical, headers in sorted((hints.get("header_aliases") or {}).items()):
        target = _canonical_field(str(canonical), vocab)
        if target is None:
            if warnings is not None:
                warnings.append(f"registry header alias for unknown field {canonical!r} ignored")
            continue
        for published in [headers] if isinstance(headers, str) else list(headers or []):
            key = header_key(published)
            if key:
                out.setdefault(key, target)
    for published, target in sorted((hints.get("header_overrides") or {}).items()):
        key = header_key(published)
        if key and target:
            out[key] = target if target == "ignore" else (_canonical_field(str(target), vocab) or str(target))
    return out


def _match_header(cell: str | None, vocab: Vocabulary, declared: dict[str, str],
                  raw_overrides: dict[str, str]) -> ColumnMatch:
    key = header_key(cell)
    low = bool(vocab.flags.get(key, frozenset()) & LOW_PRIORITY_FLAGS)
    if cell is not None and cell in raw_overrides:
        target = raw_overrides[cell]
        return ColumnMatch(None if target == "ignore" else target, "registry", 1.0, low)
    if key and key in declared:
        target = declared[key]
        return ColumnMatch(None if target == "ignore" else target, "registry", 1.0, low)
    if key in vocab.fields:
        return ColumnMatch(vocab.fields[key], "alias", 1.0, low)
    if len(key) >= 6:
        hit = _fuzzy(key, vocab)
        if hit:
            return ColumnMatch(hit[0], "fuzzy", hit[1], low)
    return ColumnMatch(None, None, 0.0, low)


def _map_headers(cells: list[str | None], columns: list[str], vocab: Vocabulary, hints: dict,
                 warnings: list[str]) -> tuple[list[str], list[ColumnMatch], list[str]]:
    """(display headers, match per kept column, ignored columns).

    When two columns claim one field, a preferred alias wins over a `weak` / `gross` / `aggregate` one (a
    payment date over an invoice date, a net amount over a gross one), then the source's own declarations
    over the global table over fuzzy matches, then the leftmost column."""
    raw_overrides = {k: v for k, v in (hints.get("header_overrides") or {}).items() if v}
    declared = source_aliases(hints, vocab)
    raw_ignored = set(hints.get("ignore_columns") or [])
    ignored = {header_key(k) for k in raw_ignored}
    display, candidates, dropped, unnamed = [], [], [], []
    for col, cell in zip(columns, cells):
        raw = cell if cell is not None else f"column_{int(col[1:]) + 1}"
        key = header_key(cell)
        match = _match_header(cell, vocab, declared, raw_overrides)
        if (key and key in ignored) or (cell is not None and cell in raw_ignored) or (
                match.basis == "registry" and match.field is None):
            dropped.append(raw)
            continue
        if match.basis == "fuzzy":
            warnings.append(f"fuzzy header match: {raw!r} -> {match.field} (score {match.score:.2f})")
        display.append(raw)
        candidates.append(match)
        if cell is None and match.field is None:
            unnamed.append(raw)
    if unnamed:
        warnings.append(f"columns holding data under no header cell, kept by position in other_attributes: {unnamed}")
    display = _numbered_repeats(display, warnings)
    matches: list[ColumnMatch] = [ColumnMatch(None, None, 0.0)] * len(candidates)
    taken: set[str] = set()
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].low_priority,
                                                          BASIS_RANK.get(candidates[i].basis, 9), i))
    for i in order:
        match = candidates[i]
        field_name = match.field
        if field_name and field_name in taken:
            sibling = SIBLING.get(field_name)
            field_name = sibling if sibling and sibling not in taken else None
            if field_name is None:
                warnings.append(f"second column for {match.field} kept in other_attributes: {display[i]!r}")
        if field_name:
            taken.add(field_name)
            matches[i] = ColumnMatch(field_name, match.basis, match.score, match.low_priority)
    return display, matches, dropped


def _fuzzy(key: str, vocab: Vocabulary) -> tuple[str, float] | None:
    """(field, similarity 0..1) of the closest alias at 90% or more, reported by the caller, never silent."""
    from rapidfuzz import fuzz, process

    hit = process.extractOne(key, sorted(vocab.fields), scorer=fuzz.ratio, score_cutoff=90)
    if not hit:
        return None
    found = vocab.fields[hit[0]]
    if found == "supplier_name" and NEVER_SUPPLIER.search(key):
        return None
    return found, round(hit[1] / 100, 3)


# --- one sheet ----------------------------------------------------------------------------------------------

@dataclass
class SheetOutcome:
    rows: pl.DataFrame | None
    dropped: pl.DataFrame | None
    header: dict[str, str]
    fields: list[str]
    populated: list[str | None]  # canonical fields of the columns that carry data (for headerless sheets)
    declared: list[tuple[Decimal, bool]]
    grain: str | None = None
    error: tuple[str, str] | None = None
    is_card_file: bool = False
    rows_in: int = 0
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, dict] = field(default_factory=dict)
    amount_basis: str = "unknown"
    redaction_kinds: pl.Series | None = None  # per distinct payee, looked up by the lines' `_payee` code
    header_rows: list[int] = field(default_factory=list)

    @property
    def period_dated(self) -> bool:
        """Payment lines with no payment date column: dated by the file's period."""
        return self.grain == "transaction" and "payment_date" not in self.fields


def _layout(frame: pl.DataFrame, vocab: Vocabulary, hints: dict, warnings: list[str], sheet: str,
            previous: SheetOutcome | None, period: "FilePeriod") -> tuple[SheetLayout | None, tuple[str, str] | None]:
    """The sheet's header rows and columns mapped to fields. `period`: the file's; a month or a quarter can
    date its lines, so a sheet with no payment date column is not refused for it."""
    cols = [c for c in frame.columns if c != "row_number"]
    located = _locate_header(frame, vocab)
    if located is None:
        # A sheet without a header of its own (a continuation page): reuse the previous sheet's populated
        # columns when the shapes agree; types are still validated row by row afterwards.
        non_empty_cols = [c for c in cols if frame.get_column(c).null_count() < frame.height]
        if previous is not None and previous.populated and len(non_empty_cols) == len(previous.populated):
            warnings.append(f"sheet {sheet!r} has no header row: columns mapped by position from the previous sheet")
            fields = list(previous.populated)
            matches = [ColumnMatch(f, "content" if f else None, 0.5 if f else 0.0) for f in fields]
            return SheetLayout([], non_empty_cols, [f or f"column_{i + 1}" for i, f in enumerate(fields)], fields,
                               False, positional=True, matches=matches), None
        return _headerless_layout(frame, cols, sheet, vocab, hints, warnings)
    header_rows, cells, at_end = located
    cells = _repair_corrupted_header(cells, warnings, sheet)
    keys = [header_key(c) for c in cells]
    # Look-alikes: two or more marker headers of one kind decide, whatever else maps.
    kinds: dict[str, int] = {}
    for k in keys:
        for kind in vocab.markers.get(k, ()):
            kinds[kind] = kinds.get(kind, 0) + 1
    lookalike = max(kinds.items(), key=lambda kv: (kv[1], kv[0]), default=(None, 0))
    if lookalike[1] >= 2:
        return None, (f"not_spend:{lookalike[0]}", f"{LOOKALIKE_REASONS[lookalike[0]]}: headers "
                      f"{[c for c, k in zip(cells, keys) if lookalike[0] in vocab.markers.get(k, ())]}")
    # Drop empty spacer / phantom columns before mapping (a required field keeps its column so the rows can
    # be flagged rather than the file misread).
    data = frame.slice(0, header_rows[0] - 1) if at_end else frame.slice(header_rows[-1])
    has_data = [data.get_column(col).null_count() < data.height for col in cols]
    side, side_rows = _side_table(data, cols, cells, has_data)
    kept_cols, kept_cells = [], []
    beside = set(side)
    for col, cell, filled in zip(cols, cells, has_data):
        if col in beside:
            continue
        if filled or (cell is not None and vocab.fields.get(header_key(cell)) in (*REQUIRED, "payment_date")):
            kept_cols.append(col)
            kept_cells.append(cell)
    display, matches, ignored = _map_headers(kept_cells, kept_cols, vocab, hints, warnings)
    kept_cols = [c for c, cell in zip(kept_cols, kept_cells)
                 if (cell if cell is not None else f"column_{int(c[1:]) + 1}") not in ignored]
    if at_end:
        warnings.append(f"sheet {sheet!r}: header found on the last line (row {header_rows[0]})")
    if len(header_rows) == 2:
        warnings.append(f"sheet {sheet!r}: header split over rows {header_rows[0]}-{header_rows[1]}")
    aggregate = any("aggregate" in vocab.flags.get(header_key(h), ()) for h, m in zip(display, matches)
                    if m.field == "amount")
    matches, error = _check_roles(data, kept_cols, display, matches, not aggregate, warnings, sheet,
                                  period.precision != "none", period.days)
    if error:
        return None, error
    if side:
        # kept beside the lines' own columns in other_attributes, under names of their own, mapped to no field
        cell_of = dict(zip(cols, cells))
        side_display = [f"{cell_of[c] or f'column_{int(c[1:]) + 1}'} (side table)" for c in side]
        display = _numbered_repeats(display + side_display, [])  # (repeated names numbered, as the lines' are)
        warnings.append(f"sheet {sheet!r}: a table of {side_rows} rows beside the lines (right of an empty column; "
                        f"columns {_clip(str(display[len(kept_cols):]), 300)}) is not read as lines: its cells "
                        f"are kept in other_attributes of the rows they sit on, mapped to no field")
        kept_cols = kept_cols + side
        matches = matches + [ColumnMatch(None, None, 0.0)] * len(side)
    return SheetLayout(header_rows, kept_cols, display, [m.field for m in matches], at_end, matches=matches), None


SIDE_TABLE_MIN_ROWS = 20  # sheets with fewer lines are not searched for a table beside them
SIDE_TABLE_MAX_SPACERS = 8  # empty columns tried as the edge of a side table (a hostile sheet has thousands)


def _side_table(data: pl.DataFrame, cols: list[str], cells: list[str | None],
                has_data: list[bool]) -> tuple[list[str], int]:
    """The columns of a small table set beside the lines, right of an empty column with no header (a summary,
    "Service Area | Total", in the first rows): its rows are not lines, so none of its columns may take a
    line's field (its "Service Area" would become the first lines' department). Told by its shape, not its
    words: at least two columns, filled densely (4 cells in 5 or more) over one run of rows that ends in the
    top half of the sheet, while the lines go on below it. Rows repeating the header (a report reprints it on
    every page, side cells and all) are no part of either. Returns (its columns, its rows), ([], 0) if none."""
    if data.height < SIDE_TABLE_MIN_ROWS or not any(has_data):
        return [], 0
    filled_at = [i for i, filled in enumerate(has_data) if filled]
    spacers = [i for i in range(filled_at[0] + 1, filled_at[-1]) if cells[i] is None and not has_data[i]]
    if spacers:
        data = data.filter(~_repeats_header(data, cols[:spacers[0]], cells[:spacers[0]]))
    for s in spacers[:SIDE_TABLE_MAX_SPACERS]:
        right = [c for c, filled in zip(cols[s + 1:], has_data[s + 1:]) if filled]
        left = [c for c, filled in zip(cols[:s], has_data[:s]) if filled]
        if len(right) < 2:
            continue
        rows = data.select(pl.any_horizontal(pl.col(right).is_not_null())).to_series().arg_true()
        first, last = int(rows[0]), int(rows[-1])
        span = last - first + 1
        if (last + 1) * 2 > data.height:
            continue
        block = data.select(right).slice(first, span)
        filled_cells = sum(span - block.get_column(c).null_count() for c in right)
        lines_below = data.slice(last + 1).select(pl.any_horizontal(pl.col(left).is_not_null()).sum()).item()
        if filled_cells * 5 >= span * len(right) * 4 and lines_below >= span:
            return right, span
    return [], 0


def _repeats_header(data: pl.DataFrame, cols: list[str], cells: list[str | None]) -> pl.Expr:
    """True on a row whose cells repeat the header's in at least half of its named columns (two or more)."""
    named = [(c, cell.strip().lower()) for c, cell in zip(cols, cells) if cell and cell.strip()]
    if len(named) < 2:
        return pl.lit(False)
    same = [(pl.col(c).str.strip_chars().str.to_lowercase() == cell).fill_null(False) for c, cell in named]
    return pl.sum_horizontal(same) * 2 >= len(named)


def _check_roles(data: pl.DataFrame, columns: list[str], display: list[str], matches: list[ColumnMatch],
                 date_required: bool, warnings: list[str], sheet: str, period_dated: bool | None,
                 period_days: tuple[dt.date, dt.date] | None = None
                 ) -> tuple[list[ColumnMatch], tuple[str, str] | None]:
    """Second mapping step (parse_content): the payment date, amount and payee columns the headers chose must
    hold such values; a role left unmapped, or mapped to a column holding something else, is inferred from
    the values. Returns the updated matches, or a rejection naming the missing role and the candidates. A date
    column is looked for even where none is required (a table of totals per supplier) or the file's period can
    date the lines (`period_dated`; None: a sheet without a header, never dated so), but its absence is then
    no rejection. `period_days`: the file's first and last day, in which months named without a year are read."""
    frame = parse_content.sample(data, columns)
    if parse_content.headers_suffice(frame, display, [m.field for m in matches], period_days):
        return matches, None
    if len(columns) > CONTENT_MAX_COLUMNS:
        return matches, _too_wide_for_content(sheet, len(columns), "its headers do not name every role")
    profiles = parse_content.profile(frame, display, period_days)
    resolution = parse_content.resolve(profiles, [m.field for m in matches], [m.basis for m in matches],
                                       [m.score for m in matches], frame, date_required and not period_dated)
    for note in resolution.notes:
        warnings.append(f"sheet {sheet!r}: {note}")
    if resolution.error:
        code, reason = resolution.error
        if date_required and period_dated is False and "payment_date" not in resolution.fields:
            reason += "; and no month or quarter in the file name or link to date the lines by"
        return matches, (code, f"sheet {sheet!r}: {reason}")
    updated = [m if (f, b) == (m.field, m.basis) else ColumnMatch(f, b, s, m.low_priority)
               for m, f, b, s in zip(matches, resolution.fields, resolution.bases, resolution.scores)]
    return updated, None


def _too_wide_for_content(sheet: str, width: int, why: str) -> tuple[str, str]:
    # Telling the roles by the values costs milliseconds a column (a hostile sheet has 16,384): bounded.
    return ("unmapped_header", f"sheet {sheet!r}: {why}, and {width:,} columns are too many to tell the payment "
            f"date, amount and supplier by their values (limit {CONTENT_MAX_COLUMNS})")


def _headerless_layout(frame: pl.DataFrame, cols: list[str], sheet: str, vocab: Vocabulary, hints: dict,
                       warnings: list[str]) -> tuple[SheetLayout | None, tuple[str, str] | None]:
    """A sheet whose header names too little of the alias vocabulary to be found by name, or that has no header
    row at all. A row of words directly above the first row with an amount is the header (an unknown
    vocabulary, or "£" over the amounts): the cells it does name map by their aliases, the roles it leaves by
    the values. Otherwise every column is mapped by its content, the data starts at the first row whose amount
    cell parses (rows above it are a preamble) and columns are named column_1, column_2, ... Such a sheet must
    show its dates: with no header to read, a table without them (MoD's summary of totals per contract under its
    month) is not taken for payments dated by the file's period."""
    non_empty_cols = [c for c in cols if frame.get_column(c).null_count() < frame.height]
    if not non_empty_cols:
        return None, ("empty", f"sheet {sheet!r} has no cells")
    if len(non_empty_cols) > CONTENT_MAX_COLUMNS:
        return None, _too_wide_for_content(sheet, len(non_empty_cols), "no header row was found")
    header_row = _wordy_header_row(frame, non_empty_cols)
    if header_row is not None:
        data = frame.filter(pl.col("row_number") > header_row)
        kept = [c for c in non_empty_cols if data.get_column(c).null_count() < data.height]
        cells = list(frame.filter(pl.col("row_number") == header_row).select(kept).row(0))
        display, matches, ignored = _map_headers(cells, kept, vocab, hints, warnings)
        kept = [c for c, cell in zip(kept, cells) if (cell if cell is not None else f"column_{int(c[1:]) + 1}")
                not in ignored]
        named = sum(m.field is not None for m in matches)
        matches, error = _check_roles(data, kept, display, matches, True, warnings, sheet, period_dated=None)
        if error:
            return None, (error[0], f"headers name too few known fields and {error[1]}")
        warnings.append(f"sheet {sheet!r}: header row {header_row} found by its shape (words above amounts); "
                        f"{named} of its {len(kept)} columns named by their headers, the roles by their content")
        return SheetLayout([header_row], kept, display, [m.field for m in matches], False, matches=matches), None
    display = [f"column_{int(c[1:]) + 1}" for c in non_empty_cols]
    blank = [ColumnMatch(None, None, 0.0) for _ in non_empty_cols]
    matches, error = _check_roles(frame, non_empty_cols, display, blank, True, warnings, sheet, period_dated=None)
    if error:
        first = next((r for r in frame.select(cols).rows() if any(v is not None for v in r)), None)
        shown = [v for v in first if v is not None][:20] if first else []
        return None, (error[0], f"no header row found and {error[1]}; first row: {_clip(str(shown), 300)}")
    amount_col = non_empty_cols[[m.field for m in matches].index("amount")]
    starts = values.parse_amounts(frame.get_column(amount_col)).is_not_null().arg_true()
    if starts.len() == 0:
        return None, ("unmapped_header", f"no header row found on sheet {sheet!r} and no row with an amount")
    warnings.append(f"sheet {sheet!r}: no header row; columns mapped by their content")
    return SheetLayout([], non_empty_cols, display, [m.field for m in matches], False, matches=matches,
                       first_data_row=int(frame.get_column("row_number")[int(starts[0])])), None


def _wordy_header_row(frame: pl.DataFrame, cols: list[str]) -> int | None:
    """The row_number of the first of the leading rows that has two or more cells, all words (no number,
    amount or date), followed by a row with at least two cells one of which is an amount: a header in a
    vocabulary the alias table does not know."""
    head = frame.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in cols])).head(HEADER_SEARCH_ROWS + 1)
    # months and quarters read once over every column's cells together (each reading costs ~5 ms to plan)
    named = values.period_starts(pl.concat([head.get_column(c) for c in cols])).is_not_null()
    periods = {c: named.slice(i * head.height, head.height) for i, c in enumerate(cols)}
    money = head.select([values.amount_expr(pl.col(c)).is_not_null().alias(c) for c in cols])
    wordy = head.select(
        pl.col("row_number"),
        pl.sum_horizontal([pl.col(c).is_not_null() for c in cols]).alias("filled"),
        pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.contains(r"[A-Za-z]|^[£$€#%]$")  # "£" heads money
                                                   & ~money.get_column(c) & ~periods[c]
                                                   & (pl.col(c).str.len_chars() < 100)) for c in cols]).alias("words"),
        pl.any_horizontal(money.get_columns()).alias("money"),
    ).rows(named=True)
    for row, below in zip(wordy, wordy[1:]):
        if row["filled"] >= 2 and row["words"] and below["money"] and below["filled"] >= 2:
            return int(row["row_number"])
    return None


def _parse_sheet(frame: pl.DataFrame, sheet: str, vocab: Vocabulary, hints: dict, warnings: list[str],
                 period: FilePeriod, previous: SheetOutcome | None) -> SheetOutcome:
    """One sheet's cleaned grid (_clean_cells) -> its lines, dropped rows and mapping."""
    period_dated = period.precision != "none"  # the file's month or quarter can date lines that have no date
    layout, error = _layout(frame, vocab, hints, warnings, sheet, previous, period)
    if layout is None:
        return SheetOutcome(None, None, {}, [], [], [], error=error)
    header = dict(zip(layout.raw_headers, [f or "other_attributes" for f in layout.fields]))
    if layout.positional:
        body = frame
    elif layout.first_data_row is not None:
        body = frame.slice(layout.first_data_row - 1)
    elif layout.data_before_header:
        body = frame.slice(0, layout.header_rows[0] - 1)
    else:
        body = frame.slice(layout.header_rows[-1])  # grids number rows from 1: row n is at position n - 1
    if "payment_date" not in layout.fields:
        aggregate = any("aggregate" in vocab.flags.get(header_key(h), ()) for h, f in
                        zip(layout.raw_headers, layout.fields) if f == "amount")
        if aggregate:
            grain = "supplier_month"
        elif period_dated:  # as a person would: the lines are the file's month's (or quarter's)
            grain = "transaction"
            warnings.append(f"sheet {sheet!r}: no payment date column; lines dated by the file's period "
                            f"({period.precision} precision), flagged date_missing")
        else:
            return SheetOutcome(None, None, header, [], [], [], error=(
                "unmapped_header", f"sheet {sheet!r}: no payment date column, and no month or quarter in the file "
                f"name or link to date the lines by; headers: {layout.raw_headers}"))
    else:
        grain = "transaction"
    # An "Irrecoverable VAT" column holding Y/N flags (not amounts) is kept as text in other_attributes.
    if "irrecoverable_vat" in layout.fields:
        col = layout.columns[layout.fields.index("irrecoverable_vat")]
        filled = parse_content.sample(body, [col]).get_column(col).drop_nulls()
        numeric = values.parse_amounts(filled).is_not_null().sum()
        if filled.len() and numeric * 2 < filled.len():
            index = layout.fields.index("irrecoverable_vat")
            layout.fields[index] = None
            layout.matches[index] = ColumnMatch(None, None, 0.0)
            warnings.append(f"sheet {sheet!r}: irrecoverable VAT column holds flags, not amounts; kept in "
                            f"other_attributes")
            header = dict(zip(layout.raw_headers, [f or "other_attributes" for f in layout.fields]))
    # Name the columns by field; unmapped ones keep their header for other_attributes.
    by_field = {f: c for c, f in zip(layout.columns, layout.fields) if f}
    # Unmapped columns, and read-only fields (VAT amount, card flag, period), are kept in other_attributes.
    extras = [(h, c) for c, h, f in zip(layout.columns, layout.raw_headers, layout.fields)
              if not f or f in AUX_FIELDS]
    all_cols = [c for c in frame.columns if c != "row_number"]
    body = _rejoin_split_amounts(body, layout, by_field.get("amount"), all_cols, warnings, sheet)
    work = body.select(
        pl.col("row_number"),
        *[pl.col(c).alias(f) for f, c in by_field.items()],
        *[pl.col(c).alias(f"_x{i}") for i, (_, c) in enumerate(extras)],
        pl.any_horizontal([pl.col(c).is_not_null() for c in all_cols]).alias("_any"),
        (pl.col("_rejoined") if "_rejoined" in body.columns else pl.lit(False)).alias("_rejoined"),
    )
    fields = list(by_field)
    for f in ("supplier_name", "amount", "payment_date"):
        if f not in work.columns:
            work = work.with_columns(pl.lit(None, dtype=pl.String).alias(f))
    work = _fill_grouped_payees(work, warnings, sheet)
    # Decimal commas (1.234,56 in a semicolon export) are read as such, never as 1.23 and never guessed.
    separator = values.decimal_separator(parse_content.sample(work, ["amount"]).get_column("amount"))
    if separator == "ambiguous":
        return SheetOutcome(None, None, header, [], [], [], error=(
            "amount_decimal_ambiguous", f"sheet {sheet!r}: the amount column mixes decimal commas (1.234,56) and "
            f"decimal points (1,234.56); neither reading is safe"))
    raw_amount = work.get_column("amount")
    credits = work.get_column("credit_amount") if "credit_amount" in by_field else None
    if separator == ",":
        warnings.append(f"sheet {sheet!r}: amounts use a decimal comma (1.234,56); read as such")
        raw_amount = values.from_decimal_comma(raw_amount)
        credits = None if credits is None else values.from_decimal_comma(credits)
    # The amounts, payees and dates are read each on its own: payees and dates in threads beside the amounts
    # (each step keeps about one core busy, and Polars releases the interpreter lock while it works).
    with ThreadPoolExecutor(2, thread_name_prefix="spend-columns") as reading:
        payees = reading.submit(_read_payees, work.get_column("supplier_name"), hints.get("redaction_labels"))
        dates = (reading.submit(_read_dates, work.get_column("payment_date"), period.days)
                 if grain == "transaction" else None)
        amounts = values.parse_amounts(raw_amount, strict=True)
        payees, redaction_kinds = payees.result()
        vote, dates = dates.result() if dates is not None else (None, pl.DataFrame())
    work = work.with_columns(amounts.alias("_amount"), *payees.get_columns(), *dates.get_columns())
    del amounts, payees, dates
    if credits is not None:  # Debit and Credit columns: the amount is the debit less the credit
        credit = pl.lit(values.parse_amounts(credits, strict=True))
        work = work.with_columns(pl.when(pl.col("_amount").is_null() & credit.is_null()).then(None)
                                 .otherwise(pl.col("_amount").fill_null(0) - credit.fill_null(0))
                                 .cast(values.MONEY).alias("_amount"))
    del raw_amount
    work = _sign_credits(work, [(h, f) for h, f in zip(layout.raw_headers, layout.fields)
                                if f and f not in ID_LIKE and f not in AUX_FIELDS]
                         + [(h, f"_x{i}") for i, (h, _) in enumerate(extras)], warnings, sheet)
    # (a repair takes amounts from descriptive columns only, never from the payee or date columns: ID_LIKE)
    work = _repair_shifted_amounts(work, fields, warnings, sheet)
    if grain == "transaction":
        # (a cell's month or quarter is read only where it is no day: _read_dates)
        months, quarters, yearless = work.select(pl.col("_month", "_quarter").is_not_null().sum(),
                                                 pl.col("_yearless").sum()).row(0)
        for count, unit in ((months, "month"), (quarters, "quarter")):
            if count:
                warnings.append(f"sheet {sheet!r}: {count} payment dates are {unit}s (date_precision {unit})")
        if yearless:
            warnings.append(f"sheet {sheet!r}: {yearless} payment dates carry no year; each read as the day of "
                            f"that name inside the file's period ({period.days[0]} to {period.days[1]})")
        if len(vote.formats) > 1:
            warnings.append(f"sheet {sheet!r}: mixed date formats {vote.formats}")
        if not vote.formats and vote.values and not months and not quarters and not yearless:
            warnings.append(f"sheet {sheet!r}: no payment date could be read (e.g. all '00:00:00'); " + (
                "date_precision from the file's period" if period.days else
                "the file's name and link give no period to date the lines by (flagged date_unparsed)"))
        work = work.with_columns(pl.coalesce("_date", "_month", "_quarter").alias("_date"),
                                 pl.when(pl.col("_month").is_not_null()).then(pl.lit("month"))
                                 .when(pl.col("_quarter").is_not_null()).then(pl.lit("quarter"))
                                 .alias("_coarse")).drop("_month", "_quarter", "_yearless")
    else:
        work = work.with_columns(_date=pl.lit(None, dtype=pl.Date), _coarse=pl.lit(None, dtype=pl.String))
    work = _classify_rows(work, body, all_cols, fields, extras, by_field, vocab)
    declared: list[tuple[Decimal, bool]] = []
    work = _settle_totals(work, declared, warnings, sheet)
    dropped = work.filter(pl.col("_class").is_not_null() & (pl.col("_class") != "amount_only")).select(
        pl.lit(sheet).alias("sheet"), pl.col("row_number").cast(pl.Int32), pl.col("_class").alias("reason"),
        pl.col("_cells").alias("cells"))
    kept = work.filter(pl.col("_class").is_null() | (pl.col("_class") == "amount_only"))
    # a part of a penny written out ("1,234.567"), rounded half to even: said, not silently changed
    kept = kept.with_columns(
        _rounded=(pl.col("_amount").is_not_null() & pl.col("amount").str.contains(SUB_PENNY)).fill_null(False))
    time_only = pl.col("_time_only")
    flag_conditions = {
        "shifted_repaired": pl.col("_shift_from").is_not_null(),
        "amount_unparsed": pl.col("amount").is_not_null() & pl.col("_amount").is_null(),
        "amount_missing": pl.col("amount").is_null() & pl.col("_amount").is_null(),
        "amount_only": (pl.col("_class") == "amount_only").fill_null(False),
        "amount_rounded": pl.col("_rounded"),
        "amount_rejoined": pl.col("_rejoined"),
        "supplier_filled_down": pl.col("_filled"),
    }
    if grain == "transaction":
        flag_conditions |= {
            "date_lost": pl.col("_date").is_null() & time_only,
            "date_unparsed": pl.col("_date").is_null() & pl.col("payment_date").is_not_null() & ~time_only,
            "date_missing": pl.col("payment_date").is_null(),
        }
    flag_conditions["supplier_numeric"] = pl.col("_numeric_name")
    if layout.positional:
        flag_conditions["positional_header"] = pl.lit(True)
    kept = kept.with_columns(_flags(kept, flag_conditions))
    # (counted on the lines: a repeated header's "Amount" or a repaired shift is no unread amount)
    unparsed = kept.select(flag_conditions["amount_unparsed"].sum()).item()
    if unparsed:
        warnings.append(f"amount_unparsed: sheet {sheet!r}: {unparsed} amounts could not be read (lines kept, "
                        f"flagged amount_unparsed, not counted in the total)")
    rounded = kept.get_column("amount").filter(kept.get_column("_rounded"))  # (not every column of those lines)
    if rounded.len():
        warnings.append(f"amount_rounded: sheet {sheet!r}: {rounded.len()} amounts name a part of a penny (e.g. "
                        f"{_clip(rounded[0], 40)!r}); counted rounded to the penny, half to even, lines flagged "
                        f"amount_rounded")
    if extras:
        kept = kept.with_columns(_other_attributes(kept, extras))
    else:
        kept = kept.with_columns(_other=pl.lit(None, dtype=pl.String))
    kept = kept.with_columns(
        pl.lit(sheet).alias("sheet"),
        pl.coalesce(pl.col("_coarse"), pl.when(pl.col("_date").is_not_null()).then(pl.lit("day")),
                    pl.lit(period.precision)).alias("date_precision"),
    )
    populated = []
    if kept.height:
        extra_names = {c: f"_x{i}" for i, (_, c) in enumerate(extras)}
        names = [f or extra_names[c] for c, f in zip(layout.columns, layout.fields)]
        present = set(kept.columns)
        filled = kept.select([pl.col(n).is_not_null().sum() for n in dict.fromkeys(names) if n in present]).row(
            0, named=True)
        populated = [f or None for n, f in zip(names, layout.fields) if filled.get(n, 0) / kept.height >= 0.1]
    is_card_file = any("card" in vocab.flags.get(header_key(h), ()) and f not in ("card_flag",)
                       for h, f in zip(layout.raw_headers, layout.fields) if f)
    counts = _outside_counts(frame, layout)
    for reason, n in dropped.group_by("reason").len().iter_rows():
        counts[reason] = counts.get(reason, 0) + n
    basis = amount_basis_of(layout, vocab, hints)
    return SheetOutcome(kept, dropped, header, fields, populated, declared, grain=grain, is_card_file=is_card_file,
                        dropped_by_reason=counts, mapping=_mapping_of(layout), amount_basis=basis,
                        redaction_kinds=redaction_kinds, header_rows=layout.header_rows)


def _flags(kept: pl.DataFrame, conditions: dict[str, pl.Expr]) -> pl.Series:
    """`_flags`: the names of the conditions a line meets, comma-separated (null for none). The conditions are
    evaluated as bits and summed into one code per flagged line; each code present is named once and the lines
    take their code's names by lookup, never a text column per flag nor a text built per line."""
    bits = kept.select([condition.fill_null(False).alias(name) for name, condition in conditions.items()])
    index = bits.select(pl.any_horizontal(pl.all())).to_series().arg_true()
    unflagged = pl.repeat(None, kept.height, dtype=pl.String, eager=True).alias("_flags")
    if index.len() == 0:
        return unflagged
    few = index.len() * 4 <= kept.height  # then only the flagged lines are coded, and put in place
    code = (bits[index] if few else bits).select(pl.sum_horizontal(
        [pl.when(pl.col(name)).then(pl.lit(1 << i, dtype=pl.UInt32)).otherwise(pl.lit(0, dtype=pl.UInt32))
         for i, name in enumerate(conditions)])).to_series()
    labels = [None] * (code.max() + 1)  # code 0 (no flag) names none
    for present in code.unique().to_list():
        labels[present] = ",".join(name for i, name in enumerate(conditions) if present >> i & 1) or None
    names = pl.Series("_flags", labels, dtype=pl.String).gather(code)
    return unflagged.scatter(index, names) if few else names.alias("_flags")


def _read_payees(names: pl.Series, redaction_labels: list[str] | None) -> tuple[pl.DataFrame, pl.Series]:
    """The payee column with runs of spaces collapsed and what each payee says, read once per distinct payee:
    `_total_name` (a total label), `_numeric_name` (only a number), and `_payee`, the line's code for its
    payee's redaction kind among the kinds returned beside (looked up when the lines are assembled)."""
    names, distinct = _collapse_spaces(names)
    kinds, codes = values.per_distinct(names, lambda v: values.redaction_kind_expr(v, redaction_labels), distinct)
    return pl.DataFrame([
        names,
        _cells_matching(names, distinct, TOTAL_LABEL).alias("_total_name"),
        _cells_matching(names, distinct, SUBTOTAL_NAME).alias("_subtotal_name"),
        _cells_matching(names, distinct, NUMERIC_NAME).alias("_numeric_name"),
        codes.alias("_payee"),
    ]), kinds


def _read_dates(raw_dates: pl.Series,
                period: tuple[dt.date, dt.date] | None) -> tuple[values.DateVote, pl.DataFrame]:
    """The column's date format vote, and per cell `_date` (a day), `_month` (a cell naming an accounting month:
    "2017-01", "201610", "Jan-17", "2016/17 P08", the first of the month with month precision, not a null
    date), `_quarter` (a cell naming a quarter: "Q1 2016/17", "Apr-Jun 2016", its first day with quarter
    precision) and `_time_only` (only a time of day), each distinct value parsed once. Months and quarters
    are read only for the values that are no day (a line's month counts only where it has no day): a column of
    days costs no month forms (about 5 ms to plan, on every sheet). `period`: the file's first and last day,
    when its name or link gives them (values.vote_from_reads)."""
    distinct = raw_dates.drop_nulls().unique()
    # a row per distinct value, then the null cells'
    vote, evaluated, codes = values.read_days(raw_dates, distinct, period)
    undated = evaluated.get_column("_date").head(distinct.len()).is_null().arg_true()
    no_period = pl.repeat(None, evaluated.height, dtype=pl.Date, eager=True)
    months, quarters = no_period.alias("_month"), no_period.alias("_quarter")
    yearless = pl.repeat(False, evaluated.height, dtype=pl.Boolean, eager=True).alias("_yearless")
    if undated.len():
        cells = distinct.gather(undated)
        month_cells = values.month_starts(cells).fill_null(values.named_months(cells, period))
        quarter_cells = values.quarter_starts(cells)
        months = months.scatter(undated, month_cells)
        quarters = quarters.scatter(undated, quarter_cells)
        # a day written without its year ("03-Apr") is the one of that name inside the file's period
        days = values.yearless_days(cells, period)
        days = pl.select(pl.when(month_cells.is_null() & quarter_cells.is_null()).then(days)).to_series()
        if days.is_not_null().any():
            evaluated = evaluated.with_columns(evaluated.get_column("_date").scatter(undated, days))
            yearless = yearless.scatter(undated, days.is_not_null())
    return vote, evaluated.with_columns(months, quarters, yearless).select(
        "_date", "_month", "_time_only", "_quarter", "_yearless").gather(codes)


def _collapse_spaces(column: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Runs of whitespace -> one space, and the values the result's cells are among (the column's distinct
    values and their collapsed forms). The test runs once per distinct value and the change only on the cells
    holding a run or a tab/newline (a few): every other cell is already its own result and keeps its stored
    text (no new copy of the column)."""
    distinct = column.drop_nulls().unique()
    runs = distinct.filter(distinct.str.contains(r"\s\s|[^\S ]"))
    if runs.len() == 0:
        return column, distinct
    index = column.is_in(runs.implode()).fill_null(False).arg_true()
    collapsed = column.scatter(index, column.gather(index).str.replace_all(r"\s+", " "))
    return collapsed, pl.concat([distinct, runs.str.replace_all(r"\s+", " ")]).unique()


def _cells_matching(column: pl.Series, distinct: pl.Series, pattern: str) -> pl.Series:
    """Whether each cell of `column` (whose values are among `distinct`) contains `pattern` (false for a null),
    the pattern run once per distinct value rather than once per cell."""
    return column.is_in(distinct.filter(distinct.str.contains(pattern)).implode()).fill_null(False)


def _numbered_repeats(headers: list[str], warnings: list[str]) -> list[str]:
    """The headers with each repeat of a name numbered ("Class Code", "Class Code (2)"): the columns are told
    apart by header in other_attributes, the header report and the mapping (real exports repeat a name over a
    code column and its description)."""
    taken, seen, named = set(headers), set(), []
    last: dict[str, int] = {}  # the last number given to each name (a header of one name many times: no rescans)
    for header in headers:
        name, n = header, last.get(header, 1)
        while name in seen or (name != header and name in taken):
            n += 1
            name = f"{header} ({n})"
        last[header] = n
        seen.add(name)
        named.append(name)
    repeated = sorted({h for h, n in zip(headers, named) if h != n})
    if repeated:
        warnings.append(f"header names repeated, later ones numbered: {repeated}")
    return named


def _other_attributes(kept: pl.DataFrame, extras: list[tuple[str, str]]) -> pl.Series:
    """The unmapped cells of each line as a JSON object (null when all are empty). When those cells repeat (a
    card flag, a category), each distinct combination is encoded once and shared by its lines."""
    names = [f"_x{i}" for i in range(len(extras))]
    encode = (pl.when(pl.any_horizontal([pl.col(n).is_not_null() for n in names]))
              .then(pl.struct([pl.col(n).alias(h) for n, (h, _) in zip(names, extras)]).struct.json_encode())
              .alias("_other"))
    cells = kept.select(names)
    head = cells.head(readers.COMPACT_SAMPLE)
    if kept.height < readers.COMPACT_SAMPLE or head.n_unique() * 4 > head.height:
        return cells.select(encode).to_series()
    # Each cell as its position among its column's distinct values: the distinct combinations are then found,
    # and joined back to the lines, on small integers rather than on the text.
    distinct_values = [cells.get_column(n).drop_nulls().unique() for n in names]
    if any(d.len() * 4 > cells.height for d in distinct_values):
        return cells.select(encode).to_series()
    codes = cells.select([pl.col(n).cast(pl.Enum(d)).to_physical() for n, d in zip(names, distinct_values)])
    del cells
    if len(names) == 1:  # one unmapped column: each line's code is its combination's position, no join
        encoded = distinct_values[0].to_frame(names[0]).select(encode).to_series()
        return encoded.gather(codes.to_series()).alias("_other")
    combinations = codes.unique()
    if combinations.height * 4 > codes.height:
        return kept.select(encode).to_series()
    decoded = combinations.select([d.gather(combinations.get_column(n)).alias(n) for n, d in zip(names, distinct_values)])
    combinations = combinations.with_columns(decoded.select(encode).to_series())
    return codes.join(combinations, on=names, how="left", maintain_order="left", nulls_equal=True).get_column("_other")


# Of the lines with an amount, the share with no payee that makes a report grouped by payee: a month's lines
# run several to a payee, so most are blank; a file naming each payee once beside blank redactions has fewer.
GROUPED_MIN_SHARE = 0.5


def _fill_grouped_payees(work: pl.DataFrame, warnings: list[str], sheet: str) -> pl.DataFrame:
    """A report grouped by payee prints each payee once, on its group's first line, and leaves the payee cell
    of the lines below it blank. Told by its shape: every named payee appears once, on the first line too, and
    half or more of the lines with an amount have no payee. The blank cells take the payee above them, each
    such line flagged supplier_filled_down (blank cells read otherwise as unlabelled redactions)."""
    line = pl.col("amount").is_not_null()
    named = pl.col("supplier_name").is_not_null()
    facts = work.select((line & ~named).sum().alias("blank"), line.sum().alias("lines"),
                        (line & named).sum().alias("named"),
                        pl.col("supplier_name").filter(line).first().is_not_null().alias("first")).row(0, named=True)
    if not (facts["first"] and facts["named"] >= 2 and facts["blank"] >= max(3, GROUPED_MIN_SHARE * facts["lines"])
            and work.select(pl.col("supplier_name").filter(line & named).n_unique()).item() == facts["named"]):
        return work.with_columns(_filled=pl.lit(False))  # (the distinct payees counted only when the rest holds)
    warnings.append(f"sheet {sheet!r}: a report grouped by payee (each named once, on its group's first line): "
                    f"{facts['blank']} lines with no payee take the one above them (flagged supplier_filled_down)")
    blank = line & ~named
    return work.with_columns(blank.alias("_filled"), pl.when(blank).then(pl.col("supplier_name").forward_fill())
                             .otherwise(pl.col("supplier_name")).alias("supplier_name"))


def _rejoin_split_amounts(body: pl.DataFrame, layout: SheetLayout, amount: str | None, all_cols: list[str],
                          warnings: list[str], sheet: str) -> pl.DataFrame:
    """An amount written with thousands commas but not quoted ("16,469.92" in a comma-separated line) splits
    into cells ("16" | "469.92") and pushes the rest of its line one cell right, past the header's last column.
    On such a line (its cells past the header as many as the amount's missing groups, each group three digits,
    the last with its pence: "123" beside "500" may be a code) the amount is joined again and the cells after
    it move back; the line is flagged amount_rejoined. When any other line reaches past the header, none is
    changed."""
    named = [int(c[1:]) for c, h in zip(layout.columns, layout.raw_headers) if h != f"column_{int(c[1:]) + 1}"]
    if amount is None or not named or layout.positional:
        return body
    width = max(named) + 1  # the header's columns; a line's cells beyond them spilled over
    spill = [c for c in all_cols if int(c[1:]) >= width]
    if not spill or len(spill) > 2:
        return body
    at = all_cols.index(amount)
    filled = [pl.col(c).is_not_null() for c in spill]
    head = pl.col(amount).str.contains(r"^\s*[-(]?\s*£?\s*\d{1,3}$").fill_null(False)
    after = all_cols[at + 1:]
    masks = []
    for groups in (1, 2):
        if len(spill) < groups or len(after) < groups:
            break
        spilled = pl.all_horizontal(filled[:groups]) & (pl.all_horizontal(
            [~f for f in filled[groups:]]) if filled[groups:] else pl.lit(True))
        parts = [pl.col(c).str.contains(r"^\d{3}$").fill_null(False) for c in after[:groups - 1]]
        last = pl.col(after[groups - 1]).str.contains(r"^\d{3}\.\d{1,2}\s*\)?-?$").fill_null(False)
        masks.append(spilled & head & pl.all_horizontal([*parts, last]))
    found = body.select([m.alias(f"g{i + 1}") for i, m in enumerate(masks)]
                        + [pl.any_horizontal(filled).alias("reaching")])
    reaching = int(found.drop_in_place("reaching").sum())
    counts = [int(found.get_column(c).sum()) for c in found.columns]
    # Every line reaching past the header must be such a split amount: a column of its own under no header
    # cell (codes beside whole-pound amounts) is no spill, and then nothing is joined.
    if not any(counts) or sum(counts) != reaching:
        return body
    moved = {c: pl.col(c) for c in [amount, *after]}
    for groups, count in enumerate(counts, start=1):
        if not count:
            continue
        rows = pl.lit(found.get_column(f"g{groups}"))
        joined = pl.concat_str([pl.col(amount), *[pl.col(c) for c in after[:groups]]], separator=",")
        moved[amount] = pl.when(rows).then(joined).otherwise(moved[amount])
        for i, c in enumerate(after):
            source = after[i + groups] if i + groups < len(after) else None
            moved[c] = pl.when(rows).then(pl.col(source) if source else pl.lit(None, dtype=pl.String)) \
                .otherwise(moved[c])
    rejoined = pl.any_horizontal([pl.lit(found.get_column(c)) for c in found.columns]).alias("_rejoined")
    warnings.append(f"sheet {sheet!r}: {sum(counts)} amounts written with thousands commas but not quoted, split "
                    f"over cells, were joined again (lines flagged amount_rejoined)")
    return body.with_columns([e.alias(c) for c, e in moved.items()] + [rejoined])


# A column saying whether each line is a debit or a credit ("Dr/Cr": DR, CR; "Document Type": Invoice, Credit
# Note). Single letters (D, C) count only under a header that speaks of debits and credits.
CREDIT_MARKS = {"cr", "credit", "credit note", "credit memo", "cn", "crn", "cr note", "credit invoice"}
DEBIT_MARKS = {"dr", "db", "debit", "debit note", "invoice", "inv", "payment"}
LETTER_MARKS = {"c": "credit", "d": "debit"}
DEBIT_CREDIT_HEADER = re.compile(r"(?i)\b(dr|cr|d ?/ ?c|c ?/ ?d|debit|credit|sign|indicator)\b|drcr|crdr")
# The headers such a column goes by ("Dr/Cr", "Document Type", "Transaction Type", "Doc Type"): only these are read.
DEBIT_CREDIT_COLUMN = re.compile(r"(?i)type|dr|cr|d ?/ ?c|c ?/ ?d|debit|credit|sign|indicator|doc")


def _sign_credits(work: pl.DataFrame, candidates: list[tuple[str, str]], warnings: list[str],
                  sheet: str) -> pl.DataFrame:
    """Lines a debit/credit column marks as credits, written as positive amounts, are credits: their amounts are
    made negative (as a CR suffix on the amount is). When the marked credits are already negative the column
    only repeats the sign, and nothing changes; when they carry both signs, which one holds is not guessed (a
    warning). `candidates`: (header, work column) of the sheet's descriptive columns."""
    candidates = [(h, c) for h, c in candidates if DEBIT_CREDIT_COLUMN.search(h or "")]
    if not candidates:
        return work
    columns = [c for _, c in candidates]  # each column's distinct values in a sample, in one evaluation
    sampled = parse_content.sample(work, columns).select(
        [pl.col(c).drop_nulls().str.strip_chars().str.to_lowercase().unique().head(13).implode() for c in columns])
    for (header, column), distinct in zip(candidates, sampled.row(0)):
        if _debit_credit_marks(distinct, header) is None:
            continue
        cells = work.get_column(column).str.strip_chars().str.to_lowercase()
        marked = _debit_credit_marks(cells.drop_nulls().unique().head(13).to_list(), header, strict=False)
        kind = cells.replace_strict(marked or {}, default=None, return_dtype=pl.String)
        credit = (kind == "credit").fill_null(False)
        positive, negative = _signs(work.filter(credit))
        if positive and not negative:
            warnings.append(f"sheet {sheet!r}: {positive} lines marked as credits in column {header!r} are counted "
                            f"negative (their amounts are written positive)")
            return work.with_columns(pl.when(pl.lit(credit)).then(-pl.col("_amount")).otherwise(pl.col("_amount"))
                                     .alias("_amount"))
        if positive and negative:
            warnings.append(f"sheet {sheet!r}: column {header!r} marks {positive + negative} lines as credits, but "
                            f"{positive} of their amounts are positive and {negative} negative; amounts kept as "
                            f"written")
        return work
    return work


def _signs(lines: pl.DataFrame) -> tuple[int, int]:
    """How many of the lines' amounts are positive, and how many negative (zeros and nulls are neither)."""
    return lines.select((pl.col("_amount") > 0).sum().alias("positive"),
                        (pl.col("_amount") < 0).sum().alias("negative")).row(0)


def _debit_credit_marks(distinct: list[str], header: str, strict: bool = True) -> dict[str, str] | None:
    """value -> "credit" | "debit" when a column's `distinct` values (lower case, at most 12) are debit and
    credit marks (at least one credit; `strict`: every value a mark), else None."""
    if not distinct or len(distinct) > 12:
        return None
    letters = bool(DEBIT_CREDIT_HEADER.search(header or ""))
    kinds = {v: "credit" if v in CREDIT_MARKS else "debit" if v in DEBIT_MARKS
             else LETTER_MARKS.get(v) if letters else None for v in distinct}
    if "credit" not in kinds.values() or (strict and None in kinds.values()):
        return None
    return {v: k for v, k in kinds.items() if k}


def _repair_shifted_amounts(work: pl.DataFrame, fields: list[str], warnings: list[str], sheet: str) -> pl.DataFrame:
    """Shifted rows: an empty amount while a normally non-numeric text column holds a number in that row (the
    last rows of Lancashire Fire's file). Which columns are "normally non-numeric" is judged on a sample; the
    repair is computed only for the rows with a payee and no amount."""
    missing = work.get_column("amount").is_null() & work.get_column("supplier_name").is_not_null()
    if not missing.any():
        return work.with_columns(_shift_from=pl.lit(None, dtype=pl.String))
    sample = parse_content.sample(work, fields)
    shift_sources = []
    for f in fields:
        if f in ID_LIKE or f in AUX_FIELDS:
            continue
        filled = sample.get_column(f).drop_nulls()
        if filled.len() and values.parse_amounts(filled).is_not_null().sum() < 0.5 * filled.len():
            shift_sources.append(f)
    if not shift_sources:
        return work.with_columns(_shift_from=pl.lit(None, dtype=pl.String))
    rows = work.filter(missing).select("row_number", *shift_sources)
    found = rows.select(
        pl.col("row_number"),
        pl.coalesce([values.amount_expr(pl.col(f)) for f in shift_sources]).alias("_shift_value"),
        pl.coalesce([pl.when(values.amount_expr(pl.col(f)).is_not_null()).then(pl.lit(f))
                     for f in shift_sources]).alias("_shift_from"),
    ).filter(pl.col("_shift_from").is_not_null())
    work = work.join(found, on="row_number", how="left", maintain_order="left")
    work = work.with_columns(
        pl.coalesce(pl.col("_amount"), pl.col("_shift_value")).alias("_amount"),
        *[pl.when(pl.col("_shift_from") == f).then(None).otherwise(pl.col(f)).alias(f) for f in shift_sources],
    ).drop("_shift_value")
    if found.height:
        warnings.append(f"sheet {sheet!r}: {found.height} rows had the amount in another column; repaired and "
                        f"flagged shifted_repaired")
    return work


def _classify_rows(work: pl.DataFrame, body: pl.DataFrame, all_cols: list[str], fields: list[str],
                   extras: list[tuple[str, str]], by_field: dict[str, str], vocab: Vocabulary) -> pl.DataFrame:
    """`_class` per row (blank, repeated_header, total, summary, note, amount_only; null = a payment line) and
    `_cells` (the row's cells joined, for the dropped-rows table). Every such row is blank, lacks an amount or a
    payee, or names a total in its payee cell (a repeated header's amount cell is a header word, never an
    amount), so the label checks run only on those rows, never on every line: not on every line of a file whose
    dates are all missing either."""
    subtotal_name = pl.col("_subtotal_name").fill_null(False) & pl.col("_date").is_null()
    suspect = (~pl.col("_any") | pl.col("_amount").is_null() | pl.col("supplier_name").is_null()
               | pl.col("_total_name").fill_null(False) | subtotal_name)
    mask = work.select(suspect.alias("m")).to_series()
    if not mask.any():
        return work.with_columns(_class=pl.lit(None, dtype=pl.String), _cells=pl.lit(None, dtype=pl.String))
    sub = work.filter(mask).with_columns(body.filter(mask).select(
        pl.concat_str([pl.col(c) for c in all_cols], separator="|", ignore_nulls=True).alias("_cells"),
        pl.any_horizontal([pl.col(c).str.contains(TOTAL_LABEL) for c in all_cols]).fill_null(False).alias("_total_label"),
        _header_like_cells(all_cols, vocab).alias("_header_like"),
        pl.any_horizontal([pl.col(c).str.contains(LOOSE_TOTAL_LABEL) for c in all_cols
                           if c != by_field.get("supplier_name")] or [pl.lit(False)]).fill_null(False)
        .alias("_loose_total_label"),
        pl.any_horizontal([pl.col(c).str.contains(SUMMARY_LABEL) for c in all_cols
                           if c != by_field.get("supplier_name")] or [pl.lit(False)]).fill_null(False)
        .alias("_summary_label"),
    ))
    other_cells = [c for c in sub.columns if c in fields and c != "amount"] + [f"_x{i}" for i in range(len(extras))]
    only_amount = ~pl.any_horizontal([pl.col(c).is_not_null() for c in other_cells]) if other_cells else pl.lit(True)
    classes = sub.select(
        pl.col("row_number"),
        pl.col("_cells"),
        pl.when(~pl.col("_any")).then(pl.lit("blank"))
        .when(pl.col("_header_like")).then(pl.lit("repeated_header"))
        # A total row names itself in a whole cell and is not a payment: no payee (or the label sits in the
        # payee column) and no date. "Total" as a purpose on a dated payment to a named supplier is a payment.
        .when(pl.col("_total_label") & pl.col("_date").is_null()
              & (pl.col("supplier_name").is_null() | pl.col("supplier_name").str.contains(TOTAL_LABEL)))
        .then(pl.lit("total"))
        .when(pl.col("_loose_total_label") & pl.col("_date").is_null() & pl.col("supplier_name").is_null()
              & pl.col("_amount").is_not_null())
        .then(pl.lit("total"))
        .when(pl.col("_summary_label") & pl.col("_date").is_null() & pl.col("supplier_name").is_null())
        .then(pl.lit("summary"))
        .when(subtotal_name & pl.col("_amount").is_not_null()).then(pl.lit("subtotal_named"))  # (_settle_totals)
        # No money and no date: not a payment but a note, whatever cells it fills: a footnote in the payee
        # column ("Notes:", one on redactions), a report's page title repeated above its repeated header
        # ("Devon County Council,,,,Page 2"), or one in the date column ("Page 2 of 3") beside no payee, or a
        # row of units under the header ("(dd/mm/yyyy),,(£)": no digit in its amount cell). A line with a date,
        # or with a payee, but no amount is kept, flagged.
        .when(pl.col("_shift_from").is_null() & (
            (pl.col("amount").is_null() & (
                pl.col("payment_date").is_null() | (pl.col("_date").is_null() & pl.col("supplier_name").is_null())))
            | (pl.col("_amount").is_null() & ~pl.col("amount").str.contains(r"\d").fill_null(True)
               & pl.col("_date").is_null() & pl.col("supplier_name").is_null())))
        .then(pl.lit("note"))
        .when(pl.col("_amount").is_not_null() & only_amount).then(pl.lit("amount_only"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias("_class"),
    ).filter(pl.col("_class").is_not_null())
    return work.join(classes, on="row_number", how="left", maintain_order="left")


def _outside_counts(frame: pl.DataFrame, layout: SheetLayout) -> dict[str, int]:
    """Records of a sheet outside its table body: every record before the header is `preamble` (blank ones
    too), the header record(s) are `header`, and records between two header rows or below a header found on
    the last line are `blank` (the header search skips only blank records)."""
    if layout.first_data_row is not None:
        before = int((frame.get_column("row_number") < layout.first_data_row).sum())
        return {"preamble": before} if before else {}
    if layout.positional or not layout.header_rows:
        return {}
    first, last = layout.header_rows[0], layout.header_rows[-1]
    row_number = frame.get_column("row_number")
    counts = {"header": len(layout.header_rows)}
    if layout.data_before_header:
        counts["blank"] = int((row_number > last).sum())
    else:
        counts["preamble"] = int((row_number < first).sum())
        counts["blank"] = int(((row_number > first) & (row_number < last)).sum())
    return {k: v for k, v in counts.items() if v}


def _mapping_of(layout: SheetLayout) -> dict[str, dict]:
    """canonical field -> {header, basis, score} for every mapped column of a sheet (contract interface 1)."""
    return {m.field: {"header": raw, "basis": m.basis, "score": round(float(m.score), 3)}
            for raw, m in zip(layout.raw_headers, layout.matches) if m.field}


NET_WORDS = re.compile(r"(?i)\bnett?\b|\bexcl|\bexc\.?\s*vat|\bex\.?\s*vat|excluding|excludes|before vat|pre[- ]vat|\bnet of")
GROSS_WORDS = re.compile(r"(?i)\bgross\b|\bincl|\binc\.?\s*vat|including|includes vat|with vat")


def amount_basis_of(layout: SheetLayout, vocab: Vocabulary, hints: dict) -> str:
    """net | gross | unknown for the sheet's amount column: its header's own words ("Net Amount", "Amount
    Excluding VAT", "Total (excludes VAT)", "Gross") or the alias table's `gross` flag, else the source's
    recorded basis (registry `amount_basis`), else unknown."""
    for raw, m in zip(layout.raw_headers, layout.matches):
        if m.field != "amount":
            continue
        if NET_WORDS.search(raw):
            return "net"
        if GROSS_WORDS.search(raw) or "gross" in vocab.flags.get(header_key(raw), ()):
            return "gross"
    recorded = str(hints.get("amount_basis") or "").strip().lower()
    return recorded if recorded in ("net", "gross") else "unknown"


def _header_like_cells(cols: list[str], vocab: Vocabulary) -> pl.Expr:
    """True for a row that is itself a header (repeated between blocks, or a shifted block's own header):
    at least two cells, and at least half of the filled ones, are known header aliases."""
    keys = sorted(vocab.fields)
    hits = pl.sum_horizontal([
        pl.col(c).str.to_lowercase().str.replace_all(r"[^a-z0-9]", "").is_in(keys).fill_null(False).cast(pl.Int32)
        for c in cols])
    filled = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in cols])
    return (hits >= 2) & (hits * 2 >= filled)


def _settle_totals(work: pl.DataFrame, declared: list[tuple[Decimal, bool]], warnings: list[str],
                   sheet: str) -> pl.DataFrame:
    """Reconcile labelled total rows against the lines above them (all of them, or those since the last
    total), or against all the sheet's lines for a total above them; drop an amount-only row when it equals
    the sum of the lines above (an unlabelled total); other amount-only rows stay, flagged. Appends the
    sheet's declared total to `declared`: a total of every line above replaces the subtotals before it, so
    subtotals and their grand total are not counted twice. A row whose payee cell reads as a subtotal
    (SUBTOTAL_NAME, class `subtotal_named`) is one only when its amount is the sum of the lines since the last
    total or of all the lines above it, or, for a count, their number; otherwise it is a payment. The running
    sums are vectorised cum_sums; Python visits only the (few) total, subtotal and amount-only rows."""
    is_special = pl.col("_class").is_in(["total", "amount_only", "subtotal_named"]).fill_null(False)
    if not work.select(is_special.any()).item():
        return work
    payment = pl.col("_class").is_null()
    line_amount = pl.when(payment).then(pl.col("_amount")).otherwise(pl.lit(0, dtype=values.MONEY)).fill_null(0)
    special = work.select(
        pl.col("row_number"), pl.col("_class"), pl.col("_amount"), pl.col("_cells"),
        line_amount.cum_sum().alias("_running"), payment.cast(pl.Int64).cum_sum().alias("_lines"),
        pl.col("supplier_name"),
    ).filter(is_special)
    every_line = work.select(line_amount.sum()).item() or Decimal("0")
    drop_rows, named_totals, named_counts, named_payments = [], [], [], []
    since, since_lines = Decimal("0"), 0
    sheet_total, all_match, found = Decimal("0"), True, False
    for row_number, cls, amount, cells, running, lines, payee in special.iter_rows():
        above = running or Decimal("0")
        segment = above - since
        value = None
        if cls == "subtotal_named":
            if re.search(r"(?i)count:?$", payee) and amount in (lines - since_lines, lines):
                named_counts.append(row_number)  # (a count of the group's lines, or of all of them)
                since, since_lines = above, lines
                continue
            if not ((amount == segment and lines > since_lines) or (amount == above and lines > 0)):
                named_payments.append(row_number)
                continue
            named_totals.append(row_number)
            cls = "total"
        if cls == "total":
            since_lines = lines
            value = amount
            if value is None:
                numbers = [Decimal(x) for x in re.findall(r"-?\d[\d,]*\.?\d*", (cells or "").replace(",", ""))
                           if re.fullmatch(r"-?\d+\.?\d*", x)]
                value = numbers[-1] if numbers else None
            since = above
        elif amount is not None and amount != 0 and amount in (above, segment):
            value = amount
            drop_rows.append(row_number)
            since, since_lines = above, lines
        if value is None:
            continue
        found = True
        # a total of every line (those above it, or all of them for a total above the lines) or of a segment
        every = value == above or (above == 0 and value == every_line)
        sheet_total = value if every else sheet_total + value
        if not every and value != segment:
            all_match = False
            warnings.append(f"sheet {sheet!r}: declared total {value} on row {row_number} does not match "
                            f"the lines above ({segment})")
    if found:
        declared.append((sheet_total, all_match))
    if drop_rows or named_totals or named_counts or named_payments:
        row = pl.col("row_number")
        work = work.with_columns(
            pl.when(row.is_in(drop_rows)).then(pl.lit("unlabelled_total"))
            .when(row.is_in(named_totals)).then(pl.lit("total"))
            .when(row.is_in(named_counts)).then(pl.lit("summary"))
            .when(row.is_in(named_payments)).then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.col("_class")).alias("_class"))
    if named_totals or named_counts:
        warnings.append(f"sheet {sheet!r}: {len(named_totals) + len(named_counts)} rows naming a subtotal in the "
                        f"payee column (the sum or count of the lines above them) are not payments")
    left = work.filter(pl.col("_class") == "amount_only").height
    if left:
        warnings.append(f"sheet {sheet!r}: {left} rows carry only an amount (kept, flagged amount_only)")
    return work


# --- the whole file -----------------------------------------------------------------------------------------

def _sheets_of(source: readers.Source, filename: str | None, warnings: list[str],
               limits: readers.ParserLimits) -> tuple[str, list[readers.RawSheet]] | SpendParseResult:
    fmt = readers.sniff(source)
    if fmt == "empty":
        return _rejected("empty", "the file is empty", format=fmt)
    if fmt == "pdf":
        return _rejected("pdf", "a PDF document: no table extraction for spend files", format=fmt)
    if fmt == "unreadable":
        return _rejected("unreadable", "a damaged ZIP container", format=fmt)
    base = Path(filename).name if filename else "data"
    try:
        if fmt == "text":  # a file on disk is read a batch at a time, never whole
            return fmt, [readers.read_text(source, base, limits, prepare=_clean_cells)]
        if fmt in MARKUP and (size := readers.source_size(source)) > limits.max_text_bytes:
            return _rejected("too_large", f"{size:,} bytes of markup, over the limit", format=fmt)
        data = readers.source_bytes(source)  # containers are read whole (bounded by the archive limits)
        if fmt in ("xlsx", "xls", "ods"):
            return fmt, readers.read_workbook(data, limits)
        if fmt in MARKUP:
            tables = markup.read_markup(data, fmt, limits)
            if not tables:
                return _html_page(fmt, "it holds no table") if fmt == "html" else _rejected(
                    "empty", "an XML workbook with no worksheet of two rows or more", format=fmt)
            return fmt, tables
        sheets: list[readers.RawSheet] = []
        for name, member in readers.zip_members(data, limits):
            inner = readers.sniff(member)
            if inner == "text":
                sheets.append(readers.read_text(member, name, limits, prepare=_clean_cells))
            elif inner in ("xlsx", "xls", "ods"):
                sheets += [readers.RawSheet(f"{name}!{s.name}", s.frame, s.encoding)
                           for s in readers.read_workbook(member, limits)]
            elif inner in MARKUP and (tables := markup.read_markup(member, inner, limits)):
                sheets += [readers.RawSheet(f"{name}!{s.name}", s.frame, s.encoding) for s in tables]
            else:
                warnings.append(f"ZIP member {name!r} skipped: {inner}")
        if not sheets:
            return _rejected("empty", "a ZIP with no spreadsheet or CSV members", format=fmt)
        return fmt, sheets
    except readers.UnreadableFile as exc:
        return _rejected("unreadable", str(exc), format=fmt)
    except readers.RefusedFile as exc:  # a limit: the reason code says which (ParserLimits)
        return _rejected(exc.code, str(exc), format=fmt)


MARKUP = ("html", "spreadsheetml")  # a report exported as a web page or as Excel 2003's XML (markup.py)


def _html_page(fmt: str, why: str) -> SpendParseResult:
    return _rejected("html_page", f"an HTML page (error, login or challenge page) served as a data file: {why}",
                     format=fmt)


MAX_TABLES_PER_SHEET = 50  # a sheet "stacking" more tables than this is read as one (a hostile file's cost)


def _table_starts(grid: pl.DataFrame, outcome: SheetOutcome, vocab: Vocabulary) -> list[int]:
    """The row_numbers where a table under a header of its own begins below the sheet's first, or [] for one
    table: months exported by two systems, or with their columns in another order, stacked into one sheet.
    A header row that repeats the one above it is a repeated header, not a new table. Looked for only where
    the sheet shows it (its parse found a header-like row that is not its header, or a header row above the
    one it took, whose lines it counted as a preamble, or refused the sheet), so a sheet of one table costs
    little more."""
    cols = [c for c in grid.columns if c != "row_number"]
    if outcome.error is None:
        if outcome.dropped is None or not outcome.header_rows:
            return []
        header = outcome.header_rows[0]
        found = outcome.dropped.filter(pl.col("reason") == "repeated_header").get_column("row_number").to_list()
        above = []
        if header > 1:
            preamble = grid.slice(0, min(header - 1, HEADER_SEARCH_ROWS))  # (a grid's row n is at position n - 1)
            above = preamble.filter(_header_like_cells(cols, vocab)).get_column("row_number").to_list()
        header_rows = sorted({*above, header, *found})  # (a header on the last line has its repeats above it)
    elif outcome.error[0] in ("amount_unparseable", "ambiguous_column", "unmapped_header"):
        header_rows = grid.filter(_header_like_cells(cols, vocab)).get_column("row_number").to_list()
    else:
        return []
    if len(header_rows) < 2:
        return []
    cells = grid.filter(pl.col("row_number").is_in(header_rows)).select(cols).rows()
    starts, current = [], [header_key(c) for c in cells[0]]
    for row_number, row in zip(header_rows[1:], cells[1:]):
        keys = [header_key(c) for c in row]
        if keys != current:
            starts.append(row_number)
            current = keys
    return starts if len(starts) < MAX_TABLES_PER_SHEET else []


def _parse_tables(grid: pl.DataFrame, starts: list[int], sheet: str, vocab: Vocabulary, hints: dict,
                  warnings: list[str], period: FilePeriod,
                  previous: SheetOutcome | None) -> list[tuple[str, SheetOutcome, int]]:
    """Each table of a sheet parsed on its own, as (label, outcome, records): its lines and dropped rows keep
    the sheet's name and their row numbers in the sheet (provenance), the label names the rows it spans."""
    first = int(grid.get_column("row_number")[0])
    bounds = [first, *starts, first + grid.height]
    warnings.append(f"sheet {sheet!r}: {len(starts) + 1} tables, each under its own header (at rows "
                    f"{', '.join(str(b) for b in bounds[:-1])}); each is read by its own header")
    tables = []
    for start, end in zip(bounds, bounds[1:]):
        offset = start - 1  # a grid's row n is at position n - 1; a table's rows are numbered from 1 again
        table = grid.slice(start - first, end - start).with_columns(pl.col("row_number") - offset)
        label = f"{sheet} (rows {start}-{end - 1})"
        outcome = _parse_sheet(table, label, vocab, hints, warnings, period, previous)
        for name in ("rows", "dropped"):
            frame = getattr(outcome, name)
            if frame is not None:
                setattr(outcome, name, frame.with_columns(pl.col("row_number") + offset, pl.lit(sheet).alias("sheet")))
        tables.append((label, outcome, end - start))
        previous = outcome if outcome.error is None else previous
    return tables


def _records_quoted_whole(grid: pl.DataFrame, limits: readers.ParserLimits) -> pl.DataFrame | None:
    """A sheet of one column whose cells are whole records ("Date,Supplier,Amount"): an export that quoted each
    line as one field, or CSV lines pasted into a spreadsheet's first column. When nine cells in ten hold one
    separator, the cells are read again as the records they are, each keeping its row number; None otherwise
    (or when a cell holds a line break, which would move the rows)."""
    cols = [c for c in grid.columns if c != "row_number"]
    if len(cols) != 1:
        return None
    cells = grid.get_column(cols[0])
    filled = cells.drop_nulls()
    if filled.len() < 2 or filled.str.contains("\n", literal=True).any():
        return None
    for separator in (",", ";", "\t", "|"):
        counts = filled.str.count_matches(separator, literal=True)
        if (counts > 0).mean() >= 0.9:
            break
    else:
        return None
    width = int(counts.max()) + 1
    if width > limits.max_columns or width * grid.height > limits.max_sheet_cells:
        return None
    names = [f"c{i}" for i in range(width)]
    text = separator.join(names) + "\n" + cells.fill_null("").str.join("\n").item() + "\n"
    records = pl.read_csv(io.BytesIO(text.encode()), separator=separator, infer_schema=False)
    if records.height != grid.height:
        return None
    return records.select(grid.get_column("row_number"), *names)


def _set_aside(outcomes: list[tuple[str, SheetOutcome]], summary, reason: str, why: str, warnings: list[str],
               skipped: dict[str, int]) -> list[tuple[str, SheetOutcome]]:
    """The sheets that are not `summary(outcome)`; the others' records are counted as dropped for `reason`."""
    for name, o in outcomes:
        if summary(o):
            warnings.append(f"sheet {name!r} skipped: {why}")
            skipped[reason] = skipped.get(reason, 0) + o.rows_in
    return [(name, o) for name, o in outcomes if not summary(o)]


def _flag_cut_short(tables: list[tuple[str, SheetOutcome, int]], last_row: int, sheet: str,
                    warnings: list[str]) -> None:
    """The text ends inside its last record (readers._ends_cut_short): that line, if kept, is flagged
    record_cut_short (its last cells, the amount among them, may be missing or cut), and a warning says so."""
    warnings.append(f"sheet {sheet!r}: the file ends inside its last record (no line end, fewer fields than the "
                    f"record before): possibly cut short in transfer; row {last_row} flagged record_cut_short")
    for _, outcome, _ in tables:
        if outcome.rows is not None and "_flags" in outcome.rows.columns:
            last = pl.col("row_number") == last_row
            outcome.rows = outcome.rows.with_columns(
                pl.when(last).then(pl.concat_str([pl.col("_flags"), pl.lit("record_cut_short")], separator=",",
                                                 ignore_nulls=True)).otherwise(pl.col("_flags")).alias("_flags"))


CREDIT_SHEET = re.compile(r"(?i)\bcredit ?notes?\b|\bcredits\b|\brefunds?\b")  # (not "Credit Card")


def _sign_credit_sheets(outcomes: list[tuple[str, SheetOutcome]], warnings: list[str]) -> None:
    """A workbook keeping its credit notes (or refunds) on a sheet of their own beside the payments, written as
    positive amounts: that sheet's amounts are credits, counted negative, with a warning. A credits sheet
    already negative, or one standing alone, is as written."""
    if len(outcomes) < 2:
        return
    for name, o in outcomes:
        if o.rows is None or not CREDIT_SHEET.search(name):
            continue
        positive, negative = _signs(o.rows)
        if positive and not negative:
            o.rows = o.rows.with_columns(-pl.col("_amount"))
            warnings.append(f"sheet {name!r}: its {positive} amounts are credits (the sheet's name says so), written "
                            f"positive: counted negative")


def _repeated_tables(outcomes: list[tuple[str, SheetOutcome]]) -> set[int]:
    """The outcomes (by id) whose lines - date, amount and payee, in any order - are those of an earlier one.
    Only lines dated by their own cells count: sheets dated by the file's period share their dates by nature."""
    def lines(o: SheetOutcome) -> pl.DataFrame:
        return o.rows.select("_date", "_amount", "supplier_name").sort(pl.all(), nulls_last=True)

    seen: dict[tuple, list[SheetOutcome]] = {}
    repeats = set()
    for _, o in outcomes:
        if o.rows is None or o.rows.height == 0 or o.period_dated:
            continue
        key = (o.rows.height, o.rows.get_column("_amount").sum())
        if any(lines(o).equals(lines(earlier)) for earlier in seen.get(key, [])):
            repeats.add(id(o))
        else:
            seen.setdefault(key, []).append(o)
    return repeats


def _warn_if_dated_outside(dates: pl.Series, period_key: str | None, warnings: list[str]) -> None:
    """A file none of whose lines falls in the period its name or link gives (DFID's "August-2010" holds December's
    payments) is kept as published, but said: the period decides which file a later one replaces."""
    dates = dates.drop_nulls()
    if period_key is None or dates.len() == 0:
        return
    first, last = period_range(period_key)
    if not dates.is_between(first, last).any():
        warnings.append(f"period_mismatch: no line is dated within the period {period_key} that the file name or "
                        f"link gives (lines dated {dates.min()} to {dates.max()})")


def parse_spend(source: readers.Source, *, filename: str | None = None, council_gss: str | None = None,
                hints: dict | None = None, source_url: str | None = None,
                limits: readers.ParserLimits | None = None) -> SpendParseResult:
    """Parse one spending file: its bytes, or the path of a local file holding them (read a batch at a time,
    so a large text file is never in memory whole; same result). See the module docstring and `_parse_spend`.
    A parser failure on bytes nobody foresaw is returned as a rejection (`parse_error`, with the exception)
    rather than raised, so one odd file is quarantined with its reason and the night goes on. `limits` bound
    what the file may make the parser do (readers.ParserLimits; each refusal has its own reason code)."""
    try:
        return _parse_spend(source, filename=filename, council_gss=council_gss, hints=hints, source_url=source_url,
                            limits=limits or readers.DEFAULT_LIMITS)
    except Exception as exc:  # deliberately broad: see the docstring
        return _rejected("parse_error", f"{type(exc).__name__}: {exc}", publication_id=readers.sha256_of(source))


def _parse_spend(source: readers.Source, *, filename: str | None, council_gss: str | None, hints: dict | None,
                 source_url: str | None, limits: readers.ParserLimits) -> SpendParseResult:
    """`hints`: header_overrides {raw or normalised header: canonical field | "ignore"}, ignore_columns [...],
    threshold (default: one the link text or file name states, else 500; None/"none" = no floor), period_label /
    link_text (the period the link names), dataset_kind ("pcard" marks card lines), redaction_labels
    [whole-cell labels a source uses for redacted payees]."""
    hints = dict(hints or {})
    warnings: list[str] = []
    # The content hash (the publication id) is computed beside the read: hashlib and file reads release the
    # GIL, so a large file is hashed on the other core while it is checked and read.
    with ThreadPoolExecutor(1, thread_name_prefix="spend-hash") as hashing:
        digest = hashing.submit(readers.sha256_of, source)
        read = _sheets_of(source, filename, warnings, limits)
        publication_id = digest.result()
    if isinstance(read, SpendParseResult):
        read.publication_id = publication_id
        return read
    fmt, raw_sheets = read
    vocab = vocabulary()
    declared = {k: v for k, v in source_aliases(hints, vocab, warnings).items() if v != "ignore"}
    if declared:  # a source's own headers must also count when the header row is located
        vocab = Vocabulary({**vocab.fields, **declared}, vocab.flags, vocab.markers)
    period_key = _period_key(filename, hints)
    period = FilePeriod.of(period_key)
    outcomes: list[tuple[str, SheetOutcome]] = []
    errors: list[tuple[str, str]] = []
    previous: SheetOutcome | None = None
    rows_in = sum(raw.frame.height for raw in raw_sheets)
    skipped: dict[str, int] = {}  # records of sheets read but not used, by reason
    sheet_of: dict[str, str] = {}  # the sheet each outcome's table is on
    for raw in raw_sheets:
        # The sheet's grid is handed over, not kept: once cleaned and typed, the raw grid is freed.
        grid, raw.frame = raw.frame, pl.DataFrame()
        height = grid.height
        if height == 0 or grid.width <= 1:
            warnings.append(f"sheet {raw.name!r} is empty")
            skipped["sheet_without_table"] = skipped.get("sheet_without_table", 0) + height
            continue
        if not raw.prepared:  # text was cleaned batch by batch as it was read
            grid = _clean_cells(grid)  # rebinding frees the raw grid's replaced columns
        if grid.width == 2 and (records := _records_quoted_whole(grid, limits)) is not None:
            warnings.append(f"sheet {raw.name!r}: each line was one quoted field; read as the records it holds")
            grid = _clean_cells(records)
        said = len(warnings)
        last_row = int(grid.get_column("row_number").max())
        outcome = _parse_sheet(grid, raw.name, vocab, hints, warnings, period, previous)
        starts = _table_starts(grid, outcome, vocab)
        if starts:  # what the reading as one table said no longer holds
            del warnings[said:]
            tables = _parse_tables(grid, starts, raw.name, vocab, hints, warnings, period, previous)
        else:
            tables = [(raw.name, outcome, height)]
        del grid
        if raw.cut_short:
            _flag_cut_short(tables, last_row, raw.name, warnings)
        for name, outcome, records in tables:
            if outcome.error:
                if outcome.error[0].startswith("not_spend"):
                    return _rejected(outcome.error[0], outcome.error[1], format=fmt, publication_id=publication_id,
                                     sheets=[s.name for s in raw_sheets], warnings=warnings)
                errors.append(outcome.error)
                skipped["sheet_without_table"] = skipped.get("sheet_without_table", 0) + records
                continue
            outcome.rows_in = records
            outcomes.append((name, outcome))
            sheet_of[name] = raw.name
            previous = outcome
    encodings = sorted({s.encoding for s in raw_sheets if s.encoding})
    encoding = ",".join(encodings) if encodings else None
    if readers.MIXED_ENCODING in encodings:
        warnings.append("the text is UTF-8 but for a few bytes that are not (a file joined from two exports?): "
                        "those were read as cp1252")
    if not outcomes:
        if fmt == "html" and not any(code.startswith("too_") for code, _ in errors):
            return _html_page(fmt, f"none of its {len(raw_sheets)} tables holds payment lines")
        code, reason = errors[0] if errors else ("empty", "no rows in any sheet")
        return _rejected(code, reason, format=fmt, publication_id=publication_id, encoding=encoding,
                         sheets=[s.name for s in raw_sheets], warnings=warnings)
    for code, reason in errors:
        warnings.append(f"sheet skipped ({code}): {reason}")
    # Summaries beside the sheets they sum would count the same money twice: a sheet with payees and amounts but
    # no dates beside dated sheets (skipped as it was before undated sheets were read), a pivot beside lines.
    if any(o.grain == "transaction" and not o.period_dated for _, o in outcomes):
        outcomes = _set_aside(outcomes, lambda o: o.period_dated, "sheet_without_table",
                              "no payment date column, beside sheets with dates", warnings, skipped)
    _sign_credit_sheets(outcomes, warnings)
    repeats = _repeated_tables(outcomes)
    if repeats:
        outcomes = _set_aside(outcomes, lambda o: id(o) in repeats, "repeated_table",
                              "the same lines as an earlier sheet (one table published twice, as in a ZIP holding "
                              "the month as CSV and as a workbook)", warnings, skipped)
    grains = {o.grain for _, o in outcomes}
    grain = "transaction" if "transaction" in grains else "supplier_month"
    if grain == "transaction" and "supplier_month" in grains:
        outcomes = _set_aside(outcomes, lambda o: o.grain == "supplier_month", "supplier_summary_sheet",
                              "a supplier summary beside transaction-level sheets", warnings, skipped)
    sheets = list(dict.fromkeys(sheet_of[name] for name, _ in outcomes))
    rows = _assemble(outcomes, hints, _threshold(hints, filename), council_gss, publication_id, period_key,
                     source_url)
    if rows.height == 0:
        return _rejected("empty", "a header but no payment lines", format=fmt, publication_id=publication_id,
                         encoding=encoding, sheets=sheets, warnings=warnings)
    dropped = pl.concat([o.dropped for _, o in outcomes if o.dropped is not None], how="vertical")
    headers = {name: o.header for name, o in outcomes}
    distinct = {json.dumps(h, sort_keys=True) for h in headers.values()}
    header = next(iter(headers.values())) if len(distinct) == 1 else headers
    totals = [d for _, o in outcomes for d in o.declared]
    _warn_if_dated_outside(rows.get_column("payment_date"), period_key, warnings)
    if rows.height < FEW_ROWS:
        warnings.append(f"few_rows: only {rows.height} payment lines; possibly a partial upload")
    dropped_by_reason = dict(skipped)
    for _, o in outcomes:
        for reason, n in o.dropped_by_reason.items():
            dropped_by_reason[reason] = dropped_by_reason.get(reason, 0) + n
    dropped_by_reason = {k: dropped_by_reason[k] for k in sorted(dropped_by_reason) if dropped_by_reason[k]}
    if rows_in != rows.height + sum(dropped_by_reason.values()):  # a bug, never a property of the file
        raise AssertionError(f"row accounting: {rows_in} records in, {rows.height} lines out, dropped "
                             f"{dropped_by_reason}")
    mappings = {name: o.mapping for name, o in outcomes}
    distinct_mappings = {json.dumps(m, sort_keys=True) for m in mappings.values()}
    mapping = next(iter(mappings.values())) if len(distinct_mappings) == 1 else mappings
    bases = sorted({o.amount_basis for _, o in outcomes})
    if len(bases) > 1:
        warnings.append(f"sheets differ in amount basis {bases}: the file's basis is unknown (per line kept)")
    return SpendParseResult(
        kind="spend", rows=rows, encoding=encoding, sheets=sheets, header=header,
        warnings=warnings, grain=grain, dropped_rows=dropped,
        declared_total=sum((d for d, _ in totals), Decimal("0.00")) if totals else None,
        declared_total_reconciled=all(ok for _, ok in totals) if totals else None,
        format=fmt, publication_id=publication_id, rows_in=rows_in, dropped_by_reason=dropped_by_reason,
        mapping=mapping, amount_basis=bases[0] if len(bases) == 1 else "unknown",
    )


def _assemble(outcomes: list[tuple[str, SheetOutcome]], hints: dict, threshold: Decimal | None,
              council_gss: str | None, publication_id: str, period_key: str | None,
              source_url: str | None) -> pl.DataFrame:
    card_dataset = str(hints.get("dataset_kind") or "").lower() in ("pcard", "card", "procurement_card")
    frames = []
    for _, o in outcomes:
        k = o.rows
        present = set(o.fields)
        def text(f: str) -> pl.Expr:
            return pl.col(f) if f in present else pl.lit(None, dtype=pl.String)
        card = pl.lit(card_dataset or o.is_card_file)
        if "card_flag" in present:
            card = card | pl.col("card_flag").str.to_lowercase().str.contains(
                r"^(y|yes|true|1|gpc|pcard|p-card|purchase cards?|procurement cards?)$").fill_null(False)
        for ref in ("transaction_id", "invoice_number"):
            if ref in present:
                card = card | pl.col(ref).str.contains(r"(?i)^p-?\s*card\b").fill_null(False)
        irrecoverable = (pl.lit(values.parse_amounts(k.get_column("irrecoverable_vat"))) if "irrecoverable_vat" in present
                         else pl.lit(None, dtype=values.MONEY))
        frame = k.select(
            pl.col("sheet"),
            pl.col("row_number").cast(pl.Int32),
            pl.col("_date").alias("payment_date"),
            pl.col("date_precision"),
            *[text(f).alias(f) for f in ("body_name", "body_code", "transaction_id", "line_no", "invoice_number",
                                         "supplier_name", "supplier_id", "supplier_vat_reg", "supplier_company_no",
                                         "supplier_charity_no", "creditor_type", "department", "service_area",
                                         "expense_type", "expense_code", "purpose", "capital_revenue")],
            pl.col("_amount").alias("amount"),
            pl.lit(o.redaction_kinds).gather(pl.col("_payee")).alias("redaction_kind"),
            pl.lit(o.amount_basis, dtype=pl.String).alias("amount_basis"),
            irrecoverable.alias("irrecoverable_vat"),
            card.alias("is_card"),
            pl.col("_flags").alias("row_flags"),
            pl.col("_other").alias("other_attributes"),
        )
        frames.append(frame)
        o.rows = k = None  # the sheet's lines live on in `frame` only (freed as they are replaced below)
    rows = pl.concat(frames, how="vertical")
    del frames
    inferred_gss = council_gss
    if inferred_gss is None and rows.height:
        codes = rows.get_column("body_code").drop_nulls().str.extract(r"\b(E\d{8})\b").drop_nulls().unique().to_list()
        inferred_gss = codes[0] if len(codes) == 1 else None
    rows = rows.with_columns(
        pl.lit(inferred_gss, dtype=pl.String).alias("council_gss"),
        pl.lit(publication_id).alias("publication_id"),
        pl.lit(period_key, dtype=pl.String).alias("period_key"),
        (pl.col("amount").abs() < pl.lit(threshold, dtype=values.MONEY)).alias("below_threshold")
        if threshold is not None else pl.lit(False).alias("below_threshold"),
        pl.lit(source_url, dtype=pl.String).alias("source_url"),
        pl.lit(publication_id).alias("source_sha256"),
        pl.lit(PARSER_VERSION).alias("parser_version"),
    )
    rows = rows.with_columns(_fingerprints(rows).alias("row_fingerprint"))
    return rows.select([pl.col(name).cast(dtype) for name, dtype in LINE_COLUMNS])


def _fingerprints(rows: pl.DataFrame) -> pl.Series:
    """sha256 (lower-case hex) of "council|transaction id|line|date|supplier|amount" (a missing part is empty;
    the date ISO, the amount as its 2-place decimal text), computed by the polars-hash plugin a slice at a time,
    slices in parallel: no Arrow copy, no database connection, and only the running slices' key text alive."""
    if rows.height == 0:
        return pl.Series("row_fingerprint", [], dtype=pl.String)
    date_text = values.date_text_expr("payment_date", rows.get_column("payment_date"))
    key = pl.concat_str([pl.col("council_gss").fill_null(""), pl.col("transaction_id").fill_null(""),
                         pl.col("line_no").fill_null(""), date_text.fill_null(""),
                         pl.col("supplier_name").fill_null(""), pl.col("amount").cast(pl.String).fill_null("")],
                        separator="|")
    slices = [rows.lazy().slice(start, FINGERPRINT_SLICE).select(key.alias("_key"))
              .select(plh.col("_key").chash.sha2_256().alias("row_fingerprint"))
              for start in range(0, rows.height, FINGERPRINT_SLICE)]
    return pl.concat(slices, rechunk=False).collect().to_series()


FINGERPRINT_SLICE = 100_000
