"""Never hang, never collide: one run per warehouse, and pool slots of dead runs given back.

* `warehouse_run_lock(root)` takes an exclusive `flock` on `<root>/work/run.lock` for the whole run. A second
  run on the same warehouse fails at once (`WarehouseBusy`, naming the process that holds it) instead of
  colliding on DuckDB's file lock after minutes of retries. The kernel drops the lock when its process dies,
  however it dies (SIGKILL included), so a crash never leaves the warehouse locked. The lock is re-entrant
  within one process (the demo holds it around the nightly run it starts).
* `free_dead_pool_slots(instance)`: a run killed hard keeps its `warehouse_writer` pool slot in the Dagster
  instance, and every later run would wait for it forever. Runs started here carry a
  `keepitlocal/process` tag (host, pid, process start time); at start-up, a slot held by a run whose process
  is gone (or by a run already finished) is freed, the dead run is marked failed, and both are said aloud.
  Runs launched by the Dagster daemon are left to Dagster's run monitoring.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

PROCESS_TAG = "keepitlocal/process"
WAREHOUSE_TAG = "keepitlocal/warehouse"
POOLS = ("warehouse_writer",)

_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth), for re-entry within this process
_held_lock = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another live run holds this warehouse."""


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process (jiffies since boot), so a reused pid is not mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def process_identity(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"


def process_alive(identity: str) -> bool | None:
    """True/False for a process of this host; None when the identity names another host (cannot tell)."""
    try:
        host, pid_text, started = identity.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    return not started or _start_time(pid) == started


def lock_path(root: Path) -> Path:
    return Path(root) / "work" / "run.lock"


@contextmanager
def warehouse_run_lock(root: Path, what: str = "run") -> Iterator[None]:
    """Hold the warehouse for this process for the duration of the block (see the module docstring)."""
    path = lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.parent.resolve() / path.name)
    with _held_lock:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            try:
                info = json.loads(holder)
                who = (f"{info.get('what')} (pid {info.get('pid')} on {info.get('host')}, started "
                       f"{info.get('started_at')} UTC)")
            except ValueError:
                who = "another process"
            raise WarehouseBusy(f"the warehouse {Path(root)} is in use by another keepitlocal {who}; wait for it "
                                "to finish (or stop it) and run again") from None
        record = {"what": what, "pid": os.getpid(), "host": socket.gethostname(),
                  "started_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        with _held_lock:
            _held[key] = (fd, 1)
    try:
        yield
    finally:
        with _held_lock:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


def run_tags(warehouse_root: Path) -> dict[str, str]:
    """Tags every run started here carries, so a later run can tell whether its process is still alive."""
    return {PROCESS_TAG: process_identity(), WAREHOUSE_TAG: str(Path(warehouse_root).resolve())}


def free_dead_pool_slots(instance, progress: Callable[[str], None] = print, pools=POOLS) -> list[str]:
    """Free pool slots (claimed or queued) held by runs that are finished or whose process is gone; mark
    such runs failed. Returns the run ids freed."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return []
    freed: list[str] = []
    for pool in pools:
        try:
            info = storage.get_concurrency_info(pool)
        except Exception:  # a storage without pool tables yet: nothing can be held
            continue
        holders = {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
        for run_id in sorted(holders):
            if run_id in freed:
                continue
            run = instance.get_run_by_id(run_id)
            if run is None:
                reason = "a run that no longer exists"
            elif run.is_finished:
                reason = f"a run that already ended ({run.status.value})"
            elif process_alive(run.tags.get(PROCESS_TAG, "")) is False:
                reason = f"a run whose process ({run.tags[PROCESS_TAG]}) is no longer alive"
            else:
                continue
            storage.free_concurrency_slots_for_run(run_id)
            if run is not None and not run.is_finished:
                instance.report_run_failed(run, f"its process died; its {pool} slot was freed by a later run")
            freed.append(run_id)
            progress(f"freed the {pool} pool slot held by {reason}: run {run_id}")
    _fail_dead_runs(instance, progress)
    return freed


def _fail_dead_runs(instance, progress: Callable[[str], None]) -> None:
    """Runs started here whose process died without a slot still show as started: mark them failed."""
    import dagster as dg

    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]), limit=200):
        identity = run.tags.get(PROCESS_TAG)
        if identity and process_alive(identity) is False:
            instance.report_run_failed(run, "its process died (killed or crashed) before the run ended")
            progress(f"marked run {run.run_id} failed: its process ({identity}) is no longer alive")
