"""Hand-made staging and supplier data with known answers, shared by the marts, checks, examples and publish tests.

Nothing here is a test. The world is small enough to reason about by hand:

* Hyndburn (district, Lancashire) FY 2023-24: seven current lines whose shares are worked out in
  test_marts_build.py, one superseded publication that must not count, and a year-to-date file fetched between
  the two May files whose copy of one May line the later May file replaces (counted once, from the May file).
* Lancashire (county): a local supplier in Hyndburn (local to a county through the county GSS), two Carrick Group
  subsidiaries, and a waste contractor paid steadily every month (no event).
* Bristol: Severnside Waste paid monthly until September 2023, then Bristol Waste Company (owned by Bristol):
  an insourcing in 2023-10. Bristol also awards Bristol Waste Company a contract, published on both services.
* South Gloucestershire: Highways A until December 2023 then Highways B (a re-let in 2024-01), and Leisure with no
  supplier until Pennine Leisure starts in April 2024 (an outsourcing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from pipelines.warehouse import apply_ddl

HYNDBURN, LANCASHIRE, BRISTOL, SOUTH_GLOS = "E07000120", "E10000017", "E06000023", "E06000025"

COUNCILS = pl.DataFrame({
    "gss": [HYNDBURN, LANCASHIRE, BRISTOL, SOUTH_GLOS],
    "name": ["Hyndburn Borough Council", "Lancashire County Council", "Bristol City Council",
             "South Gloucestershire Council"],
    "type": ["district", "county", "unitary", "unitary"],
    "region_gss": ["E12000002", "E12000002", "E12000009", "E12000009"],
    "county_gss": [LANCASHIRE, None, None, None],
    "start_date": ["1974-04-01", "1974-04-01", "1996-04-01", "1996-04-01"],
    "end_date": [None, None, None, None],
})

# supplier_key, canonical_name, org_id, org_type, size, vcse, lad, county, region, group_key, group_name, owned_by
SUPPLIERS = [
    ("s_local_h", "ACCRINGTON JOINERY LTD", "GB-COH-00000001", "company", "sme", False, HYNDBURN, LANCASHIRE, "E12000002", None, None, None),
    ("s_vcse_h", "BURNLEY FOOD BANK", "GB-CHC-1000001", "charity", "unknown", True, "E07000117", LANCASHIRE, "E12000002", None, None, None),
    ("s_carrick_fac", "CARRICK FACILITIES LTD", "GB-COH-00000002", "company", "large", False, "E08000025", None, "E12000005", "g_carrick", "Carrick Group", None),
    ("s_carrick_hwy", "CARRICK HIGHWAYS LTD", "GB-COH-00000003", "company", "large", False, "E06000042", None, "E12000008", "g_carrick", "Carrick Group", None),
    ("s_public", "HM REVENUE AND CUSTOMS", "GB-GOR-PB0001", "public_body", "unknown", False, None, None, None, None, None, None),
    ("s_unresolved", "JOE'S VANS", None, "other", "unknown", False, None, None, None, None, None, None),
    ("s_lancs_waste", "RED ROSE WASTE LTD", "GB-COH-00000004", "company", "large", False, "E07000117", LANCASHIRE, "E12000002", None, None, None),
    ("s_severnside", "SEVERNSIDE WASTE SERVICES LTD", "GB-COH-00000005", "company", "large", False, "E06000038", None, "E12000008", None, None, None),
    ("s_bristol_waste", "BRISTOL WASTE COMPANY LTD", "GB-COH-00000006", "company", "large", False, BRISTOL, None, "E12000009", None, None, BRISTOL),
    ("s_bristol_vcse", "ST PAULS COMMUNITY TRUST", "GB-CHC-1000002", "charity", "sme", True, BRISTOL, None, "E12000009", None, None, None),
    ("s_bristol_sme", "AVON CLEANING CO LTD", "GB-COH-00000007", "company", "sme", False, BRISTOL, None, "E12000009", None, None, None),
    ("s_hwy_a", "WESTWAY ROADS LTD", "GB-COH-00000008", "company", "large", False, SOUTH_GLOS, None, "E12000009", None, None, None),
    ("s_hwy_b", "COTSWOLD SURFACING LTD", "GB-COH-00000009", "company", "sme", False, "E06000024", None, "E12000009", None, None, None),
    ("s_pennine", "PENNINE LEISURE MANAGEMENT LTD", "GB-COH-00000010", "company", "sme", False, "E08000006", None, "E12000002", None, None, None),
]
SUPPLIER_BY_KEY = {s[0]: s for s in SUPPLIERS}

SERVICE_TEXT = {  # service -> (department, expense_type) as a council would publish them
    "waste": ("Environment - Waste Management", "Waste Collection Contract"),
    "highways": ("Highways and Transport", "Highway Maintenance"),
    "leisure": ("Leisure and Culture", "Leisure Centre Management Fee"),
    "facilities": ("Facilities Management", "Facilities Cleaning Services"),
    "other": ("Corporate Finance", "Payments to Other Public Bodies"),
}

FIRST_MONTH, MONTHS = dt.date(2022, 4, 1), 36


def month_list() -> list[dt.date]:
    out, y, m = [], FIRST_MONTH.year, FIRST_MONTH.month
    for _ in range(MONTHS):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


class World:
    """Accumulates publications and lines, then writes them to staging."""

    def __init__(self):
        self.publications: list[dict] = []
        self.lines: list[dict] = []

    def publication(self, council: str, period_key: str, start: dt.date, end: dt.date, *,
                    fetched_at: dt.datetime | None = None, is_current: bool = True, tag: str = "") -> str:
        pub_id = hashlib.sha256(f"{council}|{period_key}|{tag}".encode()).hexdigest()
        self.publications.append({
            "publication_id": pub_id, "council_gss": council, "dataset_kind": "spend", "period_key": period_key,
            "period_start": start, "period_end": end, "source_url": f"http://127.0.0.1/{council}/{period_key}{tag}.csv",
            "fetched_at": fetched_at or dt.datetime.combine(end + dt.timedelta(days=12), dt.time(3)),
            "loaded_at": dt.datetime(2025, 5, 1), "is_current": is_current,
        })
        return pub_id

    def line(self, pub_id: str, supplier_key: str | None, amount: str, day: dt.date, service: str, *,
             supplier_name: str | None = None, redaction_kind: str = "none", transaction_id: str | None = None,
             row_number: int | None = None, sheet: str | None = None) -> dict:
        pub = next(p for p in self.publications if p["publication_id"] == pub_id)
        name = supplier_name if supplier_key is None else SUPPLIER_BY_KEY[supplier_key][1].title()
        txn = transaction_id or f"T{len(self.lines) + 1}"
        dept, expense = SERVICE_TEXT[service]
        row = {
            "council_gss": pub["council_gss"], "publication_id": pub_id, "period_key": pub["period_key"],
            "sheet": sheet, "row_number": row_number or sum(1 for ln in self.lines if ln["publication_id"] == pub_id) + 2,
            "payment_date": day, "date_precision": "day", "transaction_id": txn, "line_no": "1",
            "amount": Decimal(amount), "supplier_name": name, "department": dept, "expense_type": expense,
            "purpose": "contract payment", "is_card": False, "redaction_kind": redaction_kind,
            "source_url": pub["source_url"], "source_sha256": pub_id, "parser_version": "test",
            "row_fingerprint": hashlib.sha256(f"{pub['council_gss']}|{txn}|1|{day}|{name}|{amount}".encode()).hexdigest(),
            "is_current": pub["is_current"],
        }
        self.lines.append(row)
        return row


def build_world() -> World:
    w = World()
    fy24 = dt.date(2023, 4, 1), dt.date(2024, 3, 31)
    # Hyndburn: the known-answer scorecard, a superseded May file, and a year file fetched between the two May
    # files: the later May file replaces the year file's May line (replacement by publication, line by date)
    old = w.publication(HYNDBURN, "2023-05", dt.date(2023, 5, 1), dt.date(2023, 5, 31), is_current=False, tag="v1",
                        fetched_at=dt.datetime(2023, 6, 10))
    w.line(old, "s_local_h", "9999.00", dt.date(2023, 5, 3), "facilities")
    may = w.publication(HYNDBURN, "2023-05", dt.date(2023, 5, 1), dt.date(2023, 5, 31), tag="v2",
                        fetched_at=dt.datetime(2023, 6, 20))
    repeated = w.line(may, "s_local_h", "1000.00", dt.date(2023, 5, 3), "facilities", transaction_id="H1")
    w.line(may, "s_vcse_h", "500.00", dt.date(2023, 5, 4), "other")
    w.line(may, "s_carrick_fac", "2000.00", dt.date(2023, 5, 5), "facilities")
    w.line(may, "s_public", "300.00", dt.date(2023, 5, 6), "other")
    w.line(may, None, "150.00", dt.date(2023, 5, 7), "other", supplier_name=None, redaction_kind="unlabelled_blank")
    w.line(may, "s_unresolved", "50.00", dt.date(2023, 5, 8), "other")
    w.line(may, "s_carrick_fac", "-100.00", dt.date(2023, 5, 9), "facilities")
    annual = w.publication(HYNDBURN, "2023-24", *fy24, fetched_at=dt.datetime(2023, 6, 15), tag="annual")
    w.line(annual, "s_local_h", "1000.00", repeated["payment_date"], "facilities", transaction_id="H1",
           sheet="2023-24", row_number=40)
    for i, month in enumerate(month_list()):
        end = month_end(month)
        lancs = w.publication(LANCASHIRE, month.strftime("%Y-%m"), month, end)
        w.line(lancs, "s_lancs_waste", f"{50000 + (i % 3) * 500}.00", month.replace(day=25), "waste")
        bristol = w.publication(BRISTOL, month.strftime("%Y-%m"), month, end)
        waste_key = "s_severnside" if month < dt.date(2023, 10, 1) else "s_bristol_waste"
        w.line(bristol, waste_key, f"{85000 + (i % 4) * 1000}.00", month.replace(day=26), "waste")
        w.line(bristol, "s_bristol_sme", f"{4000 + (i % 2) * 250}.00", month.replace(day=10), "facilities")
        glos = w.publication(SOUTH_GLOS, month.strftime("%Y-%m"), month, end)
        highways_key = "s_hwy_a" if month < dt.date(2024, 1, 1) else "s_hwy_b"
        w.line(glos, highways_key, f"{30000 + (i % 3) * 700}.00", month.replace(day=20), "highways")
        if month >= dt.date(2024, 4, 1):
            w.line(glos, "s_pennine", f"{26000 + (i % 2) * 400}.00", month.replace(day=5), "leisure")
        if month == dt.date(2023, 6, 1):
            w.line(bristol, "s_bristol_vcse", "2000.00", dt.date(2023, 6, 15), "other")
            w.line(lancs, "s_local_h", "400.00", dt.date(2023, 6, 2), "facilities")
            w.line(lancs, "s_carrick_fac", "600.00", dt.date(2023, 6, 3), "facilities")
            w.line(lancs, "s_carrick_hwy", "1000.00", dt.date(2023, 6, 4), "highways")
    return w


AWARD_DDL = [
    """create table if not exists staging.awards (source varchar, ocid varchar, award_id varchar, release_id varchar,
       release_date date, buyer_name varchar, buyer_id varchar, title varchar, description varchar,
       value_amount decimal(18,2), currency varchar, award_date date, contract_start date, contract_end date,
       cpv_code varchar, procedure varchar, region varchar, duplicate_of varchar)""",
    """create table if not exists staging.award_suppliers (source varchar, ocid varchar, award_id varchar,
       supplier_party_id varchar, supplier_name varchar, org_id varchar, company_number varchar, scale varchar,
       vcse boolean, postcode varchar)""",
]


def seed_staging(con: duckdb.DuckDBPyConnection, world: World | None = None) -> World:
    """Apply the DDL and write the world into staging, the awards and the supplier tables."""
    world = world or build_world()
    apply_ddl(con)
    for ddl in AWARD_DDL:
        con.execute(ddl)
    lines = pl.DataFrame(world.lines, infer_schema_length=None).with_columns(pl.col("amount").cast(pl.Decimal(18, 2)))
    # the loader records the parser's own count and total of each publication; here they are the seeded lines'
    account = lines.group_by("publication_id").agg(rows=pl.len(), net_total=pl.col("amount").sum())
    publications = pl.DataFrame(world.publications).join(account, on="publication_id", how="left")
    con.execute("insert into staging.spend_publications by name select * from publications")
    con.execute("insert into staging.spend_lines by name select * from lines")
    suppliers = pl.DataFrame(SUPPLIERS, orient="row", schema=[
        "supplier_key", "canonical_name", "org_id", "org_type", "size", "vcse", "lad_gss", "county_gss",
        "region_gss", "group_key", "group_name", "council_owned_by"])
    con.execute("insert into core.suppliers by name select * from suppliers")
    names = (pl.DataFrame(world.lines).filter(pl.col("supplier_name").is_not_null())
             .select(raw_name="supplier_name", council_gss="council_gss").unique())
    names = names.with_columns(
        supplier_key=pl.col("raw_name").replace_strict(
            {s[1].title(): s[0] for s in SUPPLIERS}, default=None),
        source=pl.lit("spend"), match_method=pl.lit("test"))
    con.execute("insert into core.supplier_names by name select * from names")
    award_rows = [
        ("contracts_finder", "ocds-cf-1", "1", "Bristol City Council", None),
        ("find_a_tender", "ocds-fts-1", "1", "BRISTOL CITY COUNCIL", "contracts_finder:ocds-cf-1:1"),
    ]
    for source, ocid, award_id, buyer, dup in award_rows:
        con.execute("""insert into staging.awards (source, ocid, award_id, buyer_name, title, value_amount, currency,
                       award_date, contract_start, contract_end, duplicate_of)
                       values ($s, $o, $a, $b, 'Household waste collection', 2000000, 'GBP', date '2023-09-01',
                               date '2023-10-01', date '2025-09-30', $d)""",
                    {"s": source, "o": ocid, "a": award_id, "b": buyer, "d": dup})
        con.execute("""insert into staging.award_suppliers (source, ocid, award_id, supplier_party_id, supplier_name, scale)
                       values ($s, $o, $a, 'p1', 'Bristol Waste Company Limited', 'large')""",
                    {"s": source, "o": ocid, "a": award_id})
        con.execute("""insert into core.supplier_names (raw_name, source, supplier_key, match_method)
                       values ('Bristol Waste Company Limited', $s, 's_bristol_waste', 'test')""", {"s": source})
    return world


def build_seeded(con: duckdb.DuckDBPyConnection, mart_params: dict | None = None) -> tuple[World, dict, dict]:
    """Seed staging, then build core and marts as the nightly job does."""
    from pipelines.marts.build import build_core, build_marts

    world = seed_staging(con)
    core = build_core(con, COUNCILS)
    marts = build_marts(con, {"as_of": dt.date(2025, 1, 1), **(mart_params or {})})
    return world, core, marts


@pytest.fixture(name="con")
def seeded_staging(tmp_path):
    """`con`: a throw-away DuckDB file holding the seed's staging tables (nothing built yet), for the modules
    that import it."""
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    seed_staging(connection)
    yield connection
    connection.close()
