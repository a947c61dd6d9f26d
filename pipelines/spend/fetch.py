"""Fetch one discovered file into the raw layer with a conditional GET, streamed and bounded.

The last successful fetch of the same URL (raw.fetch_manifest) supplies `If-None-Match` / `If-Modified-Since`;
a 304 means the bytes are the ones fetched before, which are already in the raw store. Validators are trusted
for a bounded time only: once a URL's last unconditional 200 is `revalidate_after_days` old (SourcesConfig), it is
fetched without them, so a server that keeps its ETag or Last-Modified while the bytes change is read again, and
the body's hash decides whether anything changed (the raw store is content-addressed: unchanged bytes are stored
once and, already handled, not parsed again). The manifest's `conditional` records which requests carried
validators. Whether those bytes
were ever parsed and loaded is a separate question the caller answers from the staging tables (a body is
handled only once a publication or a lasting quarantine row exists for it), so a run killed between fetch
and load loses nothing: the next night's 304 still leads to the stored bytes.

A 200 body is streamed into the raw store (hashed while written, renamed into place when complete) under the
edge's byte cap and deadline, so the same file served under two URLs is one blob. Every attempt is one
manifest row; `http_status` 0 records a request that got no HTTP answer (refused host or address, timeout,
connection failure). What still fails after the edge's bounded retries becomes a quarantine row with a
specific reason code (`fetch_error:<reason>`, e.g. `fetch_error:timeout`, `fetch_error:too_large`) and an
outcome with `error` set, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipelines import rawstore, sqlfiles
from pipelines.config import SourcesConfig
from pipelines.edge import TRANSIENT_REASONS, PoliteSession
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.load import quarantine

FETCH_ERROR = "fetch_error"
REVALIDATE_AFTER_DAYS = SourcesConfig.revalidate_after_days


class PreviousFetch(NamedTuple):
    """A URL's latest successful fetch (sql/spend/last_fetch.sql, last_fetches.sql)."""

    etag: str | None
    last_modified: str | None
    sha256: str | None
    fetched_at: datetime | None
    last_unconditional_at: datetime | None = None  # its latest 200 to a request sent without validators


@dataclass
class FetchOutcome:
    url: str
    fetch_id: str
    fetched_at: datetime
    http_status: int
    sha256: str | None = None        # the body's hash (for a 304: the hash of the unchanged body fetched before)
    bytes: int | None = None         # size of a body downloaded now
    content_type: str | None = None
    final_url: str | None = None     # after redirects
    not_modified: bool = False
    conditional: bool = False        # the request carried the previous fetch's validators
    body_fetched_at: datetime | None = None  # when these bytes were downloaded (for a 304: the earlier 200)
    error: str | None = None
    reason_code: str | None = None   # the edge's reason for a failure: timeout, too_large, http_5xx, ...

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def transient(self) -> bool:
        """A failure a later attempt may cure (network, timeout, 5xx, ...)."""
        return self.reason_code in TRANSIENT_REASONS

    def body(self, raw_dir: Path) -> bytes:
        """The fetched (or unchanged) body from the raw store, verified against its hash."""
        if not self.sha256:
            raise ValueError(f"no body was fetched from {self.url}")
        return rawstore.read(raw_dir, self.sha256)


def is_transient_reason(reason_code: str | None) -> bool:
    """Whether a quarantine reason code names a failure a later night may cure (`fetch_error:timeout`,
    `load_error`, ...)."""
    return bool(reason_code) and reason_code.rsplit(":", 1)[-1] in TRANSIENT_REASONS


def _now() -> datetime:
    # naive UTC, as the manifest stores it (DuckDB `timestamp`)
    return datetime.now(timezone.utc).replace(tzinfo=None)


def fetch_file(link: DiscoveredLink, session: PoliteSession, warehouse_con: duckdb.DuckDBPyConnection,
               raw_dir: Path, council_gss: str | None, source_kind: str = "council_file", *,
               max_bytes: int | None = None, deadline_s: float | None = None,
               revalidate_after_days: float = REVALIDATE_AFTER_DAYS) -> FetchOutcome:
    """Conditionally GET one file, stream a new body once into the raw store, record the fetch; never raises
    for HTTP trouble."""
    previous = sqlfiles.execute(warehouse_con, "spend/last_fetch", {"url": link.url}).fetchone()
    outcome, record = download_link(link, session, raw_dir, previous, max_bytes=max_bytes, deadline_s=deadline_s,
                                    revalidate_after_days=revalidate_after_days)
    record_fetch(warehouse_con, link, outcome, record, council_gss, source_kind)
    return outcome


@dataclass
class FetchRecord:
    """What `record_fetch` writes besides the outcome: the validators a 200 came with."""

    etag: str | None = None
    last_modified: str | None = None


def revalidation_due(previous: PreviousFetch, now: datetime, revalidate_after_days: float) -> bool:
    """Whether the URL's validators have been trusted long enough: its last unconditional 200 (else its last
    200) is `revalidate_after_days` old or older."""
    since = previous.last_unconditional_at or previous.fetched_at
    return since is None or now - since >= timedelta(days=revalidate_after_days)


def download_link(link: DiscoveredLink, session: PoliteSession, raw_dir: Path, previous: tuple | None, *,
                  max_bytes: int | None = None, deadline_s: float | None = None,
                  revalidate_after_days: float = REVALIDATE_AFTER_DAYS) -> tuple[FetchOutcome, FetchRecord]:
    """The network half of `fetch_file`, touching no database (so fetcher threads can run it while one writer
    records): `previous` is the URL's last successful fetch (a PreviousFetch, or a tuple in its order) or None.
    Its validators are sent unless the stored copy is gone or `revalidation_due`."""
    headers, previous_sha, previous_at = {}, None, None
    fetched_at = _now()
    if previous:
        previous = PreviousFetch(*previous)
        previous_sha, previous_at = previous.sha256, previous.fetched_at
        if previous_sha and not rawstore.exists(raw_dir, previous_sha):
            previous_sha = None  # the stored copy is gone: ask for the whole body again
        elif not revalidation_due(previous, fetched_at, revalidate_after_days):
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
    fetch_id = rawstore.sha256_hex(f"{link.url}\n{fetched_at.isoformat()}".encode())
    download = session.download(link.url, raw_dir, headers=headers, max_bytes=max_bytes, deadline_s=deadline_s)
    outcome = FetchOutcome(url=link.url, fetch_id=fetch_id, fetched_at=fetched_at, http_status=download.status,
                           content_type=download.content_type, final_url=download.final_url,
                           conditional=bool(headers))
    if download.status == 304 and previous_sha and headers:
        # the body is the one downloaded before: it dates from then (supersession orders publications by
        # download time, so a body loaded a night late keeps its place)
        outcome.not_modified, outcome.sha256, outcome.body_fetched_at = True, previous_sha, previous_at
    elif download.status == 200 and download.sha256:
        outcome.sha256, outcome.bytes, outcome.body_fetched_at = download.sha256, download.bytes, fetched_at
    else:
        outcome.reason_code = download.reason_code or ("unexpected_304" if download.status == 304 else "network")
        outcome.error = download.error or f"HTTP {download.status}"
    downloaded = outcome.bytes is not None
    record = FetchRecord(etag=download.headers.get("etag") if downloaded else None,
                         last_modified=download.headers.get("last-modified") if downloaded else None)
    return outcome, record


def record_fetch(warehouse_con: duckdb.DuckDBPyConnection, link: DiscoveredLink, outcome: FetchOutcome,
                 record: FetchRecord, council_gss: str | None, source_kind: str = "council_file") -> None:
    """The database half of `fetch_file`: one manifest row for the attempt, and a quarantine row for a failure
    (or the URL's earlier fetch failures cleared when it answers again)."""
    downloaded = outcome.bytes is not None
    sqlfiles.execute(warehouse_con, "spend/insert_fetch", {
        "fetch_id": outcome.fetch_id,
        "source_kind": source_kind,
        "url": link.url,
        "council_gss": council_gss,
        "link_text": link.link_text,
        "landing_page": link.landing_page,
        "period_label": link.period_label,
        "fetched_at": outcome.fetched_at,
        "http_status": outcome.http_status,
        "content_type": outcome.content_type,
        "etag": record.etag,
        "last_modified": record.last_modified,
        "bytes": outcome.bytes,
        # a 304 stores no body: its row keeps sha256 null (010_raw.sql) and the outcome carries the old hash
        "sha256": outcome.sha256 if downloaded else None,
        "conditional": outcome.conditional,
        "final_url": outcome.final_url,
    })
    if outcome.error:
        quarantine(warehouse_con, council_gss=council_gss, source_url=link.url, source_sha256=None,
                   reason_code=f"{FETCH_ERROR}:{outcome.reason_code}", reason=outcome.error[:500],
                   link_text=link.link_text, period_label=link.period_label)
    else:
        # the URL answers again: earlier fetch failures of it are history (the manifest keeps every attempt)
        sqlfiles.execute(warehouse_con, "spend/clear_fetch_errors", {"council_gss": council_gss, "url": link.url})
