"""Loopback HTTP server for the sample world, with the real services' HTTP behaviour scaled down.

Council sites are static files (strong ETag = sha256 of the body, fixed Last-Modified, 304 on a matching
conditional GET, a 301 from an old landing URL, 429 + Retry-After on bursts). Contracts Finder's OCDS search pages
and Find a Tender's release packages are built per request from the stored releases with their real paging and
limiter quirks: CF answers 403 with an HTML page while rate-limited; FTS answers 429 without Retry-After when
called too fast, 400 on unknown parameters, and returns a full page without `links.next` when a window longer
than 6 hours holds more than `limit` releases.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import gzip
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from pipelines.sample.notices import CF_EXTENSIONS, FTS_EXTENSIONS, LICENSE, POLICY, PUBLISHER, uk_time

CF_SEARCH = "/Published/Notices/OCDS/Search"
FTS_PACKAGES = "/api/1.0/ocdsReleasePackages"
FTS_PARAMS = {"stages", "limit", "cursor", "updatedFrom", "updatedTo"}
CF_FORBIDDEN = (b"<!DOCTYPE html><html><head><title>Forbidden - Contracts Finder</title></head><body>"
                b"<h1>Forbidden</h1><p>The request rate limit may have been exceeded. Please try again later.</p>"
                b"</body></html>")
NOT_FOUND = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"


@dataclass(frozen=True)
class ServerLimits:
    cf_max_requests: int = 30  # more than this within cf_window_s -> 403 for cf_block_s
    cf_window_s: float = 1.0
    cf_block_s: float = 1.0
    fts_min_interval_s: float = 0.2  # two FTS requests closer than this -> 429 without Retry-After
    council_max_per_s: int = 60  # council pages/files per second before 429 with Retry-After: 1


class RequestLog:
    """Thread-safe, append-only list of request records."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[dict] = []

    def append(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self):
        return iter(self.snapshot())

    def __getitem__(self, i):
        return self.snapshot()[i]


def parse_when(text: str, end_of_day: bool = False) -> dt.datetime:
    """ISO date or datetime; naive values are UTC."""
    text = text.strip().replace(" ", "+")  # '+' in a query string arrives as a space
    if len(text) == 10:
        d = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
        return d + dt.timedelta(days=1, microseconds=-1) if end_of_day else d
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def encode_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> dict[str, str]:
    text = base64.b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
    return dict(part.split("=", 1) for part in text.split("|") if "=" in part)


class ReleaseStore:
    """Releases of one service: raw bytes per release, with dates and tags for filtering; newest first."""

    def __init__(self, jsonl: Path, index: Path):
        self.raw = jsonl.read_bytes().split(b"\n")[:-1]
        self.meta = json.loads(index.read_text("utf-8"))
        for m in self.meta:
            m["t"] = parse_when(m["date_utc"])

    def select(self, start: dt.datetime | None, end: dt.datetime | None, stages: set[str] | None) -> list[int]:
        return [i for i, m in enumerate(self.meta)
                if (start is None or m["t"] >= start) and (end is None or m["t"] <= end)
                and (not stages or stages.intersection(m["tags"]))]


class SampleServer:
    def __init__(self, world_dir: Path, limits: ServerLimits = ServerLimits(), port: int = 0):
        self.world_dir = Path(world_dir)
        self.limits = limits
        self.port = port
        self.request_log = RequestLog()
        self.edition = 1
        index = json.loads((self.world_dir / "site_index.json").read_text("utf-8"))
        self.routes = {1: index["edition1"], 2: {**index["edition1"], **index["edition2"]}}
        self.redirects: dict[str, str] = index["redirects"]
        self._edition2_keys = set(index["edition2"])
        self.ckan = json.loads((self.world_dir / "ckan" / "packages.json").read_text("utf-8"))
        nd = self.world_dir / "notices"
        self.cf = ReleaseStore(nd / "contracts_finder.jsonl", nd / "contracts_finder_index.json")
        self.fts = ReleaseStore(nd / "find_a_tender.jsonl", nd / "find_a_tender_index.json")
        self._lock = threading.Lock()
        self._cf_times: deque[float] = deque()
        self._cf_blocked_until = 0.0
        self._fts_last = -1e9
        self._council_times: deque[float] = deque()
        self._cache: dict[tuple[int, str], bytes] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle
    def start(self) -> "SampleServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes: without this, Nagle's algorithm meets the client's
            # delayed ACK and every keep-alive response waits ~40 ms
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 (http.server naming)
                server.handle(self, head=False)

            def do_HEAD(self):  # noqa: N802
                server.handle(self, head=True)

            def log_message(self, *args):  # the request log replaces stderr logging
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sample-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "SampleServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- dispatch
    def handle(self, req: BaseHTTPRequestHandler, head: bool) -> None:
        parts = urlsplit(req.path)
        path, query = parts.path, parts.query
        params = dict(parse_qsl(query, keep_blank_values=True))
        status, headers, body = self.route(path, query, params, req.headers)
        self.request_log.append({
            "method": "HEAD" if head else "GET", "path": path, "query": query, "status": status,
            "headers": {k: req.headers.get(k) for k in ("If-None-Match", "If-Modified-Since", "User-Agent")
                        if req.headers.get(k) is not None},
            "t": time.time()})
        req.send_response(status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body) if status != 304 else 0))
        req.end_headers()
        if not head and status != 304:
            req.wfile.write(body)

    def route(self, path: str, query: str, params: dict, headers) -> tuple[int, dict, bytes]:
        bulk = re.fullmatch(r"/en/publication/(128|41)/download", path)
        if bulk:
            return self.bulk_year(self.cf if bulk.group(1) == "128" else self.fts, params.get("name", ""), headers)
        if path == CF_SEARCH:
            return self.contracts_finder(params)
        if path == FTS_PACKAGES:
            return self.find_a_tender(params)
        if path.startswith("/api/action/"):
            return self.ckan_action(path.rsplit("/", 1)[1], params)
        if path.startswith("/councils/") and self._council_burst():
            return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"Too Many Requests"
        target = path.rstrip("/") or "/"
        if target in self.redirects:
            location = self.redirects[target] + (f"?{query}" if query else "")
            return 301, {"Location": location, "Content-Type": "text/html; charset=utf-8"}, b"Moved Permanently"
        routes = self.routes[self.edition]
        key = f"{target}?{query}" if query and f"{target}?{query}" in routes else target
        entry = routes.get(key)
        if entry is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND
        root = "site_edition2" if self.edition == 2 and key in self._edition2_keys else "site"
        body = self._read(root, entry["file"])
        return self.conditional(headers, body, entry["content_type"], entry["last_modified"])

    def _read(self, root: str, rel: str) -> bytes:
        key = (root, rel)
        if key not in self._cache:
            self._cache[key] = (self.world_dir / root / rel).read_bytes()
        return self._cache[key]

    @staticmethod
    def conditional(headers, body: bytes, content_type: str, last_modified: str | None) -> tuple[int, dict, bytes]:
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        out = {"Content-Type": content_type, "ETag": etag}
        if last_modified:
            out["Last-Modified"] = last_modified
        inm = headers.get("If-None-Match")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return 304, out, b""
        elif headers.get("If-Modified-Since") and last_modified:
            try:
                since = email.utils.parsedate_to_datetime(headers["If-Modified-Since"])
                if email.utils.parsedate_to_datetime(last_modified) <= since:
                    return 304, out, b""
            except (TypeError, ValueError):
                pass  # an unparseable date is ignored, as RFC 9110 says
        return 200, out, body

    # -- limiters
    def _council_burst(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._council_times and now - self._council_times[0] > 1.0:
                self._council_times.popleft()
            self._council_times.append(now)
            return len(self._council_times) > self.limits.council_max_per_s

    def _cf_limited(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._cf_blocked_until:
                return True
            while self._cf_times and now - self._cf_times[0] > self.limits.cf_window_s:
                self._cf_times.popleft()
            self._cf_times.append(now)
            if len(self._cf_times) > self.limits.cf_max_requests:
                self._cf_blocked_until = now + self.limits.cf_block_s
                self._cf_times.clear()
                return True
            return False

    def _fts_too_fast(self) -> bool:
        now = time.monotonic()
        with self._lock:
            too_fast = now - self._fts_last < self.limits.fts_min_interval_s
            self._fts_last = now  # every request counts, rejected ones too (as behind the real load balancer)
            return too_fast

    # -- Contracts Finder
    def contracts_finder(self, params: dict) -> tuple[int, dict, bytes]:
        if self._cf_limited():
            return 403, {"Content-Type": "text/html; charset=utf-8"}, CF_FORBIDDEN
        if params.get("cursor"):
            params = {**params, **decode_cursor(params["cursor"])}
        try:
            limit = int(params.get("limit", "100"))
            start = parse_when(params["publishedFrom"]) if params.get("publishedFrom") else None
            end = parse_when(params["publishedTo"], end_of_day=True) if params.get("publishedTo") else None
        except ValueError:
            return 400, {"Content-Type": "application/json"}, b'{"code":"ValidationError","errors":"Incorrect request"}'
        if not 1 <= limit <= 100:
            return 400, {"Content-Type": "application/json"}, b'{"code":"ValidationError","errors":"limit must be 1-100"}'
        stages = set(params["stages"].split(",")) if params.get("stages") else None
        offset = int(params.get("nextCursor", "0"))
        hits = self.cf.select(start, end, stages)
        page = hits[offset:offset + limit]
        echo = {k: params[k] for k in ("publishedFrom", "publishedTo", "stages") if params.get(k)}
        query = urlencode({"limit": limit, **echo})
        head = {"uri": f"{self.base_url}{CF_SEARCH}?{query}", "version": "1.1", "extensions": CF_EXTENSIONS,
                "publishedDate": self.cf.meta[page[0]]["date"] if page else uk_time(dt.datetime.now(dt.timezone.utc)),
                "publisher": PUBLISHER, "license": LICENSE, "publicationPolicy": POLICY}
        links = {}
        if offset + limit < len(hits):
            cursor = encode_cursor("|".join(f"{k}={v}" for k, v in {**echo, "limit": limit,
                                                                    "nextCursor": offset + limit}.items()))
            links["next"] = f"{self.base_url}{CF_SEARCH}?{query}&cursor={cursor}"
        return 200, {"Content-Type": "application/json; charset=utf-8"}, self._package(head, self.cf, page, links)

    @staticmethod
    def _package(head: dict, store: ReleaseStore, page: list[int], links: dict) -> bytes:
        # releases go in as stored bytes: some are deliberately not valid UTF-8 / JSON, as on the real services
        prefix = json.dumps(head, ensure_ascii=False)[:-1].encode("utf-8")
        body = prefix + b', "releases": [' + b", ".join(store.raw[i] for i in page) + b"]"
        if links:
            body += b', "links": ' + json.dumps(links).encode()
        return body + b"}"

    # -- Find a Tender
    def find_a_tender(self, params: dict) -> tuple[int, dict, bytes]:
        if self._fts_too_fast():
            return 429, {"Content-Type": "text/plain"}, b"12 request limit in 2 minute exceeded"
        unknown = sorted(set(params) - FTS_PARAMS)
        if unknown:
            message = {"status": 400, "error": "Bad Request", "message": "Request parameters unknown",
                       "exception": f"Request parameter '{unknown[0]}' is not recognised, allowed parameters are: "
                                    "stages, limit, cursor, updatedFrom, updatedTo"}
            return 400, {"Content-Type": "application/json"}, json.dumps(message).encode()
        if params.get("cursor"):
            params = {**params, **decode_cursor(params["cursor"])}
        limit = int(params.get("limit", "100"))
        if not 1 <= limit <= 100:
            return 400, {"Content-Type": "application/json"}, b'{"status":400,"error":"Bad Request"}'
        start = parse_when(params["updatedFrom"]) if params.get("updatedFrom") else None
        end = parse_when(params["updatedTo"], end_of_day=True) if params.get("updatedTo") else None
        stages = set(params["stages"].split(",")) if params.get("stages") else None
        offset = int(params.get("nextCursor", "0"))
        hits = self.fts.select(start, end, stages)
        page = hits[offset:offset + limit]
        echo = {k: params[k] for k in ("updatedFrom", "updatedTo", "stages") if params.get(k)}
        query = urlencode({"limit": limit, **echo})
        head = {"uri": f"{self.base_url}{FTS_PACKAGES}?{query}", "version": "1.1", "extensions": FTS_EXTENSIONS,
                "publishedDate": self.fts.meta[page[0]]["date"] if page else uk_time(dt.datetime.now(dt.timezone.utc)),
                "publisher": PUBLISHER, "license": LICENSE, "publicationPolicy": POLICY}
        wide = start is None or end is None or (end - start) > dt.timedelta(hours=6)
        links = {}
        if offset + limit < len(hits) and not wide:  # the real service silently drops `next` on wide windows
            cursor = encode_cursor("|".join(f"{k}={v}" for k, v in {**echo, "nextCursor": offset + limit}.items()))
            links["next"] = f"{self.base_url}{FTS_PACKAGES}?{query}&cursor={cursor}"
        return 200, {"Content-Type": "application/json"}, self._package(head, self.fts, page, links)

    # -- Open Contracting Data Registry: one gzipped JSON Lines file of releases per year
    def bulk_year(self, store: ReleaseStore, name: str, headers) -> tuple[int, dict, bytes]:
        match = re.fullmatch(r"(\d{4})\.jsonl\.gz", name)
        if not match:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND
        year = int(match.group(1))
        lines = b"".join(store.raw[i] + b"\n" for i, m in enumerate(store.meta) if m["t"].year == year)
        body = gzip.compress(lines, mtime=0)  # fixed mtime: the same year is the same bytes (ETag stable)
        return self.conditional(headers, body, "application/gzip", None)

    # -- CKAN
    def ckan_action(self, action: str, params: dict) -> tuple[int, dict, bytes]:
        def resolve(package: dict) -> dict:
            return json.loads(json.dumps(package).replace("{base}", self.base_url))

        help_url = f"{self.base_url}/api/3/action/help_show?name={action}"
        if action == "package_show":
            found = next((p for p in self.ckan if params.get("id") in (p["id"], p["name"])), None)
            if not found:
                body = {"help": help_url, "success": False, "error": {"message": "Not found", "__type": "Not Found Error"}}
                return 404, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(body).encode()
            body = {"help": help_url, "success": True, "result": resolve(found)}
        elif action == "package_search":
            words = [w.lower() for w in params.get("q", "").replace(":", " ").split() if len(w) > 2 and w != "or"]
            hits = [resolve(p) for p in self.ckan
                    if not words or any(w.strip('"*') in (p["title"] + " " + p["notes"] + " " + p["name"]).lower()
                                        for w in words)]
            body = {"help": help_url, "success": True, "result": {"count": len(hits), "results": hits, "sort":
                                                                  "score desc, metadata_modified desc"}}
        else:
            return 404, {"Content-Type": "application/json;charset=utf-8"}, b'{"success": false}'
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.conditional({}, payload, "application/json;charset=utf-8", None)
