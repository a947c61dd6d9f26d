"""Publications held back from the release: written by the core build, read by the summary and the stage report.

A publication that fails a publication check (`sql/checks/publication/`) gets one row per failed check in
`meta.publication_holds` (council, period, source, check, reason, held since, last confirmed). Supersession
(`pipelines.spend.load`) treats a held publication as absent: its lines are not current, it replaces nothing,
so the previous file of its period stays in the release. Holds are re-evaluated whenever the council is rebuilt
(its inputs changed) and dropped when the check passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb
import polars as pl

from pipelines import sqlfiles
from pipelines.marts.checks import PublicationFailure

HOLD_SCHEMA = {"publication_id": pl.String, "council_gss": pl.String, "check_name": pl.String, "reason": pl.String}


def hold_publications(con: duckdb.DuckDBPyConnection, failures: list[PublicationFailure], now: dt.datetime, *,
                      replace_for: Iterable[str] | None = None) -> None:
    """Record `failures` as holds (one row per council, publication and check, the messages joined). With `replace_for`,
    the holds of those councils that are not among `failures` are dropped first (re-evaluation); without it the
    failures are added to the existing holds. Runs inside the caller's transaction."""
    rows: dict[tuple[str, str, str], list[str]] = {}
    for f in failures:
        rows.setdefault((f.council_gss, f.publication_id, f.check), []).append(f.message)
    frame = pl.DataFrame(
        [{"publication_id": pub, "council_gss": gss, "check_name": check, "reason": "; ".join(messages)}
         for (gss, pub, check), messages in sorted(rows.items())],
        schema=HOLD_SCHEMA)
    con.register("new_holds", frame)
    try:
        if replace_for is not None:
            con.register("hold_councils", pl.DataFrame({"council_gss": sorted(set(replace_for))},
                                                       schema={"council_gss": pl.String}))
            try:
                sqlfiles.execute(con, "core/delete_holds")
            finally:
                con.unregister("hold_councils")
        sqlfiles.execute(con, "core/update_holds", {"now": now})
        sqlfiles.execute(con, "core/insert_holds", {"now": now})
    finally:
        con.unregister("new_holds")


def held_back(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The publications held back from the release (not those a later file replaced anyway), one row per
    publication: council_gss, council_name, publication_id, period_key, source_url, checks, reason, held_since."""
    cursor = sqlfiles.execute(con, "meta/held_back_publications")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def record_in_stage_report(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Set this run's stage-report `held_back` per council (publications held back from its release)."""
    sqlfiles.execute(con, "meta/stage_report_held_back", {"run_id": run_id})
