"""Council "spending over £500" files: registry -> discovery -> fetch -> parse -> staging.spend_lines.

The nightly asset walks every council in the registry; one council's failure is recorded in its stage report
and never stops the others. The partitioned asset re-ingests a single council (backfill or re-run) into the
same tables through the same function.
"""


import dagster as dg
import polars as pl

from pipelines import sqlfiles
from pipelines.asset_metadata import scalar_stats, table_metadata
from pipelines.progress import reporter
from pipelines.registry import validate_registry
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.spend.concurrent import ingest_councils
from pipelines.spend.rebuild import reparse_needed, reparse_spend

council_partitions = dg.DynamicPartitionsDefinition(name="councils")

RETRY = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
STAGE_COLUMNS = ["council_gss", "council_name", "discovered", "fetched", "not_modified", "parsed",
                 "quarantined", "rows", "error", "fetch_failed", "retryable", "pages_failed", "links_refused",
                 "links_deferred"]


@dg.asset(key_prefix="reference", group_name="council_spend", kinds={"duckdb", "polars"},
          pool="warehouse_writer", owners=["team:data"])
def councils(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
             sources: SourcesResource) -> dg.MaterializeResult:
    """The council source registry (GSS code, type, region, landing pages, discovery method, hints)."""
    councils_df = sources.councils()
    errors = validate_registry(councils_df)
    if errors:
        raise dg.Failure(description="council registry is invalid", metadata={"errors": errors[:50]})
    with warehouse.get().transaction() as con:
        con.register("councils_df", councils_df.to_arrow())
        sqlfiles.execute(con, "registry/replace_councils")
    known = set(context.instance.get_dynamic_partitions(council_partitions.name))
    new_keys = [gss for gss in councils_df["gss"].to_list() if gss not in known]
    if new_keys:
        context.instance.add_dynamic_partitions(council_partitions.name, new_keys)
    # registry coverage (keepitlocal registry report): verified pages per type, abolished bodies, stale rows
    from pipelines.registry.report import metadata_summary, registry_report

    coverage = metadata_summary(registry_report(councils_df))
    with warehouse.get().connect() as con:
        metadata = table_metadata(con, "reference.councils", rows_added=councils_df.height,
                                  extra={"source": sources.get().registry_csv, "new_partitions": len(new_keys),
                                         **coverage})
    return dg.MaterializeResult(metadata=metadata)


def _ingest(context, warehouse: WarehouseResource, sources: SourcesResource, selected: pl.DataFrame) -> dg.MaterializeResult:
    progress = reporter(context.log.info)
    wh = warehouse.get()
    config = sources.get()
    session = sources.session(kind="council_file", robots=True)
    try:
        # councils fetched concurrently across hosts, parsed in worker processes, loaded by this one writer
        raw_reports = ingest_councils(list(selected.iter_rows(named=True)), session=session, warehouse=wh,
                                      config=config, progress=progress)
    finally:
        session.close()
    return _record_reports(context, wh, config, raw_reports)


def _record_reports(context, wh, config, raw_reports: list[dict]) -> dict:
    """Write the stage report, fail loudly when too many councils failed, else the materialisation metadata."""
    reports = [{k: report.get(k) for k in STAGE_COLUMNS} for report in raw_reports]
    report_df = pl.DataFrame(reports, schema={c: (pl.Int64 if c not in ("council_gss", "council_name", "error") else pl.String)
                                               for c in STAGE_COLUMNS})
    with wh.transaction() as con:
        con.register("report_df", report_df.to_arrow())
        sqlfiles.execute(con, "registry/delete_stage_report", {"run_id": context.run.run_id})
        sqlfiles.execute(con, "registry/insert_stage_report", {"run_id": context.run.run_id})
    totals = {c: int(report_df[c].fill_null(0).sum()) for c in STAGE_COLUMNS[2:8] + STAGE_COLUMNS[9:]}
    failed = report_df.filter(pl.col("error").is_not_null())["council_gss"].to_list()
    retryable = sum(int(r.get("retryable") or 0) for r in raw_reports)
    metadata = {**totals, "councils": report_df.height, "failed_councils": failed,
                "retryable_failures": retryable}
    if report_df.height and len(failed) / report_df.height > config.max_failed_council_share:
        # every report is recorded above; the step fails loudly instead of publishing a thin night
        raise dg.Failure(
            description=f"{len(failed)} of {report_df.height} councils failed (more than "
                        f"{config.max_failed_council_share:.0%}): " + "; ".join(
                            f"{r['council_gss']}: {r['error']}" for r in reports if r.get("error"))[:2000],
            metadata=metadata, allow_retries=False)
    with wh.connect() as con:
        metadata = table_metadata(con, "staging.spend_lines", rows_added=totals["rows"], extra=metadata,
                                  also=["staging.spend_publications", "staging.quarantine"])
    return metadata


@dg.asset(key_prefix="staging", group_name="council_spend", deps=[councils], kinds={"duckdb", "polars"},
          pool="warehouse_writer", owners=["team:data"])
def spend_reparsed(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   sources: SourcesResource) -> dg.MaterializeResult:
    """Stored spending files parsed again from the raw store when the parser's version changed (publications
    parsed by an older version, bodies the parser set aside); nothing is downloaded. A no-op on nights when
    the parser is unchanged. The same as `keepitlocal rebuild spend`."""
    from pipelines.spend.parse import PARSER_VERSION

    wh = warehouse.get()
    if not reparse_needed(wh):
        with wh.connect() as con:  # the same table report on quiet nights, so the row count stays comparable
            metadata = table_metadata(con, "staging.spend_lines", rows_added=0,
                                      extra={"parser_version": PARSER_VERSION, "reparsed": 0, "skipped": True})
        return dg.MaterializeResult(metadata=metadata)
    stats = reparse_spend(wh, sources.get(), progress=reporter(context.log.info))
    with wh.connect() as con:
        metadata = table_metadata(con, "staging.spend_lines", rows_added=stats.get("rows"),
                                  extra={"parser_version": PARSER_VERSION, **scalar_stats(stats)})
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(key_prefix="staging", group_name="council_spend", deps=[councils, spend_reparsed],
          kinds={"duckdb", "polars"}, pool="warehouse_writer", retry_policy=RETRY, owners=["team:data"])
def spend_lines(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                sources: SourcesResource) -> dg.MaterializeResult:
    """Every council's spending files discovered, fetched (conditional GET), parsed and loaded into
    staging.spend_lines, with superseded publications kept as history and bad files quarantined."""
    return dg.MaterializeResult(metadata=_ingest(context, warehouse, sources, sources.councils()))


def _partition_council(context, sources: SourcesResource) -> dict:
    selected = sources.councils().filter(pl.col("gss") == context.partition_key)
    if selected.is_empty():
        raise dg.Failure(description=f"council {context.partition_key} is not in the registry")
    return selected.row(0, named=True)


@dg.op(ins={"councils": dg.In(dg.Nothing)}, tags={"keepitlocal/backfill": "true"})
def council_files_staged(context: dg.OpExecutionContext, warehouse: WarehouseResource,
                         sources: SourcesResource) -> str:
    """One council's files discovered, downloaded into the raw store and parsed, outside the warehouse_writer
    pool (it reads only the published file): council partitions fetch and parse side by side."""
    from pipelines.spend.concurrent import STAGED, stage_council, sweep_staged

    council = _partition_council(context, sources)
    wh = warehouse.get()
    sweep_staged(wh)
    bundle = wh.root / "work" / STAGED / f"{context.run.run_id}-{council['gss']}"
    session = sources.session(kind="council_file", robots=True)
    try:
        stage_council(council, session=session, warehouse=wh, config=sources.get(), bundle_dir=bundle,
                      progress=reporter(context.log.info),
                      registry=list(sources.councils().iter_rows(named=True)))
    finally:
        session.close()
    return str(bundle)


@dg.op(pool="warehouse_writer", retry_policy=RETRY, tags={"keepitlocal/backfill": "true"})
def council_files_loaded(context: dg.OpExecutionContext, warehouse: WarehouseResource, sources: SourcesResource,
                         bundle: str) -> dg.Output:
    """The staged council loaded by the single writer (warehouse_writer pool): fetches recorded, bodies loaded or
    quarantined in link order, supersession applied."""
    from pipelines.spend.concurrent import load_staged

    wh = warehouse.get()
    report = load_staged(bundle, warehouse=wh, progress=reporter(context.log.info))
    return dg.Output(None, metadata=_record_reports(context, wh, sources.get(), [report]))


@dg.graph_asset(key_prefix="staging", group_name="council_spend", kinds={"duckdb", "polars"},
                ins={"councils": dg.AssetIn(key=councils.key, dagster_type=dg.Nothing)},
                partitions_def=council_partitions,
                tags={"keepitlocal/backfill": "true"}, owners=["team:data"])
def spend_lines_by_council(councils):
    """One council's spending files (partition = GSS code), for backfills and re-runs; writes the same
    staging tables as the nightly asset, so a partition stands alone. Two steps: fetch and parse outside the
    warehouse_writer pool, then load inside it, so a backfill's council runs overlap on the network and the
    parser while their loads take turns."""
    return council_files_loaded(council_files_staged(councils))
