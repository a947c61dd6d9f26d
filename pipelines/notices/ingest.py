"""Land notice pages raw (sha256 + manifest row), keep per-source watermarks, flatten into staging.

Flattening is incremental: each newly landed page is walked once into append-only row tables
(staging.notice_*_rows, keyed by page sha256), and the deduplicated tables (staging.notice_releases,
staging.awards, staging.award_suppliers) are then recomputed in SQL, so re-fetching a window never adds a
notice twice and a nightly run parses only the pages it fetched.
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
from pipelines.notices.flatten import MONEY, timestamp, walk
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


def flatten_new_pages(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Walk pages not yet flattened into the row tables, then recompute the deduplicated staging tables."""
    pending = sqlfiles.execute(con, "notices/unflattened_pages").fetchall()
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
    frames["awards"] = frames["awards"].with_columns(
        release_date=timestamp("release_date"), value_amount=pl.col("value_amount").cast(MONEY),
        award_date=timestamp("award_date").dt.date(), contract_start=timestamp("contract_start").dt.date(),
        contract_end=timestamp("contract_end").dt.date())
    frames["award_suppliers"] = frames["award_suppliers"].drop("has_gb_coh").with_columns(
        release_date=timestamp("release_date"))
    with atomic(con):
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
