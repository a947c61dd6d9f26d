"""Land notice pages raw (sha256 + manifest row), keep per-source watermarks, flatten into staging.

Flattening is incremental: each newly landed page is walked once into append-only row tables
(staging.notice_*_rows, keyed by page sha256), and the deduplicated tables (staging.notice_releases,
staging.awards, staging.award_suppliers) are then recomputed in SQL, so re-fetching a window never adds a
notice twice and a nightly run parses only the pages it fetched. `rebuild_notice_staging` empties the row
tables and walks every landed page again (after a change to the flattening rules).

Cross-source duplicates: the Contracts Finder copy of an award published on both services is canonical (it
carries the SME / VCSE flags); the Find a Tender copy gets `duplicate_of`, and `staging.awards_deduplicated`
leaves it out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import polars as pl

from pipelines import rawstore, sqlfiles
from pipelines.config import SourcesConfig
from pipelines.edge import EdgeError
from pipelines.notices.clients import NoticeClient, RateLimited
from pipelines.notices.flatten import award_types, timestamp, walk
from pipelines.notices.read import UnreadableInput, iter_release_batches
from pipelines.warehouse import Warehouse, atomic

START_SETTING = {"contracts_finder": "contracts_finder_start", "find_a_tender": "find_a_tender_start"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def nightly_window(source: str, warehouse: Warehouse, config: SourcesConfig) -> tuple[datetime, datetime]:
    """From the watermark minus the trailing window (edits re-publish notices), or the configured first day,
    to the configured `as_of` day (the real date when unset)."""
    end_day = date.fromisoformat(config.as_of) if config.as_of else _now().date() + timedelta(days=1)
    end = datetime.combine(end_day, datetime.min.time())
    with warehouse.connect() as con:
        row = sqlfiles.execute(con, "notices/watermark", {"source": source}).fetchone()
    if row:
        start = row[0] - timedelta(days=config.trailing_days)
    else:
        start = datetime.fromisoformat(getattr(config, START_SETTING[source]))
    return min(start, end), end


class NoticeWindowsFailed(RuntimeError):
    """Some windows were not fetched completely. What was fetched is landed and flattened, the watermark
    stops before the first incomplete window, and a retry (or the next night) walks them again."""

    def __init__(self, message: str, failures: list[str], rate_limited: bool):
        super().__init__(message)
        self.failures = failures
        self.rate_limited = rate_limited


def ingest_notices(source: str, client: NoticeClient, warehouse: Warehouse, start: datetime, end: datetime,
                   progress: Callable[[str], None] = print, *, advance_watermark: bool = True) -> dict:
    """Fetch every page of [start, end) window by window, land each body once, record it, flatten.

    The watermark advances to the end of a window only when every page of it (and of every window before it)
    was fetched and readable; backfills of single days (`advance_watermark=False`) never move it. When any
    window failed, this raises `NoticeWindowsFailed` after landing and flattening what did arrive, so the
    asset's retry policy applies and a later night walks the failed windows again."""
    pages = releases = errors = windows = 0
    failures: list[str] = []
    rate_limited = False
    with warehouse.connect() as con:
        contiguous = True
        for window_start, window_end in client.windows(start, end):
            windows += 1
            window_failures: list[str] = []
            try:
                for page in client.walk_window(window_start, window_end):
                    _land_page(con, warehouse, source, page, pages)
                    pages += 1
                    releases += len(page.releases)
                    if page.error is not None:
                        errors += 1
                        window_failures.append(f"{page.url}: {page.error}"[:300])
            except RateLimited as exc:
                window_failures.append(str(exc)[:300])
                rate_limited = True
            except EdgeError as exc:
                window_failures.append(f"{exc.reason_code}: {exc}"[:300])
            if window_failures:
                contiguous = False
                failures.append(f"window {window_start:%Y-%m-%d %H:%M} to {window_end:%Y-%m-%d %H:%M}: "
                                + "; ".join(window_failures[:3]))
                if rate_limited:
                    break  # the service asked us to stop: later windows wait for the retry
            elif contiguous and advance_watermark:
                sqlfiles.execute(con, "notices/advance_watermark", {"source": source, "window_end": window_end,
                                                                    "updated_at": _now()})
        flattened = flatten_new_pages(con, warehouse.raw_store)
    progress(f"{source}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}: {client.requests} requests, "
             f"{pages} pages, {releases} releases, {client.waits} rate-limit waits, {errors} failed pages, "
             f"{len(failures)} of {windows} windows incomplete")
    stats = {"requests": client.requests, "pages": pages, "releases": releases, "rate_limit_waits": client.waits,
             **flattened, "unreadable_pages": errors, "failed_windows": len(failures)}
    if failures:
        raise NoticeWindowsFailed(f"{source}: {len(failures)} of {windows} windows incomplete: "
                                  + " | ".join(failures[:5]), failures, rate_limited)
    return stats


def _land_page(con, warehouse: Warehouse, source: str, page, sequence: int) -> None:
    sha = rawstore.store(warehouse.raw_store, page.body) if page.status == 200 else None
    sqlfiles.execute(con, "notices/insert_page", {
        "fetch_id": rawstore.sha256_hex(f"{page.url}\n{page.fetched_at.isoformat()}\n{sequence}".encode()),
        "source_kind": source, "url": page.url,
        "request_params": json.dumps(page.params, sort_keys=True) if page.params else None,
        "window_start": page.window_start, "window_end": page.window_end, "fetched_at": page.fetched_at,
        "http_status": page.status, "content_type": page.content_type, "bytes": len(page.body),
        "sha256": sha})


def rebuild_notice_staging(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Recompute every notice staging table from the landed raw pages alone, in one transaction."""
    return _flatten_pages(con, raw_dir, rebuild=True)


def load_bulk_jsonl(path_or_url: str | Path, source: str, warehouse: Warehouse, session=None,
                    progress: Callable[[str], None] = print) -> dict:
    """Land one Open Contracting Data Registry `jsonl.gz` file (compiled releases or release packages, one a
    line) from a local path or a URL (streamed through `session`, a PoliteSession, under its byte cap and
    deadline), then flatten it in batches. The same file landed twice is stored and flattened once."""
    text = str(path_or_url)
    if text.startswith(("http://", "https://")):
        if session is None:
            raise ValueError("a URL needs a session (pipelines.edge.PoliteSession)")
        download = session.download(text, warehouse.raw_store)
        if download.sha256 is None:
            raise UnreadableInput(f"bulk file {text}: {download.error} ({download.reason_code})")
        sha, size, url, content_type = download.sha256, download.bytes, text, download.content_type
    else:
        path = Path(path_or_url)
        sha, size = rawstore.store_file(warehouse.raw_store, path)
        url, content_type = path.resolve().as_uri(), "application/gzip"
    stats: dict = {}
    first = next(iter_release_batches(rawstore.local_path(warehouse.raw_store, sha), 100, stats), None)
    if first is None:  # unreadable files fail here, before anything is recorded
        raise UnreadableInput(f"{url}: no readable release ({stats})")
    with warehouse.connect() as con:
        fetched_at = _now()
        sqlfiles.execute(con, "notices/insert_page", {
            "fetch_id": rawstore.sha256_hex(f"{url}\n{fetched_at.isoformat()}".encode()), "source_kind": source,
            "url": url, "request_params": None, "window_start": None, "window_end": None, "fetched_at": fetched_at,
            "http_status": 200, "content_type": content_type, "bytes": size, "sha256": sha})
        stats = flatten_new_pages(con, warehouse.raw_store)
    progress(f"{source} bulk file {url}: {stats['new_pages_flattened']} new bodies flattened, "
             f"{stats['distinct_releases']} releases in staging")
    return stats


def flatten_new_pages(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Walk pages not yet flattened into the row tables, then recompute the deduplicated staging tables."""
    return _flatten_pages(con, raw_dir, rebuild=False)


def _flatten_pages(con: duckdb.DuckDBPyConnection, raw_dir: Path, rebuild: bool, batch_size: int = 5000) -> dict:
    """Walk pending pages into the row tables in batches of releases (memory bounded by the batch, whole bulk
    years included), then recompute the deduplicated tables; all in one transaction."""
    if not rebuild and sqlfiles.execute(con, "notices/supplier_rows_without_release").fetchone()[0]:
        rebuild = True  # rows from an older flattening cannot be tied to their award's winning release
    pending = sqlfiles.execute(con, "notices/landed_pages" if rebuild else "notices/unflattened_pages").fetchall()
    read_stats: dict = {}
    with atomic(con):
        if rebuild:
            for name in ("release", "award", "supplier"):
                sqlfiles.execute(con, f"notices/clear_{name}_rows")
        for sha, source in pending:
            walked = 0
            for batch in iter_release_batches(rawstore.local_path(raw_dir, sha), batch_size, read_stats):
                _insert_rows(con, walk((source, release, sha) for release in batch))
                walked += len(batch)
            if not walked:
                # an empty or unreadable page still gets one all-null release row, so it is not walked again
                _insert_rows(con, walk([]), marker=_marker_row(sha, source))
        for statement in ("rebuild_releases", "rebuild_awards", "rebuild_award_suppliers",
                          "link_cross_source_duplicates", "awards_deduplicated_view"):
            sqlfiles.execute(con, f"notices/{statement}")
    releases, awards, duplicates, suppliers = sqlfiles.execute(con, "notices/notice_counts").fetchone()
    return {"new_pages_flattened": len(pending), "distinct_releases": releases, "awards": awards,
            "cross_source_duplicates": duplicates, "award_suppliers": suppliers,
            "unreadable_pages": read_stats.get("unreadable_pages", 0),
            "unreadable_lines": read_stats.get("unreadable_lines", 0)}


def _insert_rows(con: duckdb.DuckDBPyConnection, frames: dict, marker: pl.DataFrame | None = None) -> None:
    releases = frames["releases"].with_columns(date=timestamp("date"))
    if marker is not None:
        releases = pl.concat([releases, marker], how="diagonal_relaxed")
    frames = {"releases": releases, "awards": award_types(frames["awards"]),
              "award_suppliers": frames["award_suppliers"].drop("has_gb_coh").with_columns(
                  release_date=timestamp("release_date"))}
    for name, table in (("release", "releases"), ("award", "awards"), ("supplier", "award_suppliers")):
        if frames[table].height == 0:
            continue
        con.register(f"{name}_rows_df", frames[table].to_arrow())
        try:
            sqlfiles.execute(con, f"notices/insert_{name}_rows")
        finally:
            con.unregister(f"{name}_rows_df")


def _marker_row(sha: str, source: str):
    """An empty page still gets one all-null release row, so it is not walked again every night."""
    return pl.DataFrame({"page_sha256": [sha], "source": [source]})
