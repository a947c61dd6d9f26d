"""The one place the Dagster `Definitions` are assembled (style.md §1).

Assets come from the autoloaded `assets/` folder; resources, the nightly job and its schedule from here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipelines.jobs import nightly_job, nightly_schedule
from pipelines.resources import build_resources

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The nightly run is daily; anything not refreshed within 36 hours means a night was missed.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36))


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "assets"),
        dg.Definitions(resources=build_resources(), jobs=[nightly_job], schedules=[nightly_schedule]),
    )
