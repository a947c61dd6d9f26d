"""Tables in markup: a report exported as a web page or as Excel 2003's XML (parsing stage "read").

Council finance systems' "Export to Excel" often writes an HTML table (or a SpreadsheetML 2003 workbook) and
names it `.xls`; Excel opens either as a sheet, so a person reads it as one. Each table (or worksheet) becomes a
sheet of text cells like any other, numbered by its rows as they appear, and the parser maps it as it maps a
CSV. A page with no table of at least two rows and two columns is what such bytes usually are, an error, login
or challenge page, and is refused as one by the caller. Reading never touches the network: no external entity,
document type or stylesheet is fetched or expanded (an XML file declaring a document type is refused).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from pipelines.spend.readers import (
    DEFAULT_LIMITS,
    SPREADSHEET_NS,
    ParserLimits,
    RawSheet,
    RefusedFile,
    UnreadableFile,
    grid_frame,
    decode,
)

_SPACES = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


def read_markup(data: bytes, fmt: str, limits: ParserLimits = DEFAULT_LIMITS) -> list[RawSheet]:
    """The tables of an HTML document (`fmt` "html") or the worksheets of a SpreadsheetML workbook
    ("spreadsheetml"), each a RawSheet of text cells (tables of fewer than two rows or two columns left out:
    page layout, not data)."""
    if len(data) > limits.max_text_bytes:
        raise RefusedFile("too_large", f"{len(data):,} bytes of markup, over the limit of {limits.max_text_bytes:,}")
    grids = _worksheets(data, limits) if fmt == "spreadsheetml" else _html_tables(data, limits)
    tables = [(name, rows) for name, rows in grids if len(rows) >= 2 and max(len(r) for r in rows) >= 2]
    if len(tables) > MAX_TABLES:
        raise RefusedFile("too_many_tables", f"{len(tables):,} tables of two rows or more (limit {MAX_TABLES})")
    return [RawSheet(name, grid_frame(rows), None) for name, rows in tables]


MAX_TABLES = 200  # tables (or worksheets) of one file read as sheets, each mapped on its own


# Cells of one file's tables: held as Python strings until each table is a grid (about 100 bytes a cell, read at
# about 150,000 cells a second), so bounded below a sheet's max_sheet_cells: 5 million is a large council's year
# of lines at 20 columns.
MARKUP_MAX_CELLS = 5_000_000


class _Budget:
    """Cells read so far, over the whole file (MARKUP_MAX_CELLS, or the limits' max_sheet_cells if fewer)."""

    def __init__(self, limits: ParserLimits):
        self.limits, self.cells = limits, 0
        self.bound = min(limits.max_sheet_cells, MARKUP_MAX_CELLS)

    def add(self, n: int) -> None:
        self.cells += n
        if self.cells > self.bound:
            raise RefusedFile("too_many_cells", f"over {self.bound:,} cells in its tables")
        if n > self.limits.max_columns:
            raise RefusedFile("too_many_columns", f"a row of more than {self.limits.max_columns:,} cells")


def _cell_text(parts: list[str], limits: ParserLimits, markup: bool = True) -> str | None:
    """A cell's text, its tags dropped and entities read (`markup`), runs of white space one space."""
    joined = "".join(parts)
    if markup and ("<" in joined or "&" in joined):
        joined = html.unescape(_OTHER_TAG.sub("", joined))
    text = _SPACES.sub(" ", joined).strip()
    if len(text) > limits.max_field_bytes:
        raise RefusedFile("field_too_long", f"a cell of {len(text):,} characters (limit {limits.max_field_bytes:,})")
    return text or None


# --- HTML -------------------------------------------------------------------------------------------------------

# The tags that shape a table, and what is skipped whole (comments, scripts, styles); every other tag is dropped
# from a cell's text. A tokenizer of regular expressions, not html.parser: ten times faster on an export of a
# hundred thousand rows, and a page's markup need not be well formed for it.
_TOKEN = re.compile(r"<!--.*?(?:-->|$)|<(script|style)\b.*?(?:</\1\s*>|$)|<(/?)(table|tr|td|th|br)\b([^>]*)>",
                    re.IGNORECASE | re.DOTALL)
_OTHER_TAG = re.compile(r"<[^>]*>")
_COLSPAN = re.compile(r"""colspan\s*=\s*["']?(\d{1,4})""", re.IGNORECASE)
MAX_NESTED_TABLES = 20  # a table inside a cell is read as its own; deeper than this, its tags are text


def _html_tables(data: bytes, limits: ParserLimits) -> list[tuple[str, list[list[str | None]]]]:
    """Every <table>'s rows, named by the table's place in the page ("table 2": tables are numbered in the order
    they start). Tags HTML lets a page leave open are closed by the next: a cell by the next cell, a row by the
    next <tr>, both by </table>. A cell spanning n columns is followed by n - 1 empty ones, so the columns under
    a wide header stay in place. A table nested in a cell is read as its own."""
    declared = _CHARSET.search(data[:4096])
    try:
        text = data.decode(declared.group(1).decode("ascii")) if declared else decode(data)[0]
    except (LookupError, UnicodeDecodeError):
        text = decode(data)[0]
    budget, found, started = _Budget(limits), [], 0
    open_tables: list[dict] = []  # innermost last: number, rows, row (list or None), cell (text parts or None)

    def end_cell(table: dict) -> None:
        if table["cell"] is not None:
            table["row"] += [_cell_text(table["cell"], limits)] + [None] * (table["span"] - 1)
            table["cell"] = None

    def end_row(table: dict) -> None:
        end_cell(table)
        if table["row"] is not None:
            budget.add(len(table["row"]))
            table["rows"].append(table["row"])
            table["row"] = None

    at = 0
    for token in _TOKEN.finditer(text):
        if open_tables and open_tables[-1]["cell"] is not None and token.start() > at:
            open_tables[-1]["cell"].append(text[at:token.start()])
        at = token.end()
        closing, tag = token.group(2), (token.group(3) or "").lower()
        if not tag:
            continue  # a comment, script or style
        if tag == "table" and not closing:
            if len(open_tables) < MAX_NESTED_TABLES:
                started += 1
                open_tables.append({"number": started, "rows": [], "row": None, "cell": None, "span": 1})
            continue
        if not open_tables:
            continue
        table = open_tables[-1]
        if tag == "table":
            end_row(table)
            found.append((table["number"], open_tables.pop()["rows"]))
        elif tag == "tr":
            end_row(table)
            table["row"] = None if closing else []
        elif tag in ("td", "th"):
            end_cell(table)
            if not closing:
                if table["row"] is None:
                    table["row"] = []
                span = _COLSPAN.search(token.group(4))
                table["cell"], table["span"] = [], max(1, min(int(span.group(1)), 1000)) if span else 1
        elif table["cell"] is not None:  # <br>
            table["cell"].append(" ")
    while open_tables:  # a page cut short: what was read of its tables stands
        end_row(open_tables[-1])
        table = open_tables.pop()
        found.append((table["number"], table["rows"]))
    return [(f"table {number}", rows) for number, rows in sorted(found) if rows]


# --- SpreadsheetML 2003 -------------------------------------------------------------------------------------------

def _worksheets(data: bytes, limits: ParserLimits) -> list[tuple[str, list[list[str | None]]]]:
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:65536], re.IGNORECASE):
        raise UnreadableFile("an XML workbook declaring a document type (its entities are not expanded)")
    ss = f"{{{SPREADSHEET_NS.decode()}}}"
    budget, sheets = _Budget(limits), []
    rows: list[list[str | None]] = []
    row: list[str | None] | None = None
    try:
        for event, el in ET.iterparse(_Stream(data), events=("start", "end")):
            if event == "start":
                if el.tag == f"{ss}Worksheet":
                    rows = []
                elif el.tag == f"{ss}Row":
                    at = _index(el, ss, limits.max_sheet_rows)  # a row may skip to its number (from 1): empty between
                    rows += [[] for _ in range(max(0, (at or len(rows) + 1) - len(rows) - 1))]
                    row = []
                continue
            if el.tag == f"{ss}Cell" and row is not None:
                at = _index(el, ss, limits.max_columns)
                row += [None] * max(0, (at or len(row) + 1) - len(row) - 1)
                data_el = el.find(f"{ss}Data")
                text = "".join(data_el.itertext()) if data_el is not None else ""
                merge = el.get(f"{ss}MergeAcross")
                span = min(int(merge), 1000) if merge and merge.isdigit() else 0
                row += [_cell_text([text], limits, markup=False)] + [None] * span
                el.clear()
            elif el.tag == f"{ss}Row" and row is not None:
                budget.add(len(row))
                if len(rows) >= limits.max_sheet_rows:
                    raise RefusedFile("too_many_cells", f"a worksheet of over {limits.max_sheet_rows:,} rows")
                rows.append(row)
                row = None
                el.clear()
            elif el.tag == f"{ss}Worksheet":
                sheets.append((el.get(f"{ss}Name") or f"Sheet{len(sheets) + 1}", rows))
                el.clear()
    except ET.ParseError as exc:
        raise UnreadableFile(f"an XML workbook that does not parse: {exc}") from exc
    return sheets


def _index(el: ET.Element, ss: str, limit: int) -> int | None:
    """A row's or cell's ss:Index (its number, from 1), refused past the sheet's bounds."""
    value = el.get(f"{ss}Index")
    if not value or not value.isdigit():
        return None
    if int(value) > limit:
        raise RefusedFile("too_many_cells", f"a row or cell numbered {int(value):,} (limit {limit:,})")
    return int(value)


class _Stream:
    """Bytes read by iterparse a piece at a time (it takes a file)."""

    def __init__(self, data: bytes):
        self.data, self.at = memoryview(data), 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n is None or n < 0 else self.at + n
        piece = bytes(self.data[self.at:end])
        self.at += len(piece)
        return piece
