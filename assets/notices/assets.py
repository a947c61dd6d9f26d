"""Contracts Finder and Find a Tender notices: raw pages landed by sha256, flattened to staging.awards.

The nightly assets fetch from each source's watermark (minus a trailing window, so edits arrive) to today;
the daily-partitioned assets re-fetch one day for backfills (Contracts Finder from 2015, Find a Tender from
2021). All of them write through the same library functions, so nothing is stored twice.
"""

from datetime import datetime, timezone

import dagster as dg

from pipelines.asset_metadata import scalar_stats, table_metadata
from pipelines.notices.bulk import load_bulk_year
from pipelines.notices.ingest import NoticeWindowsFailed, flatten_new_pages, ingest_notices, nightly_window
from pipelines.progress import reporter
from pipelines.resources import NoticesResource, SourcesResource, WarehouseResource

RETRY = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
CF_DAYS = dg.DailyPartitionsDefinition(start_date="2015-01-01", timezone="Europe/London")
FTS_DAYS = dg.DailyPartitionsDefinition(start_date="2021-01-01", timezone="Europe/London")


def _utc(moment: datetime) -> datetime:
    """A partition bound as the naive UTC the clients send: London midnight in summer is 23:00 UTC the day
    before, so dropping the zone without converting would shift every BST window by an hour."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _ingest(context, source: str, api: NoticesResource, warehouse: WarehouseResource, sources: SourcesResource,
            start: datetime, end: datetime, *, advance_watermark: bool = True) -> dg.MaterializeResult:
    client = api.client(sources)
    try:
        stats = ingest_notices(source, client, warehouse.get(), start, end, progress=reporter(context.log.info),
                               advance_watermark=advance_watermark)
    except NoticeWindowsFailed as exc:
        if exc.rate_limited:
            # Contracts Finder's 403 means "wait five minutes"; let Dagster retry the step after the wait
            raise dg.RetryRequested(max_retries=3, seconds_to_wait=sources.get().cf_rate_limit_wait_s) from exc
        raise  # the asset's retry policy applies; the watermark has not moved past the failed window
    finally:
        client.close()
    with warehouse.get().connect() as con:
        metadata = table_metadata(con, "raw.fetch_manifest", rows_added=stats.get("pages"), preview=False,
                                  extra={**scalar_stats(stats), "window_start": start.isoformat(),
                                         "window_end": end.isoformat()})
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(key_prefix="raw", group_name="contracts_finder", kinds={"duckdb"}, pool="warehouse_writer",
          retry_policy=RETRY, owners=["team:data"])
def contracts_finder_releases(context: dg.AssetExecutionContext, contracts_finder: NoticesResource,
        warehouse: WarehouseResource,
                              sources: SourcesResource) -> dg.MaterializeResult:
    """Contracts Finder OCDS release pages since the watermark (minus the trailing window), in windows of at
    most 15 days, one connection, 403 -> wait 300 s; each page stored once by sha256."""
    start, end = nightly_window("contracts_finder", warehouse.get(), sources.get())
    return _ingest(context, "contracts_finder", contracts_finder, warehouse, sources, start, end)


@dg.asset(key_prefix="raw", group_name="find_a_tender", kinds={"duckdb"}, pool="warehouse_writer",
          retry_policy=RETRY, owners=["team:data"])
def find_a_tender_releases(context: dg.AssetExecutionContext, find_a_tender: NoticesResource,
        warehouse: WarehouseResource,
                           sources: SourcesResource) -> dg.MaterializeResult:
    """Find a Tender OCDS release packages since the watermark (minus the trailing window), in windows of at
    most 6 hours, at least 10 s between calls; each page stored once by sha256."""
    start, end = nightly_window("find_a_tender", warehouse.get(), sources.get())
    return _ingest(context, "find_a_tender", find_a_tender, warehouse, sources, start, end)


@dg.asset(key_prefix="raw", group_name="contracts_finder", kinds={"duckdb"}, pool="warehouse_writer",
          partitions_def=CF_DAYS, backfill_policy=dg.BackfillPolicy.single_run(), retry_policy=RETRY,
          tags={"keepitlocal/backfill": "true"}, owners=["team:data"])
def contracts_finder_releases_by_day(context: dg.AssetExecutionContext, contracts_finder: NoticesResource,
        warehouse: WarehouseResource,
                                     sources: SourcesResource) -> dg.MaterializeResult:
    """Contracts Finder releases published on the partition's day(s): the backfill path from 2015."""
    start, end = _utc(context.partition_time_window.start), _utc(context.partition_time_window.end)
    return _ingest(context, "contracts_finder", contracts_finder, warehouse, sources, start, end, advance_watermark=False)


@dg.asset(key_prefix="raw", group_name="find_a_tender", kinds={"duckdb"}, pool="warehouse_writer",
          partitions_def=FTS_DAYS, backfill_policy=dg.BackfillPolicy.single_run(), retry_policy=RETRY,
          tags={"keepitlocal/backfill": "true"}, owners=["team:data"])
def find_a_tender_releases_by_day(context: dg.AssetExecutionContext, find_a_tender: NoticesResource,
        warehouse: WarehouseResource,
                                  sources: SourcesResource) -> dg.MaterializeResult:
    """Find a Tender releases updated on the partition's day(s), walked in 6-hour windows: the backfill
    path from 2021."""
    start, end = _utc(context.partition_time_window.start), _utc(context.partition_time_window.end)
    return _ingest(context, "find_a_tender", find_a_tender, warehouse, sources, start, end, advance_watermark=False)


# one partition per calendar year, from each service's first year of data
CF_YEARS = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start="2015", fmt="%Y")
FTS_YEARS = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start="2021", fmt="%Y")


def _bulk(context, source: str, warehouse: WarehouseResource, sources: SourcesResource) -> dg.MaterializeResult:
    session = sources.session(kind="bulk")
    try:
        stats = load_bulk_year(source, int(context.partition_key), session=session, warehouse=warehouse.get(),
                               config=sources.get(), progress=reporter(context.log.info))
    finally:
        session.close()
    with warehouse.get().connect() as con:
        metadata = table_metadata(con, "raw.fetch_manifest", preview=False, extra=scalar_stats(stats))
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(key_prefix="raw", group_name="contracts_finder", kinds={"duckdb"}, pool="warehouse_writer",
          partitions_def=CF_YEARS, retry_policy=RETRY, tags={"keepitlocal/backfill": "true"}, owners=["team:data"])
def contracts_finder_bulk_by_year(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                                  sources: SourcesResource) -> dg.MaterializeResult:
    """A year of Contracts Finder releases from the Open Contracting Data Registry (publication 128): the
    bulk backfill path, cheaper than walking the API day by day."""
    return _bulk(context, "contracts_finder", warehouse, sources)


@dg.asset(key_prefix="raw", group_name="find_a_tender", kinds={"duckdb"}, pool="warehouse_writer",
          partitions_def=FTS_YEARS, retry_policy=RETRY, tags={"keepitlocal/backfill": "true"}, owners=["team:data"])
def find_a_tender_bulk_by_year(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                               sources: SourcesResource) -> dg.MaterializeResult:
    """A year of Find a Tender releases from the Open Contracting Data Registry (publication 41)."""
    return _bulk(context, "find_a_tender", warehouse, sources)


@dg.asset(key_prefix="staging", group_name="notices", kinds={"duckdb", "polars"}, pool="warehouse_writer",
          # the backfill assets land pages in the same raw store: they are upstream of the flattening too
          deps=[contracts_finder_releases, find_a_tender_releases, contracts_finder_releases_by_day,
                find_a_tender_releases_by_day, contracts_finder_bulk_by_year, find_a_tender_bulk_by_year],
          owners=["team:data"])
def awards(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Notices flattened from the raw pages: releases (latest per id), awards (ocid x award id, latest release
    wins), award suppliers with org-ids, SME/VCSE flags and postcodes; cross-source duplicates linked."""
    with warehouse.get().connect() as con:
        stats = flatten_new_pages(con, warehouse.get().raw_store)
        metadata = table_metadata(con, "staging.awards", rows_added=stats.get("awards"), extra=scalar_stats(stats),
                                  also=["staging.notice_releases", "staging.award_suppliers"])
    return dg.MaterializeResult(metadata=metadata)
