"""Run the nightly job in-process (`keepitlocal run`, and the demo), then print a readable summary.

Live by default: with no `--sources` the configured sources are the real services and the committed registry.
A run holds its warehouse for itself (a second run fails at once with a clear message), frees pool slots a
hard-killed earlier run left behind, and exits non-zero whenever any step failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from typing import TYPE_CHECKING

from pipelines.config import DEFAULT_WAREHOUSE, PROJECT_ROOT
from pipelines.edge import sweep_incoming
from pipelines.runlock import free_dead_pool_slots, run_tags, warehouse_run_lock

if TYPE_CHECKING:  # Dagster is imported where it is used: a busy warehouse is refused before it loads
    import dagster as dg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE), help="warehouse root (default: warehouse/)")
    parser.add_argument("--sources", default="", help="a SourcesConfig JSON file (default: the live services)")
    parser.add_argument("--verbose", action="store_true", help="show Dagster's own event log too")
    parser.add_argument("--full-rebuild", action="store_true",
                        help="rebuild every derived stage (core facts, suppliers, marts, checks, extracts) even "
                             "when its inputs did not change since its last build")


EXIT_BUSY = 3


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 published in full; 4 published with publications held back or a council's ingest failed
    (pipelines.summary); 1 failed or not published; 3 another run holds the warehouse."""
    from pipelines.config import SourcesConfig
    from pipelines.runlock import WarehouseBusy
    from pipelines.runs import finish_run, run_started_at

    if not SourcesConfig.load(args.sources or None).http_contact:
        print("warning: no http_contact in the sources config: set an address site owners can reach us at "
              "(it is sent in the User-Agent)", file=sys.stderr)
    try:
        # the warehouse is taken before Dagster loads, so a second run is refused in a moment
        with warehouse_run_lock(Path(args.warehouse), "nightly run"):
            instance = instance_for_cli()
            from pipelines.stage_state import FULL_REBUILD_TAG

            tags = {FULL_REBUILD_TAG: "true"} if getattr(args, "full_rebuild", False) else None
            result = run_nightly(Path(args.warehouse), args.sources, instance=instance, verbose=args.verbose,
                                 tags=tags)
    except WarehouseBusy as exc:
        print(f"keepitlocal run: {exc}", file=sys.stderr)
        return EXIT_BUSY
    from pipelines.summary import print_summary

    finish_run(Path(args.warehouse), result.run_id, result.success,
               started_at=run_started_at(instance, result.run_id))
    facts = print_summary(Path(args.warehouse), run_id=result.run_id, success=result.success)
    report_failures(result)
    return facts.get("outcome", {}).get("exit_code", 1)


def report_failures(result) -> None:
    """Say which steps failed and why, after the summary, so a failed night never reads as a good one."""
    if result.success:
        return
    print(f"RUN FAILED ({result.run_id}):", file=sys.stderr)
    for event in result.all_events:
        if event.is_step_failure:
            print(f"  {event.step_key}: {event.message}", file=sys.stderr)


def instance_for_cli() -> dg.DagsterInstance:
    """The persistent instance under DAGSTER_HOME (so runs show in the UI), else a throw-away one."""
    import dagster as dg

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
                verbose: bool = False, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """Execute the nightly asset job in this process against the given warehouse and sources."""
    from pipelines.definitions import defs
    from pipelines.jobs import NIGHTLY_JOB_NAME

    os.environ.setdefault("KEEPITLOCAL_PROGRESS", "1")
    job = defs().resolve_job_def(NIGHTLY_JOB_NAME)
    instance = instance or instance_for_cli()
    with _run_guard(warehouse_root, instance, "nightly run"):
        return job.execute_in_process(
            run_config=resource_run_config(warehouse_root, sources_path, verbose),
            instance=instance,
            raise_on_error=False,
            tags={**run_tags(warehouse_root), **(tags or {})},
        )


@contextmanager
def _run_guard(warehouse_root: Path, instance: dg.DagsterInstance, what: str):
    """Hold the warehouse (or fail at once), give back pool slots of dead runs, sweep partial downloads."""
    with warehouse_run_lock(warehouse_root, what):
        free_dead_pool_slots(instance, progress=lambda m: print(m, file=sys.stderr, flush=True))
        sweep_incoming(Path(warehouse_root) / "raw")
        yield


def materialize_partition(asset_key: list[str], partition_key: str, warehouse_root: Path, sources_path: str | Path,
                          *, instance: dg.DagsterInstance | None = None,
                          tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """Materialise one partition of a backfill asset (one council, one day of notices) in-process."""
    from pipelines.definitions import defs

    import dagster as dg

    definitions = defs()
    job = definitions.resolve_implicit_job_def_def_for_assets([dg.AssetKey(asset_key)])
    instance = instance or instance_for_cli()
    with _run_guard(warehouse_root, instance, f"{'/'.join(asset_key)} {partition_key}"):
        return job.execute_in_process(
            run_config=resource_run_config(warehouse_root, sources_path),
            instance=instance,
            partition_key=partition_key,
            asset_selection=[dg.AssetKey(asset_key)],
            raise_on_error=False,
            tags={**run_tags(warehouse_root), **(tags or {})},
        )
