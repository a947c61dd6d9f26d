"""The warehouse: core star schema, marts with their checks, publishing by swap, researchers' extracts.

Analysts keep reading the old file (their snapshot) while a new one is swapped in; a failed global check or a
killed build leaves the published file untouched. A publication that fails a publication check is held back by
the core build (its reason in meta.publication_holds and this run's stage report) and everything else publishes.
"""


from datetime import datetime, timezone

import dagster as dg

from assets.council_spend.assets import councils
from assets.notices.assets import awards
from assets.suppliers.assets import suppliers
from pipelines.asset_metadata import scalar_stats, table_metadata
from pipelines import __version__
from pipelines.marts.build import build_core
from pipelines.marts.refresh import (TableSignatures, forget_checks, publish_gate, refresh_blocking_checks,
                                    refresh_marts, refresh_warning_checks)
from pipelines.extracts.build import RetentionPolicy, build_release, release_inputs
from pipelines.marts.docs import write_warehouse_readme
from pipelines.published import connect_published, storage_version
from pipelines.marts.holds import held_back, record_in_stage_report
from pipelines.resources import WarehouseResource
from pipelines.runs import record_run, run_started_at
from pipelines.stage_state import wants_full_rebuild
from pipelines.warehouse import PublishBlocked

MARTS = {
    "keep_it_local_scorecard": "council x financial year (and quarter): shares of spend to local, SME, VCSE, "
                               "public, large private, individual/redacted and unresolved suppliers, with peers",
    "supplier_concentration": "council x financial year (and x service): HHI, top-1/top-5 shares, supplier counts",
    "group_exposure": "corporate group x council x financial year: spend, share, services, councils exposed",
    "sourcing_events": "council x service x event: outsourcing, insourcing and re-lets detected from payments",
    "contract_pipeline": "awards by contract end date per council and supplier: what is coming up for re-letting",
    "payment_contract_links": "payments matched to awards: contracted vs off-contract spend per council and year",
    "transparency_compliance": "council x month: published or missing, lateness, mandatory fields, redactions",
}
MART_KEYS = [dg.AssetKey(["marts", name]) for name in MARTS]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dg.asset(key_prefix="core", group_name="warehouse", kinds={"duckdb"}, pool="warehouse_writer",
          deps=[councils, suppliers, awards], owners=["team:data"])
def star_schema(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """core.fact_payment (every current line once, each linked to supplier, service, date and its source
    file/sheet/row), core.fact_award, and the dimensions dim_supplier, dim_council, dim_date, dim_service. Only
    councils whose inputs changed are rebuilt, and the dimensions only when theirs did (metadata `dimensions`:
    built|unchanged; everything when the run is tagged keepitlocal/full_rebuild); publications failing a
    publication check are held back."""
    with warehouse.get().connect() as con:
        registry = con.sql("select * from reference.councils").pl()
        stats = build_core(con, registry, full=wants_full_rebuild(context.run.tags), run_id=context.run.run_id)
        record_in_stage_report(con, context.run.run_id)
        holds = held_back(con)
        metadata = table_metadata(con, "core.fact_payment", extra=scalar_stats(stats),
                                  also=["core.fact_award", "core.dim_supplier", "core.dim_council", "core.dim_date",
                                        "core.dim_service"])
    for hold in holds:
        context.log.warning(f"held back: {hold['council_name']} {hold['period_key']} ({hold['source_url']}): "
                            f"{hold['reason']}")
    metadata["held_back"] = dg.MetadataValue.json([{k: str(v) for k, v in h.items()} for h in holds])
    return dg.MaterializeResult(metadata=metadata)


@dg.multi_asset(
    specs=[dg.AssetSpec(key, description=MARTS[key.path[-1]], deps=[star_schema], group_name="marts",
                        kinds={"duckdb"}, owners=["team:data"]) for key in MART_KEYS],
    check_specs=[dg.AssetCheckSpec("reconciles_with_staging", asset=MART_KEYS[0], blocking=True,
                                   description="keys unique, totals reconcile staging -> core -> marts, "
                                               "no rows lost or duplicated, casts within null thresholds"),
                 dg.AssetCheckSpec("no_surprises_since_last_publish", asset=MART_KEYS[0],
                                   description="warnings only: supplier coverage drops, a council missing a month, "
                                               "sudden total changes against the published warehouse"),
                 dg.AssetCheckSpec("every_publication_released", asset=MART_KEYS[0],
                                   description="warning: publications held back from the release by a failed "
                                               "publication check (council, period, reason)")],
    pool="warehouse_writer",
)
def marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The marts whose inputs changed rebuilt from core in one transaction (pipelines/marts/refresh.py: a mart
    whose SQL, parameters and input tables are as at its last build is left as it is, status 'unchanged'; every
    mart is rebuilt when the run is tagged keepitlocal/full_rebuild), then the blocking checks (publish waits for
    them; a pass on unchanged inputs is reused) and the warning checks (reported only)."""
    wh = warehouse.get()
    previous = wh.published_path if wh.published_path.exists() else None
    force, run_id = wants_full_rebuild(context.run.tags), context.run.run_id
    with wh.connect() as con:
        signatures = TableSignatures(con)
        built = refresh_marts(con, force=force, run_id=run_id, signatures=signatures)
        failures, checks_status = refresh_blocking_checks(con, force=force, run_id=run_id, signatures=signatures)
        warnings, warnings_status = refresh_warning_checks(con, previous, force=force, run_id=run_id,
                                                           signatures=signatures)
        metadata = {key: table_metadata(con, f"marts.{key.path[-1]}", extra={
            "status": "built" if key.path[-1] in built["marts_rebuilt"] else "unchanged"}) for key in MART_KEYS}
        holds = held_back(con)
    context.log.info(f"marts rebuilt: {', '.join(built['marts_rebuilt']) or 'none'} (of which brought to the new "
                     f"date in place: {', '.join(built['marts_redated']) or 'none'}); unchanged: "
                     f"{', '.join(built['marts_unchanged']) or 'none'}; blocking checks {checks_status}, "
                     f"warning checks {warnings_status}")
    for key in MART_KEYS:
        yield dg.MaterializeResult(asset_key=key, metadata=metadata[key])
    yield dg.AssetCheckResult(check_name="reconciles_with_staging", asset_key=MART_KEYS[0], passed=not failures,
                              metadata={"failures": dg.MetadataValue.json(failures), "status": checks_status})
    yield dg.AssetCheckResult(check_name="no_surprises_since_last_publish", asset_key=MART_KEYS[0],
                              passed=not warnings, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"warnings": dg.MetadataValue.json(warnings), "status": warnings_status})
    yield dg.AssetCheckResult(check_name="every_publication_released", asset_key=MART_KEYS[0],
                              passed=not holds, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"held_back": dg.MetadataValue.json(
                                  [f"{h['council_gss']} {h['period_key']} {h['source_url']}: {h['reason']}" for h in holds])})


@dg.asset(group_name="publish", kinds={"duckdb"}, pool="warehouse_writer", deps=MART_KEYS, owners=["team:data"])
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The analysts' read-only warehouse file (warehouse/keepitlocal.duckdb): the working database copied,
    checked again (the publish gate on the copy; a pass the marts step found still standing is not re-run) and
    swapped in atomically; meta.runs in it says when this run started and when it published, and whether
    publications were held back."""
    wh = warehouse.get()
    run_id = context.run.run_id
    started_at = run_started_at(context.instance, run_id)
    with wh.connect() as con:
        status = "published_with_holds" if held_back(con) else "published"

    def stamp(con) -> None:  # on the checked copy, just before it is swapped in
        record_run(con, run_id, started_at=started_at, finished_at=_now(), status=status)

    gate = publish_gate(run_id)  # a pass on inputs unchanged since they last passed stands (marts/refresh.py)
    try:
        path = wh.publish(run_id, gate, stamp=stamp)
    except PublishBlocked as blocked:
        with wh.connect() as con:
            forget_checks(con)
            record_run(con, run_id, started_at=started_at, finished_at=_now(), status="blocked")
        raise dg.Failure(description=str(blocked), metadata={"failures": blocked.failures}) from blocked
    with wh.connect() as con:  # the working file keeps the same row, so later releases carry the history
        record_run(con, run_id, started_at=started_at, finished_at=_now(), status=status)
    con = connect_published(path)  # a fresh session: never a cached instance of the file this publish replaced
    try:
        readme = write_warehouse_readme(con, wh.root / "README.md")
    finally:
        con.close()
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)), "readme": str(readme),
                                          "gate": "unchanged since passed" if gate.reused else "checked",
                                          "bytes": path.stat().st_size, "storage_version": storage_version(path)})


class ExtractsConfig(dg.Config):
    """How many releases of the extracts to keep (run config; the defaults suit a nightly run)."""

    keep_last: int = 7                 # the newest N releases
    keep_month_ends: bool = True       # and the last release of every month, whatever its age


@dg.asset(group_name="publish", kinds={"parquet"}, deps=[published_warehouse], owners=["team:data"])
def research_extracts(context: dg.AssetExecutionContext, config: ExtractsConfig,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Researchers' downloads: an immutable release under warehouse/extracts/<release>/ (parquet facts,
    dimensions and marts, CSV marts, datapackage.json, index.html catalogue with charts), the `latest` pointer,
    and older releases pruned to the retention policy (the last 7 and every month's last, by default). When the
    published contents are those of the latest release, that release is kept and nothing is written (status
    'unchanged'), unless the run is tagged keepitlocal/full_rebuild."""
    wh = warehouse.get()
    version, sources = release_inputs(wh.published_path, default_version=__version__)
    release = build_release(wh.published_path, wh.extracts_target, pipeline_version=version, sources=sources,
                            retention=RetentionPolicy(config.keep_last, config.keep_month_ends),
                            reuse_unchanged=not wants_full_rebuild(context.run.tags))
    context.log.info(release.summary)
    return dg.MaterializeResult(metadata={
        "status": "unchanged" if release.reused else "built",
        "release": release.location, "summary": release.summary,
        "tables": len(release.extracts), "files": sum(len(e.files) for e in release.extracts),
        "rows": sum(e.rows for e in release.extracts if e.format == "parquet"),
        "bytes": sum(e.bytes for e in release.extracts), "releases_deleted": release.pruned,
        "catalogue": dg.MetadataValue.path(release.location + "/index.html"),
    })
