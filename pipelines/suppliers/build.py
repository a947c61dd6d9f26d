"""Build `core.suppliers`, `core.supplier_names` and `core.supplier_coverage` from the staged names.

Reads distinct supplier names from `staging.spend_lines` (with ids and summed amounts) and, when the notices part
has run, `staging.award_suppliers` (its scale / vcse / postcode become classification evidence). Writes the three
tables in one transaction  and returns the coverage summary for the demo.
Coverage is published by count and by value (metrics.md §8): value coverage is usually much lower.

`refresh_suppliers` is what the nightly run calls: it skips the whole resolution when nothing the build reads
(the staged names, the notice suppliers, the registers, this code and its SQL) changed since the last build
(pipelines/stage_state.py), so a night with no new file does not re-resolve every supplier.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import polars as pl

from pipelines import sqlfiles, stage_state
from pipelines.warehouse import atomic
from pipelines.suppliers.classify import classify_suppliers
from pipelines.suppliers.resolve import resolve_suppliers

# A name counts as resolved when it has an org-id or is a payee type that is never matched to a register.
_SETTLED_TYPES = ["public_body", "individual", "redacted"]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(sqlfiles.execute(con, "suppliers/table_exists", {"schema": schema, "table": table}).fetchall()[0][0])


def read_names(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(names to resolve: one row per (source, council, raw name, supplier id), notice evidence per award)."""
    frames = []
    if _exists(con, "staging", "spend_lines"):
        frames.append(con.sql(sqlfiles.load("suppliers/select_spend_names")).pl())
    evidence = pl.DataFrame(schema={"name": pl.String, "source": pl.String, "scale": pl.String, "vcse": pl.Boolean, "postcode": pl.String, "award_date": pl.Date})
    if _exists(con, "staging", "award_suppliers"):
        frames.append(con.sql(sqlfiles.load("suppliers/select_award_names")).pl())
        evidence = con.sql(sqlfiles.load("suppliers/select_award_evidence")).pl()
    if not frames:
        return pl.DataFrame(schema={"name": pl.String}), evidence
    return pl.concat(frames, how="diagonal_relaxed"), evidence


CROSSWALK_KEY = ["source", "council_gss", "raw_name", "supplier_id"]


def build_suppliers(con: duckdb.DuckDBPyConnection) -> dict:
    """Resolve and classify every staged supplier name; replace the core supplier tables. Returns coverage."""
    names, evidence = read_names(con)
    resolved = resolve_suppliers(names, con)
    notice_evidence = None
    if not evidence.is_empty():
        keys = resolved.select("name", source=pl.col("source").fill_null("spend"), supplier_key="supplier_key").unique(["name", "source"])
        notice_evidence = evidence.join(keys, on=["name", "source"], how="inner").select("supplier_key", "scale", "vcse", "award_date", "postcode")
    suppliers = classify_suppliers(resolved, con, notice_evidence)
    crosswalk = resolved.select(
        raw_name=pl.col("name"),
        name_key="name_key",
        source=pl.col("source").fill_null("spend"),
        council_gss="council_gss",
        supplier_id="supplier_id",
        supplier_key="supplier_key",
        match_method="match_method",
        match_score="match_score",
        reviewed="reviewed",
    ).sort(CROSSWALK_KEY, nulls_last=True)
    # interface 4 (CONTRACTS.md): the fact build joins on these keys and must never fan out
    duplicated = crosswalk.filter(pl.struct(CROSSWALK_KEY).is_duplicated())
    if not duplicated.is_empty():
        raise ValueError(f"core.supplier_names would hold {duplicated.height} rows sharing (source, council_gss, raw_name, supplier_id)")
    settled = (pl.col("org_id") != "") | pl.col("org_type").is_in(_SETTLED_TYPES)
    amount = pl.col("amount").cast(pl.Decimal(18, 2), strict=False).fill_null(0)
    scored = resolved.with_columns(_settled=settled, _amount=amount, council_gss=pl.col("council_gss").fill_null(""))
    coverage = (
        scored.group_by("council_gss", "match_method")
        .agg(
            distinct_names=pl.col("name").n_unique(),
            _settled_names=pl.col("name").filter(pl.col("_settled")).n_unique(),
            amount=pl.col("_amount").sum(),
            _settled_amount=pl.col("_amount").filter(pl.col("_settled")).sum(),
        )
        .with_columns(
            run_at=pl.lit(datetime.now(timezone.utc).replace(tzinfo=None)),
            names_resolved_share=100.0 * pl.col("_settled_names") / pl.col("distinct_names"),
            amount_resolved_share=pl.when(pl.col("amount") != 0).then(100.0 * pl.col("_settled_amount").cast(pl.Float64) / pl.col("amount").cast(pl.Float64)),
        )
        .drop("_settled_names", "_settled_amount")
    )
    with atomic(con):
        for table, frame in (("suppliers", suppliers), ("supplier_names", crosswalk)):
            con.register("core_frame", frame)
            sqlfiles.execute(con, f"suppliers/delete_core_{table}")
            sqlfiles.execute(con, f"suppliers/insert_core_{table}")
            con.unregister("core_frame")
        con.register("core_frame", coverage)
        sqlfiles.execute(con, "suppliers/insert_core_supplier_coverage")
        con.unregister("core_frame")
    total_names = resolved["name"].n_unique()
    settled_names = resolved.filter(settled)["name"].n_unique()
    total_amount = scored["_amount"].sum()
    settled_amount = scored.filter(pl.col("_settled"))["_amount"].sum()
    return {
        "names": int(total_names),
        "suppliers": int(suppliers.height),
        "names_resolved_pct": round(100.0 * settled_names / total_names, 1) if total_names else 0.0,
        "money_resolved_pct": round(100.0 * float(settled_amount) / float(total_amount), 1) if total_amount else 0.0,
        "with_org_id_pct": round(100.0 * resolved.filter(pl.col("org_id") != "")["name"].n_unique() / total_names, 1) if total_names else 0.0,
    }


# what the supplier tables are made of (for the unchanged-night skip): this code, the normalisation it calls, the
# shipped reference data and the SQL; the tables it reads are the ones that code names, less what it writes
SUPPLIER_CODE = ("pipelines/suppliers", "pipelines/normalise", "pipelines/reference", "sql/suppliers")
SUPPLIER_OUTPUTS = ("core.suppliers", "core.supplier_names")
SUPPLIER_WRITES = (*SUPPLIER_OUTPUTS, "core.supplier_coverage")  # the coverage is a history, one row set per build
STAGE = "suppliers"


def supplier_input_signature(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of everything `build_suppliers` reads: every table its code names (contents, columns and types)
    and the code itself (pipelines/stage_state.py)."""
    tables = stage_state.tables_named(*SUPPLIER_CODE) - set(SUPPLIER_WRITES)
    return stage_state.digest({"tables": stage_state.tables_signature(con, tables),
                               "code": stage_state.code_signature(*SUPPLIER_CODE)})


def refresh_suppliers(con: duckdb.DuckDBPyConnection, *, force: bool = False, run_id: str | None = None) -> dict:
    """`build_suppliers`, unless its inputs are those of its last build and its tables still hold what that build
    wrote: then nothing is rebuilt and the last build's coverage is returned. `status` says which ('built' or
    'unchanged'); `force` rebuilds whatever the inputs."""
    signature = supplier_input_signature(con)
    last = stage_state.unchanged(con, STAGE, signature, SUPPLIER_OUTPUTS, force=force)
    if last is not None:
        stage_state.record_unchanged(con, STAGE, run_id=run_id)
        return {**last.result, "status": "unchanged"}
    coverage = build_suppliers(con)
    stage_state.record_built(con, STAGE, signature, SUPPLIER_OUTPUTS, result=coverage, run_id=run_id)
    return {**coverage, "status": "built"}
