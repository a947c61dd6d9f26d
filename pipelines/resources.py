"""Dagster resources: thin configurable wrappers that hand the plain library its warehouse and sources.

Fields have defaults so `dagster dev` works out of the box (live sources, `warehouse/` at the project root);
the demo and tests override them with run config. Nothing is read from the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.config import DEFAULT_WAREHOUSE, SourcesConfig
from pipelines.http import PoliteSession
from pipelines.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse root (working file, raw blobs, published file, extracts) and the DuckDB bounds applied
    on every connection (empty / 0 = the environment, else the defaults in pipelines.warehouse)."""

    root: str = ""
    memory_limit: str = ""
    threads: int = 0
    temp_directory: str = ""
    checkpoint_threshold: str = ""
    # object storage for raw blobs and extract releases (pipelines/storage.py); empty = the environment's
    # KEEPITLOCAL_RAW_URL / KEEPITLOCAL_EXTRACTS_URL, else local disk under the root
    raw_url: str = ""
    extracts_url: str = ""

    def get(self) -> Warehouse:
        root = self.root or os.environ.get("KEEPITLOCAL_WAREHOUSE") or str(DEFAULT_WAREHOUSE)
        return Warehouse(Path(root).resolve(), memory_limit=self.memory_limit or None, threads=self.threads or None,
                         temp_directory=self.temp_directory or None,
                         checkpoint_threshold=self.checkpoint_threshold or None, raw_url=self.raw_url or None,
                         extracts_url=self.extracts_url or None)


class SourcesResource(dg.ConfigurableResource):
    """Where every upstream lives (a JSON SourcesConfig; empty = the live services)."""

    config_path: str = ""

    def get(self) -> SourcesConfig:
        return SourcesConfig.load(self.config_path or os.environ.get("KEEPITLOCAL_SOURCES") or None)

    def councils(self) -> pl.DataFrame:
        from pipelines.registry import load_registry

        return load_registry(self.get().registry_csv)

    def session(self, min_interval_s: float | None = None, *, kind: str = "page",
                robots: bool = False) -> PoliteSession:
        """A polite, bounded session allowed to reach only the configured APIs, registers and the registry's
        council sites and data hosts. `kind` picks the byte cap and deadline for downloads (council_file |
        bulk | register); `robots` honours robots.txt (council sites).

        Fails the step at once, without retries, when none of the source hosts resolves (pipelines/preflight.py).
        """
        from pipelines.preflight import SourcesUnreachable, check_sources_reachable

        config = self.get()
        try:
            check_sources_reachable(config)
        except SourcesUnreachable as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        council_urls: list[str] = []
        councils = self.councils()
        for column in ("website", "landing_urls", "data_hosts"):
            if column in councils.columns:
                for value in councils[column].drop_nulls().to_list():
                    council_urls.extend(u for u in str(value).split("|") if u)
        if "parser_hints" in councils.columns:  # the registry may also name data hosts among a council's hints
            from pipelines.registry import council_hints

            for row in councils.select("parser_hints").iter_rows(named=True):
                council_urls.extend(str(h) for h in council_hints(row).get("data_hosts") or [] if h)
        changes = {"robots": robots and config.http_robots}
        if min_interval_s is not None:
            changes["min_interval_s"] = min_interval_s
        return PoliteSession(config.allowed_hosts(council_urls), limits=config.edge_limits(kind, **changes),
                             host_intervals=config.host_intervals(),
                             # a host that is both an API and a council site (one loopback sample server)
                             # keeps its robots.txt rules
                             robots_exempt=config.api_hosts() - _council_hosts(council_urls))


def _council_hosts(urls: list[str]) -> set[str]:
    from urllib.parse import urlsplit

    return {urlsplit(u).netloc.lower() for u in urls if urlsplit(u).netloc}


class NoticesResource(dg.ConfigurableResource):
    """A notice API client factory: the real services (`ContractsFinderResource`, `FindATenderResource`) or
    recorded pages (`RecordedNoticesResource`); assets depend on this base type only."""

    def client(self, sources: SourcesResource):
        raise NotImplementedError


class ContractsFinderResource(NoticesResource):
    """Contracts Finder OCDS search, paced and windowed as SourcesConfig says."""

    def client(self, sources: SourcesResource):
        from pipelines.notices.clients import ContractsFinderClient

        return ContractsFinderClient.from_config(sources.get(), sources.session())


class FindATenderResource(NoticesResource):
    """Find a Tender OCDS release packages, paced and windowed as SourcesConfig says."""

    def client(self, sources: SourcesResource):
        from pipelines.notices.clients import FindATenderClient

        return FindATenderClient.from_config(sources.get(), sources.session())


class RecordedNoticesResource(NoticesResource):
    """Replays recorded release-package files (`*.json` in `pages_dir`) instead of calling a service."""

    pages_dir: str
    source: str

    def client(self, sources: SourcesResource):
        from pipelines.notices.clients import RecordedNoticeClient

        return RecordedNoticeClient(self.source, sorted(Path(self.pages_dir).glob("*.json")))


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(), "sources": SourcesResource(),
            "contracts_finder": ContractsFinderResource(), "find_a_tender": FindATenderResource()}
