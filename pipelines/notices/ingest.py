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
from pipelines.notices.clients import NoticeClient
from pipelines.notices.flatten import award_types, timestamp, walk
from pipelines.notices.read import UnreadableInput, releases_in_body
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


def ingest_notices(source: str, client: NoticeClient, warehouse: Warehouse, start: datetime, end: datetime,
                   progress: Callable[[str], None] = print) -> dict:
    """Fetch every page of [start, end), land each body once, record it, advance the watermark, flatten."""
    pages = releases = errors = 0
    with warehouse.connect() as con:
        for page in client.iter_pages(start, end):
            sha = rawstore.store(warehouse.raw_dir, page.body) if page.status == 200 else None
            sqlfiles.execute(con, "notices/insert_page", {
                "fetch_id": rawstore.sha256_hex(f"{page.url}\n{page.fetched_at.isoformat()}\n{pages}".encode()),
                "source_kind": source, "url": page.url,
                "request_params": json.dumps(page.params, sort_keys=True) if page.params else None,
                "window_start": page.window_start, "window_end": page.window_end, "fetched_at": page.fetched_at,
                "http_status": page.status, "content_type": page.content_type, "bytes": len(page.body),
                "sha256": sha})
            pages += 1
            releases += len(page.releases)
            errors += page.error is not None
        sqlfiles.execute(con, "notices/advance_watermark", {"source": source, "window_end": end,
                                                            "updated_at": _now()})
        flattened = flatten_new_pages(con, warehouse.raw_dir)
    progress(f"{source}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}: {client.requests} requests, "
             f"{pages} pages, {releases} releases, {client.waits} rate-limit waits, {errors} unreadable pages")
    return {"requests": client.requests, "pages": pages, "releases": releases, "rate_limit_waits": client.waits,
            "unreadable_pages": errors, **flattened}


def rebuild_notice_staging(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Recompute every notice staging table from the landed raw pages alone, in one transaction."""
    return _flatten_pages(con, raw_dir, rebuild=True)


def load_bulk_jsonl(path_or_url: str | Path, source: str, warehouse: Warehouse, session=None,
                    progress: Callable[[str], None] = print) -> dict:
    """Land one Open Contracting Data Registry `jsonl.gz` file (compiled releases or release packages, one a
    line) from a local path or a URL (fetched through `session`, a PoliteSession), then flatten it. The same
    file landed twice is stored and flattened once."""
    text = str(path_or_url)
    if text.startswith(("http://", "https://")):
        if session is None:
            raise ValueError("a URL needs a session (pipelines.http.PoliteSession)")
        response = session.get(text)
        response.raise_for_status()
        body, url, content_type = response.content, text, response.headers.get("Content-Type")
    else:
        path = Path(path_or_url)
        body, url, content_type = path.read_bytes(), path.resolve().as_uri(), "application/gzip"
    releases_in_body(body)  # unreadable files fail here, before anything is recorded
    with warehouse.connect() as con:
        sha = rawstore.store(warehouse.raw_dir, body)
        fetched_at = _now()
        sqlfiles.execute(con, "notices/insert_page", {
            "fetch_id": rawstore.sha256_hex(f"{url}\n{fetched_at.isoformat()}".encode()), "source_kind": source,
            "url": url, "request_params": None, "window_start": None, "window_end": None, "fetched_at": fetched_at,
            "http_status": 200, "content_type": content_type, "bytes": len(body), "sha256": sha})
        stats = flatten_new_pages(con, warehouse.raw_dir)
    progress(f"{source} bulk file {url}: {stats['new_pages_flattened']} new bodies flattened, "
             f"{stats['distinct_releases']} releases in staging")
    return stats


def flatten_new_pages(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Walk pages not yet flattened into the row tables, then recompute the deduplicated staging tables."""
    return _flatten_pages(con, raw_dir, rebuild=False)


def _flatten_pages(con: duckdb.DuckDBPyConnection, raw_dir: Path, rebuild: bool) -> dict:
    if not rebuild and sqlfiles.execute(con, "notices/supplier_rows_without_release").fetchone()[0]:
        rebuild = True  # rows from an older flattening cannot be tied to their award's winning release
    pending = sqlfiles.execute(con, "notices/landed_pages" if rebuild else "notices/unflattened_pages").fetchall()
    items, empty_pages = [], []
    for sha, source in pending:
        try:
            releases = releases_in_body(rawstore.read(raw_dir, sha))
        except UnreadableInput:
            releases = []  # kept raw; an unreadable page yields no rows
        if not releases:
            empty_pages.append(_marker_row(sha, source))
        items.extend((source, release, sha) for release in releases)
    frames = walk(items)
    frames["releases"] = pl.concat([frames["releases"].with_columns(date=timestamp("date")), *empty_pages],
                                   how="diagonal_relaxed")
    frames["awards"] = award_types(frames["awards"])
    frames["award_suppliers"] = frames["award_suppliers"].drop("has_gb_coh").with_columns(
        release_date=timestamp("release_date"))
    with atomic(con):
        if rebuild:
            for name in ("release", "award", "supplier"):
                sqlfiles.execute(con, f"notices/clear_{name}_rows")
        for name, table in (("release", "releases"), ("award", "awards"), ("supplier", "award_suppliers")):
            con.register(f"{name}_rows_df", frames[table].to_arrow())
            sqlfiles.execute(con, f"notices/insert_{name}_rows")
            con.unregister(f"{name}_rows_df")
        for statement in ("rebuild_releases", "rebuild_awards", "rebuild_award_suppliers",
                          "link_cross_source_duplicates", "awards_deduplicated_view"):
            sqlfiles.execute(con, f"notices/{statement}")
    releases, awards, duplicates, suppliers = sqlfiles.execute(con, "notices/notice_counts").fetchone()
    return {"new_pages_flattened": len(pending), "distinct_releases": releases, "awards": awards,
            "cross_source_duplicates": duplicates, "award_suppliers": suppliers}


def _marker_row(sha: str, source: str):
    """An empty page still gets one all-null release row, so it is not walked again every night."""
    return pl.DataFrame({"page_sha256": [sha], "source": [source]})
