"""A night on which no council published anything rebuilds nothing derived, the dated transparency mart and the
core dimensions included; whatever changes what they would hold rebuilds them, and skipped or rebuilt they hold
what a full rebuild gives (pipelines/marts/refresh.py, pipelines/marts/build.py)."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
import pytest

from pipelines import stage_state
from pipelines.marts.build import build_core, build_marts, content_hashes
from pipelines.marts.refresh import refresh_marts
from tests.test_marts_seed import BRISTOL, COUNCILS, seeded_staging  # noqa: F401 (the `con` fixture)

MART = "transparency_compliance"
HYNDBURN = "E07000120"  # the seed's council with missing and trailing months; the others publish every month
_fetch_ids = itertools.count()


def _mart(con) -> str:
    return content_hashes(con, ["marts"])[f"marts.{MART}"]


def _refresh(con, as_of: dt.date, how: list | None = None) -> bool:
    """Refresh the marts at `as_of`; whether the transparency mart changed (rebuilt, or brought to the new date in
    place: `how` gets 'built', 'redated' or 'kept'). Then check that what the refresh left equals a full rebuild
    of every mart at that date."""
    result = refresh_marts(con, {"as_of": as_of})
    assert (MART in result["marts_rebuilt"]) != (MART in result["marts_unchanged"])
    assert set(result["marts_redated"]) <= set(result["marts_rebuilt"])
    if how is not None:
        how.append("redated" if MART in result["marts_redated"] else
                   "built" if MART in result["marts_rebuilt"] else "kept")
    kept = content_hashes(con, ["marts"])
    build_marts(con, {"as_of": as_of})
    assert content_hashes(con, ["marts"]) == kept, f"refresh at {as_of} differs from a full rebuild"
    return MART in result["marts_rebuilt"]


def _fetch(con, status: int, sha256: str | None, last_modified: str | None, url: str = "http://127.0.0.1/f.csv",
           at: dt.datetime = dt.datetime(2025, 4, 2, 2)) -> None:
    con.execute("""insert into raw.fetch_manifest (fetch_id, source_kind, url, council_gss, fetched_at, http_status,
                   last_modified, sha256) values ($id, 'council_file', $url, $council, $at, $status, $lm, $sha)""",
                {"id": f"f{next(_fetch_ids)}", "url": url, "council": HYNDBURN, "at": at, "status": status,
                 "lm": last_modified, "sha": sha256})


def _publications(con) -> list[tuple]:
    return con.execute("""select publication_id, source_url, period_start, fetched_at from staging.spend_publications
                          order by council_gss, period_start, publication_id""").fetchall()


def test_a_night_of_304s_keeps_the_transparency_mart_and_a_new_last_modified_rebuilds_it(con):
    for pub, url, _start, _fetched in _publications(con):  # the nights the files were downloaded
        _fetch(con, 200, pub, None, url)
    build_core(con, COUNCILS)
    day = dt.date(2025, 4, 1)
    assert _refresh(con, day)
    before = _mart(con)
    growing = stage_state.table_signature(con, "raw.fetch_manifest")

    # a night of 304s (no body, as the fetcher records them) and a 200 for a file that was never loaded
    for _pub, url, _start, _fetched in _publications(con):
        _fetch(con, 304, None, "Mon, 01 Apr 2024 09:00:00 GMT", url)
    _fetch(con, 200, "f" * 64, "Tue, 02 Apr 2024 09:00:00 GMT", "http://127.0.0.1/quarantined.csv")
    assert stage_state.table_signature(con, "raw.fetch_manifest") != growing  # the log grew ...
    assert not _refresh(con, day)                                             # ... the mart was kept
    assert _mart(con) == before

    # the server's Last-Modified for a loaded file, believable (after its period began, before we fetched it):
    # the month's published_at changes, so the mart is rebuilt
    pub, url, start, fetched = next(p for p in _publications(con) if p[2] < p[3].date() - dt.timedelta(days=3))
    modified = fetched - dt.timedelta(days=2)
    _fetch(con, 200, pub, modified.strftime("%a, %d %b %Y %H:%M:%S GMT"), url)
    assert _refresh(con, day)
    assert _mart(con) != before
    basis = con.execute(f"select published_at_basis, published_at from marts.{MART} where month_start = $m "
                        "and council_gss = (select council_gss from staging.spend_publications where publication_id = $p)",
                        {"m": start.replace(day=1), "p": pub}).fetchall()
    assert ("last_modified", modified) in basis
    assert not _refresh(con, day)


def test_a_new_day_rebuilds_the_transparency_mart_only_when_its_rows_change(con):
    # three councils that published every month to March 2025 (cadence unknown: each quarter due a month after it)
    for table in ("staging.spend_lines", "staging.spend_publications"):
        con.execute(f"delete from {table} where council_gss = $g", {"g": HYNDBURN})
    build_core(con, COUNCILS)
    assert _refresh(con, dt.date(2025, 4, 1))
    first = _mart(con)
    # nothing falls due before the April-June quarter is due (31 July): the rows stay as they are
    for day in (dt.date(2025, 4, 2), dt.date(2025, 5, 15), dt.date(2025, 7, 30)):
        assert not _refresh(con, day), day
        assert _mart(con) == first
    # on 31 July April to June fall due unpublished: three missing_trailing months per council (new rows: rebuilt)
    how = []
    assert _refresh(con, dt.date(2025, 7, 31), how)
    trailing = con.execute(f"select count(*), max(days_overdue) from marts.{MART} "
                           "where status = 'missing_trailing'").fetchone()
    assert trailing == (9, 0)
    # from then on each day counts one more day overdue: the same rows, days_overdue brought to the date in place
    assert _refresh(con, dt.date(2025, 8, 1), how)
    assert con.execute(f"select max(days_overdue) from marts.{MART}").fetchone()[0] == 1
    assert not _refresh(con, dt.date(2025, 8, 1), how)
    assert _refresh(con, dt.date(2025, 8, 20), how)
    # the next quarter's months fall due: new rows again
    assert _refresh(con, dt.date(2025, 10, 31), how)
    assert how == ["built", "redated", "kept", "redated", "built"]
    # a new day and a changed input together: rebuilt from the inputs, not redated
    con.execute("update staging.spend_lines set amount = amount + 1 where row_number = 2")
    build_core(con, COUNCILS)
    assert _refresh(con, dt.date(2025, 11, 1), how) and how[-1] == "built"
    con.execute("update staging.spend_lines set amount = amount - 1 where row_number = 2")
    build_core(con, COUNCILS)
    # and back to a day before anything was due (a backfill): the first rows again
    assert _refresh(con, dt.date(2025, 6, 1), how) and how[-1] == "built"
    assert _mart(con) == first


def test_every_day_across_due_dates_equals_a_full_rebuild(con):
    """The whole seed (one council with overdue missing months, trailing months falling due): each day's refresh
    equals a full rebuild, and the mart is kept on a day only if its rows did not change."""
    build_core(con, COUNCILS)
    previous, how = None, []
    # (30 April 2024: Hyndburn's unpublished January to March fall due, no trailing month yet)
    for day in (dt.date(2024, 4, 29), dt.date(2024, 4, 30), dt.date(2024, 12, 31), dt.date(2024, 12, 31),
                dt.date(2025, 1, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 1), dt.date(2025, 5, 2),
                dt.date(2025, 7, 31), dt.date(2025, 3, 1)):
        rebuilt = _refresh(con, day, how)
        rows = _mart(con)
        if not rebuilt:
            assert rows == previous, day
        previous = rows
    # the same day twice keeps it; a day that only moves days_overdue updates it in place
    assert how[1] == "redated" and how[3] == "kept" and how[7] == "redated", how
    assert con.execute(f"select count(*) from marts.{MART} where status = 'missing' "
                       "and due_date = date '2024-04-30'").fetchone()[0] > 0  # the months that fell due that day


DIMENSIONS = ["core.dim_council", "core.dim_date", "core.dim_service", "core.dim_supplier"]


def _core(con) -> dict[str, str]:
    return content_hashes(con, ["core"])


def _core_equals_a_full_rebuild(con, councils=COUNCILS) -> None:
    kept = _core(con)
    assert build_core(con, councils, full=True)["dimensions"] == "built"
    assert _core(con) == kept


def test_the_dimensions_are_kept_on_an_unchanged_night_and_rebuilt_on_every_input(con):
    assert build_core(con, COUNCILS, run_id="night-1")["dimensions"] == "built"
    hashes, built_at = _core(con), stage_state.last_build(con, "core_dimensions").built_at

    second = build_core(con, COUNCILS, run_id="night-2")
    assert second["dimensions"] == "unchanged" and second["councils_rebuilt"] == 0
    assert stage_state.last_build(con, "core_dimensions").built_at == built_at  # not run
    assert stage_state.run_statuses(con, "night-2") == {"core_dimensions": "unchanged"}
    assert _core(con) == hashes
    _core_equals_a_full_rebuild(con)

    # the registry: a council renamed
    renamed = COUNCILS.with_columns(pl.when(pl.col("gss") == BRISTOL).then(pl.lit("City of Bristol Council"))
                                    .otherwise(pl.col("name")).alias("name"))
    assert build_core(con, renamed)["dimensions"] == "built"
    assert con.execute("select council_name from core.dim_council where council_gss = $g",
                       {"g": BRISTOL}).fetchone()[0] == "City of Bristol Council"
    assert build_core(con, renamed)["dimensions"] == "unchanged"
    _core_equals_a_full_rebuild(con, renamed)

    # the suppliers build changed a supplier
    con.execute("update core.suppliers set canonical_name = canonical_name || ' LTD' "
                "where supplier_key = (select min(supplier_key) from core.suppliers)")
    assert build_core(con, COUNCILS)["dimensions"] == "built"
    _core_equals_a_full_rebuild(con)

    # a council's staged lines: a new service combination and a payment a year after any other
    con.execute("""update staging.spend_lines set expense_type = 'Grounds maintenance (new code)',
                   payment_date = date '2032-06-30' where council_gss = $g and row_number = (
                   select min(row_number) from staging.spend_lines where council_gss = $g)""", {"g": BRISTOL})
    stats = build_core(con, COUNCILS)
    assert stats["dimensions"] == "built" and stats["councils_rebuilt"] == 1
    assert con.execute("select max(date) from core.dim_date").fetchone()[0] == dt.date(2032, 6, 30)
    assert con.execute("select count(*) from core.dim_service where expense_type = "
                       "'Grounds maintenance (new code)'").fetchone()[0] == 1
    _core_equals_a_full_rebuild(con)

    # an award running past every payment: the date dimension covers its contract period
    con.execute("update staging.awards set contract_end = date '2034-03-31'")
    assert build_core(con, COUNCILS)["dimensions"] == "built"
    assert con.execute("select max(date) from core.dim_date").fetchone()[0] == dt.date(2034, 3, 31)
    _core_equals_a_full_rebuild(con)

    # a dimension changed behind the build's back is rebuilt; the operator's forced rebuild rebuilds
    con.execute("delete from core.dim_date where date = date '2020-01-01'")
    assert build_core(con, COUNCILS)["dimensions"] == "built"
    assert con.execute("select count(*) from core.dim_date where date = date '2020-01-01'").fetchone()[0] == 1
    assert build_core(con, COUNCILS)["dimensions"] == "unchanged"
    assert build_core(con, COUNCILS, full=True)["dimensions"] == "built"
