"""Backfill from the Open Contracting Data Registry: one gzipped JSON Lines file per service and year.

Contracts Finder is publication 128, Find a Tender publication 41 (sources.md §3.6, §4.4). A year's file is
fetched with a conditional GET, landed raw by sha256 like any page, and flattened through the same path as the
API pages, so a notice seen both in bulk and through the API is stored once (releases dedupe on their id).
"""

from __future__ import annotations

from collections.abc import Callable

from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.notices.ingest import flatten_new_pages
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.fetch import fetch_file
from pipelines.warehouse import Warehouse

OCDR_PUBLICATIONS = {"contracts_finder": 128, "find_a_tender": 41}


def bulk_url(config: SourcesConfig, source: str, year: int) -> str:
    return f"{config.ocdr_url.rstrip('/')}/en/publication/{OCDR_PUBLICATIONS[source]}/download?name={year}.jsonl.gz"


def load_bulk_year(source: str, year: int, *, session: PoliteSession, warehouse: Warehouse, config: SourcesConfig,
                   progress: Callable[[str], None] = print) -> dict:
    """Land one service's releases of one year from the registry and flatten them into staging."""
    url = bulk_url(config, source, year)
    link = DiscoveredLink(url=url, link_text=f"Open Contracting Data Registry {source} {year}",
                          landing_page=config.ocdr_url, period_label=str(year), format_hint="jsonl.gz")
    with warehouse.connect() as con:
        outcome = fetch_file(link, session, con, warehouse.raw_store, None, source_kind=source,
                             revalidate_after_days=config.revalidate_after_days)
        if not outcome.ok:
            raise RuntimeError(f"bulk file {url}: {outcome.error}")
        stats = flatten_new_pages(con, warehouse.raw_store)
    progress(f"{source} {year} bulk file: {'unchanged (304)' if outcome.not_modified else 'fetched'}, "
             f"{stats['new_pages_flattened']} new bodies flattened, {stats['distinct_releases']} releases in staging")
    return {"not_modified": outcome.not_modified, **stats}
