"""Publishing by swap: analysts' read-only connections keep a consistent snapshot across a publish, new readers see
the new data, and a publish that fails or is killed half-way leaves the published file untouched and openable.

DuckDB lets one process hold a file read-write or many processes read-only, and caches one database instance per
path inside a process; so every reader here is its own process, as an analyst's would be.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.marts.build import build_core, build_marts
from pipelines.marts.checks import blocking_checks
from pipelines.warehouse import PublishBlocked, Warehouse
from tests.test_marts_seed import BRISTOL, COUNCILS, build_seeded

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOTAL_SQL = "select sum(total_spend) from marts.keep_it_local_scorecard where period_grain = 'year'"


def _python(code: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _read_total(path: Path) -> Decimal:
    proc = _python(f"""
        import duckdb
        con = duckdb.connect({str(path)!r}, read_only=True)
        print(con.execute({TOTAL_SQL!r}).fetchall()[0][0])
    """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return Decimal(out.strip())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def published(warehouse):
    with warehouse.connect() as con:
        build_seeded(con)
    warehouse.publish("run-1", blocking_checks)
    return warehouse


def _add_bristol_payment_and_rebuild(warehouse: Warehouse, amount: str) -> None:
    with warehouse.connect() as con:
        con.execute("""insert into staging.spend_lines (council_gss, publication_id, period_key, row_number, payment_date,
                           amount, supplier_name, department, expense_type, source_sha256, row_fingerprint, is_current)
                       select council_gss, publication_id, period_key, 99, period_start + 3, cast($amount as decimal(18,2)),
                           'Avon Cleaning Co Ltd', 'Facilities Management', 'Facilities Cleaning Services', publication_id,
                           md5(publication_id || 'extra'), true
                       from staging.spend_publications where council_gss = $g and period_key = '2024-06'""",
                    {"amount": amount, "g": BRISTOL})
        # as a re-load of the file would: the publication's parsed count and total include the new line
        con.execute("""update staging.spend_publications set rows = rows + 1, net_total = net_total + cast($amount as decimal(18,2)),
                       loaded_at = now() where council_gss = $g and period_key = '2024-06'""", {"amount": amount, "g": BRISTOL})
        build_core(con, COUNCILS)
        build_marts(con, {"as_of": dt.date(2025, 1, 1)})


def test_published_file_opens_read_only_in_another_process(published):
    assert _read_total(published.published_path) > 0
    proc = _python(f"""
        import duckdb
        con = duckdb.connect({str(published.published_path)!r}, read_only=True)
        try:
            con.execute("create table marts.x (a int)")
        except duckdb.Error as exc:
            print(type(exc).__name__)
    """)
    out, err = proc.communicate(timeout=60)
    assert "InvalidInputException" in out or "Error" in out, (out, err)


def test_open_reader_keeps_its_snapshot_while_a_new_reader_sees_the_new_data(published):
    before = _read_total(published.published_path)
    reader = _python(f"""
        import sys, duckdb
        con = duckdb.connect({str(published.published_path)!r}, read_only=True)
        print(con.execute({TOTAL_SQL!r}).fetchall()[0][0], flush=True)
        sys.stdin.readline()   # the parent publishes meanwhile
        print(con.execute({TOTAL_SQL!r}).fetchall()[0][0], flush=True)
        print(con.execute("select count(*) from core.fact_payment").fetchall()[0][0], flush=True)
    """)
    try:
        assert Decimal(reader.stdout.readline().strip()) == before
        _add_bristol_payment_and_rebuild(published, "1234.56")
        published.publish("run-2", blocking_checks)
        reader.stdin.write("go\n")
        reader.stdin.flush()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    held_total, held_rows = out.split()
    assert Decimal(held_total) == before                         # the old, consistent snapshot
    assert _read_total(published.published_path) == before + Decimal("1234.56")  # a new reader sees the new file
    assert int(held_rows) > 0


def test_a_check_that_raises_leaves_the_published_file_untouched(published):
    sha = _sha(published.published_path)
    _add_bristol_payment_and_rebuild(published, "500.00")

    def exploding_checks(con):
        raise RuntimeError("check crashed")

    with pytest.raises(RuntimeError, match="check crashed"):
        published.publish("run-2", exploding_checks)
    assert _sha(published.published_path) == sha
    assert list(published.build_dir.glob("*.duckdb")) == []


def test_failing_blocking_checks_block_the_publish(published):
    sha = _sha(published.published_path)
    with published.connect() as con:
        con.execute("delete from core.fact_payment where payment_key = (select min(payment_key) from core.fact_payment)")
    with pytest.raises(PublishBlocked) as blocked:
        published.publish("run-2", blocking_checks)
    assert any(f.startswith("facts_reconcile_with_staging") for f in blocked.value.failures)
    assert _sha(published.published_path) == sha


def test_a_publish_killed_half_way_leaves_the_published_file_openable(published, tmp_path):
    before = _read_total(published.published_path)
    sha = _sha(published.published_path)
    _add_bristol_payment_and_rebuild(published, "777.00")
    marker = tmp_path / "checks-running"
    proc = _python(f"""
        import time
        from pathlib import Path
        from pipelines.warehouse import Warehouse

        def slow_checks(con):
            con.execute("create table meta.half_way as select 1 as x")   # the build copy is being written
            Path({str(marker)!r}).write_text("running")
            time.sleep(120)
            return []

        Warehouse(Path({str(published.root)!r})).publish("run-killed", slow_checks)
    """)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert _sha(published.published_path) == sha
    assert _read_total(published.published_path) == before
    assert (published.build_dir / "run-killed.duckdb").exists()  # the killed publish left its copy behind
    # the next publish recovers, replaces the file and clears the dead copy
    published.publish("run-3", blocking_checks)
    assert _read_total(published.published_path) == before + Decimal("777.00")
    assert list(published.build_dir.iterdir()) == []


def test_a_release_with_a_publication_held_back_publishes_and_says_so(published, capsys):
    from pipelines.runs import record_run
    from pipelines.summary import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, print_summary, run_outcome

    def stamp(run_id):
        return lambda con: record_run(con, run_id, started_at=dt.datetime(2025, 1, 1, 2), finished_at=dt.datetime(2025, 1, 1, 3),
                                      status="published")

    published.publish("run-2", blocking_checks, stamp=stamp("run-2"))
    assert run_outcome(published.root, "run-2", True)["exit_code"] == EXIT_OK
    assert run_outcome(published.root, "run-x", True)["exit_code"] == EXIT_FAILED  # not published by that run
    before = _read_total(published.published_path)
    with published.connect() as con:  # one Bristol month's amounts all failed to parse
        pub = con.execute("""select publication_id, net_total from staging.spend_publications
                             where council_gss = $g and period_key = '2024-06'""", {"g": BRISTOL}).fetchone()
        con.execute("update staging.spend_lines set amount = null where publication_id = $p", {"p": pub[0]})
        con.execute("""insert into staging.spend_lines (council_gss, publication_id, period_key, row_number, source_sha256)
                       select $g, $p, '2024-06', 100 + i, $p from range(5) as t(i)""", {"g": BRISTOL, "p": pub[0]})
        con.execute("update staging.spend_publications set rows = rows + 5, net_total = null where publication_id = $p",
                    {"p": pub[0]})
        build_core(con, COUNCILS)
        build_marts(con, {"as_of": dt.date(2025, 1, 1)})
    published.publish("run-3", blocking_checks, stamp=stamp("run-3"))
    assert _read_total(published.published_path) == before - pub[1]   # everything but the held-back month
    outcome = run_outcome(published.root, "run-3", True)
    assert outcome["exit_code"] == EXIT_PARTIAL and [h["period_key"] for h in outcome["held_back"]] == ["2024-06"]
    print_summary(published.root, run_id="run-3", success=True)
    out = capsys.readouterr().out
    assert "Held back from this release (1 publication(s)" in out and "cast_nulls_under_threshold" in out
    assert "(exit 4)" in out


def test_writer_connections_run_the_ddl_only_when_it_changed(tmp_path, monkeypatch):
    """The DDL's fingerprint is recorded once every file ran; a writer connection that finds it skips the DDL,
    and a file brought up to other DDL (an older version) runs all of it again."""
    from pipelines import sqlfiles, warehouse as warehouse_module

    runs = []
    real_files = sqlfiles.ddl_files

    def counted_files():
        runs.append(1)
        return real_files()

    wh = Warehouse(tmp_path / "wh")
    with wh.connect() as con:
        fingerprint = con.execute("select fingerprint from meta.ddl_state").fetchall()
    assert fingerprint == [(warehouse_module._ddl_fingerprint(),)]
    monkeypatch.setattr(sqlfiles, "ddl_files", counted_files)
    with wh.connect() as con:
        con.execute("update meta.ddl_state set fingerprint = 'older ddl'")
        con.execute("drop table staging.quarantine")
    assert runs == []  # the recorded fingerprint matched: no DDL ran
    with wh.connect() as con:  # the recorded DDL differs: every file runs again, the table is back
        assert con.execute("select count(*) from staging.quarantine").fetchone() == (0,)
        assert con.execute("select fingerprint from meta.ddl_state").fetchall() == fingerprint
    assert runs == [1]


def test_connections_are_bounded_and_leave_no_write_ahead_log(tmp_path, monkeypatch):
    """Every connection gets the configured bounds (field, else environment, else default); the larger
    write-ahead log a load may build up is written into the file when the connection closes, so a closed
    working file is complete on its own (publishing copies its bytes)."""
    monkeypatch.delenv("KEEPITLOCAL_DUCKDB_CHECKPOINT_THRESHOLD", raising=False)
    monkeypatch.setenv("KEEPITLOCAL_DUCKDB_MEMORY_LIMIT", "1GB")

    def settings(warehouse: Warehouse) -> tuple:
        with warehouse.connect() as con:
            return con.execute("select current_setting('checkpoint_threshold'), current_setting('memory_limit'), "
                               "current_setting('threads')").fetchone()

    # DuckDB reports sizes in MiB: 256 MB = 244.1 MiB, 1 GB = 953.6 MiB, 64 MB = 61.0 MiB
    assert settings(Warehouse(tmp_path / "a")) == ("244.1 MiB", "953.6 MiB", 2)
    monkeypatch.setenv("KEEPITLOCAL_DUCKDB_CHECKPOINT_THRESHOLD", "64MB")
    assert settings(Warehouse(tmp_path / "b")) == ("61.0 MiB", "953.6 MiB", 2)
    assert settings(Warehouse(tmp_path / "c", checkpoint_threshold="1GB", threads=1)) == ("953.6 MiB", "953.6 MiB", 1)

    warehouse = Warehouse(tmp_path / "d")
    with warehouse.connect() as con:
        con.execute("create table t as select range as i, md5(range::varchar) as h from range(200000)")
        assert Path(f"{warehouse.work_path}.wal").exists()  # under the threshold: still in the log
    assert not Path(f"{warehouse.work_path}.wal").exists()
    with duckdb.connect(str(warehouse.work_path), read_only=True) as reader:
        assert reader.execute("select count(*) from t").fetchone()[0] == 200000
