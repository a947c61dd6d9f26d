"""Suppliers: every staged supplier name normalised, resolved to an organisation, classified and grouped."""


import dagster as dg

from assets.council_spend.assets import spend_lines, spend_lines_by_council
from assets.notices.assets import awards
from assets.registers.assets import registers
from pipelines.asset_metadata import scalar_stats, table_metadata
from pipelines.resources import WarehouseResource
from pipelines.stage_state import wants_full_rebuild
from pipelines.suppliers.build import refresh_suppliers


@dg.asset(key_prefix="core", group_name="suppliers", kinds={"duckdb", "polars"}, pool="warehouse_writer",
          # the per-council backfill writes the same staging tables as the nightly spend_lines
          deps=[spend_lines, spend_lines_by_council, registers, awards], owners=["team:data"])
def suppliers(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """core.suppliers (one row per organisation, with org type, size, VCSE, locality and group, each with its
    basis), core.supplier_names (raw name x source x council -> supplier) and the per-run coverage report.
    Skipped (status 'unchanged') when nothing it reads changed since its last build, unless the run is tagged
    keepitlocal/full_rebuild."""
    with warehouse.get().connect() as con:
        coverage = refresh_suppliers(con, force=wants_full_rebuild(context.run.tags), run_id=context.run.run_id)
        metadata = table_metadata(con, "core.suppliers", extra=scalar_stats(coverage),
                                  also=["core.supplier_names", "core.supplier_coverage"])
    context.log.info(f"suppliers {coverage['status']}: {coverage.get('names_resolved_pct', 0):.1f}% of names, "
                     f"{coverage.get('money_resolved_pct', 0):.1f}% of money")
    return dg.MaterializeResult(metadata=metadata)
