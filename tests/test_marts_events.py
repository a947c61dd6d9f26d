"""Sourcing events planted in a synthetic monthly series are found at the right council, service and month;
steady series produce nothing; the evidence points at real payment lines."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from tests.test_marts_seed import BRISTOL, HYNDBURN, LANCASHIRE, SOUTH_GLOS, build_seeded


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = duckdb.connect(str(tmp_path_factory.mktemp("events") / "w.duckdb"))
    build_seeded(connection)
    yield connection
    connection.close()


def _events(con):
    return con.execute("""select council_gss, service, event_type, start_month, from_supplier, to_supplier,
                                 spend_before, spend_after, confidence, evidence_rows, evidence
                          from marts.sourcing_events order by council_gss, service""").fetchall()


def test_exactly_the_planted_events_are_detected(con):
    found = {(e[0], e[1], e[2], e[3], e[4], e[5]) for e in _events(con)}
    assert found == {
        (BRISTOL, "waste", "insourcing", dt.date(2023, 10, 1), "SEVERNSIDE WASTE SERVICES LTD", "BRISTOL WASTE COMPANY LTD"),
        (SOUTH_GLOS, "highways", "relet", dt.date(2024, 1, 1), "WESTWAY ROADS LTD", "COTSWOLD SURFACING LTD"),
        (SOUTH_GLOS, "leisure", "outsourcing", dt.date(2024, 4, 1), None, "PENNINE LEISURE MANAGEMENT LTD"),
    }


def test_steady_series_produce_no_event(con):
    councils = {e[0] for e in _events(con)}
    assert LANCASHIRE not in councils and HYNDBURN not in councils
    assert not [e for e in _events(con) if e[0] == BRISTOL and e[1] == "facilities"]


def test_spend_windows_have_equal_length_and_evidence_points_at_fact_rows(con):
    events = {e[2]: e for e in _events(con)}
    insourcing = events["insourcing"]
    # six months before October 2023 paid Severnside (external); after, Bristol's own company (not external spend)
    before = con.execute("""select sum(amount) from core.fact_payment where supplier_key = 's_severnside'
                            and month_start between '2023-04-01' and '2023-09-01'""").fetchall()[0][0]
    assert insourcing[6] == before and insourcing[7] == 0
    evidence = json.loads(insourcing[10])
    assert len(evidence) == insourcing[9] == 12
    keys = [e["payment_key"] for e in evidence]
    matched = con.execute("select count(*) from core.fact_payment where list_contains($k, payment_key)", {"k": keys}).fetchall()[0][0]
    assert matched == 12
    outsourcing = events["outsourcing"]
    assert outsourcing[6] == 0 and outsourcing[7] > 0
    assert all(0 < e[8] <= 1 for e in events.values())


def test_parameters_change_what_counts_as_recurring(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        # no stop is followed by 20 unpaid months, and no start by 20 months of data
        build_seeded(con, {"confirm_months": 20, "start_confirm_months": 20})
        assert _events(con) == []
        from pipelines.marts.build import build_marts

        with pytest.raises(ValueError, match="unknown mart parameters"):
            build_marts(con, {"confirm_month": 3})
    finally:
        con.close()
