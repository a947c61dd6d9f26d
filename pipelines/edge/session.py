"""The one HTTP edge every outside byte comes through (style.md §16).

`PoliteSession.get(url)` returns a small body (a page, an API answer) read into memory under a byte cap;
`PoliteSession.download(url, raw_dir)` streams a file into the raw store (hashed while streaming, a temp file
renamed into place) under its own cap. Both:

* check every URL, and every redirect hop (followed by hand, at most `max_redirects`, loops refused),
  against the allow-list (registrable domains, exact IP endpoints);
* resolve names themselves and refuse private, loopback and link-local addresses unless that exact address
  and port were configured (the loopback sample server), then connect to the address they checked;
* keep a deadline on the whole operation (connect, headers, body, retries and their waits): a watchdog shuts
  the socket when it passes, so a server dripping one byte at a time cannot hold the night;
* retry connection failures, timeouts, short bodies and 429/5xx a bounded number of times with backoff,
  honouring Retry-After only up to `max_retry_after_s` (a longer wait gives up at once, to be retried on a
  later night);
* space requests to one host (one at a time, at least `min_interval_s` apart, longer if robots.txt asks);
  after `host_failure_budget` consecutive transport failures a host is skipped for the rest of the session;
* optionally honour robots.txt (fetched once per host and cached) and always send a User-Agent that names
  the project and the operator's contact address.

Per-host state has its own lock, so concurrent fetching across hosts is safe; requests to one host are
serialised. Refusals and failures raise `EdgeError` subclasses carrying a reason code (`reason_code`) and
whether a later attempt may succeed (`transient`).
"""

from __future__ import annotations

import email.utils
import hashlib
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from pipelines import __version__
from pipelines.edge.domains import AllowList, address_refusal

PROJECT_URL = "https://github.com/keepitlocal/keepitlocal"
CHUNK = 64 * 1024
ERROR_BODY_CAP = 1024 ** 2  # what is kept of a non-200 answer's body (an error page); the rest is not read


def user_agent(contact: str = "") -> str:
    """`keepitlocal/<version> (+<project page>; <contact>)`: robots.txt rules for `keepitlocal` apply to us."""
    contact = " ".join((contact or "").split())
    return f"keepitlocal/{__version__} (+{PROJECT_URL}" + (f"; {contact})" if contact else ")")


USER_AGENT = user_agent()


@dataclass(frozen=True)
class EdgeLimits:
    """Every bound the edge applies; SourcesConfig sets them (tests set them small)."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0          # one silent gap in the stream
    page_deadline_s: float = 120.0        # a whole page/API call, retries and waits included
    download_deadline_s: float = 900.0    # a whole file transfer, retries and waits included
    max_page_bytes: int = 64 * 1024 ** 2
    max_download_bytes: int = 512 * 1024 ** 2
    retries: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 120.0      # a longer Retry-After is not waited for: the night moves on
    max_redirects: int = 5
    host_failure_budget: int = 3          # consecutive transport failures before a host is skipped
    min_interval_s: float = 1.0           # default spacing between two requests to one host
    crawl_delay_cap_s: float = 30.0       # the most a robots.txt Crawl-delay can slow us per request
    robots: bool = False                  # read and honour robots.txt (council sites; not the documented APIs)
    contact: str = ""                     # the operator's contact address, sent in the User-Agent


# ------------------------------------------------------------------------------------------------ errors

class EdgeError(RuntimeError):
    """A request refused or failed at the edge. `reason_code` is stable and machine-readable."""

    reason_code = "network"
    transient = True

    def __init__(self, message: str, url: str = ""):
        super().__init__(message)
        self.url = url


class HostNotAllowed(EdgeError):
    reason_code, transient = "host_not_allowed", False


class RedirectNotAllowed(HostNotAllowed):
    reason_code = "redirect_not_allowed"


class AddressRefused(EdgeError):
    reason_code, transient = "private_address", False


class RedirectLoop(EdgeError):
    reason_code, transient = "redirect_loop", False


class TooManyRedirects(EdgeError):
    reason_code, transient = "too_many_redirects", False


class RobotsDisallowed(EdgeError):
    reason_code, transient = "robots_disallowed", False


class RobotsUnavailable(EdgeError):
    reason_code = "robots_unavailable"


class TooLarge(EdgeError):
    reason_code, transient = "too_large", False


class DeadlineExceeded(EdgeError):
    reason_code = "deadline"


class TransferTimeout(EdgeError):
    reason_code = "timeout"


class IncompleteBody(EdgeError):
    reason_code = "incomplete_body"


class NetworkError(EdgeError):
    reason_code = "network"


class HostDown(EdgeError):
    reason_code = "host_down"


class BudgetExceeded(EdgeError):
    reason_code, transient = "request_budget", False


# Reason codes a later night may cure: a body or fetch quarantined with one of these is tried again.
TRANSIENT_REASONS = frozenset({
    "network", "timeout", "deadline", "incomplete_body", "host_down", "robots_unavailable", "http_5xx",
    "http_429", "retry_after_too_long", "rate_limited", "load_error", "fetch_error",
})


# ------------------------------------------------------------------------------- connection-level guard

_local = threading.local()


class _Guard:
    """One operation's deadline and address policy, seen by the connection classes of this thread.

    The watchdog timer shuts the current socket down when the deadline passes; a read blocked in the
    kernel then returns at once, whatever the server does.
    """

    def __init__(self, allowed_private: set, deadline_at: float):
        self.allowed_private = allowed_private
        self.deadline_at = deadline_at
        self.refusal: str | None = None
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline_at - time.monotonic()), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Guard":
        _local.guard = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _local.guard = None

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _GuardedConnectionMixin:
    """Resolve, refuse non-public addresses (unless configured), connect to the checked address only."""

    _guard_raw_sock: socket.socket | None = None

    def _new_conn(self) -> socket.socket:  # noqa: D401 (urllib3 hook)
        guard: _Guard | None = getattr(_local, "guard", None)
        host, port = self._dns_host, self.port
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        refusals, last_error = [], None
        for family, _type, _proto, _name, sockaddr in infos:
            ip = sockaddr[0]
            if guard is not None and guard.allowed_private is not None:
                refusal = address_refusal(ip, port, guard.allowed_private)
                if refusal:
                    refusals.append(refusal)
                    continue
            try:
                sock = urllib3_connection.create_connection((ip, port), self.timeout,
                                                            source_address=self.source_address,
                                                            socket_options=self.socket_options)
            except OSError as exc:
                last_error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            self._guard_raw_sock = sock
            if guard is not None:
                guard.watch(sock)
            return sock
        if refusals and guard is not None:
            guard.refusal = f"{host} resolves to {', '.join(sorted(set(refusals)))}"
            raise NewConnectionError(self, f"refused: {guard.refusal}")
        if isinstance(last_error, TimeoutError | socket.timeout):
            from urllib3.exceptions import ConnectTimeoutError

            raise ConnectTimeoutError(self, f"connection to {host} timed out") from last_error
        raise NewConnectionError(self, f"failed to establish a new connection: {last_error}")

    def getresponse(self, *args, **kwargs):
        guard: _Guard | None = getattr(_local, "guard", None)
        if guard is not None:
            guard.watch(self._guard_raw_sock)
        return super().getresponse(*args, **kwargs)


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


# -------------------------------------------------------------------------------------------- per host

class _HostState:
    def __init__(self, interval: float):
        self.lock = threading.Lock()          # one request at a time to this host
        self.robots_lock = threading.Lock()
        self.interval = interval
        self.last_end = -1e18
        self.failures = 0
        self.down_reason: str | None = None
        self.robots: RobotFileParser | None = None
        self.robots_error: EdgeError | None = None
        self.session: requests.Session | None = None


@dataclass
class Download:
    """A streamed transfer. `sha256` is set for a 200 stored in the raw store; `status` 0 = no HTTP answer."""

    url: str
    final_url: str
    status: int
    headers: dict = field(default_factory=dict)
    sha256: str | None = None
    bytes: int | None = None
    reason_code: str | None = None
    error: str | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class _Sink:
    def write(self, chunk: bytes) -> None:
        raise NotImplementedError


class _MemorySink(_Sink):
    def __init__(self):
        self.buffer = bytearray()

    def write(self, chunk: bytes) -> None:
        self.buffer += chunk


class _DiscardSink(_Sink):
    def write(self, chunk: bytes) -> None:
        pass


class _BlobSink(_Sink):
    """A temp file in the raw store's `.incoming/`, hashed while written; renamed to its blob path at the end."""

    def __init__(self, raw_dir):  # a Path, or a rawstore.RawStore (object storage)
        from pipelines import rawstore

        self.raw_dir = raw_dir
        self.incoming = rawstore.incoming_dir(raw_dir)
        self.path = self.incoming / f"{uuid.uuid4().hex}.part"
        self.handle = self.path.open("wb")
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.hasher.update(chunk)
        self.handle.write(chunk)
        self.size += len(chunk)

    def commit(self) -> str:
        from pipelines import rawstore

        self.handle.close()
        return rawstore.adopt(self.raw_dir, self.path, self.hasher.hexdigest())

    def abort(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class PoliteSession:
    """Per-host polite, bounded HTTP with an allow-list. See the module docstring."""

    def __init__(self, allowed_hosts: AllowList | set[str] | None = None, min_interval_s: float | None = None,
                 retries: int | None = None, backoff: float | None = None, timeout=None,
                 status_forcelist: tuple[int, ...] = (429, 500, 502, 503, 504), *,
                 limits: EdgeLimits | None = None, host_intervals: dict[str, float] | None = None,
                 robots_exempt: set[str] | frozenset[str] = frozenset(),
                 sleep: Callable[[float], None] = time.sleep):
        limits = limits or EdgeLimits()
        overrides = {}
        if min_interval_s is not None:
            overrides["min_interval_s"] = min_interval_s
        if retries is not None:
            overrides["retries"] = retries
        if backoff is not None:
            overrides["backoff_s"] = backoff
        if timeout is not None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            overrides.update(connect_timeout_s=connect, read_timeout_s=read)
        self.limits = replace(limits, **overrides)
        if allowed_hosts is not None and not isinstance(allowed_hosts, AllowList):
            allowed_hosts = AllowList.from_urls(allowed_hosts)
        self.allowed_hosts: AllowList | None = allowed_hosts
        self.status_forcelist = tuple(status_forcelist)
        self.host_intervals = {k.lower(): v for k, v in (host_intervals or {}).items()}
        # documented APIs (CKAN, the notice services, register downloads) are called as their owners document,
        # not crawled: robots.txt rules apply to the council sites we crawl
        self.robots_exempt = {h.lower() for h in robots_exempt}
        self.sleep = sleep
        self.user_agent = user_agent(self.limits.contact)
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self._outer: PoliteSession | None = None  # the session a `restricted_to` view narrows

    # -- compatibility accessors
    @property
    def min_interval_s(self) -> float:
        return self.limits.min_interval_s

    def with_limits(self, *, status_forcelist: tuple[int, ...] | None = None,
                    host_intervals: dict[str, float] | None = None, **changes) -> "PoliteSession":
        """A new session (its own host state) with the same allow-list and some limits changed."""
        return PoliteSession(self.allowed_hosts, limits=replace(self.limits, **changes),
                             status_forcelist=self.status_forcelist if status_forcelist is None else status_forcelist,
                             host_intervals=self.host_intervals if host_intervals is None else host_intervals,
                             robots_exempt=self.robots_exempt, sleep=self.sleep)

    def restricted_to(self, allowed_hosts: AllowList) -> "PoliteSession":
        """A view that may reach only what both this session and `allowed_hosts` allow (one council's hosts),
        sharing this session's per-host state: spacing, locks, robots.txt and failure budgets hold across views."""
        view = PoliteSession(allowed_hosts, limits=self.limits, status_forcelist=self.status_forcelist,
                             host_intervals=self.host_intervals, robots_exempt=self.robots_exempt,
                             sleep=self.sleep)
        view._hosts, view._lock, view._outer = self._hosts, self._lock, self
        return view

    def allows(self, url: str) -> bool:
        if self._outer is not None and not self._outer.allows(url):
            return False
        return self.allowed_hosts is None or self.allowed_hosts.allows(url)

    def _private_endpoints(self) -> set | None:
        # No allow-list at all (tests and local tools only; every pipeline session has one): no address policy.
        return self.allowed_hosts.private_endpoints() if self.allowed_hosts is not None else None

    def _state(self, url: str) -> _HostState:
        parts = urlsplit(url)
        key = parts.netloc.lower()
        with self._lock:
            state = self._hosts.get(key)
            if state is None:
                interval = self.host_intervals.get(key, self.host_intervals.get((parts.hostname or "").lower(),
                                                                               self.limits.min_interval_s))
                state = self._hosts[key] = _HostState(interval)
                session = requests.Session()
                session.trust_env = False  # no proxies or .netrc credentials from the environment
                adapter = _GuardedAdapter(max_retries=0, pool_connections=1, pool_maxsize=1)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.headers["User-Agent"] = self.user_agent
                state.session = session
            return state

    @contextmanager
    def _slot(self, state: _HostState):
        with state.lock:
            wait = state.last_end + state.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            try:
                yield
            finally:
                state.last_end = time.monotonic()

    # -- public calls
    def get(self, url: str, *, params: dict | None = None, headers: dict | None = None, timeout=None,
            max_bytes: int | None = None, deadline_s: float | None = None) -> requests.Response:
        """GET a page or API answer into memory (at most `max_bytes`). HTTP error statuses are returned
        (after the retries); refusals and transport failures raise `EdgeError`."""
        if timeout is not None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        else:
            connect, read = self.limits.connect_timeout_s, self.limits.read_timeout_s
        response, sink = self._fetch(url, params=params, headers=headers or {},
                                     max_bytes=max_bytes or self.limits.max_page_bytes,
                                     deadline_s=deadline_s or self.limits.page_deadline_s,
                                     timeouts=(connect, read), make_sink=lambda status: _MemorySink())
        response._content = bytes(sink.buffer)
        response._content_consumed = True
        return response

    def download(self, url: str, raw_dir: Path, *, headers: dict | None = None, max_bytes: int | None = None,
                 deadline_s: float | None = None) -> Download:
        """Stream a file into the raw store. Never raises for HTTP trouble: a failure comes back as a
        `Download` with `reason_code` and `error` set (status 0 when there was no HTTP answer)."""
        cap = max_bytes or self.limits.max_download_bytes
        sinks: list[_Sink] = []

        def make_sink(status: int) -> _Sink:
            sink = _BlobSink(raw_dir if not isinstance(raw_dir, str) else Path(raw_dir)) if status == 200 else _DiscardSink()
            sinks.append(sink)
            return sink

        try:
            response, sink = self._fetch(url, params=None, headers=headers or {}, max_bytes=cap,
                                         deadline_s=deadline_s or self.limits.download_deadline_s,
                                         timeouts=(self.limits.connect_timeout_s, self.limits.read_timeout_s),
                                         make_sink=make_sink)
        except EdgeError as exc:
            for s in sinks:
                if isinstance(s, _BlobSink):
                    s.abort()
            return Download(url=url, final_url=exc.url or url, status=getattr(exc, "status", 0),
                            reason_code=exc.reason_code, error=str(exc))
        for s in sinks:
            if isinstance(s, _BlobSink) and s is not sink:
                s.abort()
        out = Download(url=url, final_url=response.url or url, status=response.status_code,
                       headers={k.lower(): v for k, v in response.headers.items()})
        if isinstance(sink, _BlobSink):
            out.sha256, out.bytes = sink.commit(), sink.size
        elif response.status_code != 304:
            out.reason_code = _status_reason(response)
            out.error = getattr(response, "edge_note", None) or f"HTTP {response.status_code}"
        return out

    def close(self) -> None:
        with self._lock:
            for state in self._hosts.values():
                if state.session is not None:
                    state.session.close()
            self._hosts.clear()

    def budgeted(self, max_requests: int) -> "BudgetedSession":
        return BudgetedSession(self, max_requests)

    # -- the exchange
    def _fetch(self, url, *, params, headers, max_bytes, deadline_s, timeouts, make_sink):
        deadline_at = time.monotonic() + deadline_s
        attempt = 0
        while True:
            try:
                response, sink = self._attempt(url, params, headers, max_bytes, deadline_at, timeouts, make_sink)
            except EdgeError as exc:
                if not exc.transient or isinstance(exc, (DeadlineExceeded, HostDown, RobotsUnavailable)):
                    self._note_failure(exc.url or url, exc)
                    raise
                wait = self._backoff(attempt)
                # a server that went silent once usually does again: one more try, not `retries` more
                retries = min(self.limits.retries, 1) if isinstance(exc, TransferTimeout) else self.limits.retries
                if attempt >= retries or time.monotonic() + wait >= deadline_at:
                    self._note_failure(exc.url or url, exc)
                    raise
                attempt += 1
                self.sleep(wait)
                continue
            self._note_success(response.url or url)
            if response.status_code in self.status_forcelist:
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
                if retry_after is not None and retry_after > self.limits.max_retry_after_s:
                    response.edge_note = (f"HTTP {response.status_code} with Retry-After {retry_after:.0f} s, over "
                                          f"the {self.limits.max_retry_after_s:.0f} s the edge waits")
                    response.edge_reason = "retry_after_too_long"
                    return response, sink
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                if attempt < self.limits.retries and time.monotonic() + wait < deadline_at:
                    attempt += 1
                    self.sleep(wait)
                    continue
            return response, sink

    def _backoff(self, attempt: int) -> float:
        return min(self.limits.max_backoff_s, self.limits.backoff_s * (2 ** attempt))

    def _note_success(self, url: str) -> None:
        state = self._state(url)
        state.failures = 0

    def _note_failure(self, url: str, exc: EdgeError) -> None:
        if not isinstance(exc, (TransferTimeout, NetworkError, DeadlineExceeded, IncompleteBody)):
            return
        state = self._state(url)
        with self._lock:
            state.failures += 1
            if state.failures >= self.limits.host_failure_budget and state.down_reason is None:
                state.down_reason = f"{state.failures} consecutive failures, the last: {exc}"

    def _attempt(self, url, params, headers, max_bytes, deadline_at, timeouts, make_sink):
        current, seen = url, {url}
        for hop in range(self.limits.max_redirects + 1):
            if not self.allows(current):
                cls = HostNotAllowed if hop == 0 else RedirectNotAllowed
                what = "redirect to" if hop else "request to"
                raise cls(f"refusing {what} {urlsplit(current).netloc!r}: not an allowed domain or host", current)
            state = self._state(current)
            if state.down_reason:
                raise HostDown(f"{urlsplit(current).netloc} skipped for this run: {state.down_reason}", current)
            if self.limits.robots and urlsplit(current).netloc.lower() not in self.robots_exempt:
                self._check_robots(current, state, deadline_at)
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded(f"deadline passed before requesting {current}", current)
            with self._slot(state), _Guard(self._private_endpoints(), deadline_at) as guard:
                self.requests += 1
                try:
                    response = state.session.get(
                        current, params=params if hop == 0 else None, headers=headers, stream=True,
                        allow_redirects=False,
                        timeout=(min(timeouts[0], remaining), min(timeouts[1], remaining)))
                    if response.is_redirect:
                        location = response.headers.get("Location", "")
                        response.close()
                        target = urljoin(response.url, location)
                        if target in seen:
                            raise RedirectLoop(f"redirect loop: {current} -> {target}", current)
                        seen.add(target)
                        current = target
                        continue
                    sink = make_sink(response.status_code)
                    if response.status_code == 200:
                        self._read(response, sink, max_bytes)
                    else:
                        # an error page (a 503's 2 MB maintenance page) says only what its status says: the
                        # status decides (retry, Retry-After, reason code), and the page is cut at the cap,
                        # never turned into a too_large failure that hides the status
                        self._read(response, sink, ERROR_BODY_CAP, cut_at_cap=True)
                    return response, sink
                except EdgeError:
                    raise
                except Exception as exc:  # requests/urllib3/socket failures: classify by what happened
                    raise self._classify(exc, guard, current) from exc
        raise TooManyRedirects(f"more than {self.limits.max_redirects} redirects from {url}", current)

    @staticmethod
    def _read(response: requests.Response, sink: _Sink, max_bytes: int, *, cut_at_cap: bool = False) -> None:
        """Stream the body into `sink` under `max_bytes`: over it, TooLarge, or with `cut_at_cap` the first
        `max_bytes` kept and the rest left unread (the connection is closed)."""
        declared = response.headers.get("Content-Length")
        if not cut_at_cap and declared and declared.strip().isdigit() and int(declared) > max_bytes:
            response.close()
            raise TooLarge(f"declared {int(declared):,} bytes, over the {max_bytes:,}-byte cap", response.url)
        size = 0
        try:
            for chunk in response.iter_content(CHUNK):
                if size + len(chunk) > max_bytes:
                    if cut_at_cap:
                        sink.write(chunk[:max_bytes - size])
                        break
                    raise TooLarge(f"body passed the {max_bytes:,}-byte cap", response.url)
                size += len(chunk)
                sink.write(chunk)
        finally:
            response.close()

    @staticmethod
    def _classify(exc: Exception, guard: _Guard, url: str) -> EdgeError:
        if guard.refusal:
            return AddressRefused(f"refusing to connect: {guard.refusal}", url)
        if guard.expired:
            return DeadlineExceeded(f"transfer of {url} passed its deadline", url)
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, requests.exceptions.Timeout) or _caused_by_timeout(exc):
            return TransferTimeout(text, url)
        if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
            return IncompleteBody(text, url)
        return NetworkError(text, url)

    # -- robots.txt
    def _check_robots(self, url: str, state: _HostState, deadline_at: float) -> None:
        with state.robots_lock:
            if state.robots is None and state.robots_error is None:
                self._load_robots(url, state, deadline_at)
        if state.robots_error is not None:
            raise state.robots_error
        if not state.robots.can_fetch("keepitlocal", url):
            raise RobotsDisallowed(f"robots.txt of {urlsplit(url).netloc} disallows {url}", url)

    def _load_robots(self, url: str, state: _HostState, deadline_at: float) -> None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = RobotFileParser(robots_url)
        plain = PoliteSession(self.allowed_hosts, limits=replace(self.limits, robots=False, retries=1),
                              status_forcelist=(500, 502, 503, 504), sleep=self.sleep)
        plain._hosts = self._hosts  # share pacing and connections with this session
        plain._lock = self._lock
        try:
            response = plain.get(robots_url, max_bytes=512 * 1024,
                                 deadline_s=max(1.0, min(30.0, deadline_at - time.monotonic())))
        except (HostNotAllowed, RedirectLoop, TooManyRedirects, TooLarge):
            parser.allow_all = True  # no readable robots.txt on an allowed host: no rules
            state.robots = parser
            return
        except AddressRefused as exc:
            state.robots_error = exc  # the host itself is refused: say that, not "robots.txt unavailable"
            return
        except EdgeError as exc:
            state.robots_error = RobotsUnavailable(f"robots.txt of {parts.netloc} unreachable: {exc}", url)
            return
        if response.status_code >= 500:
            state.robots_error = RobotsUnavailable(
                f"robots.txt of {parts.netloc} answered HTTP {response.status_code}", url)
            return
        if response.status_code >= 400:
            parser.allow_all = True  # RFC 9309: an unavailable (4xx) robots.txt means no rules
        else:
            parser.parse(response.content.decode("utf-8", errors="replace").splitlines())
            delay = parser.crawl_delay("keepitlocal")
            if delay:
                state.interval = max(state.interval, min(float(delay), self.limits.crawl_delay_cap_s))
        state.robots = parser


def _caused_by_timeout(exc: BaseException) -> bool:
    """A read timeout inside a streamed body surfaces as a ConnectionError wrapping urllib3's timeout."""
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    seen, stack = set(), [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (Urllib3Timeout, TimeoutError, socket.timeout)):
            return True
        stack.extend([item.__cause__, item.__context__, *[a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]])
    return False


def _status_reason(response: requests.Response) -> str:
    if getattr(response, "edge_reason", None):
        return response.edge_reason
    status = response.status_code
    if status == 429:
        return "http_429"
    if status >= 500:
        return "http_5xx"
    return "http_4xx" if status >= 400 else f"http_{status}"


def status_reason(response: requests.Response) -> str:
    """The reason code of an HTTP answer that is not a success (http_4xx, http_5xx, http_429, ...)."""
    return _status_reason(response)


class BudgetedSession:
    """A view of a session that refuses requests after `max_requests` (the per-council page cap)."""

    def __init__(self, session: PoliteSession, max_requests: int):
        self._session = session
        self.max_requests = max_requests
        self.used = 0
        self.refused = 0

    def __getattr__(self, name):
        return getattr(self._session, name)

    def _spend(self, url: str) -> None:
        if self.used >= self.max_requests:
            self.refused += 1
            raise BudgetExceeded(f"request budget of {self.max_requests} spent before {url}", url)
        self.used += 1

    def get(self, url: str, **kwargs) -> requests.Response:
        self._spend(url)
        return self._session.get(url, **kwargs)

    def download(self, url: str, raw_dir: Path, **kwargs) -> Download:
        self._spend(url)
        return self._session.download(url, raw_dir, **kwargs)

    def close(self) -> None:
        pass  # the underlying session belongs to the caller


def sweep_incoming(raw_dir: Path, older_than_s: float = 3600.0) -> int:
    """Remove partial downloads a killed run left in the raw store's `.incoming/`."""
    from pipelines import rawstore

    removed = 0
    incoming = rawstore.incoming_dir(raw_dir, create=False)
    if incoming is None:
        return 0
    now = time.time()
    for path in incoming.glob("*.part"):
        try:
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


__all__ = [
    "AddressRefused", "AllowList", "BudgetExceeded", "BudgetedSession", "DeadlineExceeded", "Download",
    "EdgeError", "EdgeLimits", "HostDown", "HostNotAllowed", "IncompleteBody", "NetworkError", "PoliteSession",
    "RedirectLoop", "RedirectNotAllowed", "RobotsDisallowed", "RobotsUnavailable", "TRANSIENT_REASONS",
    "TooLarge", "TooManyRedirects", "TransferTimeout", "USER_AGENT", "status_reason", "sweep_incoming",
    "user_agent",
]
