"""The reference data the package ships: its readers on the real lists, the shipped file, the registers refresh
of a list, and refusals of files that are not the list they claim to be."""

import duckdb
import polars as pl
import pytest

from pipelines import reference
from pipelines.reference import sources
from pipelines.reference.build import SOURCES
from pipelines.suppliers import registers
from pipelines.suppliers.resolve import resolve_suppliers
from pipelines.warehouse import apply_ddl

LISTS = "registry/public_bodies_uk"


def _read(corpus, rel, reader):
    return sources.read_parts(reader, [(corpus / rel).read_bytes()])


def test_readers_on_the_real_lists(corpus):
    govuk = _read(corpus, f"{LISTS}/instituteforgov_govuk_organisations/organisations.json", "govuk_organisations")
    hmrc = govuk.filter(pl.col("ref_id") == "GB-GOR-D25")
    assert set(hmrc["name"]) == {"HM Revenue & Customs", "HMRC"} and set(hmrc["org_type"]) == {"public_body"}
    assert govuk.filter(pl.col("canonical") == "Royal Mail").is_empty()  # a privatised public corporation
    trusts = _read(corpus, f"{LISTS}/jhau_nhs-spend/etr.csv", "nhs_ods")
    assert trusts.filter(pl.col("ref_id") == "GB-NHS-RH8")["name"].item() == "ROYAL DEVON UNIVERSITY HEALTHCARE NHS FOUNDATION TRUST"
    icb = _read(corpus, f"{LISTS}/jhau_nhs-spend/eccg.csv", "nhs_ods").filter(pl.col("ref_id") == "GB-NHS-00L")
    assert icb["name"].item() == "NHS NORTH EAST AND NORTH CUMBRIA ICB"  # the "- 00L" sub-location suffix dropped
    police = _read(corpus, f"{LISTS}/ons_names_codes_2019/244_police_force_areas_dec2019.csv", "ons_names_and_codes")
    assert "Police and Crime Commissioner for Lancashire" in police["name"].to_list()
    rsh = _read(corpus, f"{LISTS}/rsh_registered_providers/social-housing-organisation-names.ts", "registered_providers")
    assert rsh.height == 1612 and set(rsh["org_type"]) == {"charity", "company", "public_body"}
    hesa = _read(corpus, f"{LISTS}/hesa_providers/ProviderAllHESAEnhanced.csv", "hesa_providers")
    assert set(hesa.filter(pl.col("ref_id") == "GB-UKPRN-10007773")["org_type"]) == {"public_body"}


def test_readers_refuse_files_that_are_not_their_list(corpus):
    with pytest.raises(ValueError, match="HESA"):
        sources.hesa_providers(b"name,code\nA,1\n")
    with pytest.raises(ValueError, match="registered-providers"):
        sources.registered_providers(b"not a list")
    with pytest.raises(ValueError, match="NHS ODS"):
        sources.nhs_ods(b"a,b\n1,2\n")


def test_shipped_data_is_compact_current_and_attributed():
    path = reference.SHIPPED
    assert path.stat().st_size < 8_000_000
    rows = reference.shipped()
    assert rows.height > 80_000 and set(rows["org_type"]) <= {"public_body", "charity", "company", "unknown"}
    # built from every listed source, with the same key rules the resolver uses now (else: rebuild the data)
    assert set(rows["source"]) == {s.name for s in SOURCES}
    assert (reference.DATA_DIR / "KEYS_FINGERPRINT").read_text().strip() == reference.keys_fingerprint()
    licences = (reference.DATA_DIR / "LICENCES.md").read_text()
    assert "Open Government Licence v3.0" in licences and "CC BY 4.0" in licences and "ODbL" in licences
    attributed = pl.read_csv(reference.DATA_DIR / "SOURCES.csv")
    assert attributed["licence"].null_count() == 0 and attributed["attribution"].null_count() == 0


def test_refreshed_list_in_the_warehouse_replaces_the_shipped_copy():
    con = duckdb.connect()
    apply_ddl(con)
    fresh = (b'"INSTID","UKPRN","ProviderName","CountryCode","CategoryName","FE_Provider","Rescinded"\n'
             b'"9999","10099999","Renamed Example University","E","England - Approved (Fee Cap)","","0"\n')
    assert registers.load_reference_list("hesa_providers", "hesa_providers", fresh, con) == 1
    out = resolve_suppliers(pl.DataFrame({"name": ["RENAMED EXAMPLE UNIVERSITY", "The Open University"]}), con)
    assert out["supplier_key"][0] == "GB-UKPRN-10099999" and out["org_type"][0] == "public_body"
    # the shipped HESA rows are replaced by the warehouse's copy, so the Open University is no longer found there
    assert out["org_type_basis"][1] != "reference:hesa_providers"


def test_a_register_table_without_the_columns_the_cascade_reads_is_an_error():
    con = duckdb.connect()
    con.execute("create schema reference")
    con.execute("create table reference.companies (company_number varchar, name varchar)")
    with pytest.raises(ValueError, match="name_key"):
        resolve_suppliers(pl.DataFrame({"name": ["Acme Ltd"]}), con)


def test_register_files_missing_a_column_are_refused_by_name(tmp_path):
    con = duckdb.connect()
    apply_ddl(con)
    bad = tmp_path / "la.csv"
    bad.write_text("reference,name\nDEV,Devon County Council\n")
    with pytest.raises(ValueError, match="statistical-geography"):
        registers.load_public_bodies(bad, con)
