"""Load SQL statements from `sql/` by name and run them with bound, named parameters.

SQL never interpolates values: `execute(con, "staging/delete_spend_partition", {"council": gss})`
binds `$council`. One statement per file (style.md §15).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb

# the repository's sql/ beside pipelines/; a built wheel carries it as pipelines/_sql (pyproject force-include)
_PACKAGED_SQL = Path(__file__).resolve().parent / "_sql"
SQL_DIR = _PACKAGED_SQL if _PACKAGED_SQL.is_dir() else Path(__file__).resolve().parent.parent / "sql"


@cache
def load(name: str) -> str:
    """Return the text of `sql/<name>.sql` (name may include sub-folders, without the suffix)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute one named statement with bound parameters and return the connection (for fetch*)."""
    return con.execute(load(name), params or {})


def ddl_files() -> list[Path]:
    """The idempotent DDL files, in the order they must run."""
    return sorted((SQL_DIR / "ddl").glob("*.sql"))
