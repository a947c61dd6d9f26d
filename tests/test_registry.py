"""The committed council registry: every row valid (one test per row), complete against the registers,
reproducible from the corpus and the committed evidence, every landing page backed by a look-up."""

from __future__ import annotations

import csv
from datetime import date

import polars as pl
import pytest

from pipelines.registry import (
    DEFAULT_REGISTRY_PATH, EVIDENCE_PATH, LOOKUPS_PATH, OPTIONAL_COLUMNS, REGISTRY_COLUMNS, load_registry,
    registry_urls, validate_evidence, validate_registry, validate_row,
)
from pipelines.registry.build_registry import ABOLISHED_SINCE, DEFAULT_TODAY, build_rows, write_registry

REGISTRY = load_registry(DEFAULT_REGISTRY_PATH)
KNOWN = set(REGISTRY["gss"].to_list())


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


EVIDENCE = _rows(EVIDENCE_PATH)
LOOKUPS = _rows(LOOKUPS_PATH)


@pytest.mark.parametrize("row", list(REGISTRY.iter_rows(named=True)), ids=lambda r: r["gss"])
def test_every_row_is_valid(row):
    assert validate_row(row, KNOWN) == []


def test_committed_registry_is_valid():
    assert validate_registry(REGISTRY) == []


def test_evidence_and_lookups_are_valid():
    assert validate_evidence(EVIDENCE, LOOKUPS, KNOWN) == []
    # every look-up id is used in order (L0001, L0002, ...) and the evidence names only those look-ups
    ids = [r["lookup_id"] for r in LOOKUPS]
    assert ids == [f"L{n:04d}" for n in range(1, len(ids) + 1)]


def _register(corpus) -> list[dict]:
    with (corpus / "registry" / "digital-land_dluhc-datasets" / "local-authority.csv").open(encoding="utf-8") as h:
        return list(csv.DictReader(h))


def test_every_authority_current_or_abolished_since_2010_is_present(corpus):
    rows = _register(corpus)
    wanted = {r["statistical-geography"] for r in rows
              if not r["end-date"] or date.fromisoformat(r["end-date"]) >= ABOLISHED_SINCE}
    assert wanted <= KNOWN
    ended = REGISTRY.filter(pl.col("end_date").is_not_null() & pl.col("type").is_in(
        ["county", "district", "unitary", "metropolitan", "london_borough", "combined_authority"]))
    # 50 register rows ended since April 2010 (incl. two combined authorities)
    assert ended.height == 50
    # every abolished council names a successor that is itself in the registry (NECA/NTCA via successions.csv)
    assert ended["successor_gss"].null_count() == 0
    cumbria = REGISTRY.filter(pl.col("gss") == "E10000006").row(0, named=True)
    assert cumbria["successor_gss"] == "E06000063|E06000064"  # Cumberland, Westmorland and Furness
    taunton = REGISTRY.filter(pl.col("gss") == "E07000190").row(0, named=True)
    assert taunton["successor_gss"] == "E07000246" and taunton["end_date"] == "2019-03-31"
    north_yorks = REGISTRY.filter(pl.col("gss") == "E07000165").row(0, named=True)  # Harrogate
    assert north_yorks["successor_gss"] == "E06000065"


def test_types_and_counts():
    current = REGISTRY.filter(pl.col("end_date").is_null())
    counts = dict(current.group_by("type").len().iter_rows())
    assert counts == {"district": 164, "unitary": 63, "metropolitan": 36, "london_borough": 33, "county": 21,
                      "combined_authority": 13, "gla": 1, "police": 39, "fire": 44, "national_park": 10}
    assert {"E47000016", "E47000017"} <= KNOWN  # from mySociety, not yet in the DLUHC register
    assert REGISTRY.filter(pl.col("gss") == "E31000017")["successor_gss"].item() == "E31000048"


def test_districts_have_their_county_and_everyone_a_region():
    current = REGISTRY.filter(pl.col("end_date").is_null())
    districts = current.filter(pl.col("type") == "district")
    assert districts["county_gss"].str.starts_with("E10").all()
    assert REGISTRY.filter(pl.col("type") != "district")["county_gss"].null_count() == \
        REGISTRY.filter(pl.col("type") != "district").height
    assert current["region_gss"].str.contains(r"^E12\d{6}$").all()
    assert REGISTRY.filter(pl.col("gss") == "E07000223")["county_gss"].item() == "E10000032"  # Adur, West Sussex


def test_every_landing_page_is_backed_by_evidence():
    evidence_urls = {(r["gss"], r["url"]) for r in EVIDENCE}
    lookup_ids = {r["lookup_id"] for r in LOOKUPS}
    for row in REGISTRY.filter(pl.col("landing_urls").is_not_null()).iter_rows(named=True):
        assert row["landing_status"] in ("verified", "transparency", "captured"), row["gss"]
        source = row["evidence_source"].split(" via ")[0]
        assert source in lookup_ids or source.startswith("corpus:"), row["gss"]
        own = [u for u in row["landing_urls"].split("|") if (row["gss"], u) in evidence_urls]
        assert own or source.startswith("corpus:") or " via " in row["evidence_source"], row["gss"]
    for url in registry_urls(REGISTRY):
        assert url.startswith(("http://", "https://")), url


def test_known_rows():
    leeds = REGISTRY.filter(pl.col("gss") == "E08000035").row(0, named=True)
    assert leeds["discovery"] == "ckan" and leeds["ckan_package"] == "council-spending"
    assert leeds["landing_status"] == "verified" and leeds["evidence_source"].startswith("corpus:odileeds/leeds")
    assert leeds["first_period"] and leeds["last_period"]
    rother = REGISTRY.filter(pl.col("gss") == "E07000064").row(0, named=True)
    assert rother["threshold"] == "500"
    # an abolished council with no page is not crawled (its site now redirects to the successor)
    poole = REGISTRY.filter(pl.col("gss") == "E06000029").row(0, named=True)
    assert poole["discovery"] == "none" and poole["landing_status"] == "none"
    # a county council that is the fire authority lends its page to the FRA
    oxon_fire = REGISTRY.filter(pl.col("gss") == "E31000031").row(0, named=True)
    oxon = REGISTRY.filter(pl.col("gss") == "E10000025").row(0, named=True)
    assert oxon_fire["landing_urls"] == oxon["landing_urls"]
    assert oxon_fire["landing_urls"] is None or "via E10000025" in oxon_fire["evidence_source"]


def test_validation_catches_errors():
    broken = REGISTRY.head(4).with_columns(
        pl.Series("gss", ["E07000223", "E07000223", "X1", "E06000001"]),
        pl.Series("type", ["district", "parish", "district", "unitary"]),
        pl.Series("link_include", ["(unclosed", None, None, None]),
        pl.Series("landing_urls", ["not a url", None, None, None]),
        pl.Series("threshold", ["300x", None, None, None]),
        pl.Series("successor_gss", [None, None, None, "E06999999"]),
        pl.Series("landing_status", [None, "verified", None, "sort of"]),
        pl.Series("first_period", [None, None, "2010/11", None]),
    )
    errors = "\n".join(validate_registry(broken))
    for fragment in ("duplicate gss", "unknown type 'parish'", "does not compile", "malformed URL", "malformed gss",
                     "threshold '300x'", "successor E06999999 is not in the registry", "a successor but no end_date",
                     "landing_status 'sort of'", "verified without landing_urls", "not a period key"):
        assert fragment in errors, fragment


def test_build_script_reproduces_the_committed_file(corpus, tmp_path):
    out = tmp_path / "councils.csv"
    write_registry(build_rows(corpus / "registry", DEFAULT_TODAY), out)
    assert out.read_text(encoding="utf-8") == DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8")


def test_loader_tolerates_the_core_columns_only(tmp_path):
    """The sample world writes REGISTRY_COLUMNS only: the optional columns come back empty."""
    path = tmp_path / "r.csv"
    REGISTRY.select(REGISTRY_COLUMNS).head(3).write_csv(path)
    df = load_registry(path)
    assert all(c in df.columns for c in OPTIONAL_COLUMNS)
    assert df["landing_status"].null_count() == 3
    assert validate_registry(df) == []


def test_base_placeholder_is_substituted(tmp_path):
    path = tmp_path / "r.csv"
    REGISTRY.with_columns(pl.when(pl.col("gss") == "E06000005").then(pl.lit("{base}/councils/darlington/spend"))
                          .otherwise(pl.col("landing_urls")).alias("landing_urls")).write_csv(path)
    df = load_registry(path, base_url="http://127.0.0.1:9999/")
    row = df.filter(pl.col("gss") == "E06000005").row(0, named=True)
    assert row["landing_urls"] == "http://127.0.0.1:9999/councils/darlington/spend"


def test_website_comes_from_own_site_evidence_only():
    """A body the registers give no website takes its site from its best own-site page, never from a cited or
    news URL on someone else's host (Merseyside FRA: a blog cites its files, the authority's own page was seen)."""
    from pipelines.registry.build_registry import _own_site

    cited = {"url": "https://blog.example.org/fire-payments", "kind": "cited"}
    news = {"url": "https://news.example.com/story", "kind": "news"}
    own = {"url": "http://www.fire.example.gov.uk/about/charging/", "kind": "other_page"}
    dataset = {"url": "https://data.gov.uk/dataset/x", "kind": "ckan_package"}
    assert _own_site([cited, news]) == ""
    assert _own_site([cited, own, news]) == "http://www.fire.example.gov.uk"
    assert _own_site([dataset, own]) == "http://www.fire.example.gov.uk"
    merseyside = REGISTRY.filter(pl.col("gss") == "E31000041").row(0, named=True)
    assert merseyside["website"] == "http://www.merseyfire.gov.uk" and merseyside["landing_status"] == "fallback"
    assert "johnbrace.com" in merseyside["evidence_url"]  # the cited page stays the evidence, not the website


def test_county_fire_authority_without_evidence_starts_from_the_council_site():
    """Where the county council is the fire authority and neither has a page yet, deep discovery starts from the
    council's registered website (Suffolk), instead of the body having nothing to start from."""
    suffolk_fra = REGISTRY.filter(pl.col("gss") == "E31000034").row(0, named=True)
    suffolk = REGISTRY.filter(pl.col("gss") == "E10000029").row(0, named=True)
    assert suffolk["website"] and suffolk_fra["website"] == suffolk["website"]
    assert suffolk_fra["landing_status"] == suffolk["landing_status"] == "fallback"


def test_the_documented_data_hosts_column_loads_and_reaches_discovery(tmp_path):
    """`data_hosts` (an extra column, `|`-separated hosts or URLs) is kept by the loader, validated, given the
    sample world's `{base}`, and read by discovery; it used to make the loader return one garbled column."""
    from pipelines.registry import DATA_HOSTS_COLUMN
    from pipelines.spend.discover import known_data_hosts

    path = tmp_path / "r.csv"
    rows = REGISTRY.head(2).with_columns(pl.lit("files.x-cdn.net|{base}/data").alias(DATA_HOSTS_COLUMN))
    rows.write_csv(path)
    df = load_registry(path, base_url="http://127.0.0.1:9999")
    assert df.columns[:len(REGISTRY_COLUMNS)] == REGISTRY_COLUMNS and DATA_HOSTS_COLUMN in df.columns
    assert df.height == 2 and validate_registry(df) == []
    row = df.row(0, named=True)
    assert row[DATA_HOSTS_COLUMN] == "files.x-cdn.net|http://127.0.0.1:9999/data"
    assert {"x-cdn.net", "127.0.0.1"} <= known_data_hosts(row)
    bad = dict(row, **{DATA_HOSTS_COLUMN: "not a host"})
    assert any("malformed data host" in e for e in validate_row(bad))
