"""Sourcing events on real files: the corpus's twelve monthly files of three councils (../shared/corpus/
spend_series), parsed, loaded and built like a night's files, then checked by the truth-free consistency check.

Twelve months cannot confirm an event by the default rules (a stop needs the year before it observed and months of
absence after; a start the year before it), so none is reported: the series is also run with exploratory settings
(shorter lookback, weaker chance guard) that let weak events through, and those too must not be contradicted by
the payments."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.marts.build import build_marts
from pipelines.marts.events import check_consistency
from pipelines.sample.evaluate import load_corpus_series

EXPLORATORY = {"lookback_months": 4, "min_observed_months": 4, "start_confirm_months": 3, "confirm_months": 3,
               "chance_level": 0.01, "min_active_months": 8}


@pytest.fixture(scope="module")
def con(corpus, tmp_path_factory):
    connection = duckdb.connect(str(tmp_path_factory.mktemp("series") / "w.duckdb"))
    counts = load_corpus_series(connection, corpus / "spend_series")
    assert counts == {"files_loaded": 36, "files_rejected": 0}
    yield connection
    connection.close()


def test_default_rules_report_nothing_twelve_months_cannot_confirm(con):
    months = con.execute("select count(distinct month_start) from core.fact_payment").fetchone()[0]
    assert months == 12
    result = check_consistency(con)
    assert result == {**result, "events": 0, "contradicted": 0}


def test_exploratory_events_are_not_contradicted_by_the_payments(con):
    build_marts(con, {"as_of": dt.date(2017, 4, 1), **EXPLORATORY})
    try:
        events = con.execute("select event_type, confidence, evidence_rows from marts.sourcing_events").fetchall()
        assert events  # the looser rules do find stops in a year of real payments
        assert all(rows > 0 for _, _, rows in events)
        result = check_consistency(con, EXPLORATORY["confirm_months"], EXPLORATORY["lookback_months"])
        assert result["events"] == len(events) and result["contradicted"] == 0, result["contradictions"]
    finally:
        build_marts(con, {"as_of": dt.date(2017, 4, 1)})
