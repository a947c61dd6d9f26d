"""Immutable raw landing: every distinct body is stored once, named by its sha256, never modified.

`raw.fetch_manifest` (sql/ddl/010_raw.sql) records each fetch (url, status, headers, sha256); the blob itself
lives at `<raw_dir>/<first two hex chars>/<sha256>`. Downloads stream into `<raw_dir>/.incoming/` (hashed while
written) and are renamed into place only when complete, so a blob is always whole; a partial file a killed
run left behind is swept by `pipelines.edge.sweep_incoming`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

INCOMING = ".incoming"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(raw_dir: Path, sha256: str) -> Path:
    return raw_dir / sha256[:2] / sha256


def incoming_dir(raw_dir: Path, create: bool = True) -> Path | None:
    """Where partial downloads are written (same file system as the blobs, so the final rename is atomic)."""
    path = Path(raw_dir) / INCOMING
    if create:
        path.mkdir(parents=True, exist_ok=True)
        return path
    return path if path.is_dir() else None


def adopt(raw_dir: Path, tmp: Path, sha256: str) -> str:
    """Move a complete temp file whose hash is `sha256` into the store (or drop it if the blob exists)."""
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


def store(raw_dir: Path, data: bytes) -> str:
    """Store `data` once by content hash and return the hash. An existing blob is never rewritten."""
    digest = sha256_hex(data)
    path = blob_path(raw_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        path.chmod(0o444)
    return digest


def store_file(raw_dir: Path, source: Path) -> tuple[str, int]:
    """Copy a local file into the store by streaming (hashed while copied); returns (sha256, size)."""
    import uuid

    tmp = incoming_dir(Path(raw_dir)) / f"{uuid.uuid4().hex}.part"
    hasher, size = hashlib.sha256(), 0
    try:
        with Path(source).open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                hasher.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        return adopt(Path(raw_dir), tmp, hasher.hexdigest()), size
    finally:
        tmp.unlink(missing_ok=True)


def exists(raw_dir: Path, sha256: str) -> bool:
    return blob_path(Path(raw_dir), sha256).is_file()


def read(raw_dir: Path, sha256: str) -> bytes:
    data = blob_path(raw_dir, sha256).read_bytes()
    if sha256_hex(data) != sha256:
        raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
    return data
