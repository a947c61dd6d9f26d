"""Reference registers (Companies House, PSC corporate owners, Charity Commission, ONS postcodes, public
bodies): downloaded by conditional GET, landed raw by sha256, loaded into `reference.*`, refreshed monthly."""


import dagster as dg

from pipelines.asset_metadata import table_metadata
from pipelines.progress import reporter
from pipelines.registers import refresh_registers
from pipelines.resources import SourcesResource, WarehouseResource


@dg.asset(key_prefix="reference", group_name="registers", kinds={"duckdb", "polars"}, pool="warehouse_writer",
          retry_policy=dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL),
          owners=["team:data"])
def registers(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              sources: SourcesResource) -> dg.MaterializeResult:
    """Companies House basic company data, PSC corporate owners, the Charity Commission extract, the ONS
    postcode lookup and the register of local authorities, as reference tables for supplier resolution."""
    session = sources.session(kind="register")
    try:
        results = refresh_registers(sources.get(), session=session, warehouse=warehouse.get(),
                                    progress=reporter(context.log.info))
    finally:
        session.close()
    failed = [r["register"] for r in results if r["status"].startswith("failed")]
    if len(failed) == len(results):
        raise dg.Failure(description="no register could be refreshed", metadata={"results": results})
    loaded = sum(int(r["rows"] or 0) for r in results if r["status"] == "loaded")
    with warehouse.get().connect() as con:
        metadata = table_metadata(con, "reference.companies", rows_added=loaded, extra={
            "registers": dg.MetadataValue.json(results), "failed": failed},
            also=["reference.psc_corporate_owners", "reference.charities", "reference.postcodes",
                  "reference.public_bodies"])
    return dg.MaterializeResult(metadata=metadata)
