"""Reference data the product ships: public bodies, schools, universities, housing providers and the largest
charities, with their names, abbreviations, identifiers and type, so a payee can be typed with no warehouse.

`data/organisations.parquet` is built by `python -m pipelines.reference.build` from the openly licensed lists
in the shared corpus (licences and attribution: `data/LICENCES.md`, `data/SOURCES.csv`). In production the
registers refresh reloads the same lists from their live URLs into `reference.organisations`; the rows of a
list found there replace the shipped rows of that list, so the warehouse's fresher copy wins.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines.reference.sources import COLUMNS

DATA_DIR = Path(__file__).resolve().parent / "data"
# When lists disagree on a name's type, the more specific list wins: a charity register over the schools
# snapshot (which has no establishment type), a body's own list over a list of areas.
SOURCE_PRIORITY = [
    "ukcat_top_charities", "registered_providers", "registered_provider_numbers", "independent_schools",
    "university_charity_numbers", "university_royal_charters", "hesa_providers", "govuk_organisations", "nhs_trusts",
    "nhs_ccgs_icbs", "ons_icbs", "ons_welsh_health_boards", "local_authorities", "register:public_bodies",
    "ons_combined_authorities", "ons_police_force_areas", "ons_fire_rescue_authorities", "academy_trusts",
    "national_park_authorities", "passenger_transport_executives", "waste_authorities", "development_corporations",
    "regional_park_authorities", "gias_establishments", "gias_links", "ons_parishes",
]
SHIPPED = DATA_DIR / "organisations.parquet"


KEY_COLUMNS = ("name_key", "base_key")


def keys_fingerprint() -> str:
    """A fingerprint of the name-key rules: the shipped keys are used only while it matches the one they were
    built with (a change to the normalisation recomputes them on load until the data is rebuilt)."""
    from pipelines.normalise import names, redaction, text

    digest = hashlib.sha256()
    for module in (names, redaction, text):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def with_keys(rows: pl.DataFrame) -> pl.DataFrame:
    """Reference rows with the name and base keys of each name to match (pipelines.normalise.names)."""
    from pipelines.normalise.names import normalise_names

    return rows.drop([c for c in KEY_COLUMNS if c in rows.columns]).with_columns(
        normalise_names(rows.select("name"), "name").select(*KEY_COLUMNS)
    )


@lru_cache(maxsize=1)
def shipped_keyed() -> pl.DataFrame:
    """The shipped rows with their keys: stored at build time, recomputed when the key rules have changed."""
    stored = pl.read_parquet(SHIPPED)
    fingerprint = (DATA_DIR / "KEYS_FINGERPRINT").read_text().strip() if (DATA_DIR / "KEYS_FINGERPRINT").is_file() else ""
    rows = shipped()
    if fingerprint == keys_fingerprint() and all(c in stored.columns for c in KEY_COLUMNS):
        return rows.with_columns(stored.select(*KEY_COLUMNS))
    return with_keys(rows)


@lru_cache(maxsize=1)
def shipped() -> pl.DataFrame:
    """The shipped reference rows (COLUMNS), read once per process."""
    if not SHIPPED.is_file():
        raise FileNotFoundError(f"the shipped reference data is missing: {SHIPPED} (run python -m pipelines.reference.build)")
    return pl.read_parquet(SHIPPED).select([pl.col(c).cast(t) for c, t in COLUMNS.items()])


def organisations(con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Reference rows: the shipped ones, with each list the warehouse holds (`reference.organisations`,
    refreshed from the live source) replacing the shipped rows of the same list."""
    rows = shipped()
    if con is None:
        return rows
    try:
        fresh = con.sql(f"select {', '.join(COLUMNS)} from reference.organisations").pl()  # noqa: S608 - fixed names
    except duckdb.Error:
        return rows
    if fresh.is_empty():
        return rows
    fresh = fresh.select([pl.col(c).cast(t) for c, t in COLUMNS.items()])
    return pl.concat([rows.filter(~pl.col("source").is_in(fresh["source"].unique().implode())), fresh])
