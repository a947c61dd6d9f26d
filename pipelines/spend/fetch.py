"""Fetch one discovered spend file into the raw layer with a conditional GET.

The last successful fetch of the same URL (raw.fetch_manifest) supplies `If-None-Match` / `If-Modified-Since`;
a 304 means the file is unchanged and is neither downloaded nor parsed again. A 200 body is stored once by
sha256 (pipelines.rawstore), so the same file served under two URLs (re-uploads, WPDM tokens) is one blob.
Every attempt is one manifest row; `http_status` 0 records a request that got no HTTP answer (connection
error, refused host). Retries, backoff and Retry-After are PoliteSession's job; what still fails becomes a
`fetch_error` quarantine row and an outcome with `error` set, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import rawstore, sqlfiles
from pipelines.http import PoliteSession
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.load import quarantine


@dataclass
class FetchOutcome:
    url: str
    fetch_id: str
    fetched_at: datetime
    http_status: int
    sha256: str | None = None        # the body's hash (for a 304: the hash of the unchanged body fetched before)
    data: bytes | None = None        # the body, only when downloaded now
    content_type: str | None = None
    not_modified: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _now() -> datetime:
    # naive UTC, as the manifest stores it (DuckDB `timestamp`)
    return datetime.utcnow()


def fetch_file(link: DiscoveredLink, session: PoliteSession, warehouse_con: duckdb.DuckDBPyConnection,
               raw_dir: Path, council_gss: str | None, source_kind: str = "council_file") -> FetchOutcome:
    """Conditionally GET one file, store a new body once, record the fetch; never raises for HTTP trouble."""
    previous = sqlfiles.execute(warehouse_con, "spend/last_fetch", {"url": link.url}).fetchone()
    headers = {}
    if previous:
        etag, last_modified, previous_sha, _ = previous
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
    else:
        previous_sha = None
    fetched_at = _now()
    fetch_id = rawstore.sha256_hex(f"{link.url}\n{fetched_at.isoformat()}".encode())
    outcome = FetchOutcome(url=link.url, fetch_id=fetch_id, fetched_at=fetched_at, http_status=0)
    response = None
    try:
        response = session.get(link.url, headers=headers)
    except Exception as exc:  # refused host, connection failure after retries, timeout
        outcome.error = f"{type(exc).__name__}: {exc}"
    if response is not None:
        outcome.http_status = response.status_code
        outcome.content_type = response.headers.get("Content-Type")
        if response.status_code == 304 and previous_sha:
            outcome.not_modified = True
            outcome.sha256 = previous_sha
        elif response.status_code == 200:
            outcome.data = response.content
            outcome.sha256 = rawstore.store(raw_dir, outcome.data)
        else:
            outcome.error = f"HTTP {response.status_code}"
    sqlfiles.execute(warehouse_con, "spend/insert_fetch", {
        "fetch_id": fetch_id,
        "source_kind": source_kind,
        "url": link.url,
        "council_gss": council_gss,
        "link_text": link.link_text,
        "landing_page": link.landing_page,
        "period_label": link.period_label,
        "fetched_at": fetched_at,
        "http_status": outcome.http_status,
        "content_type": outcome.content_type,
        "etag": response.headers.get("ETag") if response is not None and outcome.data is not None else None,
        "last_modified": (response.headers.get("Last-Modified")
                          if response is not None and outcome.data is not None else None),
        "bytes": len(outcome.data) if outcome.data is not None else None,
        # a 304 stores no body: its row keeps sha256 null (010_raw.sql) and the outcome carries the old hash
        "sha256": outcome.sha256 if outcome.data is not None else None,
    })
    if outcome.error:
        quarantine(warehouse_con, council_gss=council_gss, source_url=link.url, source_sha256=None,
                   reason_code="fetch_error", reason=outcome.error, link_text=link.link_text,
                   period_label=link.period_label)
    return outcome
