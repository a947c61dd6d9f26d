"""The committed council registry: valid, complete against the official register, reproducible from the corpus."""

from __future__ import annotations

import csv
import re
from datetime import date

import polars as pl
import pytest

from pipelines.registry import DEFAULT_REGISTRY_PATH, load_registry, registry_urls, validate_registry
from pipelines.registry.build_registry import build_rows, write_registry


@pytest.fixture(scope="module")
def registry() -> pl.DataFrame:
    return load_registry(DEFAULT_REGISTRY_PATH)


def _official_current(corpus) -> list[dict]:
    path = corpus / "registry" / "digital-land_dluhc-datasets" / "local-authority.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if not r["end-date"] or date.fromisoformat(r["end-date"]) > date.today()]


def test_committed_registry_is_valid(registry):
    assert validate_registry(registry) == []


def test_every_current_official_authority_is_present(registry, corpus):
    official = _official_current(corpus)
    official_gss = {r["statistical-geography"] for r in official}
    assert set(registry["gss"]) == official_gss
    # 330 current rows in the register; "Sheffield City Region" and "South Yorkshire Mayoral Combined Authority"
    # share E47000002 (one body renamed), so 329 authorities.
    assert len(official) == 330 and registry.height == 329
    counts = dict(registry.group_by("type").len().iter_rows())
    assert counts == {"district": 164, "unitary": 63, "metropolitan": 36, "london_borough": 33, "county": 21,
                      "combined_authority": 11, "gla": 1}


def test_gss_unique_and_types_fit_codes(registry):
    assert registry["gss"].is_unique().all()
    prefixes = {"district": "E07", "unitary": "E06", "metropolitan": "E08", "london_borough": "E09", "county": "E10",
                "combined_authority": "E47"}
    for row in registry.iter_rows(named=True):
        if row["type"] in prefixes:
            assert row["gss"].startswith(prefixes[row["type"]]), row


def test_districts_have_their_county_and_everyone_a_region(registry):
    districts = registry.filter(pl.col("type") == "district")
    assert districts["county_gss"].null_count() == 0
    assert districts["county_gss"].str.starts_with("E10").all()
    assert registry.filter(pl.col("type") != "district")["county_gss"].null_count() == registry.height - districts.height
    assert registry["region_gss"].str.contains(r"^E12\d{6}$").all()
    # Adur is a West Sussex district (mySociety county-la WSX)
    assert registry.filter(pl.col("gss") == "E07000223")["county_gss"].item() == "E10000032"


def test_urls_well_formed_and_landing_pages_from_the_corpus(registry):
    for url in registry_urls(registry):
        assert re.match(r"^https?://[^\s/]+", url), url
    with_landing = registry.filter(pl.col("landing_urls").is_not_null())
    assert with_landing.height == 14
    leeds = registry.filter(pl.col("gss") == "E08000035").row(0, named=True)
    assert leeds["discovery"] == "ckan" and leeds["ckan_package"] == "council-spending"
    assert registry["website"].null_count() == 0


def test_validation_catches_errors(registry):
    broken = registry.head(3).with_columns(
        pl.Series("gss", ["E07000223", "E07000223", "X1"]),
        pl.Series("type", ["district", "parish", "district"]),
        pl.Series("link_include", ["(unclosed", None, None]),
        pl.Series("landing_urls", ["not a url", None, None]),
        pl.Series("threshold", ["300", None, None]),
    )
    errors = "\n".join(validate_registry(broken))
    for fragment in ("duplicate gss", "unknown type 'parish'", "does not compile", "malformed URL",
                     "malformed gss", "threshold '300'"):
        assert fragment in errors


def test_build_script_reproduces_the_committed_file(corpus, tmp_path):
    out = tmp_path / "councils.csv"
    write_registry(build_rows(corpus / "registry"), out)
    assert out.read_text(encoding="utf-8") == DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8")


def test_base_placeholder_is_substituted(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8").replace(
        "https://www.darlington.gov.uk/your-council", "{base}/councils/darlington"), encoding="utf-8")
    df = load_registry(path, base_url="http://127.0.0.1:9999/")
    row = df.filter(pl.col("gss") == "E06000005").row(0, named=True)
    assert row["landing_urls"].startswith("http://127.0.0.1:9999/councils/darlington/")
