"""The one place the Dagster `Definitions` are assembled (style.md §1).

Assets come from the autoloaded `assets/` folder; resources, the nightly job and its schedule, and the
run-failure and missed-night alert sensors from here. The published assets (the marts and the `publish` group) carry a freshness
policy: the nightly run is daily, so anything not refreshed within 36 hours means a night was missed, and the UI
(and the freshness daemon) mark it failed.

The code location is named `keepitlocal`: `dg` reads `code_location_name` from pyproject.toml, and
`keepitlocal ui` writes a workspace file with that location name for `dagster dev`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipelines.jobs import build_nightly_job, build_nightly_schedule
from pipelines.resources import build_resources
from pipelines.sensors import AlertsResource, missed_night_alert, run_failure_alert

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCATION_NAME = "keepitlocal"

# The nightly run is daily; anything not refreshed within 36 hours means a night was missed.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36), warn_window=timedelta(hours=26))
# what analysts and researchers read: the marts, the published file and the extracts
PUBLISHED_GROUPS = frozenset({"marts", "publish"})


def _assets(from_package: bool | None = None) -> dg.Definitions:
    """`assets/` as the dg defs folder in a source checkout; from the installed package in a wheel install.

    `load_from_defs_folder` needs the project's pyproject.toml above the folder, which an installed wheel does
    not have; there the same modules are loaded as a package (tests/test_definitions.py checks both give the same
    assets and checks).
    """
    if from_package is None:
        from_package = not (PROJECT_ROOT / "pyproject.toml").is_file()
    if not from_package:
        return dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "assets")
    import importlib

    import assets

    # the asset folders are namespace packages (no __init__.py), which pkgutil's walk skips: list the files
    root = Path(assets.__file__).parent
    modules = [importlib.import_module(".".join(("assets", *p.relative_to(root).with_suffix("").parts)))
               for p in sorted(root.rglob("*.py")) if p.name != "__init__.py"]
    return dg.Definitions(assets=dg.load_assets_from_modules(modules),
                          asset_checks=dg.load_asset_checks_from_modules(modules))


def with_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The freshness policy on a published asset; every other asset unchanged."""
    return spec.replace_attributes(freshness_policy=FRESHNESS) if spec.group_name in PUBLISHED_GROUPS else spec


def _published_fresh(loaded: dg.Definitions) -> dg.Definitions:
    """`loaded` with the freshness policy on its published assets.

    The defs folder lists an asset once per module that names it (assets/suppliers imports its upstream
    assets), which Dagster folds by identity; mapping would make copies that clash, so fold first.
    """
    unique = list({id(a): a for a in loaded.assets or []}.values())
    mapped = [a.map_asset_specs(with_freshness) if isinstance(a, dg.AssetsDefinition)
              else with_freshness(a) if isinstance(a, dg.AssetSpec) else a for a in unique]
    return dg.Definitions(assets=mapped, asset_checks=loaded.asset_checks, jobs=loaded.jobs,
                          schedules=loaded.schedules, sensors=loaded.sensors, resources=loaded.resources,
                          metadata=loaded.metadata)


@dg.definitions
def defs() -> dg.Definitions:
    # `keepitlocal ui --demo` sets KEEPITLOCAL_MODE=demo for the code server: its nightly runs are tagged so
    mode = os.environ.get("KEEPITLOCAL_MODE", "live")
    job = build_nightly_job(mode)
    return dg.Definitions.merge(
        _published_fresh(_assets()),
        dg.Definitions(resources={**build_resources(), "alerts": AlertsResource()}, jobs=[job],
                       schedules=[build_nightly_schedule(job)],
                       sensors=[run_failure_alert, missed_night_alert]),
    )
