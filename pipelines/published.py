"""The published warehouse file as its readers meet it: which DuckDB versions open it, and how to open it fresh.

**Storage format.** DuckDB 2.x writes database files in storage format 69 by default, which no DuckDB 1.x
client opens ("Trying to read a database file with version number 69, but we can only read versions between 64
and 68"). The CLI that `pip install duckdb-cli` installs is 1.5.x, and so are most drivers analysts use (DBeaver's
JDBC, R, older notebooks). So the published file is kept in storage format v1.4.0, which DuckDB 1.4 LTS, every
1.5.x and 2.x read; DuckDB keeps a file's format when it writes to it later, so the blocking checks that run on
the build copy do not upgrade it.

* New working files are created in v1.4.0 (`storage_compatibility_version` in `Warehouse.duckdb_config`), so
  `write_reader_copy` is a byte copy: 0.37 s for a 291 MB file.
* A working file in a newer format (made before this rule, or by another tool) is copied logically instead:
  a new file attached with `STORAGE_VERSION 'v1.4.0'` and `COPY FROM DATABASE` (schemas, tables, views,
  sequences). That costs ~0.3 s on the 18 MB demo warehouse but 32 s on the 291 MB one (load 13), so it is the
  fallback, not the rule.

**Same-process readers.** DuckDB's Python client caches one database instance per file path per process:
`duckdb.connect(path, read_only=True)` while another connection to that path is open in the same process
returns the cached instance, i.e. the snapshot of the file *before* the latest publish (the publish swaps a new
inode in with `os.replace`). `connect_published` avoids the cache: it opens a fresh in-memory session and
ATTACHes the file read-only, so it always sees the file currently at the path. Connections in other processes
are unaffected either way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines import sqlfiles

# Read by DuckDB 1.4 LTS (supported to Nov 2026), 1.5.x (supported to Mar 2027) and 2.x.
PUBLISHED_STORAGE_VERSION = "v1.4.0"


def write_reader_copy(source: str | Path, target: str | Path,
                      version: str = PUBLISHED_STORAGE_VERSION, config: dict | None = None) -> Path:
    """Copy the (checkpointed) database `source` into a new file `target` in storage format `version`.

    `target` must not exist. The copy is complete and checkpointed (no WAL) when this returns; on any error
    the partial target is removed. `config`: DuckDB settings for the copying session (the warehouse's memory
    bounds).
    """
    source, target = Path(source), Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists; a reader copy is always written to a new file")
    if not Path(f"{source}.wal").exists() and storage_version(source) == f"{version}+":
        # already in the readers' format (working files are created in it): a byte copy is the same file
        shutil.copyfile(source, target)
        return target
    con = duckdb.connect(config=config or {})
    try:
        sqlfiles.execute(con, "publish/attach_source_read_only", {"path": str(source)})
        sqlfiles.execute(con, "publish/attach_reader_copy", {"path": str(target), "storage_version": version})
        sqlfiles.execute(con, "publish/copy_source_to_reader_copy")
        sqlfiles.execute(con, "publish/checkpoint_reader_copy")
        sqlfiles.execute(con, "publish/detach_reader_copy")
        sqlfiles.execute(con, "publish/detach_source")
    except BaseException:
        con.close()
        target.unlink(missing_ok=True)
        Path(f"{target}.wal").unlink(missing_ok=True)
        raise
    con.close()
    return target


def connect_published(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only session on the file currently at `path`, never a cached older instance of it.

    The file is attached as database `kil` and made the default, so `select * from marts.x` works as with
    `duckdb.connect(path, read_only=True)`. Close it when done, as any connection.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no published warehouse at {path}")
    con = duckdb.connect()
    try:
        sqlfiles.execute(con, "publish/attach_published", {"path": str(path)})
        sqlfiles.execute(con, "publish/use_published")
    except BaseException:
        con.close()
        raise
    return con


def storage_version(path: str | Path) -> str:
    """The storage format DuckDB reports for the database file at `path` (e.g. 'v1.4.0+')."""
    con = connect_published(path)
    try:
        versions = dict(sqlfiles.execute(con, "publish/storage_version").fetchall())
    finally:
        con.close()
    return str(versions["kil"])

