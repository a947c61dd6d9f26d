"""Polite HTTP: one `requests.Session` per host with retries, backoff, timeouts and a User-Agent.

Every call goes through `PoliteSession.get`, which refuses hosts outside the allow-list given by the
registry/config (style.md §8: never a bare `requests.get`, never `verify=False`).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipelines import __version__

USER_AGENT = f"keepitlocal/{__version__} (open-data observatory of council spending; +https://github.com/keepitlocal)"
DEFAULT_TIMEOUT = (10, 60)  # (connect, read) seconds


class HostNotAllowed(RuntimeError):
    pass


def make_session(retries: int = 5, backoff: float = 1.0, status_forcelist=(429, 500, 502, 503, 504)) -> requests.Session:
    """A session with urllib3 Retry honouring Retry-After, one connection per host."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=status_forcelist,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=1)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class PoliteSession:
    """Per-host sessions, a minimum interval between requests to one host, and a host allow-list."""

    def __init__(self, allowed_hosts: set[str] | None = None, min_interval_s: float = 0.0,
                 retries: int = 5, backoff: float = 1.0, timeout=DEFAULT_TIMEOUT,
                 status_forcelist: tuple[int, ...] = (429, 500, 502, 503, 504)):
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None
        self.min_interval_s = min_interval_s
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.status_forcelist = status_forcelist
        self._sessions: dict[str, requests.Session] = {}
        self._last_call: dict[str, float] = {}
        self._lock = threading.Lock()

    def _host(self, url: str) -> str:
        host = (urlsplit(url).netloc or "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            raise HostNotAllowed(f"refusing request to {host!r}: not a host named in the registry/config")
        return host

    def session_for(self, url: str) -> requests.Session:
        host = self._host(url)
        with self._lock:
            if host not in self._sessions:
                self._sessions[host] = make_session(self.retries, self.backoff, self.status_forcelist)
            return self._sessions[host]

    def get(self, url: str, **kwargs) -> requests.Response:
        session = self.session_for(url)
        host = self._host(url)
        wait = self._last_call.get(host, 0.0) + self.min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return session.get(url, timeout=kwargs.pop("timeout", self.timeout), **kwargs)
        finally:
            self._last_call[host] = time.monotonic()

    def close(self) -> None:
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()
