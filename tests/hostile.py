"""A hostile loopback HTTP server for the edge and fault tests: every way a real server has misbehaved.

Routes are scripted per test through `HostileServer.route(path, handler)`; the stock behaviours below cover
the fault list (500/503 with and without Retry-After, reset mid-body, short body, stall, drip, redirects to
other hosts and in loops, a multi-gigabyte Content-Length, deep JSON, HTML served as CSV, a body that changes
between requests). It binds 127.0.0.1 only, and every stalling handler gives up by itself after `max_stall_s`,
so a test can never leave traffic running.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Reply:
    """Helpers a route handler uses to answer (`req` is the BaseHTTPRequestHandler)."""

    @staticmethod
    def send(req, status: int, body: bytes = b"", headers: dict | None = None, length: int | None = None) -> None:
        req.send_response(status)
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body) if length is None else length))
        req.end_headers()
        if req.command != "HEAD" and body:
            try:
                req.wfile.write(body)
            except OSError:
                pass

    @staticmethod
    def file(req, body: bytes, content_type: str = "text/csv", etag: bool = True) -> None:
        """200 with a strong ETag (sha256), or 304 to a matching If-None-Match."""
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if etag and req.headers.get("If-None-Match") == tag:
            Reply.send(req, 304, b"", {"ETag": tag}, length=0)
            return
        headers = {"Content-Type": content_type}
        if etag:
            headers["ETag"] = tag
        Reply.send(req, 200, body, headers)

    @staticmethod
    def reset(req) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0)."""
        try:
            req.wfile.flush()
            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            req.connection.close()
        except OSError:
            pass
        req.close_connection = True


class HostileServer:
    def __init__(self, max_stall_s: float = 20.0):
        self.max_stall_s = max_stall_s
        self.routes: dict[str, Callable] = {}
        self.hits: dict[str, int] = {}
        self.log: list[dict] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802
                server._dispatch(self)

            def do_HEAD(self):  # noqa: N802
                server._dispatch(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "HostileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def route(self, path: str, handler: Callable) -> str:
        self.routes[path] = handler
        return self.url(path)

    def _dispatch(self, req) -> None:
        path = req.path.split("?", 1)[0]
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            count = self.hits[path]
            self.log.append({"path": req.path, "t": time.time(), "ua": req.headers.get("User-Agent"),
                             "inm": req.headers.get("If-None-Match")})
        handler = self.routes.get(path)
        if handler is None:
            Reply.send(req, 404, b"not found", {"Content-Type": "text/plain"})
            return
        handler(req, count)

    def sleep(self, seconds: float) -> None:
        """Sleep in a handler, but never past max_stall_s in total and never after the server stops."""
        self.stopping.wait(min(seconds, self.max_stall_s))

    # ---- stock behaviours (each returns a handler)
    def status(self, code: int, retry_after: str | None = None) -> Callable:
        def handler(req, n):
            headers = {"Content-Type": "text/plain"}
            if retry_after is not None:
                headers["Retry-After"] = retry_after
            Reply.send(req, code, f"status {code}".encode(), headers)
        return handler

    def fail_then(self, failures: int, code: int, body: bytes, retry_after: str | None = None) -> Callable:
        def handler(req, n):
            if n <= failures:
                self.status(code, retry_after)(req, n)
            else:
                Reply.file(req, body)
        return handler

    def reset_mid_body(self, body: bytes, times: int = 10 ** 9) -> Callable:
        def handler(req, n):
            if n > times:
                Reply.file(req, body)
                return
            req.send_response(200)
            req.send_header("Content-Type", "text/csv")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body[: len(body) // 3])
            Reply.reset(req)
        return handler

    def short_body(self, body: bytes) -> Callable:
        def handler(req, n):
            req.send_response(200)
            req.send_header("Content-Type", "text/csv")
            req.send_header("Content-Length", str(len(body) * 2))
            req.end_headers()
            req.wfile.write(body)
            req.wfile.flush()
            req.close_connection = True
        return handler

    def stall(self, after_headers: bool = True) -> Callable:
        def handler(req, n):
            if after_headers:
                req.send_response(200)
                req.send_header("Content-Type", "text/csv")
                req.send_header("Content-Length", "1000")
                req.end_headers()
                req.wfile.write(b"a,b\n")
                req.wfile.flush()
            self.sleep(self.max_stall_s)
            req.close_connection = True
        return handler

    def drip(self, every_s: float, length: int = 10_000) -> Callable:
        def handler(req, n):
            req.send_response(200)
            req.send_header("Content-Type", "text/csv")
            req.send_header("Content-Length", str(length))
            req.end_headers()
            for _ in range(length):
                if self.stopping.is_set():
                    break
                try:
                    req.wfile.write(b"x")
                    req.wfile.flush()
                except OSError:
                    break
                self.sleep(every_s)
            req.close_connection = True
        return handler

    def redirect(self, location: str, code: int = 302) -> Callable:
        def handler(req, n):
            Reply.send(req, code, b"moved", {"Location": location, "Content-Type": "text/plain"})
        return handler

    def huge(self, declared: int = 5 * 1024 ** 3, chunked: bool = False) -> Callable:
        """A multi-gigabyte body: declared up front, or streamed without a length until the client stops."""
        def handler(req, n):
            req.send_response(200)
            req.send_header("Content-Type", "text/csv")
            if chunked:
                req.send_header("Transfer-Encoding", "chunked")
            else:
                req.send_header("Content-Length", str(declared))
            req.end_headers()
            block = b"1,2,3,4,5,6,7,8\n" * 4096
            sent, deadline = 0, time.monotonic() + self.max_stall_s
            try:
                while sent < declared and time.monotonic() < deadline and not self.stopping.is_set():
                    if chunked:
                        req.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                    else:
                        req.wfile.write(block)
                    sent += len(block)
            except OSError:
                pass
            req.close_connection = True
        return handler

    def changing(self, bodies: list[bytes]) -> Callable:
        """A different body on each request (the last one repeats)."""
        def handler(req, n):
            Reply.file(req, bodies[min(n, len(bodies)) - 1])
        return handler
