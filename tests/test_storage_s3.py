"""Object storage (pipelines/storage.py) against a real S3-compatible server: moto's server mode, started by this
module on 127.0.0.1 (one server for the module), spoken to over HTTP by s3fs exactly as a bucket would be.

Raw blobs go through the edge's streaming download into the bucket and back (hash-checked, corruption refused);
an extract release is written there and DuckDB reads its parquet back through fsspec (no httpfs extension).
"""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import duckdb
import pytest
from moto.server import ThreadedMotoServer  # the dev extra installs moto[server] and s3fs: a missing one fails here

from pipelines import rawstore
from pipelines.edge import PoliteSession
from pipelines.extracts.build import ReleaseExists, build_release
from pipelines.rawstore import RawStore
from pipelines.storage import Storage
from pipelines.warehouse import Warehouse
from tests.test_extracts_seed import seed_published_warehouse
from tests.test_spend_fetch import BODY, FileServer

BUCKET = "keepitlocal-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """(endpoint, storage options) of a moto S3 server on loopback, with an empty bucket."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {"endpoint_url": endpoint, "key": "testing", "secret": "testing",
               "client_kwargs": {"region_name": "eu-west-2"}}
    try:
        Storage(f"s3://{BUCKET}", options).fs.mkdir(BUCKET)
        yield endpoint, options
    finally:
        server.stop()


def test_raw_blobs_round_trip_through_the_bucket_hash_checked(s3, tmp_path):
    _, options = s3
    raw = RawStore(tmp_path / "raw", Storage(f"s3://{BUCKET}/raw", options))
    body = BODY
    sha = hashlib.sha256(body).hexdigest()

    # the edge streams a download into the local spool, then it goes up as one object
    server = FileServer()
    try:
        session = PoliteSession({server.base}, min_interval_s=0)
        download = session.download(f"{server.base}/a.csv", raw)
        session.close()
    finally:
        server.close()
    assert download.status == 200 and download.sha256 == sha and download.bytes == len(body)
    assert raw.remote.fs.exists(f"{BUCKET}/raw/{sha[:2]}/{sha}")
    assert not any((tmp_path / "raw" / ".incoming").iterdir())  # the spool is left empty
    assert rawstore.exists(raw, sha) and rawstore.read(raw, sha) == body

    # bytes stored directly, and a file copied in: one object per distinct body
    other = b"another file"
    assert rawstore.store(raw, other) == hashlib.sha256(other).hexdigest()
    source = tmp_path / "copy.csv"
    source.write_bytes(body)
    assert rawstore.store_file(raw, source) == (sha, len(body))
    assert sorted(raw.remote.list()) == sorted([f"{sha[:2]}/{sha}", RawStore.key(hashlib.sha256(other).hexdigest())])

    # a reader that needs a file on disk gets a verified local copy
    assert rawstore.local_path(raw, sha).read_bytes() == body

    # an object whose bytes no longer match its name is refused, never parsed
    bad = hashlib.sha256(b"x").hexdigest()
    raw.remote.write_bytes(RawStore.key(bad), b"not x")
    with pytest.raises(ValueError, match="corrupt"):
        rawstore.read(raw, bad)
    with pytest.raises(ValueError, match="corrupt"):
        rawstore.local_path(raw, bad)

    # the spend parser reads a temporary download (hash-checked by the parse), never left in the cache
    from pipelines.spend.ingest import parse_stored

    spend = b"Payment Date,Supplier Name,Amount\n01/05/2024,Acme Ltd,600.00\n02/05/2024,Acme Ltd,700.00\n"
    spend_sha = rawstore.store(raw, spend)
    result = parse_stored(raw, spend_sha, {"filename": "2024-05.csv"})
    assert result.kind == "spend" and result.rows.height == 2 and result.publication_id == spend_sha
    assert not raw._cache_path(spend_sha).exists()
    assert not any((tmp_path / "raw" / ".incoming").iterdir())
    with pytest.raises(ValueError, match="corrupt"):
        parse_stored(raw, bad, {"filename": "2024-05.csv"})

    # the warehouse hands the same store to every caller when configured, and the local Path when not
    configured = Warehouse(tmp_path / "wh", raw_url=f"s3://{BUCKET}/raw").raw_store
    assert isinstance(configured, RawStore) and configured.remote.url == f"s3://{BUCKET}/raw"
    assert Warehouse(tmp_path / "wh").raw_store == tmp_path / "wh" / "raw"


def test_extract_release_written_to_the_bucket_and_read_by_duckdb(s3, tmp_path, monkeypatch):
    _, options = s3
    monkeypatch.setenv("KEEPITLOCAL_STORAGE_OPTIONS", json.dumps(options))
    warehouse = Warehouse(tmp_path / "wh", extracts_url=f"s3://{BUCKET}/extracts")
    seed = seed_published_warehouse(warehouse.published_path)
    release = build_release(warehouse.published_path, warehouse.extracts_target, "2025-05-01",
                            pipeline_version="9.9.9-test", sources=[])
    store = Storage(f"s3://{BUCKET}/extracts")
    assert release.url == f"s3://{BUCKET}/extracts/2025-05-01"
    assert store.read_bytes("LATEST").decode().strip() == "2025-05-01"
    package = json.loads(store.read_bytes("2025-05-01/datapackage.json"))
    # every file the package lists is in the bucket with the size and sha256 it declares
    listed = 0
    for resource in package["resources"]:
        paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        for path in paths:
            data = store.read_bytes(f"2025-05-01/{path}")
            listed += 1
            if len(paths) == 1 and "hash" in resource:
                assert hashlib.sha256(data).hexdigest() == resource["hash"].split(":")[-1]
                assert len(data) == resource["bytes"]
    assert listed > 5 and store.exists("2025-05-01/index.html")

    # DuckDB reads the parquet extracts straight from the bucket through fsspec
    con = duckdb.connect()
    store.register_with_duckdb(con)
    payments = con.execute("select count(*), sum(amount) from read_parquet(?, hive_partitioning = true)",
                           [store.uri("2025-05-01/core/fact_payment/**/*.parquet")]).fetchone()
    con.close()
    local = duckdb.connect(str(warehouse.published_path), read_only=True)
    expected = local.execute("select count(*), sum(amount) from core.fact_payment").fetchone()
    local.close()
    assert payments == expected and payments[0] == len(seed.payments)

    # releases are immutable there too
    with pytest.raises(ReleaseExists):
        build_release(warehouse.published_path, warehouse.extracts_target, "2025-05-01",
                      pipeline_version="9.9.9-test", sources=[])
    assert not Path(release.path).is_absolute()
