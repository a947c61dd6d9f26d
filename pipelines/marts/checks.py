"""Warehouse checks: per publication (attributable, they hold data back), global (they block the publish) and
warnings (reported only).

Every check is one SQL file returning one row per problem and no rows when it passes.

* `sql/checks/publication/*.sql` return (council_gss, publication_id, message): a problem one council's file
  caused or suffered (the parser's row account does not add up, staging differs from what was parsed, dates or
  amounts that did not parse, facts that do not reconcile with the staged lines to the penny). They read the
  councils registered as `check_councils`. The core build runs them on the councils it rebuilds and holds the
  failing publications back from the release (`meta.publication_holds`); everything else publishes.
* `sql/checks/blocking/*.sql` return a message: problems no single publication explains (dimension keys, the
  scorecard against the facts). Any failure blocks the publish and the previous release stays.
* `sql/checks/warning/*.sql` are reported but never block.

The publish gate (`blocking_checks`) runs the global checks and every publication check on every publication
still in the release: a held-back publication is out of it, so it cannot block; anything else failing blocks. A
check that cannot run (a table missing, a SQL error) counts as failed: a warehouse we cannot check is not
published.

    warehouse.publish(run_id, blocking_checks)
    warnings = warning_checks(con, warehouse.published_path if warehouse.published_path.exists() else None)
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines import sqlfiles

BLOCKING_THRESHOLDS = {
    "max_null_date_pct": 1.0,     # percent of a publication's lines whose date value did not parse
    "max_null_amount_pct": 0.1,   # percent of a publication's lines without an amount
    "min_null_lines": 5,          # ... and at least this many lines: one odd cell is flagged, not held back
}
WARNING_THRESHOLDS = {
    "max_change_pct": 20.0,       # council x financial-year total moving more than this since the last publish
    "max_coverage_drop_pp": 5.0,  # supplier match coverage by value falling by more than this many points
    # a sourcing event is contradicted by a payment within these windows (sourcing_events_contradicted.sql): the
    # marts' confirm_months and lookback_months defaults (build imports this module, so they are repeated here;
    # tests/test_marts_events_noise.py holds them equal)
    "event_confirm_months": 4,
    "event_lookback_months": 12,
}
# publication checks that compare core.fact_payment with staging (run after the facts are built); the others read
# staging only
FACT_CHECKS = ("facts_reconcile_with_staging",)


@dataclass(frozen=True)
class PublicationFailure:
    check: str
    council_gss: str
    publication_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.council_gss} {self.message}"


def check_names(kind: str) -> list[str]:
    """The check files of one kind ('blocking', 'publication' or 'warning'), as sqlfiles names, in name order."""
    return [f"checks/{kind}/{p.stem}" for p in sorted((sqlfiles.SQL_DIR / "checks" / kind).glob("*.sql"))]


def _params(name: str, values: dict) -> dict:
    text = sqlfiles.load(name)
    return {k: v for k, v in values.items() if f"${k}" in text}


def _run(con: duckdb.DuckDBPyConnection, name: str, thresholds: dict) -> list[str]:
    label = name.rsplit("/", 1)[-1]
    try:
        rows = sqlfiles.execute(con, name, _params(name, thresholds)).fetchall()
    except duckdb.Error as exc:
        return [f"{label}: could not run: {exc}".splitlines()[0]]
    return [f"{label}: {row[0]}" for row in rows]


@contextmanager
def _scope(con: duckdb.DuckDBPyConnection, councils: Iterable[str] | None):
    """Register `check_councils`: the given councils, or (None) every council with a publication."""
    if councils is None:
        frame = con.sql("select distinct council_gss from staging.spend_publications").pl()
    else:
        frame = pl.DataFrame({"council_gss": sorted(set(councils))}, schema={"council_gss": pl.String})
    con.register("check_councils", frame)
    try:
        yield
    finally:
        con.unregister("check_councils")


def publication_failures(con: duckdb.DuckDBPyConnection, councils: Iterable[str] | None = None, *,
                         phase: str = "all", include_held: bool = False,
                         thresholds: dict | None = None) -> tuple[list[PublicationFailure], list[str]]:
    """Run the publication checks on the councils given (None = all). `phase`: 'staging' (checks that read staging
    only), 'facts' (facts against staging) or 'all'. Returns (failures, checks that could not run)."""
    values = {**BLOCKING_THRESHOLDS, **(thresholds or {}), "include_held": include_held}
    names = [n for n in check_names("publication")
             if phase == "all" or (n.rsplit("/", 1)[-1] in FACT_CHECKS) == (phase == "facts")]
    failures: list[PublicationFailure] = []
    errors: list[str] = []
    with _scope(con, councils):
        for name in names:
            label = name.rsplit("/", 1)[-1]
            try:
                rows = sqlfiles.execute(con, name, _params(name, values)).fetchall()
            except duckdb.Error as exc:
                errors.append(f"{label}: could not run: {exc}".splitlines()[0])
                continue
            failures.extend(PublicationFailure(label, gss, pub, msg) for gss, pub, msg in rows)
    return failures, errors


def blocking_checks(con: duckdb.DuckDBPyConnection, thresholds: dict | None = None) -> list[str]:
    """The publish gate: global failures (keys, scorecard against facts) and publication-check failures of
    publications still in the release (held-back ones are out of it). Empty = publish."""
    values = {**BLOCKING_THRESHOLDS, **(thresholds or {})}
    failures: list[str] = []
    for name in check_names("blocking"):
        failures.extend(_run(con, name, values))
    try:
        publication, errors = publication_failures(con, None, thresholds=values)
    except duckdb.Error as exc:  # staging itself missing
        return failures + [f"publication checks: could not run: {exc}".splitlines()[0]]
    return failures + errors + [str(f) for f in publication]


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
