"""National-scale rehearsal (issue 16 item 4; not part of `make test`).

    .venv/bin/python benchmarks/national_rehearsal.py WORKDIR [--councils N] [--months M] [--lines LO HI]
        [--latency-ms LO HI] [--interval-s S] [--concurrency C] [--workers W] [--skip-sequential]

1. generates the national sample world (pipelines/sample/national.py: every current registry authority, or N of
   them spread over the registry) and serves it from its own process, one loopback port per authority (distinct hosts), each host
   with its latency;
2. backfills it SEQUENTIALLY (fetch_concurrency 1, parsing in the writer: the one-council-after-another path)
   into one warehouse and IN PARALLEL (fetcher threads across hosts, parse worker processes, one writer) into
   another, with the same per-host politeness (`--interval-s` between two requests to one host);
3. builds suppliers -> core -> marts and publishes each warehouse, timing each stage;
4. compares the two published warehouses: row count and content hash of every core and mart table;
5. runs a no-change night on the parallel warehouse (every file answers 304; nothing may be parsed).

Every stage runs in its own process; its wall time, the server's request counts and the peak resident memory
of the stage's whole process tree (the stage and its parse workers, sampled from /proc every 0.2 s) are
printed side by side, with the machine's load average. Results also go to WORKDIR/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


# ---------------------------------------------------------------------------------------------- stage bodies

def _config(world: Path, hosts: dict, interval_s: float):
    from dataclasses import replace

    from pipelines.config import SourcesConfig
    from pipelines.sample.national import resolve_registry

    registry = resolve_registry(world, hosts["bases"])
    return replace(SourcesConfig(), registry_csv=str(registry), http_min_interval_s=interval_s, http_robots=True,
                   http_backoff_s=0.05, http_contact="rehearsal@localhost")


def stage_ingest(args) -> dict:
    from pipelines.edge import PoliteSession
    from pipelines.registry import load_registry
    from pipelines.spend.concurrent import ingest_councils
    from pipelines.warehouse import Warehouse

    hosts = json.loads(Path(args.hosts).read_text())
    config = _config(Path(args.world), hosts, args.interval_s)
    councils = load_registry(config.registry_csv)
    urls = [u for c in councils.iter_rows(named=True) for u in (c["website"], c["landing_urls"]) if u]
    session = PoliteSession(config.allowed_hosts(urls), limits=config.edge_limits("council_file", robots=True),
                            host_intervals=config.host_intervals())
    warehouse = Warehouse(Path(args.warehouse))
    with warehouse.transaction() as con:  # the registry, as the councils asset writes it
        con.register("councils_df", councils.to_arrow())
        from pipelines import sqlfiles

        sqlfiles.execute(con, "registry/replace_councils")
    try:
        reports = ingest_councils(list(councils.iter_rows(named=True)), session=session, warehouse=warehouse,
                                  config=config, progress=lambda _m: None, fetch_concurrency=args.concurrency,
                                  parse_workers=args.workers)
    finally:
        session.close()
    keys = ("discovered", "fetched", "not_modified", "parsed", "quarantined", "rows")
    return {**{k: sum(int(r.get(k) or 0) for r in reports) for k in keys},
            "errors": [f"{r['council_gss']}: {r['error']}" for r in reports if r.get("error")][:10]}


def stage_build(args) -> dict:
    from pipelines.marts.build import build_core, build_marts
    from pipelines.marts.checks import blocking_checks
    from pipelines.suppliers.build import build_suppliers
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(Path(args.warehouse))
    times = {}
    with warehouse.connect() as con:
        started = time.monotonic()
        build_suppliers(con)
        times["suppliers_s"] = round(time.monotonic() - started, 2)
        started = time.monotonic()
        registry = con.sql("select * from reference.councils").pl()
        build_core(con, registry)
        times["core_s"] = round(time.monotonic() - started, 2)
        started = time.monotonic()
        build_marts(con)
        times["marts_s"] = round(time.monotonic() - started, 2)
        started = time.monotonic()
        failures = blocking_checks(con)
        times["checks_s"] = round(time.monotonic() - started, 2)
        payments = con.execute("select count(*) from core.fact_payment").fetchone()[0]
    return {**times, "blocking_failures": failures[:5], "fact_payment_rows": payments}


def stage_publish(args) -> dict:
    from pipelines.marts.checks import blocking_checks
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(Path(args.warehouse))
    path = warehouse.publish("rehearsal", blocking_checks)
    return {"published_bytes": path.stat().st_size}


STAGES = {"ingest": stage_ingest, "build": stage_build, "publish": stage_publish}


# ---------------------------------------------------------------------------------------------- the driver

def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            ppid = int(fields["PPid"].strip())
            rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, KeyError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_stage(name: str, stage: str, stage_args: list[str], server: dict | None = None) -> dict:
    before = _server_stats(server) if server else None
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--stage", stage, *stage_args], cwd=PROJECT,
                            stdout=subprocess.PIPE, text=True)
    peak = {"kb": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak["kb"] = max(peak["kb"], _tree_rss_kb(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall_s=round(wall, 1), peak_rss_mb=round(peak["kb"] / 1024), load=os.getloadavg()[0])
    if server:
        after = _server_stats(server)
        result["requests"] = after["requests"] - before["requests"]
        result["requests_by_status"] = {k: v - before["by_status"].get(k, 0) for k, v in after["by_status"].items()
                                        if v - before["by_status"].get(k, 0)}
        result["bytes_served"] = after["bytes"] - before["bytes"]
    print(f"  {name:<28} {result['wall_s']:>8.1f} s  peak RSS {result['peak_rss_mb']:>5} MB  "
          f"load {result['load']:.1f}  " + json.dumps({k: v for k, v in result.items()
                                                        if k not in ('wall_s', 'peak_rss_mb', 'load')}), flush=True)
    return result


def _server_stats(server: dict) -> dict:
    with urllib.request.urlopen(server["control"] + "/stats", timeout=10) as response:
        return json.loads(response.read())


def snapshot(published: Path) -> dict[str, list]:
    """(rows, content hash) of every core and mart table, timestamps left out (tests/test_kill_rerun.py)."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        out = {}
        for schema, table in con.execute("select table_schema, table_name from information_schema.tables where "
                                         "table_schema in ('core', 'marts') and table_type = 'BASE TABLE' "
                                         "order by 1, 2").fetchall():
            described = con.execute("select column_name, data_type from information_schema.columns where "
                                    "table_schema = ? and table_name = ? order by ordinal_position",
                                    [schema, table]).fetchall()
            columns = ", ".join(f'"{c}"' for c, t in described if "TIMESTAMP" not in t.upper())
            latest = (f' where run_at = (select max(run_at) from "{schema}"."{table}")'
                      if any(c == "run_at" for c, _ in described) else "")
            rows, digest = con.execute(f'select count(*), coalesce(sum(hash({columns})::hugeint), 0) '
                                       f'from "{schema}"."{table}"{latest}').fetchone()
            out[f"{schema}.{table}"] = [rows, str(digest)]
        return out
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", nargs="?")
    parser.add_argument("--councils", type=int, default=None, help="N current authorities spread over the registry (default: all)")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--lines", type=int, nargs=2, default=[1500, 4500], help="lines per monthly file")
    parser.add_argument("--latency-ms", type=int, nargs=2, default=[30, 250], help="per-host latency range")
    parser.add_argument("--interval-s", type=float, default=1.0, help="spacing between requests to one host")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel run: fetcher threads")
    parser.add_argument("--workers", type=int, default=2, help="parallel run: parse worker processes")
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--reuse-world", action="store_true", help="keep an already generated world")
    # internal: run one stage in this process
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--world")
    parser.add_argument("--hosts")
    parser.add_argument("--warehouse")
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args), default=str))
        return 0

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    world, hosts_file = work / "world", work / "hosts.json"
    print(f"national rehearsal in {work}; load average at start {os.getloadavg()}; {os.cpu_count()} CPUs", flush=True)
    results: dict = {"args": {k: v for k, v in vars(args).items() if k not in ("stage", "world", "hosts", "warehouse")}}
    if not (args.reuse_world and (world / "national.json").exists()):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pipelines.sample.national", "generate", str(world),
                        *([f"--councils={args.councils}"] if args.councils else []), f"--months={args.months}",
                        "--lines", *map(str, args.lines), "--latency-ms", *map(str, args.latency_ms)],
                       cwd=PROJECT, check=True, stdout=subprocess.DEVNULL)
        results["generate_s"] = round(time.monotonic() - started, 1)
    summary = json.loads((world / "national.json").read_text())
    results["world"] = {k: summary[k] for k in ("authorities", "files", "rows", "bytes", "net_total")}
    print(f"world: {json.dumps(results['world'])} (generated in {results.get('generate_s', 'an earlier run')} s)",
          flush=True)
    hosts_file.unlink(missing_ok=True)
    server_proc = subprocess.Popen([sys.executable, "-m", "pipelines.sample.national", "serve", str(world),
                                    str(hosts_file)], cwd=PROJECT)
    try:
        while not hosts_file.exists():
            if server_proc.poll() is not None:
                raise SystemExit("the national server did not start")
            time.sleep(0.2)
        server = json.loads(hosts_file.read_text())
        common = ["--world", str(world), "--hosts", str(hosts_file)]
        runs = {"parallel": ["--concurrency", str(args.concurrency), "--workers", str(args.workers)]}
        if not args.skip_sequential:
            runs = {"sequential": ["--concurrency", "1", "--workers", "0"], **runs}
        for label, flags in runs.items():
            warehouse = work / f"warehouse-{label}"
            if warehouse.exists():
                import shutil

                shutil.rmtree(warehouse)
            print(f"{label}:", flush=True)
            stage = ["--warehouse", str(warehouse)]
            results[label] = {
                "backfill": run_stage("ingest (backfill)", "ingest", [*common, *stage, "--interval-s", str(args.interval_s), *flags], server),
                "build": run_stage("build suppliers/core/marts", "build", stage),
                "publish": run_stage("publish", "publish", stage),
            }
            if label == "parallel":
                results[label]["no_change_night"] = run_stage("ingest (no-change night)", "ingest", [*common, *stage, "--interval-s", str(args.interval_s), *flags], server)
        if "sequential" in results:
            seq = snapshot(work / "warehouse-sequential" / "keepitlocal.duckdb")
            par = snapshot(work / "warehouse-parallel" / "keepitlocal.duckdb")
            differing = sorted(t for t in set(seq) | set(par) if seq.get(t) != par.get(t))
            results["compare"] = {"tables": len(seq), "differing": differing, "equal": not differing,
                                  "rows": {t: seq[t][0] for t in sorted(seq)}}
            ratio = results["sequential"]["backfill"]["wall_s"] / max(results["parallel"]["backfill"]["wall_s"], 0.1)
            results["speedup"] = round(ratio, 2)
            print(f"\nbackfill: sequential {results['sequential']['backfill']['wall_s']} s, parallel "
                  f"{results['parallel']['backfill']['wall_s']} s -> {ratio:.2f}x; warehouses "
                  f"{'EQUAL' if not differing else 'DIFFER: ' + ', '.join(differing)} over {len(seq)} core/mart tables",
                  flush=True)
    finally:
        server_proc.terminate()
        try:
            server_proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server_proc.kill()
            server_proc.wait()
    results["load_at_end"] = os.getloadavg()
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    return 0 if results.get("compare", {}).get("equal", True) else 1


if __name__ == "__main__":
    sys.exit(main())
