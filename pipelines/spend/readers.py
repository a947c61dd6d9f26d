"""Bytes to grids of text: sniff the format, decode text, read every sheet or ZIP member, within limits.

Everything here returns `RawSheet`s: a sheet name and a Polars frame of String columns `c0..cN` plus
`row_number` (1-based line/row of the record in its source sheet; for CSV the record number, so a record with
a quoted newline still counts as one row). Nothing is typed or interpreted yet; parse.py does that.

Delimited text takes the columnar path: decode once (UTF-8 bytes are used as they are; cp1252 is transcoded
in chunks), measure the longest line, learn the separator and width from a prefix, then one
`pl.read_csv(..., has_header=False, infer_schema=False)` (all strings) with the right separator, line end and
width. Only bytes Polars refuses (a stray quote inside an unquoted field, CR and LF line ends mixed) go
through the csv module, with the same limits.

Every limit (`ParserLimits`) is checked before the bytes reach a reader that could blow up, and a refusal is
a `RefusedFile` with its own reason code.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass

import polars as pl


class UnreadableFile(Exception):
    """The bytes could not be turned into a grid (corrupt workbook, broken ZIP)."""


class RefusedFile(Exception):
    """The bytes break a limit (size, ratio, line or field length, dimensions...): `code` is the reason code."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class ParserLimits:
    """Bounds on what one file may make the parser do (defaults sized for council spending files, which are
    kilobytes to a few hundred megabytes)."""
    max_text_bytes: int = 1 << 30            # decoded delimited text of one file or member
    max_line_bytes: int = 1 << 20            # one physical line (a real spend line is under 2 KB)
    max_field_bytes: int = 256 << 10         # one cell (Excel itself stops at 32,767 characters)
    max_columns: int = 16_384                # Excel's own maximum (XFD)
    max_zip_members: int = 200
    max_uncompressed_bytes: int = 1 << 30    # all members of a ZIP / parts of a workbook, declared and actual
    max_compression_ratio: float = 200.0     # per member; real XLSX parts stay well under 100
    max_sheet_cells: int = 50_000_000        # rows x columns of one worksheet, from its dimension and cell refs
    max_sheet_rows: int = 1_048_576
    workbook_memory_bytes: int = 2 << 30     # address-space limit of the child process reading a workbook
    workbook_timeout_s: float = 300.0


DEFAULT_LIMITS = ParserLimits()


@dataclass
class RawSheet:
    name: str
    frame: pl.DataFrame  # c0..cN String columns + row_number (Int64)
    encoding: str | None


def sniff(data: bytes) -> str:
    """The container format from magic bytes, never from a file name: empty, pdf, html, xlsx, ods, zip, xls,
    text."""
    if not data or not data.strip(b"\x00 \t\r\n\xef\xbb\xbf"):
        return "empty"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if head.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                    return "xlsx"
                if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
                    return "ods"
        except zipfile.BadZipFile:
            return "unreadable"
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    lowered = head[:1024].lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in lowered or b"<head" in lowered or b"<body" in lowered:
        return "html"
    return "text"


# Characters that stand for a space in published files: NBSP (also NFKC'd later), the U+2000..U+200A spaces,
# and U+2020, the dagger a Mac-Roman NBSP turns into after a wrong round trip.
_SPACE_LIKE = {0xA0: " ", 0x2020: " ", 0x202F: " ", 0x205F: " ", 0x3000: " ", **{c: " " for c in range(0x2000, 0x200B)}}


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM stripped) strictly, else cp1252 (never latin-1: cp1252 has £, €, smart quotes).
    NUL bytes are removed first; they come from broken exports and stop every CSV reader."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export is UTF-16 with a BOM
        try:
            return data.decode("utf-16").replace("\x00", ""), "utf-16"
        except UnicodeDecodeError:
            pass
    data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D); map them to nothing, not an error.
        text = data.decode("cp1252", errors="ignore")
        encoding = "cp1252"
    # Space-like characters are normalised per cell later (parse._clean_cells), in Polars, not here.
    return text, encoding


_CHUNK = 8 << 20


def utf8_bytes(data: bytes) -> tuple[bytes, str]:
    """(UTF-8 bytes, encoding) with one pass and no copy when the bytes already are UTF-8: NULs removed, UTF-16
    (with a BOM) and cp1252 transcoded (cp1252 in chunks, so no whole-file str is ever built). A UTF-8 BOM is
    left for Polars, which drops it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = decode(data)
        return text.encode("utf-8"), encoding
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    bom = data.startswith(b"\xef\xbb\xbf")
    if data.isascii():
        return data, "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start:start + _CHUNK], final=start + _CHUNK >= len(data))
        return data, "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1252 is one byte per character, so chunk edges are safe; undefined bytes map to nothing (see decode).
    parts = [data[i:i + _CHUNK].decode("cp1252", errors="ignore").encode("utf-8") for i in range(0, len(data), _CHUNK)]
    return b"".join(parts), "cp1252"


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first lines clearly use tabs, semicolons or pipes."""
    sample = text[:20000].splitlines()[:30]
    counts = {d: sum(line.count(d) for line in sample) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def _grid_frame(records: list[list[str]]) -> pl.DataFrame:
    """Ragged records -> a rectangular frame of String columns (short records padded with nulls)."""
    if not records:
        return pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    # zip_longest transposes in C and pads short (ragged) records with None.
    columns = list(itertools.zip_longest(*records))
    frame = pl.DataFrame({f"c{i}": pl.Series(values=col, dtype=pl.String) for i, col in enumerate(columns)})
    return frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))


def _longest_line(data: bytes, eol: int) -> int:
    """The longest physical line in bytes, found in chunks with numpy (no whole-file copy)."""
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8)
    longest, line_start = 0, 0
    for start in range(0, len(view), _CHUNK):
        ends = np.flatnonzero(view[start:start + _CHUNK] == eol) + start
        if ends.size:
            longest = max(longest, int(ends[0]) - line_start, int(np.diff(ends).max()) if ends.size > 1 else 0)
            line_start = int(ends[-1]) + 1
    return max(longest, len(view) - line_start)


def _line_ends(data: bytes) -> str | None:
    """The record terminator: "\n" (LF or CRLF), "\r" (CR-only files), or None when bare CRs and LFs both end
    lines (mixed exports), which only the csv module reads right."""
    lf = data.count(b"\n")
    cr = data.count(b"\r")
    if lf == 0:
        return "\r" if cr else "\n"
    bare_cr = cr - data.count(b"\r\n")
    # A few bare CRs in an LF file sit inside cells; many end lines.
    return "\n" if bare_cr * 20 < lf else None


def read_text(data: bytes, name: str, limits: ParserLimits = DEFAULT_LIMITS) -> RawSheet:
    if len(data) > limits.max_text_bytes:
        raise RefusedFile("too_large", f"{name}: {len(data):,} bytes of text, over the limit of "
                                       f"{limits.max_text_bytes:,}")
    utf8, encoding = utf8_bytes(data)
    if len(utf8) > limits.max_text_bytes:
        raise RefusedFile("too_large", f"{name}: {len(utf8):,} bytes of text once decoded, over the limit")
    eol = _line_ends(utf8)
    longest = _longest_line(utf8, ord(eol or "\n"))
    if eol is None:
        longest = max(longest, _longest_line(utf8, ord("\r")) if longest > limits.max_line_bytes else 0)
    if longest > limits.max_line_bytes:
        raise RefusedFile("line_too_long", f"{name}: a line of {longest:,} bytes (limit {limits.max_line_bytes:,})")
    prefix = utf8[:1 << 18].decode("utf-8", errors="ignore")
    separator = _sniff_delimiter(prefix)
    frame = _polars_grid(utf8, separator, eol, _prefix_width(prefix, separator), limits) if eol else None
    if frame is None:
        frame = _csv_module_grid(utf8, separator, limits)
    del utf8
    widest = max((frame.get_column(c).str.len_bytes().max() or 0 for c in frame.columns if c != "row_number"),
                 default=0)
    if widest > limits.max_field_bytes:
        raise RefusedFile("field_too_long", f"{name}: a cell of {widest:,} bytes (limit {limits.max_field_bytes:,})")
    return RawSheet(name, frame, encoding)


def _prefix_width(prefix: str, separator: str) -> int:
    """The widest record among the first ones (a preamble row is narrower than the header)."""
    lines = prefix.splitlines(keepends=True)
    if len(lines) > 1:
        lines = lines[:-1]  # the prefix may end inside a record
    reader = csv.reader(io.StringIO("".join(lines[:2000]), newline=""), delimiter=separator)
    try:
        return max((len(r) for r in reader), default=1) or 1
    except csv.Error:
        return max((line.count(separator) + 1 for line in lines[:2000]), default=1)


def _polars_grid(utf8: bytes, separator: str, eol: str, width: int, limits: ParserLimits) -> pl.DataFrame | None:
    """All records as String columns c0..c{width-1} plus row_number; a record wider than the prefix showed
    makes Polars refuse, and the read is retried wider (up to the column limit). None when Polars cannot read
    the bytes as CSV at all (the caller falls back to the csv module)."""
    quote: str | None = '"'
    while True:
        try:
            frame = pl.read_csv(
                utf8, has_header=False, infer_schema=False, separator=separator, eol_char=eol, quote_char=quote,
                schema={f"c{i}": pl.String for i in range(width)}, missing_columns="insert",
                truncate_ragged_lines=False, raise_if_empty=False, encoding="utf8",
            )
            break
        except pl.exceptions.ComputeError as exc:
            message = str(exc)
            if "more fields" in message:
                if width >= limits.max_columns:
                    raise RefusedFile("too_many_columns", f"a record has more than {limits.max_columns:,} fields") from exc
                width = min(limits.max_columns, width * 2 + 8)
                continue
            if quote and not re.search(rb'(?:^|[' + re.escape(separator.encode()) + rb'])"', utf8, re.M):
                quote = None  # no field is quoted anywhere: every '"' is a literal character (O"Brien)
                continue
            return None
        except pl.exceptions.NoDataError:
            return pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    return frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))


def _csv_module_grid(utf8: bytes, separator: str, limits: ParserLimits) -> pl.DataFrame:
    """The exact reading for bytes Polars refuses: universal newlines, quotes only at the start of a field."""
    text = utf8.decode("utf-8", errors="replace")
    csv.field_size_limit(limits.max_field_bytes + 1)  # set here, not at import (style.md §16)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        records = []
        for record in reader:
            if len(record) > limits.max_columns:
                raise RefusedFile("too_many_columns", f"a record has {len(record):,} fields")
            records.append(record)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise RefusedFile("field_too_long", f"a cell over {limits.max_field_bytes:,} bytes") from exc
        raise UnreadableFile(f"CSV error: {exc}") from exc
    return _grid_frame(records)


def read_workbook(data: bytes) -> list[RawSheet]:
    """Every sheet of an XLSX / XLS / ODS workbook (calamine via fastexcel), all cells as text."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheets = []
        for name in reader.sheet_names:
            # skip_rows=0 keeps leading empty rows so row_number is the sheet's own row number.
            frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
            frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
            frame = frame.with_columns(pl.all().cast(pl.String))
            frame = frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
            sheets.append(RawSheet(name, frame, None))
        return sheets
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise UnreadableFile(f"workbook could not be read: {type(exc).__name__}: {exc}") from exc


def zip_members(data: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file in a ZIP, in name order, skipping folders and macOS resource forks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                     and not i.filename.rsplit("/", 1)[-1].startswith(".")]
            return [(i.filename, zf.read(i)) for i in sorted(infos, key=lambda i: i.filename)]
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise UnreadableFile(f"ZIP could not be read: {exc}") from exc
