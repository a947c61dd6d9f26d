"""The notice clients against a tiny scripted server on 127.0.0.1, one trap per test: paging by `links.next`
followed verbatim, a repeated cursor, 403 waited out then the same URL again, 429 / 503 waited out, invalid
UTF-8, Find a Tender's invalid numbers, and windows never wider than each service allows. Waits go through an
injected `sleep` that records them, so nothing here really sleeps."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.http import PoliteSession
from pipelines.notices.clients import ContractsFinderClient, FindATenderClient, RateLimited


class Script:
    """Responses keyed by the request's path + query; a list is served in turn, its last entry repeated."""

    def __init__(self):
        self.routes: dict[str, list[tuple[int, bytes]]] = {}
        self.fallback = None  # callable(query) -> (status, body) for requests with no scripted route
        self.log: list[str] = []

    def respond(self, target: str):
        self.log.append(target)
        queue = self.routes.get(target)
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        if self.fallback:
            return self.fallback(parse_qs(urlsplit(target).query))
        return 404, b"{}"


@pytest.fixture()
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = script.respond(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


def _session() -> PoliteSession:
    return PoliteSession(None, retries=0, status_forcelist=(), min_interval_s=0)


def _package(ids, next_url=None) -> bytes:
    package = {"releases": [{"id": i, "ocid": f"ocds-{i}", "date": "2024-01-01T00:00:00Z", "tag": ["award"]}
                            for i in ids]}
    if next_url:
        package["links"] = {"next": next_url}
    return json.dumps(package).encode()


def _cf(server, sleeps, **kwargs) -> ContractsFinderClient:
    return ContractsFinderClient(server.base, _session(), wait_s=7.0, sleep=sleeps.append, **kwargs)


FIRST_CF = "/Published/Notices/OCDS/Search?publishedFrom=2024-01-01T00%3A00%3A00&publishedTo=2024-01-02T00%3A00%3A00&limit=100"


def test_contracts_finder_follows_next_verbatim_and_waits_out_403_on_the_same_url(server):
    # the cursor is opaque and carries a parameter the client would never build: it must be sent as given
    second = "/Published/Notices/OCDS/Search?cursor=cHVibGlzaGVkRnJvbT0=&odd=1"
    server.routes[FIRST_CF] = [(200, _package(["a", "b"], server.base + second))]
    server.routes[second] = [(403, b"Rate limit exceeded"), (403, b""), (200, _package(["c"]))]
    sleeps: list[float] = []
    client = _cf(server, sleeps)
    pages = list(client.iter_pages(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    assert [r["id"] for p in pages for r in p.releases] == ["a", "b", "c"]
    assert server.log == [FIRST_CF, second, second, second]  # the refused URL retried unchanged
    assert sleeps == [7.0, 7.0] and client.waits == 2
    assert pages[0].params["publishedFrom"] == "2024-01-01T00:00:00" and pages[1].params is None
    assert pages[1].window_start == datetime(2024, 1, 1) and pages[1].status == 200


def test_contracts_finder_gives_up_after_bounded_403s(server):
    server.routes[FIRST_CF] = [(403, b"")]
    sleeps: list[float] = []
    with pytest.raises(RateLimited, match="contracts_finder"):
        list(_cf(server, sleeps, max_waits=3).iter_pages(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    assert len(server.log) == 4 and sleeps == [7.0] * 3


def test_repeated_cursor_and_empty_page_end_the_window(server):
    loop = "/Published/Notices/OCDS/Search?cursor=AAAA"
    server.routes[FIRST_CF] = [(200, _package(["a"], server.base + loop))]
    server.routes[loop] = [(200, _package(["b"], server.base + loop))]  # points at itself
    pages = list(_cf(server, []).iter_pages(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    assert [r["id"] for p in pages for r in p.releases] == ["a", "b"] and len(server.log) == 2

    server.log.clear()
    empty_next = "/Published/Notices/OCDS/Search?cursor=BBBB"
    server.routes[FIRST_CF] = [(200, _package([], server.base + empty_next))]
    list(_cf(server, []).iter_pages(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    assert server.log == [FIRST_CF]  # an empty page with a next link is the end, not a reason to go on


def test_invalid_utf8_body_is_repaired(server):
    body = _package(["a"]).replace(b'"tag"', b'"title": "Caf\xe9 \x96 works", "tag"')  # cp1252 bytes
    server.routes[FIRST_CF] = [(200, body)]
    page = next(_cf(server, []).iter_pages(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    assert page.error is None and page.releases[0]["title"] == "Caf\u00e9 \u2013 works"
    assert page.body == body  # the raw bytes are kept as served


def test_contracts_finder_windows_are_at_most_15_days(server):
    server.fallback = lambda query: (200, _package([]))
    list(_cf(server, []).iter_pages(datetime(2024, 1, 1), datetime(2024, 3, 1)))
    widths = []
    for target in server.log:
        query = parse_qs(urlsplit(target).query)
        widths.append((datetime.fromisoformat(query["publishedFrom"][0]),
                       datetime.fromisoformat(query["publishedTo"][0])))
    assert max(end - start for start, end in widths) <= timedelta(days=15)
    assert widths[0][0] == datetime(2024, 1, 1) and widths[-1][1] == datetime(2024, 3, 1)
    assert all(a[1] == b[0] for a, b in zip(widths, widths[1:]))  # contiguous, no gap, no overlap
    assert len(widths) == 4  # 60 days in 15-day windows


def _fts_releases(query) -> list[dict]:
    start = datetime.fromisoformat(query["updatedFrom"][0])
    end = datetime.fromisoformat(query["updatedTo"][0])
    # one release an hour, published by the hour it falls in
    hours = [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)) + 1)]
    return [{"id": f"r{h:%d%H}", "ocid": f"o{h:%d%H}", "date": f"{h:%Y-%m-%dT%H:%M:%SZ}", "tag": ["award"]}
            for h in hours if start <= h < end]


def test_find_a_tender_splits_a_truncated_window_and_keeps_within_six_hours(server):
    def truncating(query):
        releases = _fts_releases(query)
        # like the real service on a busy window: a full page and no links.next at all
        return 200, json.dumps({"releases": releases[:3]}).encode()

    server.fallback = truncating
    client = FindATenderClient(server.base, _session(), wait_s=0.0, sleep=lambda s: None, page_limit=3)
    start = datetime(2024, 5, 1)
    pages = list(client.iter_pages(start, start + timedelta(hours=12)))
    ids = [r["id"] for p in pages for r in p.releases]
    assert sorted(set(ids)) == sorted(f"r01{h:02d}" for h in range(12))  # all twelve hours, none lost
    windows = [(datetime.fromisoformat(q["updatedFrom"][0]), datetime.fromisoformat(q["updatedTo"][0]))
               for q in (parse_qs(urlsplit(t).query) for t in server.log)]
    assert max(end - begin for begin, end in windows) <= timedelta(hours=6)
    assert any(end - begin < timedelta(hours=6) for begin, end in windows)  # it did split


def test_find_a_tender_429_and_503_are_waited_out_and_bad_numbers_patched(server):
    first = "/api/1.0/ocdsReleasePackages?updatedFrom=2024-05-01T00%3A00%3A00&updatedTo=2024-05-01T06%3A00%3A00&limit=100"
    body = (b'{"releases": [{"id": "r1", "ocid": "o1", "date": "2024-05-01T01:00:00Z", "tag": ["award"], '
            b'"awards": [{"id": "a1", "value": {"amount": 1e9999, "currency": "GBP"}}], '
            b'"contracts": [{"awardID": "a1", "value": {"amount": 000, "amountGross": 000, "currency": "GBP"}}]}]}')
    server.routes[first] = [(429, b"12 request limit in 2 minute exceeded"), (503, b""), (200, body)]
    sleeps: list[float] = []
    client = FindATenderClient(server.base, _session(), wait_s=30.0, sleep=sleeps.append)
    pages = list(client.iter_pages(datetime(2024, 5, 1), datetime(2024, 5, 1, 6)))
    assert sleeps == [30.0, 30.0] and server.log == [first] * 3
    release = pages[0].releases[0]
    assert release["awards"][0]["value"]["amount"] is None  # 1e9999: no usable value, never infinity
    assert release["contracts"][0]["value"]["amount"] == 0


def test_find_a_tender_min_interval_is_kept_between_calls(server):
    import time

    server.fallback = lambda query: (200, _package([]))
    session = PoliteSession(None, min_interval_s=0.2, retries=0, status_forcelist=())
    client = FindATenderClient(server.base, session, wait_s=0.0, sleep=lambda s: None)
    began = time.monotonic()
    list(client.iter_pages(datetime(2024, 5, 1), datetime(2024, 5, 1, 18)))  # three 6-hour windows
    assert len(server.log) == 3 and time.monotonic() - began >= 0.4
