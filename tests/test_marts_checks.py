"""Blocking checks pass on a clean build and catch a duplicated row, a lost row, totals that do not reconcile and
cast-introduced nulls; warning checks report missing months and sudden total changes since the last publish."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.marts.checks import blocking_checks, warning_checks
from tests.test_marts_seed import BRISTOL, HYNDBURN, build_seeded


@pytest.fixture()
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    build_seeded(connection)
    yield connection
    connection.close()


def _names(failures):
    return {f.split(":", 1)[0] for f in failures}


def test_a_clean_build_passes(con):
    assert blocking_checks(con) == []


def test_a_duplicated_fact_row_blocks(con):
    # a rebuild bug that inserts one payment twice under a fresh key
    con.execute("""insert into core.fact_payment select * replace (md5(payment_key || 'copy') as payment_key)
                   from core.fact_payment where council_gss = $g limit 1""", {"g": BRISTOL})
    failures = blocking_checks(con)
    assert {"no_duplicated_rows", "staging_fact_totals_reconcile", "fact_scorecard_totals_reconcile"} <= _names(failures)


def test_the_same_lineage_key_twice_blocks(con):
    con.execute("insert into core.fact_payment select * from core.fact_payment where council_gss = $g limit 1", {"g": BRISTOL})
    assert "fact_payment_key_unique" in _names(blocking_checks(con))


def test_a_lost_row_blocks(con):
    con.execute("""delete from core.fact_payment where payment_key =
                   (select min(payment_key) from core.fact_payment where council_gss = $g)""", {"g": HYNDBURN})
    failures = blocking_checks(con)
    assert {"no_lost_rows", "staging_fact_totals_reconcile"} <= _names(failures)
    assert any(HYNDBURN in f for f in failures)


def test_unparsed_dates_over_the_threshold_block(con):
    con.execute("update staging.spend_lines set payment_date = null where council_gss = $g", {"g": BRISTOL})
    failures = blocking_checks(con)
    assert any(f.startswith("cast_nulls_under_threshold: payment_date is null") for f in failures)
    assert not any(f.startswith("cast_nulls_under_threshold") for f in blocking_checks(con, {"max_null_date_pct": 100}))


def test_a_missing_table_fails_rather_than_passes(con):
    con.execute("drop table marts.keep_it_local_scorecard")
    assert any("could not run" in f for f in blocking_checks(con))


def test_warnings_report_missing_months_and_total_jumps(con, tmp_path):
    previous = tmp_path / "previous.duckdb"
    rows = con.execute("select council_gss, financial_year, period_grain, total_spend from marts.keep_it_local_scorecard").fetchall()
    prev = duckdb.connect(str(previous))
    prev.execute("create schema marts")
    prev.execute("""create table marts.keep_it_local_scorecard (council_gss varchar, financial_year varchar,
                    period_grain varchar, total_spend decimal(18,2))""")
    # the previous publish had Bristol at half today's totals; everyone else unchanged
    prev.executemany("insert into marts.keep_it_local_scorecard values (?, ?, ?, ?)",
                     [(g, fy, grain, total / 2 if g == BRISTOL else total) for g, fy, grain, total in rows])
    prev.close()
    warnings = warning_checks(con, previous)
    jumps = [w for w in warnings if w.startswith("total_change_vs_previous")]
    assert jumps and all(BRISTOL in w and "100.0%" in w for w in jumps)
    assert any(w.startswith("council_missing_months") and HYNDBURN in w for w in warnings)
    assert not [w for w in warning_checks(con, None) if w.startswith("total_change_vs_previous")]
