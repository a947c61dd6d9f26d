"""Build the core star schema and the marts from staging and the supplier tables.

`build_core(con, councils)` rebuilds `core.dim_*` and `core.fact_*` in one transaction; `build_marts(con, params)`
rebuilds every `marts.*` table (then the data dictionary) in another. Both replace their tables whole: they are
cheap set-based SQL over the current staging data, and a whole rebuild can never leave a half-updated mart.
The statements live in `sql/core/` and `sql/marts/`; this module only orders them and binds parameters.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import sqlfiles
from pipelines.warehouse import atomic

TAXONOMY_PATH = Path(__file__).resolve().parent / "service_taxonomy.csv"

# dimensions before facts: the facts look their keys up in them
CORE_TABLES = ("dim_council", "dim_date", "dim_service", "dim_supplier", "fact_payment", "fact_award")

# one file per mart in sql/marts/; group_exposure and the links read nothing from other marts, so order is free
MART_TABLES = ("keep_it_local_scorecard", "supplier_concentration", "group_exposure", "sourcing_events",
               "contract_pipeline", "payment_contract_links", "transparency_compliance")

# sourcing-event detection defaults (documented in the warehouse README through MART_PARAMETER_DOCS)
DEFAULT_MART_PARAMS: dict[str, Any] = {
    "min_run_months": 6,        # a supplier is recurring in a service after this many months in a run
    "allowed_missing_months": 0,  # months a recurring run may skip (an invoice paid late) without ending
    "confirm_months": 3,        # months the council must have published before a start and after a stop
    "max_gap_months": 2,        # a successor must start within this many months of the predecessor's last month
    "min_monthly_share": 0.2,   # a month counts for a run only if the supplier had this share of the service's spend
    "max_amount_cv": 0.35,      # runs whose monthly amounts vary more than this (std / mean) are not contract-like
    "lookback_months": 12,      # an outsourcing needs no recurring external supplier in this many prior months
    "window_months": 6,         # spend_before / spend_after windows (shortened equally where data runs out)
    "as_of": None,              # contract pipeline reference date; None = today
}

MART_PARAMETER_DOCS = {
    "min_run_months": "months of payments (allowing `allowed_missing_months` skipped) that make a supplier recurring in a service line",
    "allowed_missing_months": "months a recurring run may skip without ending (0: contract payments arrive every month)",
    "confirm_months": "a start or stop counts only where the council published this many months before the start / after the stop",
    "max_gap_months": "a successor's first month must fall within this many months of the predecessor's last month (relet or insourcing to a public body / council-owned company)",
    "min_monthly_share": "a month counts towards a run only when the supplier received at least this fraction of the council's spend on that service that month",
    "max_amount_cv": "coefficient of variation of a run's monthly amounts above which it is not treated as a contract",
    "lookback_months": "an outsourcing needs no recurring external supplier in the service during this many months before it",
    "window_months": "length of the spend_before / spend_after windows, shortened equally on both sides where the data runs out",
    "as_of": "reference date of the contract pipeline (contracts ending in the next 12 months)",
}

# which parameters each mart file binds (DuckDB rejects unused named parameters)
_MART_BINDS = {
    "sourcing_events": ("min_run_months", "allowed_missing_months", "confirm_months", "max_gap_months", "min_monthly_share",
                        "max_amount_cv", "lookback_months", "window_months"),
    "contract_pipeline": ("as_of",),
}


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return sqlfiles.execute(con, "core/table_exists", {"schema": schema, "table": table}).fetchall()[0][0] > 0


def build_core(con: duckdb.DuckDBPyConnection, councils: pl.DataFrame) -> dict:
    """Rebuild the core facts and dimensions in one transaction; return row counts and the service mapping rate.

    `councils` is the registry frame (`pipelines.registry.load_registry`): gss, name, type, region_gss,
    county_gss, start_date, end_date. Award facts stay empty while `staging.awards` is not loaded yet.
    """
    has_awards = table_exists(con, "staging", "awards") and table_exists(con, "staging", "award_suppliers")
    con.register("councils_input", councils)
    try:
        with atomic(con):
            for table in reversed(CORE_TABLES):
                sqlfiles.execute(con, f"core/delete_{table}")
            sqlfiles.execute(con, "core/insert_dim_council")
            award_min, award_max = (None, None)
            if has_awards:
                award_min, award_max = sqlfiles.execute(con, "core/award_date_bounds").fetchall()[0]
            sqlfiles.execute(con, "core/insert_dim_date", {"award_min_date": award_min, "award_max_date": award_max})
            sqlfiles.execute(con, "core/insert_dim_service", {"taxonomy_path": str(TAXONOMY_PATH)})
            sqlfiles.execute(con, "core/insert_dim_supplier")
            sqlfiles.execute(con, "core/insert_fact_payment")
            if has_awards:
                sqlfiles.execute(con, "core/insert_fact_award")
    finally:
        con.unregister("councils_input")
    result = {table: _count(con, "core", table) for table in CORE_TABLES}
    mapping = sqlfiles.execute(con, "core/service_mapping_rate").fetchall()[0]
    result["service_combinations_mapped_pct"] = mapping[0]
    result["service_spend_mapped_pct"] = mapping[1]
    result["awards_loaded"] = has_awards
    return result


def build_marts(con: duckdb.DuckDBPyConnection, params: dict | None = None) -> dict:
    """Rebuild every mart and the data dictionary in one transaction; return row counts per mart.

    `params` overrides DEFAULT_MART_PARAMS (unknown keys are an error, so a typo cannot silently use a default).
    """
    from pipelines.marts.dictionary import build_dictionary

    unknown = set(params or {}) - set(DEFAULT_MART_PARAMS)
    if unknown:
        raise ValueError(f"unknown mart parameters: {sorted(unknown)}")
    values = {**DEFAULT_MART_PARAMS, **(params or {})}
    if values["as_of"] is None:
        values["as_of"] = dt.date.today()
    with atomic(con):
        for mart in MART_TABLES:
            sqlfiles.execute(con, f"marts/delete/{mart}")
            sqlfiles.execute(con, f"marts/{mart}", {k: values[k] for k in _MART_BINDS.get(mart, ())})
        build_dictionary(con)
    return {mart: _count(con, "marts", mart) for mart in MART_TABLES}


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return sqlfiles.execute(con, "core/count_rows", {"table": f"{schema}.{table}"}).fetchall()[0][0]
