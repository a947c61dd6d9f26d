"""Core star schema and marts on hand-made staging data whose answers are worked out here, by hand.

Hyndburn FY 2023-24 (current lines, superseded v1 excluded, the year file's copy of line H1 replaced by the later
May file):
local SME 1000, VCSE charity (Burnley, same county) 500, Carrick Facilities 2000 and a -100 credit, HMRC 300,
a blank redacted payee 150, an unresolved van hire 50: total 3900.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from pipelines.marts.build import build_marts
from tests.test_marts_seed import BRISTOL, HYNDBURN, LANCASHIRE, SOUTH_GLOS, build_seeded


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("marts") / "w.duckdb"
    connection = duckdb.connect(str(path))
    _world, core, _marts = build_seeded(connection)
    yield connection, core
    connection.close()


@pytest.fixture()
def con(built):
    return built[0]


def _row(con, sql, params=None):
    rel = con.execute(sql, params or {})
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def pct(part: str, whole: str = "3900") -> float:
    return round(float(Decimal(part) / Decimal(whole) * 100), 4)


def test_hyndburn_scorecard_shares_follow_the_metric_definitions(con):
    row = _row(con, """select * from marts.keep_it_local_scorecard
                       where council_gss = $g and financial_year = '2023-24' and period_grain = 'year'""", {"g": HYNDBURN})
    assert row["total_spend"] == Decimal("3900.00")
    assert row["council_type"] == "district" and row["quarter"] is None
    expected = {
        "local_authority_share": pct("1000"),            # only the Accrington joiner is in Hyndburn
        "local_county_share": pct("1500"),               # plus the Burnley charity, same county
        "local_region_share": pct("1500"),               # Carrick is in the West Midlands
        "sme_share": pct("1000"),
        "vcse_share": pct("500"),
        "public_share": pct("300"),
        "large_private_share": pct("1900"),              # 2000 less the 100 credit
        "individual_redacted_share": pct("150"),         # the blank payee, with no supplier row at all
        "unresolved_share": pct("50"),                   # no org_id; public and redacted excluded
        "unknown_size_share": pct("550"),                # the charity and the van hire
        "unknown_location_share": pct("500"),            # HMRC, blank payee, van hire
    }
    for field, want in expected.items():
        assert row[field] == pytest.approx(want, abs=1e-4), field


def test_superseded_and_repeated_lines_are_not_counted(con):
    # the superseded v1 file paid 9999 to the joiner; the year file fetched before May v2 repeats H1
    lines = con.execute("""select count(*), sum(amount) from core.fact_payment
                           where council_gss = $g and supplier_key = 's_local_h'""", {"g": HYNDBURN}).fetchall()[0]
    assert lines == (1, Decimal("1000.00"))
    kept = con.execute("select sheet, row_number from core.fact_payment where transaction_id = 'H1'").fetchall()
    assert kept == [(None, 2)]  # the later (May v2) file covers the line's day: its copy wins


def test_county_council_counts_suppliers_in_its_districts_as_local(con):
    row = _row(con, """select total_spend, local_authority_share, local_county_share from marts.keep_it_local_scorecard
                       where council_gss = $g and financial_year = '2023-24' and period_grain = 'quarter' and quarter = 'Q1'""",
               {"g": LANCASHIRE})
    # Q1 2023-24: waste 50000 (Apr) + 50500 (May) + 51000 (Jun) + joiner 400 + Carrick 600 + 1000; Red Rose is in Burnley
    assert row["total_spend"] == Decimal("153500.00")
    assert row["local_authority_share"] == pytest.approx(pct("151900", "153500"), abs=1e-4)


def test_quarters_add_up_to_the_year_and_peers_rank_within_type(con):
    rows = con.execute("""select council_gss, financial_year, period_grain, sum(total_spend) from marts.keep_it_local_scorecard
                          group by all""").fetchall()
    years = {(g, fy): t for g, fy, grain, t in rows if grain == "year"}
    quarters = {(g, fy): t for g, fy, grain, t in rows if grain == "quarter"}
    assert years and years == quarters
    peers = con.execute("""select council_gss, local_authority_share, peer_median_local_authority_share, peer_rank_local_authority
                           from marts.keep_it_local_scorecard where council_type = 'unitary' and financial_year = '2023-24'
                           and period_grain = 'year' order by council_gss""").fetchall()
    assert [p[0] for p in peers] == [BRISTOL, SOUTH_GLOS]
    shares = [p[1] for p in peers]
    assert all(p[2] == pytest.approx(sum(shares) / 2) for p in peers)
    best = max(peers, key=lambda p: p[1])
    assert best[3] == 1 and min(peers, key=lambda p: p[1])[3] == 2


def test_dim_date_uses_uk_financial_years_and_april_quarters(con):
    got = dict(con.execute("""select cast(date as varchar), financial_year || ' ' || fiscal_quarter || ' ' || fiscal_month
                              from core.dim_date where date in ('2024-03-31', '2024-04-01', '2024-07-01', '2025-01-15')""").fetchall())
    assert got == {"2024-03-31": "2023-24 Q4 12", "2024-04-01": "2024-25 Q1 1", "2024-07-01": "2024-25 Q2 4",
                   "2025-01-15": "2024-25 Q4 10"}


def test_service_taxonomy_maps_published_text_and_reports_the_rate(built):
    con, core = built
    mapped = dict(con.execute("select expense_type, service from core.dim_service").fetchall())
    assert mapped["Waste Collection Contract"] == "waste"
    assert mapped["Highway Maintenance"] == "highways"
    assert mapped["Leisure Centre Management Fee"] == "leisure"
    assert mapped["Payments to Other Public Bodies"] == "other"
    assert core["service_combinations_mapped_pct"] == pytest.approx(80.0)  # 4 of 5 combinations


def test_award_on_both_services_counts_once_and_matches_the_council(con):
    rows = con.execute("""select source, counts_once, buyer_council_gss, supplier_key from core.fact_award
                          order by source""").fetchall()
    assert rows == [("contracts_finder", True, BRISTOL, "s_bristol_waste"),
                    ("find_a_tender", False, BRISTOL, "s_bristol_waste")]
    pipeline = con.execute("select award_uid, status, months_to_end, paid_in_contract_period from marts.contract_pipeline").fetchall()
    # as_of 2025-01-01, ends 2025-09-30; Bristol Waste paid Oct 2023 - Mar 2025 (18 months)
    paid = con.execute("""select sum(amount) from core.fact_payment where supplier_key = 's_bristol_waste'""").fetchall()[0][0]
    assert pipeline == [("contracts_finder:ocds-cf-1:1", "ending_12_months", 8, paid)]


def test_payments_inside_the_contract_period_are_contracted(con):
    rows = {fy: (total, contracted, off) for fy, total, contracted, off in con.execute(
        """select financial_year, total_spend, contracted_spend, off_contract_spend from marts.payment_contract_links
           where council_gss = $g""", {"g": BRISTOL}).fetchall()}
    waste_2324 = con.execute("""select sum(amount) from core.fact_payment where supplier_key = 's_bristol_waste'
                                and financial_year = '2023-24'""").fetchall()[0][0]
    assert rows["2022-23"][1] == 0
    assert rows["2023-24"][1] == waste_2324 and rows["2023-24"][1] + rows["2023-24"][2] == rows["2023-24"][0]


def test_group_exposure_rolls_subsidiaries_up(con):
    rows = con.execute("""select council_gss, spend, services, councils_exposed, share from marts.group_exposure
                          where group_key = 'g_carrick' and financial_year = '2023-24' order by council_gss""").fetchall()
    assert rows[0][:4] == (HYNDBURN, Decimal("1900.00"), "facilities", 2)
    assert rows[1][:4] == (LANCASHIRE, Decimal("1600.00"), "facilities,highways", 2)  # two subsidiaries, one group
    assert rows[0][4] == pytest.approx(pct("1900"), abs=1e-4)


def test_concentration_hhi_on_percent_shares_by_entity_and_group(con):
    rows = {r[0]: r[1:] for r in con.execute(
        """select entity_level, suppliers, hhi, top1_share, concentration_band from marts.supplier_concentration
           where council_gss = $g and financial_year = '2023-24' and service = 'all'""", {"g": LANCASHIRE}).fetchall()}
    waste = sum(Decimal(50000 + (i % 3) * 500) for i in range(12, 24))
    entity_spends = [waste, Decimal(400), Decimal(600), Decimal(1000)]
    total = sum(entity_spends)
    hhi = sum(float(s / total * 100) ** 2 for s in entity_spends)
    assert rows["supplier"][0] == 4 and rows["supplier"][1] == pytest.approx(hhi, abs=0.01)
    group_spends = [waste, Decimal(400), Decimal(1600)]
    assert rows["group"][0] == 3
    assert rows["group"][1] == pytest.approx(sum(float(s / total * 100) ** 2 for s in group_spends), abs=0.01)
    assert rows["group"][3] == "high"


def test_transparency_compliance_flags_missing_months_duplicates_and_lateness(con):
    rows = {r[0]: r[1:] for r in con.execute(
        """select strftime(month_start, '%Y-%m'), published, duplicate_rows, redacted_lines_share, lateness_days,
                  credit_notes, status, days_overdue, due_date
           from marts.transparency_compliance where council_gss = $g""", {"g": HYNDBURN}).fetchall()}
    # April 2023 - March 2024 from its files, then the months already due at as_of (2025-01-01): with no registry
    # cadence a month is owed a month after its Code quarter, so April - September 2024 are overdue, October not yet
    assert len(rows) == 18 and sum(1 for r in rows.values() if not r[0]) == 17
    assert sorted(m for m, r in rows.items() if r[5] == "missing_trailing") == [f"2024-{m:02d}" for m in range(4, 10)]
    assert rows["2024-09"][6] == (dt.date(2025, 1, 1) - dt.date(2024, 10, 31)).days
    may = rows["2023-05"]
    assert may[1] == 0                       # the year file's copy of H1 is replaced, not a duplicate
    assert may[2] == pytest.approx(100 / 7, abs=1e-4)  # one blank payee in seven current lines (rounded to 4 places)
    assert may[3] == (dt.date(2023, 6, 10) - dt.date(2023, 5, 31)).days  # first published: the superseded v1
    assert may[4] == 1 and may[5] == "published" and may[7] == dt.date(2023, 7, 31)
    # April appeared first in the year file, fetched in June 2023 before its year ended: early (negative), measured
    # against the end of the period that file covers
    assert rows["2023-04"][3] == (dt.date(2023, 6, 15) - dt.date(2024, 3, 31)).days and rows["2023-04"][5] == "missing"


def test_transparency_compliance_follows_the_registry_cadence(built):
    con, _core = built
    con.execute("""create or replace table reference.councils as
                   select $g as gss, 'monthly' as cadence, '500' as threshold, null as end_date""", {"g": HYNDBURN})
    try:
        build_marts(con, {"as_of": dt.date(2025, 1, 1)})
        rows = dict(con.execute("""select strftime(month_start, '%Y-%m'), due_date from marts.transparency_compliance
                                   where council_gss = $g and status = 'missing_trailing'""", {"g": HYNDBURN}).fetchall())
        assert sorted(rows) == [f"2024-{m:02d}" for m in range(4, 12)]  # November's month of grace ends 31 December
        assert rows["2024-04"] == dt.date(2024, 5, 31)
    finally:
        con.execute("drop table reference.councils")
        build_marts(con, {"as_of": dt.date(2025, 1, 1)})


def test_scorecard_says_how_many_months_the_data_covers(con):
    rows = con.execute("""select period_grain, quarter, months_covered, months_in_period from marts.keep_it_local_scorecard
                          where council_gss = $g and financial_year = '2023-24' order by period_grain, quarter""",
                       {"g": HYNDBURN}).fetchall()
    # Hyndburn's lines are all in May 2023: one month of the year, one of Q1's three
    assert rows == [("quarter", "Q1", 1, 3), ("year", None, 1, 12)]
    full = con.execute("""select months_covered from marts.keep_it_local_scorecard where council_gss = $g
                          and financial_year = '2023-24' and period_grain = 'year'""", {"g": LANCASHIRE}).fetchone()[0]
    assert full == 12


def test_group_exposure_flags_the_councils_own_companies(con):
    owned = con.execute("""select council_gss, group_name, council_owned from marts.group_exposure
                           where group_key = 's_bristol_waste' order by financial_year""").fetchall()
    assert owned and all(r[0] == BRISTOL and r[2] for r in owned)
    assert not con.execute("select count(*) from marts.group_exposure where council_owned and group_key <> 's_bristol_waste'").fetchone()[0]
