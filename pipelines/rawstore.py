"""Immutable raw landing: every distinct body is stored once, named by its sha256, never modified.

`raw.fetch_manifest` (sql/ddl/010_raw.sql) records each fetch (url, status, headers, sha256); the blob itself
lives at `<raw_dir>/<first two hex chars>/<sha256>`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(raw_dir: Path, sha256: str) -> Path:
    return raw_dir / sha256[:2] / sha256


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


def read(raw_dir: Path, sha256: str) -> bytes:
    data = blob_path(raw_dir, sha256).read_bytes()
    if sha256_hex(data) != sha256:
        raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
    return data
