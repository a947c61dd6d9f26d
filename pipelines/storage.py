"""One storage interface for raw blobs and extracts: local disk by default, an object store by configuration.

`Storage(url)` is a root and an fsspec filesystem: a local directory (`/srv/warehouse/raw`, `file:///...`), or
a bucket prefix (`s3://bucket/keepitlocal/raw`, any S3-compatible service through s3fs; `gs://`, `az://`... with
their fsspec packages). Keys are POSIX paths under the root. Why fsspec rather than obstore: DuckDB reads
object storage through an fsspec filesystem (`duckdb.register_filesystem`) without its httpfs extension (a
download at first use, impossible offline), Polars and pyarrow take fsspec filesystems too, and fsspec is
already in the dependency tree; obstore is faster per request, but our objects are few and large (a council
file, a parquet partition), so per-request overhead does not matter here.

Configuration (WarehouseResource fields, else the environment): `KEEPITLOCAL_RAW_URL` (raw blobs; unset = the
warehouse's own `raw/` on local disk, exactly as before), `KEEPITLOCAL_EXTRACTS_URL` (extract releases; unset =
`extracts/`), and `KEEPITLOCAL_STORAGE_OPTIONS` (JSON passed to the filesystem, e.g. `{"endpoint_url":
"https://s3.example"}`); S3 credentials come from the usual AWS variables or instance role, never from here.

Writes are whole-object puts (an object store never shows a half-written object); local writes go to a temp
name in the same folder and are renamed into place.
"""

from __future__ import annotations

import json
import os
import posixpath
import uuid
from pathlib import Path
from urllib.parse import urlsplit


def storage_options_from_env() -> dict:
    text = os.environ.get("KEEPITLOCAL_STORAGE_OPTIONS", "").strip()
    return json.loads(text) if text else {}


def is_remote(url: str | os.PathLike | None) -> bool:
    """A URL with a scheme other than file:// (s3://, gs://, memory://...)."""
    if url is None or isinstance(url, os.PathLike):
        return False
    scheme = urlsplit(str(url)).scheme
    return len(scheme) > 1 and scheme != "file"  # a one-letter scheme is a Windows drive


class Storage:
    """A root directory or bucket prefix, through fsspec. Picklable (parse workers receive it)."""

    def __init__(self, url: str | os.PathLike, options: dict | None = None):
        import fsspec

        self.url = str(url).rstrip("/") if is_remote(url) else str(Path(url).resolve())
        self.options = dict(options if options is not None else storage_options_from_env()) if is_remote(url) else {}
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **self.options)
        self.root = self.root.rstrip("/")

    def __reduce__(self):
        return (Storage, (self.url, self.options))

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    @property
    def is_local(self) -> bool:
        return not is_remote(self.url)

    @property
    def protocol(self) -> str:
        protocol = self.fs.protocol
        return protocol[0] if isinstance(protocol, (tuple, list)) else protocol

    def path(self, key: str) -> str:
        """The filesystem path of a key (no scheme): what `self.fs` methods take."""
        return posixpath.join(self.root, key) if key else self.root

    def uri(self, key: str = "") -> str:
        """The full URL of a key, as DuckDB and Polars read it (`s3://bucket/prefix/key`)."""
        return f"{self.protocol}://{self.path(key)}" if not self.is_local else self.path(key)

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def read_bytes(self, key: str) -> bytes:
        return self.fs.cat_file(self.path(key))

    def write_bytes(self, key: str, data: bytes) -> None:
        if self.is_local:
            target = Path(self.path(key))
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        else:
            self.fs.pipe_file(self.path(key), data)

    def put_file(self, local_path: str | os.PathLike, key: str) -> None:
        if self.is_local:
            self.write_bytes(key, Path(local_path).read_bytes())
        else:
            self.fs.put_file(str(local_path), self.path(key))

    def get_file(self, key: str, local_path: str | os.PathLike) -> None:
        self.fs.get_file(self.path(key), str(local_path))

    def size(self, key: str) -> int:
        return int(self.fs.size(self.path(key)))

    def list(self, prefix: str = "") -> list[str]:
        """Keys of every object under `prefix` (recursively), relative to the root, sorted."""
        base = self.path(prefix)
        if not self.fs.exists(base):
            return []
        found = self.fs.find(base)
        return sorted(posixpath.relpath(p, self.root) for p in found)

    def children(self, prefix: str = "") -> list[str]:
        """Names directly under `prefix` (objects and 'directories')."""
        base = self.path(prefix)
        try:
            entries = self.fs.ls(base, detail=False)
        except FileNotFoundError:
            return []
        return sorted(posixpath.basename(p.rstrip("/")) for p in entries)

    def delete(self, prefix: str) -> None:
        if self.fs.exists(self.path(prefix)):
            self.fs.rm(self.path(prefix), recursive=True)

    def upload_tree(self, local_dir: Path, prefix: str, *, last: tuple[str, ...] = ()) -> list[str]:
        """Copy every file under `local_dir` to `prefix/...`; the files named in `last` (relative POSIX paths)
        go after all others, so a reader that waits for them never finds a partial tree. Returns the keys."""
        local_dir = Path(local_dir)
        files = sorted(p for p in local_dir.rglob("*") if p.is_file() and not p.is_symlink())
        rel = [p.relative_to(local_dir).as_posix() for p in files]
        order = [r for r in rel if r not in last] + [r for r in last if r in rel]
        keys = []
        for name in order:
            key = posixpath.join(prefix, name)
            self.put_file(local_dir / name, key)
            keys.append(key)
        return keys

    def register_with_duckdb(self, con) -> None:
        """Let a DuckDB connection read this store's URLs (`read_parquet('s3://...')`) through fsspec, with no
        httpfs extension to download. Local storage needs nothing."""
        if not self.is_local:
            con.register_filesystem(self.fs)
