"""Run bookkeeping in `meta.runs`: when a nightly run started (the orchestrator's own record), when it published
or ended, and how it ended.

Statuses: `published` (everything parsed is in the release), `published_with_holds` (published; some
publications held back by a failed check, see meta.publication_holds), `blocked` (a global check failed: the
previous release stays), `failed` (the run ended with a failed step before or after publishing).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines import __version__, sqlfiles


def _utc(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)
    if value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def run_started_at(instance, run_id: str) -> dt.datetime | None:
    """When the orchestrator started the run (UTC), from its run record; None when it has no record."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    return _utc(record.start_time) or _utc(record.create_timestamp)


def run_ended_at(instance, run_id: str) -> dt.datetime | None:
    """When the orchestrator recorded the run's end (UTC), or None while it has not ended."""
    record = instance.get_run_record_by_id(run_id)
    return None if record is None else _utc(record.end_time)


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, *, started_at: dt.datetime | None,
               finished_at: dt.datetime | None, status: str) -> None:
    """Insert or replace this run's row (a started_at already recorded is kept when none is given)."""
    sqlfiles.execute(con, "meta/record_run", {"run_id": run_id, "started_at": _utc(started_at),
                                              "finished_at": _utc(finished_at), "pipeline_version": __version__,
                                              "status": status})


def finish_run(root, run_id: str, success: bool, *, started_at: dt.datetime | None = None) -> None:
    """At the end of a run, in the working file: the real end time, and `failed` when the run failed (a run that
    published keeps the status its publish recorded)."""
    from pipelines.warehouse import Warehouse

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with Warehouse(root).connect() as con:
        recorded = sqlfiles.execute(con, "meta/run_status", {"run_id": run_id}).fetchall()
        status = recorded[0][0] if recorded and success else ("failed" if not success else "ended_unpublished")
        record_run(con, run_id, started_at=started_at, finished_at=now, status=status)
