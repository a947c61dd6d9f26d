"""Bytes to grids of text: sniff the format, decode text, read every sheet or ZIP member, within limits.

Everything here returns `RawSheet`s: a sheet name and a Polars frame of String columns `c0..cN` plus
`row_number` (1-based line/row of the record in its source sheet; for CSV the record number, so a record with
a quoted newline still counts as one row). Nothing is typed or interpreted yet; parse.py does that.

Delimited text takes the columnar path: decode once (UTF-8 bytes are used as they are, checked and measured in one
read; cp1252 is transcoded chunk by chunk into a temporary spool file), count line ends and measure long lines on
the way, learn the separator and width from a prefix, then `pl.read_csv(..., has_header=False, infer_schema=False)`
(all strings) over batches of whole lines (`ParserLimits.read_batch_bytes`). A file on disk is read while a thread
checks and measures it, its line ends guessed from its first lines; a read the measure contradicts is thrown away
and the measured text read instead (_read_on_a_guess). Each batch is cleaned by the caller's `prepare` and
compacted while the next one is read (from the file, then by Polars) in a thread, so a read holds two batches
beside the compact grid. Text that cannot be cut safely (a quoted field spanning lines) is read whole, the same
way; only bytes Polars refuses (a stray quote inside an unquoted field, CR and LF line ends mixed) go through the
csv module, with the same limits. Batched or whole, the grid is the same.

Every limit (`ParserLimits`) is checked before the bytes reach a reader that could blow up, and a refusal is
a `RefusedFile` with its own reason code.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
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
    """Bounds on what one file may make the parser do. Defaults are sized for council spending files (a month
    is kilobytes to a few megabytes, a year rarely 100 MB) and for a parse that stays under ~2 GB.
    Delimited text is decoded, read, cleaned and compacted `read_batch_bytes` at a time, so the transient
    memory of a read is bounded by the batch, not by the file; what stays is the compact grid of the whole
    sheet (about 16 bytes per cell plus each distinct long value once)."""
    max_text_bytes: int = 400 << 20          # decoded delimited text of one file or member
    max_line_bytes: int = 1 << 20            # one physical line (a real spend line is under 2 KB)
    max_field_bytes: int = 256 << 10         # one cell (Excel itself stops at 32,767 characters)
    max_columns: int = 16_384                # Excel's own maximum (XFD)
    max_zip_members: int = 200
    max_uncompressed_bytes: int = 400 << 20  # all members of a ZIP / parts of a workbook, declared and actual
    max_compression_ratio: float = 200.0     # per member; real XLSX parts stay well under 100
    max_sheet_cells: int = 30_000_000        # rows x columns of one worksheet (from its dimension and cell
                                             # refs) or text grid (up to each record's last filled column)
    max_sheet_rows: int = 1_048_576
    workbook_memory_bytes: int = 2 << 30     # address-space limit of the child process reading a workbook
    workbook_timeout_s: float = 300.0
    read_batch_bytes: int = 16 << 20         # delimited text read this many bytes (whole lines) at a time;
                                             # 0 = read whole


DEFAULT_LIMITS = ParserLimits()


@dataclass
class RawSheet:
    name: str
    frame: pl.DataFrame  # c0..cN String columns + row_number (Int64)
    encoding: str | None
    prepared: bool = False  # `prepare` (the parser's cell clean-up) already applied, batch by batch
    cut_short: bool = False  # delimited text ending inside a record (_ends_cut_short)


# --- a file's bytes: in memory, or on disk and read a piece at a time -------------------------------------------

Source = "bytes | Path"  # a file's bytes, or the path of a local file holding them (read, never written)
_CHUNK = 256 << 10  # bytes read, checked or transcoded at a time (small enough to stay in the CPU cache)


def is_path(source) -> bool:
    return isinstance(source, (str, os.PathLike))


def source_size(source) -> int:
    return os.path.getsize(source) if is_path(source) else len(source)


def source_head(source, n: int) -> bytes:
    if not is_path(source):
        return bytes(source[:n])
    with open(source, "rb") as handle:
        return handle.read(n)


def source_bytes(source) -> bytes:
    """The whole file in memory (formats read whole: workbooks, ZIPs, UTF-16 text)."""
    return Path(source).read_bytes() if is_path(source) else source


def _pieces(source, size: int = _CHUNK) -> Iterator[tuple[bytes | bytearray | memoryview, bool]]:
    """(piece, is the last) of at most `size` bytes, in order: views of bytes in memory (no copy), reads of a
    file into two buffers used in turn (a fresh piece per read would cost its page faults every time). A
    piece of a file is overwritten as soon as the next one is asked for: use it before then."""
    if not is_path(source):
        view = memoryview(source)
        for start in range(0, len(view), size):
            yield view[start:start + size], start + size >= len(view)
        return
    buffers = [bytearray(size), bytearray(size)]
    with open(source, "rb", buffering=0) as handle:
        filled = handle.readinto(buffers[0])
        turn = 0
        while filled:
            following = handle.readinto(buffers[1 - turn])
            piece = buffers[turn]
            yield (piece if filled == size else piece[:filled]), not following
            filled, turn = following, 1 - turn


def sha256_of(source) -> str:
    """The content hash (the publication id and the raw store's key), a piece at a time."""
    import hashlib

    hasher = hashlib.sha256()
    for piece, _ in _pieces(source):
        hasher.update(piece)
    return hasher.hexdigest()


_BLANK_BYTES = b"\x00 \t\r\n\xef\xbb\xbf"


def _blank(source) -> bool:
    """Only NULs, whitespace and BOM bytes (checked a megabyte at a time: never a whole-file copy)."""
    if source_head(source, 1024).strip(_BLANK_BYTES):
        return False
    return not any(bytes(piece).strip(_BLANK_BYTES) for piece, _ in _pieces(source, 1 << 20))


def sniff(source) -> str:
    """The container format from magic bytes, never from a file name: empty, pdf, html, spreadsheetml (Excel
    2003's XML workbook), xlsx, ods, zip, xls, text. `source`: the bytes, or the path of a file holding them."""
    if _blank(source):
        return "empty"
    start = source_head(source, 1024)
    head = start.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if head.startswith(b"%PDF"):
        return "pdf"
    if start.startswith(b"PK\x03\x04") or start.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(source if is_path(source) else io.BytesIO(source)) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                    return "xlsx"
                if "mimetype" in names:
                    with zf.open("mimetype") as fh:  # a few bytes; never read a member whole to sniff it
                        if b"opendocument.spreadsheet" in fh.read(200):
                            return "ods"
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
            return "unreadable"
        return "zip"
    if start.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    lowered = head[:1024].lower()
    if lowered.startswith(b"<?xml") and SPREADSHEET_NS in source_head(source, 4096):
        return "spreadsheetml"
    if (lowered.startswith((b"<!doctype", b"<html", b"<?xml", b"<table")) or b"<html" in lowered
            or b"<head" in lowered or b"<body" in lowered):
        return "html"
    return "text"


SPREADSHEET_NS = b"urn:schemas-microsoft-com:office:spreadsheet"  # Excel 2003's XML workbook ("XML Spreadsheet")


# Characters that stand for a space in published files: NBSP (also NFKC'd later), the U+2000..U+200A spaces,
# and U+2020, the dagger a Mac-Roman NBSP turns into after a wrong round trip.
_SPACE_LIKE = {0xA0: " ", 0x2020: " ", 0x202F: " ", 0x205F: " ", 0x3000: " ", **{c: " " for c in range(0x2000, 0x200B)}}


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM stripped) strictly, else cp1252 (never latin-1: cp1252 has £, €, smart
    quotes), else UTF-8 with its few stray cp1252 bytes read as such (MIXED_ENCODING). NUL bytes are removed
    first; they come from broken exports and stop every CSV reader."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export is UTF-16 with a BOM
        try:
            return data.decode("utf-16").replace("\x00", ""), "utf-16"
        except UnicodeDecodeError:
            pass
    data = data.replace(b"\x00", b"")
    # Space-like characters are normalised per cell later (parse._clean_cells), in Polars, not here.
    try:
        return data.decode("utf-8-sig"), _utf8_name(data[:3])
    except UnicodeDecodeError:
        encoding = _mixed_or_cp1252(data, False)
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D); map them to nothing, not an error.
        return data.decode("cp1252", errors="ignore"), encoding
    return data.decode("utf-8-sig", errors=CP1252_FALLBACK), encoding


# A file of UTF-8 text ("Café") holding a few bytes that are not UTF-8 (a "£" from a cp1252 export joined to it):
# read whole as cp1252, every accented name would turn to mojibake ("CafÃ©"); the stray bytes are read as cp1252.
MIXED_ENCODING = "utf-8+cp1252"
CP1252_FALLBACK = "keepitlocal-cp1252"


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """The error handler reading bytes that are not UTF-8 as cp1252."""
    return error.object[error.start:error.end].decode("cp1252", errors="ignore"), error.end


codecs.register_error(CP1252_FALLBACK, _cp1252_fallback)


def _utf8_name(head: bytes) -> str:
    """The name of UTF-8 text by its first bytes: with or without a byte order mark."""
    return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"


def _text_encoding(source) -> tuple[str, bool]:
    """(encoding, has NUL bytes) of text without a UTF-16 BOM: "utf-8" (plain ASCII too), "utf-8-sig",
    "cp1252", or MIXED_ENCODING when its bytes that are not UTF-8 are no more than its UTF-8 characters; judged
    on the bytes with NULs removed, one chunk at a time (never a whole-file copy)."""
    if is_path(source):
        has_nul, ascii_only = False, True
        for piece, _ in _pieces(source, _CHUNK):
            has_nul = has_nul or b"\x00" in piece
            ascii_only = ascii_only and piece.isascii()
    else:
        has_nul, ascii_only = b"\x00" in source, source.isascii()
    if ascii_only:
        return "utf-8", has_nul
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    try:
        for piece, last in _nul_free_chunks(source, has_nul):
            if len(head) < 3:
                head += bytes(piece[:3])
            _check_utf8(decoder, piece, last)
    except UnicodeDecodeError:
        return _mixed_or_cp1252(source, has_nul), has_nul
    return _utf8_name(head), has_nul


def _mixed_or_cp1252(source, has_nul: bool) -> str:
    """Text that is not UTF-8 throughout: MIXED_ENCODING when it is UTF-8 but for a few stray bytes (no more
    than its UTF-8 characters beyond ASCII), else cp1252 (a cp1252 file's bytes rarely form UTF-8 by chance).
    Counted at C speed: the bytes >= 0x80, and what a decoder that drops the stray bytes keeps of them."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
    characters = stray = 0
    for piece, last in _nul_free_chunks(source, has_nul):
        piece = bytes(piece)
        if piece.isascii() and not decoder.getstate()[0]:
            continue  # (most pieces of a cp1252 file: nothing to count, and nothing pending before them)
        ascii_bytes = len(piece.translate(None, _HIGH_BYTES))
        kept = decoder.decode(piece, final=last)  # (a character split between pieces counts in the next)
        characters += len(kept) - ascii_bytes
        stray += len(piece) - len(kept.encode("utf-8"))
    return MIXED_ENCODING if characters >= stray else "cp1252"


_HIGH_BYTES = bytes(range(0x80, 0x100))


_DECODE_SLICE = 64 << 10


def _check_utf8(decoder, piece, last: bool) -> None:
    """Feed `piece` to an incremental UTF-8 decoder (UnicodeDecodeError when it is not UTF-8). The decoded
    text is only thrown away, so it is made in small slices: decoding whole pieces left the C allocator
    holding about 100 MB after a 200 MB file, which then counted in the parse's peak."""
    view = memoryview(piece)
    for start in range(0, len(view), _DECODE_SLICE):
        decoder.decode(view[start:start + _DECODE_SLICE])
    if last:
        decoder.decode(b"", final=True)


def _utf8_file_facts(path, block: int) -> tuple[str, LineFacts] | None:
    """(encoding, line facts) of a file that is UTF-8 without NUL bytes, checked and measured in one read;
    None for any other file (NULs to remove, or bytes that are not UTF-8: the caller transcodes those)."""
    counter = _LineCounter(block)
    decoder = codecs.getincrementaldecoder("utf-8")()
    head, checking = b"", False
    for piece, last in _pieces(path, _CHUNK):
        head = head or piece[:3]
        if b"\x00" in piece:
            return None
        # Until a piece holds a non-ASCII byte the decoder has nothing pending, so ASCII pieces are skipped.
        checking = checking or not piece.isascii()
        if checking:
            try:
                _check_utf8(decoder, piece, last)
            except UnicodeDecodeError:
                return None
        counter.feed(piece)
    return _utf8_name(head), counter.facts()


def _nul_free_chunks(source, has_nul: bool) -> Iterator[tuple[bytes | memoryview, bool]]:
    """(piece, is the last) of at most _CHUNK input bytes each, NULs removed (a view, not a copy, when there
    are none)."""
    for piece, last in _pieces(source, _CHUNK):
        yield (bytes(piece).replace(b"\x00", b"") if has_nul else piece), last


def _utf8_chunks(source, encoding: str, has_nul: bool) -> Iterator[bytes]:
    """The text as UTF-8, a chunk at a time. cp1252 is one byte per character, so chunk edges are safe; its
    five undefined bytes map to nothing (see decode). Mixed text is decoded incrementally (a character split
    over two chunks is whole)."""
    mixed = codecs.getincrementaldecoder("utf-8")(errors=CP1252_FALLBACK) if encoding == MIXED_ENCODING else None
    for piece, last in _nul_free_chunks(source, has_nul):
        if mixed is not None:
            yield mixed.decode(bytes(piece), final=last).encode("utf-8")
        else:
            yield codecs.decode(piece, "cp1252", "ignore").encode("utf-8") if encoding == "cp1252" else bytes(piece)


def utf8_bytes(data: bytes) -> tuple[bytes, str]:
    """(UTF-8 bytes, encoding) of the whole text, with no copy when the bytes already are UTF-8: NULs removed,
    UTF-16 (with a BOM) and cp1252 transcoded. A UTF-8 BOM is left for Polars, which drops it. (read_text
    streams instead; this is its whole-text fallback.)"""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = decode(data)
        return text.encode("utf-8"), encoding
    encoding, has_nul = _text_encoding(data)
    if encoding not in ("cp1252", MIXED_ENCODING) and not has_nul:
        return data, encoding
    return b"".join(_utf8_chunks(data, encoding, has_nul)), encoding


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first lines clearly use tabs, semicolons or pipes."""
    sample = text[:20000].splitlines()[:30]
    counts = {d: sum(line.count(d) for line in sample) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def grid_frame(records: list[list[str]]) -> pl.DataFrame:
    """Ragged records -> a rectangular frame of String columns (short records padded with nulls)."""
    if not records:
        return pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    # zip_longest transposes in C and pads short (ragged) records with None.
    columns = list(itertools.zip_longest(*records))
    frame = pl.DataFrame({f"c{i}": pl.Series(values=col, dtype=pl.String) for i, col in enumerate(columns)})
    return frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))


@dataclass(frozen=True)
class LineFacts:
    lf: int        # LF bytes
    cr: int        # CR bytes
    crlf: int      # CR immediately followed by LF
    longest: dict  # the longest line (bytes between two line ends) when lines end at "lf", at "cr", or at
                   # "either", if it is at least the counter's block long; 0 when every line is shorter
    odd_quotes: bool = False  # some LF-ended line (or the last line) holds an odd number of '"': a quoted field
                              # may span lines, so the text cannot be cut into batches at any LF


LINE_BLOCK = 256 << 10  # lines at least this long are measured exactly (the line limit, 1 MiB, is above it)


class _LineCounter:
    """Line-end counts and the long lines, fed the text in consecutive pieces of any size. Counts are numpy
    sums over _CHUNK windows. Lines are measured from the first and last line end of each `block` of a piece
    (memchr searches, not a list of every line end): two consecutive line ends `block` or more apart always
    lie in different blocks, so every such line is measured, whatever the pieces, and shorter ones are not
    reported. Keep `block` no larger than the line limit the result is checked against."""

    KINDS = ("lf", "cr", "either")

    def __init__(self, block: int = LINE_BLOCK) -> None:
        self.block = max(1, block)
        self.lf = self.cr = self.crlf = 0
        self.longest = dict.fromkeys(self.KINDS, 0)
        self.last_end = dict.fromkeys(self.KINDS, -1)  # offset of the last line end seen, per kind
        self.offset = 0
        self.last_was_cr = False
        self.quotes_since_lf = 0  # '"' since the last LF (only its parity matters)
        self.odd_quotes = False

    def feed(self, piece: bytes) -> None:
        import numpy as np

        data = piece if isinstance(piece, (bytes, bytearray)) else bytes(piece)
        if not data:
            return
        has_cr = b"\r" in data
        has_quote = b'"' in data
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            window = np.frombuffer(view[start:start + _CHUNK], dtype=np.uint8)
            is_lf = window == 10
            self.lf += int(np.count_nonzero(is_lf))
            if not self.odd_quotes:
                self._quote_parity(np, window, is_lf, has_quote)
            if has_cr:
                is_cr = window == 13
                self.cr += int(np.count_nonzero(is_cr))
                self.crlf += int(np.count_nonzero(is_cr[:-1] & is_lf[1:]))
                if start and data[start - 1] == 13 and data[start] == 10:  # a CRLF across two windows
                    self.crlf += 1
        if self.last_was_cr and data[0] == 10:  # a CRLF across two pieces
            self.crlf += 1
        self.last_was_cr = data[-1] == 13
        for start in range(0, len(data), self.block):
            end = min(start + self.block, len(data))
            lf = (data.find(b"\n", start, end), data.rfind(b"\n", start, end))
            cr = (data.find(b"\r", start, end), data.rfind(b"\r", start, end)) if has_cr else (-1, -1)
            firsts = [f for f in (lf[0], cr[0]) if f >= 0]
            either = (min(firsts), max(lf[1], cr[1])) if firsts else (-1, -1)
            for kind, (first, last) in (("lf", lf), ("cr", cr), ("either", either)):
                if first >= 0:
                    self._line(kind, self.offset + first)
                    self.last_end[kind] = self.offset + last
        self.offset += len(data)

    def _quote_parity(self, np, window, is_lf, has_quote: bool) -> None:
        """Whether an LF-ended line holds an odd number of quote characters, carried across windows. The
        window is in the CPU cache here, so this costs less than checking each batch when it is cut."""
        quotes = np.flatnonzero(window == 34) if has_quote else None
        if quotes is None or quotes.size == 0:
            if is_lf.any():  # the line the first LF ends holds the quotes carried in
                self.odd_quotes = bool(self.quotes_since_lf & 1)
                self.quotes_since_lf = 0
            return
        line_ends = np.flatnonzero(is_lf)
        if line_ends.size == 0:
            self.quotes_since_lf += quotes.size
            return
        before = np.searchsorted(quotes, line_ends)  # quotes of this window before each LF
        if ((before + self.quotes_since_lf) & 1).any():  # all earlier lines even: a count's parity is its line's
            self.odd_quotes = True
        self.quotes_since_lf = quotes.size - int(before[-1])

    def _line(self, kind: str, end: int) -> None:
        length = end - self.last_end[kind] - 1
        if length >= self.block and length > self.longest[kind]:
            self.longest[kind] = length

    def facts(self) -> LineFacts:
        longest = dict(self.longest)
        for kind in self.KINDS:  # the last line, when the text does not end with a line end
            length = self.offset - self.last_end[kind] - 1
            if length >= self.block:
                longest[kind] = max(longest[kind], length)
        return LineFacts(self.lf, self.cr, self.crlf, longest, self.odd_quotes or bool(self.quotes_since_lf & 1))


def _line_facts(data: bytes, block: int = LINE_BLOCK) -> LineFacts:
    counter = _LineCounter(block)
    counter.feed(data)
    return counter.facts()


def _line_ends(facts: LineFacts) -> str | None:
    """The record terminator: "\n" (LF or CRLF), "\r" (CR-only files), or None when bare CRs and LFs both end
    lines (mixed exports), which only the csv module reads right."""
    if facts.lf == 0:
        return "\r" if facts.cr else "\n"
    bare_cr = facts.cr - facts.crlf
    # A few bare CRs in an LF file sit inside cells; many end lines.
    return "\n" if bare_cr * 20 < facts.lf else None


PREFIX_BYTES = 1 << 18  # the start of the text the separator, the width and guessed line ends are learnt from


class _Utf8Text:
    """The decoded text of one file, read sequentially: the input itself when it already is UTF-8 (the bytes
    in memory, or the file on disk, read a batch at a time), else a temporary spool file the transcoded chunks
    were written to (so the whole text is never held twice in memory, nor once when it comes from a file).

    A file on disk is first taken to be plain UTF-8 (the common case: it is its own spool) and is checked and
    measured in a thread (`pending`) while the caller reads it on that assumption; `settle()` waits for the
    facts and transcodes a file that turned out not to be plain UTF-8."""

    def __init__(self, source, limits: ParserLimits):
        self.source = source
        self.data: bytes | None = None
        self.spool = self.facts = self.pending = self._measuring = self.guessed_line_ends = None
        self.block = min(LINE_BLOCK, limits.max_line_bytes)
        self.max_text_bytes = limits.max_text_bytes
        if source_head(source, 2) in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 exports: small, rare, decoded whole
            self.data, self.encoding = utf8_bytes(source_bytes(source))
            self.facts = _line_facts(self.data, self.block)
            self.size = len(self.data)
            return
        if is_path(source):
            head = source_head(source, PREFIX_BYTES)
            self.encoding, self.size = _utf8_name(head), source_size(source)
            # guessed before the thread starts (it would share the interpreter lock with the measure)
            self.guessed_line_ends = _line_ends(_line_facts(head, self.block))
            self.spool = open(source, "rb")  # the file is its own spool
            self._measuring = ThreadPoolExecutor(1, thread_name_prefix="spend-text-facts")
            self.pending = self._measuring.submit(_utf8_file_facts, source, self.block)
            return
        self._decode(source)

    def settle(self) -> bool:
        """Wait for the facts of a file measured in a thread. True when it is plain UTF-8 (what was read of it
        stands), False when it had to be transcoded (the text changed: read it again)."""
        if self.pending is None:
            return True
        read = self._stop_measuring().result()
        if read is not None:
            self.encoding, self.facts = read
            return True
        self.spool.close()
        self.spool = None
        self._decode(self.source)
        return False

    def _stop_measuring(self):
        pending, self.pending = self.pending, None
        self._measuring.shutdown(wait=True)
        return pending

    def _decode(self, source) -> None:
        self.encoding, has_nul = _text_encoding(source)
        if self.encoding not in ("cp1252", MIXED_ENCODING) and not has_nul and not is_path(source):
            self.data, self.size, self.facts = source, len(source), _line_facts(source, self.block)
            return
        counter, self.size = _LineCounter(self.block), 0
        self.spool = tempfile.TemporaryFile(prefix="spend-text-")
        for piece in _utf8_chunks(source, self.encoding, has_nul):
            self.size += len(piece)
            if self.size <= self.max_text_bytes:  # past the limit only the size is counted (refused)
                self.spool.write(piece)
                counter.feed(piece)
        self.facts = counter.facts()

    def prefix(self, n: int) -> bytes:
        if self.data is not None:
            return self.data[:n]
        self.spool.seek(0)
        return self.spool.read(n)

    def rewound(self):
        """The spooled text (a binary file), positioned at its start."""
        self.spool.seek(0)
        return self.spool

    def whole(self) -> bytes:
        return self.data if self.data is not None else self.prefix(self.size)

    def close(self) -> None:
        if self.pending is not None:
            self._stop_measuring()
        if self.spool is not None:
            self.spool.close()
        self.data = self.spool = None


def read_text(source, name: str, limits: ParserLimits = DEFAULT_LIMITS,
              prepare: "callable | None" = None) -> RawSheet:
    """One delimited text file or member (its bytes, or the path of a file holding them) as a grid of strings.
    `prepare(frame) -> frame` (the parser's cell clean-up, the same result whether applied to the whole grid or
    to its parts) is applied batch by batch as the text is read, and the grid's repeated long values are stored
    once (compact_strings)."""
    size = source_size(source)
    if size > limits.max_text_bytes:
        raise RefusedFile("too_large", f"{name}: {size:,} bytes of text, over the limit of "
                                       f"{limits.max_text_bytes:,}")
    text = _Utf8Text(source, limits)
    try:
        sheet = _read_on_a_guess(text, name, limits, prepare) if text.pending is not None else None
        if sheet is None:
            sheet = _read_measured(text, name, limits, prepare)
    finally:
        text.close()
    sheet.cut_short = _ends_cut_short(source, _sniff_delimiter(source_head(source, 20000).decode("latin-1")))
    return sheet


def _ends_cut_short(source, separator: str) -> bool:
    """The text ends inside a record: no line end after it, and fewer fields than the record before it (a
    download cut short by a server that announced fewer bytes than it held). A file merely lacking its last
    line end, with a whole record, is not."""
    size = source_size(source)
    if is_path(source):
        with open(source, "rb") as fh:
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    else:
        tail = bytes(source[-TAIL_BYTES:])
    tail = tail.replace(b"\x00", b"")
    if not tail or tail.endswith((b"\n", b"\r")):
        return False
    lines = [line for line in tail.decode("latin-1").splitlines() if line.strip()][-2:]
    if len(lines) < 2:
        return False
    before, last = (next(csv.reader([line], delimiter=separator), []) for line in lines)
    return len(last) < len(before)


TAIL_BYTES = 16 << 10  # the end of a text read to tell whether its last record is whole


def _read_on_a_guess(text: _Utf8Text, name: str, limits: ParserLimits, prepare) -> RawSheet | None:
    """A file being measured in a thread (text.pending), read in batches meanwhile, its line ends guessed from
    its first lines (the other core measures it while this one reads). The result stands only when the
    measured facts agree: plain UTF-8, the same line ends, no LF-ended line with an odd number of quotes, and
    no line over the limit (refused first, as a measured read would). Else None: the caller reads the measured
    text, so the grid is always what the measured read gives."""
    guess = text.guessed_line_ends
    outcome: RawSheet | Exception | None = None
    if guess and prepare is not None and limits.read_batch_bytes > 0:
        try:
            outcome = _batched_sheet(text, name, guess, limits, prepare)
        except Exception as exc:  # raised only if the facts confirm the guess (a refusal, or a bug)
            outcome = exc
    if not text.settle() or _line_ends(text.facts) != guess or (guess == "\n" and text.facts.odd_quotes):
        return None
    _check_line_length(text.facts, guess, name, limits)
    if isinstance(outcome, Exception):
        raise outcome
    # no batches (Polars refused one for another reason, or batching is off): the whole text, as measured
    return outcome if outcome is not None else _read_whole(text, name, guess, limits, prepare)


def _read_measured(text: _Utf8Text, name: str, limits: ParserLimits, prepare) -> RawSheet:
    text.settle()
    if text.size > limits.max_text_bytes:
        raise RefusedFile("too_large", f"{name}: {text.size:,} bytes of text once decoded, over the limit")
    eol = _line_ends(text.facts)
    _check_line_length(text.facts, eol, name, limits)
    sheet = (_batched_sheet(text, name, eol, limits, prepare)
             if eol and limits.read_batch_bytes > 0 and prepare is not None else None)
    return sheet if sheet is not None else _read_whole(text, name, eol, limits, prepare)


def _read_whole(text: _Utf8Text, name: str, eol: str | None, limits: ParserLimits, prepare) -> RawSheet:
    """Bytes only the whole-text readers handle (quoting across lines, mixed line ends), or batching off."""
    separator, width = _separator_and_width(text)
    utf8 = text.whole()
    frame = _polars_grid(utf8, separator, eol, width, limits) if eol else None
    if frame is None:
        frame = _csv_module_grid(utf8, separator, limits)
    del utf8
    text.close()
    _check_field_width(_widest_cell(frame), name, limits)
    _check_cells(frame.height * (frame.width - 1), name, limits)
    if prepare is not None:
        frame = compact_strings(prepare(frame))
    return RawSheet(name, frame, text.encoding, prepared=prepare is not None)


def _check_line_length(facts: LineFacts, eol: str | None, name: str, limits: ParserLimits) -> None:
    longest = facts.longest["lf" if eol == "\n" else "cr" if eol == "\r" else "either"]
    if longest > limits.max_line_bytes:
        raise RefusedFile("line_too_long", f"{name}: a line of {longest:,} bytes (limit {limits.max_line_bytes:,})")


def _widest_cell(frame: pl.DataFrame) -> int:
    """Bytes in the longest cell of a grid's text columns."""
    longest = frame.select(pl.col(pl.String).str.len_bytes().max())
    return max((n or 0 for n in longest.row(0)), default=0) if longest.width else 0


def _check_cells(cells: int, name: str, limits: ParserLimits) -> None:
    """A grid of text is bounded in cells as a worksheet is: a hostile file of short cells, each carried as a
    string, would otherwise cost tens of bytes of memory per byte of text."""
    if cells > limits.max_sheet_cells:
        raise RefusedFile("too_many_cells", f"{name}: over {limits.max_sheet_cells:,} filled cells (its records "
                                            f"up to their last filled column)")


def _check_field_width(widest: int, name: str, limits: ParserLimits) -> None:
    if widest > limits.max_field_bytes:
        raise RefusedFile("field_too_long", f"{name}: a cell of {widest:,} bytes (limit {limits.max_field_bytes:,})")


def _wider(width: int, limits: ParserLimits, exc: Exception) -> int:
    """The width to read again with when a record has more than `width` fields (refused past the limit)."""
    if width >= limits.max_columns:
        raise RefusedFile("too_many_columns", f"a record has more than {limits.max_columns:,} fields") from exc
    return min(limits.max_columns, width * 2 + 8)


def _separator_and_width(text: _Utf8Text) -> tuple[str, int]:
    prefix = text.prefix(PREFIX_BYTES).decode("utf-8", errors="ignore")
    separator = _sniff_delimiter(prefix)
    return separator, _prefix_width(prefix, separator)


def _batched_sheet(text: _Utf8Text, name: str, eol: str, limits: ParserLimits, prepare) -> RawSheet | None:
    """The grid read in batches (_polars_batches), or None when the text cannot be read that way."""
    separator, width = _separator_and_width(text)
    frame = _polars_batches(text, name, separator, eol, width, limits, prepare)
    return None if frame is None else RawSheet(name, frame, text.encoding, prepared=True)


class _NotBatchable(Exception):
    """The text cannot be cut into batches at line ends (a quoted field spans lines, or Polars refuses a
    batch for a reason other than width): it is read whole instead."""


def _record_batches(text: "_Utf8Text", eol: str, batch_bytes: int, max_line_bytes: int) -> Iterator[bytes]:
    """Pieces of about `batch_bytes` that end at a line end. Only cut where no quoted field can span the cut:
    every line holds an even number of quote characters (else _NotBatchable; known from the text's LineFacts
    for LF-ended lines once measured, checked piece by piece for CR-ended ones). A line over `max_line_bytes`
    (possible only while the text is still being measured) is not read on (_NotBatchable). Text in memory is
    sliced once per piece; spooled text is read a block at a time, the block's partial last line read again
    with the next one (a seek back, not a copy carried over)."""
    import numpy as np

    end = eol.encode()
    # LF-ended lines were checked as the text was measured (LineFacts.odd_quotes); CR-ended ones are checked here
    check = eol != "\n"
    if not check and text.facts is not None and text.facts.odd_quotes:
        raise _NotBatchable("a line with an odd number of quotes")
    if text.data is not None:
        data, start = text.data, 0
        while start < len(data):
            cut = len(data)
            if start + batch_bytes < len(data):
                cut = data.rfind(end, start, start + batch_bytes) + 1
                if cut <= start:  # a line longer than the batch: up to its end
                    found = data.find(end, start + batch_bytes)
                    cut = len(data) if found < 0 else found + 1
            piece = data[start:cut]
            if check:
                _check_quotes(piece, end, np)
            yield piece
            start = cut
        return
    spool = text.rewound()
    size = batch_bytes
    while True:
        block = spool.read(size)
        if not block:
            return
        cut = block.rfind(end) + 1
        if cut == 0 and len(block) == size:
            # no line end yet: read again from the same place, twice as much, up to the line limit
            if size > max_line_bytes:
                raise _NotBatchable(f"a line over {max_line_bytes:,} bytes")
            spool.seek(-len(block), os.SEEK_CUR)
            size *= 2
            continue
        if 0 < cut < len(block):  # the partial last line is read again with the next piece
            spool.seek(cut - len(block), os.SEEK_CUR)
            block = block[:cut]
        size = batch_bytes
        if check:
            _check_quotes(block, end, np)
        yield block


def _check_quotes(piece: bytes, end: bytes, np) -> None:
    if b'"' not in piece:
        return
    view = np.frombuffer(piece, dtype=np.uint8)
    quotes = np.flatnonzero(view == 34)
    ends = np.flatnonzero(view == end[0])
    before = np.searchsorted(quotes, ends)  # quotes before each line end
    per_line = np.diff(np.concatenate(([0], before, [quotes.size])))
    if (per_line & 1).any():
        raise _NotBatchable("a line with an odd number of quotes")


def _polars_batches(text: _Utf8Text, name: str, separator: str, eol: str, width: int, limits: ParserLimits,
                    prepare: "callable | None") -> pl.DataFrame | None:
    """All records as String columns c0..cN plus row_number, read `limits.read_batch_bytes` of whole lines at
    a time, each batch prepared and compacted while the next one is read (_read_next) in a thread. The same
    grid as one whole read (_polars_grid): a record wider than seen so far widens the read (earlier batches
    gain null columns), the widest cell is measured on the raw text. None when the text cannot be read in
    batches (the caller reads it whole)."""
    if prepare is None:
        return None
    batches: list[pl.DataFrame] = []
    widest = cells = 0
    pieces = _record_batches(text, eol, limits.read_batch_bytes, limits.max_line_bytes)
    with ThreadPoolExecutor(1, thread_name_prefix="spend-read-ahead") as ahead:
        try:
            pending = ahead.submit(_read_next, pieces, separator, eol, width, limits)
            while (read := pending.result()) is not None:
                raw, width, raw_widest = read
                pending = ahead.submit(_read_next, pieces, separator, eol, width, limits)
                widest = max(widest, raw_widest)
                cells += raw.height * raw.width
                _check_cells(cells, name, limits)
                if widest > limits.max_field_bytes:
                    batches = []  # refused once the whole text is measured (the reason names the widest cell)
                    continue
                batches.append(compact_strings(prepare(raw)))
                del raw
        except (_NotBatchable, pl.exceptions.NoDataError):
            return None
    _check_field_width(widest, name, limits)
    if not batches:
        return None
    width = max(b.width for b in batches)
    names = [f"c{i}" for i in range(width)]
    batches = [b if b.width == width else b.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                                                          for c in names[b.width:]]) for b in batches]
    frame = pl.concat(batches, how="vertical", rechunk=False)
    del batches
    return frame.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))


def _read_next(pieces: Iterator[bytes], separator: str, eol: str, width: int,
               limits: ParserLimits) -> tuple[pl.DataFrame, int, int] | None:
    """The next piece's records (_read_piece), the width they were read with, and their widest cell; None after
    the last piece."""
    piece = next(pieces, None)
    if piece is None:
        return None
    raw, width = _read_piece(piece, separator, eol, width, limits)
    raw = _without_empty_tail(raw)
    return raw, width, _widest_cell(raw)


def _without_empty_tail(frame: pl.DataFrame) -> pl.DataFrame:
    """The records without the trailing columns in which they hold nothing: an export that pads every line to
    its sheet's formatted width (up to Excel's 16,384 columns) made each be cleaned and carried cell by cell,
    to be dropped unread (a 20,000-line month padded so took 91 s and 8.5 GB). The first column always stays,
    so a batch of blank lines keeps its rows; later columns return as nulls where another batch fills them."""
    nulls = frame.null_count().row(0)
    filled = [i for i, n in enumerate(nulls) if n < frame.height]
    keep = max(1, filled[-1] + 1 if filled else 1)
    return frame if keep >= frame.width else frame.select(frame.columns[:keep])


def _read_piece(piece: bytes, separator: str, eol: str, width: int, limits: ParserLimits) -> tuple[pl.DataFrame, int]:
    """One batch's records as String columns c0..c(width-1), and the width: widened (up to the column limit)
    when a record is wider than `width`."""
    while True:
        try:
            raw = pl.read_csv(
                piece, has_header=False, infer_schema=False, separator=separator, eol_char=eol,
                quote_char='"', schema={f"c{i}": pl.String for i in range(width)},
                missing_columns="insert", truncate_ragged_lines=False, raise_if_empty=False,
                encoding="utf8",
            )
            return raw, width
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
            # A batch whose first record is the wide one is refused as "not specified in schema".
            if "more fields" not in str(exc) and "not specified in schema" not in str(exc):
                raise _NotBatchable(str(exc)) from exc
            width = _wider(width, limits, exc)


COMPACT_SAMPLE = 4096
# A grid smaller than this is not compacted: its repeats cost little memory, and finding them cost about a
# tenth of a small file's parse (7 ms of Devon's month, 1.9 MB).
COMPACT_MIN_BYTES = 8 << 20


def compact_strings(frame: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """The same frame with each String column (of `columns`, default all) whose values are long (over the 12
    bytes a string view holds inline) and repeated (a department, a body's URL) rebuilt so every repeat points
    at one stored copy: a column of the same few values then costs its 16-byte views, not a copy of the text
    per row. Which columns qualify is read from their first cells in one evaluation (a few per column cost
    more than the read of a small file); their distinct values and codes in one pass each, in parallel."""
    if frame.height < 2 * COMPACT_SAMPLE // 4 or frame.estimated_size() < COMPACT_MIN_BYTES:
        return frame
    strings = [c for c in (frame.columns if columns is None else columns) if frame.schema[c] == pl.String]
    if not strings:
        return frame
    head = frame.head(COMPACT_SAMPLE).select(
        [e for i, c in enumerate(strings) for e in (pl.col(c).count().alias(f"{i}.filled"),
                                                    pl.col(c).str.len_bytes().mean().alias(f"{i}.bytes"),
                                                    pl.col(c).drop_nulls().n_unique().alias(f"{i}.distinct"))]
    ).row(0, named=True)
    candidates = [c for i, c in enumerate(strings) if head[f"{i}.filled"] and (head[f"{i}.bytes"] or 0) > 12
                  and head[f"{i}.distinct"] * 2 <= head[f"{i}.filled"]]
    if not candidates:
        return frame
    distinct = frame.select([pl.col(c).drop_nulls().unique().implode() for c in candidates]).row(0, named=True)
    # fresh buffers, not views into the column
    stored = {c: pl.Series(c, values, dtype=pl.String) for c, values in distinct.items()
              if len(values) * 2 <= frame.height}
    if not stored:
        return frame
    # each cell's position in its column's stored values (null stays null)
    codes = frame.select([pl.col(c).cast(pl.Enum(values)).to_physical() for c, values in stored.items()])
    return frame.with_columns([values.gather(codes.get_column(c)) for c, values in stored.items()])


WIDTH_PREFIX_CHARS = 1 << 15  # enough for the first hundreds of records of a usual file
WIDTH_MIN_LINES = 50


def _prefix_width(prefix: str, separator: str) -> int:
    """The widest record among the first ones (a preamble row is narrower than the header): those in the first
    WIDTH_PREFIX_CHARS of the prefix, or in all of it when that holds under WIDTH_MIN_LINES lines (very wide
    records). A wider record further on widens the read (_wider), to the same grid; reading 2,000 records here
    cost about 2 ms a file."""
    lines = prefix[:WIDTH_PREFIX_CHARS].splitlines(keepends=True)
    if len(lines) < WIDTH_MIN_LINES:
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
                width = _wider(width, limits, exc)
                continue
            if quote and not re.search(rb'(?:^|[' + re.escape(separator.encode()) + rb'])"', utf8, re.M):
                quote = None  # no field is quoted anywhere: every '"' is a literal character (O"Brien)
                continue
            return None
        except pl.exceptions.NoDataError:
            return pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    frame = _without_empty_tail(frame)
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
    return grid_frame(records)


def _safe_member_name(name: str) -> bool:
    """A member name that is a plain relative path: no absolute path, drive letter or `..` step (never used
    as a path here anyway: members are read into memory, their names kept only as provenance)."""
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts)


def _checked_infos(zf: zipfile.ZipFile, limits: ParserLimits, what: str) -> list[zipfile.ZipInfo]:
    """The archive's file members after the declared-size checks: member count, unsafe names, total
    uncompressed size and per-member compression ratio (a bomb is refused before anything is inflated)."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_zip_members:
        raise RefusedFile("zip_too_many_members", f"{what} has {len(infos):,} members (limit {limits.max_zip_members})")
    unsafe = [i.filename for i in infos if not _safe_member_name(i.filename)]
    if unsafe:
        raise RefusedFile("zip_unsafe_member_name", f"{what} has member names that climb out of it or are "
                                                    f"absolute: {unsafe[:5]!r}")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed_bytes:
        raise RefusedFile("zip_too_large", f"{what} declares {declared:,} bytes uncompressed (limit "
                                           f"{limits.max_uncompressed_bytes:,})")
    for i in infos:
        if i.file_size > (1 << 20) and i.file_size > limits.max_compression_ratio * max(i.compress_size, 1):
            raise RefusedFile("zip_bomb", f"{what} member {i.filename!r} inflates {i.compress_size:,} bytes to "
                                          f"{i.file_size:,} (ratio over {limits.max_compression_ratio:g})")
    return infos


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ParserLimits, budget: list[int]) -> bytes:
    """A member's bytes, inflated in chunks and stopped as soon as it passes its declared size or the
    archive's remaining budget (declared sizes can lie)."""
    cap = min(info.file_size, budget[0])
    parts, total = [], 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > cap:
                    raise RefusedFile("zip_bomb", f"member {info.filename!r} inflates past its declared "
                                                  f"{info.file_size:,} bytes or the archive's limit")
                parts.append(chunk)
    except zipfile.BadZipFile as exc:  # zipfile stops at the declared size, then the checksum fails
        raise RefusedFile("zip_member_mismatch", f"member {info.filename!r} does not inflate to its declared "
                                                 f"{info.file_size:,} bytes and checksum ({exc})") from exc
    budget[0] -= total
    return b"".join(parts)


# Row and cell references (`<row r="7">`, `<c r="AB7">`): the only attributes named exactly `r` in a worksheet (a
# quote inside text or another attribute is escaped), so the search runs on the literal ` r="` (a tenth of the
# time of matching the element first) and the rows and the columns are collected apart, without a Python step
# per cell: the rows as numbers (max over map(int)), the columns as the set of their letters.
_REF_ROW = re.compile(rb' r="[A-Z]{0,3}(\d+)"')
_REF_COLUMN = re.compile(rb' r="([A-Z]{1,3})\d')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_workbook(data: bytes, limits: ParserLimits = DEFAULT_LIMITS) -> None:
    """Refuse an XLSX before any Excel reader sees it: the archive checks, then each worksheet's extent from
    its <dimension> and from every cell and row reference (streamed, never inflated whole). One cell at
    XFD1048576 makes a reader allocate rows x columns cells (hundreds of gigabytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = _checked_infos(zf, limits, "the workbook")
            budget = limits.max_uncompressed_bytes
            for info in infos:
                if not re.match(r"^xl/worksheets/[^/]+\.xml$", info.filename):
                    continue
                max_row, max_col, seen = 0, 0, 0
                tail = b""
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        seen += len(chunk)
                        if seen > min(budget, max(info.file_size, 1) + (1 << 20)):
                            raise RefusedFile("zip_bomb", f"worksheet {info.filename!r} inflates past its "
                                                          f"declared size or the workbook's limit")
                        text = tail + chunk
                        for letters, digits in _DIMENSION.findall(text):
                            max_row, max_col = max(max_row, int(digits)), max(max_col, _column_number(letters))
                        max_row = max(max_row, max(map(int, _REF_ROW.findall(text)), default=0))
                        max_col = max(max_col, max(map(_column_number, set(_REF_COLUMN.findall(text))), default=0))
                        tail = text[-64:]
                        cells = max_row * max(max_col, 1)
                        if max_row > limits.max_sheet_rows or max_col > limits.max_columns or cells > limits.max_sheet_cells:
                            raise RefusedFile("workbook_too_large", f"worksheet {info.filename!r} reaches row "
                                              f"{max_row:,}, column {max_col:,} ({cells:,} cells; limit "
                                              f"{limits.max_sheet_cells:,})")
                budget -= seen
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"workbook could not be read: {exc}") from exc


def read_workbook(data: bytes, limits: ParserLimits = DEFAULT_LIMITS) -> list[RawSheet]:
    """Every sheet of an XLSX / XLS / ODS workbook, all cells as text, read by calamine in a child process
    with an address-space limit and a deadline: a native abort or a runaway allocation in the Excel reader
    costs one file (a specific reason code), not the process. XLSX workbooks are checked first
    (check_workbook)."""
    if data.startswith(b"PK"):
        check_workbook(data, limits)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")}
    env["POLARS_MAX_THREADS"] = "1"
    try:
        proc = subprocess.run([sys.executable, "-m", "pipelines.spend.workbook_child", str(limits.workbook_memory_bytes)],
                              input=data, capture_output=True, timeout=limits.workbook_timeout_s, env=env,
                              cwd=str(Path(__file__).resolve().parents[2]))
    except subprocess.TimeoutExpired as exc:
        raise RefusedFile("workbook_timeout", f"the Excel reader took over {limits.workbook_timeout_s:g} s") from exc
    err = proc.stderr.decode("utf-8", errors="replace")[-400:]
    if proc.returncode == 3:
        raise UnreadableFile(f"workbook could not be read: {err.strip()}")
    if proc.returncode != 0:
        if "memory allocation" in err or "MemoryError" in err or "Cannot allocate" in err:
            raise RefusedFile("workbook_memory_limit", f"the Excel reader ran out of its "
                                                       f"{limits.workbook_memory_bytes:,}-byte limit")
        raise RefusedFile("workbook_crashed", f"the Excel reader died (exit {proc.returncode}): {err.strip()[-200:]}")
    return _unpack_sheets(proc.stdout)


def _unpack_sheets(payload: bytes) -> list[RawSheet]:
    """The child's answer: per sheet a 4-byte name length, the UTF-8 name, an 8-byte length and an Arrow IPC
    stream (data only: never pickle from a process that parsed untrusted bytes)."""
    sheets, view, at = [], memoryview(payload), 0
    while at < len(view):
        (name_len,) = struct.unpack_from("<I", view, at)
        name = bytes(view[at + 4:at + 4 + name_len]).decode("utf-8")
        at += 4 + name_len
        (frame_len,) = struct.unpack_from("<Q", view, at)
        frame = pl.read_ipc_stream(io.BytesIO(view[at + 8:at + 8 + frame_len]))
        at += 8 + frame_len
        sheets.append(RawSheet(name, frame, None))
    return sheets


def zip_members(data: bytes, limits: ParserLimits = DEFAULT_LIMITS) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file in a ZIP, in name order, skipping folders and macOS resource forks, within
    the archive limits (member count, names, declared and actual sizes, ratio)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = _checked_infos(zf, limits, "the ZIP")
            infos = [i for i in infos if not i.filename.startswith("__MACOSX/")
                     and not i.filename.rsplit("/", 1)[-1].startswith(".")]
            budget = [limits.max_uncompressed_bytes]
            return [(i.filename, _read_member(zf, i, limits, budget)) for i in sorted(infos, key=lambda i: i.filename)]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise UnreadableFile(f"ZIP could not be read: {exc}") from exc
