"""Classification rules (size, VCSE, location, groups, council ownership) and the core tables build."""

import duckdb
import polars as pl

from pipelines.suppliers.build import build_suppliers
from pipelines.suppliers.classify import classify_suppliers, walk_owners
from pipelines.normalise.names import name_key
from pipelines.suppliers.resolve import resolve_suppliers
from pipelines.warehouse import apply_ddl


def _seed(con):
    companies = pl.DataFrame(
        {
            "company_number": ["00000001", "00000002", "00000003", "00000004", "02081330", "00000006"],
            "name": ["SMALL FIRM LIMITED", "BIG SUB LIMITED", "MID HOLDINGS LIMITED", "HOPE CIC", "CAPITA PLC", "DEVON HOMES LIMITED"],
            "category": ["Private Limited Company"] * 3 + ["Community Interest Company", "Public Limited Company", "Private Limited Company"],
            "accounts_category": ["MICRO ENTITY", "FULL", "GROUP", None, "GROUP", "TOTAL EXEMPTION FULL"],
            "postcode": ["EX2 4QD", "M1 1AA", None, None, None, None],
        }
    ).with_columns(name_key=name_key(pl.col("name")))
    owners = pl.DataFrame(
        {
            "company_number": ["00000002", "00000003", "00000006"],
            "owner_name": ["Mid Holdings Limited", "Capita Plc", "Devon County Council"],
            "owner_company_number": ["00000003", "02081330", None],
            "owner_kind": ["corporate", "corporate", "legal_person"],
        }
    )
    postcodes = pl.DataFrame({"postcode": ["EX2 4QD"], "lad_gss": ["E07000041"], "county_gss": ["E10000008"], "region_gss": ["E12000009"]})
    bodies = pl.DataFrame({"org_id": ["GB-LAE-DEV"], "name": ["Devon County Council"], "kind": ["local_authority"], "gss": ["E10000008"]}).with_columns(name_key=name_key(pl.col("name")))
    for table, frame in (("companies", companies), ("psc_corporate_owners", owners), ("postcodes", postcodes), ("public_bodies", bodies)):
        con.register("f", frame)
        con.execute(f"insert into reference.{table} by name select * from f")
        con.unregister("f")


def test_walk_owners_to_top_and_cycles():
    owners = pl.DataFrame({"company_number": ["A", "B", "X", "Y"], "owner_company_number": ["B", "C", "Y", "X"]})
    tops = dict(walk_owners(owners).iter_rows())
    assert tops["A"] == "C" and tops["B"] == "C"
    assert tops["X"] in {"X", "Y"}  # a cycle terminates


def test_classify_rules():
    con = duckdb.connect()
    apply_ddl(con)
    _seed(con)
    names = pl.DataFrame({"name": ["Small Firm Ltd", "Big Sub Ltd", "Hope CIC", "Devon Homes Ltd", "Unknown Trader", "Noticed Ltd"]})
    resolved = resolve_suppliers(names, con)
    evidence = pl.DataFrame({"supplier_key": ["name:NOTICED", "name:NOTICED", "GB-COH-00000002"], "scale": ["large", "sme", "sme"], "award_date": ["2023-01-01", "2024-01-01", "2024-05-01"]}).with_columns(pl.col("award_date").str.to_date())
    out = {r["canonical_name"]: r for r in classify_suppliers(resolved, con, evidence).iter_rows(named=True)}
    small = out["SMALL FIRM LIMITED"]
    assert (small["size"], small["size_basis"]) == ("sme", "ch_accounts_category_proxy")
    assert (small["lad_gss"], small["county_gss"], small["region_gss"]) == ("E07000041", "E10000008", "E12000009")
    big = out["BIG SUB LIMITED"]
    assert (big["size"], big["size_basis"]) == ("sme", "notice_scale")  # the notice beats the accounts proxy
    assert big["group_name"] == "Capita" and big["is_strategic"] and big["group_key"] == "strategic:capita"
    hope = out["HOPE CIC"]
    assert hope["vcse"] and hope["vcse_basis"] == "ch_category" and hope["size"] == "sme"
    assert out["DEVON HOMES LIMITED"]["council_owned_by"] == "E10000008"
    assert out["NOTICED LTD"]["size"] == "sme"  # latest award wins
    unknown = out["UNKNOWN TRADER"]
    assert (unknown["size"], unknown["vcse"], unknown["lad_gss"]) == ("unknown", False, None)


def test_build_suppliers_writes_core_tables(warehouse):
    with warehouse.connect() as con:
        _seed(con)
        # The spend part owns staging.spend_lines; fill only the columns the suppliers build reads.
        con.execute("create table if not exists staging.spend_lines (council_gss varchar not null, publication_id varchar not null)")
        for col in ("supplier_name", "supplier_id", "supplier_company_no", "supplier_charity_no", "supplier_vat_reg", "creditor_type"):
            con.execute(f"alter table staging.spend_lines add column if not exists {col} varchar")
        con.execute("alter table staging.spend_lines add column if not exists amount decimal(18,2)")
        con.execute(
            "insert into staging.spend_lines (council_gss, publication_id, supplier_name, supplier_id, supplier_company_no,"
            " supplier_charity_no, supplier_vat_reg, creditor_type, amount) values"
            " ('E10000008','p','Small Firm Ltd','1',null,null,null,null,100.00),"
            "('E10000008','p','SMALL FIRM LIMITED','1',null,null,null,null,50.00),('E10000008','p','Mystery Co','2',null,null,null,null,850.00),"
            "('E10000008','p','REDACTED',null,null,null,null,null,0.50)"
        )
        summary = build_suppliers(con)
        assert summary["names"] == 4
        # Small Firm (two spellings) and the redaction are settled; Mystery Co is not: 3 of 4 names, 150.50 of 1000.50.
        assert summary["names_resolved_pct"] == 75.0
        assert summary["money_resolved_pct"] == round(100 * 150.50 / 1000.50, 1)
        keys = con.execute("select supplier_key from core.supplier_names where raw_name like 'Small%' or raw_name like 'SMALL%'").fetchall()
        assert {k[0] for k in keys} == {"GB-COH-00000001"}
        assert con.execute("select count(*) from core.suppliers").fetchall()[0][0] == 3
        assert con.execute("select count(*) from core.supplier_coverage").fetchall()[0][0] >= 2


def test_nightly_build_types_names_exactly_as_match_suppliers_without_a_warehouse(warehouse):
    """The nightly suppliers build and `match-suppliers` with no warehouse run one cascade on the shipped data."""
    from pipelines.suppliers.cli import match_frame

    names = [
        ("E08000035", "HM Revenue & Customs"), ("E08000035", "H M R C (070 PB 2926)"), ("E08000035", "Leeds City College"),
        ("E08000035", "ST ANNES COMMUNITY SERVICES"), ("E08000035", "Natalie Jackson"), ("E08000035", "REDACTED PERSONAL DATA"),
        ("E08000035", "KIER NORTHERN"), ("E08000035", "Shepley Scout Group"), ("E08000035", "PETTY CASH"), ("E08000035", "200354"),
        ("E10000008", "EAST DEVON DIST COUN (TREAS)"), ("E10000008", "MILESTONE INFRASTRUCTURE LTD"),
    ]
    with warehouse.connect() as con:
        con.execute("create table if not exists staging.spend_lines (council_gss varchar not null, publication_id varchar not null)")
        for col in ("supplier_name", "supplier_id", "supplier_company_no", "supplier_charity_no", "supplier_vat_reg", "creditor_type"):
            con.execute(f"alter table staging.spend_lines add column if not exists {col} varchar")
        con.execute("alter table staging.spend_lines add column if not exists amount decimal(18,2)")
        for gss, name in names:
            con.execute("insert into staging.spend_lines (council_gss, publication_id, supplier_name, amount) values (?, 'p', ?, 1.00)", [gss, name])
        build_suppliers(con)
        nightly = con.execute(
            "select n.council_gss, n.raw_name, s.org_type, s.org_type_basis, s.supplier_key from core.supplier_names n"
            " join core.suppliers s using (supplier_key) order by all"
        ).fetchall()
    offline = match_frame(pl.DataFrame({"council_gss": [g for g, _ in names], "name": [n for _, n in names]}), None)
    offline_rows = sorted(zip(offline["council_gss"], offline["name"], offline["org_type"], offline["org_type_basis"], offline["supplier_key"]))
    assert nightly == offline_rows
    types = {name: t for _, name, t, _, _ in nightly}
    assert types["HM Revenue & Customs"] == types["Leeds City College"] == "public_body"
    assert (types["Natalie Jackson"], types["PETTY CASH"], types["200354"]) == ("individual", "other", "unknown")
