"""Skip a derived stage whose inputs did not change since it was last built.

A night on which no council published anything new should spend its time asking councils for their files (the
HTTP 304s), not re-resolving every supplier, rebuilding every mart and rewriting every extract. Each derived
stage (the supplier resolution, each mart, the extract release) first computes an **input signature**, a hash of

* the contents of every table it reads: row count and an order-independent sum of row hashes (the measure of
  `pipelines.marts.build.content_hashes`), with the table's column names and types;
* its own code: the Python sources, SQL and shipped data it is made of, and the DuckDB and Polars versions;
* its parameters, including the reference date for stages whose SQL reads one (at the granularity the SQL uses).

The signature of the stage's last build is kept in `meta.stage_builds` with a hash of what the build wrote and what
it reported. When the new signature equals the recorded one, and the stage's outputs still hash to what it wrote,
the stage does nothing, reports what it reported then, and records that this run found it unchanged (`status`
'unchanged', `run_id`, `checked_at`); otherwise it rebuilds and records 'built'. A run tagged
`keepitlocal/full_rebuild=true` (`keepitlocal run --full-rebuild`) rebuilds every stage whatever its signature.

Comparing signatures errs towards rebuilding: anything unrecognised (a missing table, a changed column type, an
edited source file, a new library version) changes the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import sqlfiles

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FULL_REBUILD_TAG = "keepitlocal/full_rebuild"
# files a stage's code is made of (besides .py, .sql)
_CODE_SUFFIXES = {".py", ".sql", ".csv", ".txt", ".json", ".parquet", ".md", ""}


def wants_full_rebuild(tags: Mapping[str, str] | None) -> bool:
    """Whether a run's tags ask every derived stage to rebuild whatever its signature."""
    return str((tags or {}).get(FULL_REBUILD_TAG, "")).strip().lower() in ("1", "true", "yes")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------- signatures


def digest(parts: object) -> str:
    """A stable hash of JSON-able parts (dict keys sorted; dates and other values as text)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def table_signature(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """'absent', or the table's columns (name and type, in order) and its content hash ('rows:hash')."""
    schema, name = table.split(".", 1)
    columns = sqlfiles.execute(con, "stage_state/table_columns", {"schema": schema, "table": name}).fetchall()
    if not columns:
        return "absent"
    content = sqlfiles.execute(con, "core/table_content_hash", {"table": table}).fetchall()[0][0]
    return digest([[c, t] for c, t in columns]) + ":" + content


def tables_signature(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> dict[str, str]:
    return {table: table_signature(con, table) for table in sorted(set(tables))}


def resolve_code_path(path: str | Path) -> Path:
    """A stage's code path as written in the repository (`pipelines/...`, `sql/...`), where it is installed:
    `sql/` is wherever `pipelines.sqlfiles` reads the SQL from (a wheel carries it as pipelines/_sql)."""
    parts = Path(path).parts
    if parts and parts[0] == "sql":
        return sqlfiles.SQL_DIR.joinpath(*parts[1:])
    return PROJECT_ROOT / path


def _files(paths: Iterable[str | Path]) -> list[Path]:
    """The code files under `paths` (files or directories, see `resolve_code_path`). A path that does not exist
    is an error: a signature that silently left code out could skip a stage whose code changed."""
    files: list[Path] = []
    for path in paths:
        resolved = resolve_code_path(path)
        if resolved.is_dir():
            files += [p for p in resolved.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES
                      and "__pycache__" not in p.parts]
        elif resolved.is_file():
            files.append(resolved)
        else:
            raise FileNotFoundError(f"stage code path {path} not found (looked at {resolved})")
    return sorted(set(files))


def code_signature(*paths: str | Path) -> str:
    """A hash of the files under `paths` (files or directories, see `resolve_code_path`), their names included,
    plus the versions of the libraries that compute the stages."""
    import polars

    sha = hashlib.sha256()
    for file in _files(paths):
        name = file.relative_to(PROJECT_ROOT) if file.is_relative_to(PROJECT_ROOT) else file
        sha.update(name.as_posix().encode() + b"\0")
        sha.update(file.read_bytes())
        sha.update(b"\0")
    sha.update(f"duckdb {duckdb.__version__} polars {polars.__version__}".encode())
    return sha.hexdigest()


# schema-qualified table names as the project's SQL and Python spell them
_TABLE_NAME = re.compile(r"\b(raw|staging|reference|core|marts|meta)\.([a-z_][a-z0-9_]*)\b")


def tables_named(*paths: str | Path) -> set[str]:
    """Every `schema.table` the SQL and Python files under `paths` name: the tables a stage made of those files
    can read. Read from the code itself, so a query that starts reading a new table is covered the day it is
    written. (Words that only look like table names, e.g. a Polars `raw.str`, name no table: harmless.)"""
    names: set[str] = set()
    for file in _files(paths):
        if file.suffix in (".py", ".sql"):
            names |= tables_in_text(file.read_text(encoding="utf-8"))
    return names


def tables_in_text(text: str) -> set[str]:
    """The `schema.table` names one SQL statement (or source file) names."""
    return {f"{schema}.{table}" for schema, table in _TABLE_NAME.findall(text)}


# ---------------------------------------------------------------------------------------------- the record


@dataclass(frozen=True)
class StageBuild:
    stage: str
    input_signature: str
    output_signature: str | None
    built_at: dt.datetime
    checked_at: dt.datetime
    run_id: str | None
    status: str                     # built | unchanged: what the latest run that reached the stage did
    result: dict = field(default_factory=dict)


def last_build(con: duckdb.DuckDBPyConnection, stage: str) -> StageBuild | None:
    rows = sqlfiles.execute(con, "stage_state/select_stage", {"stage": stage}).fetchall()
    if not rows:
        return None
    stage, inputs, outputs, built_at, checked_at, run_id, status, result = rows[0]
    return StageBuild(stage, inputs, outputs, built_at, checked_at, run_id, status, json.loads(result or "{}"))


def unchanged(con: duckdb.DuckDBPyConnection, stage: str, input_signature: str,
              outputs: Iterable[str] = (), *, force: bool = False) -> StageBuild | None:
    """The stage's last build when it was built from `input_signature` and its `outputs` (tables) still hold
    what it wrote, so it need not run again; None when it must run (or `force`)."""
    if force:
        return None
    last = last_build(con, stage)
    if last is None or last.input_signature != input_signature:
        return None
    if last.output_signature != output_signature(con, outputs):
        return None
    return last


def output_signature(con: duckdb.DuckDBPyConnection, outputs: Iterable[str]) -> str:
    return digest(tables_signature(con, outputs))


def record_built(con: duckdb.DuckDBPyConnection, stage: str, input_signature: str, outputs: Iterable[str] = (), *,
                 result: dict | None = None, run_id: str | None = None, now: dt.datetime | None = None) -> None:
    """Record that `stage` was just built from `input_signature` (with the hash of its `outputs` as written)."""
    now = now or now_utc()
    sqlfiles.execute(con, "stage_state/delete_stage", {"stage": stage})
    sqlfiles.execute(con, "stage_state/insert_stage", {
        "stage": stage, "input_signature": input_signature, "output_signature": output_signature(con, outputs),
        "built_at": now, "checked_at": now, "run_id": run_id, "status": "built",
        "result": json.dumps(result or {}, sort_keys=True, default=str)})


def record_unchanged(con: duckdb.DuckDBPyConnection, stage: str, *, run_id: str | None = None,
                     now: dt.datetime | None = None) -> None:
    """Record that this run found `stage`'s inputs unchanged (its build stays; checked_at advances)."""
    sqlfiles.execute(con, "stage_state/mark_unchanged", {"stage": stage, "run_id": run_id,
                                                         "checked_at": now or now_utc()})


def run_statuses(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """{stage: built | unchanged} for the stages the run `run_id` reached (empty before the first record)."""
    return dict(sqlfiles.execute(con, "stage_state/run_statuses", {"run_id": run_id}).fetchall())
