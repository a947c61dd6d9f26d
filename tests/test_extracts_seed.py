"""A small published warehouse for the extracts tests, written by hand (not through the pipeline).

Tables follow docs/architecture.md: core.fact_payment, core.fact_award, core.suppliers, core.supplier_names,
three marts with the contract columns plus one extra mart (to show marts are extracted generically), and the
data dictionary in meta. The seed is plain Python data so the tests can derive their expectations from it
independently of the code under test. Helpers only: no tests in this module.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

COUNCILS = [
    ("E06000023", "Bristol, City of", "unitary"),
    ("E08000025", "Birmingham", "metropolitan district"),
    ("E07000178", "Oxford", "non-metropolitan district"),
    ("E10000030", "Surrey", "county"),
    ("E09000033", "Westminster", "london borough"),
]
SUPPLIERS = [
    # supplier_key, canonical_name, org_id, org_type, size, vcse, postcode, lad_gss, group_key, group_name, strategic
    ("s-001", "AVON TREE CARE LTD", "GB-COH-04511234", "company", "sme", False, "BS3 4AA", "E06000023", None, None, False),
    ("s-002", "BIFFA WASTE SERVICES LTD", "GB-COH-00946107", "company", "large", False, "HP12 3TZ", "E06000060", "g-biffa", "Biffa plc", True),
    ("s-003", "ST MUNGO'S", "GB-CHC-1149085", "charity", "unknown", True, "E1 8HN", "E09000030", None, None, False),
    ("s-004", "SERCO LTD", "GB-COH-02048608", "company", "large", False, "RG27 9UY", "E07000089", "g-serco", "Serco Group plc", True),
    ("s-005", "OXFORD COMMUNITY CIC", "GB-COH-11223344", "cic", "sme", True, "OX1 1AA", "E07000178", None, None, False),
    ("s-006", "HM REVENUE & CUSTOMS", "GB-GOR-D1234", "public_body", "unknown", False, None, None, None, None, False),
    ("s-007", None, None, "redacted", "unknown", False, None, None, None, None, False),
]
# the dangerous leading characters of a CSV formula injection, each in a text cell of a mart
INJECTION_NAMES = ["=HYPERLINK(\"http://x.test\",\"click\")", "+44 Facilities Ltd", "-Minus Services Ltd",
                   "@Risk Consulting", "\tTabbed Holdings", "\rCarriage Ltd"]


@dataclass
class Seed:
    payments: list[tuple] = field(default_factory=list)  # (council_gss, payment_date, amount, supplier_key, ...)
    awards: list[tuple] = field(default_factory=list)
    scorecard: list[dict] = field(default_factory=list)
    group_exposure: list[dict] = field(default_factory=list)
    sourcing_events: list[dict] = field(default_factory=list)


def payment_rows() -> list[tuple]:
    """About 800 lines across five councils, April 2022 to June 2024, with credits and FY-boundary dates."""
    rows = []
    start = dt.date(2022, 3, 20)
    for i in range(800):
        gss = COUNCILS[i % 5][0]
        day = start + dt.timedelta(days=(i * 37) % 830)
        pence = ((i * 7919) % 2_000_000) + 50_000
        amount = Decimal(pence) / 100
        if i % 41 == 0:
            amount = -amount  # credit notes are published as negative lines
        supplier = SUPPLIERS[i % len(SUPPLIERS)]
        rows.append((gss, day, amount, supplier[0], supplier[1], f"T{i:05d}", ["Waste", "Care", "Highways"][i % 3]))
    # both sides of the financial-year boundary, for one council
    rows.append(("E06000023", dt.date(2023, 3, 31), Decimal("1234.56"), "s-001", "AVON TREE CARE LTD", "FYB-1", "Parks"))
    rows.append(("E06000023", dt.date(2023, 4, 1), Decimal("6543.21"), "s-001", "AVON TREE CARE LTD", "FYB-2", "Parks"))
    return rows


def award_rows() -> list[tuple]:
    rows = []
    for i in range(60):
        day = None if i == 59 else dt.date(2021, 2, 1) + dt.timedelta(days=(i * 29) % 1300)
        value = Decimal((i * 104729) % 5_000_000) + Decimal("0.50")
        rows.append(("contracts_finder" if i % 3 else "find_a_tender", f"ocds-b5fd17-{i:06d}", f"{i}-1",
                     COUNCILS[i % 5][1], f"Contract {i} for services", value, day, SUPPLIERS[i % 6][0]))
    return rows


def scorecard_rows() -> list[dict]:
    rows = []
    for year_index, year in enumerate(["2022-23", "2023-24"]):
        for c, (gss, name, ctype) in enumerate(COUNCILS):
            local = Decimal(18 + 7 * c + 3 * year_index) + Decimal("0.25")
            total = Decimal(1_000_000 * (c + 1) + 250_000 * year_index) + Decimal("0.75")
            rows.append(dict(
                council_gss=gss, council_name=name, council_type=ctype, region_gss="E12000009",
                financial_year=year, period_grain="year", quarter=None, total_spend=total,
                local_authority_share=local, local_county_share=local + 10, local_region_share=local + 20,
                sme_share=Decimal(30 + c), vcse_share=Decimal("5.50") + c, public_share=Decimal("8.00"),
                large_private_share=Decimal(40 - c), individual_redacted_share=Decimal("2.00"),
                unresolved_share=Decimal("3.00"), unknown_size_share=Decimal("4.00"),
                unknown_location_share=Decimal("6.00"), peer_median_local_authority_share=local,
                peer_rank_local_authority=1))
            for q in ("Q1", "Q2", "Q3", "Q4"):
                rows.append({**rows[-1], "period_grain": "quarter", "quarter": q, "total_spend": total / 4,
                             "local_authority_share": Decimal("99.00")})
    return rows


def group_exposure_rows() -> list[dict]:
    rows = []
    names = ["Biffa plc", "Serco Group plc", "Capita plc", "Veolia UK", "Mears Group", "Kier Group", "Amey",
             "Sodexo", "Mitie", "Engie UK", "Ringway", "Balfour Beatty", "Tarmac", *INJECTION_NAMES]
    for i, name in enumerate(names):
        for c in range(1 + i % 3):
            gss, cname, _ = COUNCILS[c]
            spend = Decimal(900_000 - 37_000 * i + 1000 * c) + Decimal("0.10")
            if name == "-Minus Services Ltd":
                spend = Decimal("-1250.50")  # a net credit: negative money must stay a plain number in CSV
            rows.append(dict(group_key=f"g-{i:02d}", group_name=name, is_strategic=i in (0, 1, 2),
                             council_gss=gss, council_name=cname, financial_year="2023-24", spend=spend,
                             share=Decimal("1.50"), services="Waste,Care" if i % 2 else "-Highways",
                             councils_exposed=1 + i % 3))
    # an older year that the chart (latest year only) must leave out
    rows.append(dict(group_key="g-00", group_name="Biffa plc", is_strategic=True, council_gss="E06000023",
                     council_name="Bristol, City of", financial_year="2022-23", spend=Decimal("5000000.00"),
                     share=Decimal("9.00"), services="Waste", councils_exposed=1))
    return rows


def sourcing_event_rows() -> list[dict]:
    events = [
        ("E06000023", "Bristol, City of", "Waste collection", "outsourcing", dt.date(2022, 9, 1), None, "BIFFA WASTE SERVICES LTD"),
        ("E06000023", "Bristol, City of", "Leisure", "insourcing", dt.date(2023, 6, 1), "SERCO LTD", None),
        ("E08000025", "Birmingham", "Highways", "relet", dt.date(2023, 1, 1), "AMEY LG LTD", "KIER HIGHWAYS LTD"),
        ("E08000025", "Birmingham", "Care", "outsourcing", dt.date(2024, 2, 1), None, "MEARS CARE LTD"),
        ("E10000030", "Surrey", "Grounds", "insourcing", dt.date(2023, 11, 1), "IDVERDE UK LTD", None),
        ("E10000030", "Surrey", "Waste", "relet", dt.date(2024, 4, 1), "SUEZ", "BIFFA WASTE SERVICES LTD"),
    ]
    return [dict(council_gss=g, council_name=n, service=s, event_type=t, start_month=m, from_supplier=f,
                 to_supplier=to, spend_before=Decimal("120000.00"), spend_after=Decimal("0.00") if to is None else Decimal("118500.00"),
                 confidence=0.8, evidence_rows=12, evidence=json.dumps([{"council_gss": g, "row_number": 7}]))
            for g, n, s, t, m, f, to in events]


SCORECARD_DDL = """create table marts.keep_it_local_scorecard (council_gss varchar, council_name varchar,
    council_type varchar, region_gss varchar, financial_year varchar, period_grain varchar, quarter varchar,
    total_spend decimal(18,2), local_authority_share decimal(6,2), local_county_share decimal(6,2),
    local_region_share decimal(6,2), sme_share decimal(6,2), vcse_share decimal(6,2), public_share decimal(6,2),
    large_private_share decimal(6,2), individual_redacted_share decimal(6,2), unresolved_share decimal(6,2),
    unknown_size_share decimal(6,2), unknown_location_share decimal(6,2),
    peer_median_local_authority_share decimal(6,2), peer_rank_local_authority integer)"""
GROUP_DDL = """create table marts.group_exposure (group_key varchar, group_name varchar, is_strategic boolean,
    council_gss varchar, council_name varchar, financial_year varchar, spend decimal(18,2), share decimal(6,2),
    services varchar, councils_exposed integer)"""
EVENTS_DDL = """create table marts.sourcing_events (council_gss varchar, council_name varchar, service varchar,
    event_type varchar, start_month date, from_supplier varchar, to_supplier varchar, spend_before decimal(18,2),
    spend_after decimal(18,2), confidence double, evidence_rows integer, evidence json)"""


def _insert_dicts(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    placeholders = ", ".join("?" for _ in cols)
    con.executemany(f"insert into {table} ({', '.join(cols)}) values ({placeholders})", [list(r.values()) for r in rows])


def seed_published_warehouse(published_path: Path, *, empty_marts: bool = False, financial_year_column: bool = False) -> Seed:
    """Write the published warehouse file; return the seed it holds."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    seed = Seed(payment_rows(), award_rows())
    if not empty_marts:
        seed.scorecard, seed.group_exposure, seed.sourcing_events = (
            scorecard_rows(), group_exposure_rows(), sourcing_event_rows())
    con = duckdb.connect(str(published_path))
    try:
        for schema in ("raw", "core", "marts", "meta"):
            con.execute(f"create schema {schema}")
        fy = ", financial_year varchar" if financial_year_column else ""
        con.execute(f"""create table core.fact_payment (council_gss varchar, payment_date date, amount decimal(18,2),
            supplier_key varchar, supplier_name varchar, transaction_id varchar, service_area varchar{fy})""")
        rows = seed.payments
        if financial_year_column:
            # a warehouse that stores the year itself: label it differently from the date on purpose, so a test
            # can tell that the stored column (not the date) decided the partition
            rows = [(*r, "stored-" + str(r[1].year)) for r in rows]
        con.executemany(f"insert into core.fact_payment values ({', '.join('?' * len(rows[0]))})", rows)
        con.execute("""create table core.fact_award (source varchar, ocid varchar, award_id varchar,
            buyer_name varchar, title varchar, value_amount decimal(18,2), award_date date, supplier_key varchar)""")
        con.executemany("insert into core.fact_award values (?, ?, ?, ?, ?, ?, ?, ?)", seed.awards)
        con.execute("""create table core.suppliers (supplier_key varchar, canonical_name varchar, org_id varchar,
            org_type varchar, size varchar, vcse boolean, postcode varchar, lad_gss varchar, group_key varchar,
            group_name varchar, is_strategic boolean)""")
        con.executemany("insert into core.suppliers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", SUPPLIERS)
        con.execute("""create table core.supplier_names (raw_name varchar, name_key varchar, source varchar,
            council_gss varchar, supplier_id varchar, supplier_key varchar, match_method varchar,
            match_score double, reviewed boolean)""")
        con.executemany("insert into core.supplier_names values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (s[1] or "REDACTED", (s[1] or "").lower(), "spend", COUNCILS[i % 5][0], None, s[0],
             "exact" if s[2] else "none", 1.0, False) for i, s in enumerate(SUPPLIERS)])
        con.execute("create table core.dim_council (council_gss varchar, council_name varchar, council_type varchar)")
        con.executemany("insert into core.dim_council values (?, ?, ?)", COUNCILS)
        con.execute(SCORECARD_DDL)
        con.execute(GROUP_DDL)
        con.execute(EVENTS_DDL)
        _insert_dicts(con, "marts.keep_it_local_scorecard", seed.scorecard)
        _insert_dicts(con, "marts.group_exposure", seed.group_exposure)
        _insert_dicts(con, "marts.sourcing_events", seed.sourcing_events)
        # a mart outside the contract: extracts must pick up whatever marts exist
        con.execute("""create table marts.monthly_spend (council_gss varchar, month date, spend decimal(18,2),
            lines bigint, refreshed_at timestamp)""")
        if not empty_marts:
            con.execute("""insert into marts.monthly_spend
                select council_gss, date_trunc('month', payment_date)::date, sum(amount), count(*),
                    timestamp '2024-07-01 02:15:00'
                from core.fact_payment group by all""")
        con.execute("""create table meta.table_dictionary (table_schema varchar, table_name varchar,
            grain varchar, definition varchar, source varchar)""")
        con.execute("""create table meta.column_dictionary (table_schema varchar, table_name varchar,
            column_name varchar, data_type varchar, description varchar)""")
        con.execute("""insert into meta.table_dictionary
            select table_schema, table_name, 'one row per ' || table_name, 'Definition of ' || table_name || '.',
                'sql/marts/' || table_name || '.sql'
            from information_schema.tables where table_schema in ('core', 'marts')""")
        con.execute("""insert into meta.column_dictionary
            select table_schema, table_name, column_name, data_type, 'About ' || column_name || ' in ' || table_name
            from information_schema.columns where table_schema in ('core', 'marts')""")
        con.execute("""create table meta.runs (run_id varchar, started_at timestamp, finished_at timestamp,
            pipeline_version varchar, status varchar)""")
        con.execute("""insert into meta.runs values
            ('run-1', '2024-07-01 02:00', '2024-07-01 02:40', '0.1.0+old', 'success'),
            ('run-2', '2024-07-02 02:00', '2024-07-02 02:41', '0.1.0+seed', 'success')""")
        con.execute("""create table meta.stage_report (run_id varchar, council_gss varchar, council_name varchar)""")
        con.executemany("insert into meta.stage_report values ('run-2', ?, ?)", [(g, n) for g, n, _ in COUNCILS])
        con.execute("""create table raw.fetch_manifest (fetch_id varchar, source_kind varchar, url varchar,
            council_gss varchar, landing_page varchar, fetched_at timestamp)""")
        con.executemany("insert into raw.fetch_manifest values (?, 'council_file', ?, ?, ?, '2024-07-02 02:05')", [
            (f"f{i}", f"https://council{i}.example.gov.uk/spend.csv", g, f"https://council{i}.example.gov.uk/transparency")
            for i, (g, _, _) in enumerate(COUNCILS)])
        con.execute("checkpoint")
    finally:
        con.close()
    return seed


def uk_financial_year(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"
