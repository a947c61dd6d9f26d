"""The published warehouse opens in the tools analysts install: the DuckDB CLI from `pip install duckdb-cli`
(1.5.x, a dev extra, so `.venv/bin/duckdb`) and the project's own Python client; and a reader in the publishing
process sees the new file, not DuckDB's cached instance of the old one."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.marts.checks import blocking_checks
from pipelines.published import PUBLISHED_STORAGE_VERSION, connect_published, storage_version
from tests.test_publish import TOTAL_SQL, _add_bristol_payment_and_rebuild
from tests.test_marts_seed import build_seeded

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


@pytest.fixture()
def published(warehouse):
    with warehouse.connect() as con:
        build_seeded(con)
    warehouse.publish("run-1", blocking_checks)
    return warehouse


def _cli(*args: str) -> subprocess.CompletedProcess:
    if not DUCKDB_CLI.exists():
        pytest.fail(f"{DUCKDB_CLI} is missing: the dev extra installs duckdb-cli (make test does)")
    return subprocess.run([str(DUCKDB_CLI), *args], capture_output=True, text=True, timeout=120, check=False)


def test_published_file_opens_in_the_pip_duckdb_cli(published):
    version = _cli("--version")
    assert version.stdout.startswith("v1."), f"the CLI under test is {version.stdout!r}, not a 1.x release"
    path = str(published.published_path)
    result = _cli("-readonly", "-csv", "-noheader", path, "-c", TOTAL_SQL)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(path, read_only=True)
    try:
        expected = con.execute(TOTAL_SQL).fetchone()[0]
    finally:
        con.close()
    assert Decimal(result.stdout.strip()) == expected > 0
    # every table the Python client sees, the CLI sees too
    tables = _cli("-readonly", "-csv", "-noheader", path, "-c",
                  "select count(*) from duckdb_tables() where database_name = current_database()")
    with connect_published(path) as con:
        python_tables = con.execute("select count(*) from duckdb_tables() where database_name = 'kil'").fetchone()[0]
    assert int(tables.stdout.strip()) == python_tables > 10
    assert storage_version(path).startswith(PUBLISHED_STORAGE_VERSION)
    # a new working file is already in the readers' format, so publishing was a byte copy
    assert storage_version(published.work_path).startswith(PUBLISHED_STORAGE_VERSION)


def test_a_reader_in_the_publishing_process_sees_the_new_publish(published):
    path = published.published_path
    held = duckdb.connect(str(path), read_only=True)  # e.g. a notebook that keeps its connection
    try:
        before = held.execute(TOTAL_SQL).fetchone()[0]
        _add_bristol_payment_and_rebuild(published, "1234.56")
        published.publish("run-2", blocking_checks)
        # DuckDB's per-process instance cache: a plain connect returns the held, pre-publish instance ...
        cached = duckdb.connect(str(path), read_only=True)
        try:
            assert cached.execute(TOTAL_SQL).fetchone()[0] == before
        finally:
            cached.close()
        # ... connect_published attaches the file now at the path
        fresh = connect_published(path)
        try:
            assert fresh.execute(TOTAL_SQL).fetchone()[0] == before + Decimal("1234.56")
        finally:
            fresh.close()
        assert held.execute(TOTAL_SQL).fetchone()[0] == before, "the held connection keeps its snapshot"
    finally:
        held.close()
    assert storage_version(path).startswith(PUBLISHED_STORAGE_VERSION), "the checks on the copy kept its format"


def test_a_working_file_in_a_newer_format_is_published_in_the_readers_format(warehouse):
    """A working file made by DuckDB 2's default (format v2.0.0) is copied logically into v1.4.0."""
    warehouse.work_path.parent.mkdir(parents=True)
    duckdb.connect(str(warehouse.work_path)).close()  # created with DuckDB's own default format
    assert not storage_version(warehouse.work_path).startswith(PUBLISHED_STORAGE_VERSION)
    with warehouse.connect() as con:
        build_seeded(con)
    warehouse.publish("run-1", blocking_checks)
    assert storage_version(warehouse.published_path).startswith(PUBLISHED_STORAGE_VERSION)
    result = _cli("-readonly", "-csv", "-noheader", str(warehouse.published_path), "-c", TOTAL_SQL)
    assert result.returncode == 0 and Decimal(result.stdout.strip()) > 0, result.stderr
