"""The production instance option: Dagster's run, event-log and schedule storage in a real PostgreSQL server.

The deployment is laid out as it is on separate hosts, here on loopback: a throw-away PostgreSQL server (Debian's
binaries, `scripts/setup_postgres.sh`, run by `make test`; initdb into a temporary folder, password login on
127.0.0.1 only), a code server (`dagster code-server start`), `dagster-daemon run` and `dagster-webserver`, all
configured only by the committed `deploy/dagster.postgres.yaml` and `deploy/workspace.yaml` and the environment
variables they name, and started with the commands the README gives.

The nightly schedule's 02:00 tick is evaluated by the daemon's own scheduler code with the clock set just past the
next 02:00 (nobody waits for the night); the tick queues a nightly run in Postgres; the real daemon process dequeues
it and launches it through the code server; the run fetches the sample world over loopback HTTP, writes every
event to Postgres, keeps warehouse writers single through the `warehouse_writer` pool, and publishes; the
webserver, another process, serves the same run from Postgres.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from pipelines.demo import demo_limits
from pipelines.sample import generate, sources_config
from pipelines.sample.server import SampleServer
from pipelines.warehouse import Warehouse
from tests.conftest import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
LOCATION_NAME = "keepitlocal"
RUN_TIMEOUT_S = 900
SETUP_HINT = "run `bash scripts/setup_postgres.sh` (make test does) to install Debian's PostgreSQL server"


# --- a throw-away PostgreSQL server ---------------------------------------------------------------------------------

def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail(f"no /usr/lib/postgresql/<version>/bin/initdb: {SETUP_HINT}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl in a temporary folder, listening on 127.0.0.1 only, with a password-protected role.

    PostgreSQL refuses to run as root, so under root (CI) the server runs as Debian's `postgres` system user.
    """

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = _free_port()
        self.username = "keepitlocal"
        self.password = secrets.token_urlsafe(16)
        self.db_name = "dagster"
        self.dir = Path(tempfile.mkdtemp(prefix="keepitlocal-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres", group="postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stdout}{result.stderr}{log}")
        return result

    def start(self) -> None:
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_user:
            shutil.chown(pwfile, user="postgres", group="postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.username, f"--pwfile={pwfile}",
                  "--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        # Loopback only; the unix socket stays in the temporary folder. fsync is off: this server is thrown away.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.username, password=self.password,
                               dbname="postgres")
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'create database "{self.db_name}"')
        finally:
            con.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.postgres.yaml reads."""
        return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_DB": self.db_name,
                "DAGSTER_PG_USERNAME": self.username, "DAGSTER_PG_PASSWORD": self.password}


# --- the deployment: Postgres, code server and daemon as separate processes -----------------------------------------

def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited ({process.returncode}): {log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port} after {timeout_s} s: {log.read_text(errors='replace')[-3000:]}")


def _start(args: list[str], *, cwd: Path, env: dict, log) -> subprocess.Popen:
    """A server process in its own process group, so that stopping it also stops what it started (the code
    server's gRPC child, run workers and their step processes)."""
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    try:
        import dagster_postgres  # noqa: F401
    except ImportError:
        pytest.fail("dagster-postgres is not installed: pip install -e '.[dev,postgres]' (make test does)")
    root = tmp_path_factory.mktemp("pg")
    server = PostgresServer()
    processes: list[subprocess.Popen] = []
    with contextlib.ExitStack() as stack:
        stack.callback(server.stop)
        server.start()
        home = root / "dagster_home"
        home.mkdir()
        shutil.copy(DEPLOY / "dagster.postgres.yaml", home / "dagster.yaml")
        truth = generate(root / "world")
        limits = demo_limits()
        sample = stack.enter_context(SampleServer(root / "world", limits))
        sources_path = root / "sources.json"
        sources_config(root / "world", sample.base_url, limits=limits).dump(sources_path)
        code_port = _free_port()
        env = {**os.environ, **server.env(), "DAGSTER_HOME": str(home),
               "KEEPITLOCAL_CODE_SERVER_HOST": "127.0.0.1", "KEEPITLOCAL_CODE_SERVER_PORT": str(code_port),
               # what the schedule's runs read (resources.py): the nightly schedule carries no run config
               "KEEPITLOCAL_WAREHOUSE": str(root / "warehouse"), "KEEPITLOCAL_SOURCES": str(sources_path)}
        monkeypatch = stack.enter_context(pytest.MonkeyPatch.context())
        for key in ("DAGSTER_HOME", "KEEPITLOCAL_CODE_SERVER_HOST", "KEEPITLOCAL_CODE_SERVER_PORT", *server.env()):
            monkeypatch.setenv(key, env[key])
        stack.callback(lambda: [_stop(p) for p in reversed(processes)])

        code_log = root / "code_server.log"
        processes.append(_start(
            [_bin("dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
             "-m", "pipelines.definitions", "--location-name", LOCATION_NAME],
            cwd=PROJECT_ROOT, env=env, log=stack.enter_context(code_log.open("wb"))))
        _wait_for_port(code_port, processes[-1], code_log)

        # the operator's command (README), against the code server and the Postgres instance
        started = subprocess.run([_bin("dagster"), "schedule", "start", "nightly_schedule", "-w",
                                  str(DEPLOY / "workspace.yaml")], cwd=root, env=env, capture_output=True,
                                 text=True, timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        tick = _evaluate_next_nightly_tick(instance, DEPLOY / "workspace.yaml")

        daemon_log = root / "daemon.log"
        processes.append(_start([_bin("dagster-daemon"), "run", "-w", str(DEPLOY / "workspace.yaml")],
                                cwd=root, env=env, log=stack.enter_context(daemon_log.open("wb"))))
        daemon = processes[-1]
        web_port, web_log = _free_port(), root / "webserver.log"
        processes.append(_start([_bin("dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port), "-w",
                                 str(DEPLOY / "workspace.yaml")],
                                cwd=root, env=env, log=stack.enter_context(web_log.open("wb"))))
        run = _wait_for_run(instance, tick["run_id"], daemon, daemon_log)
        _wait_for_port(web_port, processes[-1], web_log)
        yield {"server": server, "instance": instance, "tick": tick, "run": run, "truth": truth,
               "warehouse": Warehouse(root / "warehouse"), "webserver": f"http://127.0.0.1:{web_port}"}


def _evaluate_next_nightly_tick(instance: dg.DagsterInstance, workspace_yaml: Path) -> dict:
    """Run the daemon's scheduler once, with its clock just past the next 02:00, over the (started) schedule."""
    from dagster._core.scheduler.instigation import TickStatus
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._scheduler.scheduler import launch_scheduled_runs

    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace_yaml)])) as context:
        location = context.create_request_context().get_code_location(LOCATION_NAME)
        (repository,) = location.get_repositories().values()
        schedule = repository.get_schedule("nightly_schedule")
        state = instance.get_instigator_state(schedule.get_remote_origin_id(), schedule.selector_id)
        assert state is not None and state.is_running, state
        next_tick = next(schedule.execution_time_iterator(time.time()))
        clock = datetime.fromtimestamp(next_tick.timestamp(), tz=timezone.utc) + timedelta(seconds=30)
        for _ in launch_scheduled_runs(context, logging.getLogger("scheduler"), end_datetime_utc=clock,
                                       iteration_times={}):
            pass
        ticks = instance.get_ticks(schedule.get_remote_origin_id(), schedule.selector_id)
    assert len(ticks) == 1, ticks
    (tick,) = ticks
    assert tick.status == TickStatus.SUCCESS, tick.error
    assert len(tick.run_ids) == 1, tick.run_ids
    return {"status": tick.status, "run_id": tick.run_ids[0], "timestamp": tick.timestamp,
            "scheduled_for": next_tick, "origin_id": schedule.get_remote_origin_id(),
            "selector_id": schedule.selector_id}


def _wait_for_run(instance: dg.DagsterInstance, run_id: str, daemon: subprocess.Popen, log: Path) -> dg.DagsterRun:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited ({daemon.returncode}): {log.read_text(errors='replace')[-3000:]}")
        time.sleep(1)
    last = [f"{e.dagster_event.event_type_value if e.dagster_event else 'log'} {e.step_key or ''}: {e.message}"[:300]
            for e in list(instance.all_logs(run_id))[-8:]]
    raise RuntimeError(f"run {run_id} not finished after {RUN_TIMEOUT_S} s; its last events:\n" + "\n".join(last)
                       + f"\ndaemon log: {log.read_text(errors='replace')[-2000:]}")


# --- the checks -----------------------------------------------------------------------------------------------------

def test_instance_storage_is_postgres(deployment):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    instance = deployment["instance"]
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_schedule_tick_queued_a_nightly_run(deployment):
    tick, run = deployment["tick"], deployment["run"]
    assert run.job_name == "nightly"
    assert run.tags.get("dagster/schedule_name") == "nightly_schedule"
    scheduled = tick["scheduled_for"]
    assert scheduled.astimezone(ZoneInfo("Europe/London")).hour == 2
    from dagster._core.storage.tags import SCHEDULED_EXECUTION_TIME_TAG

    assert datetime.fromisoformat(run.tags[SCHEDULED_EXECUTION_TIME_TAG]) == scheduled


def test_daemon_launched_the_run_and_it_succeeded(deployment):
    run, instance = deployment["run"], deployment["instance"]
    assert run.status == dg.DagsterRunStatus.SUCCESS, _run_failure(instance, run.run_id)
    events = [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event]
    # queued by the tick, dequeued and launched by the daemon's run coordinator, then run by a worker process
    for expected in ("PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START",
                     "PIPELINE_SUCCESS"):
        assert expected in events, (expected, sorted(set(events)))
    heartbeats = instance.get_daemon_heartbeats()
    assert {"SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= set(heartbeats), set(heartbeats)


def _run_failure(instance: dg.DagsterInstance, run_id: str) -> str:
    return "\n".join(str(e.message) for e in instance.all_logs(run_id)
                     if e.dagster_event and e.dagster_event.is_failure)[-3000:]


def test_webserver_in_its_own_process_shows_the_run(deployment):
    """The UI's server, started with the documented command, reads the same run from Postgres."""
    import requests

    run_id = deployment["run"].run_id
    query = "query ($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status jobName } } }"
    response = requests.post(f"{deployment['webserver']}/graphql", json={"query": query,
                             "variables": {"runId": run_id}}, timeout=120)
    response.raise_for_status()
    assert response.json()["data"]["runOrError"] == {"__typename": "Run", "status": "SUCCESS", "jobName": "nightly"}


def test_every_nightly_asset_materialisation_is_in_postgres(deployment):
    from pipelines.definitions import defs

    instance, run = deployment["instance"], deployment["run"]
    expected = set(defs().resolve_job_def("nightly").asset_layer.executable_asset_keys)
    materialised = {r.event_log_entry.dagster_event.asset_key for r in instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records}
    assert expected <= materialised, expected - materialised
    # and straight from the database, not through Dagster's reader
    import psycopg2

    server = deployment["server"]
    with contextlib.closing(psycopg2.connect(host="127.0.0.1", port=server.port, user=server.username,
                                             password=server.password, dbname=server.db_name)) as con:
        with con.cursor() as cur:
            cur.execute("select count(*) from event_logs where run_id = %s and dagster_event_type = %s",
                        (run.run_id, "ASSET_MATERIALIZATION"))
            assert cur.fetchone()[0] >= len(expected)
            cur.execute("select status from runs where run_id = %s", (run.run_id,))
            assert cur.fetchone() == ("SUCCESS",)
            cur.execute("select status from job_ticks where selector_id = %s", (deployment["tick"]["selector_id"],))
            assert cur.fetchall() == [("SUCCESS",)]


def test_warehouse_writers_never_overlapped(deployment):
    """The `warehouse_writer` pool (one slot, dagster.yaml) is enforced through Postgres: no two writers at once."""
    from pipelines.definitions import defs

    instance, run = deployment["instance"], deployment["run"]
    job = defs().resolve_job_def("nightly")
    writers = {node.name for node in job.graph.nodes if getattr(node.definition, "pool", None) == "warehouse_writer"}
    spans: dict[str, list[float]] = {}
    for record in instance.all_logs(run.run_id, of_type={dg.DagsterEventType.STEP_START,
                                                         dg.DagsterEventType.STEP_SUCCESS}):
        step = record.step_key
        if step in writers:
            spans.setdefault(step, []).append(record.timestamp)
    assert set(spans) == writers and all(len(s) == 2 for s in spans.values()), spans
    ordered = sorted(spans.values())
    for (_, end), (start, _) in zip(ordered, ordered[1:]):
        assert start >= end, ordered
    info = instance.event_log_storage.get_concurrency_info("warehouse_writer")
    assert info.slot_count == 1 and info.claimed_slots == [] and info.pending_steps == []


def test_published_warehouse_has_every_sample_council(deployment):
    published = deployment["warehouse"].published_path
    assert published.exists()
    with duckdb.connect(str(published), read_only=True) as con:
        councils = {r[0] for r in con.execute(
            "select distinct council_gss from staging.spend_lines where is_current").fetchall()}
        runs = con.execute("select count(*) from meta.runs where run_id = $run_id",
                           {"run_id": deployment["run"].run_id}).fetchone()[0]
    assert councils == {c["gss"] for c in deployment["truth"]["councils"]}
    assert runs == 1


def test_postgres_variant_differs_from_dagster_yaml_only_in_storage():
    """deploy/dagster.postgres.yaml repeats the committed dagster.yaml: keep them from drifting apart."""
    import yaml

    base = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    variant = yaml.safe_load((DEPLOY / "dagster.postgres.yaml").read_text())
    assert "storage" not in base
    assert set(variant.pop("storage")) == {"postgres"}
    assert variant == base
