"""The nightly job and its schedule: one asset job over every unpartitioned asset (single writer, style.md §13).

Partitioned assets (one council, one day of notices) are for backfills and re-runs; they write the same
staging tables through the same library functions and are launched from the UI or `dg launch`.
"""

from __future__ import annotations

import dagster as dg

NIGHTLY_JOB_NAME = "nightly"

nightly_job = dg.define_asset_job(
    name=NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.tag("keepitlocal/backfill", "true"),
    description="Discover, fetch and parse council spend files; fetch notices; registers; suppliers; "
    "core, marts, checks; publish by swap; researchers' extracts.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",  # 02:00 every night, UK time: councils publish in office hours
    execution_timezone="Europe/London",
)
