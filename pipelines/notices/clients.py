"""Polite clients for the two notice APIs (sources.md §3-§4).

Contracts Finder: `GET /Published/Notices/OCDS/Search?publishedFrom&publishedTo&stages&limit=100`, windows of
at most 15 days (longer ones silently return old data), `links.next` followed verbatim, one connection; HTTP
403 is the rate limiter and means "wait five minutes".
Find a Tender: `GET /api/1.0/ocdsReleasePackages?updatedFrom&updatedTo&stages&limit=100`, windows of at most
6 hours (longer ones silently drop `links.next`), at least 10 s between calls (12 per 2 minutes), 429/503
without Retry-After -> wait at least 30 s.
Both: a full page without `links.next` is treated as truncation and its window is split in two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.notices.read import UnreadableInput, parse_json

PAGE_LIMIT = 100
MIN_WINDOW = timedelta(minutes=1)


class RateLimited(RuntimeError):
    """The service kept refusing after the configured waits; retry the step later."""


@dataclass
class Page:
    url: str
    params: dict | None
    window_start: datetime
    window_end: datetime
    fetched_at: datetime
    status: int
    content_type: str | None
    body: bytes
    package: dict | None = None
    error: str | None = None
    releases: list = field(default_factory=list)


class NoticeClient:
    """One source's windowed, paged, rate-limited walk. Subclasses set the endpoint and the limits."""

    source = ""
    path = ""
    from_param = ""
    to_param = ""
    max_window = timedelta(days=1)
    limited_statuses: tuple[int, ...] = ()

    def __init__(self, base_url: str, session: PoliteSession, *, wait_s: float, stages: str = "",
                 max_waits: int = 5, page_limit: int = PAGE_LIMIT, sleep: Callable[[float], None] = time.sleep,
                 max_wait_s: float = 300.0):
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.wait_s = wait_s
        self.stages = stages
        self.max_waits = max_waits
        self.page_limit = page_limit
        self.sleep = sleep
        self.max_wait_s = max_wait_s  # the longest Retry-After waited for; a longer one gives up for tonight
        self.requests = 0
        self.waits = 0

    @staticmethod
    def _format(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")  # naive UTC, as both services accept

    def windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        cursor = start
        while cursor < end:
            upper = min(cursor + self.max_window, end)
            yield cursor, upper
            cursor = upper

    def iter_pages(self, start: datetime, end: datetime) -> Iterator[Page]:
        for window_start, window_end in self.windows(start, end):
            yield from self.walk_window(window_start, window_end)

    def walk_window(self, start: datetime, end: datetime) -> Iterator[Page]:
        """Every page of one window, following `links.next`; a truncated window is walked again in halves."""
        params = {self.from_param: self._format(start), self.to_param: self._format(end), "limit": self.page_limit}
        if self.stages:
            params["stages"] = self.stages
        url, query = f"{self.base_url}{self.path}?{urlencode(params)}", params
        seen = set()
        while url:
            page = self._get(url, query, start, end)
            yield page
            if page.package is None:
                return
            next_url = (page.package.get("links") or {}).get("next")
            if not next_url:
                if len(page.releases) >= self.page_limit and end - start > MIN_WINDOW:
                    # a full page with no `next`: the service truncated the window; walk it again in halves
                    middle = start + (end - start) / 2
                    yield from self.walk_window(start, middle)
                    yield from self.walk_window(middle, end)
                return
            if not page.releases or next_url in seen:
                return
            seen.add(next_url)
            url, query = next_url, None  # followed verbatim, never rebuilt

    def _get(self, url: str, params: dict | None, start: datetime, end: datetime) -> Page:
        for attempt in range(self.max_waits + 1):
            self.requests += 1
            response = self.session.get(url)
            if response.status_code in self.limited_statuses:
                if attempt == self.max_waits:
                    break  # no point waiting five minutes only to give up
                retry_after = response.headers.get("Retry-After")
                wait = float(retry_after) if retry_after and retry_after.strip().isdigit() else self.wait_s
                if wait > self.max_wait_s:
                    raise RateLimited(f"{self.source}: HTTP {response.status_code} with Retry-After {wait:.0f} s, "
                                      f"over the {self.max_wait_s:.0f} s this client waits ({url})")
                self.waits += 1
                self.sleep(wait)
                continue
            page = Page(url=url, params=params, window_start=start, window_end=end,
                        fetched_at=datetime.now(timezone.utc).replace(tzinfo=None), status=response.status_code,
                        content_type=response.headers.get("Content-Type"), body=response.content)
            if response.status_code != 200:
                page.error = f"HTTP {response.status_code}"
                return page
            try:
                page.package = parse_json(response.content)
                page.releases = [r for r in page.package.get("releases") or [] if isinstance(r, dict)]
            except (UnreadableInput, AttributeError) as exc:
                page.error = str(exc)
            return page
        raise RateLimited(f"{self.source}: still rate limited after {self.max_waits} waits of {self.wait_s} s ({url})")

    def close(self) -> None:
        self.session.close()


class ContractsFinderClient(NoticeClient):
    source = "contracts_finder"
    path = "/Published/Notices/OCDS/Search"
    from_param, to_param = "publishedFrom", "publishedTo"
    max_window = timedelta(days=15)
    limited_statuses = (403, 429)  # 403 is Contracts Finder's rate limiter

    @classmethod
    def from_config(cls, config: SourcesConfig, session: PoliteSession) -> "ContractsFinderClient":
        # 403 and 429 are the client's to wait out (five minutes); the edge retries only server errors
        polite = session.with_limits(min_interval_s=config.cf_min_interval_s, robots=False,
                                     status_forcelist=(500, 502, 504))
        return cls(config.contracts_finder_url, polite, wait_s=config.cf_rate_limit_wait_s,
                   max_wait_s=max(config.cf_rate_limit_wait_s, config.http_max_retry_after_s))


class FindATenderClient(NoticeClient):
    source = "find_a_tender"
    path = "/api/1.0/ocdsReleasePackages"
    from_param, to_param = "updatedFrom", "updatedTo"
    max_window = timedelta(hours=6)
    limited_statuses = (429, 503)  # no Retry-After since Dec 2025: wait at least 30 s

    @classmethod
    def from_config(cls, config: SourcesConfig, session: PoliteSession) -> "FindATenderClient":
        polite = session.with_limits(min_interval_s=config.fts_min_interval_s, robots=False,
                                     status_forcelist=(500, 502, 504))
        return cls(config.find_a_tender_url, polite, wait_s=config.fts_after_429_wait_s,
                   max_wait_s=max(config.fts_after_429_wait_s, config.http_max_retry_after_s))


class RecordedNoticeClient:
    """A stand-in client that replays recorded release packages (files) as pages, for tests and offline
    replays; it makes no HTTP request."""

    def __init__(self, source: str, files: list):
        self.source = source
        self.files = files
        self.requests = 0
        self.waits = 0

    def windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        yield start, end  # the recorded files are one window

    def iter_pages(self, start: datetime, end: datetime) -> Iterator[Page]:
        return self.walk_window(start, end)

    def walk_window(self, start: datetime, end: datetime) -> Iterator[Page]:
        for path in self.files:
            body = path.read_bytes()
            page = Page(url=path.as_uri(), params=None, window_start=start, window_end=end,
                        fetched_at=datetime.now(timezone.utc).replace(tzinfo=None), status=200,
                        content_type="application/json", body=body)
            try:
                page.package = parse_json(body)
                page.releases = [r for r in page.package.get("releases") or [] if isinstance(r, dict)]
            except UnreadableInput as exc:
                page.error = str(exc)
            yield page

    def close(self) -> None:
        pass
