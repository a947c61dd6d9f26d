"""Conditional GET into the raw layer: stored once, 304 not re-stored, one manifest row per fetch, failures
quarantined."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.http import PoliteSession
from pipelines.rawstore import blob_path, sha256_hex
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.fetch import fetch_file

BODY = b"Date,Supplier,Amount\n01/04/2024,Acme Ltd,600.00\n"


class FileServer:
    """Serves BODY at /a.csv and /b.csv with an ETag; answers 304 to a matching If-None-Match; 500 at /broken."""

    def __init__(self):
        self.headers_seen: list[dict] = []
        seen = self.headers_seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append({"path": self.path, **dict(self.headers)})
                if self.path == "/broken":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = f'"{sha256_hex(BODY)[:16]}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Mon, 01 Apr 2024 00:00:00 GMT")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def server():
    s = FileServer()
    yield s
    s.close()


def link(url: str) -> DiscoveredLink:
    return DiscoveredLink(url=url, link_text="April 2024", landing_page="", period_label="2024-04", format_hint="csv")


def test_conditional_get_stores_once_and_records_every_fetch(server, warehouse):
    session = PoliteSession(allowed_hosts={server.base.removeprefix("http://")}, retries=0, backoff=0, min_interval_s=0)
    with warehouse.connect() as con:
        first = fetch_file(link(f"{server.base}/a.csv"), session, con, warehouse.raw_dir, "E06999999")
        assert first.ok and not first.not_modified and first.http_status == 200
        assert first.sha256 == sha256_hex(BODY) and first.body(warehouse.raw_dir) == BODY
        assert blob_path(warehouse.raw_dir, first.sha256).read_bytes() == BODY

        second = fetch_file(link(f"{server.base}/a.csv"), session, con, warehouse.raw_dir, "E06999999")
        assert second.not_modified and second.http_status == 304 and second.bytes is None
        assert second.sha256 == first.sha256
        assert server.headers_seen[-1]["If-None-Match"] == f'"{sha256_hex(BODY)[:16]}"'
        assert server.headers_seen[-1]["If-Modified-Since"] == "Mon, 01 Apr 2024 00:00:00 GMT"

        # the same body under a second URL: downloaded (no validators yet) but stored once
        other = fetch_file(link(f"{server.base}/b.csv"), session, con, warehouse.raw_dir, "E06999999")
        assert other.http_status == 200 and other.sha256 == first.sha256
        blobs = [p for p in warehouse.raw_dir.glob("??/*") if p.is_file()]
        assert len(blobs) == 1

        rows = con.execute("select url, http_status, sha256, etag, bytes, council_gss, period_label "
                           "from raw.fetch_manifest order by fetched_at").fetchall()
    assert [(r[0].removeprefix(server.base), r[1]) for r in rows] == [("/a.csv", 200), ("/a.csv", 304), ("/b.csv", 200)]
    assert rows[0][2] == sha256_hex(BODY) and rows[1][2] is None and rows[0][4] == len(BODY)
    assert all(r[5] == "E06999999" and r[6] == "2024-04" for r in rows)


def test_failed_fetch_is_quarantined_not_raised(server, warehouse):
    session = PoliteSession(allowed_hosts={server.base.removeprefix("http://")}, retries=0, backoff=0, min_interval_s=0)
    with warehouse.connect() as con:
        broken = fetch_file(link(f"{server.base}/broken"), session, con, warehouse.raw_dir, "E06999999")
        refused = fetch_file(link("https://not-in-registry.example/x.csv"), session, con, warehouse.raw_dir, "E06999999")
        assert not broken.ok and broken.http_status == 500
        assert not refused.ok and refused.http_status == 0 and refused.reason_code == "host_not_allowed"
        assert broken.reason_code == "http_5xx" and broken.transient and not refused.transient
        quarantined = con.execute("select source_url, reason_code from staging.quarantine order by source_url").fetchall()
        statuses = con.execute("select http_status from raw.fetch_manifest order by http_status").fetchall()
    assert [q[1] for q in quarantined] == ["fetch_error:http_5xx", "fetch_error:host_not_allowed"]
    assert [s[0] for s in statuses] == [0, 500]
