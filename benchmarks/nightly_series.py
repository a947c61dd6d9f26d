"""Benchmark: the real nightly Dagster job over the real monthly series, a first night and a night with no change,
time and peak RSS per asset (step), side by side.

The series (../shared/corpus/spend_series: twelve months of Darlington, Harrogate and Salford) is served on
loopback with a landing page per council, as tests/test_e2e_spend_series.py serves it; registers and a week of
notices come from the sample world's server. `--copies N` registers N councils per series folder (the extra ones are other
real councils of the committed registry serving the same files, parsed again for each council), for a night over
N x 36 files.

RSS is sampled every 20 ms in a thread and attributed to the step running at that moment (the in-process executor
runs one step at a time); the process's high-water mark (VmHWM) is reset before each night. Below the steps: the
steps that talk to the network (FETCH_STEPS: notices, registers, council files), the derived steps, and what is
left of the wall time (the orchestrator between steps), each with its share of the night. `--profile PATH`
profiles the last night in the main thread (cProfile; the stats go to PATH, the top entries are printed). Run:

    .venv/bin/python benchmarks/nightly_series.py [--copies 10] [--nights 2] [--profile /tmp/night.pstats]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    """(time, RSS MB) every `interval` seconds until stopped."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.samples, self.stop = interval, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.time(), _rss_mb()))
            self.stop.wait(self.interval)


def registry_with_copies(server, folder_urls: Path, copies: int, path: Path) -> Path:
    """The three series councils, plus copies-1 other real councils per folder serving the same files."""
    from pipelines.registry import REGISTRY_COLUMNS, load_registry
    from tests.test_e2e_spend_series import COUNCILS, series_registry

    series_registry(server, path)
    if copies <= 1:
        return path
    base = pl.read_csv(path, infer_schema=False)
    hints = {row["gss"]: row["parser_hints"] for row in base.iter_rows(named=True)}
    others = (load_registry().filter(~pl.col("gss").is_in(list(COUNCILS.values())) & (pl.col("type") == "unitary"))
              .sort("gss").head((copies - 1) * len(COUNCILS)))
    rows = base.to_dicts()
    for i, row in enumerate(others.iter_rows(named=True)):
        folder, gss = list(COUNCILS.items())[i % len(COUNCILS)]
        row = dict(row)
        row.update(website=server.base + "/", landing_urls=f"{server.base}/{folder}/spending", discovery="html",
                   ckan_package=None, link_include=None, link_exclude=None, parser_hints=hints.get(gss))
        rows.append(row)
    pl.DataFrame(rows, schema={c: pl.String for c in REGISTRY_COLUMNS}).write_csv(path)
    return path


def step_windows(instance, run_id: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of the run, from the event log."""
    starts, windows = {}, []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            windows.append((event.step_key, starts[event.step_key], entry.timestamp))
    return sorted(windows, key=lambda w: w[1])


# the steps that ask other servers for something (the rest only read and write the warehouse and the extracts)
FETCH_STEPS = ("raw__contracts_finder_releases", "raw__find_a_tender_releases", "reference__registers",
               "staging__spend_lines")


def night(label: str, warehouse_root: Path, sources: Path, instance, profile: str = "") -> dict:
    from pipelines.nightly import run_nightly

    Path("/proc/self/clear_refs").write_text("5")
    sampler = Sampler()
    sampler.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.time()
    result = run_nightly(warehouse_root, sources, instance=instance)
    wall = time.time() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    sampler.stop.set()
    sampler.join()
    steps = {}
    for key, start, end in step_windows(instance, result.run_id):
        rss = [mb for t, mb in sampler.samples if start <= t <= end]
        steps[key] = {"s": end - start, "peak_mb": max(rss) if rss else float("nan")}
    core, statuses = {}, {}
    for event in result.get_asset_materialization_events():
        if "status" in event.materialization.metadata:  # built | unchanged (pipelines/stage_state.py)
            statuses["/".join(event.asset_key.path)] = event.materialization.metadata["status"].value
        if event.asset_key.path == ["core", "star_schema"]:
            core = {k: v.value for k, v in event.materialization.metadata.items()
                    if k in ("councils_rebuilt", "councils_unchanged", "fact_payment", "publications_held_back",
                             "dimensions")}
    return {"label": label, "success": result.success, "wall_s": wall, "hwm_mb": _hwm_mb(), "steps": steps,
            "core": core, "statuses": statuses, "run_id": result.run_id}


def main() -> None:
    import dagster as dg

    from pipelines.demo import demo_limits
    from pipelines.sample import generate, sources_config
    from pipelines.sample.server import SampleServer
    from tests.hostile import HostileServer
    from tests.test_e2e_spend_series import serve_series, short_notice_window

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1, help="councils per series folder (files = copies x 36)")
    parser.add_argument("--nights", type=int, default=2, help="the first night, then nights with no change")
    parser.add_argument("--keep", default="", help="work in this directory and keep it (warehouse, world, "
                                                   "registry) for profiling, instead of a temporary one")
    parser.add_argument("--profile", default="", help="cProfile the last night into this file and print its top "
                                                      "entries")
    opts = parser.parse_args()
    os.environ.setdefault("KEEPITLOCAL_PROGRESS", "1")
    load_start = os.getloadavg()
    nights = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(opts.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        generate(root / "world")
        instance = dg.DagsterInstance.ephemeral()
        limits = demo_limits()  # the sample services scaled down as in the demo: the night is the series' files
        with SampleServer(root / "world", limits) as sample, HostileServer() as series_server:
            serve_series(series_server, CORPUS / "spend_series")
            registry = registry_with_copies(series_server, CORPUS, opts.copies, root / "registry.csv")
            sources = root / "sources.json"
            sources_config(root / "world", sample.base_url, limits=limits, registry_csv=str(registry),
                           **short_notice_window(root / "world", sample.base_url)).dump(sources)
            for i in range(opts.nights):
                nights.append(night("first night" if i == 0 else f"no change #{i}", root / "warehouse", sources,
                                    instance, opts.profile if i == opts.nights - 1 else ""))
        size_mb = (root / "warehouse" / "keepitlocal.duckdb").stat().st_size / 1e6
    files = 36 * opts.copies
    print(f"nightly over the real series: {files} files ({opts.copies} council(s) per folder), sample-world "
          f"notices and registers; load average {load_start[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"published file {size_mb:.1f} MB")
    keys = []
    for n in nights:
        keys += [k for k in n["steps"] if k not in keys]
    print(f"{'step':44}" + "".join(f"{n['label']:>28}" for n in nights))
    for key in keys:
        cells = []
        for n in nights:
            s = n["steps"].get(key)
            cells.append(f"{s['s']:8.1f} s {s['peak_mb']:7,.0f} MB" if s else "-")
        print(f"{key[:44]:44}" + "".join(f"{c:>28}" for c in cells))
    print(f"{'whole night (wall, process peak RSS)':44}"
          + "".join(f"{n['wall_s']:8.1f} s {n['hwm_mb']:7,.0f} MB".rjust(28) for n in nights))
    for label, pick in (("  network steps (notices, registers, spend)",
                         lambda n: sum(v["s"] for k, v in n["steps"].items() if k in FETCH_STEPS)),
                        ("  derived and local steps", lambda n: sum(v["s"] for k, v in n["steps"].items()
                                                                    if k not in FETCH_STEPS)),
                        ("  between steps (orchestrator)", lambda n: n["wall_s"] - sum(v["s"] for v in
                                                                                      n["steps"].values()))):
        print(f"{label[:44]:44}" + "".join(f"{pick(n):8.1f} s {100 * pick(n) / n['wall_s']:6.0f} %".rjust(28)
                                           for n in nights))
    for n in nights:
        print(f"{n['label']}: success {n['success']}, core {n['core']}")
        by_status: dict[str, list[str]] = {}
        for key, status in sorted(n["statuses"].items()):
            by_status.setdefault(status, []).append(key)
        print("  " + "; ".join(f"{status}: {', '.join(keys)}" for status, keys in sorted(by_status.items())))
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    if opts.profile:
        import pstats

        print(f"profile of the last night (main thread; {opts.profile}):")
        pstats.Stats(opts.profile).sort_stats("cumulative").print_stats(r"pipelines|assets", 40)


if __name__ == "__main__":
    main()
