"""Checks: the publish gate passes on a clean build and catches a duplicated, lost or phantom fact row and broken
keys; dates that did not parse are judged per publication (month precision is not a null); the core build holds a
failing publication back with its reason while everything else is built; warnings report missing months and
sudden total changes since the last publish."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.marts.build import build_core, build_marts
from pipelines.marts.checks import blocking_checks, publication_failures, warning_checks
from pipelines.marts.holds import held_back
from tests.test_marts_seed import BRISTOL, COUNCILS, HYNDBURN, build_seeded


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


def test_a_duplicated_fact_row_blocks_and_names_its_publication(con):
    # a rebuild bug that inserts one payment twice under a fresh key
    pub = con.execute("select publication_id, source_url from core.fact_payment where council_gss = $g limit 1",
                      {"g": BRISTOL}).fetchone()
    con.execute("""insert into core.fact_payment select * replace (md5(payment_key || 'copy') as payment_key)
                   from core.fact_payment where publication_id = $p limit 1""", {"p": pub[0]})
    failures = blocking_checks(con)
    assert {"facts_reconcile_with_staging", "fact_scorecard_totals_reconcile"} <= _names(failures)
    reconcile = [f for f in failures if f.startswith("facts_reconcile_with_staging")]
    assert len(reconcile) == 1 and BRISTOL in reconcile[0] and pub[1] in reconcile[0]


def test_the_same_lineage_key_twice_blocks(con):
    con.execute("insert into core.fact_payment select * from core.fact_payment where council_gss = $g limit 1", {"g": BRISTOL})
    assert {"fact_payment_key_unique", "facts_reconcile_with_staging"} <= _names(blocking_checks(con))


def test_a_lost_row_blocks(con):
    con.execute("""delete from core.fact_payment where payment_key =
                   (select min(payment_key) from core.fact_payment where council_gss = $g)""", {"g": HYNDBURN})
    failures = blocking_checks(con)
    assert "facts_reconcile_with_staging" in _names(failures)
    assert any(HYNDBURN in f and "staged 7 current lines" in f and "core.fact_payment 6 rows" in f for f in failures)


def test_a_staged_line_the_parser_never_output_blocks(con):
    # staging differs from the parser's own account of the file (a loader bug): the publication is named
    con.execute("""update staging.spend_publications set rows = rows + 1
                   where publication_id = (select min(publication_id) from staging.spend_publications where council_gss = $g)""",
                {"g": BRISTOL})
    assert "staged_lines_match_parser" in _names(blocking_checks(con))


def test_month_precision_dates_are_not_nulls_but_unparsed_dates_are(con):
    # every Bristol line dated only to its month, as a council publishing "2016-04" would, even where the parser
    # could not read the cell and took the month from the file's period: nothing fails
    con.execute("""update staging.spend_lines set payment_date = null, date_precision = 'month',
                   row_flags = case when row_number % 2 = 0 then 'date_unparsed' end where council_gss = $g""", {"g": BRISTOL})
    failures, errors = publication_failures(con, [BRISTOL], phase="staging", include_held=True)
    assert failures == [] and errors == []
    # one publication whose date cells did not parse and that no period dates to a month: it, and only it, fails
    pub = con.execute("""select publication_id from staging.spend_publications where council_gss = $g
                         order by period_key limit 1""", {"g": BRISTOL}).fetchone()[0]
    con.execute("""update staging.spend_publications set rows = 6, net_total = 6 * 100 where publication_id = $p""", {"p": pub})
    con.execute("""insert into staging.spend_lines (council_gss, publication_id, period_key, row_number, amount,
                       date_precision, row_flags, source_sha256, is_current)
                   select $g, $p, '2022-04', 100 + i, 100, 'none', 'date_unparsed', $p, true from range(6) as t(i)""",
                {"g": BRISTOL, "p": pub})
    con.execute("delete from staging.spend_lines where publication_id = $p and row_number < 100", {"p": pub})
    failures, _ = publication_failures(con, [BRISTOL], phase="staging", include_held=True)
    assert [(f.check, f.publication_id) for f in failures] == [("cast_nulls_under_threshold", pub)]
    assert "payment_date did not parse on 6 of 6 lines" in failures[0].message


def test_a_failing_publication_is_held_back_and_everything_else_builds(con):
    # one Bristol month whose amounts did not parse: held back with its reason, the other councils unaffected
    pub, period = con.execute("""select publication_id, period_key from staging.spend_publications
                                 where council_gss = $g and period_key = '2023-06'""", {"g": BRISTOL}).fetchone()
    before = dict(con.execute("select council_gss, count(*) from core.fact_payment group by 1").fetchall())
    con.execute("update staging.spend_lines set amount = null where publication_id = $p", {"p": pub})
    con.execute("""insert into staging.spend_lines (council_gss, publication_id, period_key, row_number, amount,
                       source_sha256, is_current)
                   select $g, $p, $k, 100 + i, null, $p, true from range(5) as t(i)""", {"g": BRISTOL, "p": pub, "k": period})
    con.execute("update staging.spend_publications set rows = rows + 5, net_total = null where publication_id = $p", {"p": pub})
    stats = build_core(con, COUNCILS)
    assert stats["councils_rebuilt"] == 1 and stats["publications_held_back"] == 1
    holds = held_back(con)
    assert [(h["council_gss"], h["period_key"], h["checks"]) for h in holds] == [(BRISTOL, "2023-06", "cast_nulls_under_threshold")]
    assert "amount is missing on 8 of 8 lines" in holds[0]["reason"]
    after = dict(con.execute("select council_gss, count(*) from core.fact_payment group by 1").fetchall())
    assert after[BRISTOL] == before[BRISTOL] - 3 and {g: n for g, n in after.items() if g != BRISTOL} == {
        g: n for g, n in before.items() if g != BRISTOL}
    assert con.execute("select count(*) from staging.spend_lines where publication_id = $p and is_current",
                       {"p": pub}).fetchone()[0] == 0
    # the gate does not count the held-back publication against the release
    build_marts(con, {"as_of": dt.date(2025, 1, 1)})
    assert blocking_checks(con) == []


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
