"""`keepitlocal demo`: the whole nightly pipeline on the offline sample world, through real HTTP.

Generates the deterministic sample world, serves it from a loopback HTTP server (127.0.0.1, free port),
points every configured source at it, runs the nightly job in-process (plus one partition of each backfill
asset, so every asset runs), stops the server and prints a summary, including how the warehouse's answers
compare with the planted truths.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipelines.config import DEFAULT_WAREHOUSE

DEMO_ROOT = DEFAULT_WAREHOUSE / "demo"
DEMO_TAGS = {"keepitlocal/mode": "demo"}  # pipelines.jobs.MODE_TAG: the UI shows which runs read the sample world


def demo_limits():
    """The sample services' rate limits scaled down so a three-year backfill of 6-hour Find a Tender windows
    runs in seconds; the clients still pace, back off and wait exactly as they do against the real services."""
    from pipelines.sample.server import ServerLimits

    return ServerLimits(cf_max_requests=30, cf_window_s=0.5, cf_block_s=0.5, fts_min_interval_s=0.004,
                        council_max_per_s=200)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", default=str(DEMO_ROOT), help="warehouse root for the demo (default: warehouse/demo)")
    parser.add_argument("--seed", type=int, default=2026, help="sample world seed (default 2026)")
    parser.add_argument("--verbose", action="store_true", help="show Dagster's own event log too")


def run(args: argparse.Namespace) -> int:
    from pipelines.nightly import EXIT_BUSY
    from pipelines.runlock import WarehouseBusy

    try:
        outcome = run_demo(Path(args.warehouse), seed=args.seed, verbose=args.verbose)
    except WarehouseBusy as exc:
        print(f"keepitlocal demo: {exc}", file=sys.stderr)
        return EXIT_BUSY
    return 0 if outcome["success"] else 1


def run_demo(root: Path, *, seed: int = 2026, instance=None, verbose: bool = False, backfill_partitions: bool = True) -> dict:
    from pipelines.runlock import warehouse_run_lock

    root = root.resolve()
    # the whole demo holds its folder: a second demo on it fails at once instead of rewriting the world
    # under the first one's server
    with warehouse_run_lock(root, "demo"):
        return _run_demo(root, seed=seed, instance=instance, verbose=verbose,
                         backfill_partitions=backfill_partitions)


def _run_demo(root: Path, *, seed: int, instance, verbose: bool, backfill_partitions: bool) -> dict:
    from pipelines.nightly import instance_for_cli, run_nightly
    from pipelines.sample import generate, sources_config
    from pipelines.sample.server import SampleServer
    from pipelines.summary import print_summary

    instance = instance or instance_for_cli()  # one instance: the backfill partitions are added by the nightly run
    world = root / "world"
    started = time.monotonic()
    print(f"Generating the sample world (seed {seed}) in {world} ...", flush=True)
    truth = generate(world, seed=seed)
    sources_path = root / "sources.json"
    limits = demo_limits()
    with SampleServer(world, limits) as server:
        print(f"Serving it at {server.base_url} ; running the nightly job ...", flush=True)
        sources_config(world, server.base_url, limits=limits).dump(sources_path)
        result = run_nightly(root, sources_path, instance=instance, verbose=verbose, tags=DEMO_TAGS)
        backfills = []
        if backfill_partitions and result.success:
            backfills = _run_backfill_partitions(root, sources_path, truth, instance)
        requests_served = len(server.request_log)
        request_log = list(server.request_log)
    elapsed = time.monotonic() - started
    print_summary(root, run_id=result.run_id, truth=truth, elapsed_s=elapsed, requests_served=requests_served)
    success = result.success and all(r.success for r in backfills)
    if not success:
        for event in [*result.all_events, *(e for r in backfills for e in r.all_events)]:
            if event.is_step_failure:
                print(f"FAILED: {event.step_key}: {event.message}")
    return {"success": success, "run_id": result.run_id, "truth": truth, "request_log": request_log,
            "world": world, "sources_path": sources_path}


def _run_backfill_partitions(root: Path, sources_path: Path, truth: dict, instance) -> list:
    """Run one partition of each backfill asset so the demo exercises every asset that exists."""
    from pipelines.nightly import materialize_partition

    first_council = truth["councils"][0]["gss"]
    results = [materialize_partition(["staging", "spend_lines_by_council"], first_council, root, sources_path,
                                     instance=instance, tags=DEMO_TAGS)]
    for key, day in _notice_backfill_days(truth):
        results.append(materialize_partition(key, day, root, sources_path, instance=instance, tags=DEMO_TAGS))
    return results


def _notice_backfill_days(truth: dict) -> list[tuple[list[str], str]]:
    """One day of each notice source: re-fetching a day the nightly run already covered adds nothing twice."""
    notices = truth["notices"]
    return [(["raw", "contracts_finder_releases_by_day"], notices["first_release_date"][:10]),
            (["raw", "find_a_tender_releases_by_day"], notices["fts_busy_day"][:10]),
            (["raw", "contracts_finder_bulk_by_year"], notices["first_release_date"][:4]),
            (["raw", "find_a_tender_bulk_by_year"], notices["fts_busy_day"][:4])]
