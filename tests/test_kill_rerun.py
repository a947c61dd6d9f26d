"""Kill the nightly run hard (SIGKILL) during fetch, parse, load and publish, re-run it against the same
loopback server (same port, so council files answer 304), and compare the published warehouse with an
uninterrupted run's: every core and mart table has the same row count and content hash.

The runs are real `keepitlocal run` processes with a persistent Dagster instance (DAGSTER_HOME), so a killed
run leaves its `warehouse_writer` pool slot behind exactly as in production; the re-run must free it and
finish (a hang fails the test by timeout).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import date, timedelta
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.demo import demo_limits
from pipelines.sample import generate, sources_config
from pipelines.sample.server import SampleServer
from pipelines.warehouse import PUBLISHED_NAME

PROJECT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 900  # far above a normal run: reaching it means a run hung


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    generate(root / "world")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    limits = demo_limits()
    with SampleServer(root / "world", limits) as server:
        sources = root / "sources.json"
        config = sources_config(root / "world", server.base_url, limits=limits)
        # notices from the last 45 days only: the same for every run compared, and minutes shorter
        recent = (date.fromisoformat(config.as_of) - timedelta(days=45)).isoformat()
        replace(config, contracts_finder_start=recent, find_a_tender_start=recent).dump(sources)
        env = {**os.environ, "DAGSTER_HOME": str(home), "KEEPITLOCAL_PROGRESS": "0"}
        yield {"root": root, "sources": sources, "env": env, "server": server, "peaks_kib": []}


def _peak_kib(pid: int) -> int:
    """The process's own high-water RSS (VmHWM). Not wait4/RUSAGE_CHILDREN: Linux folds the forked pytest
    image's size into those, so they would measure the test runner, not the run."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):  # already gone
        return 0


def _run(setup, warehouse: Path, *harness: str) -> subprocess.CompletedProcess:
    """One `keepitlocal run` (or the harness that kills it at a point); its peak RSS, sampled while it runs (a
    killed process cannot report it), is appended to setup["peaks_kib"]."""
    command = [sys.executable, "-m", "tests.kill_harness", *harness] if harness else [
        sys.executable, "-m", "pipelines.cli"]
    command += ["run", "--warehouse", str(warehouse), "--sources", str(setup["sources"])]
    proc = subprocess.Popen(command, cwd=PROJECT, env=setup["env"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def watch():
        while not done.wait(0.1):
            peak[0] = max(peak[0], _peak_kib(proc.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        done.set()
        watcher.join()
    setup["peaks_kib"].append(peak[0])
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def snapshot(published: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-independent content hash) of every core and mart table; timestamps (load and fetch
    times, which differ between any two runs) are left out of the hash. A table that keeps one snapshot per
    run (`run_at`, e.g. core.supplier_coverage) is compared on its latest run: a killed run that got that far
    did run, and its history row is rightly kept."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_schema in ('core', 'marts') and table_type = 'BASE TABLE' "
                             "order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            described = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            columns = ", ".join(f'"{c}"' for c, t in described if "TIMESTAMP" not in t.upper())
            latest = (f' where run_at = (select max(run_at) from "{schema}"."{table}")'
                      if any(c == "run_at" for c, _ in described) else "")
            row = con.execute(f'select count(*), coalesce(sum(hash({columns})::hugeint), 0) '
                              f'from "{schema}"."{table}"{latest}').fetchone()
            out[f"{schema}.{table}"] = (row[0], int(row[1]))
        return out
    finally:
        con.close()


def test_kill_during_fetch_parse_load_and_publish_then_rerun_equals_an_uninterrupted_run(setup):
    root = setup["root"]
    clean = _run(setup, root / "uninterrupted")
    assert clean.returncode == 0, clean.stderr[-3000:]

    killed = root / "killed"
    for point, n in (("fetch", 4), ("parse", 3), ("load", 3), ("publish", 1)):
        crash = _run(setup, killed, point, str(n))
        assert crash.returncode == -signal.SIGKILL, (point, crash.returncode, crash.stderr[-3000:])
    rerun = _run(setup, killed)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    # the killed runs' pool slots were given back, and said so
    assert "freed the warehouse_writer pool slot" in rerun.stderr

    # every run (killed or not) stayed far below the 2 GB the issue allows a process
    assert 0 < max(setup["peaks_kib"]) < 2 * 1024 ** 2, setup["peaks_kib"]  # KiB

    expected, got = snapshot(root / "uninterrupted" / PUBLISHED_NAME), snapshot(killed / PUBLISHED_NAME)
    assert expected and set(got) == set(expected)
    assert {t: v for t, v in got.items() if v != expected[t]} == {}
    assert sum(rows for rows, _ in expected.values()) > 0
