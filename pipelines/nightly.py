"""Run the nightly job in-process (`keepitlocal run`, and the demo), then print a readable summary.

Live by default: with no `--sources` the configured sources are the real services and the committed registry.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import dagster as dg

from pipelines.config import DEFAULT_WAREHOUSE, PROJECT_ROOT
from pipelines.jobs import NIGHTLY_JOB_NAME


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE), help="warehouse root (default: warehouse/)")
    parser.add_argument("--sources", default="", help="a SourcesConfig JSON file (default: the live services)")
    parser.add_argument("--verbose", action="store_true", help="show Dagster's own event log too")


def run(args: argparse.Namespace) -> int:
    result = run_nightly(Path(args.warehouse), args.sources, verbose=args.verbose)
    from pipelines.summary import print_summary

    print_summary(Path(args.warehouse), run_id=result.run_id)
    return 0 if result.success else 1


def instance_for_cli() -> dg.DagsterInstance:
    """The persistent instance under DAGSTER_HOME (so runs show in the UI), else a throw-away one."""
    home = os.environ.get("DAGSTER_HOME")
    if home and (Path(home) / "dagster.yaml").exists():
        return dg.DagsterInstance.get()
    default_home = PROJECT_ROOT / ".dagster_home"
    if (default_home / "dagster.yaml").exists():
        os.environ["DAGSTER_HOME"] = str(default_home)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def resource_run_config(warehouse_root: Path, sources_path: str | Path, verbose: bool = False) -> dict:
    return {
        "resources": {
            "warehouse": {"config": {"root": str(Path(warehouse_root).resolve())}},
            "sources": {"config": {"config_path": str(sources_path)}},
        },
        "loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "ERROR"}}},
    }


def run_nightly(warehouse_root: Path, sources_path: str | Path = "", *, instance: dg.DagsterInstance | None = None,
                verbose: bool = False) -> dg.ExecuteInProcessResult:
    """Execute the nightly asset job in this process against the given warehouse and sources."""
    from pipelines.definitions import defs

    os.environ.setdefault("KEEPITLOCAL_PROGRESS", "1")
    job = defs().resolve_job_def(NIGHTLY_JOB_NAME)
    return job.execute_in_process(
        run_config=resource_run_config(warehouse_root, sources_path, verbose),
        instance=instance or instance_for_cli(),
        raise_on_error=False,
    )


def materialize_partition(asset_key: list[str], partition_key: str, warehouse_root: Path, sources_path: str | Path,
                          *, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """Materialise one partition of a backfill asset (one council, one day of notices) in-process."""
    from pipelines.definitions import defs

    definitions = defs()
    job = definitions.resolve_implicit_job_def_def_for_assets([dg.AssetKey(asset_key)])
    return job.execute_in_process(
        run_config=resource_run_config(warehouse_root, sources_path),
        instance=instance or instance_for_cli(),
        partition_key=partition_key,
        asset_selection=[dg.AssetKey(asset_key)],
        raise_on_error=False,
    )
