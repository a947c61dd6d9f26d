"""Bytes to grids of text: sniff the format, decode text, read every sheet or ZIP member.

Everything here returns `RawSheet`s: a sheet name and a Polars frame of String columns `c0..cN` plus
`row_number` (1-based line/row of the record in its source sheet; for CSV the record number, so a record with
a quoted newline still counts as one row). Nothing is typed or interpreted yet; parse.py does that.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass

import polars as pl


class UnreadableFile(Exception):
    """The bytes could not be turned into a grid (corrupt workbook, broken ZIP)."""


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


def read_text(data: bytes, name: str) -> RawSheet:
    text, encoding = decode(data)
    # The csv module refuses fields above 128 KB by default; a broken quote can swallow a whole file into one
    # field, which we want to read (and then fail to map) rather than crash on. Set here, not at import.
    csv.field_size_limit(2**31 - 1)
    # newline="" semantics: the csv module itself recognises CR, LF and CRLF as record ends and keeps line
    # breaks inside quoted fields, so CR-only and mixed files need no pre-processing (never split on "\n").
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise UnreadableFile(f"CSV error: {exc}") from exc
    return RawSheet(name, _grid_frame(records), encoding)


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
