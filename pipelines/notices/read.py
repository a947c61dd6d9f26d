"""Decode and read OCDS bodies the way the services actually serve them.

* Contracts Finder can emit invalid UTF-8: decode strictly, and only on failure repair the stray bytes as
  cp1252 (never transcode a whole valid body, which would mangle genuine multi-byte text).
* Find a Tender emits JSON numbers that are not JSON (`1e9999`, a bare `000`): patch them before parsing.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

# `1e9999` overflows to infinity and is a placeholder for "no usable value" (null, so it never reaches a sum);
# `000` is a zero written with leading zeros (`"amountGross": 000`), read as 0 as sources.md §4 prescribes.
_BAD_NUMBERS = re.compile(rb'(?<=[:\[,])(\s*)(-?1e9999|0{2,}(?![.\deE]))(?=\s*[,}\]])')


def _patch_number(match: re.Match) -> bytes:
    return match.group(1) + (b"null" if b"e" in match.group(2) else b"0")


class UnreadableInput(ValueError):
    """The input is not OCDS JSON we can read (truncated, not JSON, not a package or release)."""


def _cp1252_bytes(error: UnicodeDecodeError):
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("keepitlocal-cp1252", _cp1252_bytes)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="keepitlocal-cp1252")


def parse_json(data: bytes):
    patched = _BAD_NUMBERS.sub(_patch_number, data)
    try:
        return json.loads(decode(patched))
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError:
        # a hostile page nested thousands deep: the decoder's own depth guard stops it, we say why
        raise UnreadableInput("JSON nested deeper than the reader allows (hostile or corrupt page)") from None


def releases_of(document) -> list[dict]:
    """Releases in a release package, a record package (every release, else the compiled release), or a
    bare release object."""
    if isinstance(document, dict):
        if isinstance(document.get("releases"), list):
            return [r for r in document["releases"] if isinstance(r, dict)]
        if isinstance(document.get("records"), list):
            out = []
            for record in document["records"]:
                releases = [r for r in record.get("releases") or [] if isinstance(r, dict) and "ocid" in r]
                if not releases and isinstance(record.get("compiledRelease"), dict):
                    releases = [record["compiledRelease"]]
                out.extend(releases)
            return out
        if "ocid" in document:
            return [document]
    raise UnreadableInput("not an OCDS release package, record package or release")


def releases_in_body(data: bytes) -> list[dict]:
    """Releases in a raw body as landed: an API page (one package), or a gzipped / plain JSON Lines file of
    releases or packages (the Open Contracting Data Registry's yearly files)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return releases_of(parse_json(data))
    except UnreadableInput:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) < 2:
            raise
        return [release for line in lines for release in releases_of(parse_json(line))]


MAX_LINE_BYTES = 64 * 1024 ** 2  # one compiled release per line; a longer line is skipped and counted


def iter_release_batches(path: Path, batch_size: int = 5000, stats: dict | None = None) -> Iterator[list[dict]]:
    """Releases of a landed body in batches, with memory bounded by the batch: a gzipped or large body is read
    as JSON Lines one line at a time (the Open Contracting Data Registry's yearly files); a small plain body
    as one API page. Unreadable lines are skipped and counted in `stats["unreadable_lines"]`; an unreadable
    page yields nothing and is counted in `stats["unreadable_pages"]`."""
    stats = stats if stats is not None else {}
    path = Path(path)
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if not gzipped and path.stat().st_size <= MAX_LINE_BYTES:
        data = path.read_bytes()
        try:
            releases = releases_in_body(data)
        except UnreadableInput:
            stats["unreadable_pages"] = stats.get("unreadable_pages", 0) + 1
            return
        for i in range(0, len(releases), batch_size):
            yield releases[i:i + batch_size]
        return
    opener = gzip.open if gzipped else open
    batch: list[dict] = []
    try:
        with opener(path, "rb") as handle:
            while True:
                line = handle.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    while line and not line.endswith(b"\n"):  # skip the rest of an over-long line
                        line = handle.readline(MAX_LINE_BYTES)
                    stats["unreadable_lines"] = stats.get("unreadable_lines", 0) + 1
                    continue
                if not line.strip():
                    continue
                try:
                    batch.extend(releases_of(parse_json(line)))
                except UnreadableInput:
                    stats["unreadable_lines"] = stats.get("unreadable_lines", 0) + 1
                    continue
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    except (OSError, EOFError) as exc:  # a truncated gzip stream: what was read is kept, the rest counted
        stats["unreadable_pages"] = stats.get("unreadable_pages", 0) + 1
        stats.setdefault("errors", []).append(f"{path.name}: {exc}")
    if batch:
        yield batch


def read_path(path: Path) -> Iterator[dict]:
    """Every release in a `.json` package, or a `.jsonl` / `.jsonl.gz` file of releases or packages."""
    name = path.name.lower()
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            if ".jsonl" in name:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            yield from releases_of(parse_json(line))
                        except UnreadableInput as exc:
                            raise UnreadableInput(f"line {number}: {exc}") from exc
            else:
                yield from releases_of(parse_json(handle.read()))
    except (OSError, EOFError) as exc:
        raise UnreadableInput(f"cannot read {path}: {exc}") from exc
