"""The nightly job and its schedule: one asset job over every unpartitioned asset (single writer, style.md §13).

Partitioned assets (one council, one day of notices) are for backfills and re-runs; they write the same
staging tables through the same library functions and are launched from the UI or `dg launch`.
"""

from __future__ import annotations

import dagster as dg

NIGHTLY_JOB_NAME = "nightly"

MODE_TAG = "keepitlocal/mode"  # live | demo: which world a run read, shown on every run in the UI


def build_nightly_job(mode: str = "live") -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=NIGHTLY_JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.tag("keepitlocal/backfill", "true"),
        description="Discover, fetch and parse council spend files; fetch notices; registers; suppliers; "
        "core, marts, checks; publish by swap; researchers' extracts.",
        tags={MODE_TAG: mode},
    )


def build_nightly_schedule(job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_schedule",
        job=job,
        cron_schedule="0 2 * * *",  # 02:00 every night, UK time: councils publish in office hours
        execution_timezone="Europe/London",
    )


nightly_job = build_nightly_job()
nightly_schedule = build_nightly_schedule(nightly_job)
