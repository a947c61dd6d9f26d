"""The nightly marts step on a night that may have changed nothing: each mart, and the publish gate's checks, run
only when what they read changed since they last ran (pipelines/stage_state.py).

* **Marts.** A mart's input signature is its own SQL (the statements that prepare its working tables, the council
  registry statement, its delete and build statements), the parameters those statements bind, and the contents of
  every table they name. Marts are visited in build order, so a mart reading another mart (the contract pipeline
  reads `marts.sourcing_events`) sees that mart as rebuilt tonight. The parameters include the reference date
  `as_of` only for the marts whose SQL binds it: the contract pipeline uses it to the day; transparency compliance
  only through what its rows depend on (`_MART_AS_OF`: a council's horizon while it has an overdue unpublished
  month, and how many trailing months are due), so a new day changes its signature only when its rows would
  change; and when only the horizons moved (the same trailing months due), only `days_overdue` moves: the mart is
  updated in place instead of rebuilt from the staged lines.
  A mart reading a table that grows every night reads a small summary of it instead, built by an input statement
  (`_MART_INPUTS`; the transparency mart's per-publication Last-Modified dates from the fetch log): the summary's
  contents, not the growing table's, are in the signature. The data dictionary is rebuilt every time
  (milliseconds, and it describes whatever tables exist).
* **Blocking checks.** Their signature is the check SQL and code, the thresholds, and the contents of every table
  they name. A run whose signature equals that of the last run that *passed* reuses the pass; a failure is
  always checked again.

`build_marts` (pipelines/marts/build.py) still rebuilds every mart unconditionally, for callers that want that.
"""

from __future__ import annotations

import duckdb

from pipelines import sqlfiles, stage_state
from pipelines.marts.build import (
    MART_TABLES, _MART_BINDS, _MART_INPUTS, _MART_PREPARE, _build_mart, _count, _mart_values, prepare_mart_inputs,
    table_exists,
)
from pipelines.warehouse import atomic

MART_STAGE = "mart:"
CHECKS_STAGE = "blocking_checks"
# what the publish gate is made of: the check SQL, the code that runs it and the holds it consults
CHECK_CODE = ("sql/checks", "pipelines/marts/checks.py", "pipelines/marts/holds.py")


class TableSignatures:
    """`stage_state.table_signature` of each table at most once while nothing rewrites it (`forget` after a
    rewrite): the marts and the checks read many of the same large tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._known: dict[str, str] = {}

    def __call__(self, tables) -> dict[str, str]:
        for table in set(tables) - set(self._known):
            self._known[table] = stage_state.table_signature(self.con, table)
        return {table: self._known[table] for table in sorted(set(tables))}

    def forget(self, table: str) -> None:
        self._known.pop(table, None)


def registry_statement(con: duckdb.DuckDBPyConnection) -> str:
    return "marts/council_registry" if table_exists(con, "reference", "councils") else "marts/council_registry_empty"


def mart_statements(mart: str, registry: str) -> list[str]:
    """The SQL files one mart is built by, in order."""
    return [registry, *(name for name, _binds in _MART_PREPARE.get(mart, ())), f"marts/delete/{mart}", f"marts/{mart}"]


def mart_parameters(mart: str) -> list[str]:
    """The parameters the mart's statements bind (a parameter it does not bind cannot change it)."""
    binds = set(_MART_BINDS.get(mart, ()))
    for _name, names in _MART_PREPARE.get(mart, ()):
        binds |= set(names)
    return sorted(binds)


# per mart binding the reference date, what of `as_of` its rows depend on (a mart binding as_of without an entry
# depends on it by the day): the statement computing each council's horizon at as_of, the statement reading the key
# from the horizons and the rows the mart holds, and the statement bringing the mart to a new date when only the
# date-dependent column moves (the same trailing months due)
_MART_AS_OF = {
    "transparency_compliance": {"horizon": "marts/transparency/horizon", "key": "marts/transparency/as_of_key",
                                "update": "marts/transparency/update_days_overdue"},
}


def _mart_signature_parts(con: duckdb.DuckDBPyConnection, mart: str, values: dict, registry: str,
                          signatures: TableSignatures) -> dict:
    """What the mart's signature hashes: its SQL, its parameters and the contents of what it reads (the tables its
    statements name, and the working tables its input statements, `_MART_INPUTS`, run here, summarise other
    tables into). For a mart in `_MART_AS_OF`, the reference date is replaced by its key (`as_of_key`)."""
    working = {table: sqlfiles.execute(con, "core/table_content_hash", {"table": table}).fetchall()[0][0]
               for table in prepare_mart_inputs(con, mart)}
    inputs = {name: sqlfiles.load(name) for name, _table in _MART_INPUTS.get(mart, ())}
    texts = {name: sqlfiles.load(name) for name in mart_statements(mart, registry)}
    tables = set().union(*(stage_state.tables_in_text(text) for text in texts.values())) - {f"marts.{mart}"}
    parameters = {k: values[k] for k in mart_parameters(mart)}
    if mart in _MART_AS_OF and "as_of" in parameters:
        statements = _MART_AS_OF[mart]
        sqlfiles.execute(con, statements["horizon"], {"as_of": parameters.pop("as_of")})
        key = sqlfiles.execute(con, statements["key"]).fetchall()
        parameters["as_of"] = {"sql": {name: sqlfiles.load(name) for name in statements.values()},
                               "key": [[str(v) for v in row] for row in key]}
    return {"sql": texts, "inputs": inputs, "working_tables": working, "parameters": parameters,
            "tables": signatures(tables), "duckdb": duckdb.__version__}


def _without_date(parts: dict) -> tuple[str, dict | None]:
    """(hash of everything but the reference date key, the key's trailing months due per council) of a mart in
    `_MART_AS_OF`: equal on two dates, the mart's rows differ at most in their date-dependent column."""
    as_of = parts["parameters"].get("as_of")
    if not isinstance(as_of, dict):
        return stage_state.digest(parts), None
    rest = {**parts, "parameters": {k: v for k, v in parts["parameters"].items() if k != "as_of"},
            "as_of_sql": as_of["sql"]}
    return stage_state.digest(rest), {council: trailing for council, trailing, _horizon in as_of["key"]}


def refresh_marts(con: duckdb.DuckDBPyConnection, params: dict | None = None, *, force: bool = False,
                  run_id: str | None = None, signatures: TableSignatures | None = None) -> dict:
    """Rebuild the marts whose inputs changed (all of them with `force`) and the data dictionary, in one
    transaction; return row counts per mart and which marts were rebuilt and which found unchanged. A mart whose
    inputs are those it was built from but whose reference date moved only its date-dependent column is brought to
    the new date in place (`_MART_AS_OF` 'update'; listed as rebuilt and in `marts_redated`)."""
    from pipelines.marts.dictionary import build_dictionary

    values = _mart_values(params)
    signatures = signatures or TableSignatures(con)
    rebuilt: list[str] = []
    kept: list[str] = []
    redated: list[str] = []
    now = stage_state.now_utc()
    registry = registry_statement(con)
    with atomic(con):
        sqlfiles.execute(con, registry)
        for mart in MART_TABLES:
            stage, output = MART_STAGE + mart, [f"marts.{mart}"]
            parts = _mart_signature_parts(con, mart, values, registry, signatures)
            if stage_state.unchanged(con, stage, stage_state.digest(parts), output, force=force) is not None:
                stage_state.record_unchanged(con, stage, run_id=run_id, now=now)
                kept.append(mart)
                continue
            if not force and _only_the_date_moved(con, stage, parts, output):
                sqlfiles.execute(con, _MART_AS_OF[mart]["update"])
                redated.append(mart)
            else:
                _build_mart(con, mart, values)
                if mart in _MART_AS_OF:  # its reference-date key is read from the rows just built
                    parts = _mart_signature_parts(con, mart, values, registry, signatures)
            signatures.forget(output[0])
            base, trailing = _without_date(parts)
            stage_state.record_built(con, stage, stage_state.digest(parts), output, run_id=run_id, now=now,
                                     result={"without_date": base, "trailing_due": trailing} if trailing else None)
            rebuilt.append(mart)
        build_dictionary(con)
    return {**{mart: _count(con, "marts", mart) for mart in MART_TABLES},
            "marts_rebuilt": rebuilt, "marts_unchanged": kept, "marts_redated": redated}


def _only_the_date_moved(con: duckdb.DuckDBPyConnection, stage: str, parts: dict, output: list[str]) -> bool:
    """Whether the mart's last build read what it would read now but for the reference date, the same months are
    due (so its rows are the same but for the date-dependent column), and its table still holds what it wrote."""
    base, trailing = _without_date(parts)
    if trailing is None:
        return False
    last = stage_state.last_build(con, stage)
    return (last is not None and last.result.get("without_date") == base
            and last.result.get("trailing_due") == trailing
            and last.output_signature == stage_state.output_signature(con, output))


def checks_input_signature(thresholds: dict | None, signatures: TableSignatures) -> str:
    from pipelines.marts.checks import BLOCKING_THRESHOLDS

    return stage_state.digest({"tables": signatures(stage_state.tables_named(*CHECK_CODE)),
                               "code": stage_state.code_signature(*CHECK_CODE),
                               "thresholds": {**BLOCKING_THRESHOLDS, **(thresholds or {})}})


def refresh_blocking_checks(con: duckdb.DuckDBPyConnection, *, thresholds: dict | None = None, force: bool = False,
                            run_id: str | None = None,
                            signatures: TableSignatures | None = None) -> tuple[list[str], str]:
    """`blocking_checks`, unless everything they read is as it was when they last passed: (failures, 'checked'
    or 'unchanged'). A failure is never reused: failing checks run again every time."""
    from pipelines.marts.checks import blocking_checks

    signature = checks_input_signature(thresholds, signatures or TableSignatures(con))
    last = stage_state.unchanged(con, CHECKS_STAGE, signature, force=force)
    if last is not None and last.result.get("failures") == []:
        stage_state.record_unchanged(con, CHECKS_STAGE, run_id=run_id)
        return [], "unchanged"
    failures = blocking_checks(con, thresholds)
    stage_state.record_built(con, CHECKS_STAGE, signature, result={"failures": failures}, run_id=run_id)
    return failures, "checked"


def publish_gate(run_id: str):
    """The publish gate (`Warehouse.publish`'s `checks`) for run `run_id`: when this run found the blocking checks'
    inputs unchanged since they last passed (the copy's own `meta.stage_builds` says so, recorded by
    `refresh_blocking_checks` in this run), the copy holds what already passed the gate and the pass stands;
    otherwise the checks run on the copy. `gate.reused` tells the caller which happened."""
    from pipelines.marts.checks import blocking_checks

    def gate(con: duckdb.DuckDBPyConnection) -> list[str]:
        last = stage_state.last_build(con, CHECKS_STAGE)
        if (last is not None and last.run_id == run_id and last.status == "unchanged"
                and last.result.get("failures") == []):
            gate.reused = True
            return []
        gate.reused = False
        return blocking_checks(con)

    gate.reused = False
    return gate


def forget_checks(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the recorded pass (a publish gate failed on the copy): the next run checks again."""
    sqlfiles.execute(con, "stage_state/delete_stage", {"stage": CHECKS_STAGE})


WARNINGS_STAGE = "warning_checks"
# the warning checks: their SQL, the previous publish's totals they compare with, the code that runs them
WARNING_CODE = ("sql/checks/warning", "sql/checks/previous_totals.sql", "pipelines/marts/checks.py")


def refresh_warning_checks(con: duckdb.DuckDBPyConnection, previous_published_path, *,
                           thresholds: dict | None = None, force: bool = False, run_id: str | None = None,
                           signatures: TableSignatures | None = None) -> tuple[list[str], str]:
    """`warning_checks`, unless everything they read (the tables their SQL names, the previous publish's year
    totals, the thresholds and the code) is as when they last ran: then their warnings are reported again as they
    were, (warnings, 'checked' or 'unchanged'). Warnings from a check that could not run are never reused."""
    from pipelines.marts.checks import WARNING_THRESHOLDS, _previous_totals, warning_checks

    previous = _previous_totals(previous_published_path)
    signature = stage_state.digest({
        "tables": (signatures or TableSignatures(con))(stage_state.tables_named(*WARNING_CODE)),
        "code": stage_state.code_signature(*WARNING_CODE),
        "thresholds": {**WARNING_THRESHOLDS, **(thresholds or {})},
        "previous_totals": None if previous is None else sorted(map(str, previous.to_pylist()))})
    last = stage_state.unchanged(con, WARNINGS_STAGE, signature, force=force)
    if last is not None and isinstance(last.result.get("warnings"), list):
        stage_state.record_unchanged(con, WARNINGS_STAGE, run_id=run_id)
        return list(last.result["warnings"]), "unchanged"
    warnings = warning_checks(con, previous_published_path, thresholds)
    if any(": could not run: " in w for w in warnings):
        sqlfiles.execute(con, "stage_state/delete_stage", {"stage": WARNINGS_STAGE})
    else:
        stage_state.record_built(con, WARNINGS_STAGE, signature, result={"warnings": warnings}, run_id=run_id)
    return warnings, "checked"
