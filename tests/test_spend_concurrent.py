"""Parallel ingestion (pipelines/spend/concurrent.py) gives the same staging contents as one council after another.

The sample world is served by three loopback servers, councils spread over them, so fetcher threads really
overlap across hosts while councils on one host take turns. Both runs use the real parser; the parallel one
parses in worker processes and loads through its single writer.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipelines.edge import PoliteSession
from pipelines.registry import load_registry
from pipelines.sample import sources_config
from pipelines.sample.server import SampleServer
from pipelines.spend.concurrent import ingest_councils
from pipelines.warehouse import Warehouse

SERVERS = 3
# staging columns that record when something happened (differ between any two runs)
TIME_COLUMNS = {"fetched_at", "loaded_at", "quarantined_at"}


@pytest.fixture(scope="module")
def hosts(world):
    servers = [SampleServer(world).start() for _ in range(SERVERS)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _registry_on(world: Path, servers) -> Path:
    """The sample registry with council i served by server i % SERVERS."""
    rows = list(csv.DictReader(io.StringIO((world / "registry.csv").read_text(encoding="utf-8"))))
    for i, row in enumerate(rows):
        base = servers[i % len(servers)].base_url.rstrip("/")
        for key, value in row.items():
            row[key] = value.replace("{base}", base) if value else value
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = world / "registry.hosts.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _ingest(world, servers, root: Path, **kwargs) -> tuple[list[dict], float]:
    config = replace(sources_config(world, servers[0].base_url), registry_csv=str(_registry_on(world, servers)))
    councils = load_registry(config.registry_csv)
    urls = [u for c in councils.iter_rows(named=True) for u in (c["website"], *(c["landing_urls"] or "").split("|")) if u]
    urls.append(config.ckan_url)
    session = PoliteSession(config.allowed_hosts(urls), limits=config.edge_limits("council_file"),
                            host_intervals=config.host_intervals())
    started = time.monotonic()
    try:
        reports = ingest_councils(list(councils.iter_rows(named=True)), session=session, warehouse=Warehouse(root),
                                  config=config, progress=lambda _m: None, **kwargs)
    finally:
        session.close()
    return reports, time.monotonic() - started


def _staging(root: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(Warehouse(root).work_path), read_only=True)
    try:
        out = {}
        for table in ("spend_lines", "spend_publications", "quarantine"):
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'staging' "
                "and table_name = ? order by ordinal_position", [table]).fetchall() if c not in TIME_COLUMNS]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = con.execute(f"select {select} from staging.{table} order by all").fetchall()
        out["manifest"] = con.execute("select url, http_status, sha256, bytes from raw.fetch_manifest "
                                      "order by all").fetchall()
        return out
    finally:
        con.close()


def test_parallel_ingestion_equals_sequential(world, hosts, tmp_path):
    sequential, _ = _ingest(world, hosts, tmp_path / "sequential", fetch_concurrency=1, parse_workers=0)
    overlap = {"max": 0, "now": 0}
    lock = threading.Lock()
    real_download = PoliteSession.download

    def counting_download(self, *args, **kwargs):  # how many downloads run at the same moment
        with lock:
            overlap["now"] += 1
            overlap["max"] = max(overlap["max"], overlap["now"])
        try:
            return real_download(self, *args, **kwargs)
        finally:
            with lock:
                overlap["now"] -= 1

    PoliteSession.download = counting_download
    try:
        parallel, _ = _ingest(world, hosts, tmp_path / "parallel", fetch_concurrency=4, parse_workers=2)
    finally:
        PoliteSession.download = real_download
    assert overlap["max"] > 1, "fetcher threads never overlapped"
    assert [r["council_gss"] for r in parallel] == [r["council_gss"] for r in sequential]
    assert parallel == sequential
    assert sum(r["rows"] for r in parallel) > 10_000 and not any(r["error"] for r in parallel)
    seq, par = _staging(tmp_path / "sequential"), _staging(tmp_path / "parallel")
    for table in seq:
        assert len(par[table]) == len(seq[table]), table
        assert par[table] == seq[table], table

    # a second parallel night: every file answers 304 and nothing is parsed again
    again, _ = _ingest(world, hosts, tmp_path / "parallel", fetch_concurrency=4, parse_workers=2)
    assert sum(r["parsed"] for r in again) == 0
    assert sum(r["not_modified"] for r in again) == sum(r["fetched"] + r["not_modified"] for r in parallel)
    assert _staging(tmp_path / "parallel")["spend_lines"] == par["spend_lines"]


def test_a_council_partition_fetches_and_parses_outside_the_writer_pool_and_loads_inside_it(world, hosts, tmp_path):
    """The partitioned asset in two steps (stage: fetch + parse, no pool; load: the single writer) writes what
    `ingest_council` writes, and is wired so Dagster's pool limits only the load."""
    import dagster as dg

    from assets.council_spend.assets import council_files_loaded, council_files_staged
    from pipelines.nightly import materialize_partition
    from pipelines.spend.concurrent import load_staged, stage_council
    from pipelines.spend.ingest import ingest_council

    assert council_files_staged.pool is None and council_files_loaded.pool == "warehouse_writer"
    config = replace(sources_config(world, hosts[0].base_url), registry_csv=str(_registry_on(world, hosts)))
    councils = [c for c in load_registry(config.registry_csv).iter_rows(named=True)][:3]
    urls = [u for c in councils for u in (c["website"], *(c["landing_urls"] or "").split("|")) if u]
    session = PoliteSession(config.allowed_hosts(urls), limits=config.edge_limits("council_file"))
    direct, staged = Warehouse(tmp_path / "direct"), Warehouse(tmp_path / "staged")
    try:
        for council in councils:
            one = ingest_council(council, session=session, warehouse=direct, config=config, progress=lambda _m: None)
            bundle = stage_council(council, session=session, warehouse=staged, config=config,
                                   bundle_dir=tmp_path / "bundle" / council["gss"], progress=lambda _m: None)
            two = load_staged(bundle, warehouse=staged, progress=lambda _m: None)
            assert one == two and one["parsed"] > 0
            assert not bundle.exists()
    finally:
        session.close()
    assert _staging(tmp_path / "direct") == _staging(tmp_path / "staged")

    # the partition through Dagster (in-process executor), with the registry served on the three hosts
    sources_path = tmp_path / "sources.json"
    config.dump(sources_path)
    root = tmp_path / "dagster"
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("councils", [councils[1]["gss"]])  # what the councils asset does
    result = materialize_partition(["staging", "spend_lines_by_council"], councils[1]["gss"], root, sources_path,
                                   instance=instance)
    assert result.success
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"]
    assert any("council_files_staged" in s for s in steps) and any("council_files_loaded" in s for s in steps)
    [materialization] = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()
                         if e.asset_key == dg.AssetKey(["staging", "spend_lines_by_council"])]
    assert materialization.partition == councils[1]["gss"] and materialization.metadata["parsed"].value > 0
    with duckdb.connect(str(Warehouse(root).work_path), read_only=True) as con:
        councils_loaded = con.execute("select distinct council_gss from staging.spend_lines").fetchall()
    assert councils_loaded == [(councils[1]["gss"],)]


def test_parse_workers_end_when_the_run_is_killed(tmp_path):
    """A SIGKILLed run must not leave its parse workers behind: they would wait on their queue forever."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pipelines.spend.concurrent import ParsePool\n"
        "pool = ParsePool(2)\n"
        "futures = [pool.submit(Path(sys.argv[1]), '0' * 64, {}, None) for _ in range(4)]\n"
        "print([f.result()[0] for f in futures], flush=True)\n"
        "time.sleep(600)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "['corrupt', 'corrupt', 'corrupt', 'corrupt']"  # workers answered
        children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
        workers = [int(pid) for pid in children
                   if "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                   and "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) == 2
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()
                 and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
    assert alive == [], f"parse workers {alive} outlived their killed run: " + "; ".join(
        Path(f"/proc/{pid}/status").read_text().replace("\n", " ")[:300] for pid in alive)


def test_stored_body_is_parsed_from_its_path_and_checked_against_its_hash(tmp_path):
    """The parse workers read a blob by path; a blob whose bytes no longer match its hash, or that is gone, is
    'corrupt' (the council fails loudly), never parsed as if it were the fetched file."""
    from pipelines import rawstore
    from pipelines.spend import ingest
    from pipelines.spend.concurrent import _parse_in_worker

    body = ("Payment Date,Supplier Name,Amount\n" + "\n".join(
        f"{d:02d}/05/2024,Supplier {d} Ltd,{600 + d}.00" for d in range(1, 29)) + "\n").encode()
    raw = tmp_path / "raw"
    sha = rawstore.store(raw, body)
    status, result = _parse_in_worker(raw, sha, {"filename": "2024-05.csv"}, None)
    assert status == "ok" and result.kind == "spend" and result.rows.height == 28
    assert result.publication_id == sha

    blob = rawstore.blob_path(raw, sha)
    blob.chmod(0o644)
    blob.write_bytes(body.replace(b"Supplier 7 ", b"Supplier 9 "))  # same size, another payee
    status, message = _parse_in_worker(raw, sha, {"filename": "2024-05.csv"}, None)
    assert status == "corrupt" and "no longer matches its hash" in message
    with pytest.raises(ValueError, match="no longer matches"):
        ingest.parse_stored(raw, sha, {"filename": "2024-05.csv"}, lambda data, **kw: data)  # a caller's parser

    blob.unlink()
    status, message = _parse_in_worker(raw, sha, {"filename": "2024-05.csv"}, None)
    assert status == "corrupt" and "cannot be read" in message


def test_parse_workers_start_with_the_worker_allocator_setting(tmp_path, monkeypatch):
    """The allocator reads its setting when a process starts: the pool sets it before any worker exists, and
    an operator's own setting wins."""
    from pipelines import allocator, rawstore
    from pipelines.spend import concurrent

    monkeypatch.delenv(allocator.ALLOCATOR_ENV, raising=False)
    monkeypatch.delenv(allocator.C_ARENAS_ENV, raising=False)
    raw = tmp_path / "raw"
    sha = rawstore.store(raw, b"Payment Date,Supplier Name,Amount\n01/05/2024,A Ltd,600.00\n")

    def worker_settings() -> tuple[str, str]:
        pool = concurrent.ParsePool(1)
        try:
            assert pool.submit(raw, sha, {"filename": "2024-05.csv"}, None).result(timeout=120)[0] == "ok"
            (pid,) = list(pool._executor._processes)
            environ = dict(v.decode().split("=", 1) for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                           if b"=" in v)
            return environ[allocator.ALLOCATOR_ENV], environ[allocator.C_ARENAS_ENV]
        finally:
            pool.close()

    assert worker_settings() == (allocator.LEAN_ALLOCATOR, allocator.LEAN_C_ARENAS)
    monkeypatch.setenv(allocator.ALLOCATOR_ENV, "dirty_decay_ms:5000")
    monkeypatch.setenv(allocator.C_ARENAS_ENV, "4")
    assert worker_settings() == ("dirty_decay_ms:5000", "4")
