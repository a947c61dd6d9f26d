"""Build the core star schema and the marts from staging and the supplier tables.

`build_core(con, councils)` brings `core.dim_*` and `core.fact_*` up to date in one transaction;
`build_marts(con, params)` rebuilds every `marts.*` table (then the data dictionary) in another.

The core build is incremental and bounded. The dimensions are small and rebuilt whole, but only when what they are
built from changed (`meta.stage_builds` stage 'core_dimensions', pipelines/stage_state.py). Payment facts are built
per council: each council's inputs (publications as loaded, staged lines, supplier-name crosswalk, and the
build's own SQL, taxonomy and thresholds) are hashed, and only councils whose hash differs from the one recorded
in `meta.core_builds` at their last build are rebuilt (`full=True` rebuilds everything). For each rebuilt council:

1. the staging publication checks run on its publications; failures are held back (`meta.publication_holds`,
   with the reason) and supersession is re-applied without them, so the previous file of their period stays;
2. its facts are deleted and its current lines inserted again, one fact per line, suppliers looked up on the
   exact crosswalk key (no fan-out);
3. the facts are reconciled with the staged lines per publication (rows and net total, to the penny); a
   publication that does not reconcile is held back too and the council rebuilt without it.

Award facts are rebuilt only when their own inputs changed. A no-change night therefore rebuilds nothing. The
statements live in `sql/core/` and `sql/marts/`; this module only orders them and binds parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import sqlfiles, stage_state
from pipelines.marts.checks import BLOCKING_THRESHOLDS, check_names, publication_failures
from pipelines.marts.holds import hold_publications
from pipelines.spend.load import supersede
from pipelines.warehouse import atomic

TAXONOMY_PATH = Path(__file__).resolve().parent / "service_taxonomy.csv"

# dimensions before facts: the facts look their keys up in them
CORE_TABLES = ("dim_council", "dim_date", "dim_service", "dim_supplier", "fact_payment", "fact_award")

# one file per mart in sql/marts/; group_exposure and the links read nothing from other marts, so order is free
MART_TABLES = ("keep_it_local_scorecard", "supplier_concentration", "group_exposure", "sourcing_events",
               "contract_pipeline", "payment_contract_links", "transparency_compliance")

# sourcing-event detection defaults (documented in the warehouse README through MART_PARAMETER_DOCS; the rules
# and the confidence scale are described in pipelines/marts/events.py)
DEFAULT_MART_PARAMS: dict[str, Any] = {
    "min_month_lines_share": 0.3,    # a month counts as published with this share of the council's median monthly lines
    "lookback_months": 12,           # a start needs the group unpaid in the service for this many months before it
    "min_observed_months": 9,        # ... of which at least this many were published (and 9 of the 12 before a stop)
    "min_active_months": 9,          # recurring: paid in this many of every 12 published months around it
    "start_confirm_months": 6,       # a start is confirmed once this many published months follow it
    "min_service_share": 0.05,       # material: at least this share of the service's spend over those 12 months
    "confirm_months": 4,             # a stop is an exit once this many published months show no payment ...
    "chance_level": 0.0001,          # ... and so long an unpaid run is this unlikely at the group's own payment rate
    "max_gap_months": 3,             # a successor starts within this many months of the predecessor's stop
    "failure_confirm_months": 2,     # published months of absence enough when a failure corroborates the stop
    "failure_window_months": 2,      # stops this close together count as simultaneous
    "failure_min_councils": 3,       # simultaneous stops in this many councils are a failure without the register
    "confidence_intercept": -4.757,  # confidence = logistic(intercept + slope * evidence), evidence in decades of
    "confidence_slope": 1.271,       # chance (fitted by python -m pipelines.sample.evaluate --calibrate)
    "window_months": 6,              # spend_before / spend_after windows (shortened equally where data runs out)
    "evidence_max_rows": 60,         # payment lines listed in an event's evidence (evidence_rows counts them all)
    "as_of": None,                   # contract pipeline reference date; None = today
}

MART_PARAMETER_DOCS = {
    "min_month_lines_share": "a council month counts as published (observed) when it has at least this share of the council's median monthly line count",
    "lookback_months": "a supplier group starts in a service only when it was not paid there in this many months before (the consistency check's lookback)",
    "min_observed_months": "a start (stop) counts only when the council published at least this many of the 12 months before it (up to it)",
    "min_active_months": "a group is a recurring provider when it was paid in this many of every 12 published months in the year before its stop (or from its start)",
    "start_confirm_months": "a start counts once the council has published this many months from it",
    "min_service_share": "a stop or start counts only when the group had at least this share of the service's spend over those 12 months",
    "confirm_months": "a stop is confirmed (an exit) when this many published months follow with no payment to the group in the service; the seasonal guard may ask for more",
    "chance_level": "a stop is confirmed only when a run of unpaid months as long as the one observed would happen by chance, at the group's own monthly payment rate, less often than this",
    "max_gap_months": "a successor's first month must be within this many months of the month after the predecessor's last payment",
    "failure_confirm_months": "published months of absence that confirm a stop when a failure corroborates it (register status or simultaneous stops)",
    "failure_window_months": "stops of one group at different councils this many months apart or less are simultaneous",
    "failure_min_councils": "simultaneous stops at this many councils, with the group paid nowhere afterwards, are a supplier failure even without the register",
    "confidence_intercept": "intercept of the logistic curve that turns an event's evidence (decades of chance against the observed absence, weaker side) into its confidence",
    "confidence_slope": "slope of that curve; both are fitted on calibration worlds by python -m pipelines.sample.evaluate --calibrate",
    "window_months": "length of the spend_before / spend_after windows and of the evidence windows, shortened where the data runs out",
    "evidence_max_rows": "payment lines listed in an event's evidence JSON, nearest the event first (evidence_rows counts every line in the windows)",
    "as_of": "reference date of the contract pipeline (contracts ending in the next 12 months)",
}

# which parameters each mart file binds (DuckDB rejects unused named parameters)
_MART_BINDS = {
    "sourcing_events": ("window_months", "evidence_max_rows", "failure_min_councils"),
    "contract_pipeline": ("as_of",),
    "transparency_compliance": ("as_of",),
}
# working tables a mart is read from, built first in the same transaction (file -> parameters it binds); they are
# temporary tables, gone when the connection closes, replaced on the next build
_MART_PREPARE = {
    "sourcing_events": (
        ("marts/events/calendar", ("min_month_lines_share",)),
        ("marts/events/presence", ()),
        ("marts/events/series", ("min_series_paid",)),
        ("marts/events/stops", ("confirm_months", "chance_level", "failure_confirm_months")),
        ("marts/events/starts", ("lookback_months", "chance_level")),
        ("marts/events/detect", ("min_active_months", "start_confirm_months", "min_service_share",
                                 "min_observed_months", "confirm_months", "max_gap_months", "failure_window_months",
                                 "failure_min_councils", "lookback_months", "confidence_intercept",
                                 "confidence_slope")),
    ),
}

# statements run before a mart's input signature is taken, and again when it is built: they define what the mart's
# SQL shares with its signature statements (a macro) or summarise what it reads from a table that grows every night
# into a small working table (file -> working table or None). The working table's contents stand in the signature
# for the tables the statement reads: the transparency mart reads the fetch log only through mart_last_modified, so
# the 304 rows every night appends to raw.fetch_manifest leave it unchanged.
_MART_INPUTS = {
    "transparency_compliance": (
        ("marts/transparency/due_date", None),
        ("marts/transparency/horizon_rule", None),
        ("marts/transparency/days_overdue", None),
        ("marts/transparency/last_modified", "mart_last_modified"),
    ),
}


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return sqlfiles.execute(con, "core/table_exists", {"schema": schema, "table": table}).fetchall()[0][0] > 0


# statements whose text decides what a council's facts are: changing any of them rebuilds every council
_BUILD_STATEMENTS = ("core/insert_fact_payment", "spend/apply_supersession", "spend/mark_current_lines",
                     "core/insert_dim_service", "core/insert_dim_date")
# a bad publication is held back and its council rebuilt without it; a council still failing after this many
# rounds is left to the publish gate (a failure no hold explains blocks the publish)
MAX_HOLD_ROUNDS = 3


def build_signature(thresholds: dict) -> str:
    """A hash of the build's own SQL, the publication checks, the service taxonomy and the thresholds."""
    digest = hashlib.sha256()
    for name in (*_BUILD_STATEMENTS, *check_names("publication")):
        digest.update(sqlfiles.load(name).encode())
    digest.update(TAXONOMY_PATH.read_bytes())
    digest.update(json.dumps(thresholds, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def build_core(con: duckdb.DuckDBPyConnection, councils: pl.DataFrame, *, full: bool = False,
               thresholds: dict | None = None, now: dt.datetime | None = None, run_id: str | None = None) -> dict:
    """Bring the core facts and dimensions up to date in one transaction (module docstring); return row counts,
    the councils rebuilt, the publications held back and the service mapping rate.

    `councils` is the registry frame (`pipelines.registry.load_registry`): gss, name, type, region_gss,
    county_gss, start_date, end_date. Award facts stay empty while `staging.awards` is not loaded yet.
    `full` rebuilds every council and the awards whatever their inputs.
    """
    values = {**BLOCKING_THRESHOLDS, **(thresholds or {})}
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    signature = build_signature(values)
    has_awards = table_exists(con, "staging", "awards") and table_exists(con, "staging", "award_suppliers")
    con.register("councils_input", councils)
    try:
        with atomic(con):
            built = dict(sqlfiles.execute(con, "core/built_signatures").fetchall())
            wanted = dict(sqlfiles.execute(con, "core/council_input_signatures",
                                           {"build_signature": signature}).fetchall())
            dimensions = _refresh_dimensions(con, has_awards, wanted, full=full, now=now, run_id=run_id)
            stale = [g for g in built if g != "fact_award" and g not in wanted]  # councils with no publication left
            rebuild = sorted(wanted if full else [g for g, sig in wanted.items() if built.get(g) != sig])
            _build_payments(con, sorted(set(rebuild) | set(stale)), values, now)
            held = sqlfiles.execute(con, "core/count_held_back").fetchall()[0][0]
            award_sig = None
            if has_awards:
                award_sig = sqlfiles.execute(con, "core/award_input_signature",
                                             {"build_signature": signature}).fetchall()[0][0]
                if full or built.get("fact_award") != award_sig:
                    sqlfiles.execute(con, "core/delete_fact_award")
                    sqlfiles.execute(con, "core/insert_fact_award")
                else:
                    award_sig = None  # unchanged: nothing to record
            parts = [(g, wanted.get(g)) for g in sorted(set(rebuild) | set(stale))]
            if award_sig:
                parts.append(("fact_award", award_sig))
            _record_builds(con, parts, now)
    finally:
        con.unregister("councils_input")
    result = {table: _count(con, "core", table) for table in CORE_TABLES}
    mapping = sqlfiles.execute(con, "core/service_mapping_rate").fetchall()[0]
    result["service_combinations_mapped_pct"] = mapping[0]
    result["service_spend_mapped_pct"] = mapping[1]
    result["awards_loaded"] = has_awards
    result["councils_rebuilt"] = len(rebuild)
    result["councils_unchanged"] = len(wanted) - len(rebuild)
    result["awards_rebuilt"] = bool(award_sig)
    result["dimensions"] = dimensions
    result["publications_held_back"] = held  # in the whole warehouse, not only the councils rebuilt
    return result


DIMENSION_STAGE = "core_dimensions"
DIMENSION_TABLES = ("dim_supplier", "dim_service", "dim_date", "dim_council")
# what the dimensions are made of besides the tables their statements name: the service taxonomy, and the DDL that
# defines core.body_key
DIMENSION_CODE = ("pipelines/marts/service_taxonomy.csv", "sql/ddl/060_core.sql")


def _dimension_statements() -> list[str]:
    return [f"core/{verb}_{table}" for table in DIMENSION_TABLES for verb in ("delete", "insert")]


def dimension_input_signature(con: duckdb.DuckDBPyConnection, wanted: dict[str, str],
                              award_bounds: tuple) -> str:
    """Everything the dimensions are built from: their SQL and code, the registry frame (`councils_input`), the award
    date bounds, the contents of the tables their statements name, the staged lines by way of the per-council
    input signatures the core build computes anyway (`wanted`: every column of every council's lines) plus any
    lines of a council with no publication (the per-council signatures leave those out)."""
    texts = {name: sqlfiles.load(name) for name in _dimension_statements()}
    tables = set().union(*(stage_state.tables_in_text(text) for text in texts.values()))
    tables -= {"staging.spend_lines", *(f"core.{table}" for table in DIMENSION_TABLES)}
    return stage_state.digest({
        "sql": texts, "code": stage_state.code_signature(*DIMENSION_CODE),
        "councils": sqlfiles.execute(con, "core/councils_input_signature").fetchall()[0][0],
        "award_bounds": [str(bound) for bound in award_bounds], "councils_lines": wanted,
        "lines_without_publication": sqlfiles.execute(con, "core/orphan_lines_signature").fetchall()[0][0],
        "tables": stage_state.tables_signature(con, tables)})


def _refresh_dimensions(con: duckdb.DuckDBPyConnection, has_awards: bool, wanted: dict[str, str], *,
                        full: bool, now: dt.datetime, run_id: str | None = None) -> str:
    """Rebuild the dimensions unless their inputs are as at their last build (pipelines/stage_state.py) and they
    still hold what it wrote; 'built' or 'unchanged'. Unchanged inputs give the same rows and keys, so the facts of
    rebuilt councils find the keys they look up either way."""
    bounds = sqlfiles.execute(con, "core/award_date_bounds").fetchall()[0] if has_awards else (None, None)
    signature = dimension_input_signature(con, wanted, bounds)
    outputs = [f"core.{table}" for table in DIMENSION_TABLES]
    if stage_state.unchanged(con, DIMENSION_STAGE, signature, outputs, force=full) is not None:
        stage_state.record_unchanged(con, DIMENSION_STAGE, run_id=run_id, now=now)
        return "unchanged"
    _build_dimensions(con, bounds)
    stage_state.record_built(con, DIMENSION_STAGE, signature, outputs, run_id=run_id, now=now)
    return "built"


def _build_dimensions(con: duckdb.DuckDBPyConnection, award_bounds: tuple) -> None:
    """The dimensions, rebuilt whole: small, and the facts of unchanged councils keep pointing at the same keys."""
    for table in DIMENSION_TABLES:
        sqlfiles.execute(con, f"core/delete_{table}")
    sqlfiles.execute(con, "core/insert_dim_council")
    award_min, award_max = award_bounds
    sqlfiles.execute(con, "core/insert_dim_date", {"award_min_date": award_min, "award_max_date": award_max})
    sqlfiles.execute(con, "core/insert_dim_service", {"taxonomy_path": str(TAXONOMY_PATH)})
    sqlfiles.execute(con, "core/insert_dim_supplier")


def _build_payments(con: duckdb.DuckDBPyConnection, councils: list[str], thresholds: dict,
                    now: dt.datetime) -> None:
    """Rebuild the payment facts of `councils` (steps 1-3 of the module docstring)."""
    if not councils:
        return
    _register(con, "build_councils", councils)
    try:
        failures, errors = publication_failures(con, councils, phase="staging", include_held=True,
                                                thresholds=thresholds)
        _raise_on(errors)
        hold_publications(con, failures, now, replace_for=councils)
        supersede(con, councils, force=True)
        sqlfiles.execute(con, "core/delete_fact_payment")
        sqlfiles.execute(con, "core/insert_fact_payment")
        for _ in range(MAX_HOLD_ROUNDS):
            failures, errors = publication_failures(con, councils, phase="facts", thresholds=thresholds)
            _raise_on(errors)
            if not failures:
                break
            hold_publications(con, failures, now)
            affected = sorted({f.council_gss for f in failures})
            supersede(con, affected, force=True)
            _register(con, "build_councils", affected)
            sqlfiles.execute(con, "core/delete_fact_payment")
            sqlfiles.execute(con, "core/insert_fact_payment")
            _register(con, "build_councils", councils)
    finally:
        con.unregister("build_councils")


def _raise_on(errors: list[str]) -> None:
    if errors:  # a check that cannot run is a bug, not a bad file: stop rather than hold everything back
        raise RuntimeError("publication checks could not run: " + "; ".join(errors))


def _record_builds(con: duckdb.DuckDBPyConnection, parts: list[tuple[str, str | None]], now: dt.datetime) -> None:
    if not parts:
        return
    con.register("build_parts", pl.DataFrame({"part": [p for p, _ in parts], "input_signature": [s for _, s in parts]},
                                             schema={"part": pl.String, "input_signature": pl.String}))
    try:
        sqlfiles.execute(con, "core/forget_builds")
        sqlfiles.execute(con, "core/record_builds", {"built_at": now})
    finally:
        con.unregister("build_parts")


def _register(con: duckdb.DuckDBPyConnection, name: str, councils: Iterable[str]) -> None:
    con.register(name, pl.DataFrame({"council_gss": list(councils)}, schema={"council_gss": pl.String}))
def _mart_values(params: dict | None) -> dict:
    unknown = set(params or {}) - set(DEFAULT_MART_PARAMS)
    if unknown:
        raise ValueError(f"unknown mart parameters: {sorted(unknown)}")
    values = {**DEFAULT_MART_PARAMS, **(params or {})}
    if values["as_of"] is None:
        values["as_of"] = dt.date.today()
    # derived: the fewest paid months a series needs to hold any stop or start the rules could accept
    values["min_series_paid"] = math.ceil(min(values["start_confirm_months"], values["min_observed_months"])
                                          * values["min_active_months"] / 12)
    return values


def prepare_mart_inputs(con: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    """Run the mart's input statements (`_MART_INPUTS`); return the working tables they wrote."""
    tables = []
    for name, table in _MART_INPUTS.get(mart, ()):
        sqlfiles.execute(con, name)
        if table:
            tables.append(table)
    return tables


def _build_mart(con: duckdb.DuckDBPyConnection, mart: str, values: dict) -> None:
    prepare_mart_inputs(con, mart)
    sqlfiles.execute(con, f"marts/delete/{mart}")
    for name, binds in _MART_PREPARE.get(mart, ()):
        sqlfiles.execute(con, name, {k: values[k] for k in binds})
    sqlfiles.execute(con, f"marts/{mart}", {k: values[k] for k in _MART_BINDS.get(mart, ())})


def build_marts(con: duckdb.DuckDBPyConnection, params: dict | None = None) -> dict:
    """Rebuild every mart and the data dictionary in one transaction; return row counts per mart.

    `params` overrides DEFAULT_MART_PARAMS (unknown keys are an error, so a typo cannot silently use a default).
    """
    from pipelines.marts.dictionary import build_dictionary

    values = _mart_values(params)
    registry = "marts/council_registry" if table_exists(con, "reference", "councils") else "marts/council_registry_empty"
    with atomic(con):
        sqlfiles.execute(con, registry)
        for mart in MART_TABLES:
            _build_mart(con, mart, values)
        build_dictionary(con)
    return {mart: _count(con, "marts", mart) for mart in MART_TABLES}


def build_sourcing_events(con: duckdb.DuckDBPyConnection, params: dict | None = None) -> int:
    """Rebuild marts.sourcing_events alone (its working tables included) in one transaction; return its rows.
    For analysts trying parameters and for the benchmark: build_marts rebuilds it with everything else."""
    values = _mart_values(params)
    with atomic(con):
        _build_mart(con, "sourcing_events", values)
    return _count(con, "marts", "sourcing_events")


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return sqlfiles.execute(con, "core/count_rows", {"table": f"{schema}.{table}"}).fetchall()[0][0]


def content_hashes(con: duckdb.DuckDBPyConnection, schemas: Iterable[str] = ("core", "marts"),
                   exclude: Iterable[str] = ()) -> dict[str, str]:
    """An order-independent hash of every table's rows in `schemas` ({schema.table: 'rows:hash'}): the same
    contents give the same hashes, however the rows were ordered or built. `exclude` names tables to skip."""
    skip = set(exclude)
    tables = sqlfiles.execute(con, "core/list_tables", {"schemas": list(schemas)}).fetchall()
    hashes = {}
    for schema, table in tables:
        name = f"{schema}.{table}"
        if name not in skip:
            hashes[name] = sqlfiles.execute(con, "core/table_content_hash", {"table": name}).fetchall()[0][0]
    return hashes
