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


class StaleValidatorServer:
    """A server whose bytes change while its validators do not: /etag.csv keeps one ETag and answers 304 to it;
    /ims.csv keeps one Last-Modified and answers 304 to any If-Modified-Since."""

    def __init__(self):
        from tests.hostile import HostileServer, Reply

        self.bodies = {"/etag.csv": BODY, "/ims.csv": BODY}
        self.server = HostileServer().__enter__()
        self.base = self.server.base

        def etag_file(req, _n):
            if req.headers.get("If-None-Match") == '"v1"':
                return Reply.send(req, 304, b"", {"ETag": '"v1"'}, length=0)
            Reply.send(req, 200, self.bodies["/etag.csv"], {"Content-Type": "text/csv", "ETag": '"v1"'})

        def ims_file(req, _n):
            if req.headers.get("If-Modified-Since"):
                return Reply.send(req, 304, b"", {}, length=0)
            Reply.send(req, 200, self.bodies["/ims.csv"],
                       {"Content-Type": "text/csv", "Last-Modified": "Mon, 01 Apr 2024 00:00:00 GMT"})

        self.server.route("/etag.csv", etag_file)
        self.server.route("/ims.csv", ims_file)

    def close(self):
        self.server.__exit__(None, None, None)


def _age_manifest(con, days: int) -> None:
    con.execute(f"update raw.fetch_manifest set fetched_at = fetched_at - interval {days} day")


def test_validators_are_trusted_for_a_bounded_time_then_the_file_is_read_whole(warehouse):
    """A server that keeps its ETag (or Last-Modified) while the bytes change is re-read without validators once
    the URL's last unconditional fetch is `revalidate_after_days` old; the hash decides what changed, and an
    unchanged body costs no second blob."""
    stale = StaleValidatorServer()
    session = PoliteSession(allowed_hosts={stale.base.removeprefix("http://")}, retries=0, backoff=0,
                            min_interval_s=0)
    changed = BODY + b"02/04/2024,Acme Ltd,9999.99\n"
    try:
        with warehouse.connect() as con:
            for path in ("/etag.csv", "/ims.csv"):
                url = stale.base + path
                first = fetch_file(link(url), session, con, warehouse.raw_dir, "E06999999")
                assert first.http_status == 200 and not first.conditional
                stale.bodies[path] = changed
                # within the bound the validators are trusted: the change is not seen yet
                assert fetch_file(link(url), session, con, warehouse.raw_dir, "E06999999").not_modified
                _age_manifest(con, 29)
                assert fetch_file(link(url), session, con, warehouse.raw_dir, "E06999999").not_modified
                _age_manifest(con, 1)  # the last unconditional fetch is now 30 days old
                reread = fetch_file(link(url), session, con, warehouse.raw_dir, "E06999999")
                sent = stale.server.log[-1]
                assert sent["inm"] is None and "If-Modified-Since" not in str(sent)
                assert reread.http_status == 200 and not reread.conditional
                assert reread.sha256 == sha256_hex(changed) != first.sha256
                # the clock restarts: the next fetch is conditional again
                assert fetch_file(link(url), session, con, warehouse.raw_dir, "E06999999").conditional
            rows = con.execute("select url, http_status, conditional from raw.fetch_manifest "
                               "order by url, fetched_at").fetchall()
            # an unchanged body re-read whole is the same blob: nothing new is stored
            blobs = sorted(p.name for p in warehouse.raw_dir.glob("??/*") if p.is_file())
            _age_manifest(con, 30)
            again = fetch_file(link(stale.base + "/etag.csv"), session, con, warehouse.raw_dir, "E06999999")
            assert again.http_status == 200 and again.sha256 == sha256_hex(changed)
            assert sorted(p.name for p in warehouse.raw_dir.glob("??/*") if p.is_file()) == blobs
    finally:
        stale.close()
    for path in ("/etag.csv", "/ims.csv"):
        assert [(r[1], r[2]) for r in rows if r[0].endswith(path)] == [
            (200, False), (304, True), (304, True), (200, False), (304, True)]


def test_the_revalidation_bound_holds_on_the_parallel_path_and_is_a_setting(warehouse, tmp_path):
    """ingest_councils reads every URL's last unconditional fetch from one snapshot (last_fetches.sql);
    `revalidate_after_days` sets the bound."""
    from pipelines.config import SourcesConfig
    from pipelines.spend.concurrent import ingest_councils
    from tests.test_spend_load import stand_in_parse

    stale = StaleValidatorServer()
    body = b"date,supplier,amount\n01/04/2024,Acme Ltd,600.00\n"
    stale.bodies["/etag.csv"] = body
    stale.server.route("/spending", lambda req, n: __import__("tests.hostile").hostile.Reply.send(
        req, 200, b'<html><a href="/etag.csv">Spending over 500 April 2024 (CSV)</a></html>',
        {"Content-Type": "text/html"}))
    council = {"gss": "E06999999", "name": "Stale Council", "website": stale.base + "/",
               "landing_urls": stale.base + "/spending", "discovery": "html"}
    config = SourcesConfig(ckan_url=stale.base + "/api/action", revalidate_after_days=7)
    session = PoliteSession(allowed_hosts=config.allowed_hosts([stale.base]), retries=0, backoff=0,
                            min_interval_s=0)

    def night() -> dict:
        return ingest_councils([council], session=session, warehouse=warehouse, config=config,
                               parse=stand_in_parse, progress=lambda _m: None, fetch_concurrency=2)[0]

    def current_total():
        with warehouse.connect() as con:
            return con.execute("select sum(amount) from staging.spend_lines where is_current").fetchone()[0]

    try:
        assert night()["fetched"] == 1
        stale.bodies["/etag.csv"] = body.replace(b"600.00", b"777.77")
        assert night()["not_modified"] == 1 and float(current_total()) == 600.00
        with warehouse.connect() as con:
            _age_manifest(con, 7)
        report = night()
        assert report["fetched"] == 1 and report["parsed"] == 1 and float(current_total()) == 777.77
    finally:
        stale.close()
