"""Register loaders on the real corpus samples (formats as published)."""

import glob

import duckdb
import pytest

from pipelines.suppliers import registers
from pipelines.warehouse import apply_ddl


@pytest.fixture()
def con():
    c = duckdb.connect()
    apply_ddl(c)
    yield c
    c.close()


def test_companies_house_zip_and_csv(con, corpus):
    base = corpus / "registry" / "companies_house_basic_company_data"
    assert registers.load_companies_house((base / "CompaniesHouseTestData.zip").read_bytes(), con) == 87
    cats = {r[0] for r in con.execute("select category from reference.companies").fetchall()}
    assert "Community Interest Company" in cats and "Charitable Incorporated Organisation" in cats
    # Replacing is whole-table: the second file's rows only.
    n = registers.load_companies_house(base / "basic-sample.csv", con)
    assert con.execute("select count(*) from reference.companies").fetchone()[0] == n
    numbers = [r[0] for r in con.execute("select company_number from reference.companies").fetchall()]
    assert all(len(x) == 8 for x in numbers)
    assert con.execute("select count(*) from reference.companies where len(previous_names) > 0").fetchone()[0] >= 1
    assert con.execute("select count(*) from reference.companies where company_number like 'FC%'").fetchone()[0] >= 1


def test_a_register_with_no_rows_keeps_the_previous_table(con, corpus, tmp_path):
    """A download that parses to no rows (a changed format, an empty page) must not replace a loaded register."""
    base = corpus / "registry" / "companies_house_basic_company_data"
    loaded = registers.load_companies_house(base / "basic-sample.csv", con)
    header_only = tmp_path / "BasicCompanyData-empty.csv"
    header_only.write_text((base / "basic-sample.csv").read_text(encoding="utf-8", errors="replace").splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="companies register yielded no rows"):
        registers.load_companies_house(header_only, con)
    assert con.execute("select count(*) from reference.companies").fetchone()[0] == loaded > 0


def test_charities_ew_and_ni(con, corpus):
    base = corpus / "registry"
    n = registers.load_charities(
        [(base / "charity_commission_ew" / "publicextract.charity.zip").read_bytes(), base / "charity_commission_ni" / "charitydetails_test.csv"], con
    )
    by_register = dict(con.execute("select register, count(*) from reference.charities group by all").fetchall())
    assert by_register["ccni"] == 365 and by_register["ccew"] > 0 and n == sum(by_register.values())
    # One row per charity: linked (subsidiary) charities share the main number and are dropped.
    assert con.execute("select count(*) = count(distinct charity_number) from reference.charities").fetchone()[0]
    assert con.execute("select count(*) from reference.charities where charity_number like 'NIC%'").fetchone()[0] == 365


def test_postcodes_nspl_zip_and_hosted_export(con, corpus):
    base = corpus / "registry" / "ons_postcode_lookups"
    assert registers.load_postcodes((base / "NSPL_2021_TEST.zip").read_bytes(), con) == 1000
    row = con.execute("select lad_gss, county_gss, region_gss from reference.postcodes where postcode = 'RM9 6HL'").fetchone()
    assert row == ("E09000002", None, "E12000007")  # London borough: no county (E99999999 pseudo code dropped)
    registers.load_postcodes(base / "nspl_sample.csv", con)
    assert con.execute("select count(*) from reference.postcodes where county_gss like 'E10%'").fetchone()[0] > 0
    assert con.execute("select count(*) from reference.postcodes where postcode not like '% ___'").fetchone()[0] == 0


def test_public_bodies(con, corpus):
    base = corpus / "registry"
    registers.load_public_bodies(
        base / "digital-land_dluhc-datasets" / "local-authority.csv", con, base / "public_sector_bodies" / "academy-trusts-company-number.csv"
    )
    devon = con.execute("select org_id, gss from reference.public_bodies where name = 'Devon County Council'").fetchone()
    assert devon == ("GB-LAE-DEV", "E10000008")
    assert con.execute("select count(*) from reference.public_bodies where kind = 'academy_trust' and org_id like 'GB-COH-________'").fetchone()[0] > 3000


def test_psc_corporate_owners(con, corpus):
    files = sorted(glob.glob(str(corpus / "registry" / "companies_house_psc" / "*.json")))
    registers.load_psc(files, con)
    rows = dict(con.execute("select company_number, owner_company_number from reference.psc_corporate_owners").fetchall())
    assert rows["07434180"] == "00686734"
    assert rows["04120481"] == "03530981"  # unpadded 3530981 in the filing
    kinds = {r[0] for r in con.execute("select distinct owner_kind from reference.psc_corporate_owners").fetchall()}
    assert kinds == {"corporate", "legal_person"}
    # Individuals, statements and the totals trailer are not owners.
    assert con.execute("select count(*) from reference.psc_corporate_owners where owner_name is null").fetchone()[0] == 0


def test_company_number_padding():
    import polars as pl

    out = pl.DataFrame({"n": ["123456", "SC1234", " 08209948 ", "0", "IP10002R", "junk!", None]}).select(
        registers.normalise_company_number(pl.col("n"))
    )["n"].to_list()
    assert out == ["00123456", "SC001234", "08209948", None, "IP10002R", None, None]
