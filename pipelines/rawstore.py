"""Immutable raw landing: every distinct body is stored once, named by its sha256, never modified.

`raw.fetch_manifest` (sql/ddl/010_raw.sql) records each fetch (url, status, headers, sha256); the blob itself
lives at `<raw_dir>/<first two hex chars>/<sha256>`. Downloads stream into `<raw_dir>/.incoming/` (hashed while
written) and are renamed into place only when complete, so a blob is always whole; a partial file a killed
run left behind is swept by `pipelines.edge.sweep_incoming`.

The blobs can live in an object store instead (`Warehouse.raw_url`, pipelines/storage.py): every function
here takes either the local raw directory (a `Path`, the default, unchanged) or a `RawStore`, whose blobs are
objects `<prefix>/<aa>/<sha256>` in the store. Downloads still stream into a local `.incoming/` (hashed while
written), then go up as one put; reads are hash-checked as before, and a reader that needs a file on disk
(`local_path`: register loaders, bulk notice files) gets a verified copy in the local `.cache/`; the spend parser,
which checks the hash itself, reads a temporary download (`readable_path`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

INCOMING = ".incoming"
CACHE = ".cache"


class RawStore:
    """Raw blobs in an object store, spooled and cached through a local directory."""

    def __init__(self, local_dir: Path, remote):
        self.local_dir = Path(local_dir)
        self.remote = remote  # pipelines.storage.Storage

    def __repr__(self) -> str:
        return f"RawStore({self.remote.url!r}, local={str(self.local_dir)!r})"

    @staticmethod
    def key(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        return self.remote.exists(self.key(sha256))

    def adopt(self, tmp: Path, sha256: str) -> str:
        try:
            if not self.exists(sha256):
                self.remote.put_file(tmp, self.key(sha256))
        finally:
            Path(tmp).unlink(missing_ok=True)
        return sha256

    def read(self, sha256: str) -> bytes:
        cached = self._cache_path(sha256)
        data = cached.read_bytes() if cached.is_file() else self.remote.read_bytes(self.key(sha256))
        if sha256_hex(data) != sha256:
            raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
        return data

    def local_path(self, sha256: str) -> Path:
        cached = self._cache_path(sha256)
        if not cached.is_file():
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f".{sha256}.{os.getpid()}.tmp")
            self.remote.get_file(self.key(sha256), tmp)
            if _file_sha256(tmp) != sha256:
                tmp.unlink(missing_ok=True)
                raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
            os.replace(tmp, cached)
        return cached

    def _cache_path(self, sha256: str) -> Path:
        return self.local_dir / CACHE / sha256[:2] / sha256


def _local(raw_dir) -> "Path | RawStore":
    return raw_dir if isinstance(raw_dir, RawStore) else Path(raw_dir)


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(raw_dir: Path, sha256: str) -> Path:
    return raw_dir / sha256[:2] / sha256


def local_path(raw_dir, sha256: str) -> Path:
    """A file on local disk holding the blob: the blob itself, or a verified cached copy of a remote one."""
    raw_dir = _local(raw_dir)
    return raw_dir.local_path(sha256) if isinstance(raw_dir, RawStore) else blob_path(raw_dir, sha256)


@contextlib.contextmanager
def readable_path(raw_dir, sha256: str) -> Iterator[Path]:
    """A local file holding the blob while the block runs, for a reader that verifies the hash itself (the spend
    parser): the blob itself, or a verified cached copy of a remote one; otherwise a temporary download, removed
    afterwards (never added to the cache, which would grow into a second copy of the store)."""
    raw_dir = _local(raw_dir)
    if not isinstance(raw_dir, RawStore):
        yield blob_path(raw_dir, sha256)
        return
    cached = raw_dir._cache_path(sha256)
    if cached.is_file():
        yield cached
        return
    tmp = incoming_dir(raw_dir) / f"{sha256}.{os.getpid()}.{threading.get_ident()}.read"
    try:
        raw_dir.remote.get_file(raw_dir.key(sha256), tmp)
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def incoming_dir(raw_dir, create: bool = True) -> Path | None:
    """Where partial downloads are written (same file system as the blobs, so the final rename is atomic)."""
    raw_dir = _local(raw_dir)
    path = (raw_dir.local_dir if isinstance(raw_dir, RawStore) else raw_dir) / INCOMING
    if create:
        path.mkdir(parents=True, exist_ok=True)
        return path
    return path if path.is_dir() else None


def adopt(raw_dir, tmp: Path, sha256: str) -> str:
    """Move a complete temp file whose hash is `sha256` into the store (or drop it if the blob exists)."""
    if isinstance(raw_dir, RawStore):
        return raw_dir.adopt(tmp, sha256)
    path = blob_path(Path(raw_dir), sha256)
    if path.exists():
        tmp.unlink(missing_ok=True)
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.chmod(0o444)
    os.replace(tmp, path)
    return sha256


def store(raw_dir, data: bytes) -> str:
    """Store `data` once by content hash and return the hash. An existing blob is never rewritten."""
    digest = sha256_hex(data)
    if isinstance(raw_dir, RawStore):
        if not raw_dir.exists(digest):
            raw_dir.remote.write_bytes(raw_dir.key(digest), data)
        return digest
    path = blob_path(raw_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        path.chmod(0o444)
    return digest


def store_file(raw_dir, source: Path) -> tuple[str, int]:
    """Copy a local file into the store by streaming (hashed while copied); returns (sha256, size)."""
    import uuid

    raw_dir = _local(raw_dir)
    tmp = incoming_dir(raw_dir) / f"{uuid.uuid4().hex}.part"
    hasher, size = hashlib.sha256(), 0
    try:
        with Path(source).open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                hasher.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        return adopt(raw_dir, tmp, hasher.hexdigest()), size
    finally:
        tmp.unlink(missing_ok=True)


def exists(raw_dir, sha256: str) -> bool:
    if isinstance(raw_dir, RawStore):
        return raw_dir.exists(sha256)
    return blob_path(Path(raw_dir), sha256).is_file()


def read(raw_dir, sha256: str) -> bytes:
    if isinstance(raw_dir, RawStore):
        return raw_dir.read(sha256)
    data = blob_path(Path(raw_dir), sha256).read_bytes()
    if sha256_hex(data) != sha256:
        raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
    return data
