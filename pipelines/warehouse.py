"""The warehouse: one private working DuckDB file for the single writer, one published file for analysts.

Layout under the warehouse root (default `warehouse/`):

    work/keepitlocal.duckdb   the pipeline's own database (raw manifest, staging, reference, core, marts);
                              only the nightly writer opens it
    build/<run>.duckdb        a copy taken at publish time, checked before it is swapped in
    keepitlocal.duckdb        the published file analysts open read-only
    raw/<aa>/<sha256>         immutable downloaded bodies, stored once by content hash
    extracts/<release>/       researchers' parquet/CSV downloads

Publishing copies the checkpointed working file to `build/` (in a storage format DuckDB 1.x reads too,
pipelines/published.py), runs the blocking checks on that copy, then
`os.replace`s it onto the published path: an analyst's open connection keeps its old snapshot (old inode),
new connections see the new file, and a build killed half-way leaves the published file untouched.

Every connection the pipeline opens on its own files is bounded: DuckDB `memory_limit`, `threads`,
`temp_directory` (where DuckDB spills what does not fit) and `checkpoint_threshold` (the write-ahead log's size
at which DuckDB writes it into the file) come from the `Warehouse` fields, else the environment
(`KEEPITLOCAL_DUCKDB_MEMORY_LIMIT`, `KEEPITLOCAL_DUCKDB_THREADS`, `KEEPITLOCAL_DUCKDB_TEMP_DIRECTORY`,
`KEEPITLOCAL_DUCKDB_CHECKPOINT_THRESHOLD`), else defaults that fit a 2-core, 24 GB machine shared with other work
(2 GB, 2 threads, `work/tmp/`, 256 MB). DuckDB's own 16 MB threshold made a night's loading of new files stop
to checkpoint after every few files (360 real files: 17.7 -> 14.4 s of loading at 256 MB); the log is still
written into the file when the last connection closes, and before every publish.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import sqlfiles
from pipelines.published import PUBLISHED_STORAGE_VERSION, write_reader_copy

PUBLISHED_NAME = "keepitlocal.duckdb"
DEFAULT_MEMORY_LIMIT = "2GB"
DEFAULT_THREADS = 2
DEFAULT_CHECKPOINT_THRESHOLD = "256MB"


class PublishBlocked(RuntimeError):
    """Blocking checks failed on the build copy; the published file was not replaced."""

    def __init__(self, failures: list[str]):
        super().__init__("publish blocked by failing checks: " + "; ".join(failures))
        self.failures = failures


@dataclass(frozen=True)
class Warehouse:
    root: Path
    memory_limit: str | None = None     # DuckDB memory_limit, e.g. "2GB"
    threads: int | None = None          # DuckDB worker threads
    temp_directory: str | None = None   # where DuckDB spills; default <root>/work/tmp
    checkpoint_threshold: str | None = None  # DuckDB checkpoint_threshold (write-ahead log size), e.g. "256MB"
    # object storage (pipelines/storage.py): raw blobs and extract releases in a bucket instead of under root;
    # None = KEEPITLOCAL_RAW_URL / KEEPITLOCAL_EXTRACTS_URL, else local disk (root/raw, root/extracts)
    raw_url: str | None = None
    extracts_url: str | None = None

    def duckdb_config(self) -> dict:
        """The bounded settings applied on every connection to the working file and the build copy."""
        env = os.environ
        temp = self.temp_directory or env.get("KEEPITLOCAL_DUCKDB_TEMP_DIRECTORY") or str(self.root / "work" / "tmp")
        return {
            "memory_limit": str(self.memory_limit or env.get("KEEPITLOCAL_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT),
            "threads": int(self.threads or env.get("KEEPITLOCAL_DUCKDB_THREADS") or DEFAULT_THREADS),
            "temp_directory": temp,
            "checkpoint_threshold": str(self.checkpoint_threshold or env.get("KEEPITLOCAL_DUCKDB_CHECKPOINT_THRESHOLD")
                                        or DEFAULT_CHECKPOINT_THRESHOLD),
            # a new working file is written in the format the published copy needs, so publishing is a byte
            # copy (pipelines/published.py); an existing file keeps its format
            "storage_compatibility_version": PUBLISHED_STORAGE_VERSION,
        }

    def open(self, path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection to one of the warehouse's files with the bounded settings."""
        config = self.duckdb_config()
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path), read_only=read_only, config=config)

    @property
    def work_path(self) -> Path:
        return self.root / "work" / PUBLISHED_NAME

    @property
    def published_path(self) -> Path:
        return self.root / PUBLISHED_NAME

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def raw_store(self):
        """Where raw blobs live, for `pipelines.rawstore`: the local `raw_dir` (a Path), or a `RawStore` in the
        configured object store (with `raw_dir` as its local spool and cache)."""
        url = self.raw_url or os.environ.get("KEEPITLOCAL_RAW_URL") or None
        if not url:
            return self.raw_dir
        from pipelines.rawstore import RawStore
        from pipelines.storage import Storage

        return RawStore(self.raw_dir, Storage(url))

    @property
    def extracts_target(self) -> str | Path:
        """Where extract releases go: the local `extracts_dir`, or the configured object-store URL."""
        return self.extracts_url or os.environ.get("KEEPITLOCAL_EXTRACTS_URL") or self.extracts_dir

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def extracts_dir(self) -> Path:
        return self.root / "extracts"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the working database; a writer gets the DDL applied first. Always closed on exit."""
        self.work_path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.work_path.exists():
            with self.connect(read_only=False):
                pass
        con = self.open(self.work_path, read_only=read_only)
        try:
            if not read_only:
                apply_ddl(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writer connection inside BEGIN ... COMMIT; any exception rolls the whole load back."""
        with self.connect() as con, atomic(con):
            yield con

    def publish(self, run_id: str, checks: Callable[[duckdb.DuckDBPyConnection], list[str]],
                stamp: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> Path:
        """Copy the working file to build/, run `checks` on the copy, then atomically swap it in.

        `checks` returns the list of blocking failures (empty = pass). `stamp`, if given, writes to the checked
        copy just before the swap (the run's bookkeeping). Returns the published path.
        """
        with self.connect() as con:
            con.execute("checkpoint")
        self.build_dir.mkdir(parents=True, exist_ok=True)
        # one writer at a time: anything left in build/ is the copy of a publish that was killed part-way
        for stale in self.build_dir.iterdir():
            if stale.suffix in (".duckdb", ".copying", ".wal"):
                stale.unlink(missing_ok=True)
        build_path = self.build_dir / f"{safe_name(run_id)}.duckdb"
        tmp = build_path.with_suffix(".copying")
        # a logical copy in a storage format DuckDB 1.x clients read too (pipelines/published.py)
        config = self.duckdb_config()
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        write_reader_copy(self.work_path, tmp, config=config)
        os.replace(tmp, build_path)
        try:
            con = self.open(build_path)
            try:
                failures = checks(con)
                if not failures and stamp is not None:
                    stamp(con)
                con.execute("checkpoint")
            finally:
                con.close()
            if failures:
                raise PublishBlocked(failures)
            _fsync(build_path)
            os.replace(build_path, self.published_path)
        finally:
            build_path.unlink(missing_ok=True)
        return self.published_path


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT on an open connection, rolled back on any exception.

    Library functions that write own their transaction: DuckDB aborts an open transaction when a nested BEGIN
    is attempted, so callers must not wrap them in another one.
    """
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def apply_ddl(con: duckdb.DuckDBPyConnection) -> None:
    """Run every idempotent DDL file in order (create ... if not exists / add column if not exists), unless the
    database already matches this DDL: the fingerprint of the files is recorded once all of them ran, so a writer
    connection costs one small query instead of every DDL statement (about 20 ms, some 26 times a night). A change
    to any DDL file changes the fingerprint and runs them all again."""
    fingerprint = _ddl_fingerprint()
    try:
        if sqlfiles.execute(con, "meta/ddl_fingerprint").fetchall() == [(fingerprint,)]:
            return
    except duckdb.CatalogException:  # a new file, or one from before the fingerprint was kept
        pass
    for path in sqlfiles.ddl_files():
        con.execute(path.read_text(encoding="utf-8"))
    sqlfiles.execute(con, "meta/record_ddl_fingerprint", {"fingerprint": fingerprint})


@functools.cache
def _ddl_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sqlfiles.ddl_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
