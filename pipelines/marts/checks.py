"""Warehouse checks run before publishing (blocking) and after it (warnings).

Every check is one SQL file returning one row per problem (a readable message) and no rows when it passes:
`sql/checks/blocking/*.sql` gate `Warehouse.publish`; `sql/checks/warning/*.sql` are reported but never block.
A check that cannot run (a table missing, a SQL error) counts as failed: a warehouse we cannot check is not
published.

    warehouse.publish(run_id, blocking_checks)
    warnings = warning_checks(con, warehouse.published_path if warehouse.published_path.exists() else None)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import sqlfiles

BLOCKING_THRESHOLDS = {
    "max_null_date_pct": 1.0,     # percent of current dated lines whose date did not parse
    "max_null_amount_pct": 0.1,   # percent of current lines without an amount
}
WARNING_THRESHOLDS = {
    "max_change_pct": 20.0,       # council x financial-year total moving more than this since the last publish
    "max_coverage_drop_pp": 5.0,  # supplier match coverage by value falling by more than this many points
}


def check_names(kind: str) -> list[str]:
    """The check files of one kind ('blocking' or 'warning'), as sqlfiles names, in name order."""
    return [f"checks/{kind}/{p.stem}" for p in sorted((sqlfiles.SQL_DIR / "checks" / kind).glob("*.sql"))]


def _run(con: duckdb.DuckDBPyConnection, name: str, thresholds: dict) -> list[str]:
    text = sqlfiles.load(name)
    params = {k: v for k, v in thresholds.items() if f"${k}" in text}
    label = name.rsplit("/", 1)[-1]
    try:
        rows = sqlfiles.execute(con, name, params).fetchall()
    except duckdb.Error as exc:
        return [f"{label}: could not run: {exc}".splitlines()[0]]
    return [f"{label}: {row[0]}" for row in rows]


def blocking_checks(con: duckdb.DuckDBPyConnection, thresholds: dict | None = None) -> list[str]:
    """Failures that must stop a publish: duplicated keys, lost or duplicated rows, totals that do not reconcile
    from staging (current) through core.fact_payment to the scorecard, too many cast-introduced nulls."""
    values = {**BLOCKING_THRESHOLDS, **(thresholds or {})}
    failures: list[str] = []
    for name in check_names("blocking"):
        failures.extend(_run(con, name, values))
    return failures


def warning_checks(con: duckdb.DuckDBPyConnection, previous_published_path: str | Path | None,
                   thresholds: dict | None = None) -> list[str]:
    """Soft expectations: a council missing months, supplier coverage falling, totals jumping since the previous
    published warehouse (skipped when there is none)."""
    values = {**WARNING_THRESHOLDS, **(thresholds or {})}
    warnings: list[str] = []
    previous = _previous_totals(previous_published_path)
    if previous is not None:
        con.register("previous_totals", previous)
    try:
        for name in check_names("warning"):
            if name.endswith("total_change_vs_previous") and previous is None:
                continue
            warnings.extend(_run(con, name, values))
    finally:
        if previous is not None:
            con.unregister("previous_totals")
    return warnings


def _previous_totals(path: str | Path | None):
    """The previous publish's year totals as an Arrow table, or None when there is no readable previous file."""
    if path is None or not Path(path).exists():
        return None
    try:
        prev = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return prev.sql(sqlfiles.load("checks/previous_totals")).to_arrow_table()
    except duckdb.Error:
        return None  # an older warehouse without the scorecard: nothing to compare with
    finally:
        prev.close()
